//! lsmlab-engine: a persistent LSM-tree key-value store whose every byte of
//! I/O is counted, built to be measured under many compaction policies.
//!
//! The pieces: an [`fs::Fs`] that counts bytes, a memtable and WAL, block-based
//! SSTables with bloom filters, a manifest of version edits, and the `Db`
//! that ties them together.

pub mod clock;
pub mod coding;
#[doc(hidden)]
pub mod datadriven;
pub mod error;
pub mod fs;
pub mod key;
pub mod log;
pub mod manifest;
pub mod options;

pub use clock::{Clock, SystemClock, VirtualClock};
pub use error::{Error, Result};
pub use options::Options;
pub mod iter;
pub mod version;
