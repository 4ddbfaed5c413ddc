//! Running compaction jobs: pick, execute through the merge kernel (or as a
//! pure manifest edit), install atomically, then delete the inputs.

use std::collections::HashSet;
use std::sync::Arc;

use super::job_log::JobEvent;
use super::release::{InlineRelease, Released};
use super::schedule::RunningJob;
use super::{Db, Inner, LevelStatsRow, LevelStatsTable};
use crate::compaction::{Job, JobKind, MergeOutput, MergeStats, PickContext, Reason};
use crate::error::{Error, Result};
use crate::key::SeqNo;
use crate::options::Mode;
use crate::version::{FileMeta, Version, VersionEdit};

/// Jobs in a row after which compaction is declared not to converge.
const MAX_JOBS_PER_ROUND: usize = 100_000;

/// True when a file outside `excluded`, anywhere in `version`, may hold a
/// version of `user_key` older than `seq`.
pub(crate) fn may_hold_older(
    version: &Version,
    user_key: &[u8],
    seq: SeqNo,
    excluded: &HashSet<u64>,
) -> bool {
    let candidate =
        |f: &crate::version::FileMeta| !excluded.contains(&f.number) && f.smallest_seq < seq;
    (0..version.num_levels()).any(|level| {
        version
            .runs(level)
            .iter()
            .any(|run| run.file_for_key(user_key).is_some_and(|f| candidate(f)))
    })
}

/// True when a file outside `excluded`, anywhere in `version`, may hold a
/// version older than `seq` of a key in `[lo, hi)`.
pub(crate) fn may_hold_older_in_range(
    version: &Version,
    lo: &[u8],
    hi: &[u8],
    seq: SeqNo,
    excluded: &HashSet<u64>,
) -> bool {
    (0..version.num_levels()).any(|level| {
        version.runs(level).iter().any(|run| {
            // `overlapping` is inclusive of `hi`: one key too many at most.
            run.overlapping(lo, hi)
                .iter()
                .any(|f| !excluded.contains(&f.number) && f.smallest_seq < seq)
        })
    })
}

/// True when a file outside `excluded`, anywhere in `version`, may hold a
/// version of `user_key` with a sequence in `[lo, hi]`.
pub(crate) fn may_hold_between(
    version: &Version,
    user_key: &[u8],
    lo: SeqNo,
    hi: SeqNo,
    excluded: &HashSet<u64>,
) -> bool {
    (0..version.num_levels()).any(|level| {
        version.runs(level).iter().any(|run| {
            run.file_for_key(user_key).is_some_and(|f| {
                !excluded.contains(&f.number) && f.smallest_seq <= hi && f.largest_seq >= lo
            })
        })
    })
}

/// What one job did, for callers that asked for it (manual compactions).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobReport {
    pub input_files: u64,
    pub output_files: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub stats: MergeStats,
}

impl Db {
    /// Bytes compaction still has to rewrite (see
    /// [`crate::compaction::Strategy::pending_compaction_bytes`]).
    pub fn pending_compaction_bytes(&self) -> u64 {
        let inner = self.lock();
        inner
            .strategy
            .pending_compaction_bytes(&inner.version, &inner.opts)
    }

    /// Runs compaction until the policy picks nothing more, waiting on the
    /// clock for any I/O budget it needs (with a virtual clock, simulated
    /// time moves forward). The files the work deleted are closed, and
    /// their space freed, before this returns, but for those a reader
    /// still holds (an open iterator, a lookup in flight).
    pub fn compact(&self) -> Result<()> {
        let inner = self.lock();
        inner.check_writable()?;
        let done = |i: &Inner| i.sched.running.is_empty() && i.imm.is_empty();
        let mut inner = super::driver::wait_until(&self.shared, inner, done)?;
        while inner.retired.any_closing() {
            inner = self.shared.wait(inner);
        }
        super::background::unlock(inner);
        Ok(())
    }

    /// Flushes the memtable and merges every sorted run of every level into
    /// one run at the deepest level holding data, whatever the policy:
    /// RocksDB's `CompactRange` over the whole key space. Data only in L0
    /// (the tiered policies keep all their runs there) becomes one L0 run.
    /// Returns once background work is done.
    pub fn compact_all(&self) -> Result<()> {
        self.flush()?;
        // Background work done: no file of the merge is busy.
        self.compact()?;
        {
            let mut inner = self.lock();
            inner.check_writable()?;
            let version = inner.version.clone();
            let levels: Vec<usize> = (0..version.num_levels())
                .filter(|&l| !version.files(l).is_empty())
                .collect();
            let runs: usize = levels.iter().map(|&l| version.runs(l).len()).sum();
            let Some(&deepest) = levels.last() else {
                return Ok(());
            };
            if runs <= 1 {
                return Ok(());
            }
            let busy: HashSet<u64> = inner.sched.busy_files().collect();
            if levels
                .iter()
                .any(|&l| version.files(l).iter().any(|f| busy.contains(&f.number)))
            {
                return Err(Error::InvalidArgument(
                    "files are being compacted; try again when background work is done".into(),
                ));
            }
            let inputs = levels
                .iter()
                .flat_map(|&l| crate::compaction::job_inputs_by_run(&version, l, version.files(l)))
                .collect();
            let job = manual_merge(inputs, deepest, None, true, inner.opts.base_file_size);
            inner.run_job(job)?;
        }
        self.compact()
    }

    /// Merges every file of `source_level` with the overlapping files of
    /// `source_level + 1` into `source_level + 1`, whatever the policy. An
    /// empty source level does nothing.
    pub fn compact_level(&self, source_level: usize) -> Result<JobReport> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let num_levels = inner.version.num_levels();
        if source_level + 1 >= num_levels {
            return Err(Error::InvalidArgument(format!(
                "cannot compact L{source_level} into L{}: levels are L0..L{}",
                source_level + 1,
                num_levels - 1
            )));
        }
        let version = inner.version.clone();
        let files = version.files(source_level).to_vec();
        if files.is_empty() {
            return Ok(JobReport::default());
        }
        let busy: HashSet<u64> = inner.sched.busy_files().collect();
        if files.iter().any(|f| busy.contains(&f.number)) {
            return Err(Error::InvalidArgument(format!(
                "L{source_level} files are being compacted; try again when background work is done"
            )));
        }
        let (lo, hi) = files.iter().fold(
            (files[0].smallest_user_key(), files[0].largest_user_key()),
            |(lo, hi), f| (lo.min(f.smallest_user_key()), hi.max(f.largest_user_key())),
        );
        let next = version.overlapping_files(source_level + 1, lo, hi);
        if next.iter().any(|f| busy.contains(&f.number)) {
            return Err(Error::InvalidArgument(format!(
                "L{} files are being compacted; try again when background work is done",
                source_level + 1
            )));
        }
        let mut inputs = crate::compaction::job_inputs_by_run(&version, source_level, &files);
        inputs.extend(crate::compaction::job_inputs_by_run(
            &version,
            source_level + 1,
            &next,
        ));
        let output_runs = version.runs(source_level + 1);
        if output_runs.len() > 1 {
            return Err(Error::InvalidArgument(format!(
                "L{} holds {} sorted runs; compact_level merges into a level of one run",
                source_level + 1,
                output_runs.len()
            )));
        }
        let job = manual_merge(
            inputs,
            source_level + 1,
            output_runs.first().map(|r| r.id()),
            false,
            inner.opts.base_file_size,
        );
        inner.run_job(job)
    }
}

/// A merge a user asked for (`Reason::Manual`), of `inputs` into
/// `output_level`: into the run `output_run`, or a new one.
fn manual_merge(
    inputs: Vec<crate::compaction::JobInput>,
    output_level: usize,
    output_run: Option<u64>,
    bottommost: bool,
    max_output_file_size: u64,
) -> Job {
    Job {
        kind: JobKind::Merge,
        inputs,
        output_level,
        output_run,
        reason: Reason::Manual,
        bottommost,
        max_output_file_size: Some(max_output_file_size),
        max_grandparent_files: None,
        output_cut: None,
        cursor_update: None,
        split_points: Vec::new(),
    }
}

impl Inner {
    pub(super) fn snapshot_seqs(&self) -> Vec<SeqNo> {
        self.snapshots.sequences()
    }

    /// Moves background work forward to the clock's time: grants the I/O
    /// budget earned since the last call, completes the flushes and jobs it
    /// pays for (oldest first), and starts new jobs while slots are free and
    /// the strategy finds work. With unlimited budgets this runs flushes and
    /// compactions to quiescence on the spot.
    pub(super) fn pump(&mut self) -> Result<()> {
        if self.opts.mode == Mode::Background {
            // The workers do the work.
            return Ok(());
        }
        let now = self.now_ms();
        self.sched.flush_bucket.refill(now);
        self.sched.compaction_bucket.refill(now);
        for _ in 0..MAX_JOBS_PER_ROUND {
            let mut progressed = false;
            while let Some(remaining) = self.sched.flush_remaining {
                let granted = self.sched.flush_bucket.take(remaining);
                if granted < remaining {
                    self.sched.flush_remaining = Some(remaining - granted);
                    break;
                }
                self.sched.flush_remaining = Some(0);
                self.flush_oldest()?;
                progressed = true;
            }
            let mut i = 0;
            while i < self.sched.running.len() {
                let r = &mut self.sched.running[i];
                r.remaining -= self.sched.compaction_bucket.take(r.remaining);
                if r.remaining == 0 {
                    let job = self.sched.running.remove(i).job;
                    self.run_job(job)?;
                    progressed = true;
                } else {
                    i += 1;
                }
            }
            while self.start_next_job(now).is_some() {
                progressed = true;
            }
            if !progressed {
                self.sched.flush_bucket.settle();
                self.sched.compaction_bucket.settle();
                return Ok(());
            }
        }
        Err(self.fail(Error::InvalidArgument(format!(
            "compaction policy {} did not reach quiescence after {MAX_JOBS_PER_ROUND} jobs",
            self.strategy.name()
        ))))
    }

    /// True when compaction may start a job now: automatic compaction on,
    /// the database writable, a slot free, and the strategy not known to
    /// have nothing to do (no edit since it last said so, and its wake-up
    /// time, if any, not reached).
    pub(super) fn may_start_job(&self, now_ms: u64) -> bool {
        let quiet = self.quiet.is_some_and(|q| {
            q.epoch == self.epoch
                && q.wake_ms.is_none_or(|t| now_ms < t)
                && q.oldest_snapshot == self.snapshots.oldest()
        });
        self.opts.auto_compaction
            && self.failed.is_none()
            && self.sched.running.len() < self.opts.max_background_jobs
            && !quiet
    }

    /// The one place jobs start, in both modes: asks the strategy for the
    /// next job and registers it as running (metered against the I/O budget
    /// in the deterministic mode). `None` when no job may or does start;
    /// then, if the strategy found nothing, it is not asked again until the
    /// next edit or its wake-up time.
    pub(super) fn start_next_job(&mut self, now_ms: u64) -> Option<(Job, u64)> {
        if !self.may_start_job(now_ms) {
            return None;
        }
        let busy: HashSet<u64> = self.sched.busy_files().collect();
        let oldest_snapshot = self.snapshots.oldest();
        let ctx = PickContext {
            options: &self.opts,
            busy: &busy,
            now_ms,
            last_level: self.last_level,
            oldest_snapshot,
        };
        let picked = self
            .strategy
            .pick(&self.version, &ctx)
            .or_else(|| self.forced_blob_gc_job(&busy));
        let Some(job) = picked else {
            self.quiet = Some(super::Quiet {
                epoch: self.epoch,
                wake_ms: self.strategy.next_wakeup_ms(&self.version, &ctx),
                oldest_snapshot,
            });
            return None;
        };
        self.last_level = job.inputs.first().map(|i| i.level);
        let remaining = match (self.opts.mode, job.kind) {
            (Mode::Deterministic, JobKind::Merge) => 2 * job.input_bytes(),
            _ => 0,
        };
        let id = self.sched.next_id();
        self.sched.running.push(RunningJob {
            job: job.clone(),
            remaining,
            id,
            held: Vec::new(),
        });
        Some((job, id))
    }

    /// RocksDB's forced blob garbage collection, for every policy alike:
    /// when the oldest blob file is within the age cutoff and its garbage
    /// ratio reached the force threshold, one table referencing it (the
    /// first not busy, top level first) is rewritten in place, in its own
    /// sorted run, relocating its live blobs. Asked after the policy found
    /// nothing to do.
    fn forced_blob_gc_job(&self, busy: &HashSet<u64>) -> Option<Job> {
        let o = &self.opts;
        if !o.enable_blob_garbage_collection {
            return None;
        }
        let target = crate::blob::garbage::forced_target(
            self.version.blob_files(),
            o.blob_garbage_collection_age_cutoff,
            o.blob_garbage_collection_force_threshold,
        )?;
        let v = &self.version;
        for level in 0..v.num_levels() {
            for run in v.runs(level) {
                let hit = run.files().iter().find(|f| {
                    !busy.contains(&f.number)
                        && v.table_blobs(f.number).iter().any(|u| u.file == target)
                });
                if let Some(f) = hit {
                    return Some(Job {
                        kind: JobKind::Merge,
                        inputs: vec![crate::compaction::JobInput {
                            level,
                            run: run.id(),
                            files: vec![f.clone()],
                        }],
                        output_level: level,
                        output_run: Some(run.id()),
                        reason: Reason::BlobGarbage { blob_file: target },
                        bottommost: false,
                        max_output_file_size: Some(o.base_file_size.max(f.size)),
                        max_grandparent_files: None,
                        cursor_update: None,
                        output_cut: None,
                        split_points: Vec::new(),
                    });
                }
            }
        }
        None
    }

    /// Runs a job to the end on this thread: merge (if it is one), install,
    /// delete its inputs.
    pub(super) fn run_job(&mut self, job: Job) -> Result<JobReport> {
        self.check_writable()?;
        let out = match job.kind {
            JobKind::Merge => {
                let work = match self.prepare_merge(job) {
                    Ok(w) => w,
                    Err(e) => return Err(self.fail(e)),
                };
                let (out, released) = if work.releases_inputs_early {
                    let release = InlineRelease {
                        inner: std::cell::RefCell::new(&mut *self),
                        job: &work.job,
                        done: Default::default(),
                    };
                    let out = work.execute(Some(&release));
                    (out, release.done.into_inner())
                } else {
                    (work.execute(None), Released::default())
                };
                match out {
                    Ok(out) => return self.finish_job(&work.job, Some(out), &released),
                    Err(e) => return Err(self.fail(e)),
                }
            }
            JobKind::TrivialMove | JobKind::Drop => None,
        };
        self.finish_job(&job, out, &Released::default())
    }

    /// Installs a job: a merge's outputs (from `MergeWork::execute`) or
    /// a move or drop, as one manifest edit; then deletes what it replaced.
    /// `released`: what the merge's checkpoints installed and deleted
    /// already (see `release`).
    pub(super) fn finish_job(
        &mut self,
        job: &Job,
        out: Option<MergeOutput>,
        released: &Released,
    ) -> Result<JobReport> {
        match self.try_finish_job(job, out, released) {
            Ok(r) => {
                *self
                    .stats
                    .jobs_by_reason
                    .entry(job.reason.name())
                    .or_insert(0) += 1;
                self.stats
                    .add_reason_write(job.reason.name(), r.bytes_written);
                Ok(r)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    fn try_finish_job(
        &mut self,
        job: &Job,
        out: Option<MergeOutput>,
        released: &Released,
    ) -> Result<JobReport> {
        let mut edit = VersionEdit::default();
        for (level, f) in job.input_files() {
            if !released.inputs.contains(&f.number) {
                edit.deleted.push((level, f.number));
            }
        }
        if let Some(c) = &job.cursor_update {
            edit.compaction_cursors.push(c.clone());
        }
        let mut report = JobReport {
            input_files: job.input_file_count() as u64,
            ..JobReport::default()
        };
        let out = match (job.kind, out) {
            (JobKind::TrivialMove, _) => {
                let first = job.input_files().next().map(|(_, f)| f.number);
                let run = job.output_run.or(first).unwrap_or_default();
                for (_, f) in job.input_files() {
                    edit.add_file_to_run(job.output_level, run, f.as_ref().clone());
                }
                self.install(edit)?;
                self.log_job(job);
                self.stats.trivial_moves += 1;
                self.stats.level_mut(job.output_level).moves += 1;
                report.output_files = report.input_files;
                return Ok(report);
            }
            (JobKind::Drop, _) => {
                let inputs: Vec<u64> = job.input_files().map(|(_, f)| f.number).collect();
                self.add_blob_records(&mut edit, &inputs, &MergeOutput::default());
                self.install(edit)?;
                self.log_job(job);
                self.stats.files_dropped += report.input_files;
                self.stats.bytes_dropped += job.input_bytes();
                self.remove_files(job, released)?;
                return Ok(report);
            }
            (JobKind::Merge, Some(out)) => {
                self.note_purges(&out.purged_tombstones);
                out
            }
            (JobKind::Merge, None) => {
                return Err(Error::InvalidArgument(
                    "a merge job was installed without its output".into(),
                ))
            }
        };
        // Inputs and outputs coexist on disk until the inputs are deleted
        // (the outputs released installed are in the version already).
        let coexisting =
            self.version.total_bytes() + out.stats.bytes_written - released.output_bytes;
        let extra = out.stats.bytes_written.saturating_sub(released.input_bytes);
        self.record_merge_space(coexisting, extra);

        let read = job.input_bytes();
        report.output_files = out.files.len() as u64;
        report.bytes_read = read;
        report.bytes_written = out.stats.bytes_written;
        report.stats = out.stats;
        let first = out.files.first().map(|f| f.number);
        let run = released
            .run
            .or(job.output_run)
            .or(first)
            .unwrap_or_default();
        let inputs: Vec<u64> = job.input_files().map(|(_, f)| f.number).collect();
        self.add_blob_records(&mut edit, &inputs, &out);
        self.stats.blob += out.blob_stats;
        let event = self
            .job_log
            .wanted()
            .then(|| JobEvent::compaction(job, &out.files));
        for f in out.files {
            if !released.outputs.contains(&f.number) {
                edit.add_file_to_run(job.output_level, run, f);
            }
        }
        self.install(edit)?;
        if let Some(e) = event {
            self.job_log.report(e, self.state.last_sequence);
        }
        self.remove_files(job, released)?;

        self.stats.compactions += 1;
        self.stats.compaction_read_bytes += read;
        self.stats.compaction_write_bytes += out.stats.bytes_written;
        self.stats.merge += out.stats;
        let out_level = job.output_level;
        let lw = self.stats.level_mut(out_level);
        for input in &job.inputs {
            let bytes: u64 = input.files.iter().map(|f| f.size).sum();
            if input.level == out_level {
                lw.read_from_level_bytes += bytes;
            } else {
                lw.read_from_upper_bytes += bytes;
            }
        }
        lw.write_bytes += out.stats.bytes_written;
        lw.compactions += 1;
        lw.keys_in += out.stats.keys_in;
        lw.keys_dropped += out.stats.keys_dropped();
        Ok(report)
    }

    /// Counts `bytes` of tables on disk toward the run's and the current
    /// window's peaks.
    fn record_sst_bytes(&mut self, bytes: u64) {
        self.stats.sst_bytes_peak = self.stats.sst_bytes_peak.max(bytes);
        self.window.sst_bytes = self.window.sst_bytes.max(bytes);
    }

    /// While a merge runs: `coexisting` bytes of tables on disk, `extra` of
    /// them added by the merge (see `EngineStats::merge_extra_bytes_peak`).
    pub(super) fn record_merge_space(&mut self, coexisting: u64, extra: u64) {
        self.stats.merge_extra_bytes_peak = self.stats.merge_extra_bytes_peak.max(extra);
        self.record_sst_bytes(coexisting);
    }

    /// Deletes the input files of `job` that `released` did not delete
    /// already.
    fn remove_files(&mut self, job: &Job, released: &Released) -> Result<()> {
        let removed = job
            .input_files()
            .filter(|(_, f)| !released.inputs.contains(&f.number))
            .try_for_each(|(_, f)| self.remove_table_file(f));
        // The view published by the install still holds the inputs' open
        // tables (and, on MemFs, their deleted files' bytes): let them go.
        self.publish_view();
        removed
    }

    /// Forgets table `f` (open handle, cached blocks) and deletes its file.
    /// In the background mode a worker closes the handle once no reader
    /// holds it (see `retired`).
    pub(super) fn remove_table_file(&mut self, f: &FileMeta) -> Result<()> {
        if let Some(t) = self.tables.remove(&f.number) {
            if self.opts.mode == Mode::Background {
                self.retired.retire(t);
            }
        }
        if let Some(c) = &self.block_cache {
            c.erase_file(f.number);
        }
        self.env.fs.remove(&self.dir.join(f.file_name()))
    }

    /// Adds to `edit` the blob side of replacing the tables `inputs` with
    /// `out`: the blob files `out` wrote, its tables' references, the
    /// garbage the replaced references leave, and the blob files that
    /// garbage empties (deleted from disk once the edit is installed).
    pub(super) fn add_blob_records(
        &self,
        edit: &mut VersionEdit,
        inputs: &[u64],
        out: &MergeOutput,
    ) {
        edit.blob_files_added.extend(out.blob_files.iter().copied());
        edit.table_blobs.extend(out.table_blobs.iter().cloned());
        let garbage = crate::blob::garbage::job_garbage(
            inputs.iter().map(|&n| self.version.table_blobs(n)),
            out.table_blobs.iter().map(|(_, u)| u.as_slice()),
        );
        for g in &garbage {
            let emptied = self
                .version
                .blob_files()
                .get(&g.file)
                .is_some_and(|f| f.garbage_count + g.count >= f.blob_count);
            if emptied {
                edit.blob_files_deleted.push(g.file);
            }
        }
        edit.blob_garbage.extend(garbage);
    }

    /// Opens the blob files `edit` adds (checking each against its record)
    /// and returns the blob set of the version after it; nothing is
    /// changed.
    fn blob_set_after(&self, edit: &VersionEdit) -> Result<Option<crate::blob::BlobSet>> {
        if edit.blob_files_added.is_empty() && edit.blob_files_deleted.is_empty() {
            return Ok(None);
        }
        let mut set = crate::blob::BlobSet::clone(&self.blobs);
        for meta in &edit.blob_files_added {
            set.insert(Arc::new(self.open_blob_file(meta)?));
        }
        for &n in &edit.blob_files_deleted {
            set.remove(n);
        }
        Ok(Some(set))
    }

    /// Tells the job listener, if any, about a move or drop just installed.
    fn log_job(&mut self, job: &Job) {
        if self.job_log.wanted() {
            let event = JobEvent::compaction(job, &[]);
            self.job_log.report(event, self.state.last_sequence);
        }
    }

    /// Logs `edit` to the manifest and makes the resulting version current.
    /// Blob files it adds are opened (and checked) first; blob files it
    /// deletes are removed from disk after it is logged.
    pub(super) fn install(&mut self, edit: VersionEdit) -> Result<()> {
        let blobs = self.blob_set_after(&edit)?;
        let deleted_blobs = edit.blob_files_deleted.clone();
        // Workers take file numbers without the lock. Reserve one for the
        // manifest, which may start a new file: the edit then records a
        // next_file_number above every number handed out so far, and no
        // worker can be handed the manifest's.
        self.state.next_file_number = self
            .files
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let new = self
            .manifest
            .log_and_apply(&self.version, edit, &mut self.state);
        self.files.fetch_max(
            self.state.next_file_number,
            std::sync::atomic::Ordering::Relaxed,
        );
        let new = new?;
        if self.opts.paranoid_checks {
            new.check_invariants()?;
            self.strategy
                .check_shape(&new)
                .map_err(Error::InvalidArgument)?;
        }
        self.stats.sorted_runs_max = self.stats.sorted_runs_max.max(new.sorted_runs() as u64);
        self.epoch += 1;
        self.debt = self.strategy.pending_compaction_bytes(&new, &self.opts);
        self.record_sst_bytes(new.total_bytes());
        self.version = Arc::new(new);
        if let Some(set) = blobs {
            self.blobs = Arc::new(set);
        }
        self.publish_view();
        for n in deleted_blobs {
            self.stats.blob_files_deleted += 1;
            let path = self.dir.join(crate::blob::blob_file_name(n));
            self.env.fs.remove(&path)?;
        }
        Ok(())
    }

    pub(super) fn level_stats(&self) -> LevelStatsTable {
        let v = &self.version;
        let mut rows = Vec::new();
        let mut sum = LevelStatsRow {
            level: "Sum".into(),
            files: 0,
            size_bytes: 0,
            score: None,
            read_bytes: 0,
            write_bytes: 0,
            write_amp: 0.0,
            compactions: 0,
            moves: 0,
            keys_in: 0,
            keys_dropped: 0,
        };
        for level in 0..v.num_levels() {
            let w = self.stats.levels.get(level).copied().unwrap_or_default();
            let score = self.strategy.level_score(v, &self.opts, level);
            let write_amp = if level == 0 {
                if w.write_bytes > 0 {
                    1.0
                } else {
                    0.0
                }
            } else if w.read_from_upper_bytes > 0 {
                w.write_bytes as f64 / w.read_from_upper_bytes as f64
            } else {
                0.0
            };
            let row = LevelStatsRow {
                level: format!("L{level}"),
                files: v.files(level).len(),
                size_bytes: v.level_bytes(level),
                score,
                read_bytes: w.read_bytes(),
                write_bytes: w.write_bytes,
                write_amp,
                compactions: w.compactions,
                moves: w.moves,
                keys_in: w.keys_in,
                keys_dropped: w.keys_dropped,
            };
            sum.files += row.files;
            sum.size_bytes += row.size_bytes;
            sum.read_bytes += row.read_bytes;
            sum.write_bytes += row.write_bytes;
            sum.compactions += row.compactions;
            sum.moves += row.moves;
            sum.keys_in += row.keys_in;
            sum.keys_dropped += row.keys_dropped;
            rows.push(row);
        }
        sum.write_amp = self.stats.write_amp();
        rows.push(sum);
        LevelStatsTable { rows }
    }
}
