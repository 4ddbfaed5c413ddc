//! `SortedRun`: key-disjoint files that together hold one sorted sequence of
//! keys. A lookup consults at most one file per run.

use std::sync::Arc;

use crate::key::{self, SeqNo};
use crate::key_numbers::KeyNumbers;

use super::FileMeta;

/// The run id of a leveled level's one run when a job creates the level:
/// every job into an empty leveled level names it, so two jobs running at
/// once into that level (key-disjoint, as their inputs are) join one run
/// instead of starting two.
pub const LEVEL_RUN: u64 = 0;

/// One sorted run of a level: files ordered by key, their user-key ranges
/// disjoint. L0 holds one run per flush; a leveled level is one run; a
/// tiered level holds several, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedRun {
    /// The run's identity in edits and fixtures: the number of the first file
    /// it was created with (file numbers are never reused, so neither are
    /// run ids).
    id: u64,
    /// INVARIANT: sorted by smallest key; user-key ranges pairwise disjoint;
    /// never empty once the run is part of a version.
    files: Vec<Arc<FileMeta>>,
    /// INVARIANT: the sum of the files' sizes.
    bytes: u64,
    /// INVARIANT: the largest `largest_seq` of the files.
    largest_seq: SeqNo,
    /// INVARIANT: the numbers of the files' largest user keys: a lookup
    /// searches them, one flat array, and compares keys only among ties.
    largest_numbers: KeyNumbers,
}

impl SortedRun {
    /// An empty run with identity `id` (filled by [`SortedRun::push`] and
    /// [`SortedRun::settle`]).
    pub(super) fn new(id: u64) -> Self {
        SortedRun {
            id,
            files: Vec::new(),
            bytes: 0,
            largest_seq: 0,
            largest_numbers: KeyNumbers::default(),
        }
    }

    pub(super) fn push(&mut self, f: Arc<FileMeta>) {
        self.files.push(f);
    }

    /// Removes file `number`; false when the run does not hold it.
    pub(super) fn remove(&mut self, number: u64) -> bool {
        match self.files.iter().position(|f| f.number == number) {
            Some(pos) => {
                self.files.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Restores the invariants after pushes and removals: sorts the files
    /// and recomputes the totals. Returns the first pair of overlapping
    /// neighbours, if any (the caller reports it).
    pub(super) fn settle(&mut self) -> Option<(u64, u64)> {
        self.files
            .sort_by(|a, b| crate::key::compare_internal(&a.smallest, &b.smallest));
        self.bytes = self.files.iter().map(|f| f.size).sum();
        self.largest_seq = self.files.iter().map(|f| f.largest_seq).max().unwrap_or(0);
        self.largest_numbers = KeyNumbers::new(self.files.iter().map(|f| f.largest_user_key()));
        self.first_overlap()
    }

    /// The first pair of neighbours whose user-key ranges meet.
    pub(super) fn first_overlap(&self) -> Option<(u64, u64)> {
        self.files
            .windows(2)
            .find(|w| w[0].largest_user_key() >= w[1].smallest_user_key())
            .map(|w| (w[0].number, w[1].number))
    }

    /// The run's identity.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The files, by key.
    pub fn files(&self) -> &[Arc<FileMeta>] {
        &self.files
    }

    /// Total bytes of the files.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The newest sequence number in the run.
    pub fn largest_seq(&self) -> SeqNo {
        self.largest_seq
    }

    /// The oldest sequence number in the run.
    pub fn smallest_seq(&self) -> SeqNo {
        self.files.iter().map(|f| f.smallest_seq).min().unwrap_or(0)
    }

    /// Clock time of the oldest data in the run.
    pub fn oldest_time_ms(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.oldest_time_ms)
            .min()
            .unwrap_or(0)
    }

    /// Clock time of the newest data in the run.
    pub fn newest_time_ms(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.newest_time_ms)
            .max()
            .unwrap_or(0)
    }

    /// The user-key range `[smallest, largest]` of the run.
    pub fn user_key_range(&self) -> Option<(&[u8], &[u8])> {
        Some((
            self.files.first()?.smallest_user_key(),
            self.files.last()?.largest_user_key(),
        ))
    }

    /// The file whose range holds `user_key`, by binary search.
    pub fn file_for_key(&self, user_key: &[u8]) -> Option<&Arc<FileMeta>> {
        // Inline comparisons: a lookup asks every run of every level.
        let by_key = |files: &[Arc<FileMeta>]| {
            files.partition_point(|f| key::compare_bytes(f.largest_user_key(), user_key).is_lt())
        };
        let i = match self.largest_numbers.candidates(user_key) {
            // Only the files whose number ties with the key's need keys.
            Some(r) => r.start + by_key(&self.files[r]),
            // Outside the shared prefix: before or after every file.
            None => by_key(&self.files),
        };
        self.files
            .get(i)
            .filter(|f| key::compare_bytes(f.smallest_user_key(), user_key).is_le())
    }

    /// The files whose user-key range meets `[lo, hi]` (inclusive), by key.
    pub fn overlapping(&self, lo: &[u8], hi: &[u8]) -> &[Arc<FileMeta>] {
        let start = self.files.partition_point(|f| f.largest_user_key() < lo);
        let end = start + self.files[start..].partition_point(|f| f.smallest_user_key() <= hi);
        &self.files[start..end]
    }
}

/// The order of runs within a level: newest first (largest sequence number,
/// then the higher id).
pub(super) fn newest_first(a: &SortedRun, b: &SortedRun) -> std::cmp::Ordering {
    b.largest_seq.cmp(&a.largest_seq).then(b.id.cmp(&a.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, ValueKind};
    use proptest::prelude::*;

    fn file(number: u64, lo: &[u8], hi: &[u8]) -> Arc<FileMeta> {
        let (lo, hi) = (
            internal_key(lo, 3, ValueKind::Value),
            internal_key(hi, 3, ValueKind::Value),
        );
        Arc::new(FileMeta::from_bounds(number, 100, lo, hi, (3, 3)))
    }

    proptest! {
        /// The search through the files' numbers finds the file a scan of
        /// every file's range finds: keys short and long, sharing a long
        /// prefix or not, probes inside and outside it.
        #[test]
        fn file_for_key_finds_the_file_whose_range_holds_the_key(
            keys in prop::collection::btree_set(
                prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 255]), 0..11),
                1..60),
            shared in prop::collection::vec(prop::sample::select(vec![0u8, b'k', 255]), 0..10),
            gaps in prop::collection::vec(any::<bool>(), 60),
            probes in prop::collection::vec(
                (prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 255]), 0..11), any::<bool>()),
                1..30),
        ) {
            let with = |k: &[u8]| [&shared[..], k].concat();
            // Consecutive keys pair up as files; a gap skips one key.
            let keys: Vec<Vec<u8>> = keys.iter().map(|k| with(k)).collect();
            let mut run = SortedRun::new(1);
            let mut i = 0;
            let mut n = 1;
            while i < keys.len() {
                let hi = if gaps[i % gaps.len()] { (i + 1).min(keys.len() - 1) } else { i };
                run.push(file(n, &keys[i], &keys[hi]));
                n += 1;
                i = hi + 1 + usize::from(gaps[(i + 7) % gaps.len()]);
            }
            prop_assert!(run.settle().is_none());
            for (probe, inside) in probes {
                let probe = if inside { with(&probe) } else { probe };
                let expected = run
                    .files()
                    .iter()
                    .find(|f| f.smallest_user_key() <= &probe[..] && &probe[..] <= f.largest_user_key())
                    .map(|f| f.number);
                prop_assert_eq!(run.file_for_key(&probe).map(|f| f.number), expected);
            }
        }
    }
}
