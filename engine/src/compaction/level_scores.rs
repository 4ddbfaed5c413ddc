//! Level scores of the leveled policies, as RocksDB's
//! `VersionStorageInfo::ComputeCompactionScore` computes them, and the
//! tombstone-compensated file size they count
//! (`ComputeCompensatedSizes`).

use std::sync::Arc;

use super::level_targets::LevelTargets;
use super::{PickContext, Reason};
use crate::version::{FileMeta, Version};

/// RocksDB's `kScoreScale`: dynamic-mode scores over 1 are multiplied by it,
/// leaving room to rank them below 1 x scale without losing the trigger.
const SCORE_SCALE: f64 = 10.0;

/// A level and how badly it needs compaction (1 = at its trigger).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelScore {
    pub level: usize,
    pub score: f64,
}

impl LevelScore {
    /// The job reason for a compaction this score triggered.
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

/// Tombstone-compensated file sizes (RocksDB's `compensated_file_size`): a
/// file whose deletions are at least half its entries counts
/// `(2 x deletions - entries) x average value size x 2` bytes extra, so it
/// compacts sooner and its tombstones reach the data they delete.
///
/// The average value size is the tree's file bytes per non-deletion entry
/// (RocksDB: raw value bytes per entry scaled by the compression ratio,
/// accumulated over the files it has opened).
#[derive(Debug, Clone, Copy)]
pub struct Compensation {
    average_value_size: u64,
}

impl Compensation {
    /// The average over the files of `v`.
    pub fn of(v: &Version) -> Compensation {
        let (mut bytes, mut puts) = (0u64, 0u64);
        for level in 0..v.num_levels() {
            for f in v.files(level) {
                bytes += f.size;
                puts += f.entries.saturating_sub(f.tombstones);
            }
        }
        Compensation {
            average_value_size: bytes.checked_div(puts).unwrap_or(0),
        }
    }

    /// The compensated size of `f`.
    pub fn size(&self, f: &FileMeta) -> u64 {
        let mut size = f.size;
        if f.tombstones * 2 >= f.entries {
            size += (f.tombstones * 2 - f.entries) * self.average_value_size * 2;
        }
        size.max(1)
    }
}

/// Every level that may start a compaction (L0 to the second-last), scored
/// and ordered as RocksDB orders them: highest first, with RocksDB's own
/// exchange sort (so ties keep RocksDB's order). Busy files do not count.
pub fn compaction_scores(
    v: &Version,
    ctx: &PickContext<'_>,
    targets: &LevelTargets,
    comp: &Compensation,
    dynamic: bool,
) -> Vec<LevelScore> {
    let o = ctx.options;
    let idle = |f: &&Arc<FileMeta>| !ctx.busy.contains(&f.number);
    let last_input_level = v.num_levels().saturating_sub(2);
    let mut downcompact_bytes = 0f64;
    let mut scores = Vec::with_capacity(last_input_level + 1);
    for level in 0..=last_input_level {
        let score = if level == 0 {
            downcompact_bytes += v.level_bytes(0) as f64;
            let runs = v.files(0).iter().filter(idle).count();
            let size: u64 = v.files(0).iter().filter(idle).map(|f| comp.size(f)).sum();
            let mut score = runs as f64 / o.l0_file_limit as f64;
            if v.num_levels() > 1 {
                if dynamic {
                    if size >= o.l1_base_bytes {
                        score = score.max(1.01);
                    }
                    let base_target = targets.max_bytes(targets.base_level);
                    if size > base_target {
                        let base_size: u64 = v
                            .files(targets.base_level)
                            .iter()
                            .map(|f| comp.size(f))
                            .sum();
                        score = score.max(size as f64 / base_size.max(base_target) as f64);
                    }
                    if score > 1.0 {
                        score *= SCORE_SCALE;
                    }
                } else {
                    score = score.max(size as f64 / o.l1_base_bytes as f64);
                }
            }
            score
        } else {
            let total = v.level_bytes(level);
            let idle_bytes: u64 = v
                .files(level)
                .iter()
                .filter(idle)
                .map(|f| comp.size(f))
                .sum();
            let target = targets.max_bytes(level);
            let mut score = if !dynamic || idle_bytes < target {
                idle_bytes as f64 / target as f64
            } else {
                idle_bytes as f64 / (target as f64 + downcompact_bytes) * SCORE_SCALE
            };
            let unnecessary = targets.lowest_unnecessary_level.is_some_and(|u| level <= u);
            if dynamic && unnecessary && idle_bytes > 0 {
                let u = targets.lowest_unnecessary_level.unwrap_or(level);
                score = score.max(SCORE_SCALE * (1.001 + 0.001 * (u - level) as f64));
            }
            if unnecessary {
                downcompact_bytes += total as f64;
            } else if total > target {
                downcompact_bytes += (total - target) as f64;
            }
            score
        };
        scores.push(LevelScore { level, score });
    }
    // RocksDB's exchange sort: for each slot, swap in any later level with a
    // strictly higher score.
    for i in 0..scores.len() {
        for j in i + 1..scores.len() {
            if scores[i].score < scores[j].score {
                scores.swap(i, j);
            }
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;
    use crate::version::fixture::parse_version;
    use std::collections::HashSet;

    #[test]
    fn compensation_applies_only_when_deletions_are_half_the_entries() {
        let v = parse_version(
            "L1\n  000001: a#1 .. b#2 size=1000 entries=10 tombstones=4\n  000002: c#1 .. d#2 size=1000 entries=10 tombstones=6\n",
            3,
        )
        .unwrap();
        let c = Compensation::of(&v);
        // 2000 bytes over 10 puts: 200 a value.
        let f = v.files(1);
        assert_eq!(c.size(&f[0]), 1000, "4 deletes of 10 entries: no boost");
        assert_eq!(c.size(&f[1]), 1000 + (12 - 10) * 200 * 2);
    }

    #[test]
    fn l0_scores_by_size_too_and_ties_keep_rocksdb_order() {
        let o = Options {
            l0_file_limit: 4,
            l1_base_bytes: 4 << 20,
            num_levels: 4,
            ..Options::default()
        };
        // One 8 MiB L0 file: 1/4 by count, 2 by size.
        let v = parse_version(
            "L0\n  000003: a#5 .. b#6 size=8MiB\nL1\n  000001: a#1 .. b#2 size=8MiB\nL2\n  000002: a#1 .. b#2 size=80MiB\n",
            4,
        )
        .unwrap();
        let busy = HashSet::new();
        let ctx = PickContext {
            options: &o,
            busy: &busy,
            now_ms: 0,
            last_level: None,
            oldest_snapshot: None,
        };
        let t = LevelTargets::compute(&v, &o, false);
        let s = compaction_scores(&v, &ctx, &t, &Compensation::of(&v), false);
        let order: Vec<(usize, f64)> = s.iter().map(|s| (s.level, s.score)).collect();
        assert_eq!(order, vec![(0, 2.0), (1, 2.0), (2, 2.0)]);
    }
}
