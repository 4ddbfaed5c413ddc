//! What the leveled-shape policies share: level scores, and turning a chosen
//! file into a job with its next-level overlaps. The policies differ only in
//! which level and which file they choose.

use std::sync::Arc;

use super::{Job, JobInput, JobKind, PickContext, Reason};
use crate::version::{FileMeta, Version};

/// Grandparent files an output may overlap before it is cut (LevelDB's 10).
pub(crate) const MAX_GRANDPARENT_FILES: usize = 10;

/// A level that needs compaction and how badly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelScore {
    pub level: usize,
    pub score: f64,
}

impl LevelScore {
    pub fn reason(&self) -> Reason {
        if self.level == 0 {
            Reason::L0FileCount { score: self.score }
        } else {
            Reason::LevelSize {
                level: self.level,
                score: self.score,
            }
        }
    }
}

/// Levels whose score is at least 1, highest score first (ties: shallower
/// level first). L0: files / `l0_file_limit`; Ln: bytes / target. The last
/// level is never scored: there is nowhere to compact it to. Busy files do
/// not count.
pub fn levels_needing_work(v: &Version, ctx: &PickContext<'_>) -> Vec<LevelScore> {
    let idle = |f: &&Arc<FileMeta>| !ctx.busy.contains(&f.number);
    let mut out = Vec::new();
    let l0 = v.files(0).iter().filter(idle).count();
    let s0 = l0 as f64 / ctx.options.l0_file_limit as f64;
    if s0 >= 1.0 {
        out.push(LevelScore {
            level: 0,
            score: s0,
        });
    }
    for level in 1..v.num_levels().saturating_sub(1) {
        let bytes: u64 = v.files(level).iter().filter(idle).map(|f| f.size).sum();
        let score = bytes as f64 / ctx.options.level_target_bytes(level) as f64;
        if score > 1.0 {
            out.push(LevelScore { level, score });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.level.cmp(&b.level)));
    out
}

/// A file's size with tombstones weighted extra, so files full of deletes
/// compact sooner (as RocksDB's compensated file size).
pub fn compensated_size(f: &FileMeta) -> u64 {
    let avg_entry = f.size / f.entries.max(1);
    f.size + 2 * f.tombstones * avg_entry
}

fn any_busy(files: &[Arc<FileMeta>], ctx: &PickContext<'_>) -> bool {
    files.iter().any(|f| ctx.busy.contains(&f.number))
}

/// True when no level below `output_level` holds keys in `[lo, hi]`.
fn is_bottommost(v: &Version, output_level: usize, lo: &[u8], hi: &[u8]) -> bool {
    (output_level + 1..v.num_levels()).all(|l| v.overlapping_files(l, lo, hi).is_empty())
}

fn key_range(files: &[Arc<FileMeta>]) -> (Vec<u8>, Vec<u8>) {
    let lo = files
        .iter()
        .map(|f| f.smallest_user_key())
        .min()
        .unwrap_or_default();
    let hi = files
        .iter()
        .map(|f| f.largest_user_key())
        .max()
        .unwrap_or_default();
    (lo.to_vec(), hi.to_vec())
}

/// `files` (all of `level`) grouped into job inputs by the run that holds
/// them, in the level's run order.
pub fn job_inputs_by_run(v: &Version, level: usize, files: &[Arc<FileMeta>]) -> Vec<JobInput> {
    let wanted: std::collections::HashSet<u64> = files.iter().map(|f| f.number).collect();
    v.runs(level)
        .iter()
        .filter_map(|run| {
            let files: Vec<Arc<FileMeta>> = run
                .files()
                .iter()
                .filter(|f| wanted.contains(&f.number))
                .cloned()
                .collect();
            (!files.is_empty()).then(|| JobInput {
                level,
                run: run.id(),
                files,
            })
        })
        .collect()
}

/// Builds the job that takes `upper` (files of `level`) into `level + 1`
/// with every overlapping file there: a trivial move when a single file
/// meets nothing below. `None` when a needed file is busy.
pub fn job_into_next_level(
    v: &Version,
    ctx: &PickContext<'_>,
    level: usize,
    upper: Vec<Arc<FileMeta>>,
    reason: Reason,
    cursor_update: Option<(usize, Vec<u8>)>,
) -> Option<Job> {
    if upper.is_empty() || any_busy(&upper, ctx) {
        return None;
    }
    let output_level = level + 1;
    let (lo, hi) = key_range(&upper);
    let lower = v.overlapping_files(output_level, &lo, &hi);
    if any_busy(&lower, ctx) {
        return None;
    }
    let kind = if upper.len() == 1 && lower.is_empty() {
        JobKind::TrivialMove
    } else {
        JobKind::Merge
    };
    let mut inputs = job_inputs_by_run(v, level, &upper);
    inputs.extend(job_inputs_by_run(v, output_level, &lower));
    let all: Vec<Arc<FileMeta>> = inputs.iter().flat_map(|i| i.files.clone()).collect();
    let (lo, hi) = key_range(&all);
    Some(Job {
        kind,
        inputs,
        output_level,
        output_run: v.runs(output_level).first().map(|r| r.id()),
        reason,
        bottommost: is_bottommost(v, output_level, &lo, &hi),
        max_output_file_size: Some(ctx.options.base_file_size),
        max_grandparent_files: Some(MAX_GRANDPARENT_FILES),
        cursor_update,
        split_points: Vec::new(),
    })
}

/// The L0 job: every L0 file (they may overlap each other) with the
/// overlapping L1 files.
pub fn l0_job(v: &Version, ctx: &PickContext<'_>, score: LevelScore) -> Option<Job> {
    job_into_next_level(v, ctx, 0, v.files(0).to_vec(), score.reason(), None)
}

/// Among the files of `level` whose job could run now, the one that
/// minimizes `cost` (ties: smallest key first), as a job.
pub fn pick_file_by<K: PartialOrd>(
    v: &Version,
    ctx: &PickContext<'_>,
    score: LevelScore,
    cost: impl Fn(&FileMeta) -> K,
) -> Option<Job> {
    let mut best: Option<(K, &Arc<FileMeta>)> = None;
    for f in v.files(score.level) {
        if ctx.busy.contains(&f.number) {
            continue;
        }
        let lower =
            v.overlapping_files(score.level + 1, f.smallest_user_key(), f.largest_user_key());
        if any_busy(&lower, ctx) {
            continue;
        }
        let c = cost(f);
        if best.as_ref().is_none_or(|(b, _)| c < *b) {
            best = Some((c, f));
        }
    }
    let (_, f) = best?;
    job_into_next_level(v, ctx, score.level, vec![f.clone()], score.reason(), None)
}
