//! `lcs`: Cassandra's LeveledCompactionStrategy, as distinct from RocksDB's
//! leveled: fixed-size sstables (`sstable_size_in_mb`), level i >= 1 holding
//! `fanout_size`^i of them, L0 promoted only once a full sstable's worth of
//! overlapping data has gathered, and STCS within L0 when L0 falls behind.
//!
//! Rules (LeveledManifest), in the engine's terms:
//! - Levels from the deepest scored one up to L1 are checked first: one whose
//!   bytes exceed 1.001 x `fanout_size`^i x `sstable_size_in_mb` compacts the
//!   next file past its cursor (where the last compaction of the level
//!   ended, wrapping) with the files it overlaps in the next level. Before
//!   that, when L0 holds more than 32 files (Cassandra's
//!   MAX_COMPACTING_L0), a size-tiered bucket of L0 runs (STCS with its
//!   default thresholds) merges within L0.
//! - Then L0: its files, oldest first, each bringing the L0 files it
//!   overlaps, up to 32; when they hold at least one sstable's worth of
//!   bytes they merge with the L1 files they overlap into L1 (a lone file
//!   meeting nothing moves); under that, L0 waits.
//! - Outputs are cut at `sstable_size_in_mb`. The deepest level is never
//!   scored: it has nowhere to go.

use std::sync::Arc;

use super::size_tiered::SizeTiered;
use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::registry::{no_relations, PolicyDef};
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::key;
use crate::options::Options;
use crate::params::{ParamDef, Unit, Value};
use crate::version::{FileMeta, Version};

/// Cassandra's MAX_COMPACTING_L0: the most L0 files one job takes, and the
/// L0 count above which STCS runs in L0.
const MAX_COMPACTING_L0: usize = 32;

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "lcs",
    aliases: &["cassandra-leveled", "LeveledCompactionStrategy"],
    description: "Cassandra's LCS: sstables of sstable_size_in_mb, level i holding fanout_size^i of them, L0 promoted a full sstable's worth at a time, STCS in L0 when it falls behind",
    params: &[
        ParamDef::new("sstable_size_in_mb", &[], Unit::Count, Value::Int(10), (1.0, 1048576.0),
            "sstable size, in MiB (Cassandra's 160 scaled 16x down)"),
        ParamDef::new("fanout_size", &[], Unit::Count, Value::Int(10), (2.0, 1000.0),
            "each level holds this many times the sstables of the previous"),
    ],
    validate: no_relations,
    build: |o| Arc::new(Lcs::new(o)),
};

/// Cassandra's leveled compaction.
#[derive(Debug, Clone)]
pub struct Lcs {
    sstable_bytes: u64,
    fanout: u64,
    /// STCS with Cassandra's defaults, for L0 when it falls behind.
    stcs: SizeTiered,
}

impl Lcs {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        let defaults = CompactionOptions::named("size-tiered").expect("size-tiered is built in");
        Lcs {
            sstable_bytes: o.int("sstable_size_in_mb") << 20,
            fanout: o.int("fanout_size"),
            stcs: SizeTiered::new(&defaults),
        }
    }

    /// The most bytes level `level` >= 1 holds before it compacts.
    fn max_bytes(&self, level: usize) -> f64 {
        (self.fanout as f64).powi(level as i32) * self.sstable_bytes as f64
    }

    /// Cuts a job's outputs at the sstable size, without a grandparent cut.
    fn sized(&self, mut job: Job) -> Job {
        job.max_output_file_size = Some(self.sstable_bytes);
        job.max_grandparent_files = None;
        job
    }

    /// STCS among the idle L0 runs, output in L0.
    fn stcs_in_l0(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let idle: Vec<_> = v
            .runs(0)
            .iter()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect();
        let chosen = self.stcs.choose_bucket(idle)?;
        let reason = Reason::SizeTieredBucket { runs: chosen.len() };
        Some(Job::on_l0_runs(JobKind::Merge, &chosen, reason, Some(self.sstable_bytes)))
    }

    /// The L0 candidates: oldest first, each with the L0 files it overlaps,
    /// at most 32 (the oldest); empty when busy files are in the way or they
    /// hold less than one sstable's worth.
    fn l0_candidates(&self, v: &Version, ctx: &PickContext<'_>) -> Vec<Arc<FileMeta>> {
        let mut remaining: Vec<Arc<FileMeta>> = v.files(0).to_vec();
        remaining.sort_by_key(|f| (f.largest_seq, f.number));
        let busy = |f: &FileMeta| ctx.busy.contains(&f.number);
        let mut candidates: Vec<Arc<FileMeta>> = Vec::new();
        while let Some(f) = remaining.first().cloned() {
            let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
            let group: Vec<Arc<FileMeta>> = remaining
                .iter()
                .filter(|g| g.number == f.number || g.overlaps(lo, hi))
                .cloned()
                .collect();
            remaining.retain(|g| !group.iter().any(|x| x.number == g.number));
            // A group that meets a file being compacted waits.
            if group.iter().any(|g| busy(g)) {
                continue;
            }
            candidates.extend(group);
            if candidates.len() > MAX_COMPACTING_L0 {
                candidates.sort_by_key(|f| (f.largest_seq, f.number));
                candidates.truncate(MAX_COMPACTING_L0);
                break;
            }
        }
        let bytes: u64 = candidates.iter().map(|f| f.size).sum();
        if bytes < self.sstable_bytes {
            return Vec::new();
        }
        candidates
    }
}

/// LeveledManifest's choice in a level: the first file past the level's
/// cursor (where its last compaction ended), wrapping around, whose job can
/// run now.
fn past_cursor(v: &Version, ctx: &PickContext<'_>, level: usize, reason: Reason) -> Option<Job> {
    let files = v.files(level);
    let cursor = v.cursor(level).map(key::user_key);
    let start = cursor.map_or(0, |c| files.partition_point(|f| f.smallest_user_key() <= c));
    (start..files.len()).chain(0..start).find_map(|i| {
        let f = &files[i];
        let cursor_update = Some((level, f.largest.clone()));
        into_next_level(v, ctx, level, vec![f.clone()], reason, cursor_update)
    })
}

/// The job taking `upper` (files of `level`) into `level + 1` with every
/// file it overlaps there: a move when a single file meets nothing below.
/// `None` when a needed file is busy.
fn into_next_level(
    v: &Version,
    ctx: &PickContext<'_>,
    level: usize,
    upper: Vec<Arc<FileMeta>>,
    reason: Reason,
    cursor_update: Option<(usize, Vec<u8>)>,
) -> Option<Job> {
    let busy = |files: &[Arc<FileMeta>]| files.iter().any(|f| ctx.busy.contains(&f.number));
    if upper.is_empty() || busy(&upper) {
        return None;
    }
    let output_level = level + 1;
    let lo = upper.iter().map(|f| f.smallest_user_key()).min()?.to_vec();
    let hi = upper.iter().map(|f| f.largest_user_key()).max()?.to_vec();
    let lower = v.overlapping_files(output_level, &lo, &hi);
    if busy(&lower) {
        return None;
    }
    let kind = match upper.len() == 1 && lower.is_empty() {
        true => JobKind::TrivialMove,
        false => JobKind::Merge,
    };
    let mut inputs = job_inputs_by_run(v, level, &upper);
    inputs.extend(job_inputs_by_run(v, output_level, &lower));
    let lo = lower.iter().map(|f| f.smallest_user_key()).fold(lo.as_slice(), |a, b| a.min(b)).to_vec();
    let hi = lower.iter().map(|f| f.largest_user_key()).fold(hi.as_slice(), |a, b| a.max(b)).to_vec();
    let bottommost =
        (output_level + 1..v.num_levels()).all(|l| v.overlapping_files(l, &lo, &hi).is_empty());
    Some(Job {
        kind,
        inputs,
        output_level,
        output_run: Some(
            v.runs(output_level)
                .first()
                .map_or(crate::version::LEVEL_RUN, |r| r.id()),
        ),
        reason,
        bottommost,
        max_output_file_size: Some(ctx.options.base_file_size),
        max_grandparent_files: None,
        output_cut: None,
        cursor_update,
        split_points: Vec::new(),
    })
}

impl Strategy for Lcs {
    fn name(&self) -> &str {
        POLICY.name
    }

    /// Cassandra does not stall writes on the L0 count; L0 gathers a full
    /// sstable's worth by design.
    fn stalls_on_l0_files(&self) -> bool {
        false
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let idle_bytes = |level: usize| -> u64 {
            v.files(level)
                .iter()
                .filter(|f| !ctx.busy.contains(&f.number))
                .map(|f| f.size)
                .sum()
        };
        for level in (1..v.num_levels().saturating_sub(1)).rev() {
            let score = idle_bytes(level) as f64 / self.max_bytes(level);
            if score <= 1.001 {
                continue;
            }
            if v.files(0).len() > MAX_COMPACTING_L0 {
                if let Some(job) = self.stcs_in_l0(v, ctx) {
                    return Some(job);
                }
            }
            let reason = Reason::LevelSize { level, score };
            if let Some(job) = past_cursor(v, ctx, level, reason) {
                return Some(self.sized(job));
            }
        }
        let candidates = self.l0_candidates(v, ctx);
        if candidates.is_empty() {
            return if v.files(0).len() > MAX_COMPACTING_L0 {
                self.stcs_in_l0(v, ctx)
            } else {
                None
            };
        }
        let score = v.files(0).len() as f64 / MAX_COMPACTING_L0 as f64;
        let reason = Reason::L0FileCount { score };
        into_next_level(v, ctx, 0, candidates, reason, None).map(|j| self.sized(j))
    }

    /// Levels >= 1: bytes over their maximum; L0: files over 32.
    fn level_score(&self, v: &Version, _o: &Options, level: usize) -> Option<f64> {
        match level {
            0 => Some(v.files(0).len() as f64 / MAX_COMPACTING_L0 as f64),
            l if l + 1 < v.num_levels() => Some(v.level_bytes(l) as f64 / self.max_bytes(l)),
            _ => None,
        }
    }

    /// One sorted run per level below L0.
    fn check_shape(&self, v: &Version) -> Result<(), String> {
        match (1..v.num_levels()).find(|&l| v.runs(l).len() > 1) {
            Some(l) => Err(format!(
                "policy lcs left {} sorted runs in L{l}",
                v.runs(l).len()
            )),
            None => Ok(()),
        }
    }
}
