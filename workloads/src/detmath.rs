//! `exp`, `exp2` and `ln` built from IEEE additions, multiplications and
//! divisions only.
//!
//! The standard library's `f64::exp`/`ln` call the platform's libm, whose
//! last bit differs between glibc, musl, macOS and Windows. The Zipf sampler
//! rounds and compares these values, so a one-ulp difference could change a
//! key; with these functions the stream is the same on every IEEE-754
//! machine. Rust never fuses a multiply and an add unless asked to, so the
//! order written here is the order computed.
//!
//! They are table-driven, since every zipfian key costs one `ln` and one
//! `exp2`: the argument is reduced to within 1/256 of a table point
//! (256-entry tables built at compile time, see `tables`) and a polynomial
//! of degree 4 to 7 does the rest. Results are within one ulp of a
//! correctly rounded one (`exp_m1` within four), which the tests check
//! against the standard library on random arguments.

mod sine;
mod tables;

pub(crate) use sine::{sin, SIN_MAX_ARG};

use tables::{EXP2, EXP2_POLY, LN, LN_LOW_BITS, TABLE_BITS, TABLE_SIZE};

/// `ln 2` split so `k * LN2_HI` is exact for any exponent `k` (fdlibm's split).
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

const N: f64 = TABLE_SIZE as f64;
/// `exp` reduces `x = k ln 2 / N + r`. `LN2_HI / N` and `LN2_LO / N` are
/// exact (`N` is a power of two), and `|k| < 2^18`, so `k * LN2_HI_N` is
/// exact too.
const N_OVER_LN2: f64 = std::f64::consts::LOG2_E * N;
const LN2_HI_N: f64 = LN2_HI / N;
const LN2_LO_N: f64 = LN2_LO / N;
/// `1.5 * 2^52`: adding it to a float below 2^51 in magnitude rounds it to
/// an integer, which then sits in the low bits of the sum.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// Within these, results and table entries scaled by `2^e` stay normal (or
/// lose only bits far below the result's last).
const EXP_FAST_LIMIT: f64 = 700.0;
const EXP2_FAST_LIMIT: f64 = 1000.0;
const EXP_OVERFLOW: f64 = 709.782_712_893_384;
const EXP_UNDERFLOW: f64 = -745.2;
const EXP2_OVERFLOW: f64 = 1024.0;
const EXP2_UNDERFLOW: f64 = -1075.0;

/// `2^k` for `k` in the normal exponent range `[-1022, 1023]`.
#[inline]
fn pow2(k: i64) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `z` rounded to the nearest integer, as an integer and a float.
/// REQUIRES: `|z| < 2^51`.
#[inline]
fn round_parts(z: f64) -> (i64, f64) {
    let shifted = z + ROUNDER;
    let k = shifted.to_bits() as i64 - ROUNDER.to_bits() as i64;
    (k, shifted - ROUNDER)
}

/// `e^r - 1` for `|r| <= ln 2 / 2N` (truncation error below 2^-56 of the
/// result): the Taylor series to `r^5`, evaluated in a fixed order.
#[inline]
fn expm1_tiny(r: f64) -> f64 {
    let r2 = r * r;
    r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)))
}

/// `2^(s / N) - 1` for `|s| <= 1/2` (truncation error below 2^-54 of
/// `2^(s / N)`): the Taylor series to `s^4`, its coefficients scaled by
/// powers of `N`.
#[inline]
fn exp2m1_scaled(s: f64) -> f64 {
    let [c1, c2, c3, c4] = EXP2_POLY;
    let s2 = s * s;
    s * c1 + s2 * ((c2 + s * c3) + s2 * c4)
}

/// `x = k ln 2 / N + r` with `|r| <= ln 2 / 2N`, for `|x| <= 746`: `k`, `r`.
#[inline]
fn reduce(x: f64) -> (i64, f64) {
    let (k, kf) = round_parts(x * N_OVER_LN2);
    // Exact but for the rounding of the last product (Cody and Waite).
    (k, (x - kf * LN2_HI_N) - kf * LN2_LO_N)
}

/// `y N = k + s` with `|s| <= 1/2`, both exact, for `|y| < 2^40`.
#[inline]
fn reduce2(y: f64) -> (i64, f64) {
    let z = y * N;
    let (k, kf) = round_parts(z);
    (k, z - kf)
}

/// `2^(k / N) * (1 + p)`, for `k / N` in `[-1022, 1023]` (a normal power
/// of two).
#[inline]
fn scale_entry(k: i64, p: f64) -> f64 {
    let t = &EXP2[(k & (TABLE_SIZE as i64 - 1)) as usize];
    (t.hi + (t.lo + t.hi * p)) * pow2(k >> TABLE_BITS)
}

/// `2^(k / N) * (1 + p)` for any `k` whose result is representable:
/// scaled in two steps, the first exact, so a subnormal result is rounded
/// once.
#[cold]
fn scale_entry_edge(k: i64, p: f64) -> f64 {
    let t = &EXP2[(k & (TABLE_SIZE as i64 - 1)) as usize];
    let e = k >> TABLE_BITS;
    let half = e / 2;
    (t.hi + (t.lo + t.hi * p)) * pow2(half) * pow2(e - half)
}

/// `e^x`, within about one ulp.
#[inline]
pub(crate) fn exp(x: f64) -> f64 {
    if x.abs() <= EXP_FAST_LIMIT {
        let (k, r) = reduce(x);
        return scale_entry(k, expm1_tiny(r));
    }
    exp_edge(x)
}

#[cold]
fn exp_edge(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > EXP_OVERFLOW {
        return f64::INFINITY;
    }
    if x < EXP_UNDERFLOW {
        return 0.0;
    }
    let (k, r) = reduce(x);
    scale_entry_edge(k, expm1_tiny(r))
}

/// `2^y`, within about one ulp.
#[inline]
pub(crate) fn exp2(y: f64) -> f64 {
    if y.abs() <= EXP2_FAST_LIMIT {
        let (k, r) = reduce2(y);
        return scale_entry(k, exp2m1_scaled(r));
    }
    exp2_edge(y)
}

#[cold]
fn exp2_edge(y: f64) -> f64 {
    if y.is_nan() {
        return y;
    }
    if y >= EXP2_OVERFLOW {
        return f64::INFINITY;
    }
    if y < EXP2_UNDERFLOW {
        return 0.0;
    }
    let (k, r) = reduce2(y);
    scale_entry_edge(k, exp2m1_scaled(r))
}

/// `[exp2(y[0]), exp2(y[1])]`, computed side by side (one step for both,
/// then the next), so their chains of dependent arithmetic overlap.
#[inline]
pub(crate) fn exp2_pair(y: [f64; 2]) -> [f64; 2] {
    if y[0].abs() <= EXP2_FAST_LIMIT && y[1].abs() <= EXP2_FAST_LIMIT {
        let ((k0, r0), (k1, r1)) = (reduce2(y[0]), reduce2(y[1]));
        let (p0, p1) = (exp2m1_scaled(r0), exp2m1_scaled(r1));
        return [scale_entry(k0, p0), scale_entry(k1, p1)];
    }
    [exp2(y[0]), exp2(y[1])]
}

/// `e^x - 1`, accurate near zero.
pub(crate) fn exp_m1(x: f64) -> f64 {
    if x.is_nan() || x.abs() > 0.35 {
        return exp(x) - 1.0;
    }
    let (k, r) = reduce(x);
    if k == 0 {
        // r == x: the polynomial alone, without cancellation.
        return expm1_tiny(r);
    }
    let t = &EXP2[(k & (TABLE_SIZE as i64 - 1)) as usize];
    let scale = pow2(k >> TABLE_BITS);
    // scale * t.hi is in [0.5, 2], so subtracting 1 is exact (Sterbenz).
    (scale * t.hi - 1.0) + scale * (t.lo + t.hi * expm1_tiny(r))
}

/// `ln(1 + r) - r` for `|r| < 2^-8` (truncation error below 2^-59 of
/// `ln(1 + r)`): the series to `r^7`.
#[inline]
fn log1p_tail(r: f64) -> f64 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let low = (-0.5 + r * (1.0 / 3.0)) + r2 * (-0.25 + r * 0.2);
    r2 * (low + r4 * (-1.0 / 6.0 + r * (1.0 / 7.0)))
}

/// The natural logarithm, within about one ulp; `NaN` for negative
/// inputs, `-inf` at zero.
#[inline]
pub(crate) fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    if is_positive_normal(bits) {
        return ln_normal(bits, 0);
    }
    ln_edge(x)
}

/// Whether the float with these bits is positive, normal and finite.
#[inline]
fn is_positive_normal(bits: u64) -> bool {
    const LOWEST: u64 = f64::MIN_POSITIVE.to_bits();
    bits.wrapping_sub(LOWEST) < f64::INFINITY.to_bits() - LOWEST
}

/// `[ln(x[0]), ln(x[1])]`, computed side by side (see `exp2_pair`).
#[inline]
pub(crate) fn ln_pair(x: [f64; 2]) -> [f64; 2] {
    let (b0, b1) = (x[0].to_bits(), x[1].to_bits());
    if is_positive_normal(b0) && is_positive_normal(b1) {
        return [ln_normal(b0, 0), ln_normal(b1, 0)];
    }
    [ln(x[0]), ln(x[1])]
}

#[cold]
fn ln_edge(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // Subnormal: scale into the normal range (exactly).
    ln_normal((x * pow2(60)).to_bits(), -60)
}

/// `ln` of the normal positive number with bits `bits`, plus `extra * ln 2`.
///
/// `x = 2^k z` with `z` in `[LN_LOW, 2 LN_LOW)`, about `[0.71, 1.41)`, so
/// `ln` of values near 1 (either side) needs no cancelling `k ln 2`. One
/// integer subtraction finds `k`, `z` and the table bucket of `z`.
#[inline]
fn ln_normal(bits: u64, extra: i64) -> f64 {
    let tmp = bits.wrapping_sub(LN_LOW_BITS);
    let k = (tmp as i64 >> 52) + extra;
    let z = f64::from_bits(bits.wrapping_sub(tmp & (0xfff << 52)));
    let entry = &LN[((tmp >> (52 - TABLE_BITS)) as usize) & (TABLE_SIZE - 1)];
    // z - c is exact (c is the end of z's bucket nearest 1, so both lie in
    // one binade or c is 1); r = z/c - 1 to within one rounding.
    let r = (z - entry.c) * entry.inv_c;
    let kf = k as f64;
    let hi = kf * LN2_HI + entry.ln_c.hi;
    let lo = kf * LN2_LO + entry.ln_c.lo;
    hi + (r + (log1p_tail(r) + lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        a == b || (a - b).abs() <= rel * b.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn ln2_split_is_exact_and_complete() {
        assert_eq!(LN2_HI.to_bits(), 0x3fe6_2e42_fee0_0000);
        assert_eq!(LN2_LO.to_bits(), 0x3dea_39ef_3579_3c76);
    }

    #[test]
    fn exp_matches_std() {
        let mut x = -740.0;
        while x < 709.0 {
            assert!(close(exp(x), x.exp(), 1e-14), "exp({x})");
            x += 0.37;
        }
        for &x in &[0.0, 1e-300, -1e-12, 0.5, 1.0, -1.0] {
            assert!(close(exp(x), x.exp(), 1e-15), "exp({x})");
        }
        assert_eq!(exp(800.0), f64::INFINITY);
        assert_eq!((exp2(-1074.0), exp2(1023.0)), (5e-324, 2f64.powi(1023)));
        assert_eq!((exp2(1024.0), exp2(-1076.0)), (f64::INFINITY, 0.0));
        assert!(exp2(f64::NAN).is_nan() && exp(f64::NAN).is_nan());
        assert_eq!(exp(-800.0), 0.0);
    }

    #[test]
    fn ln_matches_std() {
        let mut x = 1e-310;
        while x < 1e300 {
            assert!(close(ln(x), x.ln(), 1e-15), "ln({x})");
            x *= 1.7;
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }

    /// Largest distance in ulps from std (itself within an ulp of the truth)
    /// over a fixed pseudo-random sample of `f(u)`, `u` uniform in [0, 1).
    fn max_ulps(f: impl Fn(f64) -> (f64, f64)) -> u64 {
        let mut rng = crate::rng::SplitMix64::new(9);
        (0..100_000)
            .map(|_| {
                let (ours, std) = f(rng.unit_f64());
                ours.to_bits().abs_diff(std.to_bits())
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn random_arguments_are_within_a_few_ulps_of_std() {
        let exp_err = max_ulps(|u| {
            let x = (u - 0.5) * 1400.0;
            (exp(x), x.exp())
        });
        let ln_err = max_ulps(|u| {
            let x = f64::from_bits((u * (0x7fe0_0000_0000_0000u64 as f64)) as u64);
            (ln(x), x.ln())
        });
        let exp2_err = max_ulps(|u| {
            let y = (u - 0.5) * 2060.0;
            (exp2(y), y.exp2())
        });
        let ln_near_1 = max_ulps(|u| (ln(0.5 + u), (0.5 + u).ln()));
        let exp_m1_err = max_ulps(|u| {
            let x = (u - 0.5) * 0.7;
            (exp_m1(x), x.exp_m1())
        });
        assert!(
            exp_err <= 1 && exp2_err <= 1,
            "exp {exp_err}, exp2 {exp2_err}"
        );
        assert!(
            ln_err <= 1 && ln_near_1 <= 1,
            "ln {ln_err}, near 1 {ln_near_1}"
        );
        assert!(exp_m1_err <= 4, "{exp_m1_err}");
    }

    #[test]
    fn pairs_equal_their_lanes_computed_alone() {
        let args = [
            0.7, 1.0, 1.2, 3e-5, 1e300, 5e-324, 2.2e-308, -1.0, 0.0, 900.0, -1074.5, 1030.0,
        ];
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for &a in &args {
            for &b in &args {
                let [la, lb] = ln_pair([a, b]);
                assert!(same(la, ln(a)) && same(lb, ln(b)), "ln {a} {b}");
                let [ea, eb] = exp2_pair([a, b]);
                assert!(same(ea, exp2(a)) && same(eb, exp2(b)), "exp2 {a} {b}");
            }
        }
    }

    #[test]
    fn exp_m1_matches_std() {
        for &x in &[1e-18, -3e-9, 1e-5, 0.2, -0.34, 0.36, 2.0, -5.0, 30.0] {
            assert!(close(exp_m1(x), x.exp_m1(), 1e-14), "exp_m1({x})");
        }
    }
}
