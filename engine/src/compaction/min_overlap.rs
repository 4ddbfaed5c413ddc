//! `min-overlap`: leveled shape; in the chosen level, the file whose
//! overlapping bytes in the next level per byte of its own (compensated)
//! size are fewest (RocksDB's kMinOverlappingRatio).

use super::level_picker::{compensated_size, l0_job, levels_needing_work, pick_file_by};
use super::{Job, PickContext, Shape, Strategy};
use crate::version::Version;

/// Leveled compaction that minimizes the rewrite cost of each job.
#[derive(Debug, Clone, Copy, Default)]
pub struct MinOverlap;

impl Strategy for MinOverlap {
    fn name(&self) -> &'static str {
        "min-overlap"
    }

    fn shape(&self) -> Shape {
        Shape::Leveled
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        levels_needing_work(v, ctx).into_iter().find_map(|s| {
            if s.level == 0 {
                return l0_job(v, ctx, s);
            }
            pick_file_by(v, ctx, s, |f| {
                let overlap: u64 = v
                    .overlapping_files(s.level + 1, f.smallest_user_key(), f.largest_user_key())
                    .iter()
                    .map(|g| g.size)
                    .sum();
                overlap as f64 / compensated_size(f).max(1) as f64
            })
        })
    }
}
