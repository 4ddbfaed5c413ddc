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
mod replay;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicU64;

use crate::runner::{build_options, run_experiment, FsChoice, RunError};
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
    /// per run; databases are removed when a run is done).
    pub work_dir: PathBuf,
    /// Write rate (user bytes per second) of the keeping-up regime.
    pub write_rate: u64,
    /// Seconds RocksDB gets after the replay and its flush to finish the
    /// compactions they started (lsmlab's run ends at quiescence).
    pub settle_seconds: u64,
}

/// The figures of one engine on one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineFigures {
    pub user_bytes: u64,
    pub flush_bytes: u64,
    pub compaction_read_bytes: u64,
    pub compaction_write_bytes: u64,
    pub write_amp: f64,
    pub sst_bytes: u64,
    pub live_bytes: u64,
    pub space_amp: f64,
    pub stall_seconds: f64,
    /// Files per level at the end, L0 first.
    pub level_files: Vec<u64>,
}

/// One run, on both engines.
#[derive(Debug, Clone)]
pub struct PeerRun {
    pub run_id: String,
    pub policy: String,
    pub workload: String,
    pub regime: Regime,
    pub lsmlab: EngineFigures,
    pub rocksdb: EngineFigures,
}

/// db_bench on PATH (`db_bench`, or Debian's older `rocksdb_db_bench`).
pub fn find_db_bench() -> Result<PathBuf, PeerError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|d| ["db_bench", "rocksdb_db_bench"].map(|n| d.join(n)))
        .find(|p| p.is_file())
        .ok_or(PeerError::NoDbBench)
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
    let out = run_experiment(run, &FsChoice::Mem { limit: None }, &AtomicU64::new(0))?;
    let m = &out.record.metrics;
    let lsmlab = EngineFigures {
        user_bytes: m.user_bytes,
        flush_bytes: m.flush_bytes,
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
    };

    let dir = cfg.work_dir.join(crate::runner::run_dir_name(&run.run_id));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        let run = run.run_id.clone();
        move |source| PeerError::Io { run, path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let trace = dir.join("ops.trace");
    let idle = dir.join("settle.trace");
    replay::write_traces(run, &trace, &idle, cfg, regime)?;
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
    .chain(flags)
    .collect();
    let mut stats = db_bench(
        cfg,
        run,
        &dir.join("db_bench-replay.txt"),
        &common,
        &[
            "--benchmarks=replay,flush,stats".into(),
            format!("--trace_file={}", trace.display()),
            format!("--trace_replay_fast_forward={}", regime.fast_forward()),
        ],
    )?;
    let settled = settle(cfg, run, &dir, &db, &common, &idle)?;
    stats.add(settled);
    let sst_bytes = sst_bytes(&db).map_err(io(&db))?;
    let picks = dir.join("rocksdb-compactions.log");
    compaction_log::keep(&db, &picks).map_err(io(&picks))?;
    std::fs::remove_dir_all(&db).map_err(io(&db))?;
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
    let rocksdb = EngineFigures {
        user_bytes: lsmlab.user_bytes,
        flush_bytes: flush,
        compaction_read_bytes: stats.counter("rocksdb.compact.read.bytes"),
        compaction_write_bytes: compaction_write,
        write_amp: ratio(flush + compaction_write, lsmlab.user_bytes),
        sst_bytes,
        live_bytes: lsmlab.live_bytes,
        space_amp: ratio(sst_bytes, lsmlab.live_bytes),
        stall_seconds: stats.counter("rocksdb.stall.micros") as f64 / 1e6,
        level_files: level_files(&stats),
    };
    Ok(PeerRun {
        run_id: run.run_id.clone(),
        policy: run.policy.clone(),
        workload: run.workload.clone(),
        regime,
        lsmlab,
        rocksdb,
    })
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

/// The settle session: the idle replay, then db_bench's own wait until no
/// flush or compaction is pending or running (a full merge at 16M keys
/// outlasts any fixed settle time), then its stats. When the wait can never
/// end (RocksDB 7.8's universal compaction reports a compaction pending at
/// exactly the trigger's sorted runs with nothing to pick, see
/// [`compaction_log::idle_with_nothing_to_do`]) db_bench is stopped, the session's
/// compaction bytes are read from its LOG, and a last session prints the
/// levels (`db_bench-final-stats.txt`).
fn settle(
    cfg: &PeerConfig,
    run: &RunSpec,
    dir: &Path,
    db: &Path,
    common: &[String],
    idle: &Path,
) -> Result<DbBenchStats, PeerError> {
    let output = dir.join("db_bench-settle.txt");
    let log = db.join("LOG");
    let extra = [
        "--use_existing_db=1".to_string(),
        "--benchmarks=replay,waitforcompaction,stats".into(),
        format!("--trace_file={}", idle.display()),
        "--trace_replay_fast_forward=1".into(),
    ];
    // Stopped once RocksDB has been idle with nothing to pick for 30
    // seconds (db_bench checks every 10).
    let mut idle: Option<(String, u32)> = None;
    let mut stuck = || {
        let text = std::fs::read(&log).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let now = compaction_log::idle_with_nothing_to_do(&text).map(str::to_string);
        idle = match (idle.take(), now) {
            (Some((was, polls)), Some(now)) if was == now => Some((was, polls + 1)),
            (_, now) => now.map(|line| (line, 1)),
        };
        idle.as_ref().is_some_and(|(_, polls)| *polls >= 30)
    };
    if let Some(stats) = db_bench_until(cfg, run, &output, common, &extra, Some(&mut stuck))? {
        return Ok(stats);
    }
    let text = std::fs::read(&log).map_err(|source| PeerError::Io {
        run: run.run_id.clone(),
        path: log.clone(),
        source,
    })?;
    let (read, write) =
        compaction_log::compaction_bytes(&String::from_utf8_lossy(&text)).map_err(|reason| {
            PeerError::Parse {
                run: run.run_id.clone(),
                reason: format!("{}: {reason}", log.display()),
            }
        })?;
    let mut stats = DbBenchStats::default();
    stats
        .counters
        .insert("rocksdb.compact.read.bytes".into(), read);
    stats
        .counters
        .insert("rocksdb.compact.write.bytes".into(), write);
    let last = db_bench(
        cfg,
        run,
        &dir.join("db_bench-final-stats.txt"),
        common,
        &["--use_existing_db=1".into(), "--benchmarks=stats".into()],
    )?;
    stats.add(last);
    Ok(stats)
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
    db_bench_until(cfg, run, output, common, extra, None)?.ok_or_else(|| PeerError::Parse {
        run: run.run_id.clone(),
        reason: "db_bench stopped without a stop condition".into(),
    })
}

/// [`db_bench`], asking `stop` every second whether to stop it: `Ok(None)`
/// when it said so and db_bench was stopped.
fn db_bench_until(
    cfg: &PeerConfig,
    run: &RunSpec,
    output: &Path,
    common: &[String],
    extra: &[String],
    mut stop: Option<&mut dyn FnMut() -> bool>,
) -> Result<Option<DbBenchStats>, PeerError> {
    let io = |source| PeerError::Io {
        run: run.run_id.clone(),
        path: output.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(output).map_err(io)?;
    let err = file.try_clone().map_err(io)?;
    let spawn_err = |source| PeerError::Io {
        run: run.run_id.clone(),
        path: cfg.db_bench.clone(),
        source,
    };
    let mut child = Command::new(&cfg.db_bench)
        .args(common)
        .args(extra)
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(spawn_err)?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(spawn_err)? {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        if stop.as_mut().is_some_and(|stop| stop()) {
            child.kill().map_err(spawn_err)?;
            child.wait().map_err(spawn_err)?;
            return Ok(None);
        }
    };
    if !status.success() {
        return Err(PeerError::DbBench {
            run: run.run_id.clone(),
            status: status.to_string(),
            output: output.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(output).map_err(io)?;
    db_bench_stats::parse(&text)
        .map(Some)
        .map_err(|reason| PeerError::Parse {
            run: run.run_id.clone(),
            reason,
        })
}
