//! One experiment: the engine and the workload a [`RunSpec`] describes, every
//! operation driven through the engine on simulated time, a timeline sampled
//! along the way and the DESIGN.md metrics measured at the end.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::lab_params::LabParamError;
use crate::live_set::{LiveSet, NEVER};
use crate::snapshot_retention::SnapshotRetention;
use lsmlab_engine::db::{EngineStats, JobListener};
use lsmlab_engine::fs::{DiskFs, Fs, MemFs};
use lsmlab_engine::merge_op::MergeOperatorChoice;
use lsmlab_engine::{Clock, Db, Env, VirtualClock};
use lsmlab_workloads::{Op, OpKind, WorkloadError};

use crate::breakdown::{level_column, reason_column, LEVEL_KINDS};
use crate::metrics::Metrics;
use crate::results::RunRecord;
use crate::spec::RunSpec;
use crate::theory::{predict, RunShape};
use crate::timeline::TimelineRow;

mod meters;
mod setup;

use meters::{gap_key, ratio, DeleteTracker, Prober, ReadMeter, ScanMeter};
pub use setup::{
    build_lab, build_options, build_workload, check_memory, check_merge_operator, open_trace,
    physical_memory, run_dir_name,
};

/// Timeline samples per run (at least; the end of the run adds one).
pub const SAMPLES: u64 = 100;
/// Probe lookups interleaved with a run whose workload has no reads of its
/// own, unless the spec sets `probe_rate`.
pub const DEFAULT_PROBES: u64 = 10_000;
/// Point lookups on the settled tree at the end (the `read_amp_settled` set).
pub const SETTLED_PROBES: u64 = 10_000;

/// Where a run's database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsChoice {
    /// In memory (the default: fast, and byte counts are the same); each
    /// database refuses to hold more than `limit` bytes of files, when set.
    Mem { limit: Option<u64> },
    /// Real files, one directory per run under this one.
    Disk(PathBuf),
}

impl FsChoice {
    /// In memory, without a limit.
    pub const MEM: FsChoice = FsChoice::Mem { limit: None };
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The operating system refused the threads a sweep needs.
    #[error("{0}; lower --jobs")]
    Threads(String),
    #[error("run {run}: {source}")]
    Engine {
        run: String,
        #[source]
        source: lsmlab_engine::Error,
    },
    #[error("run {run}: {source}")]
    Workload {
        run: String,
        #[source]
        source: WorkloadError,
    },
    #[error("run {run}: parameter {name} = {value}: {reason}")]
    Setting {
        run: String,
        name: String,
        value: String,
        reason: String,
    },
    #[error("run {run}: {source}")]
    Lab {
        run: String,
        #[source]
        source: LabParamError,
    },
    /// The run would hold more in memory than the machine has.
    #[error("run {run}: {reason}")]
    Memory { run: String, reason: String },
    #[error("run {run}: {path}: {reason}")]
    Dir {
        run: String,
        path: PathBuf,
        reason: String,
    },
}

impl RunError {
    /// What went wrong without the run id (which holds grid labels that
    /// would read as parameter names): to find the settings it names.
    pub fn cause(&self) -> String {
        match self {
            RunError::Threads(m) => m.clone(),
            RunError::Engine { source, .. } => source.to_string(),
            RunError::Workload { source, .. } => source.to_string(),
            RunError::Setting { name, reason, .. } => format!("{name}: {reason}"),
            RunError::Lab { source, .. } => source.to_string(),
            RunError::Dir { reason, .. } => reason.clone(),
            RunError::Memory { reason, .. } => reason.clone(),
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub record: RunRecord,
    pub timeline: Vec<TimelineRow>,
    /// The per-level table at the end, as text.
    pub level_stats: String,
    /// Memtables flushed over the run.
    pub flushes: u64,
}

struct Experiment<'a> {
    run: &'a RunSpec,
    db: Db,
    clock: Arc<VirtualClock>,
    fs: Arc<dyn Fs>,
    live: LiveSet,
    prober: Prober,
    /// Lookups during the run: the workload's and the probes.
    reads: ReadMeter,
    /// Storage reads and lookups at the previous sample.
    window_start: (u64, u64),
    scans: ScanMeter,
    deletes: DeleteTracker,
    timeline: Vec<TimelineRow>,
    space_amp_peak: f64,
    num_levels: usize,
    /// Operations after which the next tree snapshot is due
    /// ([`crate::tree::MOMENTS`] of the run), in order.
    tree_due: Vec<u64>,
    /// The engine's merge operator, for the live length of merged keys.
    merge_operator: MergeOperatorChoice,
    /// Engine snapshots held on the lab's schedule (`None`: off).
    snapshots: Option<SnapshotRetention>,
}

impl Experiment<'_> {
    fn engine_err(&self, source: lsmlab_engine::Error) -> RunError {
        RunError::Engine {
            run: self.run.run_id.clone(),
            source,
        }
    }

    fn apply(&mut self, op: &Op, value: &[u8]) -> Result<(), lsmlab_engine::Error> {
        self.clock.advance_to(op.time);
        self.live.prefetch(&op.key);
        if let Some(s) = &mut self.snapshots {
            s.advance(&self.db, self.clock.now_ms());
        }
        match &op.kind {
            OpKind::Put => {
                let v = &value[..op.value_len as usize];
                match op.ttl {
                    Some(ttl) => {
                        self.db.put_with_ttl(&op.key, v, ttl)?;
                        let at = self.clock.now_ms().saturating_add(ttl);
                        self.live.put(&op.key, op.value_len, at);
                    }
                    None => {
                        self.db.put(&op.key, v)?;
                        self.live.put(&op.key, op.value_len, NEVER);
                    }
                }
                self.prober.offer(&op.key);
                self.deletes.written(&op.key);
            }
            OpKind::Delete => {
                self.db.delete(&op.key)?;
                self.live.delete(&op.key);
                self.deletes.deleted(&op.key, self.clock.now_ms());
            }
            OpKind::DeleteRange { end } => {
                // Delete persistence follows point tombstones only.
                self.db.delete_range(&op.key, end)?;
                self.live.delete_range(&op.key, end);
            }
            OpKind::Merge => {
                let operand = &value[..op.value_len as usize];
                self.db.merge(&op.key, operand)?;
                // The engine refused the merge if it had no operator.
                if let Some(operator) = self.merge_operator.get() {
                    self.live
                        .merge(&op.key, operand, operator, self.clock.now_ms());
                }
                self.prober.offer(&op.key);
                self.deletes.written(&op.key);
            }
            OpKind::Get => {
                let (_, st) = self.db.get_with_stats(&op.key)?;
                self.reads.record(&st);
            }
            OpKind::Scan { len } => {
                let (_, st) = self.db.scan_with_stats(&op.key, None, *len as usize)?;
                self.scans.record(&st);
            }
        }
        Ok(())
    }

    /// The probe lookups due after `ops_done` operations.
    fn probe_during_run(&mut self, ops_done: u64) -> Result<(), lsmlab_engine::Error> {
        for k in self.prober.due(ops_done) {
            let (_, st) = self.db.get_with_stats(&k)?;
            self.reads.record(&st);
        }
        Ok(())
    }

    /// Samples the state after `ops_done` operations; `end`: the settled
    /// end of the run (its tree is always kept).
    fn sample(&mut self, ops_done: u64, end: bool) {
        let tree_due = end || self.tree_due.first().is_some_and(|d| ops_done >= *d);
        if tree_due {
            self.tree_due.retain(|d| ops_done < *d);
        }
        let now = self.clock.now_ms();
        let peaks = self.db.take_window_peaks();
        self.deletes.purged(self.db.take_tombstone_purges());
        let live = self.live.live_bytes(now);
        let stats = self.db.stats();
        let v = self.db.version();
        let sst = v.total_bytes();
        let blob = v.blob_bytes();
        let space_amp = ratio(sst + blob, live);
        // The engine's window peak counts tables only: blob files add
        // their bytes at sampling time.
        self.space_amp_peak = self
            .space_amp_peak
            .max(space_amp)
            .max(ratio(peaks.sst_bytes + blob, live));
        let (reads0, lookups0) = self.window_start;
        self.window_start = (self.reads.storage_reads, self.reads.lookups);
        let window_lookups = self.reads.lookups - lookups0;
        self.timeline.push(TimelineRow {
            run_id: self.run.run_id.clone(),
            ops_done,
            sim_time_s: now as f64 / 1000.0,
            write_amp: stats.write_amp(),
            space_amp,
            read_amp: (window_lookups > 0)
                .then(|| ratio(self.reads.storage_reads - reads0, window_lookups)),
            l0_files: v.files(0).len() as u64,
            pending_compaction_bytes: peaks.pending_compaction_bytes,
            level_bytes: (0..self.num_levels).map(|l| v.level_bytes(l)).collect(),
            tree: tree_due.then(|| crate::tree::TreeSnapshot::of(&v)),
        });
    }

    /// The settled figure: point lookups of evenly spaced live keys and of
    /// the gap key after each, on the tree after the final compaction.
    fn probe_settled(&mut self) -> Result<ReadMeter, lsmlab_engine::Error> {
        let present: Vec<Vec<u8>> = {
            let n = self.live.len();
            let step = (n / (SETTLED_PROBES / 2)).max(1) as usize;
            self.live.evenly_spaced(step, (SETTLED_PROBES / 2) as usize)
        };
        let mut meter = ReadMeter::default();
        for k in &present {
            for key in [k.clone(), gap_key(k)] {
                let (_, st) = self.db.get_with_stats(&key)?;
                meter.record(&st);
            }
        }
        Ok(meter)
    }

    /// Per-level and per-reason figures, named by [`crate::breakdown`].
    fn breakdown(&self, stats: &EngineStats) -> Vec<(String, u64)> {
        let v = self.db.version();
        let levels = self.num_levels.max(stats.levels.len());
        let mut out = Vec::new();
        for l in 0..levels {
            let work = stats.levels.get(l).copied().unwrap_or_default();
            let files = if l < v.num_levels() {
                v.files(l).len()
            } else {
                0
            };
            let bytes = if l < v.num_levels() {
                v.level_bytes(l)
            } else {
                0
            };
            for (kind, value) in
                LEVEL_KINDS
                    .iter()
                    .zip([work.write_bytes, work.compactions, bytes, files as u64])
            {
                out.push((level_column(kind, l), value));
            }
        }
        for (reason, bytes) in &stats.write_bytes_by_reason {
            out.push((reason_column(reason), *bytes));
        }
        out
    }

    /// The run's shape for the analytic models.
    fn shape(&self, stats: &EngineStats) -> RunShape {
        let v = self.db.version();
        RunShape {
            merges: stats.compactions,
            levels: (1..v.num_levels())
                .filter(|&l| !v.files(l).is_empty())
                .count(),
            data_bytes: v.total_bytes(),
            flush_bytes: ratio(stats.flush_bytes, stats.flushes),
            user_bytes: stats.user_bytes,
            elapsed_ms: self.clock.now_ms(),
        }
    }
}

/// Starts `workers` compaction workers on the run's files and routes the
/// run's merges to them (none for 0).
fn attach_workers(
    run: &RunSpec,
    db: &Db,
    fs: Arc<dyn Fs>,
    dir: &std::path::Path,
    workers: u64,
) -> Result<Option<lsmlab_engine::remote::LocalWorkers>, RunError> {
    if workers == 0 {
        return Ok(None);
    }
    let w = lsmlab_engine::remote::LocalWorkers::start(
        fs,
        dir.to_path_buf(),
        workers as usize,
        lsmlab_engine::remote::WorkerFault::None,
    )
    .map_err(|e| RunError::Lab {
        run: run.run_id.clone(),
        source: LabParamError::Inconsistent(format!("starting {workers} compaction workers: {e}")),
    })?;
    db.set_compaction_service(Some(w.service(WORKER_DEADLINE)));
    Ok(Some(w))
}

/// How long a compaction worker may take over one job before the writer
/// gives up on it and runs the job itself.
const WORKER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

/// The run's file system and directory, and the in-memory file system
/// itself when it is one (for its memory figures).
fn open_env(
    run: &RunSpec,
    fs_choice: &FsChoice,
    clock: Arc<VirtualClock>,
) -> Result<(Env, PathBuf, Option<MemFs>), RunError> {
    match fs_choice {
        FsChoice::Mem { limit } => {
            let mem = MemFs::with_limit(limit.unwrap_or(u64::MAX));
            Ok((
                Env {
                    fs: Arc::new(mem.clone()),
                    clock,
                },
                PathBuf::from("/lsmlab"),
                Some(mem),
            ))
        }
        FsChoice::Disk(base) => {
            let dir = base.join(run_dir_name(&run.run_id));
            let dir_err = |reason: String| RunError::Dir {
                run: run.run_id.clone(),
                path: dir.clone(),
                reason,
            };
            if dir.exists() {
                let is_db = dir.join("CURRENT").exists();
                let empty = std::fs::read_dir(&dir)
                    .map_err(|e| dir_err(e.to_string()))?
                    .next()
                    .is_none();
                if !is_db && !empty {
                    return Err(dir_err(
                        "exists and is not an lsmlab database; refusing to overwrite it".into(),
                    ));
                }
                std::fs::remove_dir_all(&dir).map_err(|e| dir_err(e.to_string()))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| dir_err(e.to_string()))?;
            Ok((
                Env {
                    fs: Arc::new(DiskFs::new()),
                    clock,
                },
                dir,
                None,
            ))
        }
    }
}

/// Runs one experiment. `progress` is updated with the operations done.
pub fn run_experiment(
    run: &RunSpec,
    fs_choice: &FsChoice,
    progress: &AtomicU64,
) -> Result<RunOutput, RunError> {
    run_experiment_observed(run, fs_choice, progress, None)
}

/// [`run_experiment`], reporting every flush and compaction the run
/// installs to `jobs` (from the first write on).
pub fn run_experiment_observed(
    run: &RunSpec,
    fs_choice: &FsChoice,
    progress: &AtomicU64,
    jobs: Option<Arc<dyn JobListener>>,
) -> Result<RunOutput, RunError> {
    let started = Instant::now();
    let options = build_options(run)?;
    let workload = build_workload(run)?;
    let lab = build_lab(run)?;
    let werr = |source| RunError::Workload {
        run: run.run_id.clone(),
        source,
    };
    let traced = run.workload.starts_with("trace:");
    let ops: Box<dyn Iterator<Item = Result<Op, WorkloadError>>> = match run.trace_spec() {
        Some(path) => {
            let trace = open_trace(run, &path, &workload, false)?;
            check_merge_operator(run, &options, &workload, trace.counts().merges)?;
            Box::new(trace.ops().map_err(werr)?)
        }
        None => {
            check_merge_operator(run, &options, &workload, 0)?;
            Box::new(workload.generator().map_err(werr)?.map(Ok))
        }
    };

    let clock = Arc::new(VirtualClock::new(0));
    let (env, dir, mem) = open_env(run, fs_choice, clock.clone())?;
    let fs = env.fs.clone();
    let db = Db::open_with(&dir, options.clone(), env).map_err(|source| RunError::Engine {
        run: run.run_id.clone(),
        source,
    })?;
    db.set_job_listener(jobs);
    // Declared after `db`, so dropped after it: jobs in flight finish first.
    let _workers = attach_workers(run, &db, fs.clone(), &dir, lab.compaction_workers)?;
    let mut x = Experiment {
        run,
        db,
        clock,
        fs,
        live: LiveSet::for_workload(&workload, traced),
        prober: Prober::new(run.probe_rate, &workload, traced, run.seed),
        reads: ReadMeter::default(),
        window_start: (0, 0),
        scans: ScanMeter::default(),
        deletes: DeleteTracker::default(),
        timeline: Vec::new(),
        space_amp_peak: 0.0,
        num_levels: options.num_levels,
        tree_due: crate::tree::MOMENTS
            .iter()
            .map(|f| (workload.total_ops() as f64 * f).ceil() as u64)
            .collect(),
        merge_operator: options.merge_operator.clone(),
        snapshots: lab
            .snapshots()
            .map(|(every, keep)| SnapshotRetention::new(every, keep)),
    };
    x.db.track_tombstone_purges(true);
    let total = workload.total_ops();
    let every = (total / SAMPLES).max(1);
    let pattern = |len: usize| -> Vec<u8> { (0..len).map(|i| (i * 31 + 7) as u8).collect() };
    let mut value = pattern(workload.value_size_max.max(1) as usize);
    let mut done = 0u64;
    for op in ops {
        let op = op.map_err(werr)?;
        // A trace may hold values larger than the workload's own.
        if op.value_len as usize > value.len() {
            value = pattern(op.value_len as usize);
        }
        x.apply(&op, &value).map_err(|e| x.engine_err(e))?;
        done += 1;
        x.probe_during_run(done).map_err(|e| x.engine_err(e))?;
        if done.is_multiple_of(every) {
            x.sample(done, false);
            progress.store(done, Ordering::Relaxed);
        }
    }
    // The burst figure: where db_bench reports, before the final flush.
    let write_amp_burst = x.db.stats().write_amp();
    // The end state: everything flushed and compacted to quiescence.
    x.db.flush().map_err(|e| x.engine_err(e))?;
    x.db.compact().map_err(|e| x.engine_err(e))?;
    x.sample(done, true);
    progress.store(done, Ordering::Relaxed);
    let settled = x.probe_settled().map_err(|e| x.engine_err(e))?;

    let stats = x.db.stats();
    let now = x.clock.now_ms();
    let live_bytes = x.live.live_bytes(now);
    let version = x.db.version();
    let sst_bytes = version.total_bytes();
    let blob_bytes = version.blob_bytes();
    let blob_garbage_bytes = version.blob_files().values().map(|b| b.garbage_bytes).sum();
    let tombstones_left = (0..version.num_levels())
        .flat_map(|l| version.files(l))
        .map(|f| f.tombstones)
        .sum();
    let (persist_mean, persist_max) = x.deletes.seconds();
    let c = &options.compaction;
    let model = predict(&(c.policy.build)(c).cost_model(&options), &x.shape(&stats));
    let wall = started.elapsed().as_secs_f64();
    let metrics = Metrics {
        user_bytes: stats.user_bytes,
        flush_bytes: stats.flush_bytes,
        compaction_read_bytes: stats.compaction_read_bytes,
        compaction_write_bytes: stats.compaction_write_bytes,
        write_amp: stats.write_amp(),
        write_amp_burst,
        write_amp_settled: stats.write_amp(),
        wal_bytes: x.fs.stats().wal.bytes_written,
        space_amp: ratio(sst_bytes + blob_bytes, live_bytes),
        space_amp_peak: x.space_amp_peak,
        live_bytes,
        sst_bytes,
        lookups: x.reads.lookups,
        read_amp: x.reads.read_amp(),
        read_amp_p99: x.reads.per_lookup.percentile(0.99),
        read_amp_settled: settled.read_amp(),
        cache_hit_rate: x.reads.hit_rate(),
        filter_probes: ratio(x.reads.filter_probes, x.reads.lookups),
        scans: x.scans.blocks.total(),
        scan_blocks: x.scans.blocks.mean(),
        scan_blocks_p99: ScanMeter::p99(&x.scans.blocks),
        scan_sorted_runs: x.scans.runs.mean(),
        scan_sorted_runs_p99: ScanMeter::p99(&x.scans.runs),
        sorted_runs_max: stats.sorted_runs_max,
        compactions: stats.compactions,
        trivial_moves: stats.trivial_moves,
        stall_seconds: stats.stall_seconds(),
        pending_compaction_bytes_peak: stats.pending_compaction_bytes_peak,
        delete_persistence_mean_s: persist_mean,
        delete_persistence_max_s: persist_max,
        tombstones_left,
        blob_bytes_written: stats.blob.bytes_written,
        blob_bytes,
        blob_garbage_bytes,
        model_write_amp: model.write_amp,
        model_space_amp: model.space_amp,
        wall_seconds: wall,
        ops_per_second: if wall > 0.0 { done as f64 / wall } else { 0.0 },
    };
    let mut level_stats = x.db.level_stats().to_string();
    if lab.compaction_workers > 0 {
        level_stats.push_str(&format!(
            "\nremote compaction: {} jobs on {} workers, {} attempts failed, {} jobs ran in the writer\n",
            stats.remote_jobs,
            lab.compaction_workers,
            stats.remote_failed_attempts,
            stats.remote_ran_locally
        ));
    }
    if let Some(mem) = &mem {
        let (held, stored) = (mem.memory_bytes(), mem.total_bytes());
        level_stats.push_str(&format!(
            "\nin-memory files: {} bytes of memory for {} bytes stored ({:.4} per stored byte)\n",
            held,
            stored,
            held as f64 / stored.max(1) as f64
        ));
    }
    let breakdown = x.breakdown(&stats);
    Ok(RunOutput {
        record: RunRecord {
            run_id: run.run_id.clone(),
            spec: run.spec_name.clone(),
            policy: run.policy.clone(),
            workload: run.workload.clone(),
            varied: run.varied.clone(),
            seed: run.seed,
            ops: done,
            metrics,
            breakdown,
            git_rev: crate::GIT_REV.to_string(),
            lsmlab_version: crate::manifest::VERSION.to_string(),
            spec_hash: String::new(),
            config: crate::manifest::run_config(run),
        },
        timeline: x.timeline,
        level_stats,
        flushes: stats.flushes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dir_names_are_flat() {
        assert_eq!(
            run_dir_name("leveled/uniform/l0_file_limit=4"),
            "leveled_uniform_l0_file_limit=4"
        );
    }
}
