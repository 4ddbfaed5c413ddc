//! The merge kernel: the only code that reads entries and writes SSTables,
//! for flushes and for every compaction policy alike.
//!
//! Input: one iterator in internal-key order (a merge of the job's files, or
//! a memtable). Each entry passes the [`EntryFilter`]; survivors go to
//! output tables, cut at `max_file_size` and before a table would overlap
//! more than `max_grandparent_files` files of the level below the output,
//! and at fixed `split_points` (shard boundaries).
//! Cuts fall only between user keys, so all versions of a key share a file.
//!
//! Merge operands of a key in one snapshot stripe are combined: into a
//! full value on the value or deletion below them in the stripe (or on
//! nothing, when nothing older can exist anywhere), else into one operand.
//! A value with an expiry stops the combining (whether it is the base
//! depends on when it is read).
//!
//! Range tombstones come in beside the entries ([`DropContext`]). A point
//! entry is dropped when an input range tombstone newer than it lies in the
//! same snapshot stripe; of a fragment's tombstones only the newest per
//! stripe stays, and the one in the oldest stripe goes when nothing outside
//! the merge can hold older data in its range. Survivors are written to the
//! output tables, cut where the tables are cut: a table ending at user key
//! `k` takes the tombstones' parts below `k ++ [0]`, the next the rest.
//!
//! Value separation hooks in per written entry ([`BlobSink::map`], in the
//! [`Sink`] after the cut): large values go to blob files, references pass
//! through or are relocated out of old blob files, and each output table's
//! references are counted.

use std::path::Path;
use std::sync::Arc;

use super::filter::{Decision, DropCause, EntryFilter};
use super::output_cut::{OutputCut, OutputCutter};
use crate::blob::{BlobFileMeta, BlobSettings, BlobSink, BlobUses, BlobWriteStats};
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::iter::InternalIterator;
use crate::key::{self, SeqNo, ValueKind};
use crate::merge_op::MergeOperator;
use crate::range_del::{self, Fragment, FragmentedTombstones, RangeTombstone};
use crate::sst::{MarkRules, TableBuilder, TableOptions, TableSummary};
use crate::version::{sst_file_name, FileMeta};

/// What a merge did, entry by entry and byte by byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MergeStats {
    pub keys_in: u64,
    pub keys_out: u64,
    pub dropped_shadowed: u64,
    pub dropped_tombstones: u64,
    pub dropped_expired: u64,
    pub bytes_written: u64,
    pub output_files: u64,
}

impl MergeStats {
    /// Entries not written out, all causes.
    pub fn keys_dropped(&self) -> u64 {
        self.dropped_shadowed + self.dropped_tombstones + self.dropped_expired
    }
}

impl std::ops::AddAssign for MergeStats {
    fn add_assign(&mut self, o: Self) {
        self.keys_in += o.keys_in;
        self.keys_out += o.keys_out;
        self.dropped_shadowed += o.dropped_shadowed;
        self.dropped_tombstones += o.dropped_tombstones;
        self.dropped_expired += o.dropped_expired;
        self.bytes_written += o.bytes_written;
        self.output_files += o.output_files;
    }
}

/// Where and how a merge writes its output tables.
pub struct OutputSpec<'a> {
    pub fs: &'a dyn Fs,
    pub dir: &'a Path,
    pub table_options: TableOptions,
    /// Cut outputs at this size (with an `output_cut` rule: the target size,
    /// which the rule may let outputs pass; see [`OutputCutter`]); `None`
    /// writes a single table.
    pub max_file_size: Option<u64>,
    /// Files of the level below the output, sorted by key, for the
    /// grandparent cut.
    pub grandparents: &'a [Arc<FileMeta>],
    pub max_grandparent_files: Option<usize>,
    /// RocksDB's cut rules over `grandparents` (see `output_cut`).
    pub output_cut: Option<&'a OutputCut>,
    /// User keys, ascending: an output ends before the first key at or
    /// above each.
    pub split_points: &'a [Vec<u8>],
    /// Clock times recorded in the outputs' metadata.
    pub oldest_time_ms: u64,
    pub newest_time_ms: u64,
    /// The database's identity, recorded in every output's properties with
    /// its file number (`None`: a database from before identities).
    pub db_identity: Option<&'a [u8]>,
    /// Value separation and blob garbage collection; `None` writes values
    /// as they come and counts no blob references.
    pub blob: Option<BlobSettings<'a>>,
    /// Rules that mark outputs for compaction from their deletions.
    pub marking: MarkRules,
    /// The clock time recorded as each output's creation time (`None`:
    /// not recorded).
    pub created_ms: Option<u64>,
    /// The time recorded as the oldest tombstone's of each output holding
    /// tombstones (`None`: not recorded).
    pub oldest_tombstone_ms: Option<u64>,
    /// Told of every output sealed before the merge's end, with the user
    /// key the merge goes on from, so that the caller can install it and
    /// release the inputs the merge has passed (ScyllaDB's incremental
    /// compaction); `None`: outputs are installed at the end only.
    pub checkpoint: Option<&'a dyn Checkpoint>,
}

/// Installs a merge's outputs while it runs (see [`OutputSpec::checkpoint`]).
pub trait Checkpoint {
    /// `sealed` are the outputs finished since the last call (written and
    /// synced); every input entry with a user key below `resume_at` has
    /// been read, and the survivors among them are in those outputs or
    /// earlier ones. An error stops the merge. Outputs passed here are the
    /// caller's, even when it fails: a failure of the merge leaves them in
    /// place (a database removes the ones no version names when it opens).
    fn sealed(&self, sealed: &[FileMeta], resume_at: &[u8]) -> Result<()>;
}

/// The tables a merge wrote and its statistics.
#[derive(Debug, Default)]
pub struct MergeOutput {
    pub files: Vec<FileMeta>,
    pub stats: MergeStats,
    /// User keys of the tombstones this merge purged (dropped with
    /// [`DropCause::Tombstone`]: nothing older left to hide).
    pub purged_tombstones: Vec<Vec<u8>>,
    /// Blob files the merge wrote (finished and synced).
    pub blob_files: Vec<BlobFileMeta>,
    /// The blob references of each output table that holds any.
    pub table_blobs: Vec<(u64, BlobUses)>,
    pub blob_stats: BlobWriteStats,
}

/// Tracks how many grandparent files the current output overlaps.
struct GrandparentCut<'a> {
    files: &'a [Arc<FileMeta>],
    limit: Option<usize>,
    /// First grandparent whose range reaches the current output's first key.
    start: usize,
    /// Grandparents starting at or before the last key passed to
    /// `exceeded_by`. Keys only grow during a merge, so this cursor only
    /// moves forward: no binary search per key.
    end: usize,
}

impl GrandparentCut<'_> {
    fn begin_output(&mut self, first_user_key: &[u8]) {
        self.start = self
            .files
            .partition_point(|f| f.largest_user_key() < first_user_key);
    }

    /// True when an output that reaches `user_key` would overlap too many.
    ///
    /// REQUIRES: `user_key` is not below the previous call's.
    fn exceeded_by(&mut self, user_key: &[u8]) -> bool {
        let Some(limit) = self.limit else {
            return false;
        };
        while self
            .files
            .get(self.end)
            .is_some_and(|f| key::compare_bytes(f.smallest_user_key(), user_key).is_le())
        {
            self.end += 1;
        }
        self.end.saturating_sub(self.start) > limit
    }
}

/// `(lo, hi, seq)`: whether data outside a merge may hold a version older
/// than `seq` of a key in `[lo, hi)`.
pub type OlderInRange<'a> = &'a dyn Fn(&[u8], &[u8], SeqNo) -> bool;

/// What the drop rules need beside the entries: the inputs' range
/// tombstones, whether data outside the merge lies under a range, and the
/// merge operator that combines operands.
pub struct DropContext<'a> {
    /// Every range tombstone of the inputs, in any order.
    pub range_tombstones: Vec<RangeTombstone>,
    /// `older_data_in_range(lo, hi, seq)`: whether data outside the merge
    /// may hold a version older than `seq` of a key in `[lo, hi)`.
    pub older_data_in_range: OlderInRange<'a>,
    /// Combines merge operands; a merge meeting operands without one fails.
    pub merge_operator: Option<&'a dyn MergeOperator>,
    /// `data_between(user_key, lo, hi)`: whether data outside the merge may
    /// hold a version of the key with a sequence in `[lo, hi]` (runs of
    /// tiered policies interleave in time). Operands are combined only over
    /// sequence spans no outside version falls in.
    pub data_between: &'a dyn Fn(&[u8], SeqNo, SeqNo) -> bool,
}

impl DropContext<'static> {
    /// No range tombstones and no merge operator.
    pub fn none() -> Self {
        DropContext {
            range_tombstones: Vec::new(),
            older_data_in_range: &|_, _, _| true,
            merge_operator: None,
            data_between: &|_, _, _| true,
        }
    }
}

/// The range tombstones a merge writes out, handed to output tables in key
/// order as the tables are cut.
struct RangeDelOutput {
    /// INVARIANT: disjoint, in key order.
    frags: Vec<Fragment>,
    /// The first fragment not wholly written yet.
    next: usize,
    /// Everything below this key has been written (`None`: nothing yet).
    written_below: Option<Vec<u8>>,
}

impl RangeDelOutput {
    /// True when some part of a fragment is still to be written.
    fn pending(&self) -> bool {
        self.next < self.frags.len()
    }

    /// Writes the parts of the fragments below `upto` (`None`: all of them)
    /// not written yet into `builder`; returns how many tombstones it wrote.
    fn write_below(&mut self, builder: &mut TableBuilder, upto: Option<&[u8]>) -> Result<u64> {
        let mut written = 0;
        while let Some(f) = self.frags.get(self.next) {
            let start = match &self.written_below {
                Some(w) if w.as_slice() > f.start.as_slice() => w.as_slice(),
                _ => f.start.as_slice(),
            };
            let end = match upto {
                Some(u) if u < f.end.as_slice() => u,
                _ => f.end.as_slice(),
            };
            if start < end {
                for &seq in &f.seqs {
                    builder.add_range_tombstone(RangeTombstone::new(start, end, seq))?;
                    written += 1;
                }
            }
            if end < f.end.as_slice() {
                break;
            }
            self.next += 1;
        }
        self.written_below = upto.map(<[u8]>::to_vec);
        Ok(written)
    }
}

/// The input's range tombstones that survive the drop rules, and the
/// count of those dropped.
fn surviving_range_dels(
    input: &FragmentedTombstones,
    filter: &EntryFilter<'_>,
    older_data_elsewhere: OlderInRange<'_>,
) -> (Vec<Fragment>, u64) {
    let mut dropped = 0;
    let mut out: Vec<Fragment> = Vec::with_capacity(input.fragments().len());
    for f in input.fragments() {
        let mut seqs = Vec::with_capacity(f.seqs.len());
        let mut last_stripe = usize::MAX;
        // Newest first: the first of a stripe hides all the others in it.
        for &seq in &f.seqs {
            let stripe = filter.stripe(seq);
            if stripe == last_stripe {
                dropped += 1;
                continue;
            }
            last_stripe = stripe;
            if stripe == 0 && !older_data_elsewhere(&f.start, &f.end, seq) {
                dropped += 1;
                continue;
            }
            seqs.push(seq);
        }
        match out.last_mut() {
            _ if seqs.is_empty() => {}
            // Dropping may leave neighbours alike: join them again.
            Some(last) if last.end == f.start && last.seqs == seqs => last.end = f.end.clone(),
            _ => out.push(Fragment {
                start: f.start.clone(),
                end: f.end.clone(),
                seqs,
            }),
        }
    }
    (out, dropped)
}

/// True when an input range tombstone newer than `(user_key, seq)` lies in
/// its snapshot stripe: no reader can see the entry.
fn hidden_by_range_del(
    input: &FragmentedTombstones,
    filter: &EntryFilter<'_>,
    user_key: &[u8],
    seq: SeqNo,
) -> bool {
    // The oldest covering tombstone newer than the entry is the one most
    // likely to share its stripe (stripes only grow with the sequence).
    input
        .fragment_at(user_key)
        .and_then(|f| f.seqs.iter().copied().rev().find(|&t| t > seq))
        .is_some_and(|t| filter.stripe(t) == filter.stripe(seq))
}

struct OpenOutput {
    builder: TableBuilder,
    number: u64,
    /// Some entry of the table is there only for a live snapshot.
    kept_for_snapshots: bool,
}

/// Runs the kernel: reads `input` from its first entry to its end, applies
/// the drop rules and writes the survivors.
///
/// `older_data_elsewhere(user_key, seq)` says whether data not in `input`
/// may hold a version of the key older than `seq` (then tombstones stay).
/// `ctx` holds the inputs' range tombstones and the merge operator. `next_file_number`
/// allocates output file numbers. On error, the tables already written are
/// removed (best effort) and nothing is returned.
pub fn merge(
    input: &mut dyn InternalIterator,
    filter: &mut EntryFilter<'_>,
    older_data_elsewhere: &dyn Fn(&[u8], SeqNo) -> bool,
    ctx: DropContext<'_>,
    out: &OutputSpec<'_>,
    next_file_number: &mut dyn FnMut() -> u64,
) -> Result<MergeOutput> {
    let mut result = MergeOutput::default();
    let mut created: Vec<u64> = Vec::new();
    let mut blobs = out.blob.map(|b| BlobSink::new(b, out.fs, out.dir));
    let run = merge_inner(
        input,
        filter,
        older_data_elsewhere,
        ctx,
        out,
        next_file_number,
        &mut result,
        &mut created,
        blobs.as_mut(),
    );
    if let Err(e) = run {
        for number in created {
            let _ = out.fs.remove(&out.dir.join(sst_file_name(number)));
        }
        if let Some(b) = blobs.as_mut() {
            b.remove_created();
        }
        return Err(e);
    }
    if let Some(b) = blobs {
        result.blob_files = b.files;
        result.table_blobs = b.table_uses;
        result.blob_stats = b.stats;
    }
    Ok(result)
}

/// Writes the survivors to output tables, cutting them as the module doc
/// says.
struct Sink<'a, 'o, 'b> {
    out: &'a OutputSpec<'o>,
    cut: GrandparentCut<'a>,
    /// RocksDB's cut rules, when the job has them.
    cutter: Option<OutputCutter<'a>>,
    /// The next of `out.split_points` the current output may not reach.
    next_split: usize,
    current: Option<OpenOutput>,
    last_user_key: Vec<u8>,
    range_out: RangeDelOutput,
    /// Value separation, when the job has it.
    blobs: Option<&'a mut BlobSink<'b>>,
    /// Scratch for an entry rewritten as a blob reference.
    rewritten_key: Vec<u8>,
    blob_value: Vec<u8>,
    /// The next entry added is there only for a live snapshot.
    next_kept_for_snapshot: bool,
    /// Outputs handed to `out.checkpoint` so far.
    checkpointed: usize,
}

impl Sink<'_, '_, '_> {
    /// Appends one entry (in internal-key order after the previous one).
    fn add(
        &mut self,
        ikey: &[u8],
        value: &[u8],
        next_file_number: &mut dyn FnMut() -> u64,
        result: &mut MergeOutput,
        created: &mut Vec<u64>,
    ) -> Result<()> {
        let user_key = key::user_key(ikey);
        let new_user_key = self.current.is_none() || !key::eq_bytes(&self.last_user_key, user_key);
        if new_user_key {
            // RocksDB's cut rules measure an output by the data blocks
            // written so far (its builder's `FileSize`, compaction_outputs.cc);
            // the plain size cut by the whole table as it would be finished.
            // An output without a size limit is not measured.
            let open_size = match (&self.current, &self.cutter) {
                (Some(o), Some(_)) => Some(o.builder.written_size()),
                (Some(o), None) if self.out.max_file_size.is_some() => {
                    Some(o.builder.estimated_size())
                }
                _ => None,
            };
            let rule_cut = self
                .cutter
                .as_mut()
                .is_some_and(|c| c.should_stop_before(ikey, open_size));
            let mut at_split = false;
            while self
                .out
                .split_points
                .get(self.next_split)
                .is_some_and(|p| key::compare_bytes(p, user_key).is_le())
            {
                self.next_split += 1;
                at_split = self.current.is_some();
            }
            if self.current.is_some() {
                let full = open_size.is_some_and(|size| match &self.cutter {
                    Some(c) => size >= c.max_size(),
                    None => self.out.max_file_size.is_some_and(|max| size >= max),
                });
                if full || rule_cut || at_split || self.cut.exceeded_by(user_key) {
                    let mut open = self.current.take().expect("checked above");
                    let below = range_del::successor(&self.last_user_key);
                    result.stats.keys_out += self
                        .range_out
                        .write_below(&mut open.builder, Some(&below))?;
                    finish_output(open, self.out, result, self.blobs.as_deref_mut())?;
                    if let Some(c) = self.cutter.as_mut() {
                        c.on_cut(ikey);
                    }
                    if let Some(hook) = self.out.checkpoint {
                        let sealed = &result.files[self.checkpointed..];
                        // The caller owns them from here, even if the hook
                        // fails: its install may have recorded them.
                        created.retain(|n| !sealed.iter().any(|f| f.number == *n));
                        self.checkpointed = result.files.len();
                        hook.sealed(sealed, user_key)?;
                    }
                }
            }
            if self.current.is_none() {
                self.open(next_file_number, created)?;
                self.cut.begin_output(user_key);
            }
            self.last_user_key.clear();
            self.last_user_key.extend_from_slice(user_key);
        }
        // After the cut: a blob reference counts for the table it lands in.
        let mut write: (&[u8], &[u8]) = (ikey, value);
        if let Some(b) = self.blobs.as_deref_mut() {
            let parsed = key::parse_internal_key(ikey).ok_or_else(|| {
                Error::corruption(self.out.dir, "merge output holds a malformed internal key")
            })?;
            if let Some(kind) = b.map(&parsed, value, next_file_number, &mut self.blob_value)? {
                self.rewritten_key.clear();
                key::append_internal_key(&mut self.rewritten_key, user_key, parsed.seq, kind);
                write = (&self.rewritten_key, &self.blob_value);
            }
        }
        let open = self.current.as_mut().expect("opened above");
        open.kept_for_snapshots |= std::mem::take(&mut self.next_kept_for_snapshot);
        open.builder.add(write.0, write.1)?;
        result.stats.keys_out += 1;
        Ok(())
    }

    fn open(
        &mut self,
        next_file_number: &mut dyn FnMut() -> u64,
        created: &mut Vec<u64>,
    ) -> Result<()> {
        let number = next_file_number();
        let path = self.out.dir.join(sst_file_name(number));
        let file = self.out.fs.create(&path)?;
        created.push(number);
        let mut builder = TableBuilder::new(file, path, self.out.table_options);
        builder.set_origin(number, self.out.db_identity);
        if self.out.marking.active() {
            builder.set_mark_rules(self.out.marking);
        }
        self.current = Some(OpenOutput {
            builder,
            number,
            kept_for_snapshots: false,
        });
        Ok(())
    }

    /// Writes the range tombstones left and finishes the last table.
    fn finish(
        mut self,
        next_file_number: &mut dyn FnMut() -> u64,
        result: &mut MergeOutput,
        created: &mut Vec<u64>,
    ) -> Result<()> {
        if self.current.is_none() && self.range_out.pending() {
            // Only range tombstones survive (or remain): a table of its own.
            self.open(next_file_number, created)?;
        }
        if let Some(mut open) = self.current.take() {
            result.stats.keys_out += self.range_out.write_below(&mut open.builder, None)?;
            finish_output(open, self.out, result, self.blobs.as_deref_mut())?;
        }
        if let Some(b) = self.blobs {
            b.finish()?;
        }
        Ok(())
    }
}

/// Merge operands of one key in one snapshot stripe, newest first, held
/// back until what lies below them in the stripe is known.
struct PendingMerge {
    user_key: Vec<u8>,
    stripe: usize,
    /// `(seq, operand)`, newest first.
    operands: Vec<(SeqNo, Vec<u8>)>,
}

impl PendingMerge {
    fn refs(&self) -> Vec<&[u8]> {
        self.operands
            .iter()
            .rev()
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    /// The entries the operands become: one full value on `base` when the
    /// bottom is known (`Some(base)`), else one combined operand, or all of
    /// them when the operator cannot combine them without a base.
    /// `combine` false keeps every operand apart (another version of the
    /// key lies between them outside the merge).
    fn resolve(
        self,
        op: &dyn MergeOperator,
        base: Option<Option<&[u8]>>,
        combine: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let newest = self.operands[0].0;
        let refs = self.refs();
        let combined = match base {
            _ if !combine => None,
            Some(base) => Some((ValueKind::Value, op.full_merge(&self.user_key, base, &refs))),
            None if refs.len() == 1 => None,
            None => op
                .partial_merge(&self.user_key, &refs)
                .map(|v| (ValueKind::Merge, v)),
        };
        match combined {
            Some((kind, v)) => vec![(key::internal_key(&self.user_key, newest, kind), v)],
            None => self
                .operands
                .into_iter()
                .map(|(seq, v)| (key::internal_key(&self.user_key, seq, ValueKind::Merge), v))
                .collect(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn merge_inner(
    input: &mut dyn InternalIterator,
    filter: &mut EntryFilter<'_>,
    older_data_elsewhere: &dyn Fn(&[u8], SeqNo) -> bool,
    mut ctx: DropContext<'_>,
    out: &OutputSpec<'_>,
    next_file_number: &mut dyn FnMut() -> u64,
    result: &mut MergeOutput,
    created: &mut Vec<u64>,
    blobs: Option<&mut BlobSink<'_>>,
) -> Result<()> {
    let mut tombstone_key: Vec<u8> = Vec::new();
    let range_in_count = ctx.range_tombstones.len() as u64;
    let range_in = FragmentedTombstones::new(std::mem::take(&mut ctx.range_tombstones));
    let (frags, range_dropped) = surviving_range_dels(&range_in, filter, ctx.older_data_in_range);
    result.stats.keys_in += range_in_count;
    result.stats.dropped_tombstones += range_dropped;
    let mut sink = Sink {
        out,
        cut: GrandparentCut {
            files: out.grandparents,
            limit: out.max_grandparent_files,
            start: 0,
            end: 0,
        },
        cutter: out.output_cut.map(|rule| {
            let target = out.max_file_size.unwrap_or(u64::MAX);
            OutputCutter::new(rule, target, out.grandparents)
        }),
        next_split: 0,
        current: None,
        last_user_key: Vec::new(),
        range_out: RangeDelOutput {
            frags,
            next: 0,
            written_below: None,
        },
        blobs,
        rewritten_key: Vec::new(),
        blob_value: Vec::new(),
        next_kept_for_snapshot: false,
        checkpointed: 0,
    };
    let mut pending: Option<PendingMerge> = None;
    let no_operator = || {
        Error::InvalidArgument(format!(
            "{}: merge operands to compact but no merge_operator is set",
            out.dir.display()
        ))
    };

    input.seek_to_first()?;
    while input.valid() {
        let ikey = input.key();
        let parsed = key::parse_internal_key(ikey).ok_or_else(|| {
            Error::corruption(out.dir, "merge input holds a malformed internal key")
        })?;
        result.stats.keys_in += 1;
        if parsed.kind == ValueKind::RangeDelete {
            return Err(Error::corruption(
                out.dir,
                "merge input holds a range tombstone among its point entries",
            ));
        }
        let hidden = |filter: &EntryFilter<'_>| {
            !range_in.is_empty()
                && hidden_by_range_del(&range_in, filter, parsed.user_key, parsed.seq)
        };
        if let Some(p) = pending.take() {
            let op = ctx.merge_operator.ok_or_else(no_operator)?;
            if p.user_key == parsed.user_key && p.stripe == filter.stripe(parsed.seq) {
                // Below operands in their stripe: combine. The filter still
                // sees the entry (it calls it shadowed) to keep its state.
                let _ = filter.decide(&parsed, input.value(), older_data_elsewhere);
                let is_hidden = hidden(filter);
                let base = match parsed.kind {
                    _ if is_hidden => Some(None),
                    ValueKind::Tombstone => Some(None),
                    ValueKind::Value => Some(Some(input.value())),
                    ValueKind::Merge => {
                        let mut p = p;
                        p.operands.push((parsed.seq, input.value().to_vec()));
                        pending = Some(p);
                        input.next()?;
                        continue;
                    }
                    // A value that may expire stays as it is: whether it is
                    // the operands' base depends on when they are read.
                    _ => None,
                };
                // Another version between the base and the operands, outside
                // the merge: keep everything as it is.
                let newest = p.operands[0].0;
                let combine = !(ctx.data_between)(parsed.user_key, parsed.seq, newest);
                let barrier = base.is_none() || !combine;
                write_resolved(
                    p,
                    op,
                    base,
                    combine,
                    &mut sink,
                    next_file_number,
                    result,
                    created,
                )?;
                if barrier && !is_hidden {
                    sink.add(ikey, input.value(), next_file_number, result, created)?;
                } else {
                    result.stats.dropped_shadowed += 1;
                }
                input.next()?;
                continue;
            }
            // The operands reach the bottom of their stripe: a full value
            // when nothing older can exist anywhere.
            flush_pending(
                p,
                op,
                older_data_elsewhere,
                &ctx,
                &mut sink,
                next_file_number,
                result,
                created,
            )?;
        }
        let mut decision = filter.decide(&parsed, input.value(), older_data_elsewhere);
        if matches!(decision, Decision::Keep | Decision::KeepAsTombstone) && hidden(filter) {
            decision = Decision::Drop(DropCause::Shadowed);
        }
        let (write_key, write_value): (&[u8], &[u8]) = match decision {
            Decision::Drop(cause) => {
                match cause {
                    DropCause::Shadowed => result.stats.dropped_shadowed += 1,
                    DropCause::Tombstone => {
                        result.stats.dropped_tombstones += 1;
                        if parsed.kind == ValueKind::Tombstone {
                            result.purged_tombstones.push(parsed.user_key.to_vec());
                        }
                    }
                    DropCause::Expired => result.stats.dropped_expired += 1,
                }
                input.next()?;
                continue;
            }
            Decision::Keep if parsed.kind == ValueKind::Merge => {
                ctx.merge_operator.ok_or_else(no_operator)?;
                pending = Some(PendingMerge {
                    user_key: parsed.user_key.to_vec(),
                    stripe: filter.stripe(parsed.seq),
                    operands: vec![(parsed.seq, input.value().to_vec())],
                });
                input.next()?;
                continue;
            }
            Decision::Keep => {
                sink.next_kept_for_snapshot = filter.kept_for_snapshot();
                (ikey, input.value())
            }
            Decision::KeepAsTombstone => {
                sink.next_kept_for_snapshot = filter.kept_for_snapshot();
                tombstone_key.clear();
                key::append_internal_key(
                    &mut tombstone_key,
                    parsed.user_key,
                    parsed.seq,
                    ValueKind::Tombstone,
                );
                (&tombstone_key, &[])
            }
        };
        sink.add(write_key, write_value, next_file_number, result, created)?;
        input.next()?;
    }
    if let Some(p) = pending.take() {
        let op = ctx.merge_operator.ok_or_else(no_operator)?;
        flush_pending(
            p,
            op,
            older_data_elsewhere,
            &ctx,
            &mut sink,
            next_file_number,
            result,
            created,
        )?;
    }
    sink.finish(next_file_number, result, created)
}

/// Writes operands that reach the bottom of their stripe in the merge: a
/// full value when nothing older can exist anywhere, else combined into one
/// operand when no outside version lies between them, else as they are.
#[allow(clippy::too_many_arguments)]
fn flush_pending(
    p: PendingMerge,
    op: &dyn MergeOperator,
    older_data_elsewhere: &dyn Fn(&[u8], SeqNo) -> bool,
    ctx: &DropContext<'_>,
    sink: &mut Sink<'_, '_, '_>,
    next_file_number: &mut dyn FnMut() -> u64,
    result: &mut MergeOutput,
    created: &mut Vec<u64>,
) -> Result<()> {
    let oldest = p.operands.last().expect("at least one").0;
    let newest = p.operands[0].0;
    let combine = !(ctx.data_between)(&p.user_key, oldest, newest);
    let bottom = combine && p.stripe == 0 && !older_data_elsewhere(&p.user_key, oldest);
    write_resolved(
        p,
        op,
        bottom.then_some(None),
        combine,
        sink,
        next_file_number,
        result,
        created,
    )
}

/// Writes what the operands resolve to (see [`PendingMerge::resolve`]);
/// the operands folded into fewer entries count as shadowed.
#[allow(clippy::too_many_arguments)]
fn write_resolved(
    p: PendingMerge,
    op: &dyn MergeOperator,
    base: Option<Option<&[u8]>>,
    combine: bool,
    sink: &mut Sink<'_, '_, '_>,
    next_file_number: &mut dyn FnMut() -> u64,
    result: &mut MergeOutput,
    created: &mut Vec<u64>,
) -> Result<()> {
    let operands = p.operands.len() as u64;
    let entries = p.resolve(op, base, combine);
    result.stats.dropped_shadowed += operands - entries.len() as u64;
    for (k, v) in entries {
        sink.add(&k, &v, next_file_number, result, created)?;
    }
    Ok(())
}

fn finish_output(
    open: OpenOutput,
    out: &OutputSpec<'_>,
    result: &mut MergeOutput,
    blobs: Option<&mut BlobSink<'_>>,
) -> Result<()> {
    if let Some(b) = blobs {
        b.end_table(open.number);
    }
    let kept_for_snapshots = open.kept_for_snapshots;
    let summary: TableSummary = open.builder.finish()?;
    result.stats.bytes_written += summary.size;
    result.stats.output_files += 1;
    result.files.push(FileMeta {
        number: open.number,
        size: summary.size,
        smallest: summary.smallest,
        largest: summary.largest,
        entries: summary.entries,
        tombstones: summary.tombstones,
        smallest_seq: summary.smallest_seq,
        largest_seq: summary.largest_seq,
        max_expiry_ms: summary.max_expiry_ms,
        oldest_time_ms: out.oldest_time_ms,
        newest_time_ms: out.newest_time_ms,
        marks: summary.marks,
        created_ms: out.created_ms,
        kept_for_snapshots,
        oldest_tombstone_ms: out.oldest_tombstone_ms.filter(|_| summary.tombstones > 0),
        narrowed: false,
    });
    Ok(())
}
