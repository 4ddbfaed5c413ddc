//! `size-tiered`: sorted runs grouped in buckets of similar size; a bucket
//! with enough runs merges into one (Cassandra's STCS). Every run is one L0
//! file; outputs are never split.

use std::sync::Arc;

use super::{CompactionOptions, Job, JobKind, PickContext, Reason, Shape, Strategy};
use crate::version::{FileMeta, Version};

/// Size-tiered compaction.
#[derive(Debug, Clone)]
pub struct SizeTiered {
    min_threshold: usize,
    max_threshold: usize,
    bucket_low: f64,
    bucket_high: f64,
    min_sstable_size: u64,
}

/// Runs of similar size.
#[derive(Debug)]
struct Bucket {
    runs: Vec<Arc<FileMeta>>,
    /// INVARIANT: the mean size of `runs`.
    avg: f64,
}

impl SizeTiered {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        SizeTiered {
            min_threshold: o.min_threshold,
            max_threshold: o.max_threshold,
            bucket_low: o.bucket_low,
            bucket_high: o.bucket_high,
            min_sstable_size: o.min_sstable_size,
        }
    }

    /// Groups runs, smallest first: a run joins the first bucket whose
    /// average it is within `bucket_low..=bucket_high` times of, or, when
    /// both are below `min_sstable_size`, the small-runs bucket.
    fn buckets(&self, mut runs: Vec<Arc<FileMeta>>) -> Vec<Bucket> {
        runs.sort_by(|a, b| a.size.cmp(&b.size).then(a.number.cmp(&b.number)));
        let mut buckets: Vec<Bucket> = Vec::new();
        for run in runs {
            let size = run.size as f64;
            let small = run.size < self.min_sstable_size;
            let home = buckets.iter_mut().find(|b| {
                (size >= b.avg * self.bucket_low && size <= b.avg * self.bucket_high)
                    || (small && b.avg < self.min_sstable_size as f64)
            });
            match home {
                Some(b) => {
                    let n = b.runs.len() as f64;
                    b.avg = (b.avg * n + size) / (n + 1.0);
                    b.runs.push(run);
                }
                None => buckets.push(Bucket {
                    runs: vec![run],
                    avg: size,
                }),
            }
        }
        buckets
    }
}

fn oldest_first(runs: &mut [Arc<FileMeta>]) {
    runs.sort_by(|a, b| {
        a.largest_seq
            .cmp(&b.largest_seq)
            .then(a.number.cmp(&b.number))
    });
}

impl Strategy for SizeTiered {
    fn name(&self) -> &'static str {
        "size-tiered"
    }

    fn shape(&self) -> Shape {
        Shape::Tiered
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let runs: Vec<Arc<FileMeta>> = v
            .files(0)
            .iter()
            .filter(|f| !ctx.busy.contains(&f.number))
            .cloned()
            .collect();
        let total_runs = runs.len();
        let buckets = self.buckets(runs.clone());
        // Of the buckets that qualify, the one of smallest runs: the cheapest
        // merge that removes the most runs per byte.
        if let Some(b) = buckets
            .into_iter()
            .filter(|b| b.runs.len() >= self.min_threshold)
            .min_by(|a, b| a.avg.total_cmp(&b.avg))
        {
            let mut chosen = b.runs;
            oldest_first(&mut chosen);
            chosen.truncate(self.max_threshold);
            let n = chosen.len();
            let mut job =
                Job::on_l0_runs(JobKind::Merge, chosen, Reason::SizeTieredBucket { runs: n });
            job.bottommost = n == total_runs && v.total_files() == total_runs;
            return Some(job);
        }
        if total_runs > self.max_threshold {
            let mut smallest = runs;
            smallest.sort_by(|a, b| a.size.cmp(&b.size).then(a.number.cmp(&b.number)));
            smallest.truncate(self.min_threshold);
            oldest_first(&mut smallest);
            return Some(Job::on_l0_runs(
                JobKind::Merge,
                smallest,
                Reason::TooManyRuns { runs: total_runs },
            ));
        }
        None
    }
}
