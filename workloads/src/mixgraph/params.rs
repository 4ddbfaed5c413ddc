//! The string interface of the mixgraph parameters (db_bench's names) and
//! their validation.

use super::model::KeyRanges;
use super::MixGraph;
use crate::detmath::SIN_MAX_ARG;
use crate::error::WorkloadError;
use crate::spec::{
    WorkloadSpec, MAX_DURATION_MS, MAX_INGEST_RATE, MAX_SCAN_LENGTH, MAX_VALUE_SIZE,
};

const REAL: &str = "a finite number";
const POSITIVE: &str = "a finite number > 0";
const RATIO: &str = "a finite number >= 0 (the three ratios are normalised)";

/// `(name, allowed, description)` of every mixgraph parameter.
pub(crate) const PARAMS: &[(&str, &str, &str)] = &[
    (
        "key_dist_a",
        "a finite number >= 0",
        "mixgraph: key rank power law a x^b, a (0: uniform keys)",
    ),
    (
        "key_dist_b",
        "a finite number >= 0",
        "mixgraph: key rank power law a x^b, b (0: uniform keys)",
    ),
    (
        "keyrange_dist_a",
        REAL,
        "mixgraph: key-range hotness a e^(b x) + c e^(d x), a (all four 0: no ranges)",
    ),
    ("keyrange_dist_b", REAL, "mixgraph: key-range hotness, b"),
    ("keyrange_dist_c", REAL, "mixgraph: key-range hotness, c"),
    ("keyrange_dist_d", REAL, "mixgraph: key-range hotness, d"),
    (
        "keyrange_num",
        "1..=1048576, at most key_count",
        "mixgraph: number of key ranges",
    ),
    (
        "value_k",
        REAL,
        "mixgraph: value size generalized Pareto shape k",
    ),
    (
        "value_sigma",
        POSITIVE,
        "mixgraph: value size Pareto scale sigma",
    ),
    (
        "value_theta",
        REAL,
        "mixgraph: value size Pareto location theta",
    ),
    (
        "iter_k",
        REAL,
        "mixgraph: scan length generalized Pareto shape k",
    ),
    (
        "iter_sigma",
        POSITIVE,
        "mixgraph: scan length Pareto scale sigma",
    ),
    (
        "iter_theta",
        REAL,
        "mixgraph: scan length Pareto location theta",
    ),
    (
        "mix_max_value_size",
        "1..=16777216",
        "mixgraph: value sizes above it wrap (size % max); below 10 become 10",
    ),
    (
        "mix_max_scan_len",
        "1..=1000000",
        "mixgraph: scan lengths wrap at it (length % max, at least 1)",
    ),
    ("mix_get_ratio", RATIO, "mixgraph: share of gets"),
    ("mix_put_ratio", RATIO, "mixgraph: share of puts"),
    ("mix_seek_ratio", RATIO, "mixgraph: share of seeks (scans)"),
    (
        "sine_a",
        REAL,
        "mixgraph: rate a sin(b t + c) + d ops/s, a (a = d = 0: ingest_rate)",
    ),
    (
        "sine_b",
        REAL,
        "mixgraph: rate sine frequency b (radians per second)",
    ),
    ("sine_c", REAL, "mixgraph: rate sine phase c"),
    (
        "sine_d",
        "0, or d - |a| >= 1 and d + |a| <= 1000000",
        "mixgraph: rate offset d",
    ),
];

impl MixGraph {
    /// Sets parameter `name`; `None` if it is not a mixgraph parameter.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Option<Result<(), WorkloadError>> {
        let (_, allowed, _) = PARAMS.iter().find(|p| p.0 == name)?;
        let bad = || WorkloadError::invalid(name, value, *allowed);
        let v = value.trim();
        let integer = |lo: u64, hi: u64| -> Result<u64, WorkloadError> {
            let digits: String = v.chars().filter(|&c| c != '_').collect();
            digits
                .parse::<u64>()
                .ok()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(bad)
        };
        let real = || -> Result<f64, WorkloadError> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(bad)
        };
        let result = (|| {
            match name {
                "keyrange_num" => self.keyrange_num = integer(1, 1 << 20)?,
                "mix_max_value_size" => {
                    self.mix_max_value_size = integer(1, MAX_VALUE_SIZE.into())? as u32
                }
                "mix_max_scan_len" => {
                    self.mix_max_scan_len = integer(1, MAX_SCAN_LENGTH.into())? as u32
                }
                _ => {
                    let x = real()?;
                    let nonneg =
                        matches!(name, "key_dist_a" | "key_dist_b") || name.ends_with("_ratio");
                    if (nonneg && x < 0.0) || (name.ends_with("_sigma") && x <= 0.0) {
                        return Err(bad());
                    }
                    *self.field(name).expect("every real parameter has a field") = x;
                }
            }
            Ok(())
        })();
        Some(result)
    }

    fn field(&mut self, name: &str) -> Option<&mut f64> {
        Some(match name {
            "key_dist_a" => &mut self.key_dist_a,
            "key_dist_b" => &mut self.key_dist_b,
            "keyrange_dist_a" => &mut self.keyrange_dist_a,
            "keyrange_dist_b" => &mut self.keyrange_dist_b,
            "keyrange_dist_c" => &mut self.keyrange_dist_c,
            "keyrange_dist_d" => &mut self.keyrange_dist_d,
            "value_k" => &mut self.value_k,
            "value_sigma" => &mut self.value_sigma,
            "value_theta" => &mut self.value_theta,
            "iter_k" => &mut self.iter_k,
            "iter_sigma" => &mut self.iter_sigma,
            "iter_theta" => &mut self.iter_theta,
            "mix_get_ratio" => &mut self.mix_get_ratio,
            "mix_put_ratio" => &mut self.mix_put_ratio,
            "mix_seek_ratio" => &mut self.mix_seek_ratio,
            "sine_a" => &mut self.sine_a,
            "sine_b" => &mut self.sine_b,
            "sine_c" => &mut self.sine_c,
            "sine_d" => &mut self.sine_d,
            _ => return None,
        })
    }

    /// The value of parameter `name` in the form `set` accepts.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "keyrange_num" => self.keyrange_num.to_string(),
            "mix_max_value_size" => self.mix_max_value_size.to_string(),
            "mix_max_scan_len" => self.mix_max_scan_len.to_string(),
            _ => self.clone().field(name).map(|x| x.to_string())?,
        })
    }

    /// Checks what `set` cannot alone: ranges against the key count, a
    /// positive rate, a representable clock.
    pub(crate) fn validate(&self, spec: &WorkloadSpec) -> Result<(), WorkloadError> {
        let inconsistent = |m: String| Err(WorkloadError::Inconsistent(m));
        let ratios = self.mix_get_ratio + self.mix_put_ratio + self.mix_seek_ratio;
        if !(ratios > 0.0 && ratios.is_finite()) {
            return inconsistent(
                "mix_get_ratio + mix_put_ratio + mix_seek_ratio must be above 0".into(),
            );
        }
        if self.keyrange_dist() != [0.0; 4] {
            if self.keyrange_num > spec.key_count {
                return inconsistent(format!(
                    "keyrange_num ({}) is above key_count ({}): every key range needs a key",
                    self.keyrange_num, spec.key_count
                ));
            }
            if KeyRanges::new(spec.key_count, self.keyrange_num, self.keyrange_dist()).is_none() {
                return inconsistent(
                    "keyrange_dist_a..d give no key range a hotness above 1e-16 (set all four to 0 for no key ranges)".into(),
                );
            }
        }
        if self.sine_on() {
            let (low, high) = (
                self.sine_d - self.sine_a.abs(),
                self.sine_d + self.sine_a.abs(),
            );
            if !(low >= 1.0 && high <= MAX_INGEST_RATE as f64) {
                return inconsistent(format!(
                    "the rate sine_a sin(sine_b t + sine_c) + sine_d ranges over {low}..={high} \
                     ops/s; it must stay within 1..=1000000 (or set sine_a = sine_d = 0 to use \
                     ingest_rate)"
                ));
            }
            let seconds = spec.total_ops() as f64 / low;
            if self.sine_b.abs() * seconds + self.sine_c.abs() > SIN_MAX_ARG
                || seconds * 1000.0 > MAX_DURATION_MS as f64
            {
                return inconsistent(format!(
                    "{} ops at a rate as low as {low} ops/s run past the simulated clock's range",
                    spec.total_ops()
                ));
            }
        }
        Ok(())
    }
}
