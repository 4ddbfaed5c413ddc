//! Snapshots: a read view at a sequence number, kept alive by a handle.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::key::SeqNo;

/// The live snapshots of a database: sequence number -> handle count.
#[derive(Debug)]
pub(crate) struct SnapshotList {
    live: Mutex<BTreeMap<SeqNo, usize>>,
    /// INVARIANT: the first key of `live` ([`NONE`] when empty), stored
    /// while `live`'s lock is held: the compaction scheduler asks for it
    /// on every write, and a load is cheaper than the lock.
    oldest: AtomicU64,
}

/// `oldest` when no snapshot is live (no sequence number reaches it).
const NONE: u64 = u64::MAX;

impl Default for SnapshotList {
    fn default() -> Self {
        SnapshotList {
            live: Mutex::default(),
            oldest: AtomicU64::new(NONE),
        }
    }
}

impl SnapshotList {
    pub(crate) fn acquire(self: &Arc<Self>, seq: SeqNo) -> Snapshot {
        let mut live = self.live.lock().unwrap();
        *live.entry(seq).or_insert(0) += 1;
        self.publish_oldest(&live);
        Snapshot {
            seq,
            list: self.clone(),
        }
    }

    /// The oldest live snapshot's sequence number.
    pub(crate) fn oldest(&self) -> Option<SeqNo> {
        let seq = self.oldest.load(Ordering::Acquire);
        (seq != NONE).then_some(seq)
    }

    fn publish_oldest(&self, live: &BTreeMap<SeqNo, usize>) {
        let seq = live.keys().next().copied().unwrap_or(NONE);
        self.oldest.store(seq, Ordering::Release);
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
                self.list.publish_oldest(&live);
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
        assert_eq!(list.oldest(), Some(5));
        drop(a);
        assert_eq!(list.sequences(), vec![5, 9]);
        assert_eq!(list.oldest(), Some(5));
        drop(b);
        assert_eq!(list.oldest(), Some(9));
        let d = list.acquire(7);
        assert_eq!(list.oldest(), Some(7));
        drop(c);
        drop(d);
        assert!(list.sequences().is_empty());
        assert_eq!(list.oldest(), None);
    }
}
