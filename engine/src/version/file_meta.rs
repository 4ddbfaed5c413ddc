//! What the manifest knows about one SSTable without opening it.

use std::sync::Arc;

use crate::key::{self, SeqNo};
use crate::sst::CompactionMarks;

/// The metadata of one SSTable, recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// File number; the file is `{number:06}.sst`.
    pub number: u64,
    /// Size of the file in bytes.
    pub size: u64,
    /// Smallest internal key in the file.
    pub smallest: Vec<u8>,
    /// Largest internal key in the file.
    pub largest: Vec<u8>,
    /// Number of entries (all kinds).
    pub entries: u64,
    /// Number of tombstones among the entries.
    pub tombstones: u64,
    /// Smallest sequence number of any entry.
    pub smallest_seq: SeqNo,
    /// Largest sequence number of any entry.
    pub largest_seq: SeqNo,
    /// The latest expiry time of the file's entries, when every entry is a
    /// `ValueWithExpiry`; `None` when some entry never expires.
    pub max_expiry_ms: Option<u64>,
    /// Clock time when the oldest data in the file was flushed.
    pub oldest_time_ms: u64,
    /// Clock time when the newest data in the file was flushed.
    pub newest_time_ms: u64,
    /// Marks for compaction decided when the table was written (RocksDB's
    /// `marked_for_compaction`; see [`crate::sst::marks`]).
    pub marks: CompactionMarks,
    /// Clock time when the file itself was written, when recorded (RocksDB's
    /// `file_creation_time`; recorded while periodic compaction is on).
    pub created_ms: Option<u64>,
    /// Some entry is there only for a snapshot that was live when the file
    /// was written (an older version, a tombstone above the oldest stripe):
    /// at the bottom of the tree, once no snapshot below `largest_seq`
    /// remains, a rewrite drops it (RocksDB's bottommost files marked for
    /// compaction).
    pub kept_for_snapshots: bool,
    /// When the file's oldest tombstone was written, as far as known: the
    /// oldest flush time of the tombstone-holding inputs it came from
    /// (recorded while Lethe's delete persistence is on; `None`: unknown,
    /// or no tombstone).
    pub oldest_tombstone_ms: Option<u64>,
    /// The table's entries below `smallest` are not part of the file: an
    /// incremental compaction (ScyllaDB ICS) merged them into its outputs
    /// while it still holds the rest, and raised `smallest` above the
    /// table's first key. Reads of the file start at `smallest`.
    pub narrowed: bool,
}

impl FileMeta {
    /// A table known only by its number, size, bounds (internal keys) and
    /// sequence range, as another engine's manifest or a remote job's file
    /// range describes it; every count and time is 0, nothing is marked.
    pub fn from_bounds(
        number: u64,
        size: u64,
        smallest: Vec<u8>,
        largest: Vec<u8>,
        seqs: (SeqNo, SeqNo),
    ) -> FileMeta {
        FileMeta {
            number,
            size,
            smallest,
            largest,
            entries: 0,
            tombstones: 0,
            smallest_seq: seqs.0,
            largest_seq: seqs.1,
            max_expiry_ms: None,
            oldest_time_ms: 0,
            newest_time_ms: 0,
            marks: CompactionMarks::default(),
            created_ms: None,
            kept_for_snapshots: false,
            oldest_tombstone_ms: None,
            narrowed: false,
        }
    }

    /// The smallest user key in the file.
    pub fn smallest_user_key(&self) -> &[u8] {
        key::user_key(&self.smallest)
    }

    /// The largest user key in the file.
    pub fn largest_user_key(&self) -> &[u8] {
        key::user_key(&self.largest)
    }

    /// True when `user_key` lies in the file's key range.
    pub fn contains_user_key(&self, user_key: &[u8]) -> bool {
        self.smallest_user_key() <= user_key && user_key <= self.largest_user_key()
    }

    /// True when the file's user-key range intersects `[lo, hi]`.
    pub fn overlaps(&self, lo: &[u8], hi: &[u8]) -> bool {
        !(self.largest_user_key() < lo || self.smallest_user_key() > hi)
    }

    /// The file's name in the database directory.
    pub fn file_name(&self) -> String {
        sst_file_name(self.number)
    }
}

/// True when no two of `files` share a user key: they could form one
/// sorted run. Boundaries compare as user keys, as a run's do: two files
/// that meet at one user key (versions of it in each) overlap, though
/// their internal-key ranges do not.
/// (RocksDB's `level0_non_overlapping`, and its test for a trivial move.)
pub fn user_keys_disjoint<'a>(files: impl IntoIterator<Item = &'a Arc<FileMeta>>) -> bool {
    let mut files: Vec<&FileMeta> = files.into_iter().map(|f| f.as_ref()).collect();
    files.sort_by(|a, b| a.smallest_user_key().cmp(b.smallest_user_key()));
    files
        .windows(2)
        .all(|w| w[0].largest_user_key() < w[1].smallest_user_key())
}

/// `NNNNNN.sst`.
pub fn sst_file_name(number: u64) -> String {
    format!("{number:06}.sst")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_version;

    #[test]
    fn files_meeting_at_one_user_key_are_not_disjoint() {
        // 2 ends at b#21 and 1 starts at b#10: internal keys in order, but
        // both hold versions of b.
        let v = parse_version(
            "L0\n  000003: c#30 .. d#31\n  000002: a#20 .. b#21\n  000001: b#10 .. c#11\n",
            3,
        )
        .unwrap();
        let f = v.files(0);
        assert!(user_keys_disjoint([&f[0], &f[1]]));
        assert!(!user_keys_disjoint([&f[1], &f[2]]));
        assert!(!user_keys_disjoint([&f[0], &f[2]]));
        assert!(!user_keys_disjoint(f));
        assert!(user_keys_disjoint(&f[..0]));
    }
}
