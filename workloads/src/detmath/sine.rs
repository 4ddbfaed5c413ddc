//! `sin` from IEEE additions and multiplications only, so a sine-shaped
//! request rate gives the same simulated times on every machine.

/// `pi / 2` in three parts (Cody and Waite, fdlibm's split into 33-bit
/// pieces): `k * PIO2_1` and `k * PIO2_2` are exact for `|k| < 2^20`.
const PIO2_1: f64 = 1.570_796_326_734_125_6;
const PIO2_2: f64 = 6.077_100_506_303_966e-11;
const PIO2_3: f64 = 2.022_266_248_711_166_5e-21;
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// Largest argument: beyond it the three-part reduction loses bits.
pub(crate) const SIN_MAX_ARG: f64 = 1.0e6;

/// Taylor series of `sin r` for `|r| <= pi / 4` to `r^15` (error below
/// 2^-60 of the result), in a fixed order.
fn sin_poly(r: f64) -> f64 {
    let z = r * r;
    let p = -1.0 / 1_307_674_368_000.0;
    let p = 1.0 / 6_227_020_800.0 + z * p;
    let p = -1.0 / 39_916_800.0 + z * p;
    let p = 1.0 / 362_880.0 + z * p;
    let p = -1.0 / 5040.0 + z * p;
    let p = 1.0 / 120.0 + z * p;
    let p = 1.0 / 6.0 - z * p;
    r - r * z * p
}

/// Taylor series of `cos r` for `|r| <= pi / 4` to `r^16`.
fn cos_poly(r: f64) -> f64 {
    let z = r * r;
    let p = 1.0 / 20_922_789_888_000.0;
    let p = -1.0 / 87_178_291_200.0 + z * p;
    let p = 1.0 / 479_001_600.0 + z * p;
    let p = -1.0 / 3_628_800.0 + z * p;
    let p = 1.0 / 40_320.0 + z * p;
    let p = -1.0 / 720.0 + z * p;
    let p = 1.0 / 24.0 + z * p;
    let p = -0.5 + z * p;
    1.0 + z * p
}

/// `sin x` within a few ulps for `|x| <= SIN_MAX_ARG` (callers check).
pub(crate) fn sin(x: f64) -> f64 {
    debug_assert!(x.abs() <= SIN_MAX_ARG);
    // x = k pi/2 + r, |r| <= pi/4 (nearly).
    let kf = (x * std::f64::consts::FRAC_2_PI + ROUNDER) - ROUNDER;
    let r = ((x - kf * PIO2_1) - kf * PIO2_2) - kf * PIO2_3;
    match (kf as i64).rem_euclid(4) {
        0 => sin_poly(r),
        1 => cos_poly(r),
        2 => -sin_poly(r),
        _ => -cos_poly(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn sin_is_close_to_the_standard_library() {
        let mut rng = SplitMix64::new(11);
        for i in 0..200_000 {
            let scale = [1.0, 10.0, 1000.0, SIN_MAX_ARG][i % 4];
            let x = (rng.unit_f64() * 2.0 - 1.0) * scale;
            let (ours, std) = (sin(x), x.sin());
            assert!(
                (ours - std).abs()
                    <= 1e-15 + 4.0 * f64::EPSILON * std.abs().max(1e-3) + x.abs() * 1e-16,
                "sin({x}) = {ours}, std {std}"
            );
        }
        assert_eq!(sin(0.0), 0.0);
    }
}
