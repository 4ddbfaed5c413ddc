//! `oldest-largest-seq`: RocksDB's leveled compaction with `compaction_pri
//! = kOldestLargestSeqFirst`: in a level, the file whose newest data is
//! oldest goes first (a key range not updated for a long time), which suits
//! updates concentrated on a small set of hot keys.

use std::sync::Arc;

use crate::compaction::level_compaction::{order_by, FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::version::Version;

/// kOldestLargestSeqFirst.
#[derive(Debug, Clone, Copy, Default)]
pub struct OldestLargestSeqFirst;

impl FilePriority for OldestLargestSeqFirst {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, _: &Compensation) -> Vec<usize> {
        order_by(v.files(level), |f| f.largest_seq)
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "oldest-largest-seq",
    aliases: &["kOldestLargestSeqFirst"],
    description: "RocksDB leveled, compaction_pri=kOldestLargestSeqFirst: the file whose newest entry is oldest first",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(OldestLargestSeqFirst, o)),
};
