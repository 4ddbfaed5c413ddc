//! Zipf-distributed ranks by rejection-inversion (Hörmann and Derflinger,
//! "Rejection-inversion to generate variates from monotone discrete
//! distributions", 1996).
//!
//! Set-up is O(1) whatever the number of elements (YCSB's generator sums
//! `zeta(n)` term by term, minutes at 10^8 keys), the sample is exact, and
//! changing `n` costs a logarithm and an exponential, which the `latest`
//! distribution needs as keys are inserted. All floating-point work goes through
//! [`crate::detmath`] so samples are identical on every machine.

use crate::detmath::{exp, exp2, exp2_pair, exp_m1, ln, ln_pair};

use crate::rng::SplitMix64;

/// Draws ranks `1..=n` with `P(k)` proportional to `k^-theta`.
#[derive(Clone, Debug)]
pub(crate) struct Zipf {
    theta: f64,
    /// `1 - theta` and its inverse. INVARIANT: `theta != 1`, so both are
    /// finite and non-zero.
    one_minus: f64,
    inv_one_minus: f64,
    n: u64,
    /// `H(1.5) - h(1)`: the upper end of the inversion interval.
    h_x1: f64,
    /// `H(n + 0.5)`: the lower end of the inversion interval.
    h_n: f64,
    /// Squeeze: a candidate `k` with `k - x <= squeeze` is accepted at once.
    squeeze: f64,
    /// The fast path draws `t = 1 + (1 - theta) u` directly: `t_n + b *
    /// t_step` for the 53 random bits `b`, and `x = 2^(log_scale * ln t)`.
    t_n: f64,
    t_step: f64,
    log_scale: f64,
}

/// The first candidate rank for a draw, computed ahead of the draw (see
/// [`Zipf::first_candidates`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidate {
    /// The `n` it was computed for.
    n: u64,
    k: u64,
    x: f64,
}

/// `2^-53`: the weight of the lowest of 53 random bits.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl Zipf {
    /// REQUIRES: `n >= 1`, `theta` finite, positive and not 1.
    pub(crate) fn new(n: u64, theta: f64) -> Self {
        debug_assert!(n >= 1 && theta > 0.0 && theta.is_finite() && theta != 1.0);
        let mut z = Zipf {
            theta,
            one_minus: 1.0 - theta,
            inv_one_minus: 1.0 / (1.0 - theta),
            n,
            h_x1: 0.0,
            h_n: 0.0,
            squeeze: 0.0,
            t_n: 0.0,
            t_step: 0.0,
            log_scale: std::f64::consts::LOG2_E / (1.0 - theta),
        };
        z.h_x1 = z.big_h(1.5) - 1.0;
        z.squeeze = 2.0 - z.big_h_inv(z.big_h(2.5) - z.h(2.0));
        z.set_n(n);
        z
    }

    pub(crate) fn n(&self) -> u64 {
        self.n
    }

    /// Changes the number of elements, keeping `theta`.
    pub(crate) fn set_n(&mut self, n: u64) {
        debug_assert!(n >= 1);
        self.n = n;
        self.h_n = self.big_h(n as f64 + 0.5);
        self.t_n = 1.0 + self.h_n * self.one_minus;
        self.t_step = (self.h_x1 - self.h_n) * self.one_minus * UNIT;
    }

    /// The unnormalised density `x^-theta`.
    fn h(&self, x: f64) -> f64 {
        exp(-self.theta * ln(x))
    }

    /// An antiderivative of `h`: `(x^(1-theta) - 1) / (1 - theta)`, with
    /// `exp_m1` so it stays accurate for `theta` near 1.
    fn big_h(&self, x: f64) -> f64 {
        exp_m1(ln(x) * self.one_minus) * self.inv_one_minus
    }

    /// The inverse of [`Zipf::big_h`]: `(1 + (1-theta) y)^(1/(1-theta))`.
    ///
    /// `ln(1 + t)` rather than the slower `ln_1p(t)`: rounding `1 + t` adds
    /// at most 2^-53 to the logarithm, so `x` is off by a relative
    /// 2^-53 / |1 - theta| at most (1e-14 at theta 0.99, 1e-7 at 1 - 1e-9),
    /// which moves rank boundaries, and so probabilities, by no more. Draws
    /// use the equivalent `candidate`.
    fn big_h_inv(&self, y: f64) -> f64 {
        exp(ln(1.0 + y * self.one_minus) * self.inv_one_minus)
    }

    /// One rank in `1..=n`.
    ///
    /// Hörmann and Derflinger draw `u` uniform between `h_n` and `h_x1` and
    /// invert `H`; here the affine `t = 1 + (1 - theta) u` is drawn instead
    /// and `x = t^(1/(1-theta))` computed as a power of two, which saves
    /// two operations on the path every draw takes. `t` and `u` come from
    /// the same random bits; `x` is off from `H^-1(u)` by a few roundings of
    /// `t` and of its logarithm, which move a rank boundary by a relative
    /// 2^-51 / |1 - theta| or so (2e-14 at theta 0.99; see `big_h_inv`).
    /// The exact test on `u` decides the few candidates the squeeze does
    /// not.
    #[inline]
    pub(crate) fn sample(&self, rng: &mut SplitMix64) -> u64 {
        let first = rng.peek();
        self.sample_from(rng, first, None)
    }

    /// `sample(rng)` given `first == rng.peek()`, already computed, and
    /// perhaps `first_candidates` for it (used if made at this `n`).
    #[inline]
    pub(crate) fn sample_from(
        &self,
        rng: &mut SplitMix64,
        first: u64,
        candidate: Option<Candidate>,
    ) -> u64 {
        debug_assert_eq!(first, rng.peek());
        if self.n == 1 {
            return 1;
        }
        rng.skip();
        let bits = (first >> 11) as f64;
        let (k, x) = match candidate {
            Some(c) if c.n == self.n => (c.k, c.x),
            _ => self.candidate(bits),
        };
        if k as f64 - x <= self.squeeze {
            return k;
        }
        self.sample_slow(rng, bits, k, x)
    }

    /// The first candidates `sample_from` considers for two draws,
    /// computed side by side: two independent chains of dependent
    /// arithmetic run in about the time of one.
    #[inline]
    pub(crate) fn first_candidates(&self, first: [u64; 2]) -> [Candidate; 2] {
        let (b0, b1) = ((first[0] >> 11) as f64, (first[1] >> 11) as f64);
        let t = [self.t_n + b0 * self.t_step, self.t_n + b1 * self.t_step];
        let [l0, l1] = ln_pair(t);
        let [x0, x1] = exp2_pair([l0 * self.log_scale, l1 * self.log_scale]);
        let candidate = |x| Candidate {
            n: self.n,
            k: self.nearest_rank(x),
            x,
        };
        [candidate(x0), candidate(x1)]
    }

    /// The first candidate `sample_from` considers for the draw `first`.
    #[inline]
    pub(crate) fn first_candidate(&self, first: u64) -> Candidate {
        let (k, x) = self.candidate((first >> 11) as f64);
        Candidate { n: self.n, k, x }
    }

    /// The rank `k` nearest `x = H^-1(u)` for the draw `bits`, and `x`.
    #[inline]
    fn candidate(&self, bits: f64) -> (u64, f64) {
        let t = self.t_n + bits * self.t_step;
        let x = exp2(ln(t) * self.log_scale);
        (self.nearest_rank(x), x)
    }

    /// The rank in `1..=n` nearest `x`.
    #[inline]
    fn nearest_rank(&self, x: f64) -> u64 {
        // By truncation (x >= 0.5; `as` saturates). In i64, whose
        // conversions are single instructions; ranks past 2^63 - 1 (for
        // n = 2^63 at most) are not drawn, but above 2^53 floats cannot tell
        // neighbouring ranks apart anyway.
        ((x + 0.5) as i64)
            .min(self.n.min(i64::MAX as u64) as i64)
            .max(1) as u64
    }

    /// Candidates the squeeze cannot accept (a few percent): the exact
    /// test on `u`, then fresh draws until one is accepted.
    #[cold]
    #[inline(never)]
    fn sample_slow(&self, rng: &mut SplitMix64, mut bits: f64, mut k: u64, mut x: f64) -> u64 {
        loop {
            let kf = k as f64;
            if kf - x <= self.squeeze {
                return k;
            }
            let u = self.h_n + bits * UNIT * (self.h_x1 - self.h_n);
            if u >= self.big_h(kf + 0.5) - self.h(kf) {
                return k;
            }
            bits = rng.bits53();
            (k, x) = self.candidate(bits);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Exact Zipf probabilities of ranks `1..=top` among `n`.
    pub(crate) fn zipf_probabilities(n: u64, theta: f64, top: usize) -> Vec<f64> {
        let norm: f64 = (1..=n).map(|k| (k as f64).powf(-theta)).sum();
        (1..=top as u64)
            .map(|k| (k as f64).powf(-theta) / norm)
            .collect()
    }

    fn check_frequencies(n: u64, theta: f64, samples: usize) {
        let z = Zipf::new(n, theta);
        let mut rng = SplitMix64::new(11);
        let mut counts = vec![0u64; n as usize + 1];
        for _ in 0..samples {
            let k = z.sample(&mut rng);
            assert!((1..=n).contains(&k));
            counts[k as usize] += 1;
        }
        for (i, p) in zipf_probabilities(n, theta, 10).into_iter().enumerate() {
            let observed = counts[i + 1] as f64 / samples as f64;
            let sigma = (p * (1.0 - p) / samples as f64).sqrt();
            assert!(
                (observed - p).abs() <= 5.0 * sigma,
                "theta {theta} rank {}: observed {observed}, expected {p}",
                i + 1
            );
        }
    }

    #[test]
    fn ranks_follow_zipf_for_several_exponents() {
        check_frequencies(1000, 0.99, 200_000);
        check_frequencies(1000, 0.5, 200_000);
        check_frequencies(50, 1.0001, 100_000);
        check_frequencies(200, 2.5, 100_000);
    }

    #[test]
    fn candidates_computed_ahead_give_the_same_ranks() {
        let mut z = Zipf::new(1_000_000, 0.99);
        let mut rng = SplitMix64::new(3);
        for i in 0..2000 {
            let draws = [rng.next_u64(), rng.next_u64()];
            let [c0, c1] = z.first_candidates(draws);
            for (c, draw) in [(c0, draws[0]), (c1, draws[1])] {
                let alone = z.first_candidate(draw);
                assert_eq!(
                    (c.n, c.k, c.x.to_bits()),
                    (alone.n, alone.k, alone.x.to_bits())
                );
            }
            // Sampling from a candidate equals sampling afresh, and a
            // candidate made for another n is ignored.
            let (mut a, mut b) = (SplitMix64::new(i), SplitMix64::new(i));
            let first = a.peek();
            z.set_n(1_000_000);
            let ahead = z.first_candidate(first);
            if i % 2 == 1 {
                z.set_n(1000);
            }
            assert_eq!(z.sample_from(&mut a, first, Some(ahead)), z.sample(&mut b));
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    /// Hörmann and Derflinger's algorithm as published: `u` drawn, `H`
    /// inverted, the same squeeze and exact test.
    fn textbook_sample(z: &Zipf, rng: &mut SplitMix64) -> u64 {
        loop {
            let u = z.h_n + rng.unit_f64() * (z.h_x1 - z.h_n);
            let x = z.big_h_inv(u);
            let k = ((x + 0.5) as u64).clamp(1, z.n);
            let kf = k as f64;
            if kf - x <= z.squeeze || u >= z.big_h(kf + 0.5) - z.h(kf) {
                return k;
            }
        }
    }

    #[test]
    fn draws_match_the_textbook_algorithm() {
        // The fast path computes x = H^-1(u) differently, so the two may
        // round a draw that lands within rounding error of a rank boundary
        // to different ranks: never in 50 000 draws at these sizes...
        let disagreements = |n: u64, theta: f64| -> usize {
            let z = Zipf::new(n, theta);
            (0..50_000)
                .filter(|&i| {
                    let (mut a, mut b) = (SplitMix64::new(i), SplitMix64::new(i));
                    z.sample(&mut a) != textbook_sample(&z, &mut b)
                })
                .count()
        };
        for (n, theta) in [(1000, 0.99), (100_000_000, 0.99), (50, 1.0001), (200, 2.5)] {
            assert_eq!(disagreements(n, theta), 0, "n {n} theta {theta}");
        }
        // ...but at ranks near 10^11, where both carry about 10^-4 of
        // absolute rounding error, a few in ten thousand.
        let differ = disagreements(1 << 40, 0.5);
        assert!(differ <= 100, "{differ} of 50 000 differ");
    }

    #[test]
    fn resizing_matches_a_fresh_sampler() {
        let mut resized = Zipf::new(10, 0.99);
        resized.set_n(5000);
        let fresh = Zipf::new(5000, 0.99);
        let (mut a, mut b) = (SplitMix64::new(5), SplitMix64::new(5));
        for _ in 0..1000 {
            assert_eq!(resized.sample(&mut a), fresh.sample(&mut b));
        }
        assert_eq!(resized.n(), 5000);
    }

    #[test]
    fn extreme_parameters_stay_in_range() {
        let mut rng = SplitMix64::new(1);
        for &(n, theta) in &[(1u64, 0.99), (2, 0.01), (1 << 40, 0.99), (1 << 62, 40.0)] {
            let z = Zipf::new(n, theta);
            for _ in 0..1000 {
                assert!((1..=n).contains(&z.sample(&mut rng)));
            }
        }
    }
}
