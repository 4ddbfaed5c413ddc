//! The `lsmlab` command line: run one experiment, sweep a grid, check
//! amplification against a baseline, merge shards, list what can be set,
//! crash-test the engine.

mod peer_cli;
mod torture;
mod worker;
mod workload_cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use lsmlab::catalog::Catalog;
use lsmlab::check::{compare_on, configuration_difference, Tolerances};
use lsmlab::job_log_csv::JobLogCsv;
use lsmlab::journal::journal_dir;
use lsmlab::manifest::{run_config, spec_hash, Manifest, MANIFEST_JSON, VERSION};
use lsmlab::outputs::{write_outputs, write_shard, OutputPaths, SweepResults, SPEC_TOML};
use lsmlab::results::{merge_runs, read_runs, read_runs_noted, write_runs, RunsNotes};
use lsmlab::runner::{run_experiment_observed, FsChoice};
use lsmlab::shard::Shard;
use lsmlab::spec::{ParamCatalog, RunSpec, SweepSpec};
use lsmlab::sweep::{run_all, run_journaled, JournaledSweep};
use lsmlab::timeline::merge_timelines;
use lsmlab::words::{agree, count};

#[derive(Parser)]
#[command(
    name = "lsmlab",
    version,
    about = "A laboratory for LSM-tree compaction strategies"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one experiment: one policy, one workload.
    Run(RunArgs),
    /// Run a grid of experiments in parallel and write CSV, plots and a report.
    Sweep(SweepArgs),
    /// Compare a sweep's amplification with a baseline; exit 1 on a regression.
    Check(CheckArgs),
    /// Join the outputs of sweep shards into one result set and report.
    Merge(MergeArgs),
    /// List the compaction policies and their parameters.
    Policies,
    /// List the workload presets and their parameters; export a workload as
    /// a trace (lsmlab CSV or RocksDB's binary trace); inspect a trace.
    Workloads(workload_cli::WorkloadsArgs),
    /// Serve as an LSM node: Maelstrom-style JSON messages on stdin, replies on stdout.
    #[command(alias = "maelstrom")]
    Serve(ServeArgs),
    /// Measure wall-clock throughput and latency with db_bench-like phases.
    Bench(Box<BenchArgs>),
    /// Crash-test the engine on real files: kill a writer with SIGKILL at
    /// random moments, reopen, and check that nothing acknowledged was lost.
    Torture(torture::Args),
    /// Run a spec's runs on a reference engine too (RocksDB's db_bench) and
    /// write both engines' figures side by side.
    Peer(peer_cli::PeerArgs),
    /// Serve remote compaction jobs over TCP for databases in a shared
    /// directory.
    CompactionWorker(worker::Args),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FsKind {
    Mem,
    Disk,
}

#[derive(Args)]
struct FsArgs {
    /// Where databases live: in memory, or real files under --dir.
    #[arg(long, value_enum, default_value = "mem")]
    fs: FsKind,
    /// Directory for --fs disk (one subdirectory per run).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// For --fs mem: the most bytes of files one database may hold in memory
    /// (suffixes K, M, G: powers of 1024); a run that needs more stops with
    /// an error naming the size it needed.
    #[arg(long, value_parser = parse_size)]
    mem_limit: Option<u64>,
}

/// A byte count: digits with an optional K, M or G (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{s}`: expected a byte count such as 1048576, 512M or 2G"))
}

impl FsArgs {
    fn choice(&self) -> Result<FsChoice> {
        if self.mem_limit.is_some() && self.fs != FsKind::Mem {
            bail!("--mem-limit is only for --fs mem");
        }
        match (self.fs, &self.dir) {
            (FsKind::Mem, None) => Ok(FsChoice::Mem {
                limit: self.mem_limit,
            }),
            (FsKind::Mem, Some(_)) => bail!("--dir is only for --fs disk"),
            (FsKind::Disk, Some(d)) => Ok(FsChoice::Disk(d.clone())),
            (FsKind::Disk, None) => bail!("--fs disk needs --dir PATH"),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// Compaction policy (see `lsmlab policies`).
    #[arg(long, default_value = "leveled")]
    policy: String,
    /// Workload preset (see `lsmlab workloads`), or trace:PATH.
    #[arg(long, default_value = "uniform")]
    workload: String,
    /// Operations after any preload.
    #[arg(long)]
    ops: Option<u64>,
    /// Keys in the key space.
    #[arg(long)]
    key_count: Option<u64>,
    /// Value size in bytes (or a range like 10..=1000).
    #[arg(long)]
    value_size: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Probe lookups per workload operation, interleaved with the run
    /// (default: 10,000 over the run when the workload has no reads).
    #[arg(long)]
    probe_rate: Option<f64>,
    #[command(flatten)]
    fs: FsArgs,
    /// Any engine, policy or workload parameter: name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    /// Where runs.csv and timeline.csv go.
    #[arg(long, default_value = "notebooks-out/run")]
    out: PathBuf,
    /// A trace workload's records lsmlab cannot apply (other column
    /// families, SeekForPrev, blob indexes...) are errors instead of being
    /// counted, skipped and warned about.
    #[arg(long)]
    strict: bool,
    /// Write every flush and compaction the run installs to this CSV file:
    /// one row per table each job read or wrote (level, file, size, key
    /// range), to compare picks job by job.
    #[arg(long = "job-log", value_name = "CSV")]
    job_log: Option<PathBuf>,
}

#[derive(Args)]
struct SweepArgs {
    /// Sweep spec (TOML); without it, the embedded default sweep.
    spec: Option<PathBuf>,
    /// A trace workload's records lsmlab cannot apply (other column
    /// families, SeekForPrev, blob indexes...) are errors instead of being
    /// counted, skipped and warned about.
    #[arg(long)]
    strict: bool,
    /// Runs in parallel, 1 ..= 1024 (default: the machine's cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only every N-th run starting at I (0-based): I/N.
    #[arg(long)]
    shard: Option<Shard>,
    /// Seeds per configuration (overrides the spec's `seeds`).
    #[arg(long)]
    seeds: Option<u64>,
    #[command(flatten)]
    fs: FsArgs,
    /// Root of the machine-readable results.
    #[arg(long, default_value = "notebooks-out")]
    notebooks_out: PathBuf,
    /// Root of the human-facing reports.
    #[arg(long, default_value = "reports")]
    reports_out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Continue an interrupted sweep: runs its journal (`<out>.partial/`)
    /// holds are not run again. Refused if the spec or lsmlab changed.
    #[arg(long, conflicts_with = "restart")]
    resume: bool,
    /// Discard an interrupted sweep's journal and start over.
    #[arg(long)]
    restart: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// The baseline runs.csv.
    #[arg(long)]
    baseline: PathBuf,
    /// Allowed relative change of a metric before it counts: metric=fraction
    /// (repeatable; default 0.02 for every amplification column).
    #[arg(long = "tolerance", value_name = "METRIC=FRACTION")]
    tolerance: Vec<String>,
    /// Spec to run and compare.
    spec: Option<PathBuf>,
    /// Compare this runs.csv instead of running a spec.
    #[arg(long, conflicts_with = "spec")]
    results: Option<PathBuf>,
    /// Rewrite the baseline with the current results.
    #[arg(long)]
    update: bool,
    /// Write every comparison made (run, metric, baseline, now, change,
    /// tolerance, status) to this CSV file, e.g. for CI to keep.
    #[arg(long, value_name = "FILE")]
    compared: Option<PathBuf>,
    /// Seeds per configuration of the spec run (overrides its `seeds`).
    #[arg(long, conflicts_with = "results")]
    seeds: Option<u64>,
    #[arg(long)]
    jobs: Option<usize>,
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct MergeArgs {
    /// Shard output directories (each with runs.csv and timeline.csv).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The sweep's spec (default: the spec.toml the shards carry).
    #[arg(long)]
    spec: Option<PathBuf>,
    #[arg(long, default_value = "notebooks-out")]
    notebooks_out: PathBuf,
    #[arg(long, default_value = "reports")]
    reports_out: PathBuf,
    /// Merge even when runs of the spec are missing (they are listed).
    #[arg(long)]
    allow_partial: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// Compaction policy (see `lsmlab policies`).
    #[arg(long, default_value = "leveled")]
    policy: String,
    /// Keep the database in real files in this directory (default: in memory).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Let the policy compact after every flush too (default: only on
    /// `lsm_compact` requests, so L0 accumulates until the client compacts).
    #[arg(long)]
    auto_compaction: bool,
    /// Any engine or policy parameter: name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
}

#[derive(Args)]
struct BenchArgs {
    /// Phases to run, in order (comma-separated): fillseq, fillrandom (keys
    /// drawn with repetition, as db_bench), filluniquerandom (every key
    /// once), overwrite, readrandom, readwhilewriting, seekrandom; and
    /// db_bench's untimed steps between them: flush, waitforcompaction,
    /// compact (every level merged into the deepest holding data),
    /// levelstats (files and MB per level).
    #[arg(
        long,
        default_value = "fillseq,fillrandom,filluniquerandom,overwrite,readrandom,readwhilewriting,seekrandom"
    )]
    benchmarks: String,
    /// Keys in the database (puts per fill and overwrite phase).
    #[arg(long, default_value_t = 1_000_000)]
    num: u64,
    /// Operations per read phase over all reader threads (default: --num).
    #[arg(long)]
    reads: Option<u64>,
    #[arg(long, alias = "key_size", default_value_t = 16)]
    key_size: usize,
    #[arg(long, alias = "value_size", default_value_t = 100)]
    value_size: usize,
    /// Reader threads of the read phases.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Entries per seekrandom scan.
    #[arg(long, alias = "seek_nexts", default_value_t = 10)]
    scan_length: usize,
    #[command(flatten)]
    fs: FsArgs,
    /// As db_bench: the database directory, on disk; every database of the
    /// run lives there in turn (a fill starts it afresh).
    #[arg(long, conflicts_with_all = ["fs", "dir"])]
    db: Option<PathBuf>,
    /// As db_bench: work on the database already in --db (no fills).
    #[arg(long = "use_existing_db", num_args = 0..=1, default_value = "0",
          default_missing_value = "1", value_parser = parse_flag)]
    use_existing_db: bool,
    /// As db_bench: seconds each phase runs at most (0: until --num/--reads).
    #[arg(long, default_value_t = 0)]
    duration: u64,
    /// As db_bench: print the engine's counters after each database.
    #[arg(long, num_args = 0..=1, default_value = "0", default_missing_value = "1",
          value_parser = parse_flag)]
    statistics: bool,
    /// As db_bench (same as --set NAME=VALUE with RocksDB's option names).
    #[arg(long = "cache_size")]
    cache_size: Option<String>,
    #[arg(long = "write_buffer_size")]
    write_buffer_size: Option<String>,
    #[arg(long = "target_file_size_base")]
    target_file_size_base: Option<String>,
    #[arg(long = "max_bytes_for_level_base")]
    max_bytes_for_level_base: Option<String>,
    #[arg(long = "max_bytes_for_level_multiplier")]
    max_bytes_for_level_multiplier: Option<String>,
    #[arg(long = "level0_file_num_compaction_trigger")]
    level0_file_num_compaction_trigger: Option<String>,
    #[arg(long = "level0_slowdown_writes_trigger")]
    level0_slowdown_writes_trigger: Option<String>,
    #[arg(long = "level0_stop_writes_trigger")]
    level0_stop_writes_trigger: Option<String>,
    #[arg(long = "num_levels")]
    num_levels: Option<String>,
    #[arg(long = "block_size")]
    block_size: Option<String>,
    #[arg(long = "max_write_buffer_number")]
    max_write_buffer_number: Option<String>,
    #[arg(long = "max_background_jobs")]
    max_background_jobs: Option<String>,
    #[arg(long = "cache_index_and_filter_blocks")]
    cache_index_and_filter_blocks: Option<String>,
    /// As db_bench: bits per key of the bloom filters (`bloom_bits_per_key`).
    #[arg(long = "bloom_bits")]
    bloom_bits: Option<String>,
    /// As db_bench: sync the WAL on every write (`wal_sync`).
    #[arg(long = "sync")]
    sync: Option<String>,
    /// As db_bench: 1 writes no WAL (`wal = false`).
    #[arg(long = "disable_wal", num_args = 0..=1, default_missing_value = "1",
          value_parser = parse_flag)]
    disable_wal: Option<bool>,
    /// As db_bench; lsmlab's tables are not compressed, so only `none` is
    /// taken.
    #[arg(long = "compression_type")]
    compression_type: Option<String>,
    /// As db_bench, choosing the policy: 0 level (then --compaction_pri
    /// decides), 1 universal, 2 fifo; or a RocksDB name.
    #[arg(long = "compaction_style")]
    compaction_style: Option<String>,
    /// As db_bench, with a level style: 0 kByCompensatedSize (leveled),
    /// 1 kOldestLargestSeqFirst, 2 kOldestSmallestSeqFirst, 3
    /// kMinOverlappingRatio (min-overlap), 4 kRoundRobin (round-robin).
    #[arg(long = "compaction_pri")]
    compaction_pri: Option<String>,
    /// Compaction policy (see `lsmlab policies`); --compaction_style and
    /// --compaction_pri take its place when given.
    #[arg(long, default_value = "leveled")]
    policy: String,
    /// deterministic (flushes and compactions on the writing thread) or
    /// background (on max_background_jobs threads).
    #[arg(long, default_value = "background")]
    mode: String,
    /// Any engine or policy parameter: name=value (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Run merges on this many compaction workers (in this process, over
    /// loopback TCP); 0: in the writer.
    #[arg(long, default_value_t = 0)]
    compaction_workers: usize,
    /// As db_bench: bytes per second (key + value) that the write phases
    /// and readwhilewriting's writer hold to; 0: as fast as they go.
    #[arg(long = "benchmark_write_rate_limit", default_value_t = 0)]
    benchmark_write_rate_limit: u64,
}

/// A db_bench boolean: 1/0, true/false.
fn parse_flag(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("`{s}`: expected 1, 0, true or false")),
    }
}

fn cmd_bench(a: BenchArgs) -> Result<()> {
    use lsmlab::bench::{build_options, policy_from_db_bench, run, to_json, BenchConfig, Phase};
    let mut settings = Vec::new();
    if let Some(c) = &a.compression_type {
        if !c.trim().eq_ignore_ascii_case("none") {
            bail!(
                "--compression_type={c}: lsmlab writes uncompressed tables, so only \
                 --compression_type=none matches it"
            );
        }
    }
    let disable_wal = a.disable_wal.map(|off| (!off).to_string());
    // db_bench's flags by RocksDB's option names (aliases of lsmlab's).
    let db_bench_settings = [
        ("cache_size", &a.cache_size),
        ("write_buffer_size", &a.write_buffer_size),
        ("target_file_size_base", &a.target_file_size_base),
        ("max_bytes_for_level_base", &a.max_bytes_for_level_base),
        (
            "max_bytes_for_level_multiplier",
            &a.max_bytes_for_level_multiplier,
        ),
        (
            "level0_file_num_compaction_trigger",
            &a.level0_file_num_compaction_trigger,
        ),
        (
            "level0_slowdown_writes_trigger",
            &a.level0_slowdown_writes_trigger,
        ),
        ("level0_stop_writes_trigger", &a.level0_stop_writes_trigger),
        ("num_levels", &a.num_levels),
        ("block_size", &a.block_size),
        ("max_write_buffer_number", &a.max_write_buffer_number),
        ("max_background_jobs", &a.max_background_jobs),
        (
            "cache_index_and_filter_blocks",
            &a.cache_index_and_filter_blocks,
        ),
        ("bloom_bits_per_key", &a.bloom_bits),
        ("wal_sync", &a.sync),
        ("wal", &disable_wal),
    ];
    for (name, value) in db_bench_settings {
        if let Some(v) = value {
            settings.push((name.to_string(), v.trim().to_string()));
        }
    }
    for s in &a.set {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--set `{s}`: expected NAME=VALUE"))?;
        settings.push((name.trim().to_string(), value.trim().to_string()));
    }
    let policy = policy_from_db_bench(a.compaction_style.as_deref(), a.compaction_pri.as_deref())?
        .unwrap_or(a.policy.clone());
    let cfg = BenchConfig {
        benchmarks: Phase::parse_list(&a.benchmarks)?,
        num: a.num,
        reads: a.reads,
        key_size: a.key_size,
        value_size: a.value_size,
        threads: a.threads,
        scan_length: a.scan_length,
        fs: a.fs.choice()?,
        db: a.db,
        use_existing_db: a.use_existing_db,
        duration: (a.duration > 0).then(|| std::time::Duration::from_secs(a.duration)),
        statistics: a.statistics,
        options: build_options(&policy, &a.mode, &settings)?,
        seed: a.seed,
        reader_stack_size: None,
        compaction_workers: a.compaction_workers,
        write_rate_limit: (a.benchmark_write_rate_limit > 0)
            .then_some(a.benchmark_write_rate_limit),
    };
    let report = run(&cfg, &mut std::io::stdout().lock())?;
    if let Some(path) = &a.json {
        let text = serde_json::to_string_pretty(&to_json(&cfg, &report))?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

fn cmd_serve(a: ServeArgs) -> Result<()> {
    let mut settings = Vec::new();
    for s in &a.set {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--set `{s}`: expected NAME=VALUE"))?;
        settings.push((name.trim().to_string(), value.trim().to_string()));
    }
    let config = lsmlab::serve::ServeConfig {
        policy: a.policy,
        dir: a.dir,
        auto_compaction: a.auto_compaction,
        settings,
    };
    lsmlab::serve::run_stdio(&config)?;
    Ok(())
}

/// The most runs a sweep may run at once (`--jobs`).
const MAX_JOBS: usize = 1024;

/// `--jobs`, or the machine's cores; refused outside `1 ..= MAX_JOBS`.
fn jobs(given: Option<usize>) -> Result<usize> {
    let jobs = given.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if !(1..=MAX_JOBS).contains(&jobs) {
        bail!("--jobs {jobs} is out of range: allowed 1 ..= {MAX_JOBS}");
    }
    Ok(jobs)
}

/// Applies `--seeds N` to a loaded spec.
fn with_seeds(mut spec: SweepSpec, seeds: Option<u64>) -> Result<SweepSpec> {
    if let Some(n) = seeds {
        use lsmlab::spec::{MAX_RUNS, MAX_SEEDS};
        if !(1..=MAX_SEEDS).contains(&n) {
            bail!("--seeds {n}: must be from 1 to {MAX_SEEDS}");
        }
        if spec.grid.iter().any(|a| a.key == "seed") {
            bail!("--seeds {n}: the spec varies `seed` in its grid already; keep one");
        }
        if spec.run_count_with(n).is_none_or(|runs| runs > MAX_RUNS) {
            bail!(
                "--seeds {n}: {} configurations of {} x {n} seeds pass the limit of {MAX_RUNS} runs; \
                 lower --seeds or split the sweep",
                spec.run_count_with(1).unwrap_or(usize::MAX),
                spec.file
            );
        }
        spec.seeds = n;
    }
    Ok(spec)
}

fn load_spec(path: Option<&Path>) -> Result<(SweepSpec, String)> {
    match path {
        Some(p) => {
            let spec = SweepSpec::from_file(p, &Catalog)?;
            let text = lsmlab::input_limits::read_text(p, lsmlab::input_limits::MAX_SPEC_BYTES)?;
            Ok((spec, text))
        }
        None => Ok((
            SweepSpec::default_sweep(&Catalog)?,
            lsmlab::spec::DEFAULT_SPEC_TOML.to_string(),
        )),
    }
}

/// Checks every run's options, workload, memory estimate and trace file
/// before any runs, so a bad one fails at once rather than after hours of
/// others; an error names the spec lines (of `spec`, when the runs come
/// from a file) of the settings it is about.
///
/// With `strict`, a trace holding records lsmlab cannot apply is an error
/// (as `workloads inspect --strict` makes it): the runs replay the same
/// files, so checking here is enough.
fn preflight(
    runs: &[&RunSpec],
    spec: Option<&SweepSpec>,
    fs: &FsChoice,
    strict: bool,
) -> Result<()> {
    let limit = lsmlab::runner::physical_memory().unwrap_or(u64::MAX);
    // Each trace is read once: its merge count, by path.
    let mut traces: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for run in runs {
        let located = |e: lsmlab::runner::RunError| located(spec, e);
        let options = lsmlab::runner::build_options(run).map_err(located)?;
        let workload = lsmlab::runner::build_workload(run).map_err(located)?;
        lsmlab::runner::build_lab(run).map_err(located)?;
        if let Some(path) = run.trace_spec() {
            let merges = match traces.get(&path) {
                Some(&merges) => merges,
                None => {
                    let trace = lsmlab::runner::open_trace(run, &path, &workload, strict)?;
                    if trace.counts().unsupported_total() > 0 {
                        eprintln!("warning: trace {path}: {}", trace.counts().describe());
                    }
                    traces.insert(path.clone(), trace.counts().merges);
                    trace.counts().merges
                }
            };
            lsmlab::runner::check_merge_operator(run, &options, &workload, merges)
                .map_err(located)?;
        } else {
            lsmlab::runner::check_merge_operator(run, &options, &workload, 0).map_err(located)?;
            lsmlab::runner::check_memory(run, &workload, fs, limit).map_err(located)?;
        }
    }
    Ok(())
}

/// Prints a warning for each policy parameter of `spec` that one of its
/// policies ignores; `place` says where a setting comes from.
fn warn_ignored_params(spec: &SweepSpec, place: impl Fn(&lsmlab::spec::SettingOrigin) -> String) {
    let settings = spec
        .origins
        .iter()
        .map(|o| (o.qualified.as_str(), place(o)));
    for warning in lsmlab::catalog::ignored_policy_params(&spec.policies, settings) {
        eprintln!("{warning}");
    }
}

/// `file:line` of a spec setting.
fn spec_line(spec: &SweepSpec) -> impl Fn(&lsmlab::spec::SettingOrigin) -> String + '_ {
    |o| format!("{}:{}", spec.file, o.line)
}

/// A run's error, prefixed with the spec lines of the settings it names.
fn located(spec: Option<&SweepSpec>, e: lsmlab::runner::RunError) -> anyhow::Error {
    match spec.and_then(|s| s.origins_named_in(&e.cause())) {
        Some(places) => anyhow::anyhow!("{places}: {e}"),
        None => e.into(),
    }
}

fn print_summary(out: &lsmlab::runner::RunOutput) {
    let m = &out.record.metrics;
    println!("run {}", out.record.run_id);
    println!(
        "  ops {}  write_amp {:.3}  space_amp {:.3} (peak {:.3})  read_amp {:.3} (p99 {})  filter_probes {:.2}",
        out.record.ops, m.write_amp, m.space_amp, m.space_amp_peak, m.read_amp, m.read_amp_p99, m.filter_probes
    );
    println!(
        "  compactions {}  trivial_moves {}  sorted_runs_max {}  pending_compaction_bytes_peak {}  wall {:.2}s ({:.0} ops/s)",
        m.compactions, m.trivial_moves, m.sorted_runs_max, m.pending_compaction_bytes_peak, m.wall_seconds, m.ops_per_second
    );
}

fn cmd_run(a: RunArgs) -> Result<()> {
    let catalog = Catalog;
    catalog
        .check_policy(&a.policy)
        .map_err(anyhow::Error::msg)?;
    catalog
        .check_workload(&a.workload)
        .map_err(anyhow::Error::msg)?;
    let mut settings = Vec::new();
    let mut push = |name: &str, value: String| -> Result<()> {
        let q = catalog
            .resolve(name)
            .map_err(|e| anyhow::anyhow!("--set {name}: {e}"))?;
        catalog
            .check(&q, &value)
            .map_err(|e| anyhow::anyhow!("--set {name}={value}: {e}"))?;
        settings.push((q, value));
        Ok(())
    };
    if let Some(n) = a.key_count {
        push("workload.key_count", n.to_string())?;
    }
    if let Some(v) = &a.value_size {
        push("workload.value_size", v.clone())?;
    }
    for s in &a.set {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--set `{s}`: expected NAME=VALUE"))?;
        push(name.trim(), value.trim().to_string())?;
    }
    if let Some(r) = a.probe_rate.filter(|r| !(0.0..=100.0).contains(r)) {
        bail!("--probe-rate {r}: must be a number from 0 to 100 (probe lookups per operation)");
    }
    let run = RunSpec {
        run_id: format!("{}/{}", a.policy, a.workload),
        spec_name: "run".into(),
        policy: a.policy.clone(),
        workload: a.workload.clone(),
        seed: a.seed,
        probe_rate: a.probe_rate,
        ops: a.ops,
        settings,
        varied: vec![],
        base_dir: PathBuf::new(),
    };
    // The run as its spec.toml describes it, so that a sweep of that file
    // does exactly this run (same settings, same order, same config).
    let spec_text = run_spec_toml(&run);
    let spec = SweepSpec::parse(&spec_text, "<lsmlab run>", &catalog)?;
    let run = spec.runs().remove(0);
    warn_ignored_params(&spec, |o| format!("--set {}", o.qualified));
    preflight(&[&run], None, &a.fs.choice()?, a.strict)?;
    // Fail before the run, not after it, when the output cannot be written.
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut out = match &a.job_log {
        None => run_all(&[&run], &a.fs.choice()?, 1, true)?
            .pop()
            .context("the run produced no output")?,
        Some(path) => {
            let log = Arc::new(
                JobLogCsv::create(path)
                    .with_context(|| format!("--job-log: creating {}", path.display()))?,
            );
            let out = run_experiment_observed(
                &run,
                &a.fs.choice()?,
                &AtomicU64::new(0),
                Some(log.clone()),
            )?;
            log.finish().context("--job-log")?;
            out
        }
    };
    let hash = spec_hash(&run.spec_name, std::slice::from_ref(&run));
    out.record.spec_hash = hash.clone();
    let manifest = Manifest {
        spec: run.spec_name.clone(),
        spec_hash: hash,
        lsmlab_version: VERSION.to_string(),
        seed: run.seed,
        shard: Shard::whole().to_string(),
        run_ids: vec![run.run_id.clone()],
    };
    write_shard(
        &a.out,
        &spec_text,
        &manifest,
        std::slice::from_ref(&out.record),
        &out.timeline,
    )?;
    print_summary(&out);
    println!("\n{}", out.level_stats);
    println!(
        "wrote {}, {} and {} (rerun with `lsmlab sweep {}`)",
        a.out.join("runs.csv").display(),
        a.out.join("timeline.csv").display(),
        a.out.join(SPEC_TOML).display(),
        a.out.join(SPEC_TOML).display()
    );
    Ok(())
}

/// A spec file that reruns `run` with `lsmlab sweep`: its policy, workload,
/// seed, ops and every parameter, each in its section.
fn run_spec_toml(run: &RunSpec) -> String {
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut text = format!(
        "# Written by `lsmlab run`; `lsmlab sweep` on this file reruns it.\n# {}\nname = {}\nseed = {}\n",
        run_config(run),
        quote(&run.spec_name),
        run.seed
    );
    if let Some(ops) = run.ops {
        text.push_str(&format!("ops = {ops}\n"));
    }
    for section in ["engine", "policy", "workload", "lab"] {
        // The policy and the preset are named inside their sections.
        let mut lines = match section {
            "policy" => format!("name = {}\n", quote(&run.policy)),
            "workload" => format!("preset = {}\n", quote(&run.workload)),
            _ => String::new(),
        };
        for (name, value) in &run.settings {
            if let Some(bare) = name.strip_prefix(&format!("{section}.")) {
                lines.push_str(&format!("{bare} = {}\n", quote(value)));
            }
        }
        if !lines.is_empty() {
            text.push_str(&format!("\n[{section}]\n{lines}"));
        }
    }
    text
}

/// Set by SIGINT and SIGTERM; a sweep's watcher thread ends the process
/// once no journal append is under way.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Routes Ctrl-C and SIGTERM to `INTERRUPTED` instead of killing the
/// process mid-append.
fn catch_interrupts() {
    #[cfg(unix)]
    // SAFETY: the handler only stores to an atomic, which is
    // async-signal-safe.
    unsafe {
        let handler = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// The runs of `shard`, dealt by estimated cost (operations and the
/// policy's measured write amplification, see `shard_cost`).
fn shard_runs<'r>(
    spec: &SweepSpec,
    runs: &'r [RunSpec],
    shard: Option<Shard>,
) -> Result<Vec<&'r RunSpec>> {
    let all: Vec<&RunSpec> = runs.iter().collect();
    let Some(shard) = shard else {
        return Ok(all);
    };
    let costs = lsmlab::shard_cost::estimate_costs(&all).map_err(|e| located(Some(spec), e))?;
    let cost: std::collections::HashMap<&str, u64> = all
        .iter()
        .zip(costs)
        .map(|(r, c)| (r.run_id.as_str(), c))
        .collect();
    Ok(shard.select_by_cost(all.clone(), |r| cost[r.run_id.as_str()]))
}

fn cmd_sweep(a: SweepArgs) -> Result<()> {
    let (spec, text) = load_spec(a.spec.as_deref())?;
    let spec = with_seeds(spec, a.seeds)?;
    let runs = spec.runs();
    let selected = shard_runs(&spec, &runs, a.shard)?;
    let jobs = jobs(a.jobs)?;
    warn_ignored_params(&spec, spec_line(&spec));
    preflight(&selected, Some(&spec), &a.fs.choice()?, a.strict)?;
    let shard = a.shard.unwrap_or_else(Shard::whole);
    let data_dir = match a.shard {
        Some(s) => a.notebooks_out.join(format!(
            "{}-shard-{}-of-{}",
            spec.name,
            s.index(),
            s.count()
        )),
        None => a.notebooks_out.join(&spec.name),
    };
    // Fail before the sweep, not after it, when the outputs cannot be written.
    let mut out_dirs = vec![data_dir.clone()];
    if a.shard.is_none() {
        out_dirs.push(a.reports_out.join(&spec.name));
    }
    for d in &out_dirs {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let journal = journal_dir(&data_dir);
    if journal.exists() && !a.resume && !a.restart {
        bail!(
            "{}: an interrupted sweep's finished runs are kept there: `--resume` continues it, `--restart` discards it",
            journal.display()
        );
    }
    let manifest = Manifest {
        spec: spec.name.clone(),
        spec_hash: spec_hash(&spec.name, &runs),
        lsmlab_version: VERSION.to_string(),
        seed: spec.seed,
        shard: shard.to_string(),
        run_ids: selected.iter().map(|r| r.run_id.clone()).collect(),
    };
    eprintln!(
        "sweep {}: {}{} on {}",
        spec.name,
        count(selected.len(), "run"),
        a.shard
            .map_or(String::new(), |s| format!(" (shard {s} of {})", runs.len())),
        count(jobs, "thread")
    );
    catch_interrupts();
    let outcome = run_journaled(
        &JournaledSweep {
            runs: &selected,
            manifest: &manifest,
            journal_dir: &journal,
            resume: a.resume,
            interrupt: Some(&INTERRUPTED),
        },
        &a.fs.choice()?,
        jobs,
        !a.quiet,
    )?;
    if outcome.resumed > 0 {
        eprintln!(
            "resumed: {} taken from {}",
            count(outcome.resumed, "run"),
            journal.display()
        );
    }
    if a.shard.is_some() {
        write_shard(
            &data_dir,
            &text,
            &manifest,
            &outcome.records,
            &outcome.timeline,
        )?;
        outcome.journal.remove()?;
        println!(
            "wrote shard {} (join shards with `lsmlab merge`)",
            data_dir.display()
        );
        return Ok(());
    }
    let paths = write_outputs(
        &SweepResults {
            name: &spec.name,
            spec_toml: &text,
            goal: spec.goal.as_ref(),
            manifest: &manifest,
            records: &outcome.records,
            timeline: &outcome.timeline,
        },
        &a.notebooks_out,
        &a.reports_out,
    )?;
    outcome.journal.remove()?;
    print_paths(&paths);
    Ok(())
}

fn print_paths(p: &OutputPaths) {
    println!(
        "results:  {} and {}",
        p.runs_csv.display(),
        p.timeline_csv.display()
    );
    println!("notebook: {}", p.notebook.display());
    println!("report:   {}", p.report_md.display());
}

fn cmd_check(a: CheckArgs) -> Result<u8> {
    let tolerances = Tolerances::parse(&a.tolerance)?;
    if a.results.is_none() && a.spec.is_none() {
        bail!("check needs a SPEC to run or --results FILE");
    }
    // Read the baseline before running anything: a bad one fails at once.
    let (baseline, notes) = if a.update {
        if let Some(parent) = a.baseline.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        (Vec::new(), RunsNotes::default())
    } else {
        let (baseline, notes) = read_runs_noted(&a.baseline)?;
        if baseline.is_empty() {
            bail!(
                "{}: the baseline holds no runs (truncated? `--update` writes one)",
                a.baseline.display()
            );
        }
        (baseline, notes)
    };
    if !notes.absent_metrics.is_empty() {
        println!(
            "note: {} has no {} column{} (written by an older lsmlab): compared on the columns it has; \
             `--update` rewrites it",
            a.baseline.display(),
            notes.absent_metrics.join(", "),
            if notes.absent_metrics.len() == 1 { "" } else { "s" }
        );
    }
    if !notes.ignored.is_empty() {
        println!(
            "note: {} has columns this lsmlab does not know, ignored: {}",
            a.baseline.display(),
            notes.ignored.join(", ")
        );
    }
    let current = match (&a.results, &a.spec) {
        (Some(r), _) => read_runs(r)?,
        (None, Some(spec)) => {
            let (spec, _) = load_spec(Some(spec))?;
            let spec = with_seeds(spec, a.seeds)?;
            let runs = spec.runs();
            let hash = spec_hash(&spec.name, &runs);
            let selected: Vec<&RunSpec> = runs.iter().collect();
            warn_ignored_params(&spec, spec_line(&spec));
            preflight(&selected, Some(&spec), &FsChoice::MEM, false)?;
            let jobs = jobs(a.jobs)?;
            run_all(&selected, &FsChoice::MEM, jobs, !a.quiet)?
                .into_iter()
                .map(|o| lsmlab::results::RunRecord {
                    spec_hash: hash.clone(),
                    ..o.record
                })
                .collect()
        }
        (None, None) => bail!("check needs a SPEC to run or --results FILE"),
    };
    if a.update {
        write_runs(&a.baseline, &current)?;
        println!(
            "baseline {} updated with {}",
            a.baseline.display(),
            count(current.len(), "run")
        );
        return Ok(0);
    }
    if let Some(diff) = configuration_difference(&baseline, &current) {
        bail!(
            "{}: {diff}; runs of different configurations are not compared (`--update` rewrites the baseline)",
            a.baseline.display()
        );
    }
    let report = compare_on(&baseline, &current, &tolerances, &notes.absent_metrics);
    println!("{report}");
    if let Some(path) = &a.compared {
        report.write_compared(path)?;
        println!("comparisons written to {}", path.display());
    }
    Ok(report.exit_code() as u8)
}

/// A shard directory's manifest, or an error saying why it is not one.
fn shard_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_JSON);
    if !path.exists() {
        bail!(
            "{}: no {MANIFEST_JSON}: not the output of a finished `lsmlab sweep --shard` (interrupted, or written by an older lsmlab)",
            dir.display()
        );
    }
    Ok(Manifest::read(&path)?)
}

/// At most `n` items of a list, then how many more.
fn some_of(items: &[String], n: usize) -> String {
    let mut text = items
        .iter()
        .take(n)
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > n {
        text.push_str(&format!(" and {} more", items.len() - n));
    }
    text
}

fn cmd_merge(a: MergeArgs) -> Result<()> {
    let manifests: Vec<Manifest> = a
        .dirs
        .iter()
        .map(|d| shard_manifest(d))
        .collect::<Result<_>>()?;
    let spec_file = a.spec.clone().unwrap_or_else(|| a.dirs[0].join(SPEC_TOML));
    let (spec, text) = load_spec(Some(&spec_file))?;
    let runs = spec.runs();
    let expected = Manifest {
        spec: spec.name.clone(),
        spec_hash: spec_hash(&spec.name, &runs),
        lsmlab_version: VERSION.to_string(),
        seed: spec.seed,
        shard: Shard::whole().to_string(),
        run_ids: runs.iter().map(|r| r.run_id.clone()).collect(),
    };
    // Every shard must be of this spec and seed, and of the first shard's
    // lsmlab version.
    for (dir, m) in a.dirs.iter().zip(&manifests) {
        let mut like = expected.clone();
        like.lsmlab_version = manifests[0].lsmlab_version.clone();
        if let Some(diff) = like.difference(m) {
            bail!(
                "{} is not a shard of {} (spec vs shard: {diff}): shards of different experiments do not merge",
                dir.display(),
                spec_file.display()
            );
        }
    }
    // The same shard twice, or shards of different splits.
    for (i, m) in manifests.iter().enumerate() {
        for (j, other) in manifests.iter().enumerate().skip(i + 1) {
            if m.shard == other.shard {
                bail!(
                    "shard {} is given twice: {} and {}",
                    m.shard,
                    a.dirs[i].display(),
                    a.dirs[j].display()
                );
            }
        }
    }
    let files: Vec<PathBuf> = a.dirs.iter().map(|d| d.join("runs.csv")).collect();
    let timelines: Vec<PathBuf> = a.dirs.iter().map(|d| d.join("timeline.csv")).collect();
    // A run in two shards (shards of different splits) is named by merge_runs.
    let mut records = merge_runs(&files)?;
    let mut timeline = merge_timelines(&timelines)?;
    for (dir, m) in a.dirs.iter().zip(&manifests) {
        let held: Vec<String> = m
            .run_ids
            .iter()
            .filter(|id| !records.iter().any(|r| &r.run_id == *id))
            .cloned()
            .collect();
        if !held.is_empty() {
            bail!(
                "{}: its manifest lists runs its runs.csv lacks: {} (damaged shard?)",
                dir.display(),
                some_of(&held, 5)
            );
        }
    }
    let missing: Vec<String> = expected
        .run_ids
        .iter()
        .filter(|id| !records.iter().any(|r| &r.run_id == *id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let counts: Vec<String> = manifests.iter().map(|m| m.shard.clone()).collect();
        let message = format!(
            "{} of {} of {} {} in none of the shards given ({}): {}",
            missing.len(),
            count(runs.len(), "run"),
            spec.name,
            agree(missing.len(), "is", "are"),
            counts.join(", "),
            some_of(&missing, 5)
        );
        if !a.allow_partial {
            bail!("{message}; give every shard, or --allow-partial to merge anyway");
        }
        eprintln!("warning: merging a partial sweep: {message}");
    }
    let order = expected.run_ids.clone();
    lsmlab::results::sort_runs_by(&mut records, &order);
    lsmlab::timeline::sort_timeline_by(&mut timeline, &order);
    let manifest = Manifest {
        lsmlab_version: manifests[0].lsmlab_version.clone(),
        run_ids: records.iter().map(|r| r.run_id.clone()).collect(),
        ..expected
    };
    let paths = write_outputs(
        &SweepResults {
            name: &spec.name,
            spec_toml: &text,
            goal: spec.goal.as_ref(),
            manifest: &manifest,
            records: &records,
            timeline: &timeline,
        },
        &a.notebooks_out,
        &a.reports_out,
    )?;
    print_paths(&paths);
    Ok(())
}

fn cmd_policies() {
    use lsmlab_engine::compaction::registry;
    use lsmlab_engine::params::{self, ParamDef, ParamScope};
    let aliases = |names: &[&str], own: &str| {
        let other: Vec<&str> = names.iter().copied().filter(|a| *a != own).collect();
        if other.is_empty() {
            String::new()
        } else {
            format!("; also {}", other.join(", "))
        }
    };
    let param_line = |indent: usize, width: usize, def: &ParamDef| {
        println!(
            "{:indent$}{:<width$} default {:<10} {} [{}] ({}){}",
            "",
            def.name,
            def.format(def.default),
            def.doc,
            def.unit.name(),
            def.allowed(),
            aliases(def.aliases, def.name),
        );
    };
    println!("Compaction policies (--policy NAME):\n");
    for p in registry::builtin().policies() {
        println!(
            "  {:<12} {}{}",
            p.name,
            p.description,
            aliases(p.aliases, p.name)
        );
        for def in p.params {
            param_line(6, 18, def);
        }
    }
    println!("\nEngine parameters (--set NAME=VALUE; RocksDB names accepted):\n");
    for info in params::all()
        .iter()
        .filter(|i| i.scope == ParamScope::Engine)
    {
        param_line(2, 30, &info.def);
    }
    println!("\nLab parameters (--set NAME=VALUE, [lab] in a spec):\n");
    for def in lsmlab::lab_params::LAB_PARAMS {
        param_line(2, 30, def);
    }
    println!(
        "\nDurations take ms, s, m, h or d (ttl = \"10m\", --set policy.ttl=600s); a bare \
         number is seconds. Sizes take KiB, MiB, GiB, TiB (K, KB, M, MB, ... are binary too)."
    );
}

/// The error and its causes on one line, each cause once: library errors
/// often repeat their source in their own message.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg
}

/// Parses the command line. A usage error is one line, clap's tip folded
/// in, and exits with code 2 like every other bad input; help and version
/// print as usual.
fn parse_cli() -> Cli {
    use clap::error::ErrorKind;
    let e = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(e) => e,
    };
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let mut msg = String::new();
    for part in text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
    {
        if !msg.is_empty() {
            msg.push_str(if msg.ends_with(':') { " " } else { "; " });
        }
        msg.push_str(part);
    }
    eprintln!("{msg} (see --help)");
    std::process::exit(2);
}

/// Lets a closed stdout end the process quietly, as for any Unix filter
/// (`lsmlab policies | head`): Rust ignores SIGPIPE by default, which turns
/// the closed pipe into a panic inside `println!`.
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists;
    // restoring a signal's default disposition has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    die_quietly_on_closed_pipe();
    let cli = parse_cli();
    let result = match cli.command {
        Command::Run(a) => cmd_run(a).map(|_| 0),
        Command::Sweep(a) => cmd_sweep(a).map(|_| 0),
        Command::Check(a) => cmd_check(a),
        Command::Merge(a) => cmd_merge(a).map(|_| 0),
        Command::Policies => {
            cmd_policies();
            Ok(0)
        }
        Command::Workloads(a) => workload_cli::command(a).map(|_| 0),
        Command::Serve(a) => cmd_serve(a).map(|_| 0),
        Command::Bench(a) => cmd_bench(*a).map(|_| 0),
        Command::Torture(a) => torture::command(a),
        Command::Peer(a) => peer_cli::command(a),
        Command::CompactionWorker(a) => worker::command(a).map(|_| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}
