//! `leveled`: RocksDB's leveled compaction with `compaction_pri =
//! kByCompensatedSize`: in a level, the file with the largest
//! tombstone-compensated size goes first.

use std::sync::Arc;

use crate::compaction::level_compaction::{order_by, FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::version::Version;

/// kByCompensatedSize.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leveled;

impl FilePriority for Leveled {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, comp: &Compensation) -> Vec<usize> {
        order_by(v.files(level), |f| std::cmp::Reverse(comp.size(f)))
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "leveled",
    aliases: &["level", "kByCompensatedSize", "kCompactionStyleLevel"],
    description: "RocksDB leveled, compaction_pri=kByCompensatedSize: the file with the largest tombstone-compensated size first",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(Leveled, o)),
};
