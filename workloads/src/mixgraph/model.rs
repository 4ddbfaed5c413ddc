//! The formulas of db_bench's `MixGraph` (`tools/db_bench_tool.cc`), each
//! a function of uniform draws, written with the crate's deterministic
//! `exp`/`ln`/`sin` so a stream is the same on every machine.

use crate::detmath::{exp, ln, sin};
use crate::rng::{mix64, SplitMix64};

/// `ParetoCdfInversion`: the generalized Pareto quantile
/// `theta + sigma (u^-k - 1) / k` (`theta - sigma ln u` for `k = 0`), for
/// `u` in `(0, 1]`, before db_bench's `ceil`.
pub(crate) fn pareto_quantile(u: f64, theta: f64, k: f64, sigma: f64) -> f64 {
    if k == 0.0 {
        theta - sigma * ln(u)
    } else {
        theta + sigma * (exp(-k * ln(u)) - 1.0) / k
    }
}

/// The generalized Pareto CDF, the inverse of [`pareto_quantile`]:
/// `1 - (1 + k (x - theta) / sigma)^(-1/k)` (`1 - e^(-(x - theta)/sigma)`
/// for `k = 0`), 0 below `theta`.
pub(crate) fn pareto_cdf(x: f64, theta: f64, k: f64, sigma: f64) -> f64 {
    let z = (x - theta) / sigma;
    if z <= 0.0 {
        return 0.0;
    }
    if k == 0.0 {
        return 1.0 - exp(-z);
    }
    let base = 1.0 + k * z;
    if base <= 0.0 {
        return 1.0;
    }
    1.0 - exp(-ln(base) / k)
}

/// `PowerCdfInversion` before its `ceil`: `(u / a)^(1 / b)`, the quantile
/// of the power law whose CDF is `a x^b`.
pub(crate) fn power_quantile(u: f64, a: f64, b: f64) -> f64 {
    exp(ln(u / a) / b)
}

/// `ceil(x)` as a count: negative and NaN to 0, saturating at `u64::MAX`.
pub(crate) fn ceil_count(x: f64) -> u64 {
    // `as` saturates and maps NaN to 0; `ceil` is exact everywhere.
    x.ceil() as u64
}

/// A uniform float in `(0, 1]` with 53 random bits: a quantile's argument
/// that never reaches `ln 0`.
pub(crate) fn unit_open0(rng: &mut SplitMix64) -> f64 {
    (rng.bits53() + 1.0) * (1.0 / (1u64 << 53) as f64)
}

/// `QueryDecider`: the ratios as integer shares of about 1000 (each share
/// rounded up), and an operation type drawn uniformly from them.
#[derive(Clone, Debug)]
pub(crate) struct QueryDecider {
    /// Cumulative shares, one per type.
    bounds: Vec<u64>,
}

impl QueryDecider {
    /// REQUIRES: ratios non-negative, finite, with a positive sum.
    pub(crate) fn new(ratios: &[f64]) -> Self {
        let sum: f64 = ratios.iter().sum();
        let mut total = 0;
        let bounds = ratios
            .iter()
            .map(|r| {
                total += (1000.0 * (r / sum)).ceil() as u64;
                total
            })
            .collect();
        QueryDecider { bounds }
    }

    /// The share of type `i`, as db_bench decides it.
    #[cfg(test)]
    pub(crate) fn share(&self, i: usize) -> f64 {
        let lo = if i == 0 { 0 } else { self.bounds[i - 1] };
        (self.bounds[i] - lo) as f64 / *self.bounds.last().expect("types") as f64
    }

    pub(crate) fn pick(&self, rng: &mut SplitMix64) -> usize {
        let pos = rng.below(*self.bounds.last().expect("types"));
        self.bounds
            .iter()
            .position(|&b| pos < b)
            .expect("pos < last bound")
    }
}

/// `GenerateTwoTermExpKeys`: `keyrange_num` equal key ranges whose
/// hotness is `a e^(b x) + c e^(d x)` for range `x` (1-based, before a
/// shuffle fixed by the parameters), as integer shares.
#[derive(Clone, Debug)]
pub(crate) struct KeyRanges {
    /// Start of each range's share, in shuffled order; `total` ends the last.
    starts: Vec<u64>,
    total: u64,
    /// Keys per range.
    pub(crate) size: u64,
}

impl KeyRanges {
    /// `None` when no range has a positive share.
    pub(crate) fn new(keys: u64, n: u64, [a, b, c, d]: [f64; 4]) -> Option<Self> {
        let mut amplify = 0u64;
        let mut shares = Vec::with_capacity(n as usize);
        for x in (1..=n).rev() {
            let x = x as f64;
            let mut p = a * exp(b * x) + c * exp(d * x);
            if p < 1e-16 || p.is_nan() {
                p = 0.0;
            }
            if amplify == 0 && p > 0.0 {
                amplify = (1.0 / p).floor() as u64 + 1;
            }
            shares.push(if p > 0.0 {
                (amplify as f64 * p).floor() as u64
            } else {
                0
            });
        }
        // db_bench shuffles with a generator seeded by the shares' total,
        // so the layout depends on the parameters alone.
        let total: u64 = shares.iter().try_fold(0u64, |s, &x| s.checked_add(x))?;
        if total == 0 {
            return None;
        }
        let mut rng = SplitMix64::new(total);
        for i in 0..shares.len() {
            let pos = (rng.next_u64() % n) as usize;
            shares.swap(i, pos);
        }
        let mut start = 0;
        let starts = shares
            .iter()
            .map(|&s| {
                let at = start;
                start += s;
                at
            })
            .collect();
        Some(KeyRanges {
            starts,
            total,
            size: keys / n,
        })
    }

    /// A range drawn by hotness.
    pub(crate) fn pick(&self, rng: &mut SplitMix64) -> u64 {
        let r = rng.below(self.total);
        (self.starts.partition_point(|&s| s <= r) - 1) as u64
    }

    /// The probability of range `i` (in shuffled order).
    #[cfg(test)]
    pub(crate) fn probability(&self, i: usize) -> f64 {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.total);
        (end - self.starts[i]) as f64 / self.total as f64
    }
}

/// A key's offset among `size` keys: a power-law rank `ceil((u/a)^(1/b))`
/// (`u` uniform over `size` steps, as db_bench draws it) hashed to a key,
/// or a uniform offset when `a` or `b` is 0.
pub(crate) fn power_key(rng: &mut SplitMix64, size: u64, a: f64, b: f64, salt: u64) -> u64 {
    match power_rank(rng, size, a, b) {
        Ok(rank) => mix64(rank ^ salt) % size,
        Err(uniform) => uniform,
    }
}

/// The rank of [`power_key`] before its hash: `Ok(ceil((u/a)^(1/b)))` with
/// `u` uniform over `size` steps of `[0, 1)`, or `Err(offset)`, a uniform
/// offset, when `a` or `b` is 0.
pub(crate) fn power_rank(rng: &mut SplitMix64, size: u64, a: f64, b: f64) -> Result<u64, u64> {
    let step = rng.below(size);
    if a == 0.0 || b == 0.0 {
        return Err(step);
    }
    let u = step as f64 / size as f64;
    Ok(ceil_count(power_quantile(u, a, b)))
}

/// `SineRate`: requests per second at `t` seconds, `a sin(b t + c) + d`.
pub(crate) fn sine_rate(t: f64, [a, b, c, d]: [f64; 4]) -> f64 {
    a * sin(b * t + c) + d
}
