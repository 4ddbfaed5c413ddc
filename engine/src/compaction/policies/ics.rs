//! `ics`: ScyllaDB's Incremental Compaction Strategy. Size-tiered over
//! sorted runs made of fixed-size fragments (`sstable_size_in_mb`), with
//! ScyllaDB's bucketing and a space-amplification goal (SAG): when no tier
//! needs work and the two largest tiers S0, S1 have (S0 + S1) / S0 above the
//! goal, they compact together, so data duplicated across the largest tiers
//! is merged away before it piles up.
//!
//! Rules, in the engine's terms:
//! - Runs sorted by size go to buckets: a run joins the last bucket when its
//!   size is strictly between `bucket_low` and `bucket_high` times the
//!   bucket's average, or both are under `min_sstable_size`, and the
//!   bucket's smallest run stays above `bucket_low` times the new average.
//! - The bucket with the most runs (cut to the `max_threshold` smallest)
//!   among those with `min_threshold` runs compacts; unless
//!   `compaction_enforce_min_threshold`, a bucket of two does when none
//!   has `min_threshold` (ScyllaDB's default).
//! - The space goal (`space_amplification_goal`, 0: off) is tried only when
//!   no same-tier job qualifies and no other job runs: the two buckets of
//!   largest average size are S0 and S1.
//! - Every run lives in L0; outputs are split into `sstable_size_in_mb`
//!   fragments, one run.
//!
//! Temporary space: as ScyllaDB, each output fragment is installed when it
//! is sealed and each input fragment is deleted as soon as the merge has
//! passed its last key (`Strategy::releases_inputs_early`; the engine's
//! `db/release.rs`), so a merge needs about one fragment per input run
//! beyond its inputs, where STCS's holds a whole second copy until it ends.
//! Jobs with blob references or range tombstones install at their end.

use std::sync::Arc;

use crate::compaction::CostModel;
use crate::options::Options;
use super::size_tiered::{
    only_l0, BUCKET_HIGH, BUCKET_LOW, MAX_THRESHOLD, MIN_SSTABLE_SIZE, MIN_THRESHOLD,
};
use crate::compaction::registry::PolicyDef;
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::error::{Error, Result};
use crate::params::{ParamDef, Unit, Value};
use crate::version::{SortedRun, Version};

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "ics",
    aliases: &["incremental", "IncrementalCompactionStrategy"],
    description: "ScyllaDB's ICS: size-tiered over runs of sstable_size_in_mb fragments; with space_amplification_goal, the two largest tiers merge when (S0+S1)/S0 exceeds it",
    params: &[
        ParamDef::new("sstable_size_in_mb", &[], Unit::Real, Value::Real(64.0), (0.015625, 1048576.0),
            "fragment size of a run, in MiB (ScyllaDB's 1000 scaled 16x down)")
            .note("fractions for small labs: 0.0625 = 64 KiB"),
        MIN_THRESHOLD,
        MAX_THRESHOLD,
        BUCKET_LOW,
        BUCKET_HIGH,
        MIN_SSTABLE_SIZE,
        ParamDef::new("space_amplification_goal", &["SAG"], Unit::Real, Value::Real(0.0), (0.0, 2.0),
            "merge the two largest tiers when (S0+S1)/S0 exceeds this").note("0: off; else above 1"),
        ParamDef::new("compaction_enforce_min_threshold", &[], Unit::Flag, Value::Flag(false), (0.0, 1.0),
            "when false, a bucket of two runs compacts once no bucket reaches min_threshold"),
        ParamDef::new("release_inputs_early", &[], Unit::Flag, Value::Flag(true), (0.0, 1.0),
            "install each sealed output fragment and delete the input fragments the merge has passed (lsmlab's switch: false holds inputs and outputs to the job's end, as STCS, to measure what the release saves)"),
    ],
    validate,
    build: |o| Arc::new(Ics::new(o)),
};

fn validate(o: &CompactionOptions) -> Result<()> {
    super::size_tiered::validate(o)?;
    let sag = o.real("space_amplification_goal");
    if sag != 0.0 && sag <= 1.0 {
        return Err(Error::invalid_option(
            "space_amplification_goal",
            sag,
            "0 (off) or above 1 up to 2",
        ));
    }
    Ok(())
}

/// Incremental compaction.
#[derive(Debug, Clone)]
pub struct Ics {
    fragment_bytes: u64,
    min_threshold: usize,
    max_threshold: usize,
    bucket_low: f64,
    bucket_high: f64,
    min_sstable_size: u64,
    /// `None`: off.
    space_amplification_goal: Option<f64>,
    enforce_min_threshold: bool,
    release_inputs_early: bool,
}

/// Runs of one tier, by increasing size.
type Bucket = Vec<Arc<SortedRun>>;

fn total(bucket: &[Arc<SortedRun>]) -> u64 {
    bucket.iter().map(|r| r.bytes()).sum()
}

fn average(bucket: &[Arc<SortedRun>]) -> u64 {
    total(bucket) / (bucket.len() as u64).max(1)
}

impl Ics {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        let sag = o.real("space_amplification_goal");
        Ics {
            fragment_bytes: (o.real("sstable_size_in_mb") * (1u64 << 20) as f64) as u64,
            min_threshold: o.int("min_threshold") as usize,
            max_threshold: o.int("max_threshold") as usize,
            bucket_low: o.real("bucket_low"),
            bucket_high: o.real("bucket_high"),
            min_sstable_size: o.int("min_sstable_size"),
            space_amplification_goal: (sag > 1.0).then_some(sag),
            enforce_min_threshold: o.flag("compaction_enforce_min_threshold"),
            release_inputs_early: o.flag("release_inputs_early"),
        }
    }

    /// ScyllaDB's tiers: runs by size, each joining the last bucket or
    /// opening one.
    fn buckets(&self, mut runs: Vec<Arc<SortedRun>>) -> Vec<Bucket> {
        runs.sort_by_key(|r| (r.bytes(), r.id()));
        let small = |size: f64| size < self.min_sstable_size as f64;
        let mut buckets: Vec<(Bucket, f64)> = Vec::new();
        for run in runs {
            let size = run.bytes() as f64;
            if let Some((bucket, avg)) = buckets.last_mut() {
                let similar = size > *avg * self.bucket_low && size < *avg * self.bucket_high;
                if similar || (small(size) && small(*avg)) {
                    let n = bucket.len() as f64;
                    let new_avg = (*avg * n + size) / (n + 1.0);
                    let smallest = bucket[0].bytes() as f64;
                    // The average drifts up as runs join in size order: a
                    // run may not push the smallest out of range.
                    if small(size) || smallest > new_avg * self.bucket_low {
                        bucket.push(run);
                        *avg = new_avg;
                        continue;
                    }
                }
            }
            buckets.push((vec![run], size));
        }
        buckets.into_iter().map(|(b, _)| b).collect()
    }

    /// The bucket with the most runs among those with at least `min` (each
    /// cut to its `max_threshold` smallest); the first of equals.
    fn most_interesting(&self, buckets: &[Bucket], min: usize) -> Option<Bucket> {
        let mut best: Option<Bucket> = None;
        for b in buckets {
            let b: Bucket = b.iter().take(self.max_threshold).cloned().collect();
            if b.len() >= min && best.as_ref().is_none_or(|x| b.len() > x.len()) {
                best = Some(b);
            }
        }
        best
    }

    /// The two largest tiers merged, when they exceed the goal.
    fn space_goal_job(&self, buckets: &[Bucket]) -> Option<(Bucket, f64)> {
        let goal = self.space_amplification_goal?;
        let mut by_avg: Vec<&Bucket> = buckets.iter().collect();
        by_avg.sort_by_key(|b| std::cmp::Reverse(average(b)));
        let [s0, s1, ..] = by_avg[..] else {
            return None;
        };
        let (a, b) = (total(s0) as f64, total(s1) as f64);
        let ratio = (a + b) / a;
        (ratio > goal).then(|| (s0.iter().chain(s1).cloned().collect(), ratio))
    }

    fn job(&self, mut runs: Bucket, reason: Reason, all_runs: usize) -> Job {
        runs.sort_by_key(|r| (r.largest_seq(), r.id()));
        let mut job = Job::on_l0_runs(JobKind::Merge, &runs, reason, Some(self.fragment_bytes));
        job.bottommost = runs.len() == all_runs;
        job
    }
}

impl Strategy for Ics {
    fn name(&self) -> &str {
        POLICY.name
    }

    /// Tiering with the fanout the merges have: `min_threshold` runs at a
    /// time when it is enforced; else two, since a bucket of two merges as
    /// soon as no bucket reaches `min_threshold` (ScyllaDB's default), so
    /// runs pair up as they arrive, a binary counter.
    fn cost_model(&self, _options: &Options) -> CostModel {
        let fanout = if self.enforce_min_threshold {
            self.min_threshold
        } else {
            2
        };
        CostModel::Tiering {
            size_ratio: fanout as f64,
        }
    }

    /// ScyllaDB releases each input fragment once the merge has passed it.
    fn releases_inputs_early(&self) -> bool {
        self.release_inputs_early
    }

    /// ScyllaDB throttles on compaction backlog, not on sstable counts.
    fn l0_delay_trigger_count(&self, _version: &Version) -> Option<usize> {
        None
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let idle: Vec<Arc<SortedRun>> = v
            .runs(0)
            .iter()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect();
        let all_runs = v.sorted_runs();
        let buckets = self.buckets(idle);
        let same_tier = self.most_interesting(&buckets, self.min_threshold).or_else(|| {
            (!self.enforce_min_threshold)
                .then(|| self.most_interesting(&buckets, 2))
                .flatten()
        });
        if let Some(b) = same_tier {
            let reason = Reason::SizeTieredBucket { runs: b.len() };
            return Some(self.job(b, reason, all_runs));
        }
        if !ctx.busy.is_empty() {
            return None;
        }
        let (runs, ratio) = self.space_goal_job(&buckets)?;
        Some(self.job(runs, Reason::SpaceAmpGoal { ratio }, all_runs))
    }

    fn check_shape(&self, v: &Version) -> std::result::Result<(), String> {
        only_l0(self.name(), v)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_space_goal_of_one_or_less_is_refused_with_its_range() {
        let mut o = crate::Options::default();
        o.set("policy", "ics").unwrap();
        for bad in ["1", "0.5", "2.5"] {
            let e = o.set("SAG", bad).unwrap_err().to_string();
            assert!(e.contains("space_amplification_goal"), "{e}");
        }
        o.set("space_amplification_goal", "1.5").unwrap();
        o.set("space_amplification_goal", "0").unwrap();
    }
}
