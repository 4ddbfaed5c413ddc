//! `round-robin`: leveled shape; visits the levels that need work in turn
//! and, within a level, walks a cursor through the key space (LevelDB's
//! compact pointer, RocksDB's kRoundRobin). The cursor is persisted in the
//! manifest with each job.

use super::level_picker::{job_into_next_level, l0_job, levels_needing_work, LevelScore};
use super::{Job, PickContext, Shape, Strategy};
use crate::key;
use crate::version::Version;

/// Leveled compaction that spreads work evenly over levels and keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundRobin;

impl RoundRobin {
    fn pick_in_level(v: &Version, ctx: &PickContext<'_>, s: LevelScore) -> Option<Job> {
        let files = v.files(s.level);
        let cursor = v.cursor(s.level).map(key::user_key);
        // The first file past the cursor, wrapping around to the start.
        let start = cursor.map_or(0, |c| files.partition_point(|f| f.smallest_user_key() <= c));
        (start..files.len()).chain(0..start).find_map(|i| {
            let f = &files[i];
            let cursor_update = Some((s.level, f.largest.clone()));
            job_into_next_level(v, ctx, s.level, vec![f.clone()], s.reason(), cursor_update)
        })
    }
}

impl Strategy for RoundRobin {
    fn name(&self) -> &'static str {
        "round-robin"
    }

    fn shape(&self) -> Shape {
        Shape::Leveled
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let mut levels = levels_needing_work(v, ctx);
        // Visit levels in order, starting after the one compacted last.
        levels.sort_by_key(|s| s.level);
        let after = ctx.last_level.map_or(0, |l| l + 1);
        let start = levels.iter().position(|s| s.level >= after).unwrap_or(0);
        levels.rotate_left(start);
        levels.into_iter().find_map(|s| {
            if s.level == 0 {
                l0_job(v, ctx, s)
            } else {
                Self::pick_in_level(v, ctx, s)
            }
        })
    }
}
