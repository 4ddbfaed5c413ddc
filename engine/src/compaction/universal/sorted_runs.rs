//! The tree as RocksDB's universal compaction sees it: a list of sorted
//! runs, newest first, where every L0 run is one and every non-empty level
//! below L0 is one (all its files), down to the deepest level.

use std::collections::HashSet;
use std::sync::Arc;

use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::level_scores::Compensation;
use crate::compaction::JobInput;
use crate::version::{FileMeta, Version};

/// One sorted run of the universal view.
#[derive(Debug, Clone)]
pub(crate) struct UniversalRun {
    /// The level it lives in (0 for a flush or intra-L0 output).
    pub level: usize,
    /// The run's id when it is an L0 run; `None` for a whole level.
    pub l0_run: Option<u64>,
    /// Its files, by key.
    pub files: Vec<Arc<FileMeta>>,
    /// Bytes of its files.
    pub size: u64,
    /// Bytes with tombstones weighted extra (RocksDB's compensated size):
    /// what a candidate set accumulates.
    pub compensated: u64,
    /// True when any of its files is being compacted.
    pub busy: bool,
}

impl UniversalRun {
    fn new(
        level: usize,
        l0_run: Option<u64>,
        files: Vec<Arc<FileMeta>>,
        busy: &HashSet<u64>,
        comp: &Compensation,
    ) -> Self {
        UniversalRun {
            level,
            l0_run,
            size: files.iter().map(|f| f.size).sum(),
            compensated: files.iter().map(|f| comp.size(f)).sum(),
            busy: files.iter().any(|f| busy.contains(&f.number)),
            files,
        }
    }

    /// The run as job inputs (a level's files grouped by the engine's runs
    /// that hold them).
    pub fn job_inputs(&self, v: &Version) -> Vec<JobInput> {
        match self.l0_run {
            Some(run) => vec![JobInput {
                level: 0,
                run,
                files: self.files.clone(),
            }],
            None => job_inputs_by_run(v, self.level, &self.files),
        }
    }
}

/// The sorted runs of `v`, newest first: L0's runs (newest first), then
/// each non-empty level from L1 to the deepest.
pub(crate) fn sorted_runs(v: &Version, busy: &HashSet<u64>) -> Vec<UniversalRun> {
    let comp = Compensation::of(v);
    let mut out: Vec<UniversalRun> = v
        .runs(0)
        .iter()
        .map(|r| UniversalRun::new(0, Some(r.id()), r.files().to_vec(), busy, &comp))
        .collect();
    for level in 1..v.num_levels() {
        let files = v.files(level);
        if !files.is_empty() {
            out.push(UniversalRun::new(level, None, files.to_vec(), busy, &comp));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_version;

    #[test]
    fn l0_runs_then_one_run_per_non_empty_level_newest_first() {
        let v = parse_version(
            "L0\n  000003: a#30 .. b#31 size=1KiB\n  000002: a#20 .. b#21 size=2KiB\n\
             L2\n  000004: a#5 .. c#6 size=4KiB\n  000005: d#7 .. e#8 size=4KiB\n\
             L4\n  000006: a#1 .. z#2 size=64KiB\n",
            5,
        )
        .unwrap();
        let busy: HashSet<u64> = [5].into_iter().collect();
        let runs = sorted_runs(&v, &busy);
        let shape: Vec<_> = runs
            .iter()
            .map(|r| (r.level, r.files.len(), r.size, r.busy))
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, 1, 1024, false),
                (0, 1, 2048, false),
                (2, 2, 8192, true),
                (4, 1, 65536, false)
            ]
        );
    }
}
