//! A whole-file bloom filter over user keys.
//!
//! Encoding: the bit array, then one byte holding the number of probes `k`,
//! so a reader needs no options. An empty encoding means "no filter".
//! Probe `i` of a key tests bit `(h1 + i * h2) mod m` (double hashing), where
//! `h1`, `h2` are the halves of the key's [`hash64`].

use super::block::BlockError;

/// Mixing constants (odd, with well-spread bits).
const P1: u64 = 0x9e37_79b9_7f4a_7c15;
const P2: u64 = 0xc2b2_ae3d_27d4_eb4f;

fn mix(w: u64) -> u64 {
    w.wrapping_mul(P2).rotate_left(31).wrapping_mul(P1)
}

/// Avalanches every input bit into every output bit.
fn finalize(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A 64-bit hash of `data`, the same on every machine (words are read
/// little-endian). Not cryptographic.
pub fn hash64(data: &[u8]) -> u64 {
    let mut h = (data.len() as u64).wrapping_mul(P1) ^ P2;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("8-byte chunk"));
        h = (h ^ mix(w))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P2);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut buf = [0u8; 8];
        buf[..tail.len()].copy_from_slice(tail);
        h = (h ^ mix(u64::from_le_bytes(buf)))
            .rotate_left(27)
            .wrapping_mul(P1);
    }
    finalize(h)
}

/// The number of probes for `bits_per_key`: `round(bits * ln 2)` in `1..=30`.
pub fn num_probes(bits_per_key: u32) -> u32 {
    ((bits_per_key as f64 * std::f64::consts::LN_2).round() as u32).clamp(1, 30)
}

/// Collects key hashes while a table is written, then encodes the filter.
#[derive(Debug, Default)]
pub struct BloomBuilder {
    hashes: Vec<u64>,
}

impl BloomBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        BloomBuilder::default()
    }

    /// Adds a user key. Adding a key twice is harmless but wastes bits.
    pub fn add(&mut self, user_key: &[u8]) {
        self.hashes.push(hash64(user_key));
    }

    /// Keys added so far.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when no key was added.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Bytes [`BloomBuilder::finish`] would produce.
    pub fn encoded_len(&self, bits_per_key: u32) -> usize {
        if bits_per_key == 0 {
            return 0;
        }
        let bits = (self.hashes.len() * bits_per_key as usize).max(64);
        bits.div_ceil(8) + 1
    }

    /// The encoded filter at `bits_per_key` (empty when it is 0).
    pub fn finish(&self, bits_per_key: u32) -> Vec<u8> {
        let len = self.encoded_len(bits_per_key);
        if len == 0 {
            return Vec::new();
        }
        let k = num_probes(bits_per_key);
        let mut out = vec![0u8; len];
        let bits = &mut out[..len - 1];
        let m = bits.len() as u64 * 8;
        for &h in &self.hashes {
            for bit in probes(h, k, m) {
                bits[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        out[len - 1] = k as u8;
        out
    }
}

/// The `k` bit positions of hash `h` in a filter of `m` bits: `(h1 + i·h2)
/// mod m` for i in 0..k, with h1 and h2 the hash's low and high halves
/// (double hashing). Computed by adding `h2 mod m` step by step, which is
/// the same sequence without a division per probe; the two divisions left
/// are 32-bit ones whenever `m` fits (the same remainders, cheaper).
fn probes(h: u64, k: u32, m: u64) -> impl Iterator<Item = u64> {
    let (h1, h2) = (h as u32, (h >> 32) as u32);
    let (mut bit, step) = match u32::try_from(m) {
        Ok(m32) => (u64::from(h1 % m32), u64::from(h2 % m32)),
        Err(_) => (u64::from(h1) % m, u64::from(h2) % m),
    };
    (0..k).map(move |_| {
        let at = bit;
        bit += step;
        if bit >= m {
            bit -= m;
        }
        at
    })
}

/// A decoded filter, held in memory by an open table.
#[derive(Debug, Clone)]
pub struct BloomFilter {
    /// INVARIANT: not empty.
    bits: Vec<u8>,
    /// INVARIANT: in `1..=30`.
    k: u32,
}

impl BloomFilter {
    /// Decodes a filter block; `Ok(None)` for the empty "no filter" encoding.
    pub fn decode(mut data: Vec<u8>) -> Result<Option<BloomFilter>, BlockError> {
        let Some(k) = data.pop() else {
            return Ok(None);
        };
        if !(1..=30).contains(&k) {
            return Err(BlockError("bloom filter probe count out of range"));
        }
        if data.is_empty() {
            return Err(BlockError("bloom filter without bits"));
        }
        Ok(Some(BloomFilter {
            bits: data,
            k: u32::from(k),
        }))
    }

    /// False only when `user_key` was certainly not added.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        let m = self.bits.len() as u64 * 8;
        probes(hash64(user_key), self.k, m)
            .all(|bit| self.bits[(bit / 8) as usize] & (1 << (bit % 8)) != 0)
    }

    /// The number of probes per lookup.
    pub fn num_probes(&self) -> u32 {
        self.k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The stepped probes are the double-hashing formula every filter
        /// on disk was built with.
        #[test]
        fn probes_follow_the_double_hashing_formula(h: u64, k in 1u32..=30, m in 1u64..(1 << 40)) {
            let h1 = h & 0xffff_ffff;
            let h2 = h >> 32;
            let expected: Vec<u64> = (0..u64::from(k)).map(|i| (h1 + i * h2) % m).collect();
            prop_assert_eq!(probes(h, k, m).collect::<Vec<_>>(), expected);
        }
    }

    fn key(i: u64) -> Vec<u8> {
        format!("user{i:012}").into_bytes()
    }

    #[test]
    fn hash_is_fixed_across_machines() {
        // Pinned values: a change here changes every filter already on disk.
        assert_eq!(hash64(b""), hash64(b""));
        assert_ne!(hash64(b""), hash64(b"\0"));
        assert_ne!(hash64(b"a"), hash64(b"a\0"));
        let pinned = [hash64(b""), hash64(b"abc"), hash64(b"0123456789abcdef!")];
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u64; 3] = [
        1149234389432173950,
        17357186378722782481,
        4322443246560309367,
    ];

    #[test]
    fn probe_count_follows_bits_per_key() {
        assert_eq!(num_probes(1), 1);
        assert_eq!(num_probes(10), 7);
        assert_eq!(num_probes(20), 14);
        assert_eq!(num_probes(64), 30);
    }

    #[test]
    fn round_trips_and_keeps_its_probe_count() {
        let mut b = BloomBuilder::new();
        for i in 0..1000 {
            b.add(&key(i));
        }
        let enc = b.finish(12);
        assert_eq!(enc.len(), b.encoded_len(12));
        let f = BloomFilter::decode(enc).unwrap().unwrap();
        assert_eq!(f.num_probes(), 8);
        assert!((0..1000).all(|i| f.may_contain(&key(i))));
        assert!(BloomFilter::decode(b.finish(0)).unwrap().is_none());
        assert!(BloomFilter::decode(vec![0xff, 0]).is_err());
        assert!(BloomFilter::decode(vec![0xff, 31]).is_err());
        assert!(BloomFilter::decode(vec![5]).is_err());
    }

    #[test]
    fn empty_key_set_rejects_everything() {
        let f = BloomFilter::decode(BloomBuilder::new().finish(10))
            .unwrap()
            .unwrap();
        assert!(!(0..100).any(|i| f.may_contain(&key(i))));
    }

    #[test]
    fn false_positive_rate_at_10_bits_per_key_is_below_2_percent() {
        let n = 100_000;
        let mut b = BloomBuilder::new();
        for i in 0..n {
            b.add(&key(i));
        }
        let f = BloomFilter::decode(b.finish(10)).unwrap().unwrap();
        assert!((0..n).all(|i| f.may_contain(&key(i))), "false negative");
        let fp = (n..2 * n).filter(|&i| f.may_contain(&key(i))).count();
        let rate = fp as f64 / n as f64;
        assert!(rate < 0.02, "false-positive rate {rate}");
    }
}
