//! The `Strategy` trait: a compaction policy is a pure decision over an
//! immutable version. It never reads data, writes files or reads a clock.

use std::collections::HashSet;

use super::{CostModel, Job, JobKind};
use crate::options::Options;
use crate::version::Version;

/// Everything a strategy may consult besides the version itself.
#[derive(Debug, Clone, Copy)]
pub struct PickContext<'a> {
    pub options: &'a Options,
    /// Numbers of the files already being compacted: a job never takes one.
    pub busy: &'a HashSet<u64>,
    /// The clock's time (simulated in the lab), for TTL and time windows.
    pub now_ms: u64,
    /// The level the previous job compacted from, for policies that cycle.
    pub last_level: Option<usize>,
    /// The oldest live snapshot's sequence number (`None`: no snapshot),
    /// for RocksDB's bottommost-files compaction.
    pub oldest_snapshot: Option<crate::key::SeqNo>,
}

/// A flush about to be written, as [`Strategy::flush_split_points`] sees
/// it: the user keys it spans (point entries and range tombstones) and its
/// size estimate (the memtable's bytes).
#[derive(Debug, Clone, Copy)]
pub struct FlushSpan<'a> {
    pub smallest: &'a [u8],
    pub largest: &'a [u8],
    pub bytes: u64,
}

/// A compaction policy. Only [`Strategy::pick`] is required; the rest have
/// defaults that suit a policy without levels, scores or timers.
pub trait Strategy: Send + Sync {
    /// The name the CLI and the reports use (`leveled`, `size-tiered`, ...).
    fn name(&self) -> &str;

    /// The next job to run, or `None` when no trigger fires (quiescence for
    /// this policy).
    fn pick(&self, version: &Version, ctx: &PickContext<'_>) -> Option<Job>;

    /// The analytic model the policy's write amplification follows, for
    /// the lab's `model_*` columns. Default: none.
    fn cost_model(&self, _options: &Options) -> CostModel {
        CostModel::None
    }

    /// The count writes slow down and stop on (`l0_slowdown_limit`,
    /// `l0_stop_limit`; RocksDB's `l0_delay_trigger_count`): L0's files by
    /// default. `None` for policies whose L0 grows by design (FIFO keeps
    /// every file there) or that throttle on debt alone.
    fn l0_delay_trigger_count(&self, version: &Version) -> Option<usize> {
        Some(version.files(0).len())
    }

    /// True when the policy's merges install each output as it is sealed
    /// and delete the inputs the merge has read to their end (ScyllaDB's
    /// incremental compaction), so that a merge's extra space is about a
    /// fragment per input run instead of its whole output. The engine does
    /// so for jobs without blob references or range tombstones.
    fn releases_inputs_early(&self) -> bool {
        false
    }

    /// True when the policy deletes whole files without merging them (FIFO),
    /// so that an older version a dropped file shadowed can show again: its
    /// contract holds for data that all expires alike, as RocksDB's FIFO.
    fn drops_files_unread(&self) -> bool {
        false
    }

    /// Bytes compaction must still read and write before the tree satisfies
    /// the policy (RocksDB's pending compaction bytes), for write stalls and
    /// reports. Default: the input of the merge the policy would run next.
    fn pending_compaction_bytes(&self, version: &Version, options: &Options) -> u64 {
        let busy = HashSet::new();
        let ctx = PickContext {
            options,
            busy: &busy,
            now_ms: 0,
            last_level: None,
            oldest_snapshot: None,
        };
        self.pick(version, &ctx)
            .filter(|j| j.kind == JobKind::Merge)
            .map_or(0, |j| j.input_bytes())
    }

    /// How urgently `level` needs compaction (1 = at its trigger), for the
    /// stats table and `serve`; `None` where the policy does not score it.
    fn level_score(&self, _version: &Version, _options: &Options, _level: usize) -> Option<f64> {
        None
    }

    /// User keys, ascending, at which a flush's output is cut into files
    /// (each file ends before the first key at or above a cut; a cut with
    /// nothing before it makes no file). The files form one new L0 sorted
    /// run. Default: no cuts, one file per flush. A policy that cuts its
    /// flushes and stalls on L0 counts should count runs, not files, in
    /// [`Strategy::l0_delay_trigger_count`].
    fn flush_split_points(
        &self,
        _version: &Version,
        _options: &Options,
        _flush: &FlushSpan<'_>,
    ) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// Checks the shape the policy promises (e.g. one sorted run per level
    /// below L0); run after every installed edit under `paranoid_checks`.
    /// The error says what is wrong.
    fn check_shape(&self, _version: &Version) -> Result<(), String> {
        Ok(())
    }

    /// The clock time at which the policy may find work in `version` even
    /// if nothing is written (a TTL expiring, a time window closing); the
    /// engine asks again then. `None`: only a change of the tree can make
    /// work.
    fn next_wakeup_ms(&self, _version: &Version, _ctx: &PickContext<'_>) -> Option<u64> {
        None
    }
}
