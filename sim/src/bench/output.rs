//! How benchmark results read: a line describing the run, one table row
//! per phase, a block per database, and the same as JSON.

use serde_json::{json, Value};

use super::phases::PhaseResult;
use super::{BenchConfig, BenchReport, DbSummary};
use crate::runner::FsChoice;

/// The column titles of [`row`].
pub fn table_header() -> String {
    format!(
        "{:<17} {:>10} {:>8} {:>11} {:>8} {:>9} {:>9} {:>9} {:>10}  notes",
        "phase", "ops", "seconds", "ops/s", "MB/s", "p50(us)", "p99(us)", "p99.9(us)", "max(us)"
    )
}

/// What was run, on one line.
pub fn header(cfg: &BenchConfig) -> String {
    let fs = match (&cfg.db, &cfg.fs) {
        (Some(db), _) => format!("disk (--db {})", db.display()),
        (None, FsChoice::Mem { .. }) => "memory".to_string(),
        (None, FsChoice::Disk(dir)) => format!("disk ({})", dir.display()),
    };
    format!(
        "lsmlab bench: {} keys, {}-byte keys, {}-byte values, {} reads per read phase, \
         policy {}, mode {} (max_background_jobs {}), fs {}, {} reader thread{}, seed {}",
        cfg.num,
        cfg.key_size,
        cfg.value_size,
        cfg.reads(),
        cfg.options.compaction.policy.name,
        cfg.options.mode.name(),
        cfg.options.max_background_jobs,
        fs,
        cfg.threads,
        if cfg.threads == 1 { "" } else { "s" },
        cfg.seed
    ) + &cfg
        .write_rate_limit
        .map(|r| format!(", writes held to {r} bytes/s"))
        .unwrap_or_default()
}

/// Microseconds with about three significant digits.
fn us(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2}")
    } else if x < 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

fn notes(r: &PhaseResult) -> String {
    let mut parts = Vec::new();
    if let Some(found) = r.found {
        parts.push(format!("found {found} of {}", r.ops));
    }
    if let Some(w) = r.writes {
        let rate = if r.seconds > 0.0 {
            w as f64 / r.seconds
        } else {
            0.0
        };
        parts.push(format!("writer: {w} overwrites ({rate:.0}/s)"));
    }
    parts.join("; ")
}

/// One phase under [`table_header`].
pub fn row(r: &PhaseResult) -> String {
    let l = &r.latency;
    format!(
        "{:<17} {:>10} {:>8.3} {:>11.0} {:>8.1} {:>9} {:>9} {:>9} {:>10}  {}",
        r.phase.name(),
        r.ops,
        r.seconds,
        r.ops_per_sec(),
        r.mb_per_sec(),
        us(l.quantile_us(0.5)),
        us(l.quantile_us(0.99)),
        us(l.quantile_us(0.999)),
        us(l.max_us()),
        notes(r)
    )
    .trim_end()
    .to_string()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// The block for database number `n`: where it is, which phases ran on it,
/// its per-level table and its write amplification.
pub fn db_summary(n: usize, d: &DbSummary) -> String {
    let s = &d.stats;
    let phases: Vec<&str> = d.phases.iter().map(|p| p.name()).collect();
    format!(
        "database {n} ({}, {}): {}\n{}write_amp {:.3}  user {}  flushed {} in {} flushes  \
         compacted {} read, {} written in {} compactions, {} trivial moves  stalls {:.2} s\n",
        d.name,
        d.location,
        phases.join(", "),
        d.level_stats,
        s.write_amp(),
        mib(s.user_bytes),
        mib(s.flush_bytes),
        s.flushes,
        mib(s.compaction_read_bytes),
        mib(s.compaction_write_bytes),
        s.compactions,
        s.trivial_moves,
        s.stall_seconds()
    )
}

/// The engine's counters of one database as `name COUNT : value` lines,
/// the shape of db_bench's `--statistics` block.
pub fn statistics(d: &DbSummary) -> String {
    let s = &d.stats;
    let counters = [
        ("lsmlab.user.bytes", s.user_bytes),
        ("lsmlab.puts", s.puts),
        ("lsmlab.deletes", s.deletes),
        ("lsmlab.gets", s.gets),
        ("lsmlab.scans", s.scans),
        ("lsmlab.flushes", s.flushes),
        ("lsmlab.flush.bytes", s.flush_bytes),
        ("lsmlab.compactions", s.compactions),
        ("lsmlab.compaction.read.bytes", s.compaction_read_bytes),
        ("lsmlab.compaction.write.bytes", s.compaction_write_bytes),
        ("lsmlab.compaction.keys.in", s.merge.keys_in),
        ("lsmlab.compaction.keys.dropped", s.merge.keys_dropped()),
        ("lsmlab.trivial.moves", s.trivial_moves),
        ("lsmlab.files.dropped", s.files_dropped),
        ("lsmlab.bloom.probes", s.lookup.filter_probes),
        ("lsmlab.bloom.useful", s.lookup.filter_negatives),
        ("lsmlab.blocks.read", s.lookup.blocks_read),
        ("lsmlab.remote.jobs", s.remote_jobs),
        ("lsmlab.remote.failed.attempts", s.remote_failed_attempts),
        ("lsmlab.sorted.runs.max", s.sorted_runs_max),
        ("lsmlab.sst.bytes.peak", s.sst_bytes_peak),
        ("lsmlab.stall.events", s.stall_events),
        ("lsmlab.stall.micros", s.stall_ms * 1000),
    ];
    let mut out = format!("STATISTICS (database {}):\n", d.name);
    for (name, value) in counters {
        out.push_str(&format!("{name} COUNT : {value}\n"));
    }
    out
}

fn phase_json(r: &PhaseResult) -> Value {
    let l = &r.latency;
    json!({
        "phase": r.phase.name(),
        "ops": r.ops,
        "bytes": r.bytes,
        "seconds": r.seconds,
        "ops_per_second": r.ops_per_sec(),
        "mb_per_second": r.mb_per_sec(),
        "latency_us": {
            "p50": l.quantile_us(0.5),
            "p99": l.quantile_us(0.99),
            "p99.9": l.quantile_us(0.999),
            "max": l.max_us(),
            "mean": l.mean_us(),
        },
        "found": r.found,
        "writer_overwrites": r.writes,
    })
}

fn db_json(d: &DbSummary) -> Value {
    let s = &d.stats;
    let levels: Vec<Value> = d
        .level_stats
        .rows
        .iter()
        .map(|r| {
            json!({
                "level": r.level,
                "files": r.files,
                "size_bytes": r.size_bytes,
                "read_bytes": r.read_bytes,
                "write_bytes": r.write_bytes,
                "write_amp": r.write_amp,
                "compactions": r.compactions,
                "moves": r.moves,
            })
        })
        .collect();
    json!({
        "name": d.name,
        "location": d.location,
        "phases": d.phases.iter().map(|p| p.name()).collect::<Vec<_>>(),
        "write_amp": s.write_amp(),
        "user_bytes": s.user_bytes,
        "flush_bytes": s.flush_bytes,
        "compaction_read_bytes": s.compaction_read_bytes,
        "compaction_write_bytes": s.compaction_write_bytes,
        "compactions": s.compactions,
        "trivial_moves": s.trivial_moves,
        "stall_seconds": s.stall_seconds(),
        "levels": levels,
    })
}

/// The configuration and every result, for `--json`.
pub fn to_json(cfg: &BenchConfig, report: &BenchReport) -> Value {
    let fs = match &cfg.fs {
        FsChoice::Mem { .. } => json!("mem"),
        FsChoice::Disk(dir) => json!({ "disk": dir.display().to_string() }),
    };
    json!({
        "config": {
            "benchmarks": cfg.benchmarks.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "num": cfg.num,
            "reads": cfg.reads(),
            "key_size": cfg.key_size,
            "value_size": cfg.value_size,
            "threads": cfg.threads,
            "scan_length": cfg.scan_length,
            "policy": cfg.options.compaction.policy.name,
            "mode": cfg.options.mode.name(),
            "max_background_jobs": cfg.options.max_background_jobs,
            "fs": fs,
            "seed": cfg.seed,
            "git_rev": crate::GIT_REV,
        },
        "phases": report.phases.iter().map(phase_json).collect::<Vec<_>>(),
        "databases": report.dbs.iter().map(db_json).collect::<Vec<_>>(),
    })
}
