//! `leveled`: the level with the highest score; in it, the file with the
//! largest tombstone-compensated size (RocksDB's kByCompensatedSize).

use super::level_picker::{compensated_size, l0_job, levels_needing_work, pick_file_by};
use super::{Job, PickContext, Shape, Strategy};
use crate::version::Version;

/// Classic leveled compaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Leveled;

impl Strategy for Leveled {
    fn name(&self) -> &'static str {
        "leveled"
    }

    fn shape(&self) -> Shape {
        Shape::Leveled
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        levels_needing_work(v, ctx).into_iter().find_map(|s| {
            if s.level == 0 {
                l0_job(v, ctx, s)
            } else {
                pick_file_by(v, ctx, s, |f| std::cmp::Reverse(compensated_size(f)))
            }
        })
    }
}
