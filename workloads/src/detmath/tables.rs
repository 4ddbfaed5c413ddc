//! The lookup tables of [`super::exp`], [`super::exp2`] and [`super::ln`],
//! computed at compile
//! time in double-double arithmetic (about 104 bits), so each entry is the
//! correctly rounded value plus its rounding error.
//!
//! Everything here is `const fn` built from IEEE `+ - * /`, which Rust
//! evaluates at compile time exactly as the hardware would at run time: the
//! tables are the same on every machine and with every compiler version.

/// Bits of a table index: both tables have `2^TABLE_BITS` entries.
pub(super) const TABLE_BITS: u32 = 8;
pub(super) const TABLE_SIZE: usize = 1 << TABLE_BITS;

/// `ln` reduces its argument to `z` in `[LN_LOW, 2 LN_LOW)` with
/// `LN_LOW = (1 + 53/128) / 2 ~ 1 / sqrt 2`; bucket `i` of the table holds
/// the `z` whose bits are `LN_LOW_BITS + i * 2^(52 - TABLE_BITS)` and up,
/// so buckets below `LN_ONE` cover `[LN_LOW, 1)`, the others `[1, 2 LN_LOW)`.
pub(super) const LN_LOW_BITS: u64 = 0x3fe0_0000_0000_0000 + (53 << 45);
#[cfg(test)]
const LN_ONE: usize = ((1f64.to_bits() - LN_LOW_BITS) >> (52 - TABLE_BITS)) as usize;

/// An unevaluated sum `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

/// `a + b` exactly, for `|a| >= |b|`.
const fn quick_two_sum(a: f64, b: f64) -> Dd {
    let hi = a + b;
    Dd {
        hi,
        lo: b - (hi - a),
    }
}

/// `a + b` exactly, whatever their magnitudes (Knuth's two-sum).
const fn two_sum(a: f64, b: f64) -> Dd {
    let hi = a + b;
    let b_part = hi - a;
    Dd {
        hi,
        lo: (a - (hi - b_part)) + (b - b_part),
    }
}

/// `a` as the sum of two halves of 26 bits or fewer (Dekker's split).
const fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// `a * b` exactly (Dekker's product, no fused multiply-add needed).
const fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    Dd {
        hi: p,
        lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl,
    }
}

const fn dd(x: f64) -> Dd {
    Dd { hi: x, lo: 0.0 }
}

const fn add(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    quick_two_sum(s.hi, s.lo + (a.lo + b.lo))
}

const fn mul(a: Dd, b: Dd) -> Dd {
    let p = two_prod(a.hi, b.hi);
    quick_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

const fn div_f64(a: Dd, b: f64) -> Dd {
    let q1 = a.hi / b;
    let p = two_prod(q1, b);
    let s = two_sum(a.hi, -p.hi);
    let rest = ((s.lo - p.lo) + a.lo) + s.hi;
    quick_two_sum(q1, rest / b)
}

/// `ln c` for `c` in `[0.5, 2]`: `2 atanh(f)` with `f = (c - 1) / (c + 1)`,
/// `|f| <= 1/3`, summed until the terms vanish (at most 40 of them).
const fn ln_dd(c: f64) -> Dd {
    // c - 1 is exact for c in [0.5, 2] (Sterbenz).
    let f = div_f64(dd(c - 1.0), c + 1.0);
    let f2 = mul(f, f);
    let mut power = f;
    let mut sum = f;
    let mut k = 1;
    while k < 40 {
        power = mul(power, f2);
        sum = add(sum, div_f64(power, (2 * k + 1) as f64));
        k += 1;
    }
    add(sum, sum)
}

/// `ln 2` to 107 bits (the rounded value and the rounded remainder).
const LN2: Dd = Dd {
    hi: f64::from_bits(0x3fe6_2e42_fefa_39ef),
    lo: f64::from_bits(0x3c7a_bc9e_3b39_803f),
};

/// `e^r` for `|r| <= 1` by its Taylor series (30 terms: the last is below
/// `2^-107`).
const fn exp_dd(r: Dd) -> Dd {
    let mut term = dd(1.0);
    let mut sum = dd(1.0);
    let mut n = 1;
    while n <= 30 {
        term = div_f64(mul(term, r), n as f64);
        sum = add(sum, term);
        n += 1;
    }
    sum
}

/// `2^(j / TABLE_SIZE)` for `j` in `0..TABLE_SIZE`.
const fn build_exp2() -> [Dd; TABLE_SIZE] {
    let mut table = [dd(0.0); TABLE_SIZE];
    let mut j = 0;
    while j < TABLE_SIZE {
        // j * ln2 / 2^TABLE_BITS: the scaling by a power of two is exact.
        let r = mul(LN2, dd(j as f64));
        let scale = 1.0 / TABLE_SIZE as f64;
        table[j] = exp_dd(Dd {
            hi: r.hi * scale,
            lo: r.lo * scale,
        });
        j += 1;
    }
    table
}

/// One `ln` table entry: the centre `c` of the reduction, `1 / c` rounded,
/// and `ln c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct LnEntry {
    pub(super) c: f64,
    pub(super) inv_c: f64,
    pub(super) ln_c: Dd,
}

/// The centre of `ln` bucket `i`: its end nearest 1, so that `z - c` is
/// exact and `ln z` near 1 is computed from `z - 1` alone.
const fn ln_centre(i: usize) -> f64 {
    let low = f64::from_bits(LN_LOW_BITS + ((i as u64) << (52 - TABLE_BITS)));
    let high = f64::from_bits(LN_LOW_BITS + ((i as u64 + 1) << (52 - TABLE_BITS)));
    if low >= 1.0 {
        low
    } else {
        high
    }
}

const fn build_ln() -> [LnEntry; TABLE_SIZE] {
    let mut table = [LnEntry {
        c: 0.0,
        inv_c: 0.0,
        ln_c: dd(0.0),
    }; TABLE_SIZE];
    let mut j = 0;
    while j < TABLE_SIZE {
        let c = ln_centre(j);
        table[j] = LnEntry {
            c,
            inv_c: 1.0 / c,
            ln_c: ln_dd(c),
        };
        j += 1;
    }
    table
}

/// `(ln 2 / N)^k / k!` for `k = 1..=4`: `2^(s/N) - 1 = sum c[k-1] s^k`.
/// Dividing by the power of two `N^k` is exact.
const fn build_exp2_poly() -> [f64; 4] {
    let mut coeffs = [0.0; 4];
    let mut term = dd(1.0);
    let mut k = 1;
    while k <= 4 {
        term = div_f64(mul(term, LN2), (k * TABLE_SIZE) as f64);
        coeffs[k - 1] = term.hi;
        k += 1;
    }
    coeffs
}

pub(super) static EXP2: [Dd; TABLE_SIZE] = build_exp2();
pub(super) const EXP2_POLY: [f64; 4] = build_exp2_poly();
pub(super) static LN: [LnEntry; TABLE_SIZE] = build_ln();

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn double_double_series_reach_about_105_bits() {
        // ln 2 and e^(ln 2) = 2 recomputed from the series used for the
        // tables: both within a few units of 2^-106 of the truth.
        let ln2 = ln_dd(2.0);
        assert_eq!(ln2.hi, LN2.hi);
        assert!(ulps(ln2.lo, LN2.lo) <= 2, "{ln2:?}");
        let two = exp_dd(LN2);
        assert_eq!(two.hi, 2.0);
        assert!(two.lo.abs() <= 1e-30, "{two:?}");
        let one_and_half = exp_dd(ln_dd(1.5));
        assert_eq!(one_and_half.hi, 1.5);
        assert!(one_and_half.lo.abs() <= 1e-31, "{one_and_half:?}");
    }

    #[test]
    fn tables_built_at_run_time_equal_the_compile_time_ones() {
        // The same IEEE operations give the same bits in the compiler's
        // const evaluator and on this machine's FPU.
        assert!(build_exp2() == EXP2);
        assert!(build_ln() == LN);
        assert_eq!(build_exp2_poly(), EXP2_POLY);
        assert_eq!(EXP2_POLY[0], std::f64::consts::LN_2 / TABLE_SIZE as f64);
    }

    #[test]
    fn entries_agree_with_std_and_are_normalised() {
        for (j, e) in EXP2.iter().enumerate() {
            let want = (j as f64 / TABLE_SIZE as f64).exp2();
            assert!(ulps(e.hi, want) <= 1, "2^({j}/N): {} vs {want}", e.hi);
            assert_eq!(e.hi + e.lo, e.hi, "entry {j} not normalised");
        }
        for (j, e) in LN.iter().enumerate() {
            assert!(ulps(e.ln_c.hi, e.c.ln()) <= 1, "ln {}: {:?}", e.c, e.ln_c);
            assert_eq!(e.ln_c.hi + e.ln_c.lo, e.ln_c.hi, "entry {j} not normalised");
            assert_eq!(e.inv_c, 1.0 / e.c);
        }
        // Buckets next to 1 (from below and from above) are centred exactly
        // on 1; the lowest bucket starts at 1 / sqrt 2 or just below.
        assert_eq!((LN[LN_ONE - 1].c, LN[LN_ONE - 1].ln_c), (1.0, dd(0.0)));
        assert_eq!((LN[LN_ONE].c, LN[LN_ONE].ln_c), (1.0, dd(0.0)));
        assert_eq!(
            f64::from_bits(LN_LOW_BITS + ((LN_ONE as u64) << (52 - TABLE_BITS))),
            1.0
        );
        let low = f64::from_bits(LN_LOW_BITS);
        assert!(low <= std::f64::consts::FRAC_1_SQRT_2 && low > 0.7, "{low}");
    }
}
