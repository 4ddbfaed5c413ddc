//! Flushes and merges split in three: gathered under the database lock
//! (`prepare`), run without it (`execute`: the merge kernel reading input
//! tables and writing outputs), installed under it again (`finish`). The
//! deterministic mode runs the three back to back; background workers let
//! writes and reads go on during `execute`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::view::MemtableCell;
use super::Inner;
use crate::blob::{BlobSet, BlobSettings};
use crate::compaction::{
    merge, Checkpoint, DropContext, EntryFilter, FallbackParams, FlushSpan, Job, MergeOutput,
    OutputSpec,
};
use crate::error::Result;
use crate::fs::Fs;
use crate::iter::InternalIterator;
use crate::key::SeqNo;
use crate::merge_iter::MergingIterator;
use crate::merge_op::MergeOperatorChoice;
use crate::range_del::RangeTombstone;
use crate::sst::{MarkRules, Table, TableOptions};
use crate::version::Version;

/// Hands out file numbers without the database lock.
pub(super) type FileNumbers = Arc<AtomicU64>;

/// What every piece of work needs to write tables.
struct Context {
    version: Arc<Version>,
    snapshots: Vec<SeqNo>,
    now_ms: u64,
    table_options: TableOptions,
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    files: FileNumbers,
    db_identity: Option<Vec<u8>>,
    merge_operator: MergeOperatorChoice,
    /// The version's open blob files.
    blobs: Arc<BlobSet>,
    min_blob_size: u64,
    blob_file_size: u64,
    /// Marks outputs for compaction from their deletions.
    marking: MarkRules,
    /// Record each output's creation time (periodic compaction is on).
    record_created: bool,
    /// Outputs' snapshot-kept flags matter (bottommost-files compaction is
    /// on); remote results do not carry them.
    snapshot_flags: bool,
    /// Record each output's oldest tombstone time (delete persistence is
    /// on).
    record_tombstone_times: bool,
}

impl Context {
    fn run(
        &self,
        input: &mut dyn InternalIterator,
        range_tombstones: Vec<RangeTombstone>,
        excluded: &HashSet<u64>,
        shape: OutputShape<'_>,
    ) -> Result<MergeOutput> {
        let mut filter = EntryFilter::new(&self.snapshots, self.now_ms);
        let version = &self.version;
        let older =
            |k: &[u8], seq: SeqNo| super::compact::may_hold_older(version, k, seq, excluded);
        let older_in_range = |lo: &[u8], hi: &[u8], seq: SeqNo| {
            super::compact::may_hold_older_in_range(version, lo, hi, seq, excluded)
        };
        let between = |k: &[u8], lo: SeqNo, hi: SeqNo| {
            super::compact::may_hold_between(version, k, lo, hi, excluded)
        };
        let drop_ctx = DropContext {
            range_tombstones,
            older_data_in_range: &older_in_range,
            merge_operator: self.merge_operator.get(),
            data_between: &between,
        };
        let spec = OutputSpec {
            fs: self.fs.as_ref(),
            dir: &self.dir,
            table_options: self.table_options,
            max_file_size: shape.max_file_size,
            grandparents: shape.grandparents,
            max_grandparent_files: shape.max_grandparent_files,
            output_cut: shape.output_cut,
            split_points: shape.split_points,
            oldest_time_ms: shape.oldest_time_ms,
            newest_time_ms: shape.newest_time_ms,
            db_identity: self.db_identity.as_deref(),
            // Without value separation and without blob files no entry is,
            // or becomes, a blob reference: the sink would only look.
            blob: (self.min_blob_size > 0 || !self.blobs.is_empty()).then(|| BlobSettings {
                min_blob_size: self.min_blob_size,
                blob_file_size: self.blob_file_size,
                relocate_below: shape.relocate_blobs_below,
                blobs: &self.blobs,
            }),
            marking: self.marking,
            created_ms: self.record_created.then_some(self.now_ms),
            oldest_tombstone_ms: shape
                .oldest_tombstone_ms
                .filter(|_| self.record_tombstone_times),
            checkpoint: shape.checkpoint,
        };
        let files = &self.files;
        let out = merge(input, &mut filter, &older, drop_ctx, &spec, &mut || {
            files.fetch_add(1, Ordering::Relaxed)
        })?;
        if !out.files.is_empty() || !out.blob_files.is_empty() {
            self.fs.sync_dir(&self.dir)?;
        }
        Ok(out)
    }
}

struct OutputShape<'a> {
    max_file_size: Option<u64>,
    grandparents: &'a [Arc<crate::version::FileMeta>],
    max_grandparent_files: Option<usize>,
    output_cut: Option<&'a crate::compaction::OutputCut>,
    split_points: &'a [Vec<u8>],
    oldest_time_ms: u64,
    newest_time_ms: u64,
    /// The oldest flush time of the inputs holding tombstones (for Lethe's
    /// delete persistence), when any does.
    oldest_tombstone_ms: Option<u64>,
    /// Blob garbage collection: live blobs of files numbered below this are
    /// relocated.
    relocate_blobs_below: Option<u64>,
    /// Installs sealed outputs as the merge goes (see `release`).
    checkpoint: Option<&'a dyn Checkpoint>,
}

/// A merge compaction ready to run: its job, its open input tables and the
/// state it decides against.
pub(super) struct MergeWork {
    pub job: Job,
    tables: Vec<Arc<Table>>,
    ctx: Context,
    /// Where the merge runs when not here (see [`super::remote`]); `None`
    /// for jobs that touch blob references, range tombstones or merge
    /// operands: those run locally.
    service: Option<Arc<dyn crate::remote::CompactionService>>,
    remote_counters: Arc<super::remote::RemoteCounters>,
    /// See [`OutputShape::relocate_blobs_below`].
    relocate_blobs_below: Option<u64>,
    /// The policy releases inputs as the merge passes them and the job
    /// allows it (see `release`): `execute` is given a checkpoint.
    pub releases_inputs_early: bool,
}

impl MergeWork {
    /// Reads the inputs through the merge kernel and writes the outputs,
    /// not yet installed but for those `checkpoint` installed as it went.
    pub(super) fn execute(&self, checkpoint: Option<&dyn Checkpoint>) -> Result<MergeOutput> {
        if let (Some(service), None) = (&self.service, checkpoint) {
            if let Some(out) = super::remote::run_remote(self, service.as_ref()) {
                return Ok(out);
            }
        }
        self.execute_here(checkpoint)
    }

    /// The job's version, directory and file numbers, for the remote path.
    pub(super) fn parts(&self) -> (&Arc<Version>, &dyn Fs, &std::path::Path, &FileNumbers) {
        (
            &self.ctx.version,
            self.ctx.fs.as_ref(),
            &self.ctx.dir,
            &self.ctx.files,
        )
    }

    pub(super) fn snapshots_and_now(&self) -> (&[SeqNo], u64, TableOptions) {
        (&self.ctx.snapshots, self.ctx.now_ms, self.ctx.table_options)
    }

    /// The database's identity, which outputs must not contradict.
    pub(super) fn db_identity(&self) -> Option<&[u8]> {
        self.ctx.db_identity.as_deref()
    }

    pub(super) fn remote_counters(&self) -> &super::remote::RemoteCounters {
        &self.remote_counters
    }

    /// Runs the merge on this thread.
    fn execute_here(&self, checkpoint: Option<&dyn Checkpoint>) -> Result<MergeOutput> {
        let children: Vec<Box<dyn InternalIterator>> = self
            .tables
            .iter()
            .map(|t| Box::new(t.iter()) as Box<dyn InternalIterator>)
            .collect();
        let mut input = MergingIterator::new(children);
        let excluded: HashSet<u64> = self.job.input_files().map(|(_, f)| f.number).collect();
        let v = &self.ctx.version;
        // The first level below the output holding keys of the job's range.
        let grandparents = match self.job.user_key_range() {
            Some((lo, hi)) => (self.job.output_level + 1..v.num_levels())
                .map(|l| v.overlapping_files(l, &lo, &hi))
                .find(|files| !files.is_empty())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let files = || self.job.input_files().map(|(_, f)| f);
        let shape = OutputShape {
            max_file_size: self.job.max_output_file_size,
            grandparents: &grandparents,
            max_grandparent_files: self.job.max_grandparent_files,
            output_cut: self.job.output_cut.as_ref(),
            split_points: &self.job.split_points,
            oldest_time_ms: files()
                .map(|f| f.oldest_time_ms)
                .min()
                .unwrap_or(self.ctx.now_ms),
            newest_time_ms: files()
                .map(|f| f.newest_time_ms)
                .max()
                .unwrap_or(self.ctx.now_ms),
            oldest_tombstone_ms: files()
                .filter(|f| f.tombstones > 0)
                .map(|f| f.oldest_tombstone_ms.unwrap_or(f.oldest_time_ms))
                .min(),
            relocate_blobs_below: self.relocate_blobs_below,
            checkpoint,
        };
        let range_tombstones = self
            .tables
            .iter()
            .flat_map(|t| t.raw_range_tombstones().iter().cloned())
            .collect();
        self.ctx.run(&mut input, range_tombstones, &excluded, shape)
    }
}

/// The flush of the oldest immutable memtable, ready to run.
pub(super) struct FlushWork {
    mem: Arc<MemtableCell>,
    /// Where the policy cuts the output into files (one L0 run).
    split_points: Vec<Vec<u8>>,
    oldest_ms: u64,
    newest_ms: u64,
    ctx: Context,
}

impl FlushWork {
    /// Writes the memtable's surviving entries to L0 tables cut at the
    /// policy's split points (none when everything in it was dropped or it
    /// was empty).
    pub(super) fn execute(&self) -> Result<MergeOutput> {
        // Read-locked, uncontended: nothing writes an immutable memtable.
        let mem = self.mem.read();
        if mem.is_empty() {
            return Ok(MergeOutput::default());
        }
        // The memtable is immutable here: the merge reads it in place.
        let mut input = mem.cursor();
        let shape = OutputShape {
            max_file_size: None,
            grandparents: &[],
            max_grandparent_files: None,
            output_cut: None,
            split_points: &self.split_points,
            oldest_time_ms: self.oldest_ms,
            newest_time_ms: self.newest_ms,
            oldest_tombstone_ms: Some(self.oldest_ms),
            relocate_blobs_below: None,
            checkpoint: None,
        };
        let range_tombstones = mem.range_tombstones().to_vec();
        self.ctx
            .run(&mut input, range_tombstones, &HashSet::new(), shape)
    }
}

impl Inner {
    fn work_context(&self) -> Context {
        let fallbacks = FallbackParams::from_options(&self.opts.compaction);
        Context {
            version: self.version.clone(),
            snapshots: self.snapshot_seqs(),
            now_ms: self.now_ms(),
            table_options: TableOptions::from(&self.opts),
            fs: self.env.fs.clone(),
            dir: self.dir.clone(),
            files: self.files.clone(),
            db_identity: self.manifest.lineage().db_id.clone(),
            merge_operator: self.opts.merge_operator.clone(),
            blobs: self.blobs.clone(),
            min_blob_size: self.opts.min_blob_size,
            blob_file_size: self.opts.blob_file_size,
            marking: fallbacks.marking,
            record_created: fallbacks.periodic_ms > 0,
            snapshot_flags: fallbacks.bottommost,
            record_tombstone_times: fallbacks.delete_persistence_ms > 0,
        }
    }

    /// Opens the inputs of a merge job and captures what it decides against.
    pub(super) fn prepare_merge(&mut self, job: Job) -> Result<MergeWork> {
        let mut tables = Vec::with_capacity(job.input_file_count());
        for (_, f) in job.input_files() {
            tables.push(self.table(f)?);
        }
        let relocate_blobs_below = if self.opts.enable_blob_garbage_collection {
            crate::blob::garbage::relocation_cutoff(
                self.version.blob_files(),
                self.opts.blob_garbage_collection_age_cutoff,
            )
        } else {
            None
        };
        let touches_blobs = self.opts.min_blob_size > 0
            || job
                .input_files()
                .any(|(_, f)| !self.version.table_blobs(f.number).is_empty());
        // What a remote job does not carry keeps the job here: range
        // tombstones, merge operands, marking rules, creation times and
        // snapshot-kept flags.
        let ctx = self.work_context();
        let range_tombstones = tables.iter().any(|t| !t.raw_range_tombstones().is_empty());
        // Released early: outputs of a job without blob references or
        // range tombstones (whose records span the cuts).
        let releases_inputs_early =
            self.strategy.releases_inputs_early() && !touches_blobs && !range_tombstones;
        let narrowed_inputs = job.input_files().any(|(_, f)| f.narrowed);
        let needs_writer = releases_inputs_early
            || narrowed_inputs
            || touches_blobs
            || self.opts.merge_operator.get().is_some()
            || ctx.marking.active()
            || ctx.record_created
            || ctx.snapshot_flags
            || ctx.record_tombstone_times
            || range_tombstones;
        Ok(MergeWork {
            releases_inputs_early,
            job,
            tables,
            ctx,
            relocate_blobs_below,
            service: self.service.clone().filter(|_| !needs_writer),
            remote_counters: self.remote_counters.clone(),
        })
    }

    /// The flush of the oldest immutable memtable, if there is one.
    pub(super) fn prepare_flush(&self) -> Option<FlushWork> {
        let imm = self.imm.front()?;
        let mem = imm.mem.read();
        let split_points = match mem.user_key_range() {
            Some((smallest, largest)) => self.strategy.flush_split_points(
                &self.version,
                &self.opts,
                &FlushSpan {
                    smallest: &smallest,
                    largest: &largest,
                    bytes: mem.approximate_bytes(),
                },
            ),
            None => Vec::new(),
        };
        Some(FlushWork {
            mem: imm.mem.clone(),
            split_points,
            oldest_ms: imm.oldest_ms,
            newest_ms: imm.newest_ms,
            ctx: self.work_context(),
        })
    }
}
