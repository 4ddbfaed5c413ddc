//! Reading an SSTable: [`Table`] holds the footer, index, filter and
//! properties in memory and reads data blocks on demand (no block cache, so
//! every data block a lookup touches is one counted read); [`TableIter`]
//! walks the table one data block at a time.

use std::cmp::Ordering;
use std::fmt;
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::block::{Block, BlockError, BlockIter};
use super::bloom::BloomFilter;
use super::format::{check_handle, read_block, BlockHandle, Footer, FOOTER_LEN};
use super::properties::TableProperties;
use crate::coding::Decoder;
use crate::error::{Error, Result};
use crate::fs::{Fs, RandomAccessFile};
use crate::iter::InternalIterator;
use crate::key::{
    compare_internal, parse_internal_key, seek_key, SeqNo, ValueKind, MAX_SEQ, TRAILER_LEN,
};
use crate::version::FileMeta;

/// One version of a key, as found by [`Table::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    pub seq: SeqNo,
    pub kind: ValueKind,
    /// The stored value: empty for a tombstone; for `ValueWithExpiry`, the
    /// expiry time (u64 LE) followed by the value.
    pub value: Vec<u8>,
}

/// What point lookups cost, summed with `+=` over tables and lookups.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupStats {
    /// Bloom filters consulted.
    pub filter_probes: u64,
    /// Probes that ruled the table out without reading data.
    pub filter_negatives: u64,
    /// Data blocks read.
    pub blocks_read: u64,
}

impl AddAssign for LookupStats {
    fn add_assign(&mut self, o: LookupStats) {
        self.filter_probes += o.filter_probes;
        self.filter_negatives += o.filter_negatives;
        self.blocks_read += o.blocks_read;
    }
}

/// One index entry: a data block and its last key.
struct IndexEntry {
    last_key: Box<[u8]>,
    handle: BlockHandle,
}

/// An open SSTable.
pub struct Table {
    path: PathBuf,
    file: Arc<dyn RandomAccessFile>,
    size: u64,
    /// INVARIANT: last keys strictly increasing; blocks lie in file order,
    /// without overlap, before the footer.
    index: Vec<IndexEntry>,
    filter: Option<BloomFilter>,
    props: TableProperties,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("data_blocks", &self.index.len())
            .field("has_filter", &self.filter.is_some())
            .finish()
    }
}

impl Table {
    /// Opens the table at `path`: reads and verifies the footer, index,
    /// filter and properties blocks (four reads).
    pub fn open(fs: &dyn Fs, path: &Path) -> Result<Arc<Table>> {
        let file = fs.open(path)?;
        let size = file.len();
        if size < FOOTER_LEN as u64 {
            return Err(Error::corruption(
                path,
                format!("{size}-byte file is too short for an SSTable footer ({FOOTER_LEN} bytes)"),
            ));
        }
        let footer_at = size - FOOTER_LEN as u64;
        let footer = Footer::decode(path, footer_at, &file.read_at(footer_at, FOOTER_LEN)?)?;
        let block_err = |what: &str, h: BlockHandle, e: BlockError| {
            Error::corruption(path, format!("{what} block at offset {}: {e}", h.offset))
        };
        let index_data = read_block(&*file, footer.index)?;
        let index = decode_index(path, index_data, footer_at)
            .map_err(|e| block_err("index", footer.index, e))?;
        let filter = BloomFilter::decode(read_block(&*file, footer.filter)?)
            .map_err(|e| block_err("filter", footer.filter, e))?;
        let props = TableProperties::decode(&read_block(&*file, footer.properties)?)
            .map_err(|e| block_err("properties", footer.properties, e))?;
        if props.num_data_blocks != index.len() as u64
            || index.last().is_some_and(|e| *e.last_key != *props.largest)
        {
            return Err(Error::corruption(
                path,
                "properties disagree with the index",
            ));
        }
        Ok(Arc::new(Table {
            path: path.to_path_buf(),
            file,
            size,
            index,
            filter,
            props,
        }))
    }

    /// The newest entry for `user_key` with a sequence number `<= read_seq`,
    /// tombstones included; `None` when the table has no such entry.
    pub fn get(
        &self,
        user_key: &[u8],
        read_seq: SeqNo,
        stats: &mut LookupStats,
    ) -> Result<Option<TableEntry>> {
        if let Some(f) = &self.filter {
            stats.filter_probes += 1;
            if !f.may_contain(user_key) {
                stats.filter_negatives += 1;
                return Ok(None);
            }
        }
        let target = seek_key(user_key, read_seq.min(MAX_SEQ));
        let mut i = self.find_block(&target);
        // Versions of a key may span blocks: if a block ends before the
        // target, the answer (if any) starts the next one.
        while i < self.index.len() {
            let mut it = self.read_data_block(i)?;
            stats.blocks_read += 1;
            it.seek(&target).map_err(|e| self.data_corruption(i, e))?;
            if it.valid() {
                let p = parse_internal_key(it.key())
                    .ok_or_else(|| self.data_corruption(i, BlockError("bad key kind")))?;
                if p.user_key != user_key {
                    return Ok(None);
                }
                return Ok(Some(TableEntry {
                    seq: p.seq,
                    kind: p.kind,
                    value: it.value().to_vec(),
                }));
            }
            i += 1;
        }
        Ok(None)
    }

    /// The bloom filter's answer for `user_key` (true without a filter).
    pub fn may_contain(&self, user_key: &[u8]) -> bool {
        self.filter.as_ref().is_none_or(|f| f.may_contain(user_key))
    }

    /// A cursor over every entry, reading one data block at a time.
    pub fn iter(self: &Arc<Self>) -> TableIter {
        TableIter {
            table: Arc::clone(self),
            block_idx: 0,
            block: None,
            blocks_read: 0,
        }
    }

    /// Checks that this is the table the manifest recorded as `meta`: same
    /// size, key range, sequence range and entry counts. A table swapped
    /// with another, overwritten by a copy of another or linked to another
    /// is corruption naming the file, never served as data.
    pub fn check_matches(&self, meta: &FileMeta) -> Result<()> {
        let p = &self.props;
        let mismatch = [
            ("size", self.size != meta.size),
            ("smallest key", p.smallest != meta.smallest),
            ("largest key", p.largest != meta.largest),
            ("entry count", p.entries != meta.entries),
            ("tombstone count", p.tombstones != meta.tombstones),
            (
                "sequence range",
                (p.smallest_seq, p.largest_seq) != (meta.smallest_seq, meta.largest_seq),
            ),
        ]
        .into_iter()
        .find(|(_, differs)| *differs);
        match mismatch {
            None => Ok(()),
            Some((what, _)) => Err(Error::corruption(
                &self.path,
                format!(
                    "its {what} differs from the manifest's record of table {:06}: \
                     the file was swapped with or replaced by another table",
                    meta.number
                ),
            )),
        }
    }

    /// What the table holds.
    pub fn properties(&self) -> &TableProperties {
        &self.props
    }

    /// File size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Where the table was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the table has a bloom filter.
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// The first block whose last key is `>= target` (`index.len()` if none).
    fn find_block(&self, target: &[u8]) -> usize {
        self.index
            .partition_point(|e| compare_internal(&e.last_key, target) == Ordering::Less)
    }

    fn read_data_block(&self, i: usize) -> Result<BlockIter> {
        let data = read_block(&*self.file, self.index[i].handle)?;
        let block = Block::new(data).map_err(|e| self.data_corruption(i, e))?;
        if block.is_empty() {
            return Err(self.data_corruption(i, BlockError("empty data block")));
        }
        Ok(BlockIter::new(block))
    }

    fn data_corruption(&self, i: usize, e: BlockError) -> Error {
        Error::corruption(
            &self.path,
            format!("data block at offset {}: {e}", self.index[i].handle.offset),
        )
    }
}

/// Decodes the index block and checks its invariants.
fn decode_index(
    path: &Path,
    data: Vec<u8>,
    footer_at: u64,
) -> std::result::Result<Vec<IndexEntry>, BlockError> {
    let mut it = BlockIter::new(Block::new(data)?);
    let mut out: Vec<IndexEntry> = Vec::new();
    let mut next_offset = 0;
    it.seek_to_first()?;
    while it.valid() {
        let handle = BlockHandle::decode_from(&mut Decoder::new(it.value()))
            .ok_or(BlockError("malformed block handle"))?;
        if handle.offset < next_offset || check_handle(path, "data", handle, footer_at).is_err() {
            return Err(BlockError("data block handle out of order or out of range"));
        }
        if parse_internal_key(it.key()).is_none() {
            return Err(BlockError("bad key kind"));
        }
        if out
            .last()
            .is_some_and(|prev| compare_internal(&prev.last_key, it.key()) != Ordering::Less)
        {
            return Err(BlockError("index keys out of order"));
        }
        next_offset = handle.end().expect("checked above");
        out.push(IndexEntry {
            last_key: it.key().into(),
            handle,
        });
        it.next()?;
    }
    Ok(out)
}

/// A cursor over a table's entries in internal-key order. Holds one data
/// block at a time; after an error it is invalid.
pub struct TableIter {
    table: Arc<Table>,
    /// The index entry of `block`.
    block_idx: usize,
    block: Option<BlockIter>,
    blocks_read: u64,
}

impl TableIter {
    /// Data blocks read so far.
    pub fn blocks_read(&self) -> u64 {
        self.blocks_read
    }

    fn load(&mut self, i: usize) -> Result<&mut BlockIter> {
        self.block = None;
        self.block_idx = i;
        let it = self.table.read_data_block(i)?;
        self.blocks_read += 1;
        Ok(self.block.insert(it))
    }

    /// From block `i` on, positions at the first entry: either at `target`
    /// or after it within block `i`, or at the start of a later block.
    fn position(&mut self, mut i: usize, mut target: Option<&[u8]>) -> Result<()> {
        while i < self.table.index.len() {
            let block = self.load(i)?;
            let r = match target.take() {
                Some(t) => block.seek(t),
                None => block.seek_to_first(),
            };
            let found = block.valid();
            if let Err(e) = r {
                self.block = None;
                return Err(self.table.data_corruption(i, e));
            }
            if found {
                return Ok(());
            }
            i += 1;
        }
        self.block = None;
        Ok(())
    }
}

impl InternalIterator for TableIter {
    fn valid(&self) -> bool {
        self.block.as_ref().is_some_and(BlockIter::valid)
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.position(0, None)
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        if target.len() < TRAILER_LEN {
            self.block = None;
            return Err(Error::InvalidArgument(format!(
                "seek target {target:?} in {} is not an internal key",
                self.table.path.display()
            )));
        }
        let i = self.table.find_block(target);
        self.position(i, Some(target))
    }

    fn next(&mut self) -> Result<()> {
        let block = self.block.as_mut().expect("next() on an invalid iterator");
        if let Err(e) = block.next() {
            self.block = None;
            return Err(self.table.data_corruption(self.block_idx, e));
        }
        if block.valid() {
            return Ok(());
        }
        self.position(self.block_idx + 1, None)
    }

    fn key(&self) -> &[u8] {
        self.block
            .as_ref()
            .expect("key() on an invalid iterator")
            .key()
    }

    fn value(&self) -> &[u8] {
        self.block
            .as_ref()
            .expect("value() on an invalid iterator")
            .value()
    }
}
