//! The string interface to [`WorkloadSpec`]: any parameter can be set by
//! name from the lab's `--set name=value` and TOML specs, read back, and
//! listed with its default and allowed range.

use crate::error::WorkloadError;
use crate::mixgraph::PARAMS as MIXGRAPH_PARAMS;
use crate::spec::{
    check_fraction, check_theta, Distribution, Fractions, Mix, PreloadOrder, ScanLengthDist,
    WorkloadSpec, MAX_COUNT, MAX_DURATION_MS, MAX_INGEST_RATE, MAX_KEY_SIZE, MAX_SCAN_LENGTH,
    MAX_SERIES, MAX_VALUE_SIZE, THETA_ALLOWED,
};

/// One workload parameter, for listing (`lsmlab workloads`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    pub name: &'static str,
    /// The default value, in the form `set` accepts.
    pub default: String,
    pub allowed: &'static str,
    pub description: &'static str,
}

const DURATION_ALLOWED: &str =
    "1ms..=2^52ms: a whole number with a unit ms, s, m, h or d; a bare number is seconds";

/// `(name, allowed, description)` of every parameter, in listing order.
const PARAMS: &[(&str, &str, &str)] = &[
    (
        "distribution",
        "uniform | zipfian | latest | sequential | timeseries | mixgraph | queue | bulk-delete",
        "how keys are chosen",
    ),
    (
        "mix",
        "load | a | b | c | d | e | f | custom",
        "operation mix: load = puts only, a-f = YCSB, custom = the *_fraction parameters",
    ),
    (
        "read_fraction",
        "[0, 1]",
        "share of point reads (any *_fraction makes the mix custom, others 0)",
    ),
    (
        "update_fraction",
        "[0, 1]",
        "share of puts to keys chosen by the distribution",
    ),
    (
        "insert_fraction",
        "[0, 1]",
        "share of puts of new keys after the last one",
    ),
    ("scan_fraction", "[0, 1]", "share of range scans"),
    (
        "rmw_fraction",
        "[0, 1]",
        "share of read-modify-writes (a get then a put, two ops)",
    ),
    (
        "merge_fraction",
        "[0, 1]",
        "share of merges: an operand of value_size bytes for a key chosen by the distribution \
         (needs engine.merge_operator)",
    ),
    (
        "delete_fraction",
        "[0, 1]",
        "share of deletes; the mix shares the rest",
    ),
    ("ops", "0..=2^62", "operations after the preload phase"),
    (
        "key_count",
        "1..=2^62",
        "keys in the key space (not used by timeseries)",
    ),
    (
        "key_size",
        "8..=4096 (at least 16 for timeseries)",
        "bytes per key, big-endian index padded with leading zeros",
    ),
    (
        "value_size",
        "0..=16777216, or MIN..=MAX",
        "value bytes: fixed, or uniform in a range",
    ),
    ("value_size_min", "0..=16777216", "smallest value size"),
    ("value_size_max", "0..=16777216", "largest value size"),
    ("theta", THETA_ALLOWED, "Zipf exponent (zipfian and latest)"),
    (
        "series",
        "1..=2^32",
        "number of time series (timeseries only)",
    ),
    (
        "ingest_rate",
        "1..=1000000",
        "operations per simulated second",
    ),
    (
        "ttl",
        "none, or 1ms..=2^52ms: a whole number with a unit ms, s, m, h or d; a bare number is seconds",
        "time to live of written entries, simulated",
    ),
    (
        "read_window",
        DURATION_ALLOWED,
        "timeseries reads target points written this recently",
    ),
    (
        "scan_length",
        "1..=1000000",
        "keys per scan (the maximum if scan_length_dist = uniform)",
    ),
    (
        "scan_length_dist",
        "fixed | uniform",
        "scan length fixed or uniform in 1..=scan_length",
    ),
    (
        "range_delete_len",
        "1..=2^62 (runs are cut to key_count)",
        "keys per bulk delete (bulk-delete); items a queue consumer removes per range delete \
         (queue with range_deletes)",
    ),
    (
        "range_deletes",
        "true | false (also yes/no, on/off, 1/0)",
        "bulk deletes and queue dequeues as range deletes, one tombstone per range, instead of \
         a point delete per key (bulk-delete and queue only)",
    ),
    (
        "preload",
        "true | false (also yes/no, on/off, 1/0)",
        "insert all key_count keys before the mix (YCSB load phase)",
    ),
    (
        "preload_order",
        "shuffled | sequential",
        "order of the preload inserts",
    ),
    ("seed", "0..=2^64-1", "seed of the random streams"),
];

/// YCSB's property names and the parameters they set. `fieldcount` and
/// `fieldlength` together set `value_size` (YCSB's record size is their
/// product): each multiplies the other's last value, YCSB's defaults 10
/// and 100 until set.
pub const YCSB_ALIASES: &[(&str, &str)] = &[
    ("recordcount", "key_count"),
    ("operationcount", "ops"),
    ("readproportion", "read_fraction"),
    ("updateproportion", "update_fraction"),
    ("insertproportion", "insert_fraction"),
    ("scanproportion", "scan_fraction"),
    ("readmodifywriteproportion", "rmw_fraction"),
    ("requestdistribution", "distribution"),
    ("maxscanlength", "scan_length"),
    ("fieldcount", "value_size"),
    ("fieldlength", "value_size"),
];

fn info(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    PARAMS.iter().chain(MIXGRAPH_PARAMS).find(|p| p.0 == name)
}

fn parse_u64(name: &str, value: &str, lo: u64, hi: u64) -> Result<u64, WorkloadError> {
    let allowed = || info(name).map_or("", |p| p.1);
    let digits: String = value.trim().chars().filter(|&c| c != '_').collect();
    match digits.parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(WorkloadError::invalid(name, value, allowed())),
    }
}

fn parse_f64(name: &str, value: &str) -> Result<f64, WorkloadError> {
    value
        .trim()
        .parse::<f64>()
        .map_err(|_| WorkloadError::invalid(name, value, info(name).map_or("", |p| p.1)))
}

/// A duration in ms from `250ms`, `30s`, `10m`, `1h`, `7d`; a bare number
/// is seconds, as for every duration lsmlab reads (engine and policy
/// parameters too).
fn parse_duration_ms(name: &str, value: &str) -> Result<u64, WorkloadError> {
    let err = || WorkloadError::invalid(name, value, info(name).map_or("", |p| p.1));
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let scale = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(err()),
    };
    let ms = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(err)?;
    if (1..=MAX_DURATION_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(err())
    }
}

fn format_duration_ms(ms: u64) -> String {
    for (unit, scale) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms.is_multiple_of(scale) {
            return format!("{}{unit}", ms / scale);
        }
    }
    format!("{ms}ms")
}

fn parse_bool(name: &str, value: &str) -> Result<bool, WorkloadError> {
    match value.trim() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(WorkloadError::invalid(
            name,
            value,
            "true | false (also yes/no, on/off, 1/0)",
        )),
    }
}

/// The ways of setting the value size: `value_size` (a size or a range),
/// its bounds, YCSB's field count and length. Each family is one way.
const VALUE_SIZE_FAMILIES: &[&[&str]] = &[
    &["value_size"],
    &["value_size_min", "value_size_max"],
    &["fieldcount", "fieldlength"],
];

/// Refuses a list of settings (parameter names, in the order they are
/// applied) that sets the value size in two ways: the one applied last
/// would silently undo the other.
pub fn check_value_size_settings<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), WorkloadError> {
    let mut first: Option<(&str, usize)> = None;
    for name in names {
        let Some(family) = VALUE_SIZE_FAMILIES.iter().position(|f| f.contains(&name)) else {
            continue;
        };
        match first {
            Some((before, f)) if f != family => {
                return Err(WorkloadError::Inconsistent(format!(
                    "{before} and {name} both set the value size, and the one set last would \
                     silently win: use either value_size = \"MIN..=MAX\", or value_size_min and \
                     value_size_max, or fieldcount and fieldlength"
                )))
            }
            Some(_) => {}
            None => first = Some((name, family)),
        }
    }
    Ok(())
}

impl WorkloadSpec {
    /// Sets parameter `name` from its string form. An unknown name is an
    /// error listing the valid ones; a value that does not parse or is out
    /// of range is an error naming the parameter, the value and the allowed
    /// range. Cross-parameter rules are checked by [`WorkloadSpec::validate`].
    ///
    /// Setting any `*_fraction` turns a named mix into a custom one whose
    /// other fractions are zero, so the order of fraction settings does not
    /// matter.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), WorkloadError> {
        if let Some(&(_, canonical)) = YCSB_ALIASES.iter().find(|a| a.0 == name) {
            if canonical != "value_size" {
                return self.set(canonical, value);
            }
            let n = parse_u64(name, value, 1, u64::from(MAX_VALUE_SIZE)).map_err(|_| {
                WorkloadError::invalid(
                    name,
                    value,
                    "1..=16777216, with fieldcount x fieldlength at most 16777216",
                )
            })?;
            let (count, length) = match name {
                "fieldcount" => (n, self.ycsb_fields.1),
                _ => (self.ycsb_fields.0, n),
            };
            let bytes = count.saturating_mul(length);
            if bytes > u64::from(MAX_VALUE_SIZE) {
                return Err(WorkloadError::invalid(
                    name,
                    value,
                    "fieldcount x fieldlength at most 16777216",
                ));
            }
            self.ycsb_fields = (count, length);
            (self.value_size_min, self.value_size_max) = (bytes as u32, bytes as u32);
            return Ok(());
        }
        if let Some(result) = self.mixgraph.set(name, value) {
            return result;
        }
        let Some(&(_, allowed, _)) = info(name) else {
            return Err(WorkloadError::UnknownParameter {
                name: name.to_string(),
                valid: PARAMS
                    .iter()
                    .chain(MIXGRAPH_PARAMS)
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let word = value.trim();
        let bad = || WorkloadError::invalid(name, value, allowed);
        let max_value = u64::from(MAX_VALUE_SIZE);
        match name {
            "distribution" => self.distribution = Distribution::from_name(word).ok_or_else(bad)?,
            "mix" => self.mix = Mix::from_name(word).ok_or_else(bad)?,
            "read_fraction" | "update_fraction" | "insert_fraction" | "scan_fraction"
            | "rmw_fraction" | "merge_fraction" => {
                let v = parse_f64(name, value)?;
                check_fraction(name, v)?;
                let mut fr = match self.mix {
                    Mix::Custom(fr) => fr,
                    _ => Fractions::ZERO,
                };
                *match name {
                    "read_fraction" => &mut fr.read,
                    "update_fraction" => &mut fr.update,
                    "insert_fraction" => &mut fr.insert,
                    "scan_fraction" => &mut fr.scan,
                    "merge_fraction" => &mut fr.merge,
                    _ => &mut fr.rmw,
                } = v;
                self.mix = Mix::Custom(fr);
            }
            "delete_fraction" => {
                let v = parse_f64(name, value)?;
                check_fraction(name, v)?;
                self.delete_fraction = v;
            }
            "ops" => self.ops = parse_u64(name, value, 0, MAX_COUNT)?,
            "key_count" => self.key_count = parse_u64(name, value, 1, MAX_COUNT)?,
            "key_size" => self.key_size = parse_u64(name, value, 8, MAX_KEY_SIZE as u64)? as usize,
            "value_size" => {
                let (lo, hi) = match word.split_once("..=") {
                    Some((lo, hi)) => (lo, hi),
                    None => (word, word),
                };
                let lo = parse_u64(name, lo, 0, max_value).map_err(|_| bad())?;
                let hi = parse_u64(name, hi, 0, max_value).map_err(|_| bad())?;
                if lo > hi {
                    return Err(bad());
                }
                (self.value_size_min, self.value_size_max) = (lo as u32, hi as u32);
            }
            "value_size_min" => self.value_size_min = parse_u64(name, value, 0, max_value)? as u32,
            "value_size_max" => self.value_size_max = parse_u64(name, value, 0, max_value)? as u32,
            "theta" => {
                let v = parse_f64(name, value)?;
                check_theta(v)?;
                self.theta = v;
            }
            "series" => self.series = parse_u64(name, value, 1, MAX_SERIES)?,
            "ingest_rate" => self.ingest_rate = parse_u64(name, value, 1, MAX_INGEST_RATE)?,
            "ttl" => {
                self.ttl = match word {
                    "none" => None,
                    _ => Some(parse_duration_ms(name, value)?),
                }
            }
            "read_window" => self.read_window = parse_duration_ms(name, value)?,
            "scan_length" => {
                self.scan_length = parse_u64(name, value, 1, MAX_SCAN_LENGTH.into())? as u32
            }
            "scan_length_dist" => {
                self.scan_length_dist = match word {
                    "fixed" => ScanLengthDist::Fixed,
                    "uniform" => ScanLengthDist::Uniform,
                    _ => return Err(bad()),
                }
            }
            "range_delete_len" => self.range_delete_len = parse_u64(name, value, 1, MAX_COUNT)?,
            "range_deletes" => self.range_deletes = parse_bool(name, value)?,
            "preload" => self.preload = parse_bool(name, value)?,
            "preload_order" => {
                self.preload_order = match word {
                    "shuffled" => PreloadOrder::Shuffled,
                    "sequential" => PreloadOrder::Sequential,
                    _ => return Err(bad()),
                }
            }
            "seed" => self.seed = parse_u64(name, value, 0, u64::MAX)?,
            _ => unreachable!("every name in PARAMS has a case"),
        }
        Ok(())
    }

    /// The current value of parameter `name`, in the form `set` accepts.
    pub fn get(&self, name: &str) -> Option<String> {
        let fr = self.mix.fractions();
        Some(match name {
            "distribution" => self.distribution.name().to_string(),
            "mix" => self.mix.name().to_string(),
            "read_fraction" => fr.read.to_string(),
            "update_fraction" => fr.update.to_string(),
            "insert_fraction" => fr.insert.to_string(),
            "scan_fraction" => fr.scan.to_string(),
            "rmw_fraction" => fr.rmw.to_string(),
            "merge_fraction" => fr.merge.to_string(),
            "delete_fraction" => self.delete_fraction.to_string(),
            "ops" => self.ops.to_string(),
            "key_count" => self.key_count.to_string(),
            "key_size" => self.key_size.to_string(),
            "value_size" if self.value_size_min == self.value_size_max => {
                self.value_size_min.to_string()
            }
            "value_size" => format!("{}..={}", self.value_size_min, self.value_size_max),
            "value_size_min" => self.value_size_min.to_string(),
            "value_size_max" => self.value_size_max.to_string(),
            "theta" => self.theta.to_string(),
            "series" => self.series.to_string(),
            "ingest_rate" => self.ingest_rate.to_string(),
            "ttl" => self.ttl.map_or("none".to_string(), format_duration_ms),
            "read_window" => format_duration_ms(self.read_window),
            "scan_length" => self.scan_length.to_string(),
            "scan_length_dist" => match self.scan_length_dist {
                ScanLengthDist::Fixed => "fixed".to_string(),
                ScanLengthDist::Uniform => "uniform".to_string(),
            },
            "range_delete_len" => self.range_delete_len.to_string(),
            "range_deletes" => self.range_deletes.to_string(),
            "preload" => self.preload.to_string(),
            "preload_order" => match self.preload_order {
                PreloadOrder::Shuffled => "shuffled".to_string(),
                PreloadOrder::Sequential => "sequential".to_string(),
            },
            "seed" => self.seed.to_string(),
            _ => return self.mixgraph.get(name),
        })
    }

    /// Every parameter with its default, allowed values and meaning.
    pub fn params() -> Vec<ParamInfo> {
        let defaults = WorkloadSpec::default();
        PARAMS
            .iter()
            .chain(MIXGRAPH_PARAMS)
            .map(|&(name, allowed, description)| ParamInfo {
                name,
                default: defaults.get(name).unwrap_or_default(),
                allowed,
                description,
            })
            .collect()
    }

    /// `(name, value)` pairs that rebuild this spec when passed to `set` in
    /// order on a default spec: for recording a run's exact workload.
    pub fn values(&self) -> Vec<(&'static str, String)> {
        let custom = matches!(self.mix, Mix::Custom(_));
        // The mixgraph model only where it is used or changed, so the
        // other workloads' records stay as they were.
        let mixgraph = self.distribution == Distribution::MixGraph
            || self.mixgraph != crate::mixgraph::MixGraph::default();
        PARAMS
            .iter()
            .chain(if mixgraph { MIXGRAPH_PARAMS } else { &[] })
            .map(|p| p.0)
            .filter(|&name| match name {
                "value_size" => false,
                n if n.ends_with("_fraction") && n != "delete_fraction" => custom,
                _ => true,
            })
            .map(|name| (name, self.get(name).unwrap_or_default()))
            .collect()
    }
}

impl std::fmt::Display for WorkloadSpec {
    /// `name=value` pairs separated by spaces, as [`WorkloadSpec::values`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs: Vec<String> = self
            .values()
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        f.write_str(&pairs.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::PRESETS;

    #[test]
    fn unknown_name_lists_valid_ones() {
        let e = WorkloadSpec::default()
            .set("thetta", "0.5")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"thetta\"") && e.contains("theta") && e.contains("key_count"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_parameter_value_and_range() {
        let mut spec = WorkloadSpec::default();
        for (name, value, allowed) in [
            ("theta", "1", "(0, 1) U (1, inf)"),
            ("theta", "-2", "(0, 1) U (1, inf)"),
            ("theta", "abc", "(0, 1) U (1, inf)"),
            ("key_count", "0", "1..=2^62"),
            ("key_size", "4", "8..=4096"),
            ("distribution", "zipf", "uniform | zipfian"),
            ("mix", "g", "load | a | b"),
            ("ttl", "5 weeks", "ms, s, m, h or d"),
            ("ttl", "0", "1ms"),
            ("value_size", "200..=100", "MIN..=MAX"),
            ("preload", "maybe", "true | false"),
            ("read_fraction", "1.5", "[0, 1]"),
        ] {
            let e = spec.set(name, value).unwrap_err().to_string();
            assert!(
                e.contains(name) && e.contains(&format!("\"{value}\"")) && e.contains(allowed),
                "{e}"
            );
        }
        assert_eq!(spec, WorkloadSpec::default(), "failed sets change nothing");
    }

    #[test]
    fn values_parse_in_their_documented_forms() {
        let mut spec = WorkloadSpec::default();
        spec.set("ops", "10_000_000").unwrap();
        spec.set("ttl", "10m").unwrap();
        spec.set("read_window", "1500ms").unwrap();
        spec.set("value_size", "10..=1000").unwrap();
        spec.set("update_fraction", "0.7").unwrap();
        spec.set("read_fraction", "0.3").unwrap();
        assert_eq!(spec.ops, 10_000_000);
        assert_eq!(spec.ttl, Some(600_000));
        assert_eq!(spec.read_window, 1500);
        // A bare number is seconds, as for every duration lsmlab reads.
        spec.set("ttl", "90").unwrap();
        assert_eq!(spec.ttl, Some(90_000));
        assert_eq!((spec.value_size_min, spec.value_size_max), (10, 1000));
        assert_eq!(spec.mix.fractions().update, 0.7);
        assert_eq!(spec.mix.fractions().read, 0.3);
        spec.validate().unwrap();
        spec.set("ttl", "none").unwrap();
        assert_eq!(spec.ttl, None);
    }

    #[test]
    fn values_rebuild_the_spec() {
        let mut custom = WorkloadSpec::preset("timeseries").unwrap();
        custom.set("value_size", "5..=50").unwrap();
        custom.set("ttl", "1234").unwrap();
        let specs = PRESETS
            .iter()
            .map(|p| WorkloadSpec::preset(p.0).unwrap())
            .chain([custom]);
        for spec in specs {
            let mut rebuilt = WorkloadSpec::default();
            for (name, value) in spec.values() {
                rebuilt.set(name, &value).unwrap();
            }
            assert_eq!(rebuilt, spec, "{spec}");
        }
    }

    #[test]
    fn params_cover_every_settable_name_with_a_default() {
        let params = WorkloadSpec::params();
        assert_eq!(params.len(), PARAMS.len() + MIXGRAPH_PARAMS.len());
        for p in params {
            let mut spec = WorkloadSpec::default();
            spec.set(p.name, &p.default)
                .unwrap_or_else(|e| panic!("default of {}: {e}", p.name));
            assert!(!p.allowed.is_empty() && !p.description.is_empty());
        }
    }

    #[test]
    fn the_value_size_is_set_one_way_only() {
        for ok in [
            &["value_size", "ttl"][..],
            &["value_size_min", "value_size_max"],
            &["fieldcount", "fieldlength", "ops"],
        ] {
            check_value_size_settings(ok.iter().copied()).unwrap();
        }
        for (mixed, named) in [
            (
                &["value_size", "value_size_min"][..],
                "value_size and value_size_min",
            ),
            (
                &["value_size_max", "ops", "value_size"],
                "value_size_max and value_size",
            ),
            (
                &["fieldlength", "value_size_min"],
                "fieldlength and value_size_min",
            ),
        ] {
            let e = check_value_size_settings(mixed.iter().copied())
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("{named} both set the value size")),
                "{e}"
            );
        }
    }

    #[test]
    fn ycsb_property_names_set_the_same_parameters() {
        let mut ycsb = WorkloadSpec::default();
        let mut ours = WorkloadSpec::default();
        for ((alias, value), (name, same)) in [
            (("recordcount", "5000"), ("key_count", "5000")),
            (("operationcount", "70000"), ("ops", "70000")),
            (("readproportion", "0.5"), ("read_fraction", "0.5")),
            (("updateproportion", "0.3"), ("update_fraction", "0.3")),
            (("insertproportion", "0.1"), ("insert_fraction", "0.1")),
            (("scanproportion", "0.05"), ("scan_fraction", "0.05")),
            (
                ("readmodifywriteproportion", "0.05"),
                ("rmw_fraction", "0.05"),
            ),
            (
                ("requestdistribution", "latest"),
                ("distribution", "latest"),
            ),
            (("maxscanlength", "50"), ("scan_length", "50")),
            (("fieldcount", "4"), ("value_size", "400")),
            (("fieldlength", "25"), ("value_size", "100")),
        ] {
            ycsb.set(alias, value).unwrap();
            ours.set(name, same).unwrap();
        }
        ours.ycsb_fields = (4, 25);
        assert_eq!(ycsb, ours);
        ycsb.validate().unwrap();
        let e = ycsb
            .set("requestdistribution", "hotspot")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("hotspot") && e.contains("uniform | zipfian"),
            "{e}"
        );
        let e = ycsb.set("fieldlength", "9000000").unwrap_err().to_string();
        assert!(
            e.contains("fieldlength") && e.contains("at most 16777216"),
            "{e}"
        );
    }
}
