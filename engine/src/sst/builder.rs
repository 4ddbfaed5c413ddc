//! Writing one SSTable: data blocks as entries arrive, then the filter,
//! properties and index blocks and the footer.

use std::cmp::Ordering;
use std::path::PathBuf;

use super::block::BlockBuilder;
use super::bloom::{BloomBuilder, BloomLayout};
use super::format::{
    append_trailer, BlockHandle, Footer, BLOCK_TRAILER_LEN, FOOTER_LEN, MAX_HANDLE_LEN,
};
use super::properties::TableProperties;
use crate::error::{Error, Result};
use crate::fs::WritableFile;
use crate::key::{compare_internal, parse_internal_key, user_key, SeqNo, ValueKind};
use crate::range_del::{self, RangeTombstone};
use crate::Options;

/// The options that shape a table's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Target uncompressed size of a data block. Same as `block_size` in
    /// RocksDB.
    pub block_size: usize,
    /// A block over `100 - block_size_deviation` percent of `block_size`
    /// is cut before an entry that would take it past `block_size`; any
    /// block is cut before an entry once it has reached `block_size`.
    /// Same as `block_size_deviation` in RocksDB (0 to 100; 0 and 100
    /// leave only the second rule).
    pub block_size_deviation: u32,
    /// Entries between full keys in a data block.
    /// Same as `block_restart_interval` in RocksDB.
    pub block_restart_interval: usize,
    /// Bloom filter bits per user key; 0 writes no filter.
    pub bloom_bits_per_key: u32,
    /// Where a key's filter probes go (one cache line, or anywhere).
    pub bloom_layout: BloomLayout,
}

impl From<&Options> for TableOptions {
    fn from(o: &Options) -> Self {
        TableOptions {
            block_size: o.block_size,
            block_size_deviation: o.block_size_deviation,
            block_restart_interval: o.block_restart_interval,
            bloom_bits_per_key: o.bloom_bits_per_key,
            bloom_layout: o.bloom_layout,
        }
    }
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions::from(&Options::default())
    }
}

/// What a finished table holds: everything the manifest records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    /// File size in bytes.
    pub size: u64,
    /// Smallest internal key (empty for an empty table).
    pub smallest: Vec<u8>,
    /// Largest internal key (empty for an empty table).
    pub largest: Vec<u8>,
    pub entries: u64,
    pub tombstones: u64,
    pub smallest_seq: SeqNo,
    pub largest_seq: SeqNo,
    /// See [`TableProperties::max_expiry_ms`].
    pub max_expiry_ms: Option<u64>,
    /// Marks for compaction, from tagged property [`super::marks::TAG_MARKS`]
    /// (none when it is absent or names an unknown mark).
    pub marks: super::marks::CompactionMarks,
}

impl TableSummary {
    /// What a table with point-entry properties `props` and the range
    /// tombstones `range_dels` holds, at `size` bytes: key bounds and
    /// sequence range cover both; range tombstones count as entries and as
    /// tombstones (so compensated sizes and tombstone-driven policies see
    /// them).
    pub fn from_parts(size: u64, props: &TableProperties, range_dels: &[RangeTombstone]) -> Self {
        let mut s = TableSummary {
            size,
            smallest: props.smallest.clone(),
            largest: props.largest.clone(),
            entries: props.entries,
            tombstones: props.tombstones,
            smallest_seq: props.smallest_seq,
            largest_seq: props.largest_seq,
            max_expiry_ms: props.max_expiry_ms,
            marks: props
                .tagged
                .u64(super::marks::TAG_MARKS)
                .ok()
                .flatten()
                .and_then(super::marks::CompactionMarks::from_bits)
                .unwrap_or_default(),
        };
        for t in range_dels {
            let (lo, hi) = (range_del::lower_bound_key(t), range_del::upper_bound_key(t));
            if s.entries == 0 {
                (s.smallest, s.largest) = (lo, hi);
                (s.smallest_seq, s.largest_seq) = (t.seq, t.seq);
            } else {
                if compare_internal(&lo, &s.smallest) == Ordering::Less {
                    s.smallest = lo;
                }
                if compare_internal(&hi, &s.largest) == Ordering::Greater {
                    s.largest = hi;
                }
                s.smallest_seq = s.smallest_seq.min(t.seq);
                s.largest_seq = s.largest_seq.max(t.seq);
            }
            s.entries += 1;
            s.tombstones += 1;
            // A range tombstone never expires.
            s.max_expiry_ms = None;
        }
        s
    }
}

/// Appends checksummed blocks to the output file, tracking the offset.
struct Output {
    file: Box<dyn WritableFile>,
    /// INVARIANT: equals `file.len()`.
    offset: u64,
    buf: Vec<u8>,
}

impl Output {
    /// Writes `block` and its trailer with one append.
    fn write_block(&mut self, block: &[u8]) -> Result<BlockHandle> {
        self.buf.clear();
        self.buf.extend_from_slice(block);
        append_trailer(&mut self.buf, block);
        self.file.append(&self.buf)?;
        let handle = BlockHandle {
            offset: self.offset,
            size: block.len() as u64,
        };
        self.offset += self.buf.len() as u64;
        Ok(handle)
    }
}

/// Writes one SSTable through a [`WritableFile`]. Entries must arrive in
/// strictly increasing internal-key order. After an error, drop the builder
/// (and the file).
pub struct TableBuilder {
    out: Output,
    path: PathBuf,
    opts: TableOptions,
    data_block: BlockBuilder,
    index_block: BlockBuilder,
    bloom: BloomBuilder,
    /// INVARIANT: `props.largest` is the last key added.
    props: TableProperties,
    handle_buf: Vec<u8>,
    /// Range tombstones, written as their own block at `finish`.
    range_dels: Vec<RangeTombstone>,
    /// The encoded length of `range_dels`, once asked for; cleared when
    /// one is added.
    range_dels_len: std::cell::Cell<Option<usize>>,
    /// Decides the table's marks for compaction (inactive by default).
    marks: super::marks::MarkCollector,
    /// A data block over this many bytes is cut before an entry that would
    /// take it past `block_size` (0: never; from `block_size_deviation`).
    almost_full: usize,
}

impl TableBuilder {
    /// Starts a table in `file` (normally empty), created at `path`.
    pub fn new(file: Box<dyn WritableFile>, path: PathBuf, opts: TableOptions) -> Self {
        let offset = file.len();
        TableBuilder {
            out: Output {
                file,
                offset,
                buf: Vec::with_capacity(opts.block_size + 256),
            },
            path,
            opts,
            data_block: BlockBuilder::new(opts.block_restart_interval),
            index_block: BlockBuilder::new(1),
            bloom: BloomBuilder::new(),
            props: TableProperties::default(),
            handle_buf: Vec::with_capacity(MAX_HANDLE_LEN),
            range_dels: Vec::new(),
            range_dels_len: std::cell::Cell::new(None),
            marks: super::marks::MarkCollector::default(),
            almost_full: (opts.block_size * (100 - opts.block_size_deviation.min(100) as usize))
                .div_ceil(100),
        }
    }

    /// Marks the table for compaction by `rules` as its point entries
    /// arrive (see [`super::marks`]); set before the first entry.
    pub fn set_mark_rules(&mut self, rules: super::marks::MarkRules) {
        self.marks = super::marks::MarkCollector::new(rules);
    }

    /// Adds an entry.
    ///
    /// REQUIRES: `ikey` is an internal key strictly greater than the previous
    /// one; a `ValueWithExpiry` value starts with its 8-byte expiry time.
    /// Violations are `Error::InvalidArgument`.
    pub fn add(&mut self, ikey: &[u8], value: &[u8]) -> Result<()> {
        let Some(parsed) = parse_internal_key(ikey) else {
            return Err(Error::InvalidArgument(format!(
                "{}: not an internal key: {ikey:?}",
                self.path.display()
            )));
        };
        if parsed.kind == ValueKind::RangeDelete {
            return Err(Error::InvalidArgument(format!(
                "{}: a range tombstone is not a point entry (use add_range_tombstone)",
                self.path.display()
            )));
        }
        if parsed.kind == ValueKind::ValueWithExpiry && value.len() < 8 {
            return Err(Error::InvalidArgument(format!(
                "{}: expiring value of {} bytes lacks its expiry time",
                self.path.display(),
                value.len()
            )));
        }
        let first = self.props.entries == 0;
        if !first && compare_internal(&self.props.largest, ikey) != Ordering::Less {
            return Err(Error::InvalidArgument(format!(
                "{}: key {ikey:?} added after {:?}",
                self.path.display(),
                self.props.largest
            )));
        }
        if self.block_is_full(ikey, value) {
            self.flush_data_block()?;
        }
        if self.opts.bloom_bits_per_key > 0
            && (first || !crate::key::eq_bytes(user_key(&self.props.largest), parsed.user_key))
        {
            self.bloom.add(parsed.user_key);
        }
        self.props.record(ikey, value);
        self.marks.add(
            parsed.kind == ValueKind::Tombstone,
            (ikey.len() + value.len()) as u64,
        );
        self.data_block.add(ikey, value);
        Ok(())
    }

    /// Whether the data block is cut before `ikey` and `value`: RocksDB's
    /// `FlushBlockBySizePolicy` (`table/block_based/flush_block_policy.cc`).
    fn block_is_full(&self, ikey: &[u8], value: &[u8]) -> bool {
        if self.data_block.is_empty() {
            return false;
        }
        let size = self.data_block.estimated_size();
        let target = self.opts.block_size;
        size >= target
            || (self.almost_full > 0
                && size > self.almost_full
                && self.data_block.estimated_size_after(ikey, value) > target)
    }

    fn flush_data_block(&mut self) -> Result<()> {
        let handle = self.out.write_block(self.data_block.finish())?;
        self.handle_buf.clear();
        handle.encode_to(&mut self.handle_buf);
        self.index_block
            .add(self.data_block.last_key(), &self.handle_buf);
        self.data_block.reset();
        self.props.num_data_blocks += 1;
        self.marks.end_block();
        Ok(())
    }

    /// Adds a range tombstone (in any order relative to the point entries).
    ///
    /// REQUIRES: `t.start < t.end`, else `Error::InvalidArgument`.
    pub fn add_range_tombstone(&mut self, t: RangeTombstone) -> Result<()> {
        if t.start >= t.end {
            return Err(Error::InvalidArgument(format!(
                "{}: range tombstone start {:?} is not below its end {:?}",
                self.path.display(),
                t.start,
                t.end
            )));
        }
        self.range_dels.push(t);
        self.range_dels_len.set(None);
        Ok(())
    }

    /// The tagged properties the table will carry (see
    /// `sst/properties.rs` for the tag ranges); set them before `finish`.
    pub fn tagged_properties_mut(&mut self) -> &mut super::properties::TaggedProperties {
        &mut self.props.tagged
    }

    /// Entries added so far.
    pub fn num_entries(&self) -> u64 {
        self.props.entries
    }

    /// The size the file would have if finished now (an estimate within a
    /// few dozen bytes; used to split compaction outputs).
    pub fn estimated_size(&self) -> u64 {
        let trailer = BLOCK_TRAILER_LEN;
        let mut size = self.index_block.estimated_size() + trailer;
        if !self.data_block.is_empty() {
            size += self.data_block.estimated_size() + trailer;
            size += self.data_block.last_key().len() + MAX_HANDLE_LEN + 3 + 4;
        }
        size += self
            .bloom
            .encoded_len(self.opts.bloom_bits_per_key, self.opts.bloom_layout)
            + trailer;
        size += self.props.max_encoded_len() + trailer;
        if !self.range_dels.is_empty() {
            let len = self.range_dels_len.get().unwrap_or_else(|| {
                let len = super::range_del_block::encode(&self.range_dels).len();
                self.range_dels_len.set(Some(len));
                len
            });
            size += len + trailer;
            size += 2 + 10; // the count's tagged property
        }
        if self.marks.active() {
            size += 2 * (2 + 10); // the marks' tagged properties
        }
        size += FOOTER_LEN;
        self.out.offset + size as u64
    }

    /// Bytes written to the file so far: the data blocks flushed, not the
    /// block being built nor the filter, index and properties `finish`
    /// adds. RocksDB's compactions compare this (its table builder's
    /// `FileSize`, which `EstimatedFileSize` returns without parallel
    /// compression) with the output size limit.
    pub fn written_size(&self) -> u64 {
        self.out.offset
    }

    /// Records the table's file number and its database's identity in its
    /// properties, so that a table renamed or copied from another database
    /// is recognised when opened.
    pub fn set_origin(&mut self, file_number: u64, db_identity: Option<&[u8]>) {
        self.props.set_origin(file_number, db_identity);
    }

    /// Writes the last data block, the filter, properties and index blocks
    /// and the footer, then syncs the file.
    pub fn finish(mut self) -> Result<TableSummary> {
        if !self.data_block.is_empty() {
            self.flush_data_block()?;
        }
        if self.marks.active() {
            let marks = self.marks.marks();
            let tagged = &mut self.props.tagged;
            tagged.set_u64(super::marks::TAG_MARKS, marks.bits());
            tagged.set_u64(
                super::marks::TAG_TOMBSTONE_DENSE_BLOCKS,
                self.marks.dense_blocks(),
            );
        }
        let filter = self.out.write_block(
            &self
                .bloom
                .finish(self.opts.bloom_bits_per_key, self.opts.bloom_layout),
        )?;
        let range_dels = if self.range_dels.is_empty() {
            None
        } else {
            let block = super::range_del_block::encode(&self.range_dels);
            self.props.tagged.set_u64(
                super::range_del_block::COUNT_TAG,
                self.range_dels.len() as u64,
            );
            Some(self.out.write_block(&block)?)
        };
        let properties = self.out.write_block(&self.props.encode())?;
        let index = self.out.write_block(self.index_block.finish())?;
        let footer = Footer {
            index,
            filter,
            properties,
            range_dels,
        };
        if footer.handles_len() > super::format::FOOTER_HANDLES_LEN {
            return Err(Error::InvalidArgument(format!(
                "{}: block handles too large for the footer",
                self.path.display()
            )));
        }
        self.out.file.append(&footer.encode())?;
        self.out.offset += FOOTER_LEN as u64;
        self.out.file.sync()?;
        Ok(TableSummary::from_parts(
            self.out.offset,
            &self.props,
            &self.range_dels,
        ))
    }
}
