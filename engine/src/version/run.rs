//! `SortedRun`: key-disjoint files that together hold one sorted sequence of
//! keys. A lookup consults at most one file per run.

use std::sync::Arc;

use crate::key::{self, SeqNo};

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
        let i = self
            .files
            .partition_point(|f| key::compare_bytes(f.largest_user_key(), user_key).is_lt());
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
