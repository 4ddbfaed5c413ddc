//! Fully expired sstables, as Cassandra's strategies drop them
//! (`CompactionController.getFullyExpiredSSTables`): a file every entry of
//! which has expired goes without being read, unless a file that is not
//! going holds older data for its keys (dropping it could uncover that
//! data), or the policy was told to ignore such overlaps.

use std::sync::Arc;

use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::{Job, JobKind, Reason};
use crate::version::{FileMeta, Version};

/// The files of `files` whose every entry has expired by `now_ms`.
pub(super) fn expired(files: &[Arc<FileMeta>], now_ms: u64) -> Vec<Arc<FileMeta>> {
    files
        .iter()
        .filter(|f| f.max_expiry_ms.is_some_and(|t| t <= now_ms))
        .cloned()
        .collect()
}

/// The expired files that may go: those no remaining file with older data
/// overlaps (all of them when `ignore_overlaps`).
pub(super) fn droppable(
    v: &Version,
    expired: Vec<Arc<FileMeta>>,
    ignore_overlaps: bool,
) -> Vec<Arc<FileMeta>> {
    if ignore_overlaps {
        return expired;
    }
    let is_expired = |n: u64| expired.iter().any(|e| e.number == n);
    let mut out = Vec::new();
    for f in &expired {
        let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
        let older_overlaps = (0..v.num_levels()).any(|l| {
            v.overlapping_files(l, lo, hi)
                .iter()
                .any(|g| !is_expired(g.number) && g.smallest_seq <= f.largest_seq)
        });
        if !older_overlaps {
            out.push(f.clone());
        }
    }
    out
}

/// A job dropping the L0 files of `files` that may go at `now_ms`, if any.
pub(super) fn drop_job(
    v: &Version,
    files: &[Arc<FileMeta>],
    now_ms: u64,
    ignore_overlaps: bool,
) -> Option<Job> {
    let drop = droppable(v, expired(files, now_ms), ignore_overlaps);
    if drop.is_empty() {
        return None;
    }
    let mut job = Job::on_l0_runs(JobKind::Drop, &[], Reason::TtlExpired, None);
    job.inputs = job_inputs_by_run(v, 0, &drop);
    Some(job)
}

/// The next time an entry of an L0 file of `v` expires after `now_ms`.
pub(super) fn next_expiry_ms(v: &Version, now_ms: u64) -> Option<u64> {
    v.files(0)
        .iter()
        .filter_map(|f| f.max_expiry_ms)
        .filter(|&t| t > now_ms)
        .min()
}
