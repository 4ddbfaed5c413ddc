//! The two fits of a trace's shape rather than its distributions: key-range
//! hotness (`keyrange_dist_a..d`) and the sine-shaped request rate
//! (`sine_a..d`).
//!
//! Key ranges: the key space (`key_count` keys, the largest decoded key
//! index + 1 unless given) is cut into `keyrange_num` equal ranges and each
//! range's share of accesses counted. db_bench shuffles the ranges, so the
//! shares are sorted (hottest first) and matched to the model's
//! `a e^(b x) + c e^(d x)` for `x = 1..n`. Only the shape is identifiable
//! (db_bench normalises the shares), so the fit is scaled to sum to 1 over
//! the ranges, as the published parameters nearly do (0.989). The second
//! term, which decays slower, is fitted to the ranks from 4 on by least
//! squares of `ln share` on `x`; the first to what is left of ranks 1 and
//! 2. db_bench rounds each range's share down to an integer multiple of
//! the coldest one (which it makes one unit), so before fitting half a
//! unit is added back to every range but the coldest: without that, `d`
//! comes out 10-15% steeper on the published parameters; with it, within
//! about 5%. Generating from the fit rounds the same way again.
//!
//! Rate: operations are counted per simulated second and
//! `a sin(b t + c) + d` is fitted by least squares, scanning `b` from one
//! period per trace to one per 4 s and refining around the best; for a
//! given `b` the rest is linear. The fit is kept when it explains at least
//! half the variance of the per-second counts.

use std::collections::HashMap;

use super::fit::DistFit;
use crate::key::decode_key;

/// Rank from which the slow (second) term alone is fitted.
const TAIL_FROM: usize = 4;
/// The hottest range must have this many times the median range's share
/// for the ranges to have a shape to fit.
const HOT_FACTOR: f64 = 2.0;
/// Fewest accesses for a key-range fit.
const MIN_RANGE_ACCESSES: u64 = 1000;
/// Fewest whole seconds for a rate fit.
const MIN_SECONDS: usize = 8;
/// Share of the per-second variance a sine must explain to be kept.
const MIN_EXPLAINED: f64 = 0.5;

/// A fitted key-range hotness.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRangeFit {
    /// `keyrange_dist_a..d`.
    pub dist: [f64; 4],
    pub keyrange_num: u64,
    /// The key count the ranges were cut from.
    pub key_count: u64,
    /// Largest gap between the trace's sorted cumulative range shares and
    /// the fitted ones.
    pub fit: DistFit,
}

/// A fitted sine rate.
#[derive(Clone, Debug, PartialEq)]
pub struct SineFit {
    /// `sine_a..d`: `a sin(b t + c) + d` operations per second at `t` s.
    pub sine: [f64; 4],
    /// Whole seconds fitted.
    pub seconds: usize,
    /// Share of the per-second counts' variance the sine explains.
    pub explained: f64,
}

/// Fits key-range hotness to per-key access counts (keys that do not
/// decode to an index, as lsmlab and db_bench write them, make it `None`).
pub(crate) fn fit_key_ranges(
    keys: &HashMap<Vec<u8>, u64>,
    keyrange_num: u64,
    key_count: Option<u64>,
) -> Option<KeyRangeFit> {
    let n = keyrange_num as usize;
    if n < TAIL_FROM + 4 {
        return None;
    }
    let mut indexed = Vec::with_capacity(keys.len());
    for (key, &count) in keys {
        indexed.push((decode_key(key)?, count));
    }
    let max = indexed.iter().map(|&(i, _)| i).max()?;
    let key_count = key_count.unwrap_or(max + 1);
    let size = key_count / keyrange_num;
    if size == 0 {
        return None;
    }
    let mut counts = vec![0u64; n];
    for (index, count) in indexed {
        counts[((index / size) as usize).min(n - 1)] += count;
    }
    let total: u64 = counts.iter().sum();
    if total < MIN_RANGE_ACCESSES {
        return None;
    }
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let mut shares: Vec<f64> = counts.iter().map(|&c| c as f64 / total as f64).collect();
    // Ranges of about equal heat (key ranges off) have no shape to fit.
    if shares[0] < HOT_FACTOR * shares[n / 2] {
        return None;
    }
    // db_bench rounds each share down to whole multiples of the coldest
    // range's (which is itself one unit): add back half a unit on average.
    let unit = shares[n - 1];
    for s in &mut shares[..n - 1] {
        *s += 0.5 * unit;
    }
    let sum: f64 = shares.iter().sum();
    shares.iter_mut().for_each(|s| *s /= sum);
    // The slow term on the tail: ln s = ln c + d x.
    let tail: Vec<(f64, f64)> = (TAIL_FROM..=n)
        .filter(|&x| shares[x - 1] > 0.0)
        .map(|x| (x as f64, shares[x - 1].ln()))
        .collect();
    let (ln_c, d) = least_squares(&tail)?;
    let c = ln_c.exp();
    // The fast term on what ranks 1 and 2 hold beyond the slow one.
    let r1 = shares[0] - c * d.exp();
    let r2 = shares[1] - c * (2.0 * d).exp();
    if !(r1 > r2 && r2 > 0.0) {
        return None;
    }
    let b = (r2 / r1).ln();
    let a = r1 / b.exp();
    // Scaled to sum to 1 over the ranges.
    let model = |x: f64| a * (b * x).exp() + c * (d * x).exp();
    let sum: f64 = (1..=n).map(|x| model(x as f64)).sum();
    let (a, c) = (a / sum, c / sum);
    let (mut seen, mut fitted, mut gap) = (0.0, 0.0, 0.0f64);
    for x in 1..=n {
        seen += shares[x - 1];
        fitted += a * (b * x as f64).exp() + c * (d * x as f64).exp();
        gap = gap.max((seen - fitted).abs());
    }
    let dist = [a, b, c, d];
    dist.iter().all(|v| v.is_finite()).then_some(KeyRangeFit {
        dist,
        keyrange_num,
        key_count,
        fit: DistFit {
            samples: total,
            ks_distance: gap,
        },
    })
}

/// `(intercept, slope)` of the least-squares line through `points`.
fn least_squares(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 {
        return None;
    }
    let m = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / m, b + p.1 / m));
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), p| {
        (a + (p.0 - mx) * (p.1 - my), b + (p.0 - mx).powi(2))
    });
    let slope = sxy / sxx;
    slope.is_finite().then_some((my - slope * mx, slope))
}

/// Fits `a sin(b t + c) + d` to operations per whole second (`per_second`,
/// second 0 first).
pub(crate) fn fit_sine(per_second: &[u64]) -> Option<SineFit> {
    let k = per_second.len();
    if k < MIN_SECONDS {
        return None;
    }
    let ys: Vec<f64> = per_second.iter().map(|&c| c as f64).collect();
    let mean = ys.iter().sum::<f64>() / k as f64;
    let variance: f64 = ys.iter().map(|y| (y - mean).powi(2)).sum();
    if variance <= 0.0 {
        return None;
    }
    let sse = |b: f64| linear_sine(&ys, b).map_or(f64::INFINITY, |(_, _, _, e)| e);
    // Angular frequencies from one period over the trace to one per 4 s.
    let (lo, hi) = (
        std::f64::consts::TAU / k as f64,
        std::f64::consts::TAU / 4.0,
    );
    const STEPS: usize = 4000;
    let at = |i: usize| lo * (hi / lo).powf(i as f64 / STEPS as f64);
    let best = (0..=STEPS)
        .min_by(|&i, &j| sse(at(i)).total_cmp(&sse(at(j))))
        .expect("steps");
    // Golden-section search between the neighbours of the best step.
    let (mut x0, mut x1) = (at(best.saturating_sub(1)), at((best + 1).min(STEPS)));
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let (m0, m1) = (x1 - phi * (x1 - x0), x0 + phi * (x1 - x0));
        if sse(m0) < sse(m1) {
            x1 = m1;
        } else {
            x0 = m0;
        }
    }
    let b = 0.5 * (x0 + x1);
    let (alpha, beta, d, error) = linear_sine(&ys, b)?;
    let explained = 1.0 - error / variance;
    let a = alpha.hypot(beta);
    // a sin(bt + c) = a cos(c) sin(bt) + a sin(c) cos(bt).
    let c = beta.atan2(alpha).rem_euclid(std::f64::consts::TAU);
    (explained >= MIN_EXPLAINED && a > 0.0).then_some(SineFit {
        sine: [a, b, c, d],
        seconds: k,
        explained,
    })
}

/// For angular frequency `b`: the least-squares `(alpha, beta, d)` of
/// `alpha sin(b t) + beta cos(b t) + d` at `t = i + 0.5` (the middle of
/// second `i`), and the squared error.
fn linear_sine(ys: &[f64], b: f64) -> Option<(f64, f64, f64, f64)> {
    // Normal equations of three unknowns.
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for (i, &y) in ys.iter().enumerate() {
        let t = i as f64 + 0.5;
        let row = [(b * t).sin(), (b * t).cos(), 1.0];
        for r in 0..3 {
            for (col, cell) in m[r].iter_mut().enumerate() {
                *cell += row[r] * row[col];
            }
            v[r] += row[r] * y;
        }
    }
    let [alpha, beta, d] = solve3(m, v)?;
    let error = ys
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let t = i as f64 + 0.5;
            (y - alpha * (b * t).sin() - beta * (b * t).cos() - d).powi(2)
        })
        .sum();
    Some((alpha, beta, d, error))
}

/// Solves a 3x3 system by Gaussian elimination with partial pivoting.
fn solve3(mut m: [[f64; 3]; 3], mut v: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        v.swap(col, pivot);
        let pivot_row = m[col];
        for row in col + 1..3 {
            let f = m[row][col] / pivot_row[col];
            for (cell, p) in m[row].iter_mut().zip(pivot_row).skip(col) {
                *cell -= f * p;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let rest: f64 = (row + 1..3).map(|k| m[row][k] * x[k]).sum();
        x[row] = (v[row] - rest) / m[row][row];
    }
    x.iter().all(|c| c.is_finite()).then_some(x)
}
