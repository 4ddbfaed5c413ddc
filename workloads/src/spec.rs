//! `WorkloadSpec`: every parameter of a synthetic workload, its defaults,
//! the named presets and validation. The string interface (`set`, `params`)
//! lives in `params.rs`.

use crate::error::WorkloadError;
use crate::key::{MIN_KEY_SIZE, MIN_SERIES_KEY_SIZE};
use crate::mixgraph::MixGraph;

/// How keys are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// Every existing key equally likely.
    Uniform,
    /// Zipf over the `key_count` keys by rank, ranks scattered over the key
    /// space by a fixed permutation (YCSB's scrambled zipfian).
    Zipfian,
    /// Zipf over recency: the most recently inserted key is the hottest.
    Latest,
    /// Keys `0, 1, 2, ...` in order, wrapping at `key_count`.
    Sequential,
    /// `(series, timestamp)` keys, each series written in time order.
    Timeseries,
    /// db_bench's mixgraph model: its own key, size, mix and rate
    /// distributions (the `MixGraph` parameters).
    MixGraph,
    /// A queue: puts at the head, deletes at the tail, scans from the
    /// queue's start over the tombstones.
    Queue,
    /// Uniform keys with bulk deletes of `range_delete_len` consecutive keys.
    BulkDelete,
}

impl Distribution {
    pub const NAMES: &'static [&'static str] = &[
        "uniform",
        "zipfian",
        "latest",
        "sequential",
        "timeseries",
        "mixgraph",
        "queue",
        "bulk-delete",
    ];

    pub fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Zipfian => "zipfian",
            Distribution::Latest => "latest",
            Distribution::Sequential => "sequential",
            Distribution::Timeseries => "timeseries",
            Distribution::MixGraph => "mixgraph",
            Distribution::Queue => "queue",
            Distribution::BulkDelete => "bulk-delete",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "uniform" => Distribution::Uniform,
            "zipfian" => Distribution::Zipfian,
            "latest" => Distribution::Latest,
            "sequential" => Distribution::Sequential,
            "timeseries" => Distribution::Timeseries,
            "mixgraph" => Distribution::MixGraph,
            "queue" => Distribution::Queue,
            "bulk-delete" => Distribution::BulkDelete,
            _ => return None,
        })
    }
}

/// The share of each operation type; they sum to 1.
///
/// `update` writes a key chosen by the distribution, `insert` writes a new
/// key after the last one, `rmw` is a read then a write of one key, `merge`
/// a merge operand for a key chosen by the distribution (a blind update, as
/// a counter increment). In a time series both `update` and `insert`
/// append a point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fractions {
    pub read: f64,
    pub update: f64,
    pub insert: f64,
    pub scan: f64,
    pub rmw: f64,
    pub merge: f64,
}

impl Fractions {
    pub const ZERO: Fractions = Fractions {
        read: 0.0,
        update: 0.0,
        insert: 0.0,
        scan: 0.0,
        rmw: 0.0,
        merge: 0.0,
    };

    pub fn sum(&self) -> f64 {
        self.read + self.update + self.insert + self.scan + self.rmw + self.merge
    }
}

/// The operation mix: a named YCSB-style mix or custom fractions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mix {
    /// Writes only, keys from the distribution.
    Load,
    /// YCSB A: 50% read, 50% update.
    A,
    /// YCSB B: 95% read, 5% update.
    B,
    /// YCSB C: read only.
    C,
    /// YCSB D: 95% read, 5% insert (pair with the `latest` distribution).
    D,
    /// YCSB E: 95% scan, 5% insert.
    E,
    /// YCSB F: 50% read, 50% read-modify-write.
    F,
    /// Any fractions: the `*_fraction` parameters.
    Custom(Fractions),
}

impl Mix {
    pub const NAMES: &'static [&'static str] = &["load", "a", "b", "c", "d", "e", "f", "custom"];

    pub fn name(&self) -> &'static str {
        match self {
            Mix::Load => "load",
            Mix::A => "a",
            Mix::B => "b",
            Mix::C => "c",
            Mix::D => "d",
            Mix::E => "e",
            Mix::F => "f",
            Mix::Custom(_) => "custom",
        }
    }

    /// A mix by name; `custom` starts from all fractions zero.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "load" => Mix::Load,
            "a" => Mix::A,
            "b" => Mix::B,
            "c" => Mix::C,
            "d" => Mix::D,
            "e" => Mix::E,
            "f" => Mix::F,
            "custom" => Mix::Custom(Fractions::ZERO),
            _ => return None,
        })
    }

    pub fn fractions(&self) -> Fractions {
        let f = |read, update, insert, scan, rmw| Fractions {
            read,
            update,
            insert,
            scan,
            rmw,
            merge: 0.0,
        };
        match *self {
            Mix::Load => f(0.0, 1.0, 0.0, 0.0, 0.0),
            Mix::A => f(0.5, 0.5, 0.0, 0.0, 0.0),
            Mix::B => f(0.95, 0.05, 0.0, 0.0, 0.0),
            Mix::C => f(1.0, 0.0, 0.0, 0.0, 0.0),
            Mix::D => f(0.95, 0.0, 0.05, 0.0, 0.0),
            Mix::E => f(0.0, 0.0, 0.05, 0.95, 0.0),
            Mix::F => f(0.5, 0.0, 0.0, 0.0, 0.5),
            Mix::Custom(fr) => fr,
        }
    }
}

/// How scan lengths are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanLengthDist {
    /// Always `scan_length`.
    Fixed,
    /// Uniform in `1..=scan_length` (YCSB E).
    Uniform,
}

/// The order in which the preload phase inserts the key space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreloadOrder {
    /// `0, 1, 2, ...`: an append-only load.
    Sequential,
    /// A fixed pseudo-random order (YCSB's hashed insert order).
    Shuffled,
}

/// Every parameter of a synthetic workload. Build one with
/// [`WorkloadSpec::default`] or [`WorkloadSpec::preset`], adjust it with
/// [`WorkloadSpec::set`], then call [`WorkloadSpec::generator`].
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSpec {
    pub distribution: Distribution,
    pub mix: Mix,
    /// Operations after the preload phase (a read-modify-write counts two).
    pub ops: u64,
    /// Keys in the key space (existing keys at the start of the mix phase).
    pub key_count: u64,
    /// Bytes per key.
    pub key_size: usize,
    /// Value sizes are uniform in `value_size_min..=value_size_max`.
    pub value_size_min: u32,
    pub value_size_max: u32,
    /// Zipf exponent for `zipfian` and `latest`.
    pub theta: f64,
    /// Number of time series (`timeseries` only).
    pub series: u64,
    /// Operations per simulated second: simulated time advances by
    /// `1 / ingest_rate` s with every operation.
    pub ingest_rate: u64,
    /// Time to live of every written entry, in simulated milliseconds.
    pub ttl: Option<u64>,
    /// Reads of a time series target points written in the last
    /// `read_window` simulated milliseconds.
    pub read_window: u64,
    /// Share of operations that are deletes of keys chosen like reads; the
    /// mix fractions share the rest.
    pub delete_fraction: f64,
    pub scan_length: u32,
    pub scan_length_dist: ScanLengthDist,
    /// Keys per bulk delete (`bulk-delete`; cut to `key_count`), and items
    /// a queue's consumer removes per range delete (`queue` with
    /// `range_deletes`).
    pub range_delete_len: u64,
    /// Bulk deletes and queue dequeues as range deletes (one tombstone per
    /// range) rather than a point delete per key (`bulk-delete` and `queue`
    /// only).
    pub range_deletes: bool,
    /// Start by inserting all `key_count` keys (YCSB's load phase).
    pub preload: bool,
    pub preload_order: PreloadOrder,
    pub seed: u64,
    /// The model of the `mixgraph` distribution (unused by the others).
    pub mixgraph: MixGraph,
    /// YCSB's `fieldcount` and `fieldlength` last set (their product is
    /// `value_size`); YCSB's defaults until then.
    pub ycsb_fields: (u64, u64),
}

/// Upper bound of counts (`ops`, `key_count`), so indices never overflow.
pub(crate) const MAX_COUNT: u64 = 1 << 62;
pub(crate) const MAX_KEY_SIZE: usize = 4096;
pub(crate) const MAX_VALUE_SIZE: u32 = 1 << 24;
pub(crate) const MAX_SERIES: u64 = 1 << 32;
/// At most one operation per simulated microsecond, so time-series
/// timestamps (microseconds) are unique and strictly increasing.
pub(crate) const MAX_INGEST_RATE: u64 = 1_000_000;
pub(crate) const MAX_DURATION_MS: u64 = 1 << 52;
pub(crate) const MAX_SCAN_LENGTH: u32 = 1_000_000;
/// Bytes of a counter and of its increments in the `counter` preset: a
/// `u64`, as the engine's `add` merge operator takes it.
const COUNTER_BYTES: u32 = 8;

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec {
            distribution: Distribution::Uniform,
            mix: Mix::Load,
            ops: 1_000_000,
            key_count: 1_000_000,
            key_size: 16,
            value_size_min: 100,
            value_size_max: 100,
            theta: 0.99,
            series: 1000,
            ingest_rate: 1000,
            ttl: None,
            read_window: 60_000,
            delete_fraction: 0.0,
            scan_length: 100,
            scan_length_dist: ScanLengthDist::Uniform,
            range_delete_len: 1000,
            range_deletes: false,
            preload: false,
            preload_order: PreloadOrder::Shuffled,
            seed: 1,
            mixgraph: MixGraph::default(),
            ycsb_fields: (10, 100),
        }
    }
}

/// The named workloads, with what each one is for.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "uniform",
        "puts of uniformly random keys (overwrites once the key space fills)",
    ),
    (
        "zipfian",
        "puts of zipfian keys, theta 0.99, hot keys scattered over the key space",
    ),
    (
        "latest",
        "50% inserts of new keys, 50% updates of recently inserted keys",
    ),
    ("sequential", "puts in key order: an append-only load"),
    (
        "timeseries",
        "1000 series appended in time order with a 10-minute TTL, 5% reads of the last minute",
    ),
    (
        "ycsb-a",
        "YCSB A after a load: 50% read, 50% update, zipfian",
    ),
    (
        "ycsb-b",
        "YCSB B after a load: 95% read, 5% update, zipfian",
    ),
    ("ycsb-c", "YCSB C after a load: read only, zipfian"),
    ("ycsb-d", "YCSB D after a load: 95% read, 5% insert, latest"),
    (
        "ycsb-e",
        "YCSB E after a load: 95% scans of 1..100 keys, 5% insert, zipfian",
    ),
    (
        "ycsb-f",
        "YCSB F after a load: 50% read, 50% read-modify-write, zipfian",
    ),
    (
        "queue",
        "a queue: 40% puts at the head, 40% deletes at the tail, 20% scans of 1..100 keys \
         from the queue's start",
    ),
    (
        "delete-heavy",
        "100k keys loaded, then puts and gets of uniform keys with 30% of ops deleting runs \
         of 1000 consecutive keys",
    ),
    (
        "mixgraph",
        "db_bench's mixgraph with the published production parameters: 85% get, 14% put, \
         1% seek, 48-byte keys, Pareto values, sine-shaped rate",
    ),
    (
        "counter",
        "100k 8-byte counters loaded, then 70% merges (increments) and 30% reads of zipfian \
         keys; needs engine.merge_operator = \"add\"",
    ),
];

impl WorkloadSpec {
    /// A named workload (see [`PRESETS`]); other parameters keep their defaults.
    pub fn preset(name: &str) -> Result<WorkloadSpec, WorkloadError> {
        let mut spec = WorkloadSpec::default();
        let ycsb = |spec: &mut WorkloadSpec, mix, distribution| {
            spec.mix = mix;
            spec.distribution = distribution;
            spec.preload = true;
        };
        match name {
            "uniform" => {}
            "zipfian" => spec.distribution = Distribution::Zipfian,
            "latest" => {
                spec.distribution = Distribution::Latest;
                spec.mix = Mix::Custom(Fractions {
                    insert: 0.5,
                    update: 0.5,
                    ..Fractions::ZERO
                });
            }
            "sequential" => spec.distribution = Distribution::Sequential,
            "timeseries" => {
                spec.distribution = Distribution::Timeseries;
                spec.mix = Mix::Custom(Fractions {
                    insert: 0.95,
                    read: 0.05,
                    ..Fractions::ZERO
                });
                spec.ttl = Some(600_000);
            }
            "ycsb-a" => ycsb(&mut spec, Mix::A, Distribution::Zipfian),
            "ycsb-b" => ycsb(&mut spec, Mix::B, Distribution::Zipfian),
            "ycsb-c" => ycsb(&mut spec, Mix::C, Distribution::Zipfian),
            "ycsb-d" => ycsb(&mut spec, Mix::D, Distribution::Latest),
            "ycsb-e" => ycsb(&mut spec, Mix::E, Distribution::Zipfian),
            "ycsb-f" => ycsb(&mut spec, Mix::F, Distribution::Zipfian),
            "queue" => {
                spec.distribution = Distribution::Queue;
                spec.delete_fraction = 0.4;
                spec.mix = Mix::Custom(Fractions {
                    insert: 2.0 / 3.0,
                    scan: 1.0 / 3.0,
                    ..Fractions::ZERO
                });
            }
            "delete-heavy" => {
                spec.distribution = Distribution::BulkDelete;
                spec.key_count = 100_000;
                spec.preload = true;
                spec.delete_fraction = 0.3;
                spec.mix = Mix::Custom(Fractions {
                    update: 0.5,
                    read: 0.5,
                    ..Fractions::ZERO
                });
            }
            "mixgraph" => {
                spec.distribution = Distribution::MixGraph;
                spec.key_size = 48;
            }
            "counter" => {
                spec.distribution = Distribution::Zipfian;
                spec.key_count = 100_000;
                spec.preload = true;
                (spec.value_size_min, spec.value_size_max) = (COUNTER_BYTES, COUNTER_BYTES);
                spec.mix = Mix::Custom(Fractions {
                    merge: 0.7,
                    read: 0.3,
                    ..Fractions::ZERO
                });
            }
            _ => {
                return Err(WorkloadError::UnknownPreset {
                    name: name.to_string(),
                    valid: PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "),
                })
            }
        }
        Ok(spec)
    }

    /// Operations the generator yields: the preload phase plus `ops`.
    pub fn total_ops(&self) -> u64 {
        self.preload_ops() + self.ops
    }

    /// An upper bound on the distinct keys a run of this workload holds at
    /// once: each operation adds at most one key, and workloads that only
    /// rewrite their key space (no inserts, no time series or queue) stay
    /// within `key_count`. What a memory estimate multiplies by.
    pub fn max_keys_held(&self) -> u64 {
        let grows = self.mix.fractions().insert > 0.0
            || matches!(
                self.distribution,
                Distribution::Timeseries | Distribution::Queue
            );
        if grows {
            self.total_ops()
        } else {
            self.total_ops().min(self.key_count)
        }
    }

    pub(crate) fn preload_ops(&self) -> u64 {
        if self.preload {
            self.key_count
        } else {
            0
        }
    }

    /// Checks every parameter's range and their consistency; the error names
    /// the parameter and its allowed range.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        let range = |name: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(WorkloadError::invalid(name, v, format!("{lo}..={hi}")))
            }
        };
        range("ops", self.ops, 0, MAX_COUNT)?;
        range("key_count", self.key_count, 1, MAX_COUNT)?;
        range(
            "key_size",
            self.key_size as u64,
            MIN_KEY_SIZE as u64,
            MAX_KEY_SIZE as u64,
        )?;
        let max_value = u64::from(MAX_VALUE_SIZE);
        range("value_size_min", self.value_size_min.into(), 0, max_value)?;
        range("value_size_max", self.value_size_max.into(), 0, max_value)?;
        check_theta(self.theta)?;
        range("series", self.series, 1, MAX_SERIES)?;
        range("ingest_rate", self.ingest_rate, 1, MAX_INGEST_RATE)?;
        if let Some(ttl) = self.ttl {
            range("ttl", ttl, 1, MAX_DURATION_MS)?;
        }
        range("read_window", self.read_window, 1, MAX_DURATION_MS)?;
        check_fraction("delete_fraction", self.delete_fraction)?;
        range(
            "scan_length",
            self.scan_length.into(),
            1,
            MAX_SCAN_LENGTH.into(),
        )?;

        let fr = self.mix.fractions();
        for (name, v) in [
            ("read_fraction", fr.read),
            ("update_fraction", fr.update),
            ("insert_fraction", fr.insert),
            ("scan_fraction", fr.scan),
            ("rmw_fraction", fr.rmw),
            ("merge_fraction", fr.merge),
        ] {
            check_fraction(name, v)?;
        }
        if (fr.sum() - 1.0).abs() > 1e-9 {
            return Err(WorkloadError::Inconsistent(format!(
                "mix fractions read {} + update {} + insert {} + scan {} + rmw {} + merge {} = {}, \
                 must sum to 1 (setting any *_fraction starts a custom mix from zero)",
                fr.read,
                fr.update,
                fr.insert,
                fr.scan,
                fr.rmw,
                fr.merge,
                fr.sum()
            )));
        }
        let mixed = matches!(
            self.distribution,
            Distribution::Uniform
                | Distribution::Zipfian
                | Distribution::Latest
                | Distribution::Sequential
        );
        if fr.merge > 0.0 && !mixed {
            return Err(WorkloadError::Inconsistent(format!(
                "merge_fraction must be 0 for {} (merges go to keys of uniform, zipfian, latest \
                 or sequential)",
                self.distribution.name()
            )));
        }
        let ranged = matches!(
            self.distribution,
            Distribution::Queue | Distribution::BulkDelete
        );
        if self.range_deletes && !ranged {
            return Err(WorkloadError::Inconsistent(format!(
                "range_deletes applies to the queue and bulk-delete distributions, not {}",
                self.distribution.name()
            )));
        }
        if self.value_size_min > self.value_size_max {
            return Err(WorkloadError::Inconsistent(format!(
                "value_size_min ({}) is greater than value_size_max ({})",
                self.value_size_min, self.value_size_max
            )));
        }
        let end_us = u128::from(self.total_ops()) * 1_000_000 / u128::from(self.ingest_rate);
        if end_us > u128::from(MAX_DURATION_MS) * 1000 {
            return Err(WorkloadError::Inconsistent(format!(
                "{} ops at ingest_rate {} per second run past the simulated clock's \
                 range (2^52 ms); raise ingest_rate or lower ops/key_count",
                self.total_ops(),
                self.ingest_rate
            )));
        }
        if self.distribution == Distribution::MixGraph {
            self.mixgraph.validate(self)?;
        }
        range("range_delete_len", self.range_delete_len, 1, MAX_COUNT)?;

        if self.distribution == Distribution::Timeseries {
            if self.key_size < MIN_SERIES_KEY_SIZE {
                return Err(WorkloadError::Inconsistent(format!(
                    "key_size ({}) must be at least {MIN_SERIES_KEY_SIZE} for timeseries \
                     (8 bytes of series, 8 of timestamp)",
                    self.key_size
                )));
            }
            if fr.rmw > 0.0 {
                return Err(WorkloadError::Inconsistent(
                    "rmw_fraction must be 0 for timeseries (points are never rewritten)".into(),
                ));
            }
            if self.preload {
                return Err(WorkloadError::Inconsistent(
                    "preload is not supported with timeseries (series have no fixed key space)"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}

pub(crate) const THETA_ALLOWED: &str = "(0, 1) U (1, inf)";

pub(crate) fn check_theta(theta: f64) -> Result<(), WorkloadError> {
    if theta > 0.0 && theta.is_finite() && theta != 1.0 {
        Ok(())
    } else {
        Err(WorkloadError::invalid("theta", theta, THETA_ALLOWED))
    }
}

pub(crate) fn check_fraction(name: &str, v: f64) -> Result<(), WorkloadError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(WorkloadError::invalid(name, v, "[0, 1]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_presets_are_valid() {
        WorkloadSpec::default().validate().unwrap();
        for (name, _) in PRESETS {
            let spec = WorkloadSpec::preset(name).unwrap();
            spec.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let e = WorkloadSpec::preset("ycsb-g").unwrap_err().to_string();
        assert!(e.contains("ycsb-g") && e.contains("ycsb-f"), "{e}");
    }

    #[test]
    fn named_mixes_sum_to_one() {
        for name in Mix::NAMES.iter().filter(|&&n| n != "custom") {
            let mix = Mix::from_name(name).unwrap();
            assert!((mix.fractions().sum() - 1.0).abs() < 1e-12, "{name}");
            assert_eq!(mix.name(), *name);
        }
    }

    #[test]
    fn out_of_range_values_name_the_parameter_and_range() {
        type Case = (fn(&mut WorkloadSpec), &'static str, &'static str);
        let cases: Vec<Case> = vec![
            (|s| s.theta = 1.0, "theta", "(0, 1) U (1, inf)"),
            (|s| s.theta = 0.0, "theta", "(0, 1) U (1, inf)"),
            (|s| s.key_count = 0, "key_count", "1..="),
            (|s| s.key_size = 7, "key_size", "8..=4096"),
            (|s| s.ingest_rate = 0, "ingest_rate", "1..=1000000"),
            (|s| s.delete_fraction = 1.5, "delete_fraction", "[0, 1]"),
            (|s| s.scan_length = 0, "scan_length", "1..="),
            (|s| s.ttl = Some(0), "ttl", "1..="),
        ];
        for (mutate, name, allowed) in cases {
            let mut spec = WorkloadSpec::default();
            mutate(&mut spec);
            let e = spec.validate().unwrap_err().to_string();
            assert!(e.contains(name) && e.contains(allowed), "{e}");
        }
    }

    #[test]
    fn inconsistent_parameters_are_rejected() {
        let spec = WorkloadSpec {
            mix: Mix::Custom(Fractions {
                read: 0.5,
                ..Fractions::ZERO
            }),
            ..WorkloadSpec::default()
        };
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("sum to 1"));

        let spec = WorkloadSpec {
            value_size_min: 200,
            ..WorkloadSpec::default()
        };
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("value_size_min (200)"));

        let spec = WorkloadSpec {
            ops: 1 << 60,
            ingest_rate: 1,
            ..WorkloadSpec::default()
        };
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("simulated clock"));

        let mut spec = WorkloadSpec::preset("timeseries").unwrap();
        spec.key_size = 12;
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at least 16"));
        let mut spec = WorkloadSpec::preset("timeseries").unwrap();
        spec.preload = true;
        assert!(spec.validate().unwrap_err().to_string().contains("preload"));
        let mut spec = WorkloadSpec::preset("queue").unwrap();
        spec.mix = Mix::Custom(Fractions {
            merge: 1.0,
            ..Fractions::ZERO
        });
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("merge_fraction must be 0 for queue"));
        let spec = WorkloadSpec {
            range_deletes: true,
            ..WorkloadSpec::default()
        };
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("range_deletes applies to the queue and bulk-delete"));
        let mut spec = WorkloadSpec::preset("timeseries").unwrap();
        spec.mix = Mix::F;
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("rmw_fraction"));
    }
}
