//! Value separation (BlobDB-style): values of at least `min_blob_size`
//! bytes are written to blob files by flushes and compactions, and the
//! tables hold a [`BlobRef`] (an entry of kind `ValueKind::BlobIndex`)
//! instead. Compactions move references without rewriting values, except
//! when garbage collection relocates the live values of old blob files.
//!
//! - [`mod@format`]: the blob file layout and the reference encoding.
//! - [`writer`]: writing one blob file.
//! - [`reader`]: reading and checking one blob file.
//! - [`sink`]: the merge kernel's hook (separation, relocation, per-table
//!   reference counts).
//! - [`garbage`]: which blob files are old enough to relocate, and which
//!   to force a compaction for.

pub mod format;
pub mod garbage;
pub mod reader;
pub mod sink;
pub mod writer;

pub use format::{blob_file_name, BlobRef};
pub use garbage::{BlobFileMeta, BlobUse, BlobUses};
pub use reader::{BlobReader, BlobRecord, BlobSet};
pub use sink::{BlobSettings, BlobSink, BlobWriteStats};
pub use writer::BlobWriter;
