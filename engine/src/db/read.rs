//! The read path: point lookups and range scans, at the latest state or a
//! snapshot.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Bound;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::mem_scan::MemScanStart;
use super::scan_out::{KeyValue, ScanBuffer, ScanSink};
use super::view::{OpenTables, ReadContext, ReadView};
use super::{Db, Inner, Snapshot};
use crate::blob::BlobSet;
use crate::clock::Clock;
use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{self, SeqNo, ValueKind};
use crate::merge_iter::{LevelFiles, LevelIterator, MergingIterator};
use crate::range_del::{self, FragmentedTombstones, RangeTombstone};
use crate::sst::{LookupStats, ReadTally, Table, TableReadOptions};
use crate::version::{FileMeta, SortedRun, Version};

/// The value an entry of `user_key` stands for now (by `clock`, read only
/// for a value with an expiry): `None` for a tombstone or an expired value.
/// A separated value is read from its blob file (counted in
/// `stats.blob_reads`).
fn resolve(
    user_key: &[u8],
    kind: ValueKind,
    stored: Vec<u8>,
    clock: &dyn Clock,
    blobs: &BlobSet,
    dir: &Path,
    stats: &mut LookupStats,
) -> Result<Option<Vec<u8>>> {
    if kind == ValueKind::Value {
        return Ok(Some(stored));
    }
    let value = resolve_ref(user_key, kind, &stored, clock, blobs, dir, stats)?;
    Ok(value.map(Cow::into_owned))
}

/// [`resolve`] for a stored value the caller keeps: a plain value is lent
/// back, not copied.
fn resolve_ref<'a>(
    user_key: &[u8],
    kind: ValueKind,
    stored: &'a [u8],
    clock: &dyn Clock,
    blobs: &BlobSet,
    dir: &Path,
    stats: &mut LookupStats,
) -> Result<Option<Cow<'a, [u8]>>> {
    Ok(match kind {
        // A merge operand is resolved by the scan path (see `ScanPlan::run`).
        ValueKind::Tombstone | ValueKind::RangeDelete | ValueKind::Merge => None,
        ValueKind::Value => Some(Cow::Borrowed(stored)),
        ValueKind::ValueWithExpiry => match key::decode_expiring_value(stored) {
            Some((at, v)) if at > clock.now_ms() => Some(Cow::Borrowed(v)),
            _ => None,
        },
        ValueKind::BlobIndex => {
            stats.blob_reads += 1;
            Some(Cow::Owned(blobs.resolve(dir, user_key, stored)?))
        }
    })
}

impl Db {
    /// The value of `key`, or `None` if it is absent, deleted or expired.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get_with_stats(key)?.0)
    }

    /// [`Db::get`] plus what the lookup cost: filters consulted and data
    /// blocks read.
    pub fn get_with_stats(&self, key: &[u8]) -> Result<(Option<Vec<u8>>, LookupStats)> {
        self.get_at_seq(key, None)
    }

    /// The value of `key` as of `snapshot`.
    pub fn get_at(&self, snapshot: &Snapshot, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get_at_seq(key, Some(snapshot.seq()))?.0)
    }

    /// A point lookup at `seq` (the latest state when `None`), without the
    /// database lock: it searches the published read view (see `view`).
    /// Only when a table the lookup needs is not open yet is the lookup
    /// planned again under the lock, which opens it (a compaction cannot
    /// then delete the file first) and republishes the view. The tables of
    /// a view stay readable after a compaction deletes their files (open
    /// handles).
    fn get_at_seq(&self, key: &[u8], seq: Option<SeqNo>) -> Result<(Option<Vec<u8>>, LookupStats)> {
        let published = &self.shared.published;
        published.gets.fetch_add(1, Ordering::Relaxed);
        let (plan, view, seq) =
            self.plan_read(seq, |view, seq, open| view.plan_lookup(key, seq, open))?;
        let clock = &*published.context.clock;
        let dir = &published.context.dir;
        let mut stats = LookupStats::default();
        let found = match plan {
            Lookup::InMemory(entry) => entry,
            Lookup::Tables(tables) => tables.probe(key, seq, &mut stats)?,
        };
        if found
            .as_ref()
            .is_some_and(|(kind, _)| *kind == ValueKind::Merge)
        {
            if stats != LookupStats::default() {
                self.shared.lookups.add(stats);
            }
            // Operands: combine every version down to a value or deletion,
            // as a scan of this one key does (which resolves a separated
            // base value from its blob file).
            let end = range_del::successor(key);
            let (mut pairs, scan) = self.scan_at_seq(key, Some(&end), 1, Some(seq))?;
            stats.blocks_read += scan.blocks_read;
            stats.cache_hits += scan.cache_hits;
            return Ok((pairs.pop().map(|(_, v)| v), stats));
        }
        let value = match found {
            Some((kind, v)) => resolve(key, kind, v, clock, &view.blobs, dir, &mut stats)?,
            None => None,
        };
        if stats != LookupStats::default() {
            self.shared.lookups.add(stats);
        }
        Ok((value, stats))
    }

    /// Live `(key, value)` pairs with `lo <= key < hi` (`hi = None`: to the
    /// end), at most `limit` of them, in key order.
    pub fn scan(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self.scan_at_seq(lo, hi, limit, None)?.0)
    }

    /// [`Db::scan`] plus what the scan cost: blocks read and sorted runs
    /// merged.
    pub fn scan_with_stats(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
    ) -> Result<(Vec<KeyValue>, ScanStats)> {
        self.scan_at_seq(lo, hi, limit, None)
    }

    /// [`Db::scan_with_stats`] into `out` (cleared first) instead of a new
    /// vector: a caller scanning again and again with one buffer allocates
    /// nothing per pair.
    pub fn scan_into(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
        out: &mut ScanBuffer,
    ) -> Result<ScanStats> {
        self.scan_into_sink(lo, hi, limit, None, out)
    }

    /// [`Db::scan`] as of `snapshot`.
    pub fn scan_at(
        &self,
        snapshot: &Snapshot,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(self.scan_at_seq(lo, hi, limit, Some(snapshot.seq()))?.0)
    }

    /// A scan at `seq` (the latest state when `None`). From the published
    /// read view (see `view`), without the database lock, it finds where
    /// the range starts in each memtable and takes the tables of the view's
    /// version that overlap it; when one of them is not open yet, this is
    /// done again under the lock, which opens it. A memtable's cursor reads
    /// the entries of the range's first `limit + 1` user keys there at
    /// most; should the merge need keys past them (tombstones, newer
    /// versions or hidden entries used them up), the scan starts again
    /// allowing four times as many.
    fn scan_at_seq(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
        seq: Option<SeqNo>,
    ) -> Result<(Vec<KeyValue>, ScanStats)> {
        let mut out = Vec::new();
        let stats = self.scan_into_sink(lo, hi, limit, seq, &mut out)?;
        Ok((out, stats))
    }

    /// [`Db::scan_at_seq`] into `out`, which it clears first.
    fn scan_into_sink(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
        seq: Option<SeqNo>,
        out: &mut impl ScanSink,
    ) -> Result<ScanStats> {
        let published = &self.shared.published;
        published.scans.fetch_add(1, Ordering::Relaxed);
        let mut keys_copied = limit.saturating_add(1);
        let tally = Arc::new(ReadTally::default());
        loop {
            out.clear();
            let (plan, _, at) = self.plan_read(seq, |view, _, open| {
                view.plan_scan(lo, hi, keys_copied, open)
            })?;
            let sorted_runs = plan.sorted_runs();
            if plan.run(lo, hi, limit, at, &tally, &published.context, out)? {
                let reads = tally.total();
                return Ok(ScanStats {
                    blocks_read: reads.storage_reads(),
                    cache_hits: reads.cache_hits,
                    sorted_runs,
                });
            }
            keys_copied = keys_copied.saturating_mul(4);
        }
    }

    /// Plans a read at `seq` (the latest published sequence when `None`)
    /// with `plan`, on the published view and its open tables, without the
    /// database lock; when a table is not open there, plans again under the
    /// lock on the view current then, opening what is missing, and
    /// republishes the view with those tables. Returns the plan, the view
    /// it was made on and the sequence it reads at.
    fn plan_read<T>(
        &self,
        seq: Option<SeqNo>,
        plan: impl Fn(&ReadView, SeqNo, &mut OpenTable<'_>) -> Result<Option<T>>,
    ) -> Result<(T, Arc<ReadView>, SeqNo)> {
        let published = &self.shared.published;
        let (view, latest) = published.load();
        let at = seq.unwrap_or(latest);
        if let Some(p) = plan(&view, at, &mut |f| Ok(view.tables.get(&f.number).cloned()))? {
            return Ok((p, view, at));
        }
        let mut inner = self.lock();
        // Under the lock the published view is the current state.
        let (view, latest) = published.load();
        let at = seq.unwrap_or(latest);
        let planned = plan(&view, at, &mut |f| inner.table(f).map(Some));
        inner.publish_view();
        match planned? {
            Some(p) => Ok((p, view, at)),
            None => unreachable!("the opener under the lock opens every table"),
        }
    }

    /// Every live pair with a key in `range`, in key order.
    pub fn scan_range(
        &self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let (lo, skip_lo): (&[u8], Option<&[u8]>) = match range.0 {
            Bound::Included(k) => (k, None),
            Bound::Excluded(k) => (k, Some(k)),
            Bound::Unbounded => (&[], None),
        };
        let mut out = match range.1 {
            Bound::Excluded(h) => self.scan(lo, Some(h), usize::MAX)?,
            Bound::Unbounded => self.scan(lo, None, usize::MAX)?,
            Bound::Included(h) => {
                let mut v = self.scan(lo, None, usize::MAX)?;
                v.retain(|(k, _)| k.as_slice() <= h);
                v
            }
        };
        if let Some(s) = skip_lo {
            out.retain(|(k, _)| k.as_slice() != s);
        }
        Ok(out)
    }
}

impl Inner {
    pub(super) fn table(&mut self, file: &FileMeta) -> Result<Arc<Table>> {
        if let Some(t) = self.tables.get(&file.number) {
            return Ok(t.clone());
        }
        let read = TableReadOptions {
            file_number: file.number,
            cache: self.block_cache.clone(),
            cache_index_and_filter_blocks: self.opts.cache_index_and_filter_blocks,
            lower_bound: file.narrowed.then(|| file.smallest.clone()),
        };
        let t = Table::open_with(self.env.fs.as_ref(), &self.dir.join(file.file_name()), read)?;
        t.check_matches(file, self.manifest.lineage().db_id.as_deref())?;
        self.tables.insert(file.number, t.clone());
        Ok(t)
    }
}

/// Gives the open table of a file of the view's version, or `None` when it
/// is not open here (the caller then plans again under the lock).
type OpenTable<'a> = dyn FnMut(&FileMeta) -> Result<Option<Arc<Table>>> + 'a;

impl ReadView {
    /// Where a lookup of `user_key` at `seq` finds its answer: in a
    /// memtable, or in the tables that may hold it; `None` when `open` has
    /// no table for a file the lookup needs.
    ///
    /// A range tombstone at `t` covering the key hides the versions older
    /// than `t`. Everything in a memtable is newer than everything in the
    /// tables, so a memtable's range tombstone over the key settles the
    /// lookup without them.
    fn plan_lookup(
        &self,
        user_key: &[u8],
        seq: SeqNo,
        open: &mut OpenTable<'_>,
    ) -> Result<Option<Lookup>> {
        let hash = crate::sst::bloom::hash64(user_key);
        // Newest memtable first; every entry of a memtable is newer than
        // anything in an older one, so only the range tombstones of the
        // memtables searched so far can hide the first entry found.
        let mut mem_cover: Option<SeqNo> = None;
        for mem in self.memtables() {
            let m = mem.read();
            let cover = m
                .fragmented_range_tombstones()
                .max_covering_seq(user_key, seq);
            mem_cover = mem_cover.max(cover);
            if let Some(e) = m.get_hashed(user_key, hash, seq) {
                let hidden = mem_cover.is_some_and(|t| e.seq < t);
                let entry = (!hidden).then_some((e.kind, e.value));
                return Ok(Some(Lookup::InMemory(entry)));
            }
            if mem_cover.is_some() {
                // Everything older than this memtable is older than the
                // tombstone.
                return Ok(Some(Lookup::InMemory(None)));
            }
        }
        let version = &self.version;
        let mut tables = Vec::new();
        let mut range_cover: Option<SeqNo> = None;
        for level in 0..version.num_levels() {
            let first = tables.len();
            for run in version.runs(level) {
                if let Some(f) = run.file_for_key(user_key) {
                    if f.smallest_seq <= seq {
                        let Some(t) = open(f)? else {
                            return Ok(None);
                        };
                        t.prefetch_lookup(hash);
                        let cover = t.range_tombstones().max_covering_seq(user_key, seq);
                        range_cover = range_cover.max(cover);
                        tables.push(Candidate {
                            level,
                            largest_seq: f.largest_seq,
                            table: t,
                        });
                    }
                }
            }
            // Newest first within the level, for the early stop in `probe`.
            tables[first..].sort_by_key(|c| std::cmp::Reverse(c.largest_seq));
        }
        if tables.is_empty() {
            return Ok(Some(Lookup::InMemory(None)));
        }
        Ok(Some(Lookup::Tables(LookupTables {
            tables,
            range_cover,
            hash,
        })))
    }

    /// What a scan of `[lo, hi)` reads: where it starts in each memtable
    /// (whose cursor reads `keys_copied` user keys at most), and the
    /// overlapping tables of the view's version; `None` when `open` has no
    /// table for one of them.
    fn plan_scan(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        keys_copied: usize,
        open: &mut OpenTable<'_>,
    ) -> Result<Option<ScanPlan>> {
        let mut memtables = Vec::with_capacity(1 + self.imm.len());
        let mut range_tombstones: Vec<RangeTombstone> = Vec::new();
        for cell in self.memtables() {
            let m = cell.read();
            memtables.push(MemScanStart::new(cell, &m, lo, hi, keys_copied));
            range_tombstones.extend(m.fragmented_range_tombstones().overlapping(lo, hi));
        }
        let version = &self.version;
        let mut runs = Vec::new();
        let mut view_runs = Vec::new();
        for level in 0..version.num_levels() {
            for run in version.runs(level) {
                let mut files = Vec::new();
                // A run's files are in key order and disjoint: those in the
                // range follow the last that ends before `lo`.
                let all = run.files();
                let first = all.partition_point(|f| f.largest_user_key() < lo);
                let end = first
                    + all[first..]
                        .partition_point(|f| hi.is_none_or(|h| f.smallest_user_key() < h));
                if self.lazy_scans && end - first > 1 {
                    view_runs.push(ViewRun {
                        run: run.clone(),
                        tables: self.tables.clone(),
                        first,
                        end,
                    });
                    continue;
                }
                for f in &all[first..end] {
                    let Some(t) = open(f)? else {
                        return Ok(None);
                    };
                    range_tombstones.extend(t.range_tombstones().overlapping(lo, hi));
                    files.push((f.clone(), t));
                }
                if !files.is_empty() {
                    runs.push(files);
                }
            }
        }
        Ok(Some(ScanPlan {
            memtables,
            runs,
            view_runs,
            range_tombstones,
            blobs: self.blobs.clone(),
        }))
    }
}

/// Whether every table of `version` is open in `tables` with no range
/// tombstones (`ReadView::lazy_scans`).
pub(super) fn lazy_scans(version: &Version, tables: &OpenTables) -> bool {
    (0..version.num_levels()).all(|level| {
        version.runs(level).iter().all(|run| {
            run.files().iter().all(|f| {
                tables
                    .get(&f.number)
                    .is_some_and(|t| t.raw_range_tombstones().is_empty())
            })
        })
    })
}

/// The tables `first..end` of a sorted run, taken from a view's open
/// tables as a scan's cursor reaches them.
struct ViewRun {
    run: Arc<SortedRun>,
    tables: Arc<OpenTables>,
    first: usize,
    end: usize,
}

impl LevelFiles for ViewRun {
    fn len(&self) -> usize {
        self.end - self.first
    }

    fn meta(&self, i: usize) -> &FileMeta {
        &self.run.files()[self.first + i]
    }

    fn table(&self, i: usize) -> Option<&Arc<Table>> {
        self.tables.get(&self.meta(i).number)
    }
}

/// What one range scan cost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    /// Blocks read from storage (data, and index or filter blocks when they
    /// live in the block cache), over every attempt of the scan.
    pub blocks_read: u64,
    /// Data blocks found in the block cache.
    pub cache_hits: u64,
    /// Sorted runs merged: memtables with entries in the range, L0 files
    /// and deeper levels overlapping it (of the last attempt).
    pub sorted_runs: u64,
}

/// What one scan reads, gathered from a read view and merged.
struct ScanPlan {
    /// Where the scan starts in each memtable, newest first.
    memtables: Vec<MemScanStart>,
    /// Overlapping tables of each sorted run, in key order.
    runs: Vec<Vec<(Arc<FileMeta>, Arc<Table>)>>,
    /// Sorted runs whose overlapping tables the cursor takes from the view
    /// as it reaches them (see `ReadView::lazy_scans`).
    view_runs: Vec<ViewRun>,
    /// The range tombstones of the memtables and tables read that intersect
    /// the range (fragmented when the merge runs, without the lock).
    range_tombstones: Vec<RangeTombstone>,
    /// The blob files of the version, for separated values.
    blobs: Arc<BlobSet>,
}

impl ScanPlan {
    /// The sorted runs the merge reads: memtables with entries in the range and every
    /// run with an overlapping file.
    fn sorted_runs(&self) -> u64 {
        let mem = self.memtables.iter().filter(|m| !m.is_empty()).count();
        (mem + self.runs.len() + self.view_runs.len()) as u64
    }

    /// Puts the first `limit` live pairs at `seq` into `out` and returns
    /// true, or returns false when the merge reached a key a memtable's
    /// cursor stopped short of (`out` then holds a part of the answer).
    /// Table reads go through the block cache and are counted in `tally`.
    #[allow(clippy::too_many_arguments)]
    fn run(
        self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
        seq: SeqNo,
        tally: &Arc<ReadTally>,
        context: &ReadContext,
        out: &mut impl ScanSink,
    ) -> Result<bool> {
        let dir = &context.dir;
        let clock = &*context.clock;
        // What the memtables' cursors read is complete for user keys below
        // the smallest cut they reach.
        let cut = Rc::new(RefCell::new(None::<Vec<u8>>));
        let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
        for m in self.memtables {
            children.push(Box::new(m.cursor(hi, &cut)));
        }
        // One cursor per sorted run: a run's files are key-disjoint.
        for mut files in self.runs {
            if files.len() == 1 {
                let (_, t) = files.pop().expect("one file");
                children.push(Box::new(t.scan_iter(tally.clone())));
            } else {
                children.push(Box::new(LevelIterator::for_scan(files, tally.clone())));
            }
        }
        for run in self.view_runs {
            children.push(Box::new(LevelIterator::for_scan(run, tally.clone())));
        }
        let mut it = MergingIterator::new(children);
        let range_dels = FragmentedTombstones::new(self.range_tombstones);
        it.seek(&key::seek_key(lo, key::MAX_SEQ))?;
        // The user key of the entry before, once there is one (kept in one
        // buffer: a scan passes many keys).
        let mut last_key: Vec<u8> = Vec::new();
        let mut any_key = false;
        // Merge operands of `last_key` gathered so far, newest first, while
        // looking for the value or deletion below them.
        let mut operands: Vec<Vec<u8>> = Vec::new();
        let merge_op = &context.merge_operator;
        let finish = |user_key: &[u8], operands: &mut Vec<Vec<u8>>, base: Option<&[u8]>| {
            let op = merge_op.get().ok_or_else(|| {
                crate::Error::InvalidArgument(format!(
                    "{}: the database holds merge operands but no merge_operator is set",
                    dir.display()
                ))
            })?;
            let refs: Vec<&[u8]> = operands.iter().rev().map(Vec::as_slice).collect();
            let v = op.full_merge(user_key, base, &refs);
            operands.clear();
            Ok::<_, crate::Error>((user_key.to_vec(), v))
        };
        while it.valid() && out.len() < limit {
            let parsed = key::parse_internal_key(it.key()).ok_or_else(|| {
                crate::Error::corruption(dir, "scan met a malformed internal key")
            })?;
            // The cut first: a memtable cursor stops below `hi`, and keys
            // between its cut and `hi` may be waiting in the memtable.
            if cut
                .borrow()
                .as_deref()
                .is_some_and(|c| parsed.user_key >= c)
            {
                return Ok(false);
            }
            if hi.is_some_and(|h| parsed.user_key >= h) {
                break;
            }
            let seen = any_key && last_key == parsed.user_key;
            if !seen && any_key && !operands.is_empty() {
                let (k, v) = finish(&last_key, &mut operands, None)?;
                out.push_owned(k, v);
                if out.len() == limit {
                    break;
                }
            }
            let collecting = seen && !operands.is_empty();
            if (!seen || collecting) && parsed.seq <= seq {
                last_key.clear();
                last_key.extend_from_slice(parsed.user_key);
                any_key = true;
                let deleted =
                    !range_dels.is_empty() && range_dels.covers(parsed.user_key, parsed.seq, seq);
                if deleted {
                    if collecting {
                        let (k, v) = finish(parsed.user_key, &mut operands, None)?;
                        out.push_owned(k, v);
                    }
                } else if parsed.kind == ValueKind::Merge {
                    operands.push(it.value().to_vec());
                } else {
                    let mut blob = LookupStats::default();
                    let v = resolve_ref(
                        parsed.user_key,
                        parsed.kind,
                        it.value(),
                        clock,
                        &self.blobs,
                        dir,
                        &mut blob,
                    )?;
                    tally.add(&blob);
                    if collecting {
                        let (k, v) = finish(parsed.user_key, &mut operands, v.as_deref())?;
                        out.push_owned(k, v);
                    } else if let Some(v) = v {
                        out.push(parsed.user_key, &v);
                    }
                }
            }
            it.next()?;
        }
        if !it.valid() && cut.borrow().is_some() && out.len() < limit {
            // The merge ran out where a memtable cursor stopped: what lies
            // past its cut was never read.
            return Ok(false);
        }
        if any_key && !operands.is_empty() && out.len() < limit {
            let (k, v) = finish(&last_key, &mut operands, None)?;
            out.push_owned(k, v);
        }
        Ok(true)
    }
}

/// The answer of a point lookup, or where to find it.
enum Lookup {
    /// Settled by a memtable (or nothing could hold the key).
    InMemory(Option<(ValueKind, Vec<u8>)>),
    /// To be read from tables.
    Tables(LookupTables),
}

/// A table that may hold a key.
struct Candidate {
    level: usize,
    /// The newest sequence number in the table.
    largest_seq: SeqNo,
    table: Arc<Table>,
}

/// The tables of one version that may hold a key.
struct LookupTables {
    /// Level by level, top down: at most one candidate table per sorted
    /// run, newest first within a level.
    tables: Vec<Candidate>,
    /// The newest visible range tombstone over the key in those tables:
    /// versions older than it are deleted.
    range_cover: Option<SeqNo>,
    /// The key's [`hash64`](crate::sst::bloom::hash64), for the filters.
    hash: u64,
}

impl LookupTables {
    /// The newest entry for `user_key` visible at `seq`.
    fn probe(
        &self,
        user_key: &[u8],
        seq: SeqNo,
        stats: &mut LookupStats,
    ) -> Result<Option<(ValueKind, Vec<u8>)>> {
        // The runs of a level may overlap and, under tiered policies, their
        // sequence ranges may interleave: keep the newest hit, and stop once
        // no remaining run can hold anything newer. A deeper level holds
        // only older versions, so the first level with a hit answers.
        let hash = self.hash;
        for candidates in self.tables.chunk_by(|a, b| a.level == b.level) {
            let mut best: Option<(SeqNo, ValueKind, Vec<u8>)> = None;
            for c in candidates {
                if best.as_ref().is_some_and(|b| b.0 > c.largest_seq) {
                    break;
                }
                if let Some(e) = c.table.get_hashed(user_key, hash, seq, stats)? {
                    if best.as_ref().is_none_or(|b| e.seq > b.0) {
                        best = Some((e.seq, e.kind, e.value));
                    }
                }
            }
            if let Some((found, kind, v)) = best {
                if self.range_cover.is_some_and(|t| found < t) {
                    return Ok(None);
                }
                return Ok(Some((kind, v)));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Db, Env, Options};

    fn key(i: u64) -> Vec<u8> {
        format!("key{i:06}").into_bytes()
    }

    /// A scan over levels of many tables returns the same rows and reads
    /// the same blocks whether it gathers the tables first (the first scan
    /// after a compaction: its outputs are not open yet) or takes them from
    /// the view as its cursor reaches them (every table open, no range
    /// tombstones), bounded or not, from any key.
    #[test]
    fn scans_taking_tables_as_they_go_read_what_gathering_them_reads() {
        let opts = Options {
            write_buffer_size: 16 << 10,
            base_file_size: 4 << 10,
            l1_base_bytes: 32 << 10,
            block_size: 512,
            ..Options::default()
        };
        let reopen = |dir: &str| {
            let db = Db::open_with(dir, opts.clone(), Env::mem().0).unwrap();
            for round in 0..3u64 {
                for i in 0..1_500u64 {
                    db.put(&key(i * 7 % 1_500), format!("{round}-{i}").as_bytes())
                        .unwrap();
                }
            }
            db.flush().unwrap();
            db.compact_level(0).unwrap();
            db
        };
        let scans: [(u64, Option<u64>, usize); 5] = [
            (0, None, usize::MAX),
            (0, None, 40),
            (700, None, 300),
            (100, Some(1_200), 2_000),
            (1_499, None, 10),
        ];
        for (lo, hi, limit) in scans {
            // A fresh database each time: the compaction's outputs are not
            // open, so the first scan gathers its tables (opening them).
            let db = reopen("/db");
            let hi = hi.map(key);
            let view = || db.shared.published.load().0;
            assert!(!view().lazy_scans, "outputs not open yet");
            assert!(view().version.runs(1).iter().any(|r| r.files().len() > 4));
            let first = db.scan_with_stats(&key(lo), hi.as_deref(), limit).unwrap();
            // A full scan opens every table; the next takes them as it goes.
            db.scan(&key(0), None, usize::MAX).unwrap();
            assert!(view().lazy_scans, "every table open");
            let second = db.scan_with_stats(&key(lo), hi.as_deref(), limit).unwrap();
            assert_eq!(first, second, "scan from {lo}");
            let want = (lo..1_500)
                .filter(|&i| hi.as_deref().is_none_or(|h| key(i).as_slice() < h))
                .take(limit)
                .count();
            assert_eq!(first.0.len(), want);
            assert!(first.1.sorted_runs >= 1);
        }
    }
}
