//! The leveled picker's work after score-based compaction, RocksDB's order
//! (`LevelCompactionBuilder::SetupInitialFiles`): files marked for
//! compaction, TTL, periodic compaction. Marks come from the tables'
//! deletions when they were written (RocksDB's `CompactOnDeletionCollector`,
//! Pebble's tombstone density, see [`crate::sst::marks`]) and from Lethe's
//! delete-persistence threshold, decided here from the file's age.
//!
//! The parameters are part of every leveled policy's
//! ([`super::LEVELED_PARAMS`]); all are off by default.

use std::sync::Arc;

use super::{CompactionOptions, PickContext, Reason};
use crate::sst::MarkRules;
use crate::version::{FileMeta, Version};

/// The values of these parameters (part of [`super::LEVELED_PARAMS`]) for
/// one strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FallbackParams {
    pub marking: MarkRules,
    pub periodic_ms: u64,
    pub delete_persistence_ms: u64,
    pub bottommost: bool,
    pub bottommost_delay_ms: u64,
}

impl FallbackParams {
    /// The values set in `o`; all off when its policy does not declare them.
    pub fn from_options(o: &CompactionOptions) -> FallbackParams {
        let get = |name: &str| {
            o.policy
                .param(name)
                .map(|d| o.value(d.name).unwrap_or(d.default))
        };
        let int = |name| get(name).map_or(0, |v| v.int());
        let real = |name| get(name).map_or(0.0, |v| v.real());
        FallbackParams {
            marking: MarkRules {
                sliding_window_size: int("sliding_window_size"),
                deletion_trigger: int("deletion_trigger"),
                deletion_ratio: real("deletion_ratio"),
                tombstone_dense_compaction_threshold: real("tombstone_dense_compaction_threshold"),
                num_deletions_threshold: int("num_deletions_threshold"),
                deletion_size_ratio_threshold: real("deletion_size_ratio_threshold"),
            },
            periodic_ms: int("periodic_compaction_seconds"),
            delete_persistence_ms: int("delete_persistence_threshold"),
            bottommost: get("compact_bottommost_files").is_some_and(|v| v.flag()),
            bottommost_delay_ms: int("bottommost_file_compaction_delay"),
        }
    }

    /// RocksDB's `files_marked_for_compaction_` with Lethe's expired files
    /// beside them, each with its reason: idle files above the last
    /// non-empty level (RocksDB never moves a marked last-level file down),
    /// by level then key.
    pub fn marked_files(
        &self,
        v: &Version,
        ctx: &PickContext<'_>,
    ) -> Vec<(usize, Arc<FileMeta>, Reason)> {
        let Some(last) = last_non_empty(v) else {
            return Vec::new();
        };
        let deadlines = self.persistence_deadlines(v, ctx);
        let mut out = Vec::new();
        for level in 0..last {
            for f in v.files(level) {
                if ctx.busy.contains(&f.number) {
                    continue;
                }
                let reason = if f.marks.deletions {
                    Some(Reason::FilesMarked)
                } else if f.marks.tombstone_dense {
                    Some(Reason::TombstoneDensity)
                } else {
                    deadlines
                        .as_ref()
                        .filter(|d| f.tombstones > 0 && tombstone_age(f, ctx) > d[level])
                        .map(|_| Reason::DeletePersistence)
                };
                if let Some(r) = reason {
                    out.push((level, f.clone(), r));
                }
            }
        }
        out
    }

    /// Lethe's per-level deadlines for levels `0..=last non-empty`: TTLs
    /// `d_i = d_0 T^i` (T = `level_size_multiplier`) summing to the
    /// threshold; a file at level `i` is due once its oldest tombstone is
    /// older than `d_0 + ... + d_i`, so a tombstone that moves down at each
    /// deadline reaches the last level by the threshold.
    fn persistence_deadlines(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Vec<u64>> {
        if self.delete_persistence_ms == 0 {
            return None;
        }
        let levels = last_non_empty(v)? + 1;
        let t = ctx.options.level_size_multiplier.max(1.0);
        let weights: Vec<f64> = (0..levels).map(|i| t.powi(i as i32)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        Some(
            weights
                .iter()
                .map(|w| {
                    acc += w;
                    (self.delete_persistence_ms as f64 * acc / total) as u64
                })
                .collect(),
        )
    }

    /// RocksDB's `ComputeBottommostFilesMarkedForCompaction`: idle files
    /// nothing older overlaps (no deeper file, no older L0 file) that hold
    /// entries kept for snapshots, once no snapshot at or below their
    /// largest sequence remains and they were written at least
    /// `bottommost_file_compaction_delay` ago.
    pub fn bottommost_files(
        &self,
        v: &Version,
        ctx: &PickContext<'_>,
    ) -> Vec<(usize, Arc<FileMeta>)> {
        if !self.bottommost {
            return Vec::new();
        }
        let released = |f: &FileMeta| ctx.oldest_snapshot.is_none_or(|s| f.largest_seq < s);
        let settled =
            |f: &FileMeta| written_ms(f).saturating_add(self.bottommost_delay_ms) <= ctx.now_ms;
        let mut out = Vec::new();
        for level in 0..v.num_levels() {
            let files = v.files(level);
            for (i, f) in files.iter().enumerate() {
                if !f.kept_for_snapshots
                    || ctx.busy.contains(&f.number)
                    || !released(f)
                    || !settled(f)
                {
                    continue;
                }
                let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
                // L0 lists newest first: the files after `i` are older.
                let older_l0 = level == 0 && files[i + 1..].iter().any(|g| g.overlaps(lo, hi));
                let deeper =
                    (level + 1..v.num_levels()).any(|l| !v.overlapping_files(l, lo, hi).is_empty());
                if !older_l0 && !deeper {
                    out.push((level, f.clone()));
                }
            }
        }
        out
    }

    /// RocksDB's `ComputeFilesMarkedForPeriodicCompaction`: idle files of
    /// every level written (or, when that is unknown, holding data) longer
    /// ago than `periodic_compaction_seconds`.
    pub fn periodic_files(
        &self,
        v: &Version,
        ctx: &PickContext<'_>,
    ) -> Vec<(usize, Arc<FileMeta>)> {
        if self.periodic_ms == 0 || ctx.now_ms < self.periodic_ms {
            return Vec::new();
        }
        let limit = ctx.now_ms - self.periodic_ms;
        (0..v.num_levels())
            .flat_map(|l| v.files(l).iter().map(move |f| (l, f.clone())))
            .filter(|(_, f)| !ctx.busy.contains(&f.number) && written_ms(f) < limit)
            .collect()
    }

    /// The next clock time a timed rule (periodic, delete persistence)
    /// fires for some idle file, after `ctx.now_ms`.
    pub fn next_wakeup_ms(&self, v: &Version, ctx: &PickContext<'_>) -> Option<u64> {
        let idle = |f: &&Arc<FileMeta>| !ctx.busy.contains(&f.number);
        let periodic = (self.periodic_ms > 0).then(|| {
            (0..v.num_levels())
                .flat_map(|l| v.files(l).iter())
                .filter(idle)
                .map(|f| {
                    written_ms(f)
                        .saturating_add(self.periodic_ms)
                        .saturating_add(1)
                })
                .min()
        });
        let lethe = self.persistence_deadlines(v, ctx).map(|d| {
            let last = d.len() - 1;
            (0..last)
                .flat_map(|l| v.files(l).iter().map(move |f| (l, f)))
                .filter(|(_, f)| f.tombstones > 0 && idle(f))
                .map(|(l, f)| tombstone_ms(f).saturating_add(d[l]).saturating_add(1))
                .min()
        });
        [periodic.flatten(), lethe.flatten()]
            .into_iter()
            .flatten()
            .filter(|&t| t > ctx.now_ms)
            .min()
    }
}

fn last_non_empty(v: &Version) -> Option<usize> {
    (0..v.num_levels()).rev().find(|&l| !v.files(l).is_empty())
}

/// The age of a file's oldest tombstone, from above: the oldest flush time
/// of the inputs its tombstones came from, else (not recorded) of its
/// oldest data (the file records no time per entry).
fn tombstone_age(f: &FileMeta, ctx: &PickContext<'_>) -> u64 {
    ctx.now_ms.saturating_sub(tombstone_ms(f))
}

fn tombstone_ms(f: &FileMeta) -> u64 {
    f.oldest_tombstone_ms.unwrap_or(f.oldest_time_ms)
}

/// When the file was written: its creation time, else (unknown) when its
/// oldest data was flushed, as RocksDB falls back to the oldest ancestor
/// time.
fn written_ms(f: &FileMeta) -> u64 {
    f.created_ms.unwrap_or(f.oldest_time_ms)
}
