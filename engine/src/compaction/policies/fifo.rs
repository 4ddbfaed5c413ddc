//! `fifo`: RocksDB's FIFO compaction (`kCompactionStyleFIFO`). Files stay
//! in L0 in arrival order and are dropped whole, unread, in RocksDB's
//! order of rules:
//!
//! 1. `ttl`: the oldest files whose newest data is older than `ttl`, up to
//!    the first that is not, when what remains fits `max_table_files_size`;
//! 2. files every entry of which has expired (lsmlab's per-entry TTL);
//! 3. `max_table_files_size`: the oldest files until the rest fits;
//! 4. `allow_compaction`: RocksDB's cost-based intra-L0 merge of the newest
//!    small files (at least `level0_file_num_compaction_trigger` of them,
//!    at most 1.1 `write_buffer_size` of input per file removed);
//! 5. (an lsmlab extension, off by default) the runs of each closed
//!    `time_window` merge, as Cassandra's TWCS does.
//!
//! Like RocksDB, no file is dropped while an L0 compaction runs.

use std::sync::Arc;

use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::registry::{no_relations, PolicyDef};
use super::size_tiered::only_l0;
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::params::{ParamDef, Unit, Value};
use crate::version::{FileMeta, SortedRun, Version};

/// RocksDB's cap on an intra-L0 output file of FIFO (16 MiB).
const INTRA_L0_OUTPUT_FILE_SIZE: u64 = 16 << 20;

/// RocksDB's default `max_compaction_bytes`: 25 target files.
const MAX_COMPACTION_FILES: u64 = 25;

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "fifo",
    aliases: &["ttl", "kCompactionStyleFIFO"],
    description: "RocksDB FIFO: files dropped whole, oldest first, once older than ttl or over max_table_files_size; allow_compaction merges small new files (intra-L0)",
    params: &[
        ParamDef::new("ttl", &[], Unit::Duration, Value::Int(0), (0.0, 1e12),
            "drop a file once its newest data is this old").note("0: off"),
        ParamDef::new("max_table_files_size", &["fifo_max_bytes"], Unit::Bytes, Value::Int(1 << 30), (0.0, 1125899906842624.0),
            "drop the oldest files above this total").note("0: no cap"),
        ParamDef::new("allow_compaction", &["fifo_compaction_allow_compaction"], Unit::Flag, Value::Flag(false), (0.0, 1.0),
            "merge the newest small L0 files (RocksDB's cost-based intra-L0 compaction)"),
        ParamDef::new("time_window", &["compaction_window_size"], Unit::Duration, Value::Int(0), (0.0, 1e12),
            "merge the runs of each closed window of this width (lsmlab extension)").note("0: off"),
    ],
    validate: no_relations,
    build: |o| Arc::new(Fifo::new(o)),
};

/// FIFO / TTL compaction.
#[derive(Debug, Clone)]
pub struct Fifo {
    ttl_ms: u64,
    max_bytes: u64,
    allow_compaction: bool,
    time_window_ms: u64,
}

impl Fifo {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        Fifo {
            ttl_ms: o.millis("ttl"),
            max_bytes: o.int("max_table_files_size"),
            allow_compaction: o.flag("allow_compaction"),
            time_window_ms: o.millis("time_window"),
        }
    }

    /// When `f` expires: by age (ttl) or by its entries' own expiry.
    fn expiry_ms(&self, f: &FileMeta) -> Option<u64> {
        let by_age = (self.ttl_ms > 0).then(|| f.newest_time_ms.saturating_add(self.ttl_ms));
        [by_age, f.max_expiry_ms].into_iter().flatten().min()
    }

    /// Runs not being compacted, oldest first.
    fn idle_runs_oldest_first(v: &Version, ctx: &PickContext<'_>) -> Vec<Arc<SortedRun>> {
        v.runs(0)
            .iter()
            .rev()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect()
    }

    /// Runs of closed windows, by window, oldest window first.
    fn closed_windows(
        &self,
        runs: &[Arc<SortedRun>],
        now_ms: u64,
    ) -> Vec<(u64, Vec<Arc<SortedRun>>)> {
        let Some(current) = now_ms.checked_div(self.time_window_ms) else {
            return Vec::new();
        };
        let mut windows: Vec<(u64, Vec<Arc<SortedRun>>)> = Vec::new();
        for r in runs {
            let w = r.oldest_time_ms() / self.time_window_ms;
            if w >= current {
                continue;
            }
            match windows.iter_mut().find(|(x, _)| *x == w) {
                Some((_, group)) => group.push(r.clone()),
                None => windows.push((w, vec![r.clone()])),
            }
        }
        windows.sort_by_key(|(w, _)| *w);
        windows
    }
}

impl Fifo {
    /// Rules 1 to 3 (see the module documentation) over the idle runs,
    /// oldest first.
    fn drop_expired_or_over_cap(
        &self,
        v: &Version,
        runs: &[Arc<SortedRun>],
        now_ms: u64,
    ) -> Option<Job> {
        let files: Vec<Arc<FileMeta>> = runs.iter().flat_map(|r| r.files().to_vec()).collect();
        let total = v.total_bytes();
        let capped = |remaining: u64| self.max_bytes > 0 && remaining > self.max_bytes;

        if self.ttl_ms > 0 {
            let aged: Vec<_> = files
                .iter()
                .take_while(|f| f.newest_time_ms.saturating_add(self.ttl_ms) <= now_ms)
                .cloned()
                .collect();
            let remaining = total - aged.iter().map(|f| f.size).sum::<u64>();
            if !aged.is_empty() && !capped(remaining) {
                return Some(drop_job(v, &aged, Reason::TtlExpired));
            }
        }

        let expired: Vec<_> = files
            .iter()
            .filter(|f| f.max_expiry_ms.is_some_and(|t| t <= now_ms))
            .cloned()
            .collect();
        if !expired.is_empty() {
            return Some(drop_job(v, &expired, Reason::TtlExpired));
        }

        if capped(total) {
            let mut remaining = total;
            let mut victims = Vec::new();
            for f in &files {
                remaining = remaining.saturating_sub(f.size);
                victims.push(f.clone());
                if !capped(remaining) {
                    break;
                }
            }
            return Some(drop_job(v, &victims, Reason::SizeCap));
        }
        None
    }
}

/// RocksDB's `PickCostBasedIntraL0Compaction` for FIFO: from the newest L0
/// file, take older files while the bytes merged per file removed do not
/// grow and the total stays within `max_compaction_bytes` (RocksDB's
/// default, 25 target files); run it when it takes at least
/// `level0_file_num_compaction_trigger` files and costs less than 1.1
/// `write_buffer_size` per file removed (so merged files are not merged
/// again).
fn intra_l0_job(v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
    let runs = v.runs(0);
    let busy = |r: &Arc<SortedRun>| r.files().iter().any(|f| ctx.busy.contains(&f.number));
    let first = runs.first()?;
    if busy(first) {
        return None;
    }
    let o = ctx.options;
    let max_compaction_bytes = MAX_COMPACTION_FILES.saturating_mul(o.base_file_size);
    let mut bytes = first.bytes();
    let mut per_removed = u64::MAX;
    let mut taken = 1;
    for r in &runs[1..] {
        bytes += r.bytes();
        let next_per_removed = bytes / taken as u64;
        if busy(r) || next_per_removed > per_removed || bytes > max_compaction_bytes {
            break;
        }
        per_removed = next_per_removed;
        taken += 1;
    }
    let limit = o.write_buffer_size.saturating_add(o.write_buffer_size / 10);
    if taken < o.l0_file_limit || per_removed >= limit {
        return None;
    }
    Some(Job::on_l0_runs(
        JobKind::Merge,
        &runs[..taken],
        Reason::FifoReduceNumFiles { files: taken },
        Some(INTRA_L0_OUTPUT_FILE_SIZE),
    ))
}

fn drop_job(v: &Version, files: &[Arc<FileMeta>], reason: Reason) -> Job {
    let mut job = Job::on_l0_runs(JobKind::Drop, &[], reason, None);
    job.inputs = job_inputs_by_run(v, 0, files);
    job
}

impl Strategy for Fifo {
    fn name(&self) -> &str {
        POLICY.name
    }

    fn l0_delay_trigger_count(&self, _version: &Version) -> Option<usize> {
        None
    }

    fn drops_files_unread(&self) -> bool {
        true
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let runs = Self::idle_runs_oldest_first(v, ctx);
        let l0_busy = runs.len() < v.runs(0).len();
        if !l0_busy {
            if let Some(job) = self.drop_expired_or_over_cap(v, &runs, ctx.now_ms) {
                return Some(job);
            }
        }
        if self.allow_compaction {
            if let Some(job) = intra_l0_job(v, ctx) {
                return Some(job);
            }
        }
        let windows = self.closed_windows(&runs, ctx.now_ms);
        let (window, group) = windows.into_iter().find(|(_, g)| g.len() >= 2)?;
        Some(Job::on_l0_runs(
            JobKind::Merge,
            &group,
            Reason::TimeWindow { window },
            Some(ctx.options.base_file_size),
        ))
    }

    /// The earliest expiry of any file, and the close of the current time
    /// window when it holds two runs or more.
    fn next_wakeup_ms(&self, v: &Version, ctx: &PickContext<'_>) -> Option<u64> {
        let expiry = v.files(0).iter().filter_map(|f| self.expiry_ms(f)).min();
        let window_close = ctx
            .now_ms
            .checked_div(self.time_window_ms)
            .and_then(|current| {
                let in_current = v
                    .runs(0)
                    .iter()
                    .filter(|r| r.oldest_time_ms() / self.time_window_ms >= current)
                    .count();
                (in_current >= 2).then(|| (current + 1) * self.time_window_ms)
            });
        [expiry, window_close].into_iter().flatten().min()
    }

    fn check_shape(&self, v: &Version) -> Result<(), String> {
        only_l0(self.name(), v)
    }
}
