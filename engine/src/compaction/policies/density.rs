//! The key space as a line from 0 to 1, for policies that measure files by
//! density (Cassandra UCS): a file's coverage is the fraction of the tree's
//! key space its key range spans, its density its size over that fraction,
//! and shard boundaries sit at fixed fractions of the space.
//!
//! Cassandra measures token ranges, which a partitioner spreads uniformly;
//! the engine orders raw keys, so the space here is the tree's own key
//! range: from its smallest to its largest user key, each key placed by the
//! eight bytes after the prefix those two keys share (big-endian, padded with
//! zeros on the right, which keeps key order). For fixed-width integer keys,
//! as the workloads write, that is the key's index. The granularity is one
//! step of the last significant byte, so a file of one key covers one step.

use crate::version::{FileMeta, Version};

/// The key space of a tree: where its keys lie between its smallest and
/// largest.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySpace {
    /// The prefix every key of the tree shares.
    prefix: Vec<u8>,
    /// Positions of the smallest and largest keys.
    lo: u64,
    hi: u64,
    /// Bytes after the prefix that positions use (1..=8).
    width: usize,
}

impl KeySpace {
    /// The space spanned by `lo..=hi` (user keys, `lo <= hi`).
    pub fn new(lo: &[u8], hi: &[u8]) -> KeySpace {
        let shared = crate::key::common_prefix_len(lo, hi);
        let width = (lo.len().max(hi.len()) - shared).clamp(1, 8);
        let mut space = KeySpace {
            prefix: lo[..shared].to_vec(),
            lo: 0,
            hi: 0,
            width,
        };
        space.lo = space.position(lo);
        space.hi = space.position(hi);
        space
    }

    /// The space of every file of `v`; `None` for an empty tree.
    pub fn of(v: &Version) -> Option<KeySpace> {
        Self::spanned(v, None)
    }

    /// The space of every file of `v` and of the keys `lo..=hi` about to
    /// join it (a flush's).
    pub fn including(v: &Version, lo: &[u8], hi: &[u8]) -> KeySpace {
        Self::spanned(v, Some((lo, hi))).expect("the added range is not empty")
    }

    fn spanned(v: &Version, extra: Option<(&[u8], &[u8])>) -> Option<KeySpace> {
        let files = (0..v.num_levels()).flat_map(|l| v.files(l).iter());
        let ranges = files
            .map(|f| (f.smallest_user_key(), f.largest_user_key()))
            .chain(extra);
        let mut range: Option<(&[u8], &[u8])> = None;
        for (a, b) in ranges {
            range = Some(match range {
                None => (a, b),
                Some((lo, hi)) => (lo.min(a), hi.max(b)),
            });
        }
        range.map(|(lo, hi)| KeySpace::new(lo, hi))
    }

    /// Where `key` lies: its eight bytes after the shared prefix, clamped to
    /// the space (a key outside it sits at the nearer end).
    fn position(&self, key: &[u8]) -> u64 {
        let p = self.prefix.len();
        match key.get(..p).map(|head| head.cmp(&self.prefix[..])) {
            Some(std::cmp::Ordering::Equal) => {
                let mut bytes = [0u8; 8];
                let tail = &key[p..];
                let n = tail.len().min(8);
                bytes[..n].copy_from_slice(&tail[..n]);
                u64::from_be_bytes(bytes)
            }
            Some(std::cmp::Ordering::Less) => 0,
            Some(std::cmp::Ordering::Greater) => u64::MAX,
            None if key < &self.prefix[..] => 0,
            None => u64::MAX,
        }
    }

    /// One step of the last significant byte, in positions.
    fn step(&self) -> f64 {
        2f64.powi(8 * (8 - self.width as i32))
    }

    /// The length of the whole space, in positions (at least one step).
    fn length(&self) -> f64 {
        (self.hi - self.lo) as f64 + self.step()
    }

    /// The fraction of the space `lo..=hi` covers (one step at least).
    pub fn coverage(&self, lo: &[u8], hi: &[u8]) -> f64 {
        let (a, b) = (self.position(lo), self.position(hi));
        let span = b.saturating_sub(a) as f64 + self.step();
        (span / self.length()).min(1.0)
    }

    /// A file's size over the fraction of the space it covers.
    pub fn density(&self, f: &FileMeta) -> f64 {
        f.size as f64 / self.coverage(f.smallest_user_key(), f.largest_user_key())
    }

    /// The key at `fraction` (0..1) of the space, rounded down to a step:
    /// the prefix, then `width` bytes.
    pub fn key_at(&self, fraction: f64) -> Vec<u8> {
        let offset = (fraction * self.length() / self.step()).floor() * self.step();
        let pos = self.lo.saturating_add(offset as u64);
        let mut key = self.prefix.clone();
        key.extend_from_slice(&pos.to_be_bytes()[..self.width]);
        key
    }

    /// The boundaries that split the space into `shards` equal parts and
    /// fall strictly inside `lo..=hi` (a boundary at `lo` cuts nothing), in
    /// key order.
    pub fn boundaries_within(&self, shards: u64, lo: &[u8], hi: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for i in 1..shards {
            let k = self.key_at(i as f64 / shards as f64);
            if k.as_slice() > lo && k.as_slice() <= hi && out.last() != Some(&k) {
                out.push(k);
            }
        }
        out
    }
}

/// Cassandra UCS's shard count for an output of density `d`: base count
/// `b`, target sstable size `t`, minimum size `m` (0: none) and growth
/// `lambda` (the part of density growth that goes to sstable size rather
/// than shard count). Powers of two times `b`, so the boundaries of a lower
/// density are boundaries of every higher one. Below `m` times `b` the
/// count is the power of two that keeps sstables at `m` or more, at most
/// the largest power of two dividing `b` (so its boundaries are `b`'s too).
pub fn shard_count(d: f64, b: u64, t: f64, m: f64, lambda: f64) -> u64 {
    /// Cassandra's cap on the shard shift (2^20 times the base count).
    const MAX_SHIFT: f64 = 20.0;
    let b_f = b as f64;
    if m > 0.0 && d < m {
        return 1;
    }
    if m > 0.0 && d < m * b_f {
        let fit = 1u64 << ((d / m).log2().floor().clamp(0.0, MAX_SHIFT) as u32);
        return fit.min(b & b.wrapping_neg());
    }
    if d < t * b_f {
        return b;
    }
    let shift = ((1.0 - lambda) * (d / (t * b_f)).log2()).round();
    b << (shift.clamp(0.0, MAX_SHIFT) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = (1 << 20) as f64;

    /// The documented examples (UnifiedCompactionStrategy.md, "Basic
    /// sharding scheme"): target 100 MiB, 4 base shards. A 200 MiB flush
    /// gets the base 4 shards; six 50 MiB sstables of one quarter of the
    /// space compact to density 1200 MiB: 16 shards over the space.
    #[test]
    fn shard_counts_follow_the_documented_examples() {
        assert_eq!(shard_count(200.0 * MIB, 4, 100.0 * MIB, 0.0, 0.0), 4);
        let d = 6.0 * 50.0 * MIB / 0.25;
        assert_eq!(shard_count(d, 4, 100.0 * MIB, 0.0, 0.0), 16);
        // Growth 1 fixes the count at the base; 0.5 takes the square root
        // of the growth: 1 TiB at 1 GiB target, base 1 -> 32 shards.
        assert_eq!(shard_count(1e6 * MIB, 4, 100.0 * MIB, 0.0, 1.0), 4);
        let tib = 1024.0 * 1024.0 * MIB;
        assert_eq!(shard_count(tib, 1, 1024.0 * MIB, 0.0, 0.5), 32);
        assert_eq!(shard_count(tib, 1, 1024.0 * MIB, 0.0, 0.0), 1024);
        // A minimum size halves the base count below it: 250 MiB over a
        // 100 MiB minimum with base 8 -> 2 shards; under it, one.
        assert_eq!(
            shard_count(250.0 * MIB, 8, 1024.0 * MIB, 100.0 * MIB, 0.0),
            2
        );
        assert_eq!(
            shard_count(50.0 * MIB, 8, 1024.0 * MIB, 100.0 * MIB, 0.0),
            1
        );
        // With a base of 6 the count below the minimum stays a divisor of
        // it: 5 minimum sizes would fit 4 shards, 6 = 2 x 3 allows 2.
        assert_eq!(
            shard_count(500.0 * MIB, 6, 1024.0 * MIB, 100.0 * MIB, 0.0),
            2
        );
        assert_eq!(
            shard_count(700.0 * MIB, 6, 1024.0 * MIB, 100.0 * MIB, 0.0),
            6
        );
    }

    #[test]
    fn integer_keys_map_to_their_index_and_shards_to_exact_keys() {
        let key = |i: u64| i.to_be_bytes().to_vec();
        let space = KeySpace::new(&key(0), &key(999));
        // 1000 keys: a file of keys 0..=249 covers a quarter.
        assert!((space.coverage(&key(0), &key(249)) - 0.25).abs() < 1e-12);
        assert!((space.coverage(&key(7), &key(7)) - 0.001).abs() < 1e-12);
        assert_eq!(space.key_at(0.5), key(500));
        let cuts = space.boundaries_within(4, &key(0), &key(999));
        assert_eq!(cuts, vec![key(250), key(500), key(750)]);
        // Only the boundaries inside a job's range.
        assert_eq!(
            space.boundaries_within(4, &key(250), &key(600)),
            vec![key(500)]
        );
    }
}
