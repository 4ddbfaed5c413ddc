//! The `Strategy` trait: a compaction policy is a pure decision over an
//! immutable version. It never reads data, writes files or reads a clock.

use std::collections::HashSet;

use super::Job;
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
}

/// The shape of tree a policy maintains; the engine's invariant checks
/// depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// L0 may overlap; L1 and deeper are sorted, non-overlapping runs.
    Leveled,
    /// Every sorted run is one L0 file; deeper levels stay empty.
    Tiered,
}

/// A compaction policy.
pub trait Strategy: Send + Sync {
    /// The name the CLI and the reports use (`leveled`, `size-tiered`, ...).
    fn name(&self) -> &'static str;

    /// The shape of tree this policy keeps.
    fn shape(&self) -> Shape;

    /// The next job to run, or `None` when no trigger fires (quiescence for
    /// this policy).
    fn pick(&self, version: &Version, ctx: &PickContext<'_>) -> Option<Job>;

    /// Whether writes slow down and stop on the L0 file count
    /// (`l0_slowdown_limit`, `l0_stop_limit`). Policies whose L0 grows by
    /// design (FIFO keeps every file there) say no.
    fn stalls_on_l0_files(&self) -> bool {
        true
    }
}
