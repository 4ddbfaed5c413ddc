//! The in-memory write buffer: every write lands here (after the WAL) until
//! the table reaches `write_buffer_size` and is flushed to an L0 SSTable.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::key::{self, SeqNo, ValueKind};

/// An internal key ordered by [`key::compare_internal`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct MemKey(Vec<u8>);

impl Ord for MemKey {
    fn cmp(&self, other: &Self) -> Ordering {
        key::compare_internal(&self.0, &other.0)
    }
}

impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A sorted buffer of internal entries.
#[derive(Debug, Default)]
pub struct Memtable {
    map: BTreeMap<MemKey, Vec<u8>>,
    /// INVARIANT: the sum of internal key and value lengths plus a fixed
    /// per-entry overhead, over every entry in `map`.
    approximate_bytes: u64,
}

/// Bookkeeping bytes charged per entry, so tiny entries still fill a buffer.
const ENTRY_OVERHEAD: u64 = 16;

/// The newest version of a key visible at some sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemEntry {
    pub seq: SeqNo,
    pub kind: ValueKind,
    /// The stored value (for `ValueWithExpiry`, with its expiry prefix).
    pub value: Vec<u8>,
}

impl Memtable {
    /// An empty memtable.
    pub fn new() -> Self {
        Memtable::default()
    }

    /// Inserts one entry.
    pub fn add(&mut self, seq: SeqNo, kind: ValueKind, user_key: &[u8], value: &[u8]) {
        let ikey = key::internal_key(user_key, seq, kind);
        self.approximate_bytes += ikey.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD;
        self.map.insert(MemKey(ikey), value.to_vec());
    }

    /// The newest entry for `user_key` with sequence `<= read_seq`.
    pub fn get(&self, user_key: &[u8], read_seq: SeqNo) -> Option<MemEntry> {
        let target = MemKey(key::seek_key(user_key, read_seq));
        let (k, v) = self.map.range(target..).next()?;
        let parsed = key::parse_internal_key(&k.0)?;
        (parsed.user_key == user_key).then(|| MemEntry {
            seq: parsed.seq,
            kind: parsed.kind,
            value: v.clone(),
        })
    }

    /// Approximate memory used by the entries, compared with
    /// `write_buffer_size`.
    pub fn approximate_bytes(&self) -> u64 {
        self.approximate_bytes
    }

    /// Number of entries (every version counts).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every entry in internal-key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.map.iter().map(|(k, v)| (k.0.as_slice(), v.as_slice()))
    }

    /// A cursor over the entries, borrowing the memtable.
    pub fn cursor(&self) -> MemtableCursor<'_> {
        MemtableCursor {
            map: &self.map,
            current: None,
        }
    }

    /// Entries whose user key lies in `[lo, hi)` (`hi = None`: unbounded), in
    /// internal-key order, copied out: every version of the first
    /// `max_user_keys` user keys there. When more keys follow, `cut` is the
    /// first key left out, so the copy is complete for user keys below it.
    pub fn range_entries(&self, lo: &[u8], hi: Option<&[u8]>, max_user_keys: usize) -> MemRange {
        let start = MemKey(key::seek_key(lo, key::MAX_SEQ));
        let mut out = MemRange::default();
        let mut keys = 0usize;
        for (k, v) in self.map.range((Bound::Included(start), Bound::Unbounded)) {
            let user_key = key::user_key(&k.0);
            if hi.is_some_and(|h| user_key >= h) {
                break;
            }
            let new_key = out
                .last_key()
                .is_none_or(|last| key::user_key(last) != user_key);
            if new_key {
                if keys == max_user_keys {
                    out.cut = Some(user_key.to_vec());
                    break;
                }
                keys += 1;
            }
            if out.entries.is_empty() {
                // Sized from the first entry: one allocation each, usually.
                let n = max_user_keys.min(64);
                out.entries.reserve(n);
                out.bytes.reserve(n * (k.0.len() + v.len()));
            }
            out.push(&k.0, v);
        }
        out.pos = out.entries.len();
        out
    }
}

/// A copied slice of a memtable (see [`Memtable::range_entries`]), kept in
/// one buffer, and a cursor over it.
#[derive(Debug, Default)]
pub struct MemRange {
    /// Keys and values back to back.
    bytes: Vec<u8>,
    /// Per entry: where its key starts, the key's length, the value's length.
    /// INVARIANT: in internal-key order.
    entries: Vec<(usize, usize, usize)>,
    /// The first user key not copied, when the copy stopped early.
    pub cut: Option<Vec<u8>>,
    /// The cursor's position; `entries.len()` when not valid.
    pos: usize,
}

impl MemRange {
    fn push(&mut self, ikey: &[u8], value: &[u8]) {
        self.entries
            .push((self.bytes.len(), ikey.len(), value.len()));
        self.bytes.extend_from_slice(ikey);
        self.bytes.extend_from_slice(value);
    }

    fn key_at(&self, i: usize) -> &[u8] {
        let (at, k, _) = self.entries[i];
        &self.bytes[at..at + k]
    }

    fn value_at(&self, i: usize) -> &[u8] {
        let (at, k, v) = self.entries[i];
        &self.bytes[at + k..at + k + v]
    }

    fn last_key(&self) -> Option<&[u8]> {
        self.entries.len().checked_sub(1).map(|i| self.key_at(i))
    }

    /// True when nothing was copied.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The copied `(internal key, value)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        (0..self.entries.len()).map(|i| (self.key_at(i), self.value_at(i)))
    }
}

impl crate::iter::InternalIterator for MemRange {
    fn valid(&self) -> bool {
        self.pos < self.entries.len()
    }

    fn seek_to_first(&mut self) -> crate::Result<()> {
        self.pos = 0;
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> crate::Result<()> {
        let mut lo = 0;
        let mut hi = self.entries.len();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if key::compare_internal(self.key_at(mid), target) == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.pos = lo;
        Ok(())
    }

    fn next(&mut self) -> crate::Result<()> {
        self.pos += 1;
        Ok(())
    }

    fn key(&self) -> &[u8] {
        self.key_at(self.pos)
    }

    fn value(&self) -> &[u8] {
        self.value_at(self.pos)
    }
}

/// An [`InternalIterator`](crate::iter::InternalIterator) over a memtable
/// that copies nothing: each step is one ordered-map lookup.
pub struct MemtableCursor<'a> {
    map: &'a BTreeMap<MemKey, Vec<u8>>,
    current: Option<(&'a MemKey, &'a Vec<u8>)>,
}

impl crate::iter::InternalIterator for MemtableCursor<'_> {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek_to_first(&mut self) -> crate::Result<()> {
        self.current = self.map.iter().next();
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> crate::Result<()> {
        self.current = self.map.range(MemKey(target.to_vec())..).next();
        Ok(())
    }

    fn next(&mut self) -> crate::Result<()> {
        let (k, _) = self.current.expect("next on an invalid cursor");
        self.current = self
            .map
            .range::<MemKey, _>((Bound::Excluded(k), Bound::Unbounded))
            .next();
        Ok(())
    }

    fn key(&self) -> &[u8] {
        &self.current.expect("key on an invalid cursor").0 .0
    }

    fn value(&self) -> &[u8] {
        self.current.expect("value on an invalid cursor").1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_sees_the_newest_version_at_or_below_the_read_sequence() {
        let mut m = Memtable::new();
        m.add(1, ValueKind::Value, b"k", b"v1");
        m.add(5, ValueKind::Tombstone, b"k", b"");
        m.add(9, ValueKind::Value, b"k", b"v9");
        m.add(3, ValueKind::Value, b"j", b"other");
        assert_eq!(m.get(b"k", 100).unwrap().value, b"v9");
        assert_eq!(m.get(b"k", 6).unwrap().kind, ValueKind::Tombstone);
        assert_eq!(m.get(b"k", 4).unwrap().value, b"v1");
        assert_eq!(m.get(b"k", 0), None);
        assert_eq!(m.get(b"kk", 100), None);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn the_cursor_walks_and_seeks_in_internal_order() {
        use crate::iter::{collect_all, InternalIterator};
        let mut m = Memtable::new();
        m.add(3, ValueKind::Value, b"b", b"3");
        m.add(1, ValueKind::Value, b"a", b"1");
        m.add(5, ValueKind::Tombstone, b"b", b"");
        let all = collect_all(&mut m.cursor()).unwrap();
        let keys: Vec<_> = all
            .iter()
            .map(|(k, _)| {
                let p = key::parse_internal_key(k).unwrap();
                (p.user_key.to_vec(), p.seq)
            })
            .collect();
        assert_eq!(
            keys,
            vec![(b"a".to_vec(), 1), (b"b".to_vec(), 5), (b"b".to_vec(), 3)]
        );
        let mut c = m.cursor();
        c.seek(&key::seek_key(b"b", 4)).unwrap();
        assert_eq!(c.value(), b"3");
        c.next().unwrap();
        assert!(!c.valid());
    }

    #[test]
    fn size_grows_with_every_entry_and_range_is_half_open() {
        let mut m = Memtable::new();
        assert_eq!(m.approximate_bytes(), 0);
        for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            m.add(i as u64 + 1, ValueKind::Value, *k, b"0123456789");
        }
        assert_eq!(m.approximate_bytes(), 4 * (1 + 8 + 10 + ENTRY_OVERHEAD));
        let r = m.range_entries(b"b", Some(b"d"), usize::MAX);
        let keys: Vec<_> = r.iter().map(|(k, _)| key::user_key(k).to_vec()).collect();
        assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(r.cut, None);
        assert_eq!(m.range_entries(b"c", None, usize::MAX).iter().count(), 2);
    }

    #[test]
    fn a_capped_range_keeps_every_version_and_names_the_cut() {
        let mut m = Memtable::new();
        for (seq, k) in [(1, b"a"), (2, b"b"), (3, b"b"), (4, b"c"), (5, b"d")] {
            m.add(seq, ValueKind::Value, k, b"v");
        }
        let r = m.range_entries(b"a", None, 2);
        let keys: Vec<_> = r
            .iter()
            .map(|(k, _)| {
                (
                    key::user_key(k).to_vec(),
                    key::parse_internal_key(k).unwrap().seq,
                )
            })
            .collect();
        assert_eq!(
            keys,
            vec![(b"a".to_vec(), 1), (b"b".to_vec(), 3), (b"b".to_vec(), 2)]
        );
        assert_eq!(r.cut.as_deref(), Some(&b"c"[..]));
        // A cap that is not reached, or a bound that comes first: no cut.
        assert_eq!(m.range_entries(b"a", Some(b"c"), 2).cut, None);
        assert_eq!(m.range_entries(b"b", None, 3).cut, None);
    }

    #[test]
    fn a_copied_range_seeks_and_steps_like_the_memtable_cursor() {
        use crate::iter::InternalIterator;
        let mut m = Memtable::new();
        let mut seq = 0;
        for round in 0..3u64 {
            for i in (0..60u64).filter(|i| (i + round) % 3 != 0) {
                seq += 1;
                let kind = if i % 7 == 0 {
                    ValueKind::Tombstone
                } else {
                    ValueKind::Value
                };
                m.add(
                    seq,
                    kind,
                    format!("k{i:03}").as_bytes(),
                    format!("v{round}").as_bytes(),
                );
            }
        }
        let rest = |it: &mut dyn InternalIterator| {
            let mut out = Vec::new();
            while it.valid() {
                out.push((it.key().to_vec(), it.value().to_vec()));
                it.next().unwrap();
            }
            out
        };
        let mut copy = m.range_entries(b"", None, usize::MAX);
        assert!(!copy.valid(), "a fresh copy is positioned nowhere");
        for i in 0..62u64 {
            for read_seq in [0, 40, seq, key::MAX_SEQ] {
                let target = key::seek_key(format!("k{i:03}").as_bytes(), read_seq);
                let mut cursor = m.cursor();
                cursor.seek(&target).unwrap();
                copy.seek(&target).unwrap();
                assert_eq!(
                    rest(&mut copy),
                    rest(&mut cursor),
                    "seek k{i:03} at {read_seq}"
                );
            }
        }
        copy.seek_to_first().unwrap();
        let mut cursor = m.cursor();
        cursor.seek_to_first().unwrap();
        assert_eq!(rest(&mut copy), rest(&mut cursor));
    }
}
