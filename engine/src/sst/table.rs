//! Reading an SSTable: [`Table`] holds the footer and properties in memory,
//! the index and filter either pinned in the table or in the database's
//! [`BlockCache`] (RocksDB's `cache_index_and_filter_blocks`), and reads data
//! blocks on demand, through the block cache when there is one: every block
//! not found there is one counted read from storage. [`TableIter`] walks the
//! table one data block at a time.

use std::cmp::Ordering;
use std::fmt;
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

use super::block::{Block, BlockError, BlockIter};
use super::bloom::BloomFilter;
use super::builder::TableSummary;
use super::format::{
    check_handle, read_block, read_block_into, BlockHandle, Footer, BLOCK_TRAILER_LEN, FOOTER_LEN,
};
use super::properties::TableProperties;
use crate::cache::{BlockCache, BlockKey, BlockKind, CachedValue};
use crate::coding::Decoder;
use crate::error::{Error, Result};
use crate::fs::{Fs, RandomAccessFile, SharedBytes};
use crate::iter::InternalIterator;
use crate::key::{
    compare_internal, parse_internal_key, seek_key, SeqNo, ValueKind, MAX_SEQ, TRAILER_LEN,
};
use crate::key_numbers::KeyNumbers;
use crate::range_del::{FragmentedTombstones, RangeTombstone};
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
    /// Data blocks read from storage (not found in the block cache).
    pub blocks_read: u64,
    /// Data blocks found in the block cache.
    pub cache_hits: u64,
    /// Index and filter blocks read from storage (only when they live in
    /// the block cache and were not found there).
    pub meta_blocks_read: u64,
    /// Separated values read from blob files (one read each).
    pub blob_reads: u64,
}

impl LookupStats {
    /// Every read from storage: data, index and filter blocks, and blobs.
    pub fn storage_reads(&self) -> u64 {
        self.blocks_read + self.meta_blocks_read + self.blob_reads
    }
}

impl AddAssign for LookupStats {
    fn add_assign(&mut self, o: LookupStats) {
        self.filter_probes += o.filter_probes;
        self.filter_negatives += o.filter_negatives;
        self.blocks_read += o.blocks_read;
        self.cache_hits += o.cache_hits;
        self.meta_blocks_read += o.meta_blocks_read;
        self.blob_reads += o.blob_reads;
    }
}

/// Blocks read by a set of cursors (one scan), shared by them.
#[derive(Debug, Default)]
pub struct ReadTally {
    blocks_read: AtomicU64,
    cache_hits: AtomicU64,
    meta_blocks_read: AtomicU64,
    blob_reads: AtomicU64,
}

impl ReadTally {
    pub(crate) fn add(&self, s: &LookupStats) {
        self.blob_reads
            .fetch_add(s.blob_reads, AtomicOrdering::Relaxed);
        self.blocks_read
            .fetch_add(s.blocks_read, AtomicOrdering::Relaxed);
        self.cache_hits
            .fetch_add(s.cache_hits, AtomicOrdering::Relaxed);
        self.meta_blocks_read
            .fetch_add(s.meta_blocks_read, AtomicOrdering::Relaxed);
    }

    /// The totals so far (filter fields stay 0: cursors consult no filter).
    pub fn total(&self) -> LookupStats {
        LookupStats {
            blocks_read: self.blocks_read.load(AtomicOrdering::Relaxed),
            cache_hits: self.cache_hits.load(AtomicOrdering::Relaxed),
            meta_blocks_read: self.meta_blocks_read.load(AtomicOrdering::Relaxed),
            blob_reads: self.blob_reads.load(AtomicOrdering::Relaxed),
            ..LookupStats::default()
        }
    }
}

/// How a table is read: its file number (the block cache key), the cache
/// shared by the database's tables, and whether index and filter blocks
/// live in that cache instead of in the table.
#[derive(Debug, Clone, Default)]
pub struct TableReadOptions {
    pub file_number: u64,
    pub cache: Option<Arc<BlockCache>>,
    /// RocksDB's `cache_index_and_filter_blocks`; ignored without a cache.
    pub cache_index_and_filter_blocks: bool,
    /// For a narrowed file ([`FileMeta::narrowed`]): the internal key its
    /// part starts at. Entries below it are not read: gets of smaller
    /// keys find nothing and cursors start at it.
    pub lower_bound: Option<Vec<u8>>,
}

/// An index or filter block: held by the table, or in the block cache.
///
/// A pinned block lives in the table itself rather than behind a pointer
/// of its own: a lookup reaches its filter line and index search from the
/// table's own cache lines, one dependent miss fewer each.
enum Meta<T> {
    Pinned(T),
    /// In the cache under this handle's offset; read again on a miss.
    Cached(BlockHandle),
}

/// An index or filter block as a read uses it: borrowed from the table
/// when pinned, shared with the block cache otherwise.
enum MetaRef<'a, T> {
    Pinned(&'a T),
    Cached(Arc<T>),
}

impl<T> std::ops::Deref for MetaRef<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            MetaRef::Pinned(v) => v,
            MetaRef::Cached(v) => v,
        }
    }
}

/// One index entry: a data block and its last key.
struct IndexEntry {
    last_key: Box<[u8]>,
    handle: BlockHandle,
}

/// The decoded index block: each data block's last key and handle, and
/// beside them the last user keys as numbers ([`KeyNumbers`]), so that a
/// search narrows the blocks over one contiguous array of integers before
/// it compares any key (one cache miss per probe on a boxed key was most of
/// a point lookup's time).
/// INVARIANT: last keys strictly increasing; blocks lie in file order,
/// without overlap, before the footer; `numbers` are those of the entries'
/// last user keys.
struct Index {
    entries: Vec<IndexEntry>,
    numbers: KeyNumbers,
}

impl Index {
    fn new(entries: Vec<IndexEntry>) -> Index {
        let numbers = KeyNumbers::new(entries.iter().map(|e| crate::key::user_key(&e.last_key)));
        Index { entries, numbers }
    }
}

impl std::ops::Deref for Index {
    type Target = [IndexEntry];

    fn deref(&self) -> &[IndexEntry] {
        &self.entries
    }
}

/// An open SSTable.
pub struct Table {
    path: PathBuf,
    file: Arc<dyn RandomAccessFile>,
    size: u64,
    number: u64,
    cache: Option<Arc<BlockCache>>,
    index: Meta<Index>,
    filter: Meta<Option<BloomFilter>>,
    /// Data blocks (the index's length).
    num_blocks: usize,
    has_filter: bool,
    props: TableProperties,
    /// The table's range tombstones as written, and fragmented for reads;
    /// read and verified at open (empty without a range-deletion block).
    range_dels: Vec<RangeTombstone>,
    fragmented: FragmentedTombstones,
    /// See [`TableReadOptions::lower_bound`].
    lower_bound: Option<Box<[u8]>>,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("data_blocks", &self.num_blocks)
            .field("has_filter", &self.has_filter)
            .finish()
    }
}

impl Table {
    /// Opens the table at `path` without a block cache: reads and verifies
    /// the footer, index, filter and properties blocks (four reads).
    pub fn open(fs: &dyn Fs, path: &Path) -> Result<Arc<Table>> {
        Table::open_with(fs, path, TableReadOptions::default())
    }

    /// Opens the table at `path` to be read as `read` says. The index and
    /// filter are read and verified here either way; when they live in the
    /// cache they are inserted into it (and may be evicted later).
    pub fn open_with(fs: &dyn Fs, path: &Path, read: TableReadOptions) -> Result<Arc<Table>> {
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
        let filter = BloomFilter::decode(read_block(&*file, footer.filter)?.into_vec())
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
        let range_dels = match footer.range_dels {
            None => Vec::new(),
            Some(h) => super::range_del_block::decode(&read_block(&*file, h)?).map_err(|e| {
                Error::corruption(
                    path,
                    format!("range-deletion block at offset {}: {e}", h.offset),
                )
            })?,
        };
        let counted = props
            .tagged
            .u64(super::range_del_block::COUNT_TAG)
            .map_err(|e| block_err("properties", footer.properties, e))?
            .unwrap_or(0);
        if counted != range_dels.len() as u64 {
            return Err(Error::corruption(
                path,
                format!(
                    "properties count {counted} range tombstones, the range-deletion block holds {}",
                    range_dels.len()
                ),
            ));
        }
        let fragmented = FragmentedTombstones::new(range_dels.iter().cloned());
        let num_blocks = index.len();
        let has_filter = filter.is_some();
        let (index, filter) = match &read.cache {
            Some(cache) if read.cache_index_and_filter_blocks => {
                let put = |h: BlockHandle, v: CachedValue| {
                    let key = BlockKey {
                        file: read.file_number,
                        offset: h.offset,
                    };
                    cache.insert(key, v, h.size);
                };
                put(footer.index, CachedValue::Meta(Arc::new(index)));
                put(footer.filter, CachedValue::Meta(Arc::new(filter)));
                (Meta::Cached(footer.index), Meta::Cached(footer.filter))
            }
            _ => (Meta::Pinned(index), Meta::Pinned(filter)),
        };
        Ok(Arc::new(Table {
            path: path.to_path_buf(),
            file,
            size,
            number: read.file_number,
            cache: read.cache,
            lower_bound: read.lower_bound.map(Vec::into_boxed_slice),
            index,
            filter,
            num_blocks,
            has_filter,
            props,
            range_dels,
            fragmented,
        }))
    }

    /// An index or filter block from the cache, or from storage on a miss
    /// (counted in `stats.meta_blocks_read` and cached again).
    fn meta<'a, T: Send + Sync + 'static>(
        &self,
        meta: &'a Meta<T>,
        stats: &mut LookupStats,
        decode: impl FnOnce(SharedBytes) -> std::result::Result<T, BlockError>,
    ) -> Result<MetaRef<'a, T>> {
        let h = match meta {
            Meta::Pinned(v) => return Ok(MetaRef::Pinned(v)),
            Meta::Cached(h) => *h,
        };
        let cache = self
            .cache
            .as_ref()
            .expect("cached meta blocks have a cache");
        let key = BlockKey {
            file: self.number,
            offset: h.offset,
        };
        if let Some(CachedValue::Meta(v)) = cache.get(key, BlockKind::Meta) {
            if let Ok(v) = v.downcast::<T>() {
                return Ok(MetaRef::Cached(v));
            }
        }
        stats.meta_blocks_read += 1;
        let v = Arc::new(decode(read_block(&*self.file, h)?).map_err(|e| {
            Error::corruption(&self.path, format!("block at offset {}: {e}", h.offset))
        })?);
        cache.insert(key, CachedValue::Meta(v.clone()), h.size);
        Ok(MetaRef::Cached(v))
    }

    fn index(&self, stats: &mut LookupStats) -> Result<MetaRef<'_, Index>> {
        let footer_at = self.size - FOOTER_LEN as u64;
        self.meta(&self.index, stats, |d| {
            decode_index(&self.path, d, footer_at)
        })
    }

    fn filter(&self, stats: &mut LookupStats) -> Result<MetaRef<'_, Option<BloomFilter>>> {
        self.meta(&self.filter, stats, |d| BloomFilter::decode(d.into_vec()))
    }

    /// The newest entry for `user_key` with a sequence number `<= read_seq`,
    /// tombstones included; `None` when the table has no such entry.
    pub fn get(
        &self,
        user_key: &[u8],
        read_seq: SeqNo,
        stats: &mut LookupStats,
    ) -> Result<Option<TableEntry>> {
        self.get_hashed(user_key, super::bloom::hash64(user_key), read_seq, stats)
    }

    /// [`Table::get`] for a key whose filter hash ([`super::bloom::hash64`])
    /// is `hash`: a lookup through many tables hashes its key once.
    pub fn get_hashed(
        &self,
        user_key: &[u8],
        hash: u64,
        read_seq: SeqNo,
        stats: &mut LookupStats,
    ) -> Result<Option<TableEntry>> {
        if self
            .lower_bound
            .as_deref()
            .is_some_and(|b| user_key < crate::key::user_key(b))
        {
            return Ok(None);
        }
        if let Some(f) = self.filter(stats)?.as_ref() {
            stats.filter_probes += 1;
            if !f.may_contain_hash(hash) {
                stats.filter_negatives += 1;
                return Ok(None);
            }
        }
        let index = self.index(stats)?;
        let target = seek_key(user_key, read_seq.min(MAX_SEQ));
        let mut i = find_block(&index, &target);
        // Versions of a key may span blocks: if a block ends before the
        // target, the answer (if any) starts the next one.
        while i < index.len() {
            let mut it = self.data_block(&index, i, true, stats)?;
            it.seek(&target)
                .map_err(|e| self.data_corruption(&index, i, e))?;
            if it.valid() {
                let p = parse_internal_key(it.key())
                    .ok_or_else(|| self.data_corruption(&index, i, BlockError("bad key kind")))?;
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

    /// Starts loading what a lookup of the key whose filter hash is `hash`
    /// reads first, its filter line and the index's fences, when they are
    /// pinned in memory: a lookup through several tables issues these for
    /// all of them before it probes the first (see [`crate::cpu_prefetch`]).
    pub fn prefetch_lookup(&self, hash: u64) {
        if let Meta::Pinned(f) = &self.filter {
            if let Some(f) = f.as_ref() {
                f.prefetch_hash(hash);
            }
        }
        if let Meta::Pinned(index) = &self.index {
            index.numbers.prefetch_fences();
        }
    }

    /// The bloom filter's answer for `user_key` (true without a filter).
    pub fn may_contain(&self, user_key: &[u8]) -> Result<bool> {
        let f = self.filter(&mut LookupStats::default())?;
        Ok(f.as_ref().is_none_or(|f| f.may_contain(user_key)))
    }

    /// A cursor over every entry, reading one data block at a time from
    /// storage, bypassing the block cache (as compactions read in RocksDB,
    /// `fill_cache = false`).
    pub fn iter(self: &Arc<Self>) -> TableIter {
        TableIter {
            table: Arc::clone(self),
            index: None,
            block_idx: 0,
            block: None,
            blocks_read: 0,
            tally: None,
        }
    }

    /// A cursor for a user scan: blocks come through the block cache and
    /// every read is added to `tally`.
    pub fn scan_iter(self: &Arc<Self>, tally: Arc<ReadTally>) -> TableIter {
        TableIter {
            tally: Some(tally),
            ..self.iter()
        }
    }

    /// Checks that this is the table the manifest recorded as `meta`: same
    /// size, key range, sequence range and entry counts. A table swapped
    /// with another, overwritten by a copy of another or linked to another
    /// is corruption naming the file, never served as data.
    ///
    /// A table that records its origin (file number and database identity,
    /// tags 10 and 11) must also be file `meta.number` of the database
    /// `db_identity`: a table renamed, or copied from another database even
    /// with identical contents, is refused naming both. Tables written
    /// before origins were recorded are checked on the rest alone.
    pub fn check_matches(&self, meta: &FileMeta, db_identity: Option<&[u8]>) -> Result<()> {
        let p = &self.summary();
        let origin = self
            .props
            .origin()
            .map_err(|e| Error::corruption(&self.path, e.to_string()))?;
        if let Some(written_as) = origin.file_number.filter(|&n| n != meta.number) {
            return Err(Error::corruption(
                &self.path,
                format!(
                    "it was written as table {written_as:06}, but the manifest expects table \
                     {:06} here: the file was renamed or copied over another",
                    meta.number
                ),
            ));
        }
        if let (Some(written_by), Some(this)) = (&origin.db_identity, db_identity) {
            if written_by.as_slice() != this {
                return Err(Error::corruption(
                    &self.path,
                    format!(
                        "it was written by database {}, but this database is {}: a table \
                         copied from another database",
                        String::from_utf8_lossy(written_by),
                        String::from_utf8_lossy(this)
                    ),
                ));
            }
        }
        let mismatch = [
            ("size", self.size != meta.size),
            (
                "smallest key",
                if meta.narrowed {
                    compare_internal(&p.smallest, &meta.smallest) == Ordering::Greater
                } else {
                    p.smallest != meta.smallest
                },
            ),
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

    /// What the manifest records about this table: its point entries and
    /// range tombstones together (see [`TableSummary::from_parts`]).
    pub fn summary(&self) -> TableSummary {
        TableSummary::from_parts(self.size, &self.props, &self.range_dels)
    }

    /// The table's range tombstones, fragmented.
    pub fn range_tombstones(&self) -> &FragmentedTombstones {
        &self.fragmented
    }

    /// The table's range tombstones as stored.
    pub fn raw_range_tombstones(&self) -> &[RangeTombstone] {
        &self.range_dels
    }

    /// What the table's point entries hold.
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
        self.has_filter
    }

    /// Data block `i`: from the block cache when `cached` and there is one
    /// (counted in `stats.cache_hits`), else from storage (counted in
    /// `stats.blocks_read`, and cached when `cached`). Neither copies the
    /// block's bytes, except that the cache keeps a block read from an
    /// in-memory file in a buffer of its own, so that it does not hold on to
    /// the rest of the file's chunk.
    fn data_block(
        &self,
        index: &Index,
        i: usize,
        cached: bool,
        stats: &mut LookupStats,
    ) -> Result<BlockIter> {
        let h = index[i].handle;
        let cache = self.cache.as_ref().filter(|_| cached);
        let key = BlockKey {
            file: self.number,
            offset: h.offset,
        };
        let hit = cache.and_then(|c| match c.get(key, BlockKind::Data) {
            Some(CachedValue::Data(bytes)) => Some(bytes),
            _ => None,
        });
        let data = match hit {
            Some(bytes) => {
                stats.cache_hits += 1;
                bytes
            }
            None => {
                let buf = cache.map(|c| c.spare_buffer()).unwrap_or_default();
                let mut data = read_block_into(&*self.file, h, buf)?;
                stats.blocks_read += 1;
                if let Some(c) = cache {
                    data = data.compact();
                    c.insert(key, CachedValue::Data(data.clone()), h.size);
                }
                data
            }
        };
        let block = Block::new(data).map_err(|e| self.data_corruption(index, i, e))?;
        if block.is_empty() {
            return Err(self.data_corruption(index, i, BlockError("empty data block")));
        }
        Ok(BlockIter::new(block))
    }

    fn data_corruption(&self, index: &Index, i: usize, e: BlockError) -> Error {
        Error::corruption(
            &self.path,
            format!("data block at offset {}: {e}", index[i].handle.offset),
        )
    }
}

/// The first block whose last key is `>= target` (`index.len()` if none).
fn find_block(index: &Index, target: &[u8]) -> usize {
    let by_key = |entries: &[IndexEntry]| {
        entries.partition_point(|e| compare_internal(&e.last_key, target) == Ordering::Less)
    };
    // The entry found is read next (its handle, a cache miss in a large
    // tree): its stretch of entries loads while the numbers are searched.
    let prefetch_entries = |near: std::ops::Range<usize>| {
        let stretch = &index.entries[near.start..near.end.min(index.entries.len())];
        crate::cpu_prefetch::prefetch_bytes(
            stretch.as_ptr().cast(),
            std::mem::size_of_val(stretch),
        );
    };
    match index
        .numbers
        .candidates_near(crate::key::user_key(target), prefetch_entries)
    {
        // Only the blocks whose number ties with the target's need keys.
        Some(r) => r.start + by_key(&index.entries[r]),
        // Outside the keys' shared prefix (a seek from outside the table).
        None => by_key(&index.entries),
    }
}

/// Decodes the index block and checks its invariants.
fn decode_index(
    path: &Path,
    data: SharedBytes,
    footer_at: u64,
) -> std::result::Result<Index, BlockError> {
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
    Ok(Index::new(out))
}

/// A cursor over a table's entries in internal-key order. Holds one data
/// block at a time; after an error it is invalid.
pub struct TableIter {
    table: Arc<Table>,
    /// The index when it is in the cache, loaded on first use (a pinned
    /// one is read from the table).
    index: Option<Arc<Index>>,
    /// The index entry of `block`.
    block_idx: usize,
    block: Option<BlockIter>,
    blocks_read: u64,
    /// Set for user scans: read through the cache and count here.
    tally: Option<Arc<ReadTally>>,
}

impl TableIter {
    /// Data blocks read so far (from the cache or from storage).
    pub fn blocks_read(&self) -> u64 {
        self.blocks_read
    }

    /// The table's index: `table` is this cursor's table, passed in so
    /// that a pinned index can be borrowed while the cursor changes.
    fn index<'t>(&mut self, table: &'t Table) -> Result<MetaRef<'t, Index>> {
        if let Some(i) = &self.index {
            return Ok(MetaRef::Cached(i.clone()));
        }
        let mut stats = LookupStats::default();
        let index = table.index(&mut stats)?;
        if let Some(t) = &self.tally {
            t.add(&stats);
        }
        if let MetaRef::Cached(i) = &index {
            self.index = Some(i.clone());
        }
        Ok(index)
    }

    fn load(&mut self, index: &Index, i: usize) -> Result<&mut BlockIter> {
        self.block = None;
        self.block_idx = i;
        let mut stats = LookupStats::default();
        let it = self
            .table
            .data_block(index, i, self.tally.is_some(), &mut stats)?;
        if let Some(t) = &self.tally {
            t.add(&stats);
        }
        self.blocks_read += 1;
        // A cursor reads on: the next block is wanted next.
        if let Some(next) = index.get(i + 1) {
            let h = next.handle;
            self.table
                .file
                .prefetch(h.offset, h.size as usize + BLOCK_TRAILER_LEN);
        }
        Ok(self.block.insert(it))
    }

    /// From block `i` on, positions at the first entry: either at `target`
    /// or after it within block `i`, or at the start of a later block.
    fn position(&mut self, mut i: usize, mut target: Option<&[u8]>) -> Result<()> {
        let table = Arc::clone(&self.table);
        let index = match self.index(&table) {
            Ok(index) => index,
            Err(e) => {
                self.block = None;
                return Err(e);
            }
        };
        while i < index.len() {
            let block = self.load(&index, i)?;
            let r = match target.take() {
                Some(t) => block.seek(t),
                None => block.seek_to_first(),
            };
            let found = block.valid();
            if let Err(e) = r {
                self.block = None;
                return Err(self.table.data_corruption(&index, i, e));
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
        match self.table.lower_bound.clone() {
            Some(bound) => self.seek(&bound),
            None => self.position(0, None),
        }
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let raised;
        let target = match self.table.lower_bound.as_deref() {
            Some(b) if compare_internal(target, b) == Ordering::Less => {
                raised = b.to_vec();
                &raised
            }
            _ => target,
        };
        if target.len() < TRAILER_LEN {
            self.block = None;
            return Err(Error::InvalidArgument(format!(
                "seek target {target:?} in {} is not an internal key",
                self.table.path.display()
            )));
        }
        let table = Arc::clone(&self.table);
        let index = match self.index(&table) {
            Ok(index) => index,
            Err(e) => {
                self.block = None;
                return Err(e);
            }
        };
        self.position(find_block(&index, target), Some(target))
    }

    fn next(&mut self) -> Result<()> {
        let block = self.block.as_mut().expect("next() on an invalid iterator");
        if let Err(e) = block.next() {
            self.block = None;
            let index = match (&self.index, &self.table.index) {
                (Some(ix), _) => Some(&**ix),
                (None, Meta::Pinned(ix)) => Some(ix),
                (None, Meta::Cached(_)) => None,
            };
            let offset = index.map_or(0, |ix| ix[self.block_idx].handle.offset);
            return Err(Error::corruption(
                &self.table.path,
                format!("data block at offset {offset}: {e}"),
            ));
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

#[cfg(test)]
mod index_tests {
    use super::*;
    use crate::key::internal_key;
    use proptest::prelude::*;

    fn index_of(mut keys: Vec<Vec<u8>>) -> Index {
        keys.sort();
        keys.dedup();
        let entries: Vec<IndexEntry> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| IndexEntry {
                last_key: internal_key(k, 7, ValueKind::Value).into(),
                handle: BlockHandle {
                    offset: i as u64 * 100,
                    size: 90,
                },
            })
            .collect();
        Index::new(entries)
    }

    proptest! {
        /// The prefix search finds the block a plain binary search over the
        /// keys finds, for keys short and long, sharing long prefixes or
        /// not, and targets at every sequence number.
        #[test]
        fn the_prefix_search_finds_the_block_the_keys_do(
            keys in prop::collection::vec(
                prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', b'b', 255]), 0..12),
                0..120),
            shared in prop::collection::vec(prop::sample::select(vec![0u8, b'a', 255]), 0..10),
            target in prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', b'b', 255]), 0..12),
            target_shares in any::<bool>(),
            seq in prop::sample::select(vec![0u64, 6, 7, 8, MAX_SEQ]),
        ) {
            // Keys sharing a long prefix (as generated keys do), and targets
            // within it or not.
            let with = |k: Vec<u8>| [shared.clone(), k].concat();
            let index = index_of(keys.into_iter().map(with).collect());
            let target = if target_shares { with(target) } else { target };
            let target = internal_key(&target, seq, ValueKind::Value);
            let plain = index
                .entries
                .partition_point(|e| compare_internal(&e.last_key, &target) == Ordering::Less);
            prop_assert_eq!(find_block(&index, &target), plain);
        }
    }
}
