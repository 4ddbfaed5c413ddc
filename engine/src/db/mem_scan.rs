//! A range scan's cursor over a memtable that its writer may go on filling:
//! it reads the entries the merge asks for, one step at a time.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::view::MemtableCell;
use crate::iter::InternalIterator;
use crate::key;
use crate::memtable::{MemPos, Memtable};

/// Where a scan of `[lo, hi)` starts in one memtable: found while the scan
/// is planned, under the memtable's read lock.
pub(super) struct MemScanStart {
    cell: Arc<MemtableCell>,
    /// The first entry in the range; `None`: the memtable has none.
    start: Option<MemPos>,
    /// The cursor reads the entries of this many user keys at most.
    max_user_keys: usize,
}

impl MemScanStart {
    /// The start of a scan of `mem` (`cell`'s memtable, read-locked by the
    /// caller) over `[lo, hi)`, reading at most `max_user_keys` user keys.
    pub(super) fn new(
        cell: &Arc<MemtableCell>,
        mem: &Memtable,
        lo: &[u8],
        hi: Option<&[u8]>,
        max_user_keys: usize,
    ) -> Self {
        let start = mem
            .first_at_or_after(lo)
            .filter(|&p| hi.is_none_or(|h| key::user_key(mem.entry_at(p).0) < h));
        MemScanStart {
            cell: cell.clone(),
            start,
            max_user_keys,
        }
    }

    /// True when the memtable has no entry in the range.
    pub(super) fn is_empty(&self) -> bool {
        self.start.is_none()
    }

    /// The cursor, bounded by `hi`; when it reaches a user key past its
    /// `max_user_keys`, it stops there and lowers `cut` to that key (the
    /// scan's results are then complete only below `cut`).
    pub(super) fn cursor(self, hi: Option<&[u8]>, cut: &Rc<RefCell<Option<Vec<u8>>>>) -> MemScan {
        MemScan {
            cell: self.cell,
            start: self.start,
            pos: Position {
                hi: hi.map(<[u8]>::to_vec),
                max_user_keys: self.max_user_keys,
                cut: cut.clone(),
                at: None,
                user_keys: 0,
                entry: Vec::new(),
                key_len: 0,
            },
        }
    }
}

/// The entries of one memtable in a scan's range, in internal-key order,
/// as far as `max_user_keys` user keys: the same entries a copy of that
/// stretch taken when the scan was planned would hold, read only as far
/// as the merge goes (a scan of ten keys usually needs one or two entries
/// of a memtable holding a few percent of the keys). Each step takes the
/// memtable's read lock and copies the entry it lands on, so the writer
/// is never held up for longer than a step. Entries linked since the plan
/// are newer than the scan's sequence, and the merge passes over them.
pub(super) struct MemScan {
    cell: Arc<MemtableCell>,
    start: Option<MemPos>,
    pos: Position,
}

/// Where a [`MemScan`] is, and what it may read.
struct Position {
    hi: Option<Vec<u8>>,
    max_user_keys: usize,
    cut: Rc<RefCell<Option<Vec<u8>>>>,
    /// The current entry; `None` when not valid.
    at: Option<MemPos>,
    /// User keys from the start to `at`, its own included.
    user_keys: usize,
    /// The current entry's internal key and value, back to back.
    entry: Vec<u8>,
    key_len: usize,
}

impl Position {
    /// Moves onto `pos` (the start, or the entry after the current one),
    /// unless it lies past the range or past the user keys allowed.
    fn enter(&mut self, mem: &Memtable, pos: Option<MemPos>) {
        self.at = None;
        let Some(p) = pos else {
            return;
        };
        let (k, v) = mem.entry_at(p);
        let user_key = key::user_key(k);
        if self.hi.as_deref().is_some_and(|h| user_key >= h) {
            return;
        }
        let same_key = self.user_keys > 0 && key::user_key(&self.entry[..self.key_len]) == user_key;
        if !same_key {
            if self.user_keys == self.max_user_keys {
                let mut cut = self.cut.borrow_mut();
                if cut.as_deref().is_none_or(|c| user_key < c) {
                    *cut = Some(user_key.to_vec());
                }
                return;
            }
            self.user_keys += 1;
        }
        self.entry.clear();
        self.entry.extend_from_slice(k);
        self.entry.extend_from_slice(v);
        self.key_len = k.len();
        self.at = Some(p);
    }
}

impl InternalIterator for MemScan {
    fn valid(&self) -> bool {
        self.pos.at.is_some()
    }

    fn seek_to_first(&mut self) -> crate::Result<()> {
        self.pos.user_keys = 0;
        self.pos.enter(&self.cell.read(), self.start);
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> crate::Result<()> {
        // From the start, counting user keys as they come: a scan seeks
        // once, to its lower bound, where the start already is.
        self.seek_to_first()?;
        while self.valid() && key::compare_internal(self.key(), target).is_lt() {
            self.next()?;
        }
        Ok(())
    }

    fn next(&mut self) -> crate::Result<()> {
        let at = self.pos.at.expect("next on an invalid memtable scan");
        let mem = self.cell.read();
        self.pos.enter(&mem, mem.next_pos(at));
        Ok(())
    }

    fn key(&self) -> &[u8] {
        &self.pos.entry[..self.pos.key_len]
    }

    fn value(&self) -> &[u8] {
        &self.pos.entry[self.pos.key_len..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::ValueKind;

    fn cell_with(entries: &[(u64, &str, ValueKind)]) -> Arc<MemtableCell> {
        let mut m = Memtable::new();
        for &(seq, k, kind) in entries {
            m.add(seq, kind, k.as_bytes(), format!("v{seq}").as_bytes());
        }
        Arc::new(MemtableCell::new(m))
    }

    fn scan(
        cell: &Arc<MemtableCell>,
        lo: &str,
        hi: Option<&str>,
        max_user_keys: usize,
    ) -> (MemScan, Rc<RefCell<Option<Vec<u8>>>>) {
        let hi = hi.map(str::as_bytes);
        let start = MemScanStart::new(cell, &cell.read(), lo.as_bytes(), hi, max_user_keys);
        let cut = Rc::new(RefCell::new(None));
        let cursor = start.cursor(hi, &cut);
        (cursor, cut)
    }

    fn rest(it: &mut dyn InternalIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next().unwrap();
        }
        out
    }

    /// Every version of the first user keys, and the first key left out
    /// named as the cut; no cut when the bound or the memtable's end comes
    /// first.
    #[test]
    fn a_capped_scan_keeps_every_version_and_names_the_cut() {
        let v = ValueKind::Value;
        let cell = cell_with(&[
            (1, "a", v),
            (2, "b", v),
            (3, "b", v),
            (4, "c", v),
            (5, "d", v),
        ]);
        let (mut it, cut) = scan(&cell, "a", None, 2);
        it.seek_to_first().unwrap();
        let keys: Vec<_> = rest(&mut it)
            .iter()
            .map(|(k, _)| {
                let p = key::parse_internal_key(k).unwrap();
                (p.user_key.to_vec(), p.seq)
            })
            .collect();
        assert_eq!(
            keys,
            vec![(b"a".to_vec(), 1), (b"b".to_vec(), 3), (b"b".to_vec(), 2)]
        );
        assert_eq!(cut.borrow().as_deref(), Some(&b"c"[..]));
        for (lo, hi, max) in [("a", Some("c"), 2), ("b", None, 3), ("b", Some("d"), 9)] {
            let (mut it, cut) = scan(&cell, lo, hi, max);
            it.seek_to_first().unwrap();
            let n = rest(&mut it).len();
            assert_eq!(*cut.borrow(), None, "{lo}..{hi:?} by {max}");
            assert!(n > 0);
        }
        // The lowest cut of the cursors sharing it stays.
        let cut = Rc::new(RefCell::new(None));
        let start = |lo: &str| MemScanStart::new(&cell, &cell.read(), lo.as_bytes(), None, 1);
        let mut narrow = start("a").cursor(None, &cut);
        let mut wide = start("b").cursor(None, &cut);
        narrow.seek_to_first().unwrap();
        rest(&mut narrow);
        wide.seek_to_first().unwrap();
        rest(&mut wide);
        assert_eq!(cut.borrow().as_deref(), Some(&b"b"[..]));
        let (empty, _) = scan(&cell, "e", None, 9);
        assert!(empty.start.is_none());
        let (bounded, _) = scan(&cell, "b", Some("b1"), 9);
        assert!(bounded.start.is_some());
        let (outside, _) = scan(&cell, "bb", Some("c"), 9);
        assert!(outside.start.is_none(), "no entry in [bb, c)");
    }

    /// Uncapped, the scan seeks and steps as the memtable's own cursor does
    /// from any target, and sees an entry the writer links mid-scan.
    #[test]
    fn an_uncapped_scan_seeks_and_steps_like_the_memtable_cursor() {
        let mut entries = Vec::new();
        let mut seq = 0;
        for round in 0..3u64 {
            for i in (0..60u64).filter(|i| (i + round) % 3 != 0) {
                seq += 1;
                let kind = if i % 7 == 0 {
                    ValueKind::Tombstone
                } else {
                    ValueKind::Value
                };
                entries.push((seq, format!("k{i:03}"), kind));
            }
        }
        let refs: Vec<_> = entries
            .iter()
            .map(|(s, k, kind)| (*s, k.as_str(), *kind))
            .collect();
        let cell = cell_with(&refs);
        let (mut it, cut) = scan(&cell, "", None, usize::MAX);
        assert!(!it.valid(), "a fresh scan is positioned nowhere");
        for i in 0..62u64 {
            for read_seq in [0, 40, seq, key::MAX_SEQ] {
                let target = key::seek_key(format!("k{i:03}").as_bytes(), read_seq);
                let mem = cell.read();
                let mut cursor = mem.cursor();
                cursor.seek(&target).unwrap();
                it.seek(&target).unwrap();
                assert_eq!(
                    rest(&mut it),
                    rest(&mut cursor),
                    "seek k{i:03} at {read_seq}"
                );
            }
        }
        assert_eq!(*cut.borrow(), None);
        it.seek_to_first().unwrap();
        it.next().unwrap();
        cell.write()
            .add(seq + 1, ValueKind::Value, b"k000a", b"new");
        assert_eq!(key::user_key(it.key()), b"k000");
        it.next().unwrap();
        assert_eq!(
            key::user_key(it.key()),
            b"k000a",
            "linked after the scan began"
        );
    }
}
