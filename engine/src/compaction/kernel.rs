//! The merge kernel: the only code that reads entries and writes SSTables,
//! for flushes and for every compaction policy alike.
//!
//! Input: one iterator in internal-key order (a merge of the job's files, or
//! a memtable). Each entry passes the [`EntryFilter`]; survivors go to
//! output tables, cut at `max_file_size` and before a table would overlap
//! more than `max_grandparent_files` files of the level below the output.
//! Cuts fall only between user keys, so all versions of a key share a file.
//!
//! Value separation hooks in per kept entry ([`BlobSink::map`]): large
//! values go to blob files, references pass through or are relocated out of
//! old blob files, and each output table's references are counted.

use std::path::Path;
use std::sync::Arc;

use super::filter::{Decision, DropCause, EntryFilter};
use crate::blob::{BlobFileMeta, BlobSettings, BlobSink, BlobUses, BlobWriteStats};
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::iter::InternalIterator;
use crate::key::{self, SeqNo, ValueKind};
use crate::sst::{TableBuilder, TableOptions, TableSummary};
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
    /// Cut outputs at this size; `None` writes a single table.
    pub max_file_size: Option<u64>,
    /// Files of the level below the output, sorted by key, for the
    /// grandparent cut.
    pub grandparents: &'a [Arc<FileMeta>],
    pub max_grandparent_files: Option<usize>,
    /// Clock times recorded in the outputs' metadata.
    pub oldest_time_ms: u64,
    pub newest_time_ms: u64,
    /// Value separation and blob garbage collection; `None` writes values
    /// as they come and counts no blob references.
    pub blob: Option<BlobSettings<'a>>,
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

/// What a merge has created so far, removed if it fails.
struct Written<'s> {
    /// Numbers of the tables created.
    tables: Vec<u64>,
    /// Value separation state (and the blob files it created).
    blobs: Option<BlobSink<'s>>,
}

struct OpenOutput {
    builder: TableBuilder,
    number: u64,
}

/// Runs the kernel: reads `input` from its first entry to its end, applies
/// the drop rules and writes the survivors.
///
/// `older_data_elsewhere(user_key, seq)` says whether data not in `input`
/// may hold a version of the key older than `seq` (then tombstones stay).
/// `next_file_number` allocates output file numbers. On error, the tables
/// already written are removed (best effort) and nothing is returned.
pub fn merge(
    input: &mut dyn InternalIterator,
    filter: &mut EntryFilter<'_>,
    older_data_elsewhere: &dyn Fn(&[u8], SeqNo) -> bool,
    out: &OutputSpec<'_>,
    next_file_number: &mut dyn FnMut() -> u64,
) -> Result<MergeOutput> {
    let mut result = MergeOutput::default();
    let mut written = Written {
        tables: Vec::new(),
        blobs: out.blob.map(|b| BlobSink::new(b, out.fs, out.dir)),
    };
    let run = merge_inner(
        input,
        filter,
        older_data_elsewhere,
        out,
        next_file_number,
        &mut result,
        &mut written,
    );
    if let Err(e) = run {
        for number in written.tables {
            let _ = out.fs.remove(&out.dir.join(sst_file_name(number)));
        }
        if let Some(b) = written.blobs.as_mut() {
            b.remove_created();
        }
        return Err(e);
    }
    if let Some(b) = written.blobs {
        result.blob_files = b.files;
        result.table_blobs = b.table_uses;
        result.blob_stats = b.stats;
    }
    Ok(result)
}

fn merge_inner(
    input: &mut dyn InternalIterator,
    filter: &mut EntryFilter<'_>,
    older_data_elsewhere: &dyn Fn(&[u8], SeqNo) -> bool,
    out: &OutputSpec<'_>,
    next_file_number: &mut dyn FnMut() -> u64,
    result: &mut MergeOutput,
    written: &mut Written<'_>,
) -> Result<()> {
    let created = &mut written.tables;
    let mut blobs = written.blobs.as_mut();
    let mut cut = GrandparentCut {
        files: out.grandparents,
        limit: out.max_grandparent_files,
        start: 0,
        end: 0,
    };
    let mut current: Option<OpenOutput> = None;
    let mut last_user_key: Vec<u8> = Vec::new();
    let mut rewritten_key: Vec<u8> = Vec::new();
    let mut blob_value: Vec<u8> = Vec::new();

    input.seek_to_first()?;
    while input.valid() {
        let ikey = input.key();
        let parsed = key::parse_internal_key(ikey).ok_or_else(|| {
            Error::corruption(out.dir, "merge input holds a malformed internal key")
        })?;
        result.stats.keys_in += 1;
        let decision = filter.decide(&parsed, input.value(), older_data_elsewhere);
        if let Decision::Drop(cause) = decision {
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

        let new_user_key = current.is_none() || last_user_key != parsed.user_key;
        if new_user_key {
            if let Some(open) = &current {
                let full = out
                    .max_file_size
                    .is_some_and(|max| open.builder.estimated_size() >= max);
                if full || cut.exceeded_by(parsed.user_key) {
                    let open = current.take().expect("checked above");
                    finish_output(open, out, result, blobs.as_deref_mut())?;
                }
            }
            if current.is_none() {
                let number = next_file_number();
                let path = out.dir.join(sst_file_name(number));
                let file = out.fs.create(&path)?;
                created.push(number);
                cut.begin_output(parsed.user_key);
                current = Some(OpenOutput {
                    builder: TableBuilder::new(file, path, out.table_options),
                    number,
                });
            }
            last_user_key.clear();
            last_user_key.extend_from_slice(parsed.user_key);
        }
        // After the cut: a blob reference counts for the table it lands in.
        let rewrite = match decision {
            Decision::KeepAsTombstone => Some(ValueKind::Tombstone),
            _ => match blobs.as_deref_mut() {
                Some(b) => b.map(&parsed, input.value(), next_file_number, &mut blob_value)?,
                None => None,
            },
        };
        let (write_key, write_value): (&[u8], &[u8]) = match rewrite {
            None => (ikey, input.value()),
            Some(kind) => {
                rewritten_key.clear();
                key::append_internal_key(&mut rewritten_key, parsed.user_key, parsed.seq, kind);
                let value: &[u8] = if kind == ValueKind::Tombstone {
                    &[]
                } else {
                    &blob_value
                };
                (&rewritten_key, value)
            }
        };
        let open = current.as_mut().expect("opened above");
        open.builder.add(write_key, write_value)?;
        result.stats.keys_out += 1;
        input.next()?;
    }
    if let Some(open) = current.take() {
        finish_output(open, out, result, blobs.as_deref_mut())?;
    }
    if let Some(b) = blobs {
        b.finish()?;
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
    });
    Ok(())
}
