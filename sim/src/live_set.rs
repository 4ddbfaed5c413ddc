//! The lab's model of what the database holds: each live key's value length
//! and expiry, for space amplification (live bytes) and for choosing the
//! keys a settled probe looks up.
//!
//! Generated workloads name keys by index ([`encode_key`]), so their keys
//! are held densely: one slot per index, a few bytes per key, no hashing.
//! Any other key (traces, time-series keys) goes to a hash map. A key's
//! place depends only on its bytes, so it is always found where it was put.
//!
//! A range delete removes the dense slots of its range (work in proportion
//! to the range, not the key space) and the sparse keys in it, found
//! through an ordered index of the sparse keys that the first range delete
//! builds and later changes keep (workloads without range deletes pay
//! nothing for it).

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Bound;

use lsmlab_engine::merge_op::MergeOperator;
use lsmlab_workloads::{decode_key, encode_key, WorkloadSpec};

use crate::short_key::ShortKey;

/// The expiry of a key that never expires.
pub const NEVER: u64 = u64::MAX;

/// Live keys: key -> (value length, expiry ms or [`NEVER`]). What depends on
/// order ([`LiveSet::evenly_spaced`]) walks the keys in byte order, so every
/// figure is the same on every machine and in either representation.
#[derive(Default)]
pub struct LiveSet {
    /// Key size of densely held keys (0: none are).
    dense_key_size: usize,
    /// Index -> value length + 1; 0 when the key is absent.
    dense_len: Vec<u32>,
    /// Index -> expiry, allocated at the first dense put with a TTL.
    dense_expiry: Vec<u64>,
    dense_count: u64,
    sparse: HashMap<ShortKey, (u32, u64), BuildHasherDefault<KeyHasher>>,
    /// INVARIANT: once `Some` (from the first range delete on), exactly the
    /// keys of `sparse`.
    sparse_order: Option<BTreeSet<ShortKey>>,
    /// INVARIANT: key+value bytes of every key held, expired or not.
    bytes: u64,
    has_expiry: bool,
}

impl LiveSet {
    /// A set that holds every key in the hash map.
    pub fn sparse() -> Self {
        LiveSet::default()
    }

    /// A set that holds the keys `encode_key(i, key_size)`, `i <
    /// key_count`, densely (4 bytes per index, 8 more once a TTL is seen).
    pub fn dense(key_size: usize, key_count: u64) -> Self {
        LiveSet {
            dense_key_size: key_size,
            dense_len: vec![0; usize::try_from(key_count).unwrap_or(0)],
            ..LiveSet::default()
        }
    }

    /// The set for a run of `workload`: dense for generated keys unless the
    /// key space is far larger than the run could touch (a dense slot costs
    /// 4 bytes, a hash-map entry about 56), sparse for a trace.
    pub fn for_workload(workload: &WorkloadSpec, traced: bool) -> Self {
        let worth_it = workload.key_count <= workload.total_ops().saturating_mul(8);
        match !traced && worth_it {
            true => LiveSet::dense(workload.key_size, workload.key_count),
            false => LiveSet::sparse(),
        }
    }

    /// The dense slot of `key`, when it has one.
    fn slot(&self, key: &[u8]) -> Option<usize> {
        if key.len() != self.dense_key_size {
            return None;
        }
        let i = usize::try_from(decode_key(key)?).ok()?;
        (i < self.dense_len.len()).then_some(i)
    }

    /// Starts loading `key`'s dense slot into the cache, so that a
    /// [`LiveSet::put`] or [`LiveSet::delete`] of it after the database's
    /// own write finds it there: the slots are indexed by random key
    /// numbers, and a miss on each was the single most costly load of a
    /// deterministic run. A hint only; it changes nothing.
    #[inline]
    pub fn prefetch(&self, key: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        if let Some(i) = self.slot(key) {
            let at = self.dense_len[i..].as_ptr().cast::<i8>();
            // SAFETY: a prefetch never faults and reads nothing the program
            // sees; `at` points into `dense_len` in any case.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = key;
    }

    /// Records a put of `len` value bytes, live until `expiry`.
    pub fn put(&mut self, key: &[u8], len: u32, expiry: u64) {
        self.has_expiry |= expiry != NEVER;
        let klen = key.len() as u64;
        match self.slot(key) {
            Some(i) => {
                match self.dense_len[i] {
                    0 => self.dense_count += 1,
                    old => self.bytes -= klen + u64::from(old - 1),
                }
                // No value is 4 GiB long; clamping keeps 0 meaning absent.
                let len = len.min(u32::MAX - 1);
                self.dense_len[i] = len + 1;
                if expiry != NEVER && self.dense_expiry.is_empty() {
                    self.dense_expiry = vec![NEVER; self.dense_len.len()];
                }
                if !self.dense_expiry.is_empty() {
                    self.dense_expiry[i] = expiry;
                }
            }
            None => {
                // Overwrites (most puts of a long run) allocate nothing.
                match self.sparse.get_mut(key) {
                    Some(slot) => {
                        self.bytes -= klen + u64::from(slot.0);
                        *slot = (len, expiry);
                    }
                    None => {
                        self.sparse.insert(ShortKey::from(key), (len, expiry));
                        if let Some(order) = &mut self.sparse_order {
                            order.insert(ShortKey::from(key));
                        }
                    }
                }
            }
        }
        self.bytes += klen + u64::from(len);
    }

    /// Records a delete.
    pub fn delete(&mut self, key: &[u8]) {
        let klen = key.len() as u64;
        match self.slot(key) {
            Some(i) if self.dense_len[i] != 0 => {
                self.bytes -= klen + u64::from(self.dense_len[i] - 1);
                self.dense_len[i] = 0;
                self.dense_count -= 1;
            }
            Some(_) => {}
            None => {
                if let Some((old, _)) = self.sparse.remove(key) {
                    self.bytes -= klen + u64::from(old);
                    if let Some(order) = &mut self.sparse_order {
                        order.remove(key);
                    }
                }
            }
        }
    }

    /// Records a range delete of every key in `[start, end)`.
    pub fn delete_range(&mut self, start: &[u8], end: &[u8]) {
        if start >= end {
            return;
        }
        let (lo, hi) = (self.dense_lower(start), self.dense_lower(end));
        let klen = self.dense_key_size as u64;
        for len in &mut self.dense_len[lo..hi] {
            if *len != 0 {
                self.bytes -= klen + u64::from(*len - 1);
                *len = 0;
                self.dense_count -= 1;
            }
        }
        let sparse = &self.sparse;
        let order = self
            .sparse_order
            .get_or_insert_with(|| sparse.keys().cloned().collect());
        let doomed: Vec<ShortKey> = order
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
            .cloned()
            .collect();
        for k in doomed {
            order.remove(&k);
            if let Some((len, _)) = self.sparse.remove(k.as_slice()) {
                self.bytes -= k.as_slice().len() as u64 + u64::from(len);
            }
        }
    }

    /// The number of dense slots whose key sorts before `bound`.
    fn dense_lower(&self, bound: &[u8]) -> usize {
        let size = self.dense_key_size;
        let (mut lo, mut hi) = (0usize, self.dense_len.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if encode_key(mid as u64, size).as_slice() < bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Records a merge of `operand` at `now`: the key becomes live with the
    /// length of `operator`'s full merge of its live value (none if absent
    /// or expired) and the operand, and never expires (the operand has no
    /// TTL; a value's expiry under it is decided when it is read).
    pub fn merge(&mut self, key: &[u8], operand: &[u8], operator: &dyn MergeOperator, now: u64) {
        let base = self.value_len(key, now).map(|len| vec![0u8; len as usize]);
        let merged = operator.full_merge(key, base.as_deref(), &[operand]).len();
        self.put(key, u32::try_from(merged).unwrap_or(u32::MAX), NEVER);
    }

    /// The value length of `key` if it is held and unexpired at `now`.
    pub fn value_len(&self, key: &[u8], now: u64) -> Option<u32> {
        let (len, expiry) = match self.slot(key) {
            Some(i) => match self.dense_len[i] {
                0 => return None,
                n => (n - 1, self.dense_expiry.get(i).copied().unwrap_or(NEVER)),
            },
            None => *self.sparse.get(key)?,
        };
        (expiry > now).then_some(len)
    }

    /// Number of keys held (expired or not).
    pub fn len(&self) -> u64 {
        self.dense_count + self.sparse.len() as u64
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every `step`-th key in byte order, starting with the first, at most
    /// `take` of them.
    pub fn evenly_spaced(&self, step: usize, take: usize) -> Vec<Vec<u8>> {
        let mut sparse: Vec<&[u8]> = self.sparse.keys().map(ShortKey::as_slice).collect();
        sparse.sort_unstable();
        let mut sparse = sparse.into_iter().peekable();
        let mut dense = self
            .dense_len
            .iter()
            .enumerate()
            .filter(|(_, &l)| l != 0)
            .map(|(i, _)| encode_key(i as u64, self.dense_key_size))
            .peekable();
        let step = step.max(1);
        let mut out = Vec::new();
        let mut seen = 0usize;
        while out.len() < take {
            let next = match (dense.peek(), sparse.peek()) {
                (Some(d), Some(s)) if d.as_slice() <= *s => dense.next(),
                (_, Some(_)) => sparse.next().map(<[u8]>::to_vec),
                (Some(_), None) => dense.next(),
                (None, None) => break,
            };
            if seen.is_multiple_of(step) {
                out.extend(next);
            }
            seen += 1;
        }
        out
    }

    /// Bytes of the unexpired keys at `now`; forgets expired ones.
    pub fn live_bytes(&mut self, now: u64) -> u64 {
        if self.has_expiry {
            let mut gone = 0u64;
            let order = &mut self.sparse_order;
            self.sparse.retain(|k, (len, exp)| {
                let live = *exp > now;
                if !live {
                    gone += k.as_slice().len() as u64 + u64::from(*len);
                    if let Some(order) = order {
                        order.remove(k);
                    }
                }
                live
            });
            let klen = self.dense_key_size as u64;
            for (len, exp) in self.dense_len.iter_mut().zip(&mut self.dense_expiry) {
                if *len != 0 && *exp <= now {
                    gone += klen + u64::from(*len - 1);
                    *len = 0;
                    *exp = NEVER;
                    self.dense_count -= 1;
                }
            }
            self.bytes -= gone;
        }
        self.bytes
    }
}

/// A fixed, fast hash of short byte strings (eight bytes a step, mixed at
/// the end), for the sparse map: the std hasher resists adversaries the
/// simulator does not have, at several times the cost.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("chunks of 8"));
            self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(K);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        // Murmur3's finaliser: every input bit reaches the low bits too.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_overwrites_once_and_forgets_expired_keys() {
        for mut l in [LiveSet::sparse(), LiveSet::dense(2, 10)] {
            l.put(b"aa", 10, NEVER);
            l.put(b"aa", 4, NEVER);
            l.put(b"bb", 8, 500);
            assert_eq!(l.live_bytes(100), 2 + 4 + 2 + 8);
            assert_eq!(l.live_bytes(500), 2 + 4);
            l.delete(b"aa");
            assert_eq!(l.live_bytes(600), 0);
            assert!(l.is_empty());
        }
    }

    #[test]
    fn a_merge_makes_its_key_live_at_the_operators_merged_length() {
        use lsmlab_engine::merge_op::{AddU64, Append};
        for mut l in [LiveSet::sparse(), LiveSet::dense(8, 10)] {
            let k = encode_key(3, 8);
            l.merge(&k, &[1; 8], &AddU64, 0);
            assert_eq!(
                l.live_bytes(0),
                8 + 8,
                "a merge over nothing creates the key"
            );
            l.merge(&k, &[1; 8], &AddU64, 0);
            assert_eq!(l.live_bytes(0), 8 + 8, "a counter stays 8 bytes");
            l.put(&k, 5, 100);
            l.merge(&k, b"abc", &Append, 50);
            assert_eq!(
                l.value_len(&k, 500),
                Some(8),
                "appended, and no longer expiring"
            );
            l.put(&k, 5, 100);
            l.merge(&k, b"abc", &Append, 200);
            assert_eq!(
                l.value_len(&k, 200),
                Some(3),
                "the expired value is no base"
            );
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(u64, u32, bool),
        Other(Vec<u8>, u32),
        Delete(u64),
        Expire(u64),
        Range(u64, u64),
        RawRange(Vec<u8>, Vec<u8>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u64..40, 0u32..50, any::<bool>()).prop_map(|(i, l, t)| Op::Put(i, l, t)),
            1 => (proptest::collection::vec(any::<u8>(), 0..20), 0u32..50)
                .prop_map(|(k, l)| Op::Other(k, l)),
            2 => (0u64..40).prop_map(Op::Delete),
            1 => (0u64..1000).prop_map(Op::Expire),
            1 => (0u64..45, 0u64..45).prop_map(|(a, b)| Op::Range(a, b)),
            1 => (proptest::collection::vec(any::<u8>(), 0..10),
                  proptest::collection::vec(any::<u8>(), 0..10))
                .prop_map(|(a, b)| Op::RawRange(a, b)),
        ]
    }

    proptest! {
        /// Dense and sparse sets report the same live bytes and the same
        /// evenly spaced keys after any history, including keys outside the
        /// dense range, keys of other shapes and range deletes over both;
        /// and the live bytes a plain ordered map of the same history holds.
        #[test]
        fn dense_and_sparse_agree(ops in proptest::collection::vec(op(), 1..80), step in 1usize..5) {
            let (mut d, mut s) = (LiveSet::dense(8, 30), LiveSet::sparse());
            let mut model: std::collections::BTreeMap<Vec<u8>, (u32, u64)> = Default::default();
            let model_bytes = |m: &std::collections::BTreeMap<Vec<u8>, (u32, u64)>, now: u64| -> u64 {
                m.iter()
                    .filter(|(_, (_, exp))| *exp > now)
                    .map(|(k, (len, _))| k.len() as u64 + u64::from(*len))
                    .sum()
            };
            let mut now = 0;
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Put(i, len, ttl) => {
                        let exp = if ttl { now + 1 + n as u64 } else { NEVER };
                        d.put(&encode_key(i, 8), len, exp);
                        s.put(&encode_key(i, 8), len, exp);
                        model.insert(encode_key(i, 8), (len, exp));
                    }
                    Op::Other(k, len) => {
                        d.put(&k, len, NEVER);
                        s.put(&k, len, NEVER);
                        model.insert(k, (len, NEVER));
                    }
                    Op::Delete(i) => {
                        d.delete(&encode_key(i, 8));
                        s.delete(&encode_key(i, 8));
                        model.remove(&encode_key(i, 8));
                    }
                    Op::Expire(t) => {
                        now = now.max(t);
                        prop_assert_eq!(d.live_bytes(now), s.live_bytes(now));
                        prop_assert_eq!(d.live_bytes(now), model_bytes(&model, now));
                    }
                    Op::Range(a, b) => {
                        let (a, b) = (encode_key(a, 8), encode_key(b, 8));
                        d.delete_range(&a, &b);
                        s.delete_range(&a, &b);
                        model.retain(|k, _| !(a <= *k && *k < b));
                    }
                    Op::RawRange(a, b) => {
                        d.delete_range(&a, &b);
                        s.delete_range(&a, &b);
                        model.retain(|k, _| !(a <= *k && *k < b));
                    }
                }
                prop_assert_eq!(d.len(), s.len());
                let key = encode_key(3, 8);
                prop_assert_eq!(d.value_len(&key, now), s.value_len(&key, now));
                let held = model.get(&key).filter(|(_, exp)| *exp > now).map(|(len, _)| *len);
                prop_assert_eq!(d.value_len(&key, now), held);
            }
            prop_assert_eq!(d.live_bytes(now), model_bytes(&model, now));
            prop_assert_eq!(d.live_bytes(now), s.live_bytes(now));
            prop_assert_eq!(d.evenly_spaced(step, 7), s.evenly_spaced(step, 7));
            let mut all: Vec<Vec<u8>> = s.sparse.keys().map(|k| k.as_slice().to_vec()).collect();
            all.sort();
            let want: Vec<Vec<u8>> = all.into_iter().step_by(step).take(7).collect();
            prop_assert_eq!(s.evenly_spaced(step, 7), want);
        }
    }
}
