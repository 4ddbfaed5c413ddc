//! A hasher for maps keyed by the engine's own integers (file numbers,
//! block offsets): a multiply-xor round per word and a final mix, where
//! the standard library's SipHash spends several rounds guarding against
//! keys an adversary chose.

use std::hash::{BuildHasherDefault, Hasher};

/// Hashes integer keys (see the module doc).
#[derive(Default)]
pub struct IntHasher(u64);

/// Builds [`IntHasher`]s, for `HashMap<K, V, BuildIntHasher>`.
pub type BuildIntHasher = BuildHasherDefault<IntHasher>;

impl Hasher for IntHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(23) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        let z = (self.0 ^ (self.0 >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^ (z >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// Consecutive file numbers and block offsets spread over a map's low
    /// bits (what a table of 2^k buckets indexes by): no bucket of 64 gets
    /// more than twice its share of 4096 consecutive keys.
    #[test]
    fn consecutive_keys_spread_over_the_low_bits() {
        let b = BuildIntHasher::default();
        for stride in [1u64, 4096, 1 << 20] {
            let mut buckets = [0u32; 64];
            for i in 0..4096u64 {
                buckets[(b.hash_one(i * stride) & 63) as usize] += 1;
            }
            let max = *buckets.iter().max().unwrap();
            assert!(max <= 2 * 4096 / 64, "stride {stride}: a bucket of {max}");
        }
    }
}
