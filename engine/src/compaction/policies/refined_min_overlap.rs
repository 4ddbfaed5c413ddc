//! `refined-min-overlap` (RefinedMOR): kMinOverlappingRatio with a one-step
//! lookahead, beyond RocksDB. A file's cost is the next-level bytes it
//! overlaps plus the share of the following compaction its bytes will
//! cause: its size times the overlap ratio, two levels down, of the key
//! range the job's output will occupy. Files landing over a dense stretch
//! of the level below next go later; per byte of the file's compensated
//! size, fewest first, ties to the smaller key.

use std::sync::Arc;

use super::min_overlap::order_by_overlap_cost;
use crate::compaction::level_compaction::{FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::version::Version;

/// RefinedMOR.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefinedMinOverlap;

impl FilePriority for RefinedMinOverlap {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, comp: &Compensation) -> Vec<usize> {
        order_by_overlap_cost(v, level, |f, o1| {
            let lower = v.overlapping_files(level + 1, f.smallest_user_key(), f.largest_user_key());
            let lo = lower.iter().map(|g| g.smallest_user_key()).fold(f.smallest_user_key(), |a, b| a.min(b));
            let hi = lower.iter().map(|g| g.largest_user_key()).fold(f.largest_user_key(), |a, b| a.max(b));
            let o2: u64 = v.overlapping_files(level + 2, lo, hi).iter().map(|g| g.size).sum();
            let out = f.size + o1;
            let lookahead = (f.size as u128 * o2 as u128 / out.max(1) as u128) as u64;
            (o1 + lookahead) * 1024 / comp.size(f)
        })
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "refined-min-overlap",
    aliases: &["RefinedMOR", "refined-mor"],
    description: "kMinOverlappingRatio with one-step lookahead (beyond RocksDB): next-level overlap plus the file's share of the rewrite two levels down, per compensated byte",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(RefinedMinOverlap, o)),
};
