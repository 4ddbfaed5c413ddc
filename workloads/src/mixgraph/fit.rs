//! Estimating mixgraph parameters from a trace: the op mix, the mean
//! rate, generalized Pareto fits of value sizes and scan lengths, and a
//! power law of key ranks; with the Kolmogorov-Smirnov distance of each
//! fitted distribution from the trace.
//!
//! Pareto fits hold `theta` at 0 (db_bench's default) and match two
//! quantiles (the median and the 90th percentile, less half a unit for
//! db_bench's `ceil`), which needs no finite moments: the published scan
//! model has none. The key fit takes the share `C(r)` of accesses to the
//! `r` most accessed keys, which the model makes `a r^b`, and fits `ln C`
//! to `ln a + b ln r` by least squares over the keys accessed at least
//! `MIN_KEY_ACCESSES` times. Key-range hotness and the sine rate are
//! fitted in `fit_shape`. Memory: one counter per distinct key, per
//! distinct size and per second of the trace (up to `MAX_RATE_SECONDS`).

use std::collections::{BTreeMap, HashMap};

use super::fit_shape::{fit_key_ranges, fit_sine, KeyRangeFit, SineFit};
use super::model::pareto_cdf;
use super::MixGraph;
use crate::op::{Op, OpKind};

/// Keys accessed fewer times than this are too noisy to rank.
const MIN_KEY_ACCESSES: u64 = 10;
/// Quantile levels the Pareto fits match.
const P_LOW: f64 = 0.5;
const P_HIGH: f64 = 0.9;

/// The longest trace (in seconds) whose rate is fitted; a longer one keeps
/// the mean rate only.
const MAX_RATE_SECONDS: u64 = 1 << 22;

/// What a fit cannot read from the trace itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitOptions {
    /// Ranges the key space is cut into for the key-range fit.
    pub keyrange_num: u64,
    /// Keys in the key space; `None`: the largest key index seen, plus one.
    pub key_count: Option<u64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            keyrange_num: MixGraph::default().keyrange_num,
            key_count: None,
        }
    }
}

/// One fitted distribution and how well it fits.
#[derive(Clone, Debug, PartialEq)]
pub struct DistFit {
    /// Samples the fit used.
    pub samples: u64,
    /// Largest gap between the trace's CDF and the fitted one.
    pub ks_distance: f64,
}

/// What `fit` found.
#[derive(Clone, Debug, PartialEq)]
pub struct MixGraphFit {
    /// The estimated parameters; those not estimated keep the defaults,
    /// key ranges are off.
    pub params: MixGraph,
    pub ops: u64,
    /// Deletes in the trace (mixgraph has none).
    pub deletes: u64,
    /// Operations per simulated second over the trace.
    pub mean_rate: f64,
    pub key_size: usize,
    pub values: Option<DistFit>,
    pub scans: Option<DistFit>,
    pub keys: Option<DistFit>,
    /// Key-range hotness, when the keys decode to indices and the shares
    /// have the model's shape.
    pub key_ranges: Option<KeyRangeFit>,
    /// The sine rate, when it explains the per-second counts.
    pub sine: Option<SineFit>,
}

/// The generalized Pareto (theta 0) through the quantiles `q_low` at
/// `P_LOW` and `q_high` at `P_HIGH`: `(k, sigma)`, or `None` if they do not
/// rise.
fn pareto_through(q_low: f64, q_high: f64) -> Option<(f64, f64)> {
    if !(q_low > 0.0 && q_high > q_low) {
        return None;
    }
    // (Q(p2)/Q(p1)) rises with k; Q(p) = sigma ((1-p)^-k - 1) / k.
    let ratio = |k: f64| {
        let g = |p: f64| {
            if k.abs() < 1e-9 {
                -(1.0 - p).ln()
            } else {
                ((1.0 - p).powf(-k) - 1.0) / k
            }
        };
        g(P_HIGH) / g(P_LOW)
    };
    let target = q_high / q_low;
    let (mut lo, mut hi) = (-5.0, 10.0);
    if target <= ratio(lo) || target >= ratio(hi) {
        return None;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if ratio(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let k = 0.5 * (lo + hi);
    let g_low = if k.abs() < 1e-9 {
        -(1.0 - P_LOW).ln()
    } else {
        ((1.0 - P_LOW).powf(-k) - 1.0) / k
    };
    Some((k, q_low / g_low))
}

/// The `p` quantile of a histogram of `n` samples.
fn quantile(hist: &BTreeMap<u64, u64>, n: u64, p: f64) -> f64 {
    let rank = (p * n as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (&x, &c) in hist {
        seen += c;
        if seen >= rank {
            return x as f64;
        }
    }
    0.0
}

/// KS distance between a histogram and `cdf` at each value.
fn ks(hist: &BTreeMap<u64, u64>, n: u64, cdf: impl Fn(u64) -> f64) -> f64 {
    let mut seen = 0;
    let mut d: f64 = 0.0;
    let mut previous = None;
    for (&x, &c) in hist {
        let below = seen as f64 / n as f64;
        let f_below = match previous {
            Some(p) if p + 1 == x => cdf(p),
            _ => cdf(x.saturating_sub(1)),
        };
        seen += c;
        d = d
            .max((seen as f64 / n as f64 - cdf(x)).abs())
            .max((below - f_below).abs());
        previous = Some(x);
    }
    d
}

/// Fits a Pareto to a histogram of db_bench-style sizes (ceil of the
/// quantile); `(k, sigma, fit)`.
fn fit_pareto(
    hist: &BTreeMap<u64, u64>,
    cdf_of: impl Fn(f64, f64) -> Box<dyn Fn(u64) -> f64>,
) -> Option<(f64, f64, DistFit)> {
    let n: u64 = hist.values().sum();
    if n < 20 {
        return None;
    }
    let q_low = quantile(hist, n, P_LOW) - 0.5;
    let q_high = quantile(hist, n, P_HIGH) - 0.5;
    let (k, sigma) = pareto_through(q_low, q_high)?;
    let ks_distance = ks(hist, n, cdf_of(k, sigma));
    Some((
        k,
        sigma,
        DistFit {
            samples: n,
            ks_distance,
        },
    ))
}

/// Estimates mixgraph parameters from `ops` (see the module doc) with the
/// default [`FitOptions`].
pub fn fit_mixgraph(ops: impl IntoIterator<Item = Op>) -> MixGraphFit {
    fit_mixgraph_with(ops, &FitOptions::default())
}

/// Estimates mixgraph parameters from `ops` (see the module doc).
pub fn fit_mixgraph_with(ops: impl IntoIterator<Item = Op>, options: &FitOptions) -> MixGraphFit {
    let (mut gets, mut puts, mut scans, mut deletes) = (0u64, 0u64, 0u64, 0u64);
    let mut values: BTreeMap<u64, u64> = BTreeMap::new();
    let mut lengths: BTreeMap<u64, u64> = BTreeMap::new();
    let mut keys: HashMap<Vec<u8>, u64> = HashMap::new();
    let (mut first, mut last) = (None, 0);
    let mut key_sizes: BTreeMap<usize, u64> = BTreeMap::new();
    let mut n = 0u64;
    let mut per_second: Vec<u64> = Vec::new();
    for op in ops {
        n += 1;
        let origin = *first.get_or_insert(op.time);
        last = op.time;
        let second = (op.time - origin) / 1000;
        if second < MAX_RATE_SECONDS {
            if per_second.len() <= second as usize {
                per_second.resize(second as usize + 1, 0);
            }
            per_second[second as usize] += 1;
        }
        *key_sizes.entry(op.key.len()).or_default() += 1;
        match op.kind {
            OpKind::Get => gets += 1,
            // A merge writes an operand of `value_len` bytes: mixgraph
            // models it as a put.
            OpKind::Put | OpKind::Merge => {
                puts += 1;
                *values.entry(op.value_len.into()).or_default() += 1;
            }
            OpKind::Scan { len } => {
                scans += 1;
                *lengths.entry(len.into()).or_default() += 1;
            }
            OpKind::Delete | OpKind::DeleteRange { .. } => {
                deletes += 1;
                continue;
            }
        }
        *keys.entry(op.key).or_default() += 1;
    }
    let mut params = MixGraph {
        keyrange_dist_a: 0.0,
        keyrange_dist_b: 0.0,
        keyrange_dist_c: 0.0,
        keyrange_dist_d: 0.0,
        value_theta: 0.0,
        iter_theta: 0.0,
        sine_a: 0.0,
        sine_b: 0.0,
        sine_c: 0.0,
        ..MixGraph::default()
    };
    let accesses = gets + puts + scans;
    if accesses > 0 {
        params.mix_get_ratio = gets as f64 / accesses as f64;
        params.mix_put_ratio = puts as f64 / accesses as f64;
        params.mix_seek_ratio = scans as f64 / accesses as f64;
    }
    let seconds = (last - first.unwrap_or(0)) as f64 / 1000.0;
    let mean_rate = if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    };
    if (1.0..=1_000_000.0).contains(&mean_rate) {
        params.sine_d = mean_rate;
    }
    // The caps stay db_bench's unless the trace goes past them.
    if let Some(&max) = values.keys().next_back() {
        let cap = u64::from(params.mix_max_value_size).max(max);
        params.mix_max_value_size = cap.min(1 << 24) as u32;
    }
    if let Some(&max) = lengths.keys().next_back() {
        let cap = u64::from(params.mix_max_scan_len).max(max + 1);
        params.mix_max_scan_len = cap.min(1_000_000) as u32;
    }
    let value_fit = fit_pareto(&values, |k, sigma| {
        Box::new(move |x| {
            if x < 10 {
                0.0
            } else {
                pareto_cdf(x as f64, 0.0, k, sigma)
            }
        })
    });
    let values_fit = value_fit.map(|(k, sigma, fit)| {
        params.value_k = k;
        params.value_sigma = sigma;
        fit
    });
    let scan_fit = fit_pareto(&lengths, |k, sigma| {
        Box::new(move |x| pareto_cdf(x as f64, 0.0, k, sigma))
    });
    let scans_fit = scan_fit.map(|(k, sigma, fit)| {
        params.iter_k = k;
        params.iter_sigma = sigma;
        fit
    });
    let keys_fit = fit_keys(&keys, accesses).map(|(a, b, fit)| {
        params.key_dist_a = a;
        params.key_dist_b = b;
        fit
    });
    let key_ranges = fit_key_ranges(&keys, options.keyrange_num, options.key_count);
    if let Some(r) = &key_ranges {
        [
            params.keyrange_dist_a,
            params.keyrange_dist_b,
            params.keyrange_dist_c,
            params.keyrange_dist_d,
        ] = r.dist;
        params.keyrange_num = r.keyrange_num;
    }
    // Whole seconds only: the last one is cut short by the trace's end.
    let whole = ((last - first.unwrap_or(0)) / 1000).min(MAX_RATE_SECONDS) as usize;
    per_second.truncate(whole);
    let sine = fit_sine(&per_second);
    if let Some(f) = &sine {
        [params.sine_a, params.sine_b, params.sine_c, params.sine_d] = f.sine;
    }
    MixGraphFit {
        params,
        ops: n,
        deletes,
        mean_rate,
        key_size: key_sizes
            .iter()
            .max_by_key(|(_, &c)| c)
            .map_or(48, |(&s, _)| s),
        values: values_fit,
        scans: scans_fit,
        keys: keys_fit,
        key_ranges,
        sine,
    }
}

/// `(a, b, fit)` of `C(r) = a r^b` over the keys with enough accesses.
fn fit_keys(keys: &HashMap<Vec<u8>, u64>, total: u64) -> Option<(f64, f64, DistFit)> {
    let mut counts: Vec<u64> = keys
        .values()
        .copied()
        .filter(|&c| c >= MIN_KEY_ACCESSES)
        .collect();
    if counts.len() < 3 {
        return None;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total = total as f64;
    let mut cumulative = 0.0;
    let points: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            cumulative += c as f64;
            (((i + 1) as f64).ln(), (cumulative / total).ln())
        })
        .collect();
    let m = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0, b + p.1));
    let (mx, my) = (sx / m, sy / m);
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), p| {
        (a + (p.0 - mx) * (p.1 - my), b + (p.0 - mx).powi(2))
    });
    let b = sxy / sxx;
    let a = (my - b * mx).exp();
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
        return None;
    }
    // KS over the ranked keys: the share of accesses to the top r keys
    // against a r^b.
    let mut cumulative = 0.0;
    let ks_distance = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            cumulative += c as f64;
            (cumulative / total - a * ((i + 1) as f64).powf(b)).abs()
        })
        .fold(0.0, f64::max);
    Some((
        a,
        b,
        DistFit {
            samples: counts.len() as u64,
            ks_distance,
        },
    ))
}

impl MixGraphFit {
    /// The fit as a sweep-spec `[workload]` fragment with comments on the
    /// goodness of fit.
    pub fn spec_fragment(&self) -> String {
        let m = &self.params;
        let mut s = String::new();
        let fit_line = |name: &str, f: &Option<DistFit>| match f {
            Some(f) => format!(
                "# {name}: Kolmogorov-Smirnov distance {:.4} over {} samples\n",
                f.ks_distance, f.samples
            ),
            None => format!(
                "# {name}: not fitted (too few samples, or no spread); the preset's defaults kept\n"
            ),
        };
        s.push_str(&format!(
            "# Fitted from {} ops ({} deletes, which mixgraph does not model); mean rate {:.1} ops/s\n",
            self.ops, self.deletes, self.mean_rate
        ));
        s.push_str(&fit_line(
            "value sizes (generalized Pareto, theta 0)",
            &self.values,
        ));
        s.push_str(&fit_line(
            "scan lengths (generalized Pareto, theta 0)",
            &self.scans,
        ));
        s.push_str(&fit_line(
            "key ranks (share of accesses to the top r keys vs a r^b, keys with 10+ accesses)",
            &self.keys,
        ));
        match &self.key_ranges {
            Some(r) => s.push_str(&format!(
                "# key ranges: {} ranges of a {}-key space, sorted range shares vs the fitted \
                 a e^(bx) + c e^(dx): largest gap {:.4} over {} accesses\n",
                r.keyrange_num, r.key_count, r.fit.ks_distance, r.fit.samples
            )),
            None => s.push_str(
                "# key ranges: not fitted (keys not indices, too few accesses, or no hot \
                 ranges); keyrange_dist_* = 0 turns them off\n",
            ),
        }
        match &self.sine {
            Some(f) => s.push_str(&format!(
                "# rate: sine fitted to {} seconds of per-second counts, explaining {:.1}% \
                 of their variance\n",
                f.seconds,
                100.0 * f.explained
            )),
            None => s.push_str(
                "# rate: no sine explains the per-second counts; a flat rate of sine_d\n",
            ),
        }
        s.push_str("[workload]\npreset = \"mixgraph\"\n");
        s.push_str(&format!("key_size = {}\n", self.key_size.max(8)));
        if let Some(r) = &self.key_ranges {
            s.push_str(&format!("key_count = {}\n", r.key_count));
            s.push_str(&format!("keyrange_num = {}\n", r.keyrange_num));
        }
        for (name, value) in [
            ("key_dist_a", m.key_dist_a),
            ("key_dist_b", m.key_dist_b),
            ("keyrange_dist_a", m.keyrange_dist_a),
            ("keyrange_dist_b", m.keyrange_dist_b),
            ("keyrange_dist_c", m.keyrange_dist_c),
            ("keyrange_dist_d", m.keyrange_dist_d),
            ("value_k", m.value_k),
            ("value_sigma", m.value_sigma),
            ("value_theta", m.value_theta),
            ("iter_k", m.iter_k),
            ("iter_sigma", m.iter_sigma),
            ("iter_theta", m.iter_theta),
            ("mix_get_ratio", m.mix_get_ratio),
            ("mix_put_ratio", m.mix_put_ratio),
            ("mix_seek_ratio", m.mix_seek_ratio),
            ("sine_a", m.sine_a),
            ("sine_b", m.sine_b),
            ("sine_c", m.sine_c),
            ("sine_d", m.sine_d),
        ] {
            s.push_str(&format!("{name} = {}\n", round6(value)));
        }
        s.push_str(&format!("mix_max_value_size = {}\n", m.mix_max_value_size));
        s.push_str(&format!("mix_max_scan_len = {}\n", m.mix_max_scan_len));
        s
    }
}

/// Six significant digits, printed so TOML reads it as a float.
fn round6(x: f64) -> String {
    let text = format!("{}", format!("{x:.6e}").parse::<f64>().unwrap_or(x));
    if text.contains(['.', 'e', 'i', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}
