//! Compaction debt: how many bytes compaction still has to rewrite before
//! the tree satisfies its policy, estimated as RocksDB's
//! `EstimateCompactionBytesNeeded` does for leveled shapes.

use std::collections::HashSet;

use super::{JobKind, PickContext, Shape, Strategy};
use crate::options::Options;
use crate::version::Version;

/// Bytes compaction must still read and write to bring `v` back under the
/// policy's triggers.
///
/// Leveled shapes: L0's bytes once it reaches `l0_file_limit`, then for each
/// level over its target, the excess (plus what flows in from above) times
/// one plus the next level's size ratio, the rewrite it will cause below.
/// Tiered shapes: the input bytes of the job the policy would run next.
pub fn pending_compaction_bytes(v: &Version, options: &Options, strategy: &dyn Strategy) -> u64 {
    match strategy.shape() {
        Shape::Leveled => leveled_debt(v, options),
        Shape::Tiered => {
            let busy = HashSet::new();
            let ctx = PickContext {
                options,
                busy: &busy,
                now_ms: 0,
                last_level: None,
            };
            strategy
                .pick(v, &ctx)
                .filter(|j| j.kind == JobKind::Merge)
                .map_or(0, |j| j.input_bytes())
        }
    }
}

fn leveled_debt(v: &Version, o: &Options) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::{CompactionOptions, Leveled, Policy};
    use crate::version::fixture::parse_version;

    fn opts() -> Options {
        Options {
            l0_file_limit: 2,
            l1_base_bytes: 1 << 20,
            level_size_multiplier: 10.0,
            num_levels: 4,
            compaction: CompactionOptions::for_policy(Policy::Leveled),
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
        assert_eq!(pending_compaction_bytes(&v, &opts(), &Leveled), 0);
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
            pending_compaction_bytes(&v, &opts(), &Leveled),
            2 * mib + 2 * mib * 5
        );
    }
}
