//! Level compaction (RocksDB's `kCompactionStyleLevel`, LevelDB's only
//! style): L0 holds one sorted run per flush, every deeper level one run
//! with a byte target. Policies of this shape differ only in the order in
//! which a level's files are tried, a [`FilePriority`] (RocksDB's
//! `compaction_pri`); scores, picking rules, parameters, debt and the shape
//! check are shared here and in `level_picker`.

use std::sync::Arc;

use super::fallbacks::FallbackParams;
use super::level_picker::LevelPicker;
use super::level_scores::Compensation;
use super::level_targets::LevelTargets;
use super::CostModel;
use super::{CompactionOptions, Job, PickContext, Strategy};
use crate::options::Options;
use crate::params::{ParamDef, Unit, Value};
use crate::version::{FileMeta, Version};

/// Which files of a level go down first.
pub trait FilePriority: Send + Sync {
    /// The policy name.
    fn name(&self) -> &'static str;

    /// RocksDB's `FilesByCompactionPri`: indexes into `v.files(level)` in
    /// the order the picker tries them.
    fn order_files(
        &self,
        v: &Version,
        level: usize,
        ctx: &PickContext<'_>,
        comp: &Compensation,
    ) -> Vec<usize>;

    /// kRoundRobin's rules: the picker gives up on the level at the first
    /// file it cannot use, grows the job over the next files while the
    /// level stays over its target, persists a cursor and splits outputs at
    /// the output level's cursor.
    fn round_robin(&self) -> bool {
        false
    }

    /// The cursor a round-robin job leaves after taking the first `taken`
    /// files of its order: the smallest key of the file after them
    /// (wrapping to the first); RocksDB's `GetNextCompactCursor`.
    fn next_cursor(
        &self,
        v: &Version,
        level: usize,
        taken: usize,
        ctx: &PickContext<'_>,
        comp: &Compensation,
    ) -> Option<Vec<u8>> {
        let order = self.order_files(v, level, ctx, comp);
        let i = order.get(taken).or(order.first())?;
        Some(v.files(level)[*i].smallest.clone())
    }
}

/// Indexes of `files` ordered by `key`, ties in the level's own order
/// (newest first in L0, by key deeper).
pub fn order_by<K: Ord>(files: &[Arc<FileMeta>], key: impl Fn(&FileMeta) -> K) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| key(&files[i]));
    order
}

/// The parameters every leveled policy declares, with RocksDB's option
/// names as aliases.
pub const LEVELED_PARAMS: &[ParamDef] = &[
    ParamDef::new(
        "max_compaction_bytes",
        &[],
        Unit::Bytes,
        Value::Int(0),
        (0.0, 1125899906842624.0),
        "input bytes a compaction grows to, and output plus grandparent bytes at which an output is cut",
    )
    .note("0: 25 x base_file_size, as RocksDB"),
    ParamDef::new(
        "dynamic_level_bytes",
        &["level_compaction_dynamic_level_bytes"],
        Unit::Flag,
        Value::Flag(false),
        (0.0, 1.0),
        "level targets from the largest level up; L0 compacts into the base level; unneeded levels drain",
    ),
    ParamDef::new(
        "dynamic_file_size",
        &["level_compaction_dynamic_file_size"],
        Unit::Flag,
        Value::Flag(true),
        (0.0, 1.0),
        "cut outputs at grandparent boundaries past half the target size, or to skip a grandparent file",
    ),
    ParamDef::new(
        "ttl",
        &[],
        Unit::Duration,
        Value::Int(0),
        (0.0, 1e12),
        "compact a file to the next level once its oldest data is this old (after score-based work)",
    )
    .note("0: off"),
    // Marks and timed fallbacks (see `fallbacks`).
    ParamDef::new(
        "sliding_window_size",
        &["window_size"],
        Unit::Count,
        Value::Int(0),
        (0.0, 1e9),
        "CompactOnDeletionCollector: a table with deletion_trigger tombstones among this many consecutive entries is marked for compaction",
    )
    .note("0: off"),
    ParamDef::new(
        "deletion_trigger",
        &[],
        Unit::Count,
        Value::Int(0),
        (0.0, 1e9),
        "CompactOnDeletionCollector: tombstones within one sliding window that mark a table",
    )
    .note("0 counts as 1"),
    ParamDef::new(
        "deletion_ratio",
        &[],
        Unit::Real,
        Value::Real(0.0),
        (0.0, 1.0),
        "CompactOnDeletionCollector: a table whose tombstones are at least this fraction of its entries is marked",
    )
    .note("0: off"),
    ParamDef::new(
        "tombstone_dense_compaction_threshold",
        &["TombstoneDenseCompactionThreshold"],
        Unit::Real,
        Value::Real(0.0),
        (0.0, 1.0),
        "Pebble: a table is marked when at least this fraction of its data blocks are tombstone-dense",
    )
    .note("0: off (Pebble's default is 0.10)"),
    ParamDef::new(
        "num_deletions_threshold",
        &["NumDeletionsThreshold"],
        Unit::Count,
        Value::Int(100),
        (0.0, 1e9),
        "Pebble: point tombstones that make a data block tombstone-dense",
    )
    .note("0: only the size test"),
    ParamDef::new(
        "deletion_size_ratio_threshold",
        &["DeletionSizeRatioThreshold"],
        Unit::Real,
        Value::Real(0.5),
        (0.0, 1.0),
        "Pebble: tombstone bytes over a data block's bytes that make it tombstone-dense",
    )
    .note("0: only the count test"),
    ParamDef::new(
        "compact_bottommost_files",
        &[],
        Unit::Flag,
        Value::Flag(false),
        (0.0, 1.0),
        "rewrite in place a file at the bottom of the tree holding versions or tombstones kept for snapshots since released",
    )
    .note("RocksDB always does (bottommost_files_marked_for_compaction)"),
    ParamDef::new(
        "bottommost_file_compaction_delay",
        &[],
        Unit::Duration,
        Value::Int(0),
        (0.0, 1e12),
        "a bottommost file qualifies only once written this long ago",
    ),
    ParamDef::new(
        "periodic_compaction_seconds",
        &[],
        Unit::Duration,
        Value::Int(0),
        (0.0, 1e12),
        "rewrite a file once it is this old (RocksDB: in place, or to the next level with dynamic_level_bytes)",
    )
    .note("0: off"),
    ParamDef::new(
        "delete_persistence_threshold",
        &["dth"],
        Unit::Duration,
        Value::Int(0),
        (0.0, 1e12),
        "Lethe FADE: a tombstone reaches the last level within this time; level i's files with tombstones older than their share of it go down",
    )
    .note("0: off"),
];

/// The values of [`LEVELED_PARAMS`] for one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelParams {
    /// `max_compaction_bytes` as set (0: 25 x `base_file_size`).
    pub max_compaction_bytes: u64,
    pub dynamic_level_bytes: bool,
    pub dynamic_file_size: bool,
    pub ttl_ms: u64,
    /// Marks, periodic compaction and delete persistence.
    pub fallbacks: FallbackParams,
}

impl Default for LevelParams {
    fn default() -> Self {
        LevelParams {
            max_compaction_bytes: 0,
            dynamic_level_bytes: false,
            dynamic_file_size: true,
            ttl_ms: 0,
            fallbacks: FallbackParams::default(),
        }
    }
}

impl LevelParams {
    /// The values set in `o` (which must declare [`LEVELED_PARAMS`]).
    pub fn from_options(o: &CompactionOptions) -> LevelParams {
        LevelParams {
            max_compaction_bytes: o.int("max_compaction_bytes"),
            dynamic_level_bytes: o.flag("dynamic_level_bytes"),
            dynamic_file_size: o.flag("dynamic_file_size"),
            ttl_ms: o.millis("ttl"),
            fallbacks: FallbackParams::from_options(o),
        }
    }

    /// `max_compaction_bytes` in force.
    pub fn max_compaction_bytes(&self, o: &Options) -> u64 {
        if self.max_compaction_bytes == 0 {
            o.base_file_size.saturating_mul(25)
        } else {
            self.max_compaction_bytes
        }
    }

    /// RocksDB's `ComputeExpiredTtlFiles`: idle files above the last level
    /// whose oldest data is older than `ttl`.
    pub fn ttl_files(&self, v: &Version, ctx: &PickContext<'_>) -> Vec<(usize, Arc<FileMeta>)> {
        if self.ttl_ms == 0 || ctx.now_ms < self.ttl_ms {
            return Vec::new();
        }
        let cutoff = ctx.now_ms - self.ttl_ms;
        (0..v.num_levels().saturating_sub(1))
            .flat_map(|l| v.files(l).iter().map(move |f| (l, f.clone())))
            .filter(|(_, f)| !ctx.busy.contains(&f.number) && f.oldest_time_ms < cutoff)
            .collect()
    }
}

/// A leveled-shape strategy trying files in the order of `P`.
#[derive(Debug, Clone, Default)]
pub struct LevelCompaction<P> {
    pub priority: P,
    pub params: LevelParams,
}

impl<P: FilePriority> LevelCompaction<P> {
    /// The strategy with RocksDB's defaults.
    pub fn new(priority: P) -> Self {
        LevelCompaction {
            priority,
            params: LevelParams::default(),
        }
    }

    /// The strategy with the parameters of `o`.
    pub fn with_options(priority: P, o: &CompactionOptions) -> Self {
        LevelCompaction {
            priority,
            params: LevelParams::from_options(o),
        }
    }
}

impl<P: FilePriority> Strategy for LevelCompaction<P> {
    fn name(&self) -> &str {
        self.priority.name()
    }

    fn cost_model(&self, options: &Options) -> CostModel {
        CostModel::Leveling {
            size_ratio: options.level_size_multiplier,
        }
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        LevelPicker::new(v, ctx, &self.priority, &self.params).pick()
    }

    /// RocksDB's `EstimateCompactionBytesNeeded`: L0's bytes once it
    /// reaches `l0_file_limit` (or `l1_base_bytes`), then for each level
    /// over its target, the excess (plus what flows in from above) times
    /// one plus the next level's size ratio, the rewrite it will cause.
    fn pending_compaction_bytes(&self, v: &Version, o: &Options) -> u64 {
        let t = LevelTargets::compute(v, o, self.params.dynamic_level_bytes);
        let mut total = 0f64;
        let mut flowing = 0f64;
        let l0 = v.level_bytes(0);
        if v.files(0).len() >= o.l0_file_limit || l0 >= o.l1_base_bytes {
            flowing = l0 as f64;
            total += flowing;
        }
        let last = v.num_levels() - 1;
        for level in t.base_level.max(1)..last {
            let size = v.level_bytes(level) as f64 + flowing;
            let target = t.max_bytes(level) as f64;
            if size > target {
                flowing = size - target;
                let here = v.level_bytes(level).max(1) as f64;
                let ratio = v.level_bytes(level + 1) as f64 / here;
                total += flowing * (ratio + 1.0);
            } else {
                flowing = 0.0;
            }
        }
        total as u64
    }

    /// The level's score as RocksDB computes it (busy files counted).
    fn level_score(&self, v: &Version, o: &Options, level: usize) -> Option<f64> {
        let busy = std::collections::HashSet::new();
        let ctx = PickContext {
            options: o,
            busy: &busy,
            now_ms: 0,
            last_level: None,
            oldest_snapshot: None,
        };
        LevelPicker::new(v, &ctx, &self.priority, &self.params)
            .scores()
            .into_iter()
            .find(|s| s.level == level)
            .map(|s| s.score)
    }

    fn check_shape(&self, v: &Version) -> Result<(), String> {
        for level in 1..v.num_levels() {
            let runs = v.runs(level).len();
            if runs > 1 {
                return Err(format!(
                    "leveled policy {} left {runs} sorted runs in L{level}",
                    self.name()
                ));
            }
        }
        Ok(())
    }

    /// With `ttl`, when the oldest idle file above the last level expires;
    /// with periodic compaction or a delete-persistence threshold, when the
    /// next file comes due.
    fn next_wakeup_ms(&self, v: &Version, ctx: &PickContext<'_>) -> Option<u64> {
        let timed = self.params.fallbacks.next_wakeup_ms(v, ctx);
        if self.params.ttl_ms == 0 {
            return timed;
        }
        let ttl = (0..v.num_levels().saturating_sub(1))
            .flat_map(|l| v.files(l).iter())
            .filter(|f| !ctx.busy.contains(&f.number))
            .map(|f| {
                f.oldest_time_ms
                    .saturating_add(self.params.ttl_ms)
                    .saturating_add(1)
            })
            .filter(|&t| t > ctx.now_ms)
            .min();
        [ttl, timed].into_iter().flatten().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::Leveled;
    use crate::version::fixture::parse_version;

    fn opts() -> Options {
        Options {
            l0_file_limit: 2,
            l1_base_bytes: 1 << 20,
            level_size_multiplier: 10.0,
            num_levels: 4,
            ..Options::default()
        }
    }

    #[test]
    fn no_debt_under_the_triggers() {
        let v = parse_version(
            "L0\n  000001: a#1 .. b#2 size=100KiB\nL1\n  000002: a#3 .. b#4 size=1MiB\n",
            4,
        )
        .unwrap();
        assert_eq!(
            LevelCompaction::new(Leveled).pending_compaction_bytes(&v, &opts()),
            0
        );
    }

    #[test]
    fn l0_over_the_trigger_flows_into_l1() {
        // L0: 2 MiB at the trigger; L1 then holds 1 + 2 = 3 MiB of a 1 MiB
        // target: 2 MiB excess, rewriting L2 (4 MiB, ratio 4) as it goes.
        let v = parse_version(
            "L0\n  000001: a#5 .. b#6 size=1MiB\n  000002: a#3 .. b#4 size=1MiB\nL1\n  000003: a#1 .. b#2 size=1MiB\nL2\n  000004: a#0 .. z#0 size=4MiB\n",
            4,
        )
        .unwrap();
        let mib = 1u64 << 20;
        assert_eq!(
            LevelCompaction::new(Leveled).pending_compaction_bytes(&v, &opts()),
            2 * mib + 2 * mib * 5
        );
    }

    #[test]
    fn two_runs_below_l0_break_the_leveled_shape() {
        let v = parse_version(
            "L2\n  run 000003\n    000003: a#1 .. b#1\n  run 000004\n    000004: a#2 .. b#2\n",
            4,
        )
        .unwrap();
        let e = LevelCompaction::new(Leveled).check_shape(&v).unwrap_err();
        assert_eq!(e, "leveled policy leveled left 2 sorted runs in L2");
    }
}
