//! lsmlab-engine: a persistent LSM-tree key-value store whose every byte of
//! I/O is counted, built to be measured under many compaction policies.
//!
//! The pieces: an [`fs::Fs`] that counts bytes, a memtable and WAL, block-based
//! SSTables with bloom filters, a manifest of version edits, compaction
//! strategies around one merge kernel, and the [`Db`] that ties them
//! together.

pub mod batch;
pub mod blob;
pub mod cache;
pub mod clock;
pub mod coding;
pub mod compaction;
pub mod cpu_prefetch;
#[doc(hidden)]
pub mod datadriven;
pub mod db;
pub mod error;
pub mod fs;
pub mod int_hash;
pub mod iter;
pub mod key;
pub(crate) mod key_numbers;
pub mod log;
pub mod manifest;
pub mod memtable;
pub mod merge_iter;
pub mod merge_op;
pub mod options;
pub mod params;
pub mod range_del;
pub mod remote;
pub mod sst;
pub mod version;
pub mod wal;
pub mod write_buffer_accounting;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use db::{Db, Env, Snapshot};
pub use error::{Error, Result};
pub use options::{Mode, Options};
