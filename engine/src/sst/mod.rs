//! Block-based SSTables: immutable sorted files of internal keys.
//!
//! File layout (all integers little-endian, "varint" is LEB128):
//!
//! ```text
//! data block 0 | trailer | ... | data block n-1 | trailer
//! filter block | trailer | properties block | trailer | index block | trailer
//! footer (76 bytes)
//! ```
//!
//! - A **data block** holds entries `(internal key, value)` in increasing
//!   internal-key order with prefix-compressed keys and a restart point (a
//!   full key) every `block_restart_interval` entries; see [`block`].
//! - Every block is followed by a 4-byte **trailer**: the masked crc32c of the
//!   block's bytes. So is the footer (its own crc), so every byte of a table
//!   is checked.
//! - The **index block** (same format, restart interval 1) has one entry per
//!   data block: key = the block's last internal key, value = its
//!   [`BlockHandle`] `(varint offset, varint size)`.
//! - The **filter block** is a bloom filter over the file's user keys with
//!   its probe count in the last byte (the top bit set for the cache-local
//!   layout); empty when filters are off ([`bloom`]).
//! - The **properties block** holds varint-encoded [`TableProperties`].
//! - The **range-deletion block** (only in a table with range tombstones,
//!   written before the properties block) lists them; see
//!   [`range_del_block`]. Its handle is a fourth one in the footer's padding.
//! - The **footer** holds the index, filter and properties handles zero-padded
//!   to 60 bytes, the format version (u32), the masked crc32c of those 64
//!   bytes (u32) and the magic number `lsmlabST` (u64).

pub mod block;
pub mod bloom;
mod builder;
pub mod format;
pub mod marks;
mod properties;
pub mod range_del_block;
mod table;

#[cfg(test)]
mod tests;

pub use builder::{TableBuilder, TableOptions, TableSummary};
pub use format::BlockHandle;
pub use marks::{CompactionMarks, MarkRules};
pub use properties::{TableProperties, TaggedProperties};
pub use table::{LookupStats, ReadTally, Table, TableEntry, TableIter, TableReadOptions};
