//! `lsmlab peer rocksdb SPEC`: RocksDB itself as a reference row. For each
//! run of a spec, the lsmlab run as the lab runs it, then Debian's db_bench
//! replaying the same operations (a RocksDB trace of the run's workload)
//! with the run's parameters as db_bench flags ([`flags`]), in the regime
//! of the lsmlab run ([`Regime`]); its statistics and compaction stats are
//! read back ([`db_bench_stats`]) and written beside lsmlab's figures
//! ([`report`]).

mod compaction_log;
pub mod db_bench_stats;
pub mod flags;
pub mod manifest_picks;
mod replay;
pub mod report;
pub mod table_bytes_log;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::job_log_csv::JobLogCsv;
use crate::runner::{build_options, build_workload, run_experiment_observed, FsChoice, RunError};
use crate::spec::RunSpec;
use db_bench_stats::DbBenchStats;

pub use replay::Regime;

/// Why a peer run failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error(
        "no db_bench on PATH (looked for db_bench and rocksdb_db_bench); install Debian's \
         rocksdb-tools with `bash scripts/install-rocksdb-tools.sh`, or name one with --db-bench PATH"
    )]
    NoDbBench,
    #[error("run {run}: no RocksDB peer: {reason}")]
    Unmapped { run: String, reason: String },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("run {run}: {path}: {source}")]
    Io {
        run: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("run {run}: db_bench failed ({status}); its output is in {output}")]
    DbBench {
        run: String,
        status: String,
        output: PathBuf,
    },
    #[error("run {run}: {reason}")]
    Parse { run: String, reason: String },
}

/// How the peer runs db_bench.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// The db_bench binary.
    pub db_bench: PathBuf,
    /// Where databases, traces and db_bench's outputs go (one subdirectory
    /// per run; databases, and traces unless kept, are removed when a run
    /// is done).
    pub work_dir: PathBuf,
    /// Write rate (user bytes per second) of the keeping-up regime.
    pub write_rate: u64,
    /// Seconds of each idle round RocksDB gets after the replay and its
    /// flush to finish the compactions they started; rounds repeat while a
    /// compaction holds files (lsmlab's run ends at quiescence).
    pub settle_seconds: u64,
    /// RocksDB replays of each run's operations (at least 1). Paced RocksDB
    /// varies by a few percent between replays of the same operations, and
    /// by much more at 16M keys; the comparison is with the medians.
    pub replays: usize,
    /// Full-speed runs only: lsmlab runs again at the rates RocksDB had in
    /// its replays (their medians: operations per second, compaction and
    /// flush bytes per second), and that run is the comparison, instead of
    /// the rates the spec assumed.
    pub calibrate: bool,
    /// Keep each run's RocksDB traces (`ops.trace`, `settle.trace`) in its
    /// work directory; by default they are removed with the database once
    /// the run is done (a 16M-operation trace is 2.4 GB).
    pub keep_traces: bool,
}

/// The figures of one engine on one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineFigures {
    pub user_bytes: u64,
    pub flush_bytes: u64,
    /// Memtables flushed (RocksDB: its flush jobs, the samples of
    /// `rocksdb.db.flush.micros`).
    pub flushes: u64,
    pub compaction_read_bytes: u64,
    pub compaction_write_bytes: u64,
    pub write_amp: f64,
    pub sst_bytes: u64,
    pub live_bytes: u64,
    pub space_amp: f64,
    /// Space amplification over the whole run: the mean over lsmlab's
    /// timeline samples of table bytes / live bytes, RocksDB's tables read
    /// at the same points of its paced replay (from its LOG,
    /// [`table_bytes_log`]). 0 when not measured (full-speed runs, whose
    /// replay has no clock to place the samples on).
    pub space_amp_mean: f64,
    pub stall_seconds: f64,
    /// Files per level at the end, L0 first.
    pub level_files: Vec<u64>,
    /// Operations per second. lsmlab: the run's simulated `ingest_rate`;
    /// RocksDB: the run's operations over the seconds its replay took.
    pub ingest_rate: f64,
    /// Compaction bytes (read and written) per second. lsmlab: the run's
    /// `compaction_io_rate` (0: unlimited); RocksDB: its compactions' bytes
    /// over the sum of their times (`rocksdb.compaction.times.micros`).
    pub compaction_io_rate: f64,
    /// RocksDB's backlog at its picks (from its LOG,
    /// `compaction_log::backlog`): the mean L0 files a leveled L0
    /// compaction took, or sorted runs a universal pick saw; near the L0
    /// trigger when its compaction kept up. 0 for lsmlab and when unknown.
    pub backlog_mean: f64,
    /// The most of those at one pick.
    pub backlog_max: u64,
    /// What made a figure unreliable, said in peer.md (e.g. RocksDB's table
    /// bytes rebuilt from its LOG not ending at its tables on disk).
    pub warnings: Vec<String>,
    /// Flush bytes per second. lsmlab: `flush_io_rate` (0: unlimited);
    /// RocksDB: flushed bytes over the sum of its flush times
    /// (`rocksdb.db.flush.micros`).
    pub flush_io_rate: f64,
    /// RocksDB's compactions and moves whose tree (from its MANIFEST) was
    /// given to lsmlab's policy ([`manifest_picks`]); summed over replays.
    /// 0 for lsmlab and when not checked.
    pub picks_checked: u64,
    /// Those lsmlab's policy picked alike (same inputs, same output level).
    pub picks_agreed: u64,
    /// Those that differ only by L0 files a flush installed after RocksDB
    /// picked ([`manifest_picks::PickCheck::flushed_between`]).
    pub picks_flushed_between: u64,
}

/// The median of each figure over RocksDB's replays of one run: write and
/// space amplification and every byte count on their own (the middle
/// value, or the mean of the two middle ones for an even count); files per
/// level from the replay whose write amplification is nearest the median.
pub fn median_figures(replays: &[EngineFigures]) -> EngineFigures {
    fn mid_f(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        match n {
            0 => 0.0,
            _ if n % 2 == 1 => v[n / 2],
            _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
    fn mid_u(mut v: Vec<u64>) -> u64 {
        v.sort_unstable();
        let n = v.len();
        match n {
            0 => 0,
            _ if n % 2 == 1 => v[n / 2],
            _ => (v[n / 2 - 1] + v[n / 2]) / 2,
        }
    }
    let u = |f: fn(&EngineFigures) -> u64| mid_u(replays.iter().map(f).collect());
    let write_amp = mid_f(replays.iter().map(|r| r.write_amp).collect());
    let nearest = replays.iter().min_by(|a, b| {
        (a.write_amp - write_amp)
            .abs()
            .total_cmp(&(b.write_amp - write_amp).abs())
    });
    EngineFigures {
        user_bytes: u(|r| r.user_bytes),
        flush_bytes: u(|r| r.flush_bytes),
        flushes: u(|r| r.flushes),
        compaction_read_bytes: u(|r| r.compaction_read_bytes),
        compaction_write_bytes: u(|r| r.compaction_write_bytes),
        write_amp,
        sst_bytes: u(|r| r.sst_bytes),
        live_bytes: u(|r| r.live_bytes),
        space_amp: mid_f(replays.iter().map(|r| r.space_amp).collect()),
        // Replays without the figure (0) do not count.
        space_amp_mean: mid_f(
            replays
                .iter()
                .map(|r| r.space_amp_mean)
                .filter(|&m| m > 0.0)
                .collect(),
        ),
        stall_seconds: mid_f(replays.iter().map(|r| r.stall_seconds).collect()),
        ingest_rate: mid_f(replays.iter().map(|r| r.ingest_rate).collect()),
        compaction_io_rate: mid_f(replays.iter().map(|r| r.compaction_io_rate).collect()),
        flush_io_rate: mid_f(replays.iter().map(|r| r.flush_io_rate).collect()),
        backlog_mean: mid_f(replays.iter().map(|r| r.backlog_mean).collect()),
        backlog_max: replays.iter().map(|r| r.backlog_max).max().unwrap_or(0),
        warnings: replays.iter().flat_map(|r| r.warnings.clone()).collect(),
        level_files: nearest.map(|r| r.level_files.clone()).unwrap_or_default(),
        picks_checked: replays.iter().map(|r| r.picks_checked).sum(),
        picks_agreed: replays.iter().map(|r| r.picks_agreed).sum(),
        picks_flushed_between: replays.iter().map(|r| r.picks_flushed_between).sum(),
    }
}

/// One run, on both engines.
#[derive(Debug, Clone)]
pub struct PeerRun {
    pub run_id: String,
    pub policy: String,
    pub workload: String,
    pub regime: Regime,
    /// How lsmlab's memtables counted against `write_buffer_size`
    /// (`write_buffer_accounting`: `entries` or `rocksdb`, RocksDB's own).
    pub write_buffer_accounting: &'static str,
    /// lsmlab ran at the rates RocksDB measured ([`PeerConfig::calibrate`]),
    /// not at the spec's.
    pub calibrated: bool,
    /// The run's L0 compaction trigger (`l0_file_limit`), against which
    /// RocksDB's backlog tells whether it kept up.
    pub l0_trigger: usize,
    pub lsmlab: EngineFigures,
    /// RocksDB's figures: the medians over its replays ([`median_figures`]).
    pub rocksdb: EngineFigures,
    /// Each RocksDB replay's figures, in the order they ran.
    pub rocksdb_replays: Vec<EngineFigures>,
}

/// db_bench on PATH (`db_bench`, or Debian's older `rocksdb_db_bench`).
pub fn find_db_bench() -> Result<PathBuf, PeerError> {
    find_tool(None, ["db_bench", "rocksdb_db_bench"]).ok_or(PeerError::NoDbBench)
}

/// The first of `names` found in `dir` (when given), then on PATH
/// (RocksDB's tools: `ldb` and `sst_dump` are installed beside db_bench).
pub fn find_tool(dir: Option<&Path>, names: [&str; 2]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    dir.map(Path::to_path_buf)
        .into_iter()
        .chain(std::env::split_paths(&path))
        .flat_map(|d| names.map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// lsmlab's job log in each run's work directory, beside RocksDB's
/// compaction log.
pub const LSMLAB_JOB_LOG: &str = "lsmlab-jobs.csv";
/// The job log of lsmlab's run at RocksDB's measured rates (`--calibrate`).
pub const LSMLAB_JOB_LOG_CALIBRATED: &str = "lsmlab-jobs-calibrated.csv";

/// Idle rounds of `settle_seconds` RocksDB gets at most to finish its
/// compactions after the replay (a round is one db_bench process).
const MAX_SETTLE_ROUNDS: usize = 720;

/// lsmlab's figures on `run` (with its `options`), run as the lab runs it
/// on the in-memory file system; its flushes and compactions go to the job
/// log `jobs` (see [`crate::job_log_csv`]).
fn lsmlab_figures(
    run: &RunSpec,
    options: &lsmlab_engine::Options,
    jobs: &Path,
) -> Result<(EngineFigures, Vec<SpaceMark>), PeerError> {
    let io = |source| PeerError::Io {
        run: run.run_id.clone(),
        path: jobs.to_path_buf(),
        source,
    };
    let log = Arc::new(JobLogCsv::create(jobs).map_err(io)?);
    let out = run_experiment_observed(
        run,
        &FsChoice::Mem { limit: None },
        &AtomicU64::new(0),
        Some(log.clone()),
    )?;
    log.finish().map_err(io)?;
    let m = &out.record.metrics;
    // The timeline's samples with tables, once each (the settled end
    // repeats the last operation count).
    let mut marks: Vec<SpaceMark> = Vec::new();
    let mut amps = Vec::new();
    for row in &out.timeline {
        let tables: u64 = row.level_bytes.iter().sum();
        if row.space_amp > 0.0 && marks.last().is_none_or(|m| m.ops_done < row.ops_done) {
            marks.push(SpaceMark {
                ops_done: row.ops_done,
                live_bytes: tables as f64 / row.space_amp,
            });
            amps.push(row.space_amp);
        }
    }
    let space_amp_mean = mean(&amps);
    let figures = EngineFigures {
        user_bytes: m.user_bytes,
        flush_bytes: m.flush_bytes,
        flushes: out.flushes,
        compaction_read_bytes: m.compaction_read_bytes,
        compaction_write_bytes: m.compaction_write_bytes,
        write_amp: m.write_amp,
        sst_bytes: m.sst_bytes,
        live_bytes: m.live_bytes,
        space_amp: m.space_amp,
        stall_seconds: m.stall_seconds,
        level_files: out
            .record
            .breakdown
            .iter()
            .filter_map(|(c, v)| {
                Some((c.strip_prefix("level_files_L")?.parse::<usize>().ok()?, *v))
            })
            .fold(Vec::new(), |mut acc, (l, v)| {
                if acc.len() <= l {
                    acc.resize(l + 1, 0);
                }
                acc[l] = v;
                acc
            }),
        ingest_rate: build_workload(run)?.ingest_rate as f64,
        compaction_io_rate: options.compaction_io_rate as f64,
        flush_io_rate: options.flush_io_rate as f64,
        space_amp_mean,
        backlog_mean: 0.0,
        backlog_max: 0,
        warnings: Vec::new(),
        picks_checked: 0,
        picks_agreed: 0,
        picks_flushed_between: 0,
    };
    Ok((figures, marks))
}

/// A point of lsmlab's timeline where both engines' table bytes are read:
/// the operations done and the live bytes then.
#[derive(Debug, Clone, Copy)]
struct SpaceMark {
    ops_done: u64,
    live_bytes: f64,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Runs `run` on lsmlab and on RocksDB.
pub fn peer_run(run: &RunSpec, cfg: &PeerConfig) -> Result<PeerRun, PeerError> {
    let options = build_options(run)?;
    let flags = flags::db_bench_flags(&options).map_err(|reason| PeerError::Unmapped {
        run: run.run_id.clone(),
        reason,
    })?;
    if crate::runner::build_lab(run)?.snapshots().is_some() {
        // db_bench's replay holds no snapshots: the two would not compare.
        return Err(PeerError::Unmapped {
            run: run.run_id.clone(),
            reason: "snapshot retention (lab.snapshot_interval, lab.snapshot_retention): \
                     db_bench's replay takes no snapshots"
                .into(),
        });
    }
    let regime = Regime::of(&options);
    let dir = cfg.work_dir.join(crate::runner::run_dir_name(&run.run_id));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        let run = run.run_id.clone();
        move |source| PeerError::Io { run, path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let (lsmlab, marks) = lsmlab_figures(run, &options, &dir.join(LSMLAB_JOB_LOG))?;
    let trace = dir.join("ops.trace");
    let idle = dir.join("settle.trace");
    let mark_ops: Vec<u64> = marks.iter().map(|m| m.ops_done).collect();
    let (ops, mark_ms) = replay::write_traces(run, &trace, &idle, cfg, regime, &mark_ops)?;
    // Where the replay's clock places each sample (keeping-up only: a
    // full-speed replay has no clock to read them on).
    let samples: Vec<(u64, f64)> = match regime {
        Regime::KeepingUp => mark_ms
            .iter()
            .zip(&marks)
            .map(|(&ms, m)| (ms, m.live_bytes))
            .collect(),
        Regime::FullSpeed => Vec::new(),
    };
    let mut replays = Vec::new();
    for k in 1..=cfg.replays.max(1) {
        let out_dir = if cfg.replays > 1 {
            dir.join(format!("replay-{k}"))
        } else {
            dir.clone()
        };
        std::fs::create_dir_all(&out_dir).map_err(io(&out_dir))?;
        replays.push(rocksdb_replay(
            run, cfg, &flags, regime, &trace, &idle, &out_dir, &lsmlab, ops, &samples,
        )?);
    }
    if !cfg.keep_traces {
        for t in [&trace, &idle] {
            std::fs::remove_file(t).map_err(io(t))?;
        }
    }
    let rocksdb = median_figures(&replays);
    let calibrated = cfg.calibrate && regime == Regime::FullSpeed;
    let lsmlab = if calibrated {
        let mut at = run.clone();
        for (name, rate) in [
            ("workload.ingest_rate", rocksdb.ingest_rate),
            ("engine.compaction_io_rate", rocksdb.compaction_io_rate),
            ("engine.flush_io_rate", rocksdb.flush_io_rate),
        ] {
            // A rate RocksDB did not show (no compaction ran) stays the spec's.
            if rate >= 1.0 {
                at.settings.push((name.to_string(), format!("{:.0}", rate)));
            }
        }
        lsmlab_figures(
            &at,
            &build_options(&at)?,
            &dir.join(LSMLAB_JOB_LOG_CALIBRATED),
        )?
        .0
    } else {
        lsmlab
    };
    Ok(PeerRun {
        run_id: run.run_id.clone(),
        policy: run.policy.clone(),
        workload: run.workload.clone(),
        regime,
        write_buffer_accounting: options.write_buffer_accounting.name(),
        calibrated,
        l0_trigger: options.l0_file_limit,
        lsmlab,
        rocksdb,
        rocksdb_replays: replays,
    })
}

/// One RocksDB replay of `trace` into a new database under `dir`, settled
/// with `idle`; db_bench's outputs and RocksDB's compaction log are kept in
/// `dir`, the database removed. Byte counts are relative to `lsmlab`'s (the
/// same operations).
#[allow(clippy::too_many_arguments)]
fn rocksdb_replay(
    run: &RunSpec,
    cfg: &PeerConfig,
    flags: &[String],
    regime: Regime,
    trace: &Path,
    idle: &Path,
    dir: &Path,
    lsmlab: &EngineFigures,
    ops: u64,
    samples: &[(u64, f64)],
) -> Result<EngineFigures, PeerError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        let run = run.run_id.clone();
        move |source| PeerError::Io { run, path, source }
    };
    let db = dir.join("db");
    if db.exists() {
        std::fs::remove_dir_all(&db).map_err(io(&db))?;
    }
    let common: Vec<String> = [
        format!("--db={}", db.display()),
        "--num_column_families=2".into(),
        "--statistics=1".into(),
        "--compression_type=none".into(),
        "--stats_per_interval=0".into(),
        "--seed=1".into(),
    ]
    .into_iter()
    .chain(flags.iter().cloned())
    .collect();
    let replay_out = dir.join("db_bench-replay.txt");
    // The replay's clock starts with db_bench (its LOG's times are the
    // same system clock, in microseconds).
    let start_micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut stats = db_bench(
        cfg,
        run,
        &replay_out,
        &common,
        &[
            "--benchmarks=replay,flush,stats".into(),
            format!("--trace_file={}", trace.display()),
            format!("--trace_replay_fast_forward={}", regime.fast_forward()),
        ],
    )?;
    let manifests = dir.join("rocksdb-manifests");
    copy_manifests(&db, &manifests).map_err(io(&manifests))?;
    let replay_seconds = stats.seconds("replay").unwrap_or(0.0);
    // Idle rounds until no compaction holds a file (a full merge at 16M keys
    // outlasts any fixed settle time). Not db_bench's `waitforcompaction`:
    // it waits while `rocksdb.compaction-pending` is set, which 7.8's
    // universal style leaves set, with nothing to pick, when it has exactly
    // `level0_file_num_compaction_trigger` sorted runs: it never returns.
    let settle_out = dir.join("db_bench-settle.txt");
    let mut settle_text = String::new();
    for _ in 0..MAX_SETTLE_ROUNDS {
        let settled = db_bench(
            cfg,
            run,
            &settle_out,
            &common,
            &[
                "--use_existing_db=1".into(),
                "--benchmarks=replay,stats".into(),
                format!("--trace_file={}", idle.display()),
                "--trace_replay_fast_forward=1".into(),
            ],
        )?;
        settle_text.push_str(&std::fs::read_to_string(&settle_out).map_err(io(&settle_out))?);
        copy_manifests(&db, &manifests).map_err(io(&manifests))?;
        let busy = settled.levels.iter().any(|l| l.compacting > 0);
        stats.add(settled);
        if !busy {
            break;
        }
    }
    // Every round's output, in order.
    std::fs::write(&settle_out, settle_text).map_err(io(&settle_out))?;
    let sst_bytes = sst_bytes(&db).map_err(io(&db))?;
    let picks = dir.join("rocksdb-compactions.log");
    let logs = table_bytes_log::read_logs(&db).map_err(io(&db))?;
    compaction_log::keep(&logs, &picks).map_err(io(&picks))?;
    let (backlog_mean, backlog_max) =
        compaction_log::backlog(&std::fs::read_to_string(&picks).map_err(io(&picks))?)
            .unwrap_or((0.0, 0));
    let mut warnings = Vec::new();
    let space_amp_mean = if samples.is_empty() {
        0.0
    } else {
        let tables =
            table_bytes_log::table_bytes(logs.iter().map(|(n, t)| (n.as_str(), t.as_str())))
                .map_err(|reason| PeerError::Parse {
                    run: run.run_id.clone(),
                    reason,
                })?;
        // The replay began its replay seconds before the manual flush that
        // follows it (db_bench opens the database first, a while after the
        // process starts); without that flush, when the process started.
        let start = match tables.manual_flush_micros {
            Some(flush) if replay_seconds > 0.0 => {
                flush.saturating_sub((replay_seconds * 1e6) as u64)
            }
            _ => start_micros,
        };
        let csv = dir.join("rocksdb-table-bytes.csv");
        let mut text = String::from("seconds,table_bytes\n");
        for s in &tables.steps {
            let secs = (s.time_micros as f64 - start as f64) / 1e6;
            text.push_str(&format!("{secs:.3},{}\n", s.bytes));
        }
        std::fs::write(&csv, text).map_err(io(&csv))?;
        let end = tables.steps.last().map_or(0, |s| s.bytes);
        if end == sst_bytes {
            let amps: Vec<f64> = samples
                .iter()
                .map(|&(ms, live)| {
                    table_bytes_log::bytes_at(&tables.steps, start + ms * 1000) as f64 / live
                })
                .collect();
            let m = mean(&amps);
            if m > 0.0 {
                m
            } else {
                // Every sample fell before the LOG's first table: the replay's
                // start was not placed on the LOG's clock, so no figure.
                warnings.push(format!(
                    "{}: no table of RocksDB's LOG precedes any of the run's {} samples: no \
                     space amplification over the run",
                    dir.display(),
                    amps.len()
                ));
                0.0
            }
        } else {
            // The LOG told a story the files do not end with: no figure.
            warnings.push(format!(
                "{}: RocksDB's table bytes rebuilt from its LOG end at {end}, its tables on disk \
                 hold {sst_bytes}: no space amplification over the run",
                dir.display()
            ));
            0.0
        }
    };
    std::fs::remove_dir_all(&db).map_err(io(&db))?;
    let picks_out = dir.join("rocksdb-picks.txt");
    let picks = check_rocksdb_picks(
        cfg,
        &build_options(run)?,
        &manifests,
        &logs,
        &picks_out,
        &mut warnings,
    )
    .map_err(io(&picks_out))?;
    std::fs::remove_dir_all(&manifests).map_err(io(&manifests))?;
    if let Some(l) = stats.levels.iter().find(|l| l.compacting > 0) {
        return Err(PeerError::Parse {
            run: run.run_id.clone(),
            reason: format!(
                "RocksDB was still compacting at the end ({} of L{}'s {} files held by a running \
                 compaction): its figures would not be at quiescence, as lsmlab's are",
                l.compacting, l.level, l.files
            ),
        });
    }

    let flush = stats.counter("rocksdb.flush.write.bytes");
    let compaction_write = stats.counter("rocksdb.compact.write.bytes");
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let per_second = |bytes: u64, micros: u64| ratio(bytes, micros) * 1e6;
    let rocksdb = EngineFigures {
        user_bytes: lsmlab.user_bytes,
        flush_bytes: flush,
        flushes: stats.histogram_count("rocksdb.db.flush.micros"),
        compaction_read_bytes: stats.counter("rocksdb.compact.read.bytes"),
        compaction_write_bytes: compaction_write,
        write_amp: ratio(flush + compaction_write, lsmlab.user_bytes),
        sst_bytes,
        live_bytes: lsmlab.live_bytes,
        space_amp: ratio(sst_bytes, lsmlab.live_bytes),
        space_amp_mean,
        backlog_mean,
        backlog_max,
        warnings,
        stall_seconds: stats.counter("rocksdb.stall.micros") as f64 / 1e6,
        level_files: level_files(&stats),
        ingest_rate: match stats.seconds("replay") {
            // The replay's own benchmark (the settle rounds replay too).
            Some(_) => ops as f64 / replay_seconds.max(1e-6),
            None => 0.0,
        },
        compaction_io_rate: per_second(
            stats.counter("rocksdb.compact.read.bytes") + compaction_write,
            stats.histogram_sum("rocksdb.compaction.times.micros"),
        ),
        flush_io_rate: per_second(flush, stats.histogram_sum("rocksdb.db.flush.micros")),
        picks_checked: picks.checked,
        picks_agreed: picks.agreed,
        picks_flushed_between: picks.flushed_between,
    };
    Ok(rocksdb)
}

/// Copies the `MANIFEST-*` files of `db` into `to` (a reopened database
/// deletes its previous MANIFEST: the peer copies them after each db_bench
/// process).
fn copy_manifests(db: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(db)? {
        let e = e?;
        let name = e.file_name();
        if name.to_string_lossy().starts_with("MANIFEST-") {
            std::fs::copy(e.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// RocksDB's `ldb` beside its db_bench, or on PATH.
fn find_ldb(db_bench: &Path) -> Option<PathBuf> {
    find_tool(db_bench.parent(), ["ldb", "rocksdb_ldb"])
}

/// lsmlab's policy on RocksDB's trees ([`manifest_picks`]): the MANIFESTs
/// copied in `manifests` (dumped with `ldb`, oldest first), checked against
/// `options`; the differences go to `out` (`rocksdb-picks.txt`). A missing
/// `ldb` or an unreadable MANIFEST is a warning, not an error: the figures
/// stand without the check.
fn check_rocksdb_picks(
    cfg: &PeerConfig,
    options: &lsmlab_engine::Options,
    manifests: &Path,
    logs: &[(String, String)],
    out: &Path,
    warnings: &mut Vec<String>,
) -> std::io::Result<manifest_picks::PickCheck> {
    let Some(ldb) = find_ldb(&cfg.db_bench) else {
        warnings
            .push("no ldb beside db_bench or on PATH: picks not checked on RocksDB's trees".into());
        return Ok(Default::default());
    };
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(manifests)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e
                .file_name()
                .to_string_lossy()
                .strip_prefix("MANIFEST-")?
                .parse()
                .ok()?;
            Some((n, e.path()))
        })
        .collect();
    files.sort();
    let mut edits = Vec::new();
    for (_, f) in &files {
        let dump = Command::new(&ldb)
            .arg("manifest_dump")
            .arg("--verbose")
            .arg("--hex")
            .arg(format!("--path={}", f.display()))
            .output()?;
        let text = String::from_utf8_lossy(&dump.stdout);
        if !dump.status.success() {
            warnings.push(format!(
                "{} manifest_dump {} failed ({}): picks not checked",
                ldb.display(),
                f.display(),
                dump.status
            ));
            return Ok(Default::default());
        }
        match manifest_picks::parse_dump(&text) {
            Ok(e) => edits.extend(e),
            Err(e) => {
                warnings.push(format!("{}: {e}: picks not checked", f.display()));
                return Ok(Default::default());
            }
        }
    }
    let timing = manifest_picks::Timing::from_logs(logs.iter().map(|(_, t)| t.as_str()));
    let check = match manifest_picks::check_picks(&edits, options, Some(&timing)) {
        Ok(c) => c,
        Err(e) => {
            warnings.push(format!("{e}: picks not checked"));
            return Ok(Default::default());
        }
    };
    let mut text = format!(
        "lsmlab's policy on RocksDB's trees: {} of {} of RocksDB's compactions and moves picked \
         alike (the same input files, the same output level); {} more differ only by L0 files \
         a flush installed after RocksDB picked.\n",
        check.agreed, check.checked, check.flushed_between
    );
    for d in &check.differences {
        text.push_str(d);
        text.push('\n');
    }
    std::fs::write(out, text)?;
    Ok(check)
}

fn level_files(stats: &DbBenchStats) -> Vec<u64> {
    let mut v = Vec::new();
    for l in &stats.levels {
        if v.len() <= l.level {
            v.resize(l.level + 1, 0);
        }
        v[l.level] = l.files;
    }
    v
}

/// Bytes of the `.sst` files in `db`.
fn sst_bytes(db: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(db)? {
        let e = e?;
        if e.path().extension().is_some_and(|x| x == "sst") {
            total += e.metadata()?.len();
        }
    }
    Ok(total)
}

/// Runs db_bench with `common` and `extra` flags, its output kept in
/// `output`, and parses it.
fn db_bench(
    cfg: &PeerConfig,
    run: &RunSpec,
    output: &Path,
    common: &[String],
    extra: &[String],
) -> Result<DbBenchStats, PeerError> {
    let io = |source| PeerError::Io {
        run: run.run_id.clone(),
        path: output.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(output).map_err(io)?;
    let err = file.try_clone().map_err(io)?;
    let status = Command::new(&cfg.db_bench)
        .args(common)
        .args(extra)
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(|source| PeerError::Io {
            run: run.run_id.clone(),
            path: cfg.db_bench.clone(),
            source,
        })?;
    if !status.success() {
        return Err(PeerError::DbBench {
            run: run.run_id.clone(),
            status: status.to_string(),
            output: output.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(output).map_err(io)?;
    db_bench_stats::parse(&text).map_err(|reason| PeerError::Parse {
        run: run.run_id.clone(),
        reason,
    })
}
