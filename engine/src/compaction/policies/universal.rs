//! `universal`: RocksDB's universal compaction (`kCompactionStyleUniversal`)
//! with its option names. Sorted runs are L0's runs plus each non-empty
//! level below; the rules and their order are in
//! [`crate::compaction::universal::picker`].

use std::sync::Arc;

use crate::compaction::registry::PolicyDef;
use crate::compaction::universal::picker::{self, max_sorted_runs};
use crate::compaction::universal::sorted_runs::sorted_runs;
use crate::compaction::universal::{MaxReadAmp, StopStyle, UniversalConfig};
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
