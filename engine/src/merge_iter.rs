//! Iterators that combine others: a k-way merge in internal-key order, and a
//! cursor over entries already in memory.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::compare_internal;
use crate::sst::{ReadTally, Table, TableIter};
use crate::version::FileMeta;

/// A k-way merge of child iterators by internal key, with a binary min-heap
/// of child indices. On equal keys the child listed first wins.
pub struct MergingIterator<'a> {
    children: Vec<Box<dyn InternalIterator + 'a>>,
    /// INVARIANT: exactly the indices of the valid children, heap-ordered by
    /// `less`.
    heap: Vec<usize>,
    /// The heap position (1 or 2) of the root's smaller child, when known:
    /// while the same child stays smallest, a step costs one comparison
    /// (against this runner-up) instead of a sift. `None` after any change
    /// below the root.
    runner_up: Option<usize>,
}

impl<'a> MergingIterator<'a> {
    /// Merges `children`; earlier children win ties.
    pub fn new(children: Vec<Box<dyn InternalIterator + 'a>>) -> Self {
        MergingIterator {
            children,
            heap: Vec::new(),
            runner_up: None,
        }
    }

    fn less(&self, a: usize, b: usize) -> bool {
        match compare_internal(self.children[a].key(), self.children[b].key()) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => a < b,
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let l = 2 * i + 1;
            if l >= n {
                return;
            }
            let r = l + 1;
            let child = if r < n && self.less(self.heap[r], self.heap[l]) {
                r
            } else {
                l
            };
            if self.less(self.heap[child], self.heap[i]) {
                self.heap.swap(child, i);
                i = child;
            } else {
                return;
            }
        }
    }

    fn rebuild(&mut self) {
        self.runner_up = None;
        self.heap = (0..self.children.len())
            .filter(|&i| self.children[i].valid())
            .collect();
        for i in (0..self.heap.len() / 2).rev() {
            self.sift_down(i);
        }
    }
}

impl InternalIterator for MergingIterator<'_> {
    fn valid(&self) -> bool {
        !self.heap.is_empty()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        for c in &mut self.children {
            c.seek_to_first()?;
        }
        self.rebuild();
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        for c in &mut self.children {
            c.seek(target)?;
        }
        self.rebuild();
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        let top = self.heap[0];
        self.children[top].next()?;
        if !self.children[top].valid() {
            let last = self.heap.len() - 1;
            self.heap.swap(0, last);
            self.heap.pop();
            self.runner_up = None;
            self.sift_down(0);
            return Ok(());
        }
        let second = match self.runner_up {
            Some(p) => p,
            None if self.heap.len() < 2 => return Ok(()),
            None if self.heap.len() == 2 => 1,
            None if self.less(self.heap[2], self.heap[1]) => 2,
            None => 1,
        };
        if self.less(self.heap[second], top) {
            // The runner-up takes the root; the old top sinks from its place.
            self.heap.swap(0, second);
            self.sift_down(second);
            self.runner_up = None;
        } else {
            self.runner_up = Some(second);
        }
        Ok(())
    }

    fn key(&self) -> &[u8] {
        self.children[self.heap[0]].key()
    }

    fn value(&self) -> &[u8] {
        self.children[self.heap[0]].value()
    }
}

/// The files a [`LevelIterator`] walks: non-overlapping, in key order,
/// each with its open table.
pub trait LevelFiles: Send {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// File `i`'s metadata (`i < len()`).
    fn meta(&self, i: usize) -> &FileMeta;
    /// File `i`'s table (`i < len()`); `None` when the source has no open
    /// table for it, which the cursor reports as an error.
    fn table(&self, i: usize) -> Option<&Arc<Table>>;
}

impl LevelFiles for Vec<(Arc<FileMeta>, Arc<Table>)> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn meta(&self, i: usize) -> &FileMeta {
        &self[i].0
    }

    fn table(&self, i: usize) -> Option<&Arc<Table>> {
        Some(&self[i].1)
    }
}

/// The files of one sorted level (non-overlapping, in key order) as one
/// cursor, opening each file's iterator only when the cursor reaches it.
pub struct LevelIterator<F: LevelFiles = Vec<(Arc<FileMeta>, Arc<Table>)>> {
    /// INVARIANT: sorted by key range, ranges disjoint.
    files: F,
    index: usize,
    current: Option<TableIter>,
    /// Set for user scans: tables read through the block cache, counted here.
    tally: Option<Arc<ReadTally>>,
}

impl<F: LevelFiles> LevelIterator<F> {
    /// A cursor over `files`. REQUIRES: sorted and non-overlapping.
    pub fn new(files: F) -> Self {
        LevelIterator {
            files,
            index: 0,
            current: None,
            tally: None,
        }
    }

    /// A cursor for a user scan (see [`Table::scan_iter`]).
    pub fn for_scan(files: F, tally: Arc<ReadTally>) -> Self {
        LevelIterator {
            tally: Some(tally),
            ..LevelIterator::new(files)
        }
    }

    /// An iterator over file `i`'s table, or `None` past the last file.
    fn open(&self, i: usize) -> Result<Option<TableIter>> {
        if i >= self.files.len() {
            return Ok(None);
        }
        let meta = self.files.meta(i);
        let t = self.files.table(i).ok_or_else(|| {
            crate::Error::InvalidArgument(format!(
                "table {} of a level cursor is not open",
                meta.number
            ))
        })?;
        Ok(Some(match &self.tally {
            Some(tally) => t.scan_iter(tally.clone()),
            None => t.iter(),
        }))
    }

    /// Moves to the first entry at or after file `index`.
    fn settle(&mut self) -> Result<()> {
        while let Some(it) = &self.current {
            if it.valid() {
                return Ok(());
            }
            self.index += 1;
            self.current = match self.open(self.index)? {
                Some(mut it) => {
                    it.seek_to_first()?;
                    Some(it)
                }
                None => None,
            };
        }
        Ok(())
    }
}

impl<F: LevelFiles> InternalIterator for LevelIterator<F> {
    fn valid(&self) -> bool {
        self.current.as_ref().is_some_and(|it| it.valid())
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.index = 0;
        self.current = match self.open(0)? {
            Some(mut it) => {
                it.seek_to_first()?;
                Some(it)
            }
            None => None,
        };
        self.settle()
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        // The first file whose largest key is not below the target.
        let (mut lo, mut hi) = (0, self.files.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if compare_internal(&self.files.meta(mid).largest, target) == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.index = lo;
        self.current = match self.open(lo)? {
            Some(mut it) => {
                it.seek(target)?;
                Some(it)
            }
            None => None,
        };
        self.settle()
    }

    fn next(&mut self) -> Result<()> {
        if let Some(it) = self.current.as_mut() {
            it.next()?;
        }
        self.settle()
    }

    fn key(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("key on an invalid cursor")
            .key()
    }

    fn value(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("value on an invalid cursor")
            .value()
    }
}

/// A cursor over `(internal key, value)` pairs already sorted in memory.
#[derive(Debug, Default)]
pub struct VecIterator {
    /// INVARIANT: sorted by `compare_internal` on the keys.
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Position; `entries.len()` when not valid.
    pos: usize,
}

impl VecIterator {
    /// A cursor over `entries`. REQUIRES: sorted in internal-key order.
    pub fn new(entries: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        let pos = entries.len();
        VecIterator { entries, pos }
    }
}

impl InternalIterator for VecIterator {
    fn valid(&self) -> bool {
        self.pos < self.entries.len()
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.pos = 0;
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.pos = self
            .entries
            .partition_point(|(k, _)| compare_internal(k, target) == Ordering::Less);
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        self.pos += 1;
        Ok(())
    }

    fn key(&self) -> &[u8] {
        &self.entries[self.pos].0
    }

    fn value(&self) -> &[u8] {
        &self.entries[self.pos].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iter::collect_all;
    use crate::key::{internal_key, ValueKind};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn merge_equals_sorting_the_union(
            parts in prop::collection::vec(
                prop::collection::vec(0u8..20, 0..30), 0..6)
        ) {
            // Give every entry a unique seq so keys are distinct overall.
            let mut seq = 0u64;
            let mut all = Vec::new();
            let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
            for part in &parts {
                let mut entries: Vec<_> = part.iter().map(|&k| {
                    seq += 1;
                    let e = (internal_key(&[k], seq, ValueKind::Value), seq.to_le_bytes().to_vec());
                    all.push(e.clone());
                    e
                }).collect();
                entries.sort_by(|a, b| compare_internal(&a.0, &b.0));
                children.push(Box::new(VecIterator::new(entries)));
            }
            all.sort_by(|a, b| compare_internal(&a.0, &b.0));
            let mut m = MergingIterator::new(children);
            prop_assert_eq!(collect_all(&mut m).unwrap(), all.clone());
            // Seek lands on the first key >= target.
            if let Some((target, _)) = all.get(all.len() / 2) {
                m.seek(target).unwrap();
                prop_assert!(m.valid());
                prop_assert_eq!(m.key(), target.as_slice());
            }
        }
    }

    #[test]
    fn earlier_child_wins_ties() {
        let k = internal_key(b"a", 1, ValueKind::Value);
        let a = VecIterator::new(vec![(k.clone(), b"first".to_vec())]);
        let b = VecIterator::new(vec![(k.clone(), b"second".to_vec())]);
        let mut m = MergingIterator::new(vec![Box::new(b), Box::new(a)]);
        m.seek_to_first().unwrap();
        assert_eq!(m.value(), b"second");
        m.next().unwrap();
        assert_eq!(m.value(), b"first");
        m.next().unwrap();
        assert!(!m.valid());
    }
}
