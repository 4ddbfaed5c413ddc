//! `lsmlab workloads ...`: list the presets, export a workload as a trace
//! file (lsmlab CSV or RocksDB's binary trace), inspect a trace in any
//! supported format, fit db_bench's mixgraph model to a trace.

use std::fs::File;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use lsmlab::words::count;
use lsmlab_workloads::{
    write_rocksdb_trace, write_trace, Op, ReadOptions, TraceFile, TraceFormat, WorkloadError,
    WorkloadSpec, PRESETS,
};

#[derive(Args)]
pub struct WorkloadsArgs {
    #[command(subcommand)]
    command: Option<WorkloadsCommand>,
}

#[derive(Subcommand)]
enum WorkloadsCommand {
    /// Write a workload's operations as a trace file.
    Export(ExportArgs),
    /// Read a trace (any format) and print what it holds.
    Inspect(InspectArgs),
    /// Estimate db_bench mixgraph parameters from a trace; print them as a
    /// spec fragment with each distribution's goodness of fit.
    Fit(FitArgs),
}

#[derive(Args)]
struct FitArgs {
    #[command(flatten)]
    trace: InspectArgs,
    /// Ranges the key space is cut into for the key-range hotness fit.
    #[arg(long, default_value_t = 30)]
    keyrange_num: u64,
    /// Keys in the key space (default: the largest key index seen, plus one).
    #[arg(long)]
    key_count: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExportFormat {
    /// RocksDB's binary query trace: `db_bench --benchmarks=replay --trace_file=FILE`.
    RocksdbTrace,
    /// lsmlab's CSV trace (`op,key,value_len,ttl`).
    Csv,
}

#[derive(Args)]
struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// Workload preset (see `lsmlab workloads`), or trace:[FORMAT:]PATH to convert a trace.
    #[arg(long, default_value = "uniform")]
    workload: String,
    /// Operations after any preload.
    #[arg(long)]
    ops: Option<u64>,
    /// Keys in the key space.
    #[arg(long)]
    key_count: Option<u64>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Any workload parameter: NAME=VALUE or workload.NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    set: Vec<String>,
    #[command(flatten)]
    read: TraceReadArgs,
}

#[derive(Args)]
struct InspectArgs {
    /// The trace: [FORMAT:]PATH (formats: csv, rocksdb, rocksdb-human; detected when not named).
    trace: String,
    #[command(flatten)]
    read: TraceReadArgs,
}

/// How a trace is read.
#[derive(Args)]
struct TraceReadArgs {
    /// Records lsmlab cannot apply (other column families, SeekForPrev,
    /// blob indexes...) are errors instead of being counted and skipped.
    #[arg(long)]
    strict: bool,
    /// Keys read by a scan recorded as a bare iterator seek.
    #[arg(long, default_value_t = 1)]
    seek_scan_len: u32,
}

impl TraceReadArgs {
    fn options(&self) -> Result<ReadOptions> {
        if self.seek_scan_len == 0 {
            bail!("--seek-scan-len must be at least 1");
        }
        Ok(ReadOptions {
            strict: self.strict,
            seek_scan_len: self.seek_scan_len,
            ..ReadOptions::default()
        })
    }
}

pub fn command(args: WorkloadsArgs) -> Result<()> {
    match args.command {
        None => {
            list();
            Ok(())
        }
        Some(WorkloadsCommand::Export(a)) => export(a),
        Some(WorkloadsCommand::Inspect(a)) => inspect(a),
        Some(WorkloadsCommand::Fit(a)) => fit(a),
    }
}

fn list() {
    println!("Workload presets (--workload NAME, or trace:[FORMAT:]PATH):\n");
    for (name, what) in PRESETS {
        println!("  {name:<12} {what}");
    }
    println!("\nTrace formats: {}", TraceFormat::NAMES.join(", "));
    println!("\nWorkload parameters (--set NAME=VALUE, or workload.NAME):\n");
    for p in WorkloadSpec::params() {
        println!(
            "  {:<20} default {:<12} {} ({})",
            p.name, p.default, p.description, p.allowed
        );
    }
    println!(
        "\nSubcommands: lsmlab workloads export --format rocksdb-trace|csv --out FILE; \
         lsmlab workloads inspect TRACE; lsmlab workloads fit TRACE"
    );
}

/// The spec named by `--workload`, `--ops`, `--key-count`, `--seed`, `--set`.
fn build_spec(a: &ExportArgs) -> Result<WorkloadSpec> {
    let mut spec = WorkloadSpec::preset(&a.workload)?;
    spec.seed = a.seed;
    if let Some(ops) = a.ops {
        spec.ops = ops;
    }
    if let Some(keys) = a.key_count {
        spec.key_count = keys;
    }
    for setting in &a.set {
        let Some((name, value)) = setting.split_once('=') else {
            bail!("--set {setting:?}: expected NAME=VALUE");
        };
        let name = name.trim();
        spec.set(name.strip_prefix("workload.").unwrap_or(name), value)?;
    }
    spec.validate()?;
    Ok(spec)
}

fn export(a: ExportArgs) -> Result<()> {
    let file = File::create(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut error = None;
    let ops: Box<dyn Iterator<Item = Op>> = match a.workload.strip_prefix("trace:") {
        Some(spec) => {
            if a.ops.is_some() || a.key_count.is_some() || !a.set.is_empty() {
                bail!("--ops, --key-count and --set do not apply to a trace");
            }
            let trace = TraceFile::open_spec(spec, a.read.options()?)?;
            Box::new(stop_at_error(trace.ops()?, &mut error))
        }
        None => Box::new(build_spec(&a)?.generator()?),
    };
    let mut merges = 0;
    let result = match a.format {
        ExportFormat::Csv => write_trace(ops, file).map(|n| format!("wrote {}", count(n, "op"))),
        ExportFormat::RocksdbTrace => write_rocksdb_trace(ops, file).map(|s| {
            merges = s.merges;
            format!(
                "wrote {} as a RocksDB trace (version 0.2); {} dropped (RocksDB \
                 traces have none); {} written as seeks (RocksDB's replay reads only \
                 the first key of each)",
                count(s.records, "op"),
                count(s.ttl_dropped, "TTL"),
                count(s.scans_as_seeks, "scan")
            )
        }),
    };
    let message = result?;
    if let Some(e) = error {
        let _ = std::fs::remove_file(&a.out);
        return Err(e.into());
    }
    println!("{message} to {}", a.out.display());
    if a.format == ExportFormat::RocksdbTrace {
        // lsmlab's `add` is RocksDB's uint64add; a trace with merges
        // replays only with an operator.
        let merge_flag = if merges > 0 {
            " --merge_operator=uint64add"
        } else {
            ""
        };
        println!(
            "replay into RocksDB: db_bench --benchmarks=replay --trace_file={} --db=DIR \
             --num_column_families=2 --trace_replay_fast_forward=1000 --statistics=1{merge_flag} \
             (db_bench's replay needs column family handles, which it opens only for more \
             than one family; the trace uses the default one)",
            a.out.display()
        );
    }
    Ok(())
}

/// The ops of a trace up to its first error, which is kept in `error`.
fn stop_at_error<'a>(
    ops: impl Iterator<Item = Result<Op, WorkloadError>> + 'a,
    error: &'a mut Option<WorkloadError>,
) -> impl Iterator<Item = Op> + 'a {
    ops.map_while(move |op| match op {
        Ok(op) => Some(op),
        Err(e) => {
            *error = Some(e);
            None
        }
    })
}

fn inspect(a: InspectArgs) -> Result<()> {
    let trace = TraceFile::open_spec(&a.trace, a.read.options()?)?;
    let (mut first, mut last) = (None, 0);
    for op in trace.ops()? {
        let op = op?;
        first.get_or_insert(op.time);
        last = op.time;
    }
    println!(
        "{} ({} trace): {}",
        trace.path().display(),
        trace.format().name(),
        trace.counts().describe()
    );
    if let Some(first) = first {
        println!("simulated time {first} ms .. {last} ms");
    }
    Ok(())
}

fn fit(f: FitArgs) -> Result<()> {
    if !(8..=1 << 20).contains(&f.keyrange_num) {
        bail!(
            "--keyrange-num {}: must be from 8 to 1048576",
            f.keyrange_num
        );
    }
    if f.key_count == Some(0) {
        bail!("--key-count 0: must be at least 1");
    }
    let options = lsmlab_workloads::FitOptions {
        keyrange_num: f.keyrange_num,
        key_count: f.key_count,
    };
    let a = f.trace;
    let trace = TraceFile::open_spec(&a.trace, a.read.options()?)?;
    let mut error = None;
    let fit =
        lsmlab_workloads::fit_mixgraph_with(stop_at_error(trace.ops()?, &mut error), &options);
    if let Some(e) = error {
        return Err(e.into());
    }
    println!(
        "# lsmlab workloads fit {} ({} trace)",
        trace.path().display(),
        trace.format().name()
    );
    print!("{}", fit.spec_fragment());
    Ok(())
}
