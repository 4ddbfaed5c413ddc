//! A keyed bijection of `[0, n)`, used to scatter hot zipfian ranks over the
//! key space and to shuffle the preload order, without any table.
//!
//! Each round is a bijection on `b`-bit integers (`2^b >= n`): add a key,
//! multiply by an odd key, xor with the upper half shifted down, twice.
//! Values that land outside `[0, n)` are permuted again ("cycle walking"),
//! which stays a bijection of `[0, n)` and takes under two rounds on average.

use crate::rng::mix64;

/// A fixed pseudo-random permutation of `0..n`.
#[derive(Clone, Debug)]
pub(crate) struct Permutation {
    n: u64,
    mask: u64,
    shift: u32,
    add: u64,
    /// INVARIANT: both odd, so multiplication modulo `2^b` is invertible.
    mul: [u64; 2],
}

impl Permutation {
    /// REQUIRES: `1 <= n <= 2^63`.
    pub(crate) fn new(n: u64, key: u64) -> Self {
        debug_assert!((1..=1 << 63).contains(&n));
        let bits = (64 - (n - 1).leading_zeros()).max(1);
        Permutation {
            n,
            mask: if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            },
            shift: bits.div_ceil(2),
            add: mix64(key ^ 1),
            mul: [mix64(key ^ 2) | 1, mix64(key ^ 3) | 1],
        }
    }

    fn round(&self, mut x: u64) -> u64 {
        x = x.wrapping_add(self.add) & self.mask;
        for m in self.mul {
            x = x.wrapping_mul(m) & self.mask;
            x ^= x >> self.shift;
        }
        x
    }

    /// The image of `i`. REQUIRES: `i < n`.
    ///
    /// The first two rounds are computed unconditionally and the first one
    /// in range selected without a branch: whether a round lands outside
    /// `[0, n)` is a coin toss the processor cannot predict, and a
    /// mispredicted branch here cost more than the spare round. The loop
    /// runs only when both land outside (at most a quarter of inputs, and
    /// a sixteenth for 10^8 keys).
    #[inline]
    pub(crate) fn apply(&self, i: u64) -> u64 {
        debug_assert!(i < self.n);
        let first = self.round(i);
        let second = self.round(first);
        let mut x = if first < self.n { first } else { second };
        while x >= self.n {
            x = self.round(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_bijection_for_awkward_sizes() {
        for n in [1u64, 2, 3, 7, 64, 65, 1000, 4097] {
            let p = Permutation::new(n, 99);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = p.apply(i);
                assert!(j < n);
                assert!(!seen[j as usize], "n {n}: {j} hit twice");
                seen[j as usize] = true;
            }
        }
    }

    #[test]
    fn spreads_consecutive_inputs_over_the_space() {
        let n = 1_000_000;
        let p = Permutation::new(n, 4);
        let mut deciles = [0u32; 10];
        for i in 0..100 {
            deciles[(p.apply(i) * 10 / n) as usize] += 1;
        }
        // 100 hot ranks, 10 buckets: every bucket gets some, none gets a third.
        assert!(deciles.iter().all(|&c| (1..33).contains(&c)), "{deciles:?}");
    }

    #[test]
    fn different_keys_give_different_permutations() {
        let (a, b) = (Permutation::new(1000, 1), Permutation::new(1000, 2));
        assert!((0..1000).any(|i| a.apply(i) != b.apply(i)));
    }
}
