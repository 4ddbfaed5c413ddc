//! `size-tiered`: sorted runs grouped in buckets of similar size; a bucket
//! with enough runs merges into one (Cassandra's STCS). Every run lives in
//! L0; outputs are split into files of `base_file_size`, one run.

use std::sync::Arc;

use crate::compaction::CostModel;
use crate::options::Options;
use crate::compaction::registry::PolicyDef;
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::error::{Error, Result};
use crate::params::{ParamDef, Unit, Value};
use crate::version::{SortedRun, Version};

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "size-tiered",
    aliases: &["tiered", "stcs", "universal-size-tiered"],
    description: "sorted runs bucketed by size; a bucket of min_threshold..max_threshold similar runs merges (Cassandra STCS)",
    params: &[MIN_THRESHOLD, MAX_THRESHOLD, BUCKET_LOW, BUCKET_HIGH, MIN_SSTABLE_SIZE],
    validate,
    build: |o| Arc::new(SizeTiered::new(o)),
};

/// Cassandra's STCS parameters, shared by the policies that bucket by size
/// as STCS does (TWCS in its newest window, ScyllaDB's ICS).
pub(super) const MIN_THRESHOLD: ParamDef = ParamDef::new("min_threshold", &[], Unit::Count, Value::Int(4), (2.0, 1024.0),
    "fewest similar-size runs a bucket needs to compact");
pub(super) const MAX_THRESHOLD: ParamDef = ParamDef::new("max_threshold", &[], Unit::Count, Value::Int(32), (2.0, 1024.0),
    "most runs in one compaction").note("at least min_threshold");
pub(super) const BUCKET_LOW: ParamDef = ParamDef::new("bucket_low", &[], Unit::Real, Value::Real(0.5), (0.001, 1.0),
    "a run joins a bucket at >= bucket_low x its average size");
pub(super) const BUCKET_HIGH: ParamDef = ParamDef::new("bucket_high", &[], Unit::Real, Value::Real(1.5), (1.0, f64::INFINITY),
    "... and <= bucket_high x its average size");
pub(super) const MIN_SSTABLE_SIZE: ParamDef = ParamDef::new("min_sstable_size", &[], Unit::Bytes, Value::Int(3 << 20), (0.0, 1099511627776.0),
    "runs below this share one bucket (Cassandra's 50 MiB scaled 16x down)");

/// The relations between the STCS parameters (`min_threshold` at most
/// `max_threshold`, `bucket_low` at most `bucket_high`).
pub(super) fn validate(o: &CompactionOptions) -> Result<()> {
    let (min, max) = (o.int("min_threshold"), o.int("max_threshold"));
    if max < min {
        return Err(Error::invalid_option(
            "max_threshold",
            max,
            format!("min_threshold ({min}) ..= 1024"),
        ));
    }
    let (low, high) = (o.real("bucket_low"), o.real("bucket_high"));
    if low > high {
        return Err(Error::invalid_option(
            "bucket_low",
            low,
            format!("at most bucket_high ({high})"),
        ));
    }
    Ok(())
}

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
    runs: Vec<Arc<SortedRun>>,
    /// INVARIANT: the mean size of `runs`.
    avg: f64,
}

impl SizeTiered {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        SizeTiered {
            min_threshold: o.int("min_threshold") as usize,
            max_threshold: o.int("max_threshold") as usize,
            bucket_low: o.real("bucket_low"),
            bucket_high: o.real("bucket_high"),
            min_sstable_size: o.int("min_sstable_size"),
        }
    }

    /// Groups runs, smallest first: a run joins the first bucket whose
    /// average it is within `bucket_low..=bucket_high` times of, or, when
    /// both are below `min_sstable_size`, the small-runs bucket.
    fn buckets(&self, mut runs: Vec<Arc<SortedRun>>) -> Vec<Bucket> {
        runs.sort_by(|a, b| a.bytes().cmp(&b.bytes()).then(a.id().cmp(&b.id())));
        let mut buckets: Vec<Bucket> = Vec::new();
        for run in runs {
            let size = run.bytes() as f64;
            let small = run.bytes() < self.min_sstable_size;
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

impl SizeTiered {
    /// Fewest similar-size runs a bucket needs to compact.
    pub(super) fn min_threshold(&self) -> usize {
        self.min_threshold
    }

    /// A strategy with explicit thresholds and bucket bounds (TWCS runs
    /// this within its newest window with its own parameters).
    pub(super) fn with(
        (min_threshold, max_threshold): (usize, usize),
        (bucket_low, bucket_high): (f64, f64),
        min_sstable_size: u64,
    ) -> Self {
        SizeTiered {
            min_threshold,
            max_threshold,
            bucket_low,
            bucket_high,
            min_sstable_size,
        }
    }

    /// Of the buckets of `runs` that reach `min_threshold`, the one of
    /// smallest runs (the cheapest merge that removes the most runs per
    /// byte): its oldest `max_threshold` runs, oldest first.
    pub(super) fn choose_bucket(&self, runs: Vec<Arc<SortedRun>>) -> Option<Vec<Arc<SortedRun>>> {
        let b = self
            .buckets(runs)
            .into_iter()
            .filter(|b| b.runs.len() >= self.min_threshold)
            .min_by(|a, b| a.avg.total_cmp(&b.avg))?;
        let mut chosen = b.runs;
        oldest_first(&mut chosen);
        chosen.truncate(self.max_threshold);
        Some(chosen)
    }
}

fn oldest_first(runs: &mut [Arc<SortedRun>]) {
    runs.sort_by(|a, b| {
        a.largest_seq()
            .cmp(&b.largest_seq())
            .then(a.id().cmp(&b.id()))
    });
}

impl Strategy for SizeTiered {
    fn name(&self) -> &str {
        POLICY.name
    }

    fn cost_model(&self, _options: &Options) -> CostModel {
        CostModel::Tiering {
            size_ratio: self.min_threshold as f64,
        }
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let runs: Vec<Arc<SortedRun>> = v
            .runs(0)
            .iter()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect();
        let total_runs = runs.len();
        let split = Some(ctx.options.base_file_size);
        if let Some(chosen) = self.choose_bucket(runs.clone()) {
            let n = chosen.len();
            let mut job = Job::on_l0_runs(
                JobKind::Merge,
                &chosen,
                Reason::SizeTieredBucket { runs: n },
                split,
            );
            job.bottommost = n == total_runs && v.sorted_runs() == total_runs;
            return Some(job);
        }
        if total_runs > self.max_threshold {
            let mut smallest = runs;
            smallest.sort_by(|a, b| a.bytes().cmp(&b.bytes()).then(a.id().cmp(&b.id())));
            smallest.truncate(self.min_threshold);
            oldest_first(&mut smallest);
            return Some(Job::on_l0_runs(
                JobKind::Merge,
                &smallest,
                Reason::TooManyRuns { runs: total_runs },
                split,
            ));
        }
        None
    }

    fn check_shape(&self, v: &Version) -> std::result::Result<(), String> {
        only_l0(self.name(), v)
    }
}

/// The tiered shape: every run in L0.
pub(crate) fn only_l0(policy: &str, v: &Version) -> std::result::Result<(), String> {
    match (1..v.num_levels()).find(|&l| !v.runs(l).is_empty()) {
        Some(level) => Err(format!("tiered policy {policy} left files in L{level}")),
        None => Ok(()),
    }
}
