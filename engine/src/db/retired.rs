//! Tables of deleted files that readers may still hold, kept until no
//! reader does and then closed by a background worker (or by
//! `Db::compact`, which returns with them closed).
//!
//! Closing the last handle of a deleted file is where the operating system
//! frees it: ext4 evicts the inode and drops its pages from the page cache,
//! about as long as reading a few blocks. A reader lets its view go after
//! every lookup, and a reader is almost always mid-lookup when a compaction
//! publishes the view without its inputs, so without this list a reader
//! (the thread whose latency is measured) closed nearly every file a
//! compaction deleted.

use std::sync::Arc;

use crate::sst::Table;

/// How often an idle worker looks for retired tables no reader holds.
pub(super) const RETIRED_POLL_MS: u64 = 20;

/// Open tables whose files are deleted, each held here until this is the
/// last hold on it, and a count of those an idle worker took and is
/// closing.
pub(super) struct RetiredTables<T = Table> {
    held: Vec<Arc<T>>,
    closing: usize,
}

impl<T> Default for RetiredTables<T> {
    fn default() -> Self {
        RetiredTables {
            held: Vec::new(),
            closing: 0,
        }
    }
}

impl<T> RetiredTables<T> {
    pub(super) fn retire(&mut self, table: Arc<T>) {
        self.held.push(table);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Marks `n` taken tables as being closed by a worker that lets the
    /// lock go to close them, until [`RetiredTables::closed`].
    pub(super) fn closing(&mut self, n: usize) {
        self.closing += n;
    }

    /// Marks `n` tables of [`RetiredTables::closing`] closed.
    pub(super) fn closed(&mut self, n: usize) {
        self.closing -= n;
    }

    /// Whether a worker is closing tables outside the lock.
    pub(super) fn any_closing(&self) -> bool {
        self.closing > 0
    }

    /// The tables nothing else holds any more, taken out to be closed by
    /// the caller (outside the database lock).
    ///
    /// Nothing can take a new hold on a table held only here: readers find
    /// tables through views and plans that hold them.
    pub(super) fn take_unheld(&mut self) -> Vec<Arc<T>> {
        let (unheld, held) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|t| Arc::strong_count(t) == 1);
        self.held = held;
        unheld
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_nothing_else_holds_are_taken() {
        let mut retired = RetiredTables::default();
        let held_by_reader = Arc::new(1);
        let reader = held_by_reader.clone();
        retired.retire(held_by_reader);
        retired.retire(Arc::new(2));
        let taken = retired.take_unheld();
        assert_eq!(taken.iter().map(|t| **t).collect::<Vec<_>>(), [2]);
        assert!(!retired.is_empty(), "the table the reader holds stays");
        drop(reader);
        assert_eq!(retired.take_unheld().len(), 1);
        assert!(retired.is_empty());
    }
}
