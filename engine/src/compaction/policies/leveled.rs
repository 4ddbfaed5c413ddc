//! `leveled`: the level with the highest score; in it, the file with the
//! largest tombstone-compensated size (RocksDB's kByCompensatedSize).

use std::sync::Arc;

use crate::compaction::level_compaction::{FilePriority, LevelCompaction};
use crate::compaction::level_picker::{compensated_size, pick_file_by, LevelScore};
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::{Job, PickContext};
use crate::version::Version;

/// The file priority of classic leveled compaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leveled;

impl FilePriority for Leveled {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn pick_in_level(&self, v: &Version, ctx: &PickContext<'_>, s: LevelScore) -> Option<Job> {
        pick_file_by(v, ctx, s, |f| std::cmp::Reverse(compensated_size(f)))
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "leveled",
    aliases: &["level", "kByCompensatedSize", "kCompactionStyleLevel"],
    description: "levels by score; in the level, the file with the largest tombstone-compensated size (RocksDB kByCompensatedSize)",
    params: &[],
    validate: no_relations,
    build: |_| Arc::new(LevelCompaction(Leveled)),
};
