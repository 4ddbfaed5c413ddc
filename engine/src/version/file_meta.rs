//! What the manifest knows about one SSTable without opening it.

use crate::key::{self, SeqNo};

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
}

impl FileMeta {
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

/// `NNNNNN.sst`.
pub fn sst_file_name(number: u64) -> String {
    format!("{number:06}.sst")
}
