//! Level compaction (RocksDB's `kCompactionStyleLevel`, LevelDB's only
//! style): L0 holds one sorted run per flush, every deeper level one run
//! with a byte target. Policies of this shape differ only in which level
//! and which file they choose, a [`FilePriority`] (RocksDB's
//! `compaction_pri`); scores, debt and the shape check are shared here.

use super::level_picker::{l0_job, levels_needing_work, LevelScore};
use super::{Job, PickContext, Strategy};
use crate::options::Options;
use crate::version::Version;

/// Which file of a level that needs compaction goes down next.
pub trait FilePriority: Send + Sync {
    /// The policy name.
    fn name(&self) -> &'static str;

    /// Puts the levels that need work (highest score first) in the order
    /// they are tried. Default: by score.
    fn order_levels(&self, _levels: &mut Vec<LevelScore>, _ctx: &PickContext<'_>) {}

    /// The job for a level below L0 that needs work, or `None` when none of
    /// its files can go now (busy).
    fn pick_in_level(&self, v: &Version, ctx: &PickContext<'_>, score: LevelScore) -> Option<Job>;
}

/// A leveled-shape strategy choosing files by `P`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LevelCompaction<P>(pub P);

impl<P: FilePriority> Strategy for LevelCompaction<P> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let mut levels = levels_needing_work(v, ctx);
        self.0.order_levels(&mut levels, ctx);
        levels.into_iter().find_map(|s| {
            if s.level == 0 {
                l0_job(v, ctx, s)
            } else {
                self.0.pick_in_level(v, ctx, s)
            }
        })
    }

    /// RocksDB's `EstimateCompactionBytesNeeded`: L0's bytes once it
    /// reaches `l0_file_limit`, then for each level over its target, the
    /// excess (plus what flows in from above) times one plus the next
    /// level's size ratio, the rewrite it will cause below.
    fn pending_compaction_bytes(&self, v: &Version, o: &Options) -> u64 {
        let mut total = 0f64;
        let mut flowing = 0f64;
        if v.files(0).len() >= o.l0_file_limit {
            flowing = v.level_bytes(0) as f64;
            total += flowing;
        }
        let last = v.num_levels() - 1;
        for level in 1..last {
            let size = v.level_bytes(level) as f64 + flowing;
            let target = o.level_target_bytes(level) as f64;
            if size > target {
                flowing = size - target;
                let here = v.level_bytes(level).max(1) as f64;
                let ratio = v.level_bytes(level + 1) as f64 / here;
                total += flowing * (ratio + 1.0);
            } else {
                flowing = 0.0;
            }
        }
        total as u64
    }

    /// L0: files over `l0_file_limit`; L1 to the second-last level: bytes
    /// over target; the last level has no score.
    fn level_score(&self, v: &Version, o: &Options, level: usize) -> Option<f64> {
        if level == 0 {
            Some(v.files(0).len() as f64 / o.l0_file_limit as f64)
        } else if level + 1 < v.num_levels() {
            Some(v.level_bytes(level) as f64 / o.level_target_bytes(level) as f64)
        } else {
            None
        }
    }

    fn check_shape(&self, v: &Version) -> Result<(), String> {
        for level in 1..v.num_levels() {
            let runs = v.runs(level).len();
            if runs > 1 {
                return Err(format!(
                    "leveled policy {} left {runs} sorted runs in L{level}",
                    self.name()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::Leveled;
    use crate::version::fixture::parse_version;

    fn opts() -> Options {
        Options {
            l0_file_limit: 2,
            l1_base_bytes: 1 << 20,
            level_size_multiplier: 10.0,
            num_levels: 4,
            ..Options::default()
        }
    }

    #[test]
    fn no_debt_under_the_triggers() {
        let v = parse_version(
            "L0\n  000001: a#1 .. b#2 size=1MiB\nL1\n  000002: a#3 .. b#4 size=1MiB\n",
            4,
        )
        .unwrap();
        assert_eq!(
            LevelCompaction(Leveled).pending_compaction_bytes(&v, &opts()),
            0
        );
    }

    #[test]
    fn l0_over_the_trigger_flows_into_l1() {
        // L0: 2 MiB at the trigger; L1 then holds 1 + 2 = 3 MiB of a 1 MiB
        // target: 2 MiB excess, rewriting L2 (4 MiB, ratio 4) as it goes.
        let v = parse_version(
            "L0\n  000001: a#5 .. b#6 size=1MiB\n  000002: a#3 .. b#4 size=1MiB\nL1\n  000003: a#1 .. b#2 size=1MiB\nL2\n  000004: a#0 .. z#0 size=4MiB\n",
            4,
        )
        .unwrap();
        let mib = 1u64 << 20;
        assert_eq!(
            LevelCompaction(Leveled).pending_compaction_bytes(&v, &opts()),
            2 * mib + 2 * mib * 5
        );
    }

    #[test]
    fn two_runs_below_l0_break_the_leveled_shape() {
        let v = parse_version(
            "L2\n  run 000003\n    000003: a#1 .. b#1\n  run 000004\n    000004: a#2 .. b#2\n",
            4,
        )
        .unwrap();
        let e = LevelCompaction(Leveled).check_shape(&v).unwrap_err();
        assert_eq!(e, "leveled policy leveled left 2 sorted runs in L2");
    }
}
