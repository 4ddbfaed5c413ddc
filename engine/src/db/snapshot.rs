//! Snapshots: a read view at a sequence number, kept alive by a handle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::key::SeqNo;

/// The live snapshots of a database: sequence number -> handle count.
#[derive(Debug, Default)]
pub(crate) struct SnapshotList {
    live: Mutex<BTreeMap<SeqNo, usize>>,
}

impl SnapshotList {
    pub(crate) fn acquire(self: &Arc<Self>, seq: SeqNo) -> Snapshot {
        *self.live.lock().unwrap().entry(seq).or_insert(0) += 1;
        Snapshot {
            seq,
            list: self.clone(),
        }
    }

    /// The oldest live snapshot's sequence number.
    pub(crate) fn oldest(&self) -> Option<SeqNo> {
        self.live.lock().unwrap().keys().next().copied()
    }

    /// Sequence numbers of live snapshots, ascending, without duplicates.
    pub(crate) fn sequences(&self) -> Vec<SeqNo> {
        self.live.lock().unwrap().keys().copied().collect()
    }
}

/// A consistent read view: reads through it see the database as it was
/// when the snapshot was taken. Compaction keeps the versions it needs until
/// it is dropped.
#[derive(Debug)]
pub struct Snapshot {
    seq: SeqNo,
    list: Arc<SnapshotList>,
}

impl Snapshot {
    /// The sequence number the snapshot reads at.
    pub fn seq(&self) -> SeqNo {
        self.seq
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let mut live = self.list.live.lock().unwrap();
        if let Some(n) = live.get_mut(&self.seq) {
            *n -= 1;
            if *n == 0 {
                live.remove(&self.seq);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_last_handle_releases_the_sequence() {
        let list = Arc::new(SnapshotList::default());
        let a = list.acquire(5);
        let b = list.acquire(5);
        let c = list.acquire(9);
        assert_eq!(list.sequences(), vec![5, 9]);
        drop(a);
        assert_eq!(list.sequences(), vec![5, 9]);
        drop(b);
        drop(c);
        assert!(list.sequences().is_empty());
    }
}
