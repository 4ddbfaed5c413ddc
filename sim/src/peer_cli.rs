//! `lsmlab peer rocksdb SPEC`: every run of a spec on lsmlab and on
//! RocksDB's db_bench, side by side (see `lsmlab::peer`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use lsmlab::catalog::Catalog;
use lsmlab::peer::{self, report, PeerConfig, PeerError};
use lsmlab::spec::SweepSpec;

#[derive(Args)]
pub struct PeerArgs {
    #[command(subcommand)]
    engine: PeerEngine,
}

#[derive(Subcommand)]
enum PeerEngine {
    /// Replay each run's operations into RocksDB (Debian's db_bench) with
    /// the run's parameters, in the run's regime; write lsmlab's and
    /// RocksDB's figures side by side.
    Rocksdb(RocksdbArgs),
}

#[derive(Args)]
struct RocksdbArgs {
    /// The sweep spec whose runs to compare.
    spec: PathBuf,
    /// Output directory for runs.csv, peer.md and db_bench's outputs
    /// (default notebooks-out/<spec name>-rocksdb).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Directory for RocksDB's databases and traces (default: a
    /// subdirectory of --out); both are removed run by run (see
    /// --keep-traces).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The db_bench binary (default: db_bench or rocksdb_db_bench on PATH).
    #[arg(long = "db-bench")]
    db_bench: Option<PathBuf>,
    /// User bytes per second RocksDB replays at in the keeping-up regime
    /// (suffixes KiB, MiB).
    #[arg(long = "write-rate", default_value = "4MiB")]
    write_rate: String,
    /// Seconds of each idle round RocksDB gets after the replay to finish its
    /// compactions; rounds repeat while a compaction holds files (at most
    /// 720).
    #[arg(long, default_value_t = 5)]
    settle: u64,
    /// RocksDB replays of each run's operations; its figures are then the
    /// medians over them, and runs.csv keeps every replay (1 to 99).
    #[arg(long, default_value_t = 1)]
    replays: usize,
    /// Full-speed runs: run lsmlab again at the rates RocksDB had in its
    /// replays (operations, compaction and flush bytes per second; medians)
    /// and compare that run, instead of the rates the spec assumed.
    #[arg(long)]
    calibrate: bool,
    /// Keep each run's RocksDB trace (work/<run>/ops.trace) to replay it
    /// again by hand; a 16M-operation trace is 2.4 GB.
    #[arg(long = "keep-traces")]
    keep_traces: bool,
    /// Only the runs whose id contains this text (repeat the flag for
    /// several).
    #[arg(long)]
    only: Vec<String>,
}

pub fn command(a: PeerArgs) -> Result<u8> {
    let PeerEngine::Rocksdb(a) = a.engine;
    if !(1..=99).contains(&a.replays) {
        bail!(
            "--replays {}: want 1 to 99 RocksDB replays of each run",
            a.replays
        );
    }
    let db_bench = match a.db_bench {
        Some(p) if p.is_file() => p,
        Some(p) => bail!("--db-bench {}: no such file", p.display()),
        None => peer::find_db_bench()?,
    };
    let Some(write_rate) = lsmlab_engine::params::parse_bytes(&a.write_rate).filter(|&r| r > 0)
    else {
        bail!(
            "--write-rate {}: want a positive size per second (e.g. 4MiB)",
            a.write_rate
        );
    };
    let spec = SweepSpec::from_file(&a.spec, &Catalog)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("notebooks-out").join(format!("{}-rocksdb", spec.name)));
    let work_dir = a.dir.unwrap_or_else(|| out.join("work"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let cfg = PeerConfig {
        db_bench: db_bench.clone(),
        work_dir,
        write_rate,
        settle_seconds: a.settle,
        replays: a.replays,
        calibrate: a.calibrate,
        keep_traces: a.keep_traces,
    };
    let csv = out.join("runs.csv");
    let md = out.join("peer.md");
    let db_bench_name = db_bench.display().to_string();
    // Written again after every run, so that a long comparison stopped
    // half-way keeps what it measured.
    let write = |done: &[peer::PeerRun], skipped: &[(String, String)]| -> Result<String> {
        lsmlab::atomic::write_file(&csv, report::runs_csv(done).as_bytes())?;
        let text = report::markdown(&spec.name, done, skipped, &db_bench_name);
        lsmlab::atomic::write_file(&md, text.as_bytes())?;
        Ok(text)
    };
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    for run in spec.runs() {
        if !a.only.is_empty() && !a.only.iter().any(|o| run.run_id.contains(o.as_str())) {
            continue;
        }
        eprintln!("peer: {} ...", run.run_id);
        match peer::peer_run(&run, &cfg) {
            Ok(r) => {
                let of = match r.rocksdb_replays.len() {
                    1 => String::new(),
                    n => format!(" (medians of {n} replays)"),
                };
                eprintln!(
                    "peer: {} ({}): write_amp lsmlab {:.3} RocksDB {:.3}; space_amp lsmlab {:.3} RocksDB {:.3}{of}",
                    r.run_id,
                    r.regime.name(),
                    r.lsmlab.write_amp,
                    r.rocksdb.write_amp,
                    r.lsmlab.space_amp,
                    r.rocksdb.space_amp
                );
                done.push(r);
                write(&done, &skipped)?;
            }
            Err(PeerError::Unmapped { run, reason }) => {
                eprintln!("peer: {run}: skipped: {reason}");
                skipped.push((run, reason));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if done.is_empty() {
        bail!(
            "no run of {} has a RocksDB peer ({} skipped)",
            a.spec.display(),
            skipped.len()
        );
    }
    let text = write(&done, &skipped)?;
    print!("{text}");
    println!("\nwrote {} and {}", csv.display(), md.display());
    Ok(0)
}
