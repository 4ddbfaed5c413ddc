//! `round-robin`: leveled shape; visits the levels that need work in turn
//! and, within a level, walks a cursor through the key space (LevelDB's
//! compact pointer, RocksDB's kRoundRobin). The cursor is persisted in the
//! manifest with each job.

use std::sync::Arc;

use crate::compaction::level_compaction::{FilePriority, LevelCompaction};
use crate::compaction::level_picker::{job_into_next_level, LevelScore};
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::{Job, PickContext};
use crate::key;
use crate::version::Version;

/// The file priority that spreads work evenly over levels and keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin;

impl FilePriority for RoundRobin {
    fn name(&self) -> &'static str {
        POLICY.name
    }

    /// Levels in order, starting after the one compacted last.
    fn order_levels(&self, levels: &mut Vec<LevelScore>, ctx: &PickContext<'_>) {
        levels.sort_by_key(|s| s.level);
        let after = ctx.last_level.map_or(0, |l| l + 1);
        let start = levels.iter().position(|s| s.level >= after).unwrap_or(0);
        levels.rotate_left(start);
    }

    /// The first file past the cursor, wrapping around to the start.
    fn pick_in_level(&self, v: &Version, ctx: &PickContext<'_>, s: LevelScore) -> Option<Job> {
        let files = v.files(s.level);
        let cursor = v.cursor(s.level).map(key::user_key);
        let start = cursor.map_or(0, |c| files.partition_point(|f| f.smallest_user_key() <= c));
        (start..files.len()).chain(0..start).find_map(|i| {
            let f = &files[i];
            let cursor_update = Some((s.level, f.largest.clone()));
            job_into_next_level(v, ctx, s.level, vec![f.clone()], s.reason(), cursor_update)
        })
    }
}

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "round-robin",
    aliases: &["roundrobin", "rr", "kRoundRobin"],
    description: "leveled shape; cycles through levels needing work and a key-space cursor within each (LevelDB compact pointer, RocksDB kRoundRobin)",
    params: &[],
    validate: no_relations,
    build: |_| Arc::new(LevelCompaction(RoundRobin)),
};
