//! The `lsmlab` command line: run one experiment, sweep a grid, check
//! amplification against a baseline, merge shards, list what can be set,
//! crash-test the engine.

mod torture;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use lsmlab::catalog::Catalog;
use lsmlab::check::{compare, Tolerances};
use lsmlab::outputs::{write_outputs, OutputPaths};
use lsmlab::results::{merge_runs, read_runs, write_runs};
use lsmlab::runner::{run_experiment, FsChoice};
use lsmlab::shard::Shard;
use lsmlab::spec::{ParamCatalog, RunSpec, SweepSpec};
use lsmlab::sweep::run_all;
use lsmlab::timeline::{merge_timelines, write_timeline};

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
    /// List the workload presets and their parameters.
    Workloads,
    /// Serve as an LSM node: Maelstrom-style JSON messages on stdin, replies on stdout.
    #[command(alias = "maelstrom")]
    Serve(ServeArgs),
    /// Measure wall-clock throughput and latency with db_bench-like phases.
    Bench(BenchArgs),
    /// Crash-test the engine on real files: kill a writer with SIGKILL at
    /// random moments, reopen, and check that nothing acknowledged was lost.
    Torture(torture::Args),
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
}

impl FsArgs {
    fn choice(&self) -> Result<FsChoice> {
        match (self.fs, &self.dir) {
            (FsKind::Mem, None) => Ok(FsChoice::Mem),
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
}

#[derive(Args)]
struct SweepArgs {
    /// Sweep spec (TOML); without it, the embedded default sweep.
    spec: Option<PathBuf>,
    /// Runs in parallel (default: the machine's cores).
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
    /// The sweep's spec, echoed in the report.
    #[arg(long)]
    spec: Option<PathBuf>,
    #[arg(long, default_value = "notebooks-out")]
    notebooks_out: PathBuf,
    #[arg(long, default_value = "reports")]
    reports_out: PathBuf,
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
    /// Phases to run, in order (comma-separated): fillseq, fillrandom,
    /// overwrite, readrandom, readwhilewriting, seekrandom.
    #[arg(
        long,
        default_value = "fillseq,fillrandom,overwrite,readrandom,readwhilewriting,seekrandom"
    )]
    benchmarks: String,
    /// Keys in the database (puts per fill and overwrite phase).
    #[arg(long, default_value_t = 1_000_000)]
    num: u64,
    /// Operations per read phase over all reader threads (default: --num).
    #[arg(long)]
    reads: Option<u64>,
    #[arg(long, default_value_t = 16)]
    key_size: usize,
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Reader threads of the read phases.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Entries per seekrandom scan.
    #[arg(long, default_value_t = 10)]
    scan_length: usize,
    #[command(flatten)]
    fs: FsArgs,
    /// Compaction policy (see `lsmlab policies`).
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
}

fn cmd_bench(a: BenchArgs) -> Result<()> {
    use lsmlab::bench::{build_options, run, to_json, BenchConfig, Phase};
    let mut settings = Vec::new();
    for s in &a.set {
        let (name, value) = s
            .split_once('=')
            .with_context(|| format!("--set `{s}`: expected NAME=VALUE"))?;
        settings.push((name.trim().to_string(), value.trim().to_string()));
    }
    let cfg = BenchConfig {
        benchmarks: Phase::parse_list(&a.benchmarks)?,
        num: a.num,
        reads: a.reads,
        key_size: a.key_size,
        value_size: a.value_size,
        threads: a.threads,
        scan_length: a.scan_length,
        fs: a.fs.choice()?,
        options: build_options(&a.policy, &a.mode, &settings)?,
        seed: a.seed,
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

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Applies `--seeds N` to a loaded spec.
fn with_seeds(mut spec: SweepSpec, seeds: Option<u64>) -> Result<SweepSpec> {
    if let Some(n) = seeds {
        if !(1..=1000).contains(&n) {
            bail!("--seeds {n}: must be from 1 to 1000");
        }
        if spec.grid.iter().any(|a| a.key == "seed") {
            bail!("--seeds {n}: the spec varies `seed` in its grid already; keep one");
        }
        spec.seeds = n;
    }
    Ok(spec)
}

fn load_spec(path: Option<&Path>) -> Result<(SweepSpec, String)> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Ok((SweepSpec::from_file(p, &Catalog)?, text))
        }
        None => Ok((
            SweepSpec::default_sweep(&Catalog)?,
            lsmlab::spec::DEFAULT_SPEC_TOML.to_string(),
        )),
    }
}

/// Checks every run's options, workload and trace file before any runs, so
/// a bad one fails at once rather than after hours of others.
fn preflight(runs: &[&RunSpec]) -> Result<()> {
    let mut traces = std::collections::HashSet::new();
    for run in runs {
        lsmlab::runner::build_options(run)?;
        lsmlab::runner::build_workload(run)?;
        if let Some(path) = run.workload.strip_prefix("trace:") {
            if traces.insert(path) {
                lsmlab_workloads::Trace::open(path).map_err(|source| {
                    lsmlab::runner::RunError::Workload {
                        run: run.run_id.clone(),
                        source,
                    }
                })?;
            }
        }
    }
    Ok(())
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
    };
    // Fail before the run, not after it, when the output cannot be written.
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let progress = std::sync::atomic::AtomicU64::new(0);
    let out = run_experiment(&run, &a.fs.choice()?, &progress)?;
    write_runs(&a.out.join("runs.csv"), std::slice::from_ref(&out.record))?;
    write_timeline(&a.out.join("timeline.csv"), &out.timeline)?;
    print_summary(&out);
    println!("\n{}", out.level_stats);
    println!(
        "wrote {} and {}",
        a.out.join("runs.csv").display(),
        a.out.join("timeline.csv").display()
    );
    Ok(())
}

fn cmd_sweep(a: SweepArgs) -> Result<()> {
    let (spec, text) = load_spec(a.spec.as_deref())?;
    let spec = with_seeds(spec, a.seeds)?;
    let runs = spec.runs();
    let selected: Vec<&RunSpec> = match a.shard {
        Some(s) => s.select(runs.iter().collect()),
        None => runs.iter().collect(),
    };
    let jobs = a.jobs.unwrap_or_else(default_jobs);
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    preflight(&selected)?;
    // Fail before the sweep, not after it, when the outputs cannot be written.
    let out_dirs = match a.shard {
        Some(s) => vec![a.notebooks_out.join(format!(
            "{}-shard-{}-of-{}",
            spec.name,
            s.index(),
            s.count()
        ))],
        None => vec![
            a.notebooks_out.join(&spec.name),
            a.reports_out.join(&spec.name),
        ],
    };
    for d in &out_dirs {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    eprintln!(
        "sweep {}: {} runs{} on {jobs} threads",
        spec.name,
        selected.len(),
        a.shard.map_or(String::new(), |s| format!(
            " (shard {}/{} of {})",
            s.index(),
            s.count(),
            runs.len()
        ))
    );
    let outputs = run_all(&selected, &a.fs.choice()?, jobs, !a.quiet)?;
    let records: Vec<_> = outputs.iter().map(|o| o.record.clone()).collect();
    let timeline: Vec<_> = outputs.iter().flat_map(|o| o.timeline.clone()).collect();
    if let Some(s) = a.shard {
        let dir = a.notebooks_out.join(format!(
            "{}-shard-{}-of-{}",
            spec.name,
            s.index(),
            s.count()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        write_runs(&dir.join("runs.csv"), &records)?;
        write_timeline(&dir.join("timeline.csv"), &timeline)?;
        println!(
            "wrote shard {} (join shards with `lsmlab merge`)",
            dir.display()
        );
        return Ok(());
    }
    let paths = write_outputs(
        &spec.name,
        &text,
        &records,
        &timeline,
        &a.notebooks_out,
        &a.reports_out,
    )?;
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
    let baseline = if a.update {
        if let Some(parent) = a.baseline.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        Vec::new()
    } else {
        let baseline = read_runs(&a.baseline)?;
        if baseline.is_empty() {
            bail!(
                "{}: the baseline holds no runs (truncated? `--update` writes one)",
                a.baseline.display()
            );
        }
        baseline
    };
    let current = match (&a.results, &a.spec) {
        (Some(r), _) => read_runs(r)?,
        (None, Some(spec)) => {
            let (spec, _) = load_spec(Some(spec))?;
            let spec = with_seeds(spec, a.seeds)?;
            let runs = spec.runs();
            let selected: Vec<&RunSpec> = runs.iter().collect();
            preflight(&selected)?;
            let jobs = a.jobs.unwrap_or_else(default_jobs).max(1);
            run_all(&selected, &FsChoice::Mem, jobs, !a.quiet)?
                .into_iter()
                .map(|o| o.record)
                .collect()
        }
        (None, None) => bail!("check needs a SPEC to run or --results FILE"),
    };
    if a.update {
        write_runs(&a.baseline, &current)?;
        println!(
            "baseline {} updated with {} runs",
            a.baseline.display(),
            current.len()
        );
        return Ok(0);
    }
    let report = compare(&baseline, &current, &tolerances);
    println!("{report}");
    Ok(report.exit_code() as u8)
}

fn cmd_merge(a: MergeArgs) -> Result<()> {
    let runs: Vec<PathBuf> = a.dirs.iter().map(|d| d.join("runs.csv")).collect();
    let timelines: Vec<PathBuf> = a.dirs.iter().map(|d| d.join("timeline.csv")).collect();
    let mut records = merge_runs(&runs)?;
    let mut timeline = merge_timelines(&timelines)?;
    let (name, text) = match &a.spec {
        Some(p) => {
            let (spec, text) = load_spec(Some(p))?;
            if let Some(r) = records.iter().find(|r| r.spec != spec.name) {
                bail!(
                    "run `{}` belongs to sweep `{}`, not to `{}` of {}",
                    r.run_id,
                    r.spec,
                    spec.name,
                    p.display()
                );
            }
            let order: Vec<String> = spec.runs().into_iter().map(|r| r.run_id).collect();
            lsmlab::results::sort_runs_by(&mut records, &order);
            lsmlab::timeline::sort_timeline_by(&mut timeline, &order);
            (spec.name, text)
        }
        None => {
            let name = records
                .first()
                .map(|r| r.spec.clone())
                .context("the shards hold no runs")?;
            (name, String::from("# spec not given to `lsmlab merge`\n"))
        }
    };
    let paths = write_outputs(
        &name,
        &text,
        &records,
        &timeline,
        &a.notebooks_out,
        &a.reports_out,
    )?;
    print_paths(&paths);
    Ok(())
}

fn cmd_policies() {
    use lsmlab_engine::compaction::Policy;
    use lsmlab_engine::params::{ParamScope, PARAMS};
    use lsmlab_engine::Options;
    let defaults = Options::default();
    println!("Compaction policies (--policy NAME):\n");
    for p in Policy::ALL {
        println!("  {:<12} {}", p.name(), p.description());
        for info in PARAMS
            .iter()
            .filter(|i| i.scope == ParamScope::Policy && i.policies.contains(&p))
        {
            println!(
                "      {:<18} default {:<10} {} ({})",
                info.name,
                defaults.get(info.name).unwrap_or_default(),
                info.description,
                info.allowed
            );
        }
    }
    println!("\nEngine parameters (--set NAME=VALUE; RocksDB names accepted):\n");
    for info in PARAMS.iter().filter(|i| i.scope == ParamScope::Engine) {
        println!(
            "  {:<24} default {:<10} {} ({}){}",
            info.name,
            defaults.get(info.name).unwrap_or_default(),
            info.description,
            info.allowed,
            info.alias
                .filter(|a| *a != info.name)
                .map_or(String::new(), |a| format!(", alias {a}"))
        );
    }
}

fn cmd_workloads() {
    use lsmlab_workloads::{WorkloadSpec, PRESETS};
    println!("Workload presets (--workload NAME, or trace:PATH):\n");
    for (name, what) in PRESETS {
        println!("  {name:<12} {what}");
    }
    println!("\nWorkload parameters (--set NAME=VALUE, or workload.NAME):\n");
    for p in WorkloadSpec::params() {
        println!(
            "  {:<20} default {:<12} {} ({})",
            p.name, p.default, p.description, p.allowed
        );
    }
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
        Command::Workloads => {
            cmd_workloads();
            Ok(0)
        }
        Command::Serve(a) => cmd_serve(a).map(|_| 0),
        Command::Bench(a) => cmd_bench(a).map(|_| 0),
        Command::Torture(a) => torture::command(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}
