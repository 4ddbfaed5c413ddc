//! `min-overlap`: RocksDB's leveled compaction with `compaction_pri =
//! kMinOverlappingRatio` (RocksDB's default): in a level, the file whose
//! overlapping bytes in the next level per byte of its own compensated
//! size are fewest goes first, ties to the smaller key.

use std::sync::Arc;

use crate::compaction::level_compaction::{FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::key;
use crate::version::{FileMeta, Version};

/// kMinOverlappingRatio.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinOverlap;

/// For each file of `level` (in the level's order), the bytes of `level +
/// 1` it overlaps, as RocksDB's `SortFileByOverlappingRatio` counts them: one
/// cursor through the next level, moving forward only (in L0, whose files
/// are not sorted by key, that undercounts as RocksDB does).
pub fn next_level_overlap(v: &Version, level: usize) -> Vec<u64> {
    let next = v.files(level + 1);
    let mut it = 0;
    v.files(level)
        .iter()
        .map(|f| {
            while it < next.len() && key::compare_internal(&next[it].largest, &f.smallest).is_lt() {
                it += 1;
            }
            let mut bytes = 0;
            while it < next.len() && key::compare_internal(&next[it].smallest, &f.largest).is_lt() {
                bytes += next[it].size;
                if key::compare_internal(&next[it].largest, &f.largest).is_gt() {
                    break;
                }
                it += 1;
            }
            bytes
        })
        .collect()
}

/// Indexes of `level`'s files by `cost(file, next-level overlap)` (lower
/// first), ties to the smaller smallest key, as RocksDB's partial sort.
pub fn order_by_overlap_cost(v: &Version, level: usize, cost: impl Fn(&FileMeta, u64) -> u64) -> Vec<usize> {
    let files = v.files(level);
    let score: Vec<u64> = files
        .iter()
        .zip(next_level_overlap(v, level))
        .map(|(f, o)| cost(f, o))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| {
        score[a]
            .cmp(&score[b])
            .then_with(|| key::compare_internal(&files[a].smallest, &files[b].smallest))
    });
    order
}

impl FilePriority for MinOverlap {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, comp: &Compensation) -> Vec<usize> {
        order_by_overlap_cost(v, level, |f, overlap| overlap * 1024 / comp.size(f))
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "min-overlap",
    aliases: &["minoverlap", "min-overlapping-ratio", "kMinOverlappingRatio"],
    description: "RocksDB leveled, compaction_pri=kMinOverlappingRatio (RocksDB's default): the file with the least next-level overlap per compensated byte first",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(MinOverlap, o)),
};
