//! Keys, values and random numbers for the benchmark phases: the same key
//! encoding as the workloads, a seeded permutation for fillrandom, a small
//! seeded generator for random keys, and a buffer of incompressible values.

use lsmlab_workloads::MIN_KEY_SIZE;

/// Writes key number `index` into a reusable buffer of `key_size` bytes:
/// the big-endian index in the last eight bytes, zeros before it (the
/// encoding of `lsmlab_workloads::encode_key`), so byte order is index order.
#[derive(Debug, Clone)]
pub struct KeyBuf {
    // INVARIANT: len() >= MIN_KEY_SIZE and the bytes before the last eight
    // are zero.
    buf: Vec<u8>,
}

impl KeyBuf {
    /// A buffer for keys of `key_size` bytes (at least eight).
    pub fn new(key_size: usize) -> KeyBuf {
        KeyBuf {
            buf: vec![0; key_size.max(MIN_KEY_SIZE)],
        }
    }

    /// Key number `index`, valid until the next call.
    pub fn key(&mut self, index: u64) -> &[u8] {
        let tail = self.buf.len() - 8;
        self.buf[tail..].copy_from_slice(&index.to_be_bytes());
        &self.buf
    }
}

/// SplitMix64: a fast, seeded stream of 64-bit numbers (not for anything
/// that needs unpredictability).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n >= 1), by multiply-and-shift: the bias is at
    /// most n / 2^64.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// A fixed pseudo-random permutation of `0..n`, chosen by a seed: a
/// bijection on `0..2^bits` (multiply by an odd number, xor-shift, add,
/// all modulo 2^bits) applied repeatedly until the value falls in `0..n`
/// (cycle walking). Since 2^bits < 2n, that takes under two steps on
/// average.
#[derive(Debug, Clone)]
pub struct Permutation {
    n: u64,
    bits: u32,
    mask: u64,
    // INVARIANT: odd.
    mul: u64,
    add: u64,
}

impl Permutation {
    /// REQUIRES: n >= 1.
    pub fn new(n: u64, seed: u64) -> Permutation {
        let bits = (64 - n.saturating_sub(1).leading_zeros()).max(1);
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1 << bits) - 1
        };
        let mut rng = Rng::new(seed ^ 0x5EED_F00D_5CA7_7E12);
        Permutation {
            n,
            bits,
            mask,
            mul: rng.next_u64() | 1,
            add: rng.next_u64(),
        }
    }

    fn step(&self, x: u64) -> u64 {
        let mut x = x.wrapping_mul(self.mul) & self.mask;
        x ^= x >> (self.bits / 2 + 1);
        x.wrapping_add(self.add) & self.mask
    }

    /// The `i`-th element (i < n).
    pub fn at(&self, i: u64) -> u64 {
        debug_assert!(i < self.n);
        let mut x = self.step(i);
        while x >= self.n {
            x = self.step(x);
        }
        x
    }
}

/// Values of a fixed size cut from a buffer of pseudo-random bytes at
/// moving offsets, so consecutive values differ (as db_bench's
/// RandomGenerator).
#[derive(Debug, Clone)]
pub struct Values {
    buf: Vec<u8>,
    size: usize,
    pos: usize,
}

/// Bytes of random data the values are cut from.
const VALUE_POOL: usize = 1 << 20;

impl Values {
    pub fn new(size: usize, seed: u64) -> Values {
        let mut rng = Rng::new(seed ^ 0x7A1E_5EED);
        let mut buf = Vec::with_capacity(VALUE_POOL + size + 8);
        while buf.len() < VALUE_POOL + size {
            buf.extend_from_slice(&rng.next_u64().to_le_bytes());
        }
        Values { buf, size, pos: 0 }
    }

    /// The next value, `size` bytes.
    pub fn next_value(&mut self) -> &[u8] {
        let start = self.pos;
        // A prime stride, so offsets do not repeat in a short cycle.
        self.pos = (self.pos + 7919) % VALUE_POOL;
        &self.buf[start..start + self.size]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_visits_every_key_once() {
        for n in [1u64, 2, 3, 7, 1000, 1024, 1025, 4099] {
            let p = Permutation::new(n, 42);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let x = p.at(i);
                assert!(x < n, "n={n}: {x} out of range");
                assert!(!seen[x as usize], "n={n}: {x} twice");
                seen[x as usize] = true;
            }
        }
    }

    #[test]
    fn permutation_is_shuffled_and_depends_on_the_seed() {
        let n = 10_000;
        let a: Vec<u64> = (0..n).map(|i| Permutation::new(n, 1).at(i)).collect();
        let b: Vec<u64> = (0..n).map(|i| Permutation::new(n, 2).at(i)).collect();
        let in_order = a.windows(2).filter(|w| w[1] == w[0] + 1).count();
        assert!(in_order < 100, "{in_order} consecutive pairs in order");
        assert_ne!(a, b);
        assert_eq!(
            a,
            (0..n)
                .map(|i| Permutation::new(n, 1).at(i))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn keys_match_the_workload_encoding_and_sort_by_index() {
        let mut k = KeyBuf::new(16);
        assert_eq!(k.key(300), lsmlab_workloads::encode_key(300, 16).as_slice());
        let a = k.key(255).to_vec();
        assert!(a.as_slice() < k.key(256));
        assert_eq!(KeyBuf::new(8).key(1).len(), 8);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Rng::new(7);
        let mut hits = [0u32; 10];
        for _ in 0..10_000 {
            hits[r.below(10) as usize] += 1;
        }
        assert!(hits.iter().all(|&h| h > 800), "{hits:?}");
    }

    #[test]
    fn values_have_the_size_and_differ() {
        let mut v = Values::new(100, 1);
        let a = v.next_value().to_vec();
        let b = v.next_value().to_vec();
        assert_eq!(a.len(), 100);
        assert_ne!(a, b);
        assert!(Values::new(0, 1).next_value().is_empty());
    }
}
