//! Running compaction jobs: pick, execute through the merge kernel (or as a
//! pure manifest edit), install atomically, then delete the inputs.

use std::collections::HashSet;
use std::sync::Arc;

use super::schedule::RunningJob;
use super::{Db, Inner, LevelStatsRow, LevelStatsTable};
use crate::compaction::{
    Job, JobInput, JobKind, MergeOutput, MergeStats, PickContext, Reason, Shape,
};
use crate::error::{Error, Result};
use crate::key::SeqNo;
use crate::options::Mode;
use crate::version::{Version, VersionEdit};

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
    if version
        .files(0)
        .iter()
        .any(|f| f.contains_user_key(user_key) && candidate(f))
    {
        return true;
    }
    (1..version.num_levels()).any(|level| {
        version
            .file_for_key(level, user_key)
            .is_some_and(|f| candidate(f))
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
    /// [`crate::compaction::pending_compaction_bytes`]).
    pub fn pending_compaction_bytes(&self) -> u64 {
        let inner = self.lock();
        crate::compaction::pending_compaction_bytes(
            &inner.version,
            &inner.opts,
            inner.strategy.as_ref(),
        )
    }

    /// Runs compaction until the policy picks nothing more, waiting on the
    /// clock for any I/O budget it needs (with a virtual clock, simulated
    /// time moves forward).
    pub fn compact(&self) -> Result<()> {
        let mut inner = self.lock();
        inner.check_writable()?;
        let done = |i: &Inner| i.sched.running.is_empty() && i.imm.is_empty();
        if inner.opts.mode == Mode::Background {
            super::background::wait_until(&self.shared, inner, done).map(|_| ())
        } else {
            inner.wait_until(done)
        }
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
        let job = Job {
            kind: JobKind::Merge,
            inputs: vec![
                JobInput {
                    level: source_level,
                    files,
                },
                JobInput {
                    level: source_level + 1,
                    files: next,
                },
            ],
            output_level: source_level + 1,
            reason: Reason::Manual,
            bottommost: false,
            max_output_file_size: Some(inner.opts.base_file_size),
            max_grandparent_files: None,
            cursor_update: None,
        };
        inner.run_job(job)
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
            if self.opts.auto_compaction && self.failed.is_none() {
                while self.sched.running.len() < self.opts.max_background_jobs
                    && self.quiet_epoch != Some(self.epoch)
                {
                    let busy: HashSet<u64> = self.sched.busy_files().collect();
                    let ctx = PickContext {
                        options: &self.opts,
                        busy: &busy,
                        now_ms: now,
                        last_level: self.last_level,
                    };
                    let Some(job) = self.strategy.pick(&self.version, &ctx) else {
                        self.quiet_epoch = Some(self.epoch);
                        break;
                    };
                    self.last_level = job.inputs.first().map(|i| i.level);
                    let remaining = match job.kind {
                        JobKind::Merge => 2 * job.input_bytes(),
                        JobKind::TrivialMove | JobKind::Drop => 0,
                    };
                    let id = self.sched.next_id();
                    self.sched.running.push(RunningJob { job, remaining, id });
                    progressed = true;
                }
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

    /// Pumps, moving the clock to each next completion, until `done` holds
    /// or no background work is left to wait for.
    pub(super) fn wait_until(&mut self, done: impl Fn(&Inner) -> bool) -> Result<()> {
        loop {
            self.pump()?;
            if done(self) {
                return Ok(());
            }
            let now = self.now_ms();
            match self.sched.next_completion_ms(now) {
                Some(t) => self.env.clock.sleep_until(t),
                None => return Ok(()),
            }
        }
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
                match work.execute() {
                    Ok(out) => return self.finish_job(&work.job, Some(out)),
                    Err(e) => return Err(self.fail(e)),
                }
            }
            JobKind::TrivialMove | JobKind::Drop => None,
        };
        self.finish_job(&job, out)
    }

    /// Installs a job: a merge's outputs (from `MergeWork::execute`) or
    /// a move or drop, as one manifest edit; then deletes what it replaced.
    pub(super) fn finish_job(&mut self, job: &Job, out: Option<MergeOutput>) -> Result<JobReport> {
        match self.try_finish_job(job, out) {
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

    fn try_finish_job(&mut self, job: &Job, out: Option<MergeOutput>) -> Result<JobReport> {
        let mut edit = VersionEdit::default();
        for (level, f) in job.input_files() {
            edit.deleted.push((level, f.number));
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
                for (_, f) in job.input_files() {
                    edit.added.push((job.output_level, f.as_ref().clone()));
                }
                self.install(edit)?;
                self.stats.trivial_moves += 1;
                self.stats.level_mut(job.output_level).moves += 1;
                report.output_files = report.input_files;
                return Ok(report);
            }
            (JobKind::Drop, _) => {
                self.install(edit)?;
                self.stats.files_dropped += report.input_files;
                self.stats.bytes_dropped += job.input_bytes();
                self.remove_files(job)?;
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
        // Inputs and outputs coexist on disk until the inputs are deleted.
        let coexisting = self.version.total_bytes() + out.stats.bytes_written;
        self.stats.sst_bytes_peak = self.stats.sst_bytes_peak.max(coexisting);
        self.window.sst_bytes = self.window.sst_bytes.max(coexisting);

        let read = job.input_bytes();
        report.output_files = out.files.len() as u64;
        report.bytes_read = read;
        report.bytes_written = out.stats.bytes_written;
        report.stats = out.stats;
        for f in out.files {
            edit.added.push((job.output_level, f));
        }
        self.install(edit)?;
        self.remove_files(job)?;

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

    fn remove_files(&mut self, job: &Job) -> Result<()> {
        for (_, f) in job.input_files() {
            self.tables.remove(&f.number);
            if let Some(c) = &self.block_cache {
                c.erase_file(f.number);
            }
            self.env.fs.remove(&self.dir.join(f.file_name()))?;
        }
        Ok(())
    }

    /// Logs `edit` to the manifest and makes the resulting version current.
    pub(super) fn install(&mut self, edit: VersionEdit) -> Result<()> {
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
            if self.strategy.shape() == Shape::Tiered {
                if let Some(level) = (1..new.num_levels()).find(|&l| !new.files(l).is_empty()) {
                    return Err(Error::InvalidArgument(format!(
                        "tiered policy {} left files in L{level}",
                        self.strategy.name()
                    )));
                }
            }
        }
        self.stats.sorted_runs_max = self.stats.sorted_runs_max.max(new.sorted_runs() as u64);
        self.epoch += 1;
        self.debt =
            crate::compaction::pending_compaction_bytes(&new, &self.opts, self.strategy.as_ref());
        self.stats.sst_bytes_peak = self.stats.sst_bytes_peak.max(new.total_bytes());
        self.window.sst_bytes = self.window.sst_bytes.max(new.total_bytes());
        self.version = Arc::new(new);
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
            let score = match self.strategy.shape() {
                Shape::Leveled if level == 0 => {
                    Some(v.files(0).len() as f64 / self.opts.l0_file_limit as f64)
                }
                Shape::Leveled if level + 1 < v.num_levels() => {
                    Some(v.level_bytes(level) as f64 / self.opts.level_target_bytes(level) as f64)
                }
                _ => None,
            };
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
