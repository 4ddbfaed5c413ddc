//! `round-robin`: RocksDB's leveled compaction with `compaction_pri =
//! kRoundRobin`: levels by score; in a level, files in key order from a
//! cursor persisted in the manifest (the smallest key of the file after the
//! last job's inputs), the job growing over the next files while the level
//! stays over its target and the job within `max_compaction_bytes`;
//! outputs split at the output level's cursor.

use std::sync::Arc;

use crate::compaction::level_compaction::{order_by, FilePriority, LevelCompaction, LEVELED_PARAMS};
use crate::compaction::level_scores::Compensation;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::PickContext;
use crate::key;
use crate::version::{user_keys_disjoint, Version};

/// kRoundRobin.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin;

impl FilePriority for RoundRobin {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    /// L0 with overlapping files: oldest data first. Otherwise key order,
    /// starting at the first file whose smallest key is at or past the
    /// cursor (RocksDB's `SortFileByRoundRobin`).
    fn order_files(&self, v: &Version, level: usize, _: &PickContext<'_>, _: &Compensation) -> Vec<usize> {
        let files = v.files(level);
        if level == 0 && !user_keys_disjoint(v.files(0)) {
            return order_by(files, |f| f.smallest_seq);
        }
        let mut order = order_by(files, |_| ());
        if level == 0 {
            order.sort_by(|&a, &b| key::compare_internal(&files[a].smallest, &files[b].smallest));
        }
        if let Some(cursor) = v.cursor(level).filter(|_| order.len() > 1) {
            let at = order.partition_point(|&i| key::compare_internal(cursor, &files[i].smallest).is_gt());
            if at != 0 && at != order.len() {
                order.rotate_left(at);
            }
        }
        order
    }

    fn round_robin(&self) -> bool {
        true
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "round-robin",
    aliases: &["roundrobin", "rr", "kRoundRobin"],
    description: "RocksDB leveled, compaction_pri=kRoundRobin: levels by score; in a level, a key cursor persisted in the manifest, jobs grown over consecutive files",
    params: LEVELED_PARAMS,
    validate: no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(RoundRobin, o)),
};
