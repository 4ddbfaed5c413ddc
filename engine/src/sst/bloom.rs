//! A whole-file bloom filter over user keys, in one of two layouts.
//!
//! Encoding: the bit array, then one byte holding the number of probes `k`
//! (with the layout in its top bit), so a reader needs no options. An empty
//! encoding means "no filter".
//!
//! - [`BloomLayout::Whole`] (LevelDB's layout, top bit clear): probe `i` of
//!   a key tests bit `(h1 + i * h2) mod m` (double hashing), where `h1`,
//!   `h2` are the halves of the key's [`hash64`]; a lookup touches up to
//!   `k` cache lines.
//! - [`BloomLayout::CacheLocal`] (RocksDB's full filters, format_version 5;
//!   top bit set): the bit array is a sequence of 512-bit lines; the hash's
//!   high half picks a line (`(hi * lines) >> 32`), and every probe tests a
//!   bit of that line: bit `h >> 23` of the low half `h`, which is
//!   multiplied by `0x9e3779b9` between probes. A lookup touches one cache
//!   line, for a slightly higher false-positive rate at the same bits.

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

/// The number of probes for `bits_per_key` in the whole layout:
/// `round(bits * ln 2)` in `1..=30`.
pub fn num_probes(bits_per_key: u32) -> u32 {
    ((bits_per_key as f64 * std::f64::consts::LN_2).round() as u32).clamp(1, 30)
}

/// The number of probes for `bits_per_key` in the cache-local layout:
/// RocksDB's choice for its 512-bit lines (fewer than the whole layout's,
/// since more probes in one line add more collisions than they remove).
pub fn num_probes_cache_local(bits_per_key: u32) -> u32 {
    // (thousandths of a bit per key at most, probes), from RocksDB's
    // FastLocalBloom.
    const STEPS: [(u32, u32); 12] = [
        (2080, 1),
        (3580, 2),
        (5100, 3),
        (6640, 4),
        (8300, 5),
        (10070, 6),
        (11720, 7),
        (14001, 8),
        (16050, 9),
        (18300, 10),
        (22001, 11),
        (25501, 12),
    ];
    let millibits = bits_per_key.saturating_mul(1000);
    match STEPS.iter().find(|&&(most, _)| millibits <= most) {
        Some(&(_, k)) => k,
        None if millibits > 50_000 => 24,
        None => (millibits - 1) / 2000 - 1,
    }
}

/// Bytes of one line of the cache-local layout (a cache line).
const LINE_BYTES: usize = 64;

/// The top bit of the encoding's last byte: the cache-local layout.
const CACHE_LOCAL_FLAG: u8 = 0x80;

/// How a filter places a key's probes in its bit array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BloomLayout {
    /// Probes anywhere in the array (LevelDB's filters). lsmlab's default:
    /// the lab's committed figures were measured with it.
    #[default]
    Whole,
    /// Every probe of a key in one 64-byte line (RocksDB's full filters,
    /// which db_bench builds).
    CacheLocal,
}

impl BloomLayout {
    /// The names specs and the CLI use, in declaration order.
    pub const NAMES: &'static [&'static str] = &["whole", "cache-local"];

    /// The name specs and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            BloomLayout::Whole => "whole",
            BloomLayout::CacheLocal => "cache-local",
        }
    }

    /// The layout called `name` (case-insensitive).
    pub fn by_name(name: &str) -> Option<BloomLayout> {
        match name.trim().to_ascii_lowercase().as_str() {
            "whole" => Some(BloomLayout::Whole),
            "cache-local" => Some(BloomLayout::CacheLocal),
            _ => None,
        }
    }
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

    /// Bytes of the bit array: `bits_per_key` per key, at least 64 bits,
    /// in whole lines for the cache-local layout.
    fn bits_len(&self, bits_per_key: u32, layout: BloomLayout) -> usize {
        let bytes = (self.hashes.len() * bits_per_key as usize)
            .max(64)
            .div_ceil(8);
        match layout {
            BloomLayout::Whole => bytes,
            BloomLayout::CacheLocal => bytes.next_multiple_of(LINE_BYTES),
        }
    }

    /// Bytes [`BloomBuilder::finish`] would produce.
    pub fn encoded_len(&self, bits_per_key: u32, layout: BloomLayout) -> usize {
        if bits_per_key == 0 {
            return 0;
        }
        self.bits_len(bits_per_key, layout) + 1
    }

    /// The encoded filter at `bits_per_key` in `layout` (empty when
    /// `bits_per_key` is 0).
    pub fn finish(&self, bits_per_key: u32, layout: BloomLayout) -> Vec<u8> {
        if bits_per_key == 0 {
            return Vec::new();
        }
        let bits_len = self.bits_len(bits_per_key, layout);
        let mut out = vec![0u8; bits_len + 1];
        let (bits, last) = out.split_at_mut(bits_len);
        match layout {
            BloomLayout::Whole => {
                let k = num_probes(bits_per_key);
                let m = bits.len() as u64 * 8;
                for &h in &self.hashes {
                    for bit in probes(h, k, m) {
                        bits[(bit / 8) as usize] |= 1 << (bit % 8);
                    }
                }
                last[0] = k as u8;
            }
            BloomLayout::CacheLocal => {
                let k = num_probes_cache_local(bits_per_key);
                let lines = bits.len() / LINE_BYTES;
                for &h in &self.hashes {
                    let at = line_of(h, lines) * LINE_BYTES;
                    let line = &mut bits[at..at + LINE_BYTES];
                    for bit in line_probes(h, k) {
                        line[bit / 8] |= 1 << (bit % 8);
                    }
                }
                last[0] = k as u8 | CACHE_LOCAL_FLAG;
            }
        }
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

/// The line of the cache-local layout hash `h` probes, of `lines`: the high
/// half scaled to the count (no division).
fn line_of(h: u64, lines: usize) -> usize {
    (((h >> 32) * lines as u64) >> 32) as usize
}

/// The `k` bit positions (0..512) of hash `h` within its line: the top nine
/// bits of the low half, multiplied by the golden ratio between probes.
fn line_probes(h: u64, k: u32) -> impl Iterator<Item = usize> {
    let mut x = h as u32;
    (0..k).map(move |_| {
        let bit = (x >> 23) as usize;
        x = x.wrapping_mul(0x9e37_79b9);
        bit
    })
}

/// A 64-byte line of a cache-local filter, aligned so that a probe reads
/// one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; LINE_BYTES]);

/// A filter's bits, by layout.
#[derive(Debug, Clone)]
enum Bits {
    /// INVARIANT: not empty.
    Whole(Vec<u8>),
    /// INVARIANT: not empty.
    CacheLocal(Vec<Line>),
}

/// A decoded filter, held in memory by an open table.
#[derive(Debug, Clone)]
pub struct BloomFilter {
    bits: Bits,
    /// INVARIANT: in `1..=30`.
    k: u32,
}

impl BloomFilter {
    /// Decodes a filter block; `Ok(None)` for the empty "no filter" encoding.
    pub fn decode(mut data: Vec<u8>) -> Result<Option<BloomFilter>, BlockError> {
        let Some(last) = data.pop() else {
            return Ok(None);
        };
        let k = last & !CACHE_LOCAL_FLAG;
        if !(1..=30).contains(&k) {
            return Err(BlockError("bloom filter probe count out of range"));
        }
        if data.is_empty() {
            return Err(BlockError("bloom filter without bits"));
        }
        let bits = if last & CACHE_LOCAL_FLAG == 0 {
            Bits::Whole(data)
        } else {
            if !data.len().is_multiple_of(LINE_BYTES) {
                return Err(BlockError("cache-local bloom filter not in whole lines"));
            }
            Bits::CacheLocal(
                data.chunks_exact(LINE_BYTES)
                    .map(|c| Line(c.try_into().expect("a whole line")))
                    .collect(),
            )
        };
        Ok(Some(BloomFilter {
            bits,
            k: u32::from(k),
        }))
    }

    /// False only when `user_key` was certainly not added.
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.may_contain_hash(hash64(user_key))
    }

    /// [`BloomFilter::may_contain`] for a key whose [`hash64`] is `h` (a
    /// lookup probing many tables hashes its key once).
    pub fn may_contain_hash(&self, h: u64) -> bool {
        match &self.bits {
            Bits::Whole(bits) => {
                let m = bits.len() as u64 * 8;
                probes(h, self.k, m).all(|bit| bits[(bit / 8) as usize] & (1 << (bit % 8)) != 0)
            }
            Bits::CacheLocal(lines) => {
                let line = &lines[line_of(h, lines.len())].0;
                line_probes(h, self.k).all(|bit| line[bit / 8] & (1 << (bit % 8)) != 0)
            }
        }
    }

    /// Starts loading the bits a probe of hash `h` reads (see
    /// [`crate::cpu_prefetch`]): the line of a cache-local filter; nothing
    /// for a whole-array filter, whose probes spread over the array.
    pub fn prefetch_hash(&self, h: u64) {
        if let Bits::CacheLocal(lines) = &self.bits {
            crate::cpu_prefetch::prefetch(&lines[line_of(h, lines.len())]);
        }
    }

    /// The number of probes per lookup.
    pub fn num_probes(&self) -> u32 {
        self.k
    }

    /// The layout the filter was built in.
    pub fn layout(&self) -> BloomLayout {
        match self.bits {
            Bits::Whole(_) => BloomLayout::Whole,
            Bits::CacheLocal(_) => BloomLayout::CacheLocal,
        }
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
        let enc = b.finish(12, BloomLayout::Whole);
        assert_eq!(enc.len(), b.encoded_len(12, BloomLayout::Whole));
        let f = BloomFilter::decode(enc).unwrap().unwrap();
        assert_eq!(f.num_probes(), 8);
        assert!((0..1000).all(|i| f.may_contain(&key(i))));
        assert!(BloomFilter::decode(b.finish(0, BloomLayout::Whole))
            .unwrap()
            .is_none());
        assert!(BloomFilter::decode(vec![0xff, 0]).is_err());
        assert!(BloomFilter::decode(vec![0xff, 31]).is_err());
        assert!(BloomFilter::decode(vec![5]).is_err());
    }

    #[test]
    fn empty_key_set_rejects_everything() {
        for layout in [BloomLayout::Whole, BloomLayout::CacheLocal] {
            let f = BloomFilter::decode(BloomBuilder::new().finish(10, layout))
                .unwrap()
                .unwrap();
            assert_eq!(f.layout(), layout);
            assert!(!(0..100).any(|i| f.may_contain(&key(i))));
        }
    }

    /// The measured false-positive rate of `layout` at `bits_per_key`
    /// over 100,000 keys, after checking that every added key is found.
    fn false_positive_rate(bits_per_key: u32, layout: BloomLayout) -> f64 {
        let n = 100_000;
        let mut b = BloomBuilder::new();
        for i in 0..n {
            b.add(&key(i));
        }
        let f = BloomFilter::decode(b.finish(bits_per_key, layout))
            .unwrap()
            .unwrap();
        assert!((0..n).all(|i| f.may_contain(&key(i))), "false negative");
        let fp = (n..2 * n).filter(|&i| f.may_contain(&key(i))).count();
        fp as f64 / n as f64
    }

    #[test]
    fn false_positive_rate_at_10_bits_per_key_is_below_2_percent() {
        let rate = false_positive_rate(10, BloomLayout::Whole);
        assert!(rate < 0.02, "false-positive rate {rate}");
    }

    /// RocksDB gives its cache-local filters about 0.95% at 10 bits per key
    /// (the whole layout's ideal: 0.82%) and 0.11% at 16 (whole: 0.05%).
    #[test]
    fn cache_local_false_positive_rate_is_rocksdbs() {
        let rate = false_positive_rate(10, BloomLayout::CacheLocal);
        assert!((0.006..0.014).contains(&rate), "10 bits per key: {rate}");
        let rate = false_positive_rate(16, BloomLayout::CacheLocal);
        assert!((0.0003..0.003).contains(&rate), "16 bits per key: {rate}");
        let whole = false_positive_rate(10, BloomLayout::Whole);
        assert!(
            (0.005..0.012).contains(&whole),
            "whole, 10 bits per key: {whole}"
        );
    }

    #[test]
    fn cache_local_probes_stay_in_one_aligned_line() {
        let mut b = BloomBuilder::new();
        for i in 0..1000 {
            b.add(&key(i));
        }
        let enc = b.finish(10, BloomLayout::CacheLocal);
        assert_eq!(enc.len(), b.encoded_len(10, BloomLayout::CacheLocal));
        // 10,000 bits in whole 512-bit lines, then the probe byte.
        assert_eq!(enc.len(), 10_240 / 8 + 1);
        assert_eq!(*enc.last().unwrap(), 0x80 | 6);
        let f = BloomFilter::decode(enc.clone()).unwrap().unwrap();
        assert_eq!((f.layout(), f.num_probes()), (BloomLayout::CacheLocal, 6));
        let Bits::CacheLocal(lines) = &f.bits else {
            panic!("decoded as {:?}", f.layout());
        };
        assert_eq!(lines.as_ptr() as usize % 64, 0, "lines not aligned");
        // A single key sets bits of one line only.
        let mut one = BloomBuilder::new();
        one.add(b"k");
        let enc = one.finish(1000, BloomLayout::CacheLocal);
        let lines_set = enc[..enc.len() - 1]
            .chunks(64)
            .filter(|l| l.iter().any(|&b| b != 0))
            .count();
        assert_eq!(lines_set, 1);
        // Not whole lines: refused.
        let mut short = enc.clone();
        short.remove(0);
        assert!(BloomFilter::decode(short).is_err());
    }

    #[test]
    fn cache_local_probe_counts_are_rocksdbs() {
        let k: Vec<u32> = [1, 2, 6, 10, 16, 20, 24, 30, 50, 51, 64]
            .iter()
            .map(|&b| num_probes_cache_local(b))
            .collect();
        assert_eq!(k, [1, 1, 4, 6, 9, 11, 12, 13, 23, 24, 24]);
    }

    proptest! {
        /// No false negatives in either layout, at any size and density.
        #[test]
        fn every_added_key_is_found(
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..300),
            bits in 1u32..=64,
            local: bool,
        ) {
            let layout = if local { BloomLayout::CacheLocal } else { BloomLayout::Whole };
            let mut b = BloomBuilder::new();
            for k in &keys {
                b.add(k);
            }
            let f = BloomFilter::decode(b.finish(bits, layout)).unwrap().unwrap();
            for k in &keys {
                prop_assert!(f.may_contain(k));
                prop_assert!(f.may_contain_hash(hash64(k)));
            }
        }
    }
}
