//! `universal`: RocksDB's universal compaction (`kCompactionStyleUniversal`)
//! with its option names. Sorted runs are L0's runs plus each non-empty
//! level below; the rules and their order are in
//! [`crate::compaction::universal::picker`].

use std::sync::Arc;

use crate::compaction::registry::PolicyDef;
use crate::compaction::universal::picker::{self, max_sorted_runs};
use crate::compaction::universal::sorted_runs::sorted_runs;
use crate::compaction::universal::{MaxReadAmp, RocksDbVersion, StopStyle, UniversalConfig};
use crate::compaction::{CompactionOptions, Job, PickContext, Strategy};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::params::{ParamDef, Unit, Value};
use crate::version::Version;

/// RocksDB's `UINT_MAX`, the default of `max_merge_width`.
const UINT_MAX: f64 = 4294967295.0;

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "universal",
    aliases: &["kCompactionStyleUniversal", "universal-compaction"],
    description: "RocksDB universal compaction: L0 runs and whole levels as sorted runs; merged for size amplification (max_size_amplification_percent), by size ratio (size_ratio, min/max_merge_width, stop_style), then by run count (max_read_amp)",
    params: &[
        ParamDef::new("size_ratio", &["universal_size_ratio"], Unit::Count, Value::Int(1), (0.0, UINT_MAX),
            "a run joins the candidates while it is at most this percent larger than them (stop_style)"),
        ParamDef::new("min_merge_width", &["universal_min_merge_width"], Unit::Count, Value::Int(2), (0.0, UINT_MAX),
            "fewest runs a size-ratio or run-count merge takes").note("below 2: 2"),
        ParamDef::new("max_merge_width", &["universal_max_merge_width"], Unit::Count, Value::Int(4294967295), (2.0, UINT_MAX),
            "most runs a size-ratio or run-count merge takes").note("at least min_merge_width"),
        ParamDef::new("max_size_amplification_percent", &["universal_max_size_amplification_percent"], Unit::Count, Value::Int(200), (0.0, UINT_MAX),
            "merge everything into the oldest run once the newer runs are this percent of it"),
        ParamDef::new("max_read_amp", &["universal_max_read_amp"], Unit::Real, Value::Real(-1.0), (-1.0, UINT_MAX),
            "most sorted runs before runs merge regardless of size").note("-1: level0_file_num_compaction_trigger; 0: sized from the largest run"),
        ParamDef::new("stop_style", &["universal_stop_style"], Unit::Choice(&["total", "similar"]), Value::Choice("total"), (0.0, 0.0),
            "total: a run joins when at most size_ratio% above all taken; similar: above or below the last taken"),
        ParamDef::new("allow_trivial_move", &["universal_allow_trivial_move"], Unit::Flag, Value::Flag(false), (0.0, 1.0),
            "move a merge's inputs without rewriting when no two share a key"),
        ParamDef::new("incremental", &["universal_incremental"], Unit::Flag, Value::Flag(false), (0.0, 1.0),
            "a size-amplification merge takes a window of the second-last level and what it overlaps below, about max_compaction_bytes, instead of every run"),
        ParamDef::new("max_compaction_bytes", &[], Unit::Bytes, Value::Int(0), (0.0, 1125899906842624.0),
            "the size an incremental size-amplification merge grows to (twice its second-last-level window)")
            .note("0: 25 x base_file_size, as RocksDB"),
        ParamDef::new("rocksdb_version", &[], Unit::Choice(&["current", "7.8"]), Value::Choice("current"), (0.0, 0.0),
            "whose picker: current RocksDB, or 7.8's (a size-amplification merge from the newest idle run, none when a run in it is busy, no newest L0 runs left out; no max_read_amp)"),
    ],
    validate,
    build: |o| Arc::new(Universal::new(o)),
};

fn validate(o: &CompactionOptions) -> Result<()> {
    let read_amp = o.real("max_read_amp");
    if read_amp.fract() != 0.0 {
        return Err(Error::invalid_option(
            "max_read_amp",
            read_amp,
            "a whole number: -1, 0 or a count of sorted runs",
        ));
    }
    if o.get("rocksdb_version") == Value::Choice("7.8") && read_amp != -1.0 {
        return Err(Error::invalid_option(
            "max_read_amp",
            read_amp,
            "-1 with rocksdb_version = 7.8 (RocksDB 7.8 has no max_read_amp: the trigger is the limit)",
        ));
    }
    let (min, max) = (o.int("min_merge_width"), o.int("max_merge_width"));
    if max < min.max(2) {
        return Err(Error::invalid_option(
            "max_merge_width",
            max,
            format!("min_merge_width ({}) ..= {UINT_MAX}", min.max(2)),
        ));
    }
    Ok(())
}

/// Universal compaction.
#[derive(Debug, Clone)]
pub struct Universal {
    cfg: UniversalConfig,
}

impl Universal {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        let read_amp = o.real("max_read_amp");
        let max_read_amp = if read_amp < 0.0 {
            MaxReadAmp::Trigger
        } else if read_amp == 0.0 {
            MaxReadAmp::Auto
        } else {
            MaxReadAmp::Runs(read_amp as usize)
        };
        let stop_style = match o.get("stop_style") {
            Value::Choice("similar") => StopStyle::SimilarSize,
            _ => StopStyle::TotalSize,
        };
        Universal {
            cfg: UniversalConfig {
                size_ratio: o.int("size_ratio"),
                min_merge_width: o.int("min_merge_width") as usize,
                max_merge_width: o.int("max_merge_width") as usize,
                max_size_amplification_percent: o.int("max_size_amplification_percent"),
                max_read_amp,
                stop_style,
                allow_trivial_move: o.flag("allow_trivial_move"),
                incremental: o.flag("incremental"),
                max_compaction_bytes: o.int("max_compaction_bytes"),
                rocksdb_version: match o.get("rocksdb_version") {
                    Value::Choice("7.8") => RocksDbVersion::V7_8,
                    _ => RocksDbVersion::Current,
                },
            },
        }
    }
}

impl Strategy for Universal {
    fn name(&self) -> &str {
        POLICY.name
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        picker::pick(&self.cfg, v, ctx)
    }

    /// RocksDB's universal L0 score: sorted runs over
    /// `level0_file_num_compaction_trigger`, for the whole tree.
    fn level_score(&self, v: &Version, o: &Options, level: usize) -> Option<f64> {
        let runs = sorted_runs(v, &Default::default()).len();
        (level == 0).then(|| runs as f64 / o.l0_file_limit as f64)
    }

    /// RocksDB's universal stall count: L0's files and every non-empty
    /// level below, each a sorted run (`CalculateBaseBytes`).
    fn l0_delay_trigger_count(&self, v: &Version) -> Option<usize> {
        Some(v.files(0).len() + (1..v.num_levels()).filter(|&l| !v.files(l).is_empty()).count())
    }

    /// One sorted run per level below L0.
    fn check_shape(&self, v: &Version) -> std::result::Result<(), String> {
        match (1..v.num_levels()).find(|&l| v.runs(l).len() > 1) {
            Some(level) => Err(format!(
                "universal left {} sorted runs in L{level}",
                v.runs(level).len()
            )),
            None => Ok(()),
        }
    }
}

impl Universal {
    /// The sorted-run limit `max_read_amp` sets for `v`.
    pub fn max_sorted_runs(&self, v: &Version, o: &Options) -> usize {
        max_sorted_runs(&self.cfg, v, o)
    }
}

#[cfg(test)]
mod tests {
    use crate::compaction::policies::test_load;
    use crate::Db;

    /// Loads `keys` keys (in order, or scrambled) under universal with
    /// `settings`, checking the shape after every install, and compacts to
    /// quiescence; returns the database.
    fn load(keys: u64, in_order: bool, settings: &[(&str, &str)]) -> Db {
        let shape = [("write_buffer_size", "32KiB"), ("base_file_size", "64KiB")];
        let all: Vec<(&str, &str)> = shape.iter().chain(settings).copied().collect();
        let key = |i| if in_order { i } else { test_load::scrambled(i) };
        test_load::load(test_load::options("universal", &all), keys, |i: u64| {
            key(i).to_be_bytes().to_vec()
        })
    }

    /// Keys written in order make key-disjoint flushes: with
    /// allow_trivial_move every universal job moves files and nothing is
    /// rewritten (write amplification is the flush alone); without it the
    /// same jobs merge.
    #[test]
    fn in_order_keys_move_without_rewrites_under_allow_trivial_move() {
        let moved = load(20_000, true, &[("allow_trivial_move", "true")]);
        let s = moved.stats();
        assert!(s.trivial_moves > 0, "no trivial move");
        assert_eq!(s.compaction_write_bytes, 0, "{} bytes rewritten", s.compaction_write_bytes);
        let merged = load(20_000, true, &[]);
        let s = merged.stats();
        assert_eq!(s.trivial_moves, 0);
        assert!(s.compaction_write_bytes > s.flush_bytes, "merges rewrite the data");
    }

    /// `incremental` bounds a size-amplification merge to a window of about
    /// max_compaction_bytes: with overwrites making the newer runs large
    /// next to the oldest, the peak of table bytes (inputs and outputs on
    /// disk at once) falls below the full merges', every key reads its
    /// last value, and the shape holds after every install (paranoid
    /// checks).
    #[test]
    fn incremental_size_amplification_merges_need_less_room() {
        let run = |incremental: &'static str| {
            let settings = [
                ("incremental", incremental),
                ("max_compaction_bytes", "256KiB"),
                ("max_size_amplification_percent", "50"),
                ("l0_file_limit", "3"),
            ];
            let db = load(20_000, false, &settings);
            for round in 1..=4u8 {
                for i in 0..20_000u64 {
                    let k = (i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF).to_be_bytes();
                    db.put(&k, &[round; 100]).unwrap();
                }
            }
            db.flush().unwrap();
            db.compact().unwrap();
            db
        };
        let (full, windowed) = (run("false"), run("true"));
        for i in (0..20_000u64).step_by(37) {
            let k = (i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF).to_be_bytes();
            assert_eq!(windowed.get(&k).unwrap().as_deref(), Some(&[4u8; 100][..]));
        }
        let (f, w) = (full.stats(), windowed.stats());
        assert!(
            w.write_bytes_by_reason.contains_key("universal_size_amplification"),
            "{:?}",
            w.write_bytes_by_reason
        );
        assert!(
            w.sst_bytes_peak < f.sst_bytes_peak,
            "peak {} with incremental, {} without",
            w.sst_bytes_peak,
            f.sst_bytes_peak
        );
    }

    /// RocksDB 7.8 has no max_read_amp: asking for one with
    /// rocksdb_version = 7.8 is an error naming the parameter and what is
    /// allowed, in either order of setting; -1 (the trigger) is accepted.
    #[test]
    fn rocksdb_7_8_refuses_a_max_read_amp() {
        let mut o = test_load::options("universal", &[("rocksdb_version", "7.8")]);
        let e = o.set("max_read_amp", "8").unwrap_err().to_string();
        assert!(e.contains("max_read_amp") && e.contains("rocksdb_version = 7.8"), "{e}");
        let mut o = test_load::options("universal", &[("max_read_amp", "0")]);
        let e = o.set("rocksdb_version", "7.8").unwrap_err().to_string();
        assert!(e.contains("max_read_amp") && e.contains("-1"), "{e}");
        let mut o = test_load::options("universal", &[("max_read_amp", "-1")]);
        o.set("rocksdb_version", "7.8").unwrap();
        let e = o.set("rocksdb_version", "7.9").unwrap_err().to_string();
        assert!(e.contains("current") && e.contains("7.8"), "{e}");
    }

    /// At quiescence universal holds at most max_read_amp sorted runs (here
    /// the trigger, 4: one more and the run-count rule merges), and when it
    /// holds that many the newer runs are under max_size_amplification_percent
    /// of the oldest (or the size-amplification rule would merge them).
    #[test]
    fn quiescence_leaves_at_most_the_trigger_in_runs_and_bounded_space() {
        for keys in [5_000, 30_000] {
            let db = load(keys, false, &[]);
            let v = db.version();
            let runs = super::sorted_runs(&v, &Default::default());
            assert!(runs.len() <= 4, "{keys} keys: {} sorted runs", runs.len());
            if runs.len() == 4 {
                let oldest = runs.last().unwrap().size;
                let newer: u64 = runs[..3].iter().map(|r| r.size).sum();
                assert!(newer < 2 * oldest, "{keys} keys: newer {newer} vs oldest {oldest}");
            }
        }
    }
}
