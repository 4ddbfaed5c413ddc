//! `exp` and `ln` built from IEEE additions, multiplications and divisions
//! only.
//!
//! The standard library's `f64::exp`/`ln` call the platform's libm, whose
//! last bit differs between glibc, musl, macOS and Windows. The Zipf sampler
//! rounds and compares these values, so a one-ulp difference could change a
//! key; with these functions the stream is the same on every IEEE-754
//! machine. Accuracy is a few ulps, far more than sampling needs.

/// `ln 2` split so `k * LN2_HI` is exact for any exponent `k` (fdlibm's split).
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// `2^k` for `k` in the normal exponent range `[-1022, 1023]`.
fn pow2(k: i64) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `1/(k+1)!` for `k = 0..16`: `(e^r - 1) / r = sum c[k] r^k`.
const EXPM1_COEFFS: [f64; 16] = [
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362880.0,
    1.0 / 3628800.0,
    1.0 / 39916800.0,
    1.0 / 479001600.0,
    1.0 / 6227020800.0,
    1.0 / 87178291200.0,
    1.0 / 1307674368000.0,
    1.0 / 20922789888000.0,
];

/// `1/(2k+1)` for `k = 0..16`: `atanh(f) / f = sum c[k] f^(2k)`.
const ATANH_COEFFS: [f64; 16] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
    1.0 / 29.0,
    1.0 / 31.0,
];

/// `sum c[k] x^k` by Estrin's scheme: four levels of independent
/// multiply-adds instead of a chain of sixteen. The evaluation order is
/// fixed, so the result is too.
fn poly16(c: &[f64; 16], x: f64) -> f64 {
    let x2 = x * x;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let pair = |i: usize| c[i] + c[i + 1] * x;
    let quad = |i: usize| pair(i) + pair(i + 2) * x2;
    let oct = |i: usize| quad(i) + quad(i + 4) * x4;
    oct(0) + oct(8) * x8
}

/// `e^r - 1` for `|r| <= 0.35` (truncation error below 1e-18).
fn expm1_small(r: f64) -> f64 {
    r * poly16(&EXPM1_COEFFS, r)
}

/// `e^x`.
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_384 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    // Round to nearest by truncation (`as` truncates toward zero).
    let k = (x * LOG2_E + if x < 0.0 { -0.5 } else { 0.5 }) as i64;
    let kf = k as f64;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    let m = 1.0 + expm1_small(r);
    // Split the scale in two so results near overflow or in the subnormal
    // range are reached without an intermediate overflow.
    let half = k / 2;
    m * pow2(half) * pow2(k - half)
}

/// `e^x - 1`, accurate near zero.
pub(crate) fn exp_m1(x: f64) -> f64 {
    if x.abs() <= 0.35 {
        expm1_small(x)
    } else {
        exp(x) - 1.0
    }
}

/// The natural logarithm; `NaN` for negative inputs, `-inf` at zero.
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let (mut x, mut e) = (x, 0i64);
    if x < f64::MIN_POSITIVE {
        x *= pow2(60);
        e -= 60;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(f) with f = (m - 1) / (m + 1), |f| <= 0.172.
    let f = (m - 1.0) / (m + 1.0);
    let series = poly16(&ATANH_COEFFS, f * f);
    let e = e as f64;
    e * LN2_HI + (2.0 * f * series + e * LN2_LO)
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

    #[test]
    fn exp_m1_matches_std() {
        for &x in &[1e-18, -3e-9, 1e-5, 0.2, -0.34, 0.36, 2.0, -5.0, 30.0] {
            assert!(close(exp_m1(x), x.exp_m1(), 1e-14), "exp_m1({x})");
        }
    }
}
