//! `oldest-smallest-seq`: RocksDB's leveled compaction with `compaction_pri
//! = kOldestSmallestSeqFirst`: in a level, the file holding the oldest data
//! goes first, so old data (and the garbage over it) reaches the bottom
//! sooner.

use std::sync::Arc;

use crate::compaction::level_compaction::{order_by, FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::version::Version;

/// kOldestSmallestSeqFirst.
#[derive(Debug, Clone, Copy, Default)]
pub struct OldestSmallestSeqFirst;

impl FilePriority for OldestSmallestSeqFirst {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, _: &Compensation) -> Vec<usize> {
        order_by(v.files(level), |f| f.smallest_seq)
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "oldest-smallest-seq",
    aliases: &["kOldestSmallestSeqFirst"],
    description: "RocksDB leveled, compaction_pri=kOldestSmallestSeqFirst: the file holding the oldest entry first",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(OldestSmallestSeqFirst, o)),
};
