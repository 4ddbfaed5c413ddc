//! `min-overlap`: leveled shape; in the chosen level, the file whose
//! overlapping bytes in the next level per byte of its own (compensated)
//! size are fewest (RocksDB's kMinOverlappingRatio).

use std::sync::Arc;

use crate::compaction::level_compaction::{FilePriority, LevelCompaction};
use crate::compaction::level_picker::{compensated_size, pick_file_by, LevelScore};
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::{Job, PickContext};
use crate::version::Version;

/// The file priority that minimizes the rewrite cost of each job.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinOverlap;

impl FilePriority for MinOverlap {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn pick_in_level(&self, v: &Version, ctx: &PickContext<'_>, s: LevelScore) -> Option<Job> {
        pick_file_by(v, ctx, s, |f| {
            let overlap: u64 = v
                .overlapping_files(s.level + 1, f.smallest_user_key(), f.largest_user_key())
                .iter()
                .map(|g| g.size)
                .sum();
            overlap as f64 / compensated_size(f).max(1) as f64
        })
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "min-overlap",
    aliases: &["minoverlap", "min-overlapping-ratio", "kMinOverlappingRatio"],
    description: "leveled shape; the file with the least next-level overlap per byte (RocksDB kMinOverlappingRatio)",
    params: &[],
    validate: no_relations,
    build: |_| Arc::new(LevelCompaction(MinOverlap)),
};
