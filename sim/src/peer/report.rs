//! The peer's outputs: `runs.csv` with one row per run and engine (an
//! `engine` column, `lsmlab` or `rocksdb`, and the `regime`), and
//! `peer.md`, lsmlab beside RocksDB with the ratio per metric, the flushes
//! of each, and how lsmlab's memtables counted against the write buffer.

use std::fmt::Write;

use super::{EngineFigures, PeerRun};

/// The columns of the peer's runs.csv, in order.
pub const COLUMNS: &[&str] = &[
    "run_id",
    "engine",
    "regime",
    "policy",
    "workload",
    "user_bytes",
    "flush_bytes",
    "compaction_read_bytes",
    "compaction_write_bytes",
    "write_amp",
    "sst_bytes",
    "live_bytes",
    "space_amp",
    "stall_seconds",
    "level_files",
    "flushes",
    "write_buffer_accounting",
];

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(out: &mut String, r: &PeerRun, engine: &str, f: &EngineFigures, accounting: &str) {
    let levels: Vec<String> = f.level_files.iter().map(u64::to_string).collect();
    let cells = [
        csv_cell(&r.run_id),
        engine.to_string(),
        r.regime.name().to_string(),
        csv_cell(&r.policy),
        csv_cell(&r.workload),
        f.user_bytes.to_string(),
        f.flush_bytes.to_string(),
        f.compaction_read_bytes.to_string(),
        f.compaction_write_bytes.to_string(),
        format!("{:.4}", f.write_amp),
        f.sst_bytes.to_string(),
        f.live_bytes.to_string(),
        format!("{:.4}", f.space_amp),
        format!("{:.3}", f.stall_seconds),
        levels.join(" "),
        f.flushes.to_string(),
        accounting.to_string(),
    ];
    out.push_str(&cells.join(","));
    out.push('\n');
}

/// runs.csv: two rows per run, lsmlab's then RocksDB's.
pub fn runs_csv(runs: &[PeerRun]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in runs {
        row(&mut out, r, "lsmlab", &r.lsmlab, r.write_buffer_accounting);
        // RocksDB charges its memtable arena: what lsmlab's `rocksdb` models.
        row(&mut out, r, "rocksdb", &r.rocksdb, "rocksdb");
    }
    out
}

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "-".into()
    } else {
        format!("{:.3}", a / b)
    }
}

/// peer.md: per run, write and space amplification on both engines and
/// lsmlab / RocksDB, flushes and their mean size on both; the regime of each
/// run and lsmlab's write buffer accounting; runs with no peer and why.
pub fn markdown(
    spec: &str,
    runs: &[PeerRun],
    skipped: &[(String, String)],
    db_bench: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {spec}: lsmlab beside RocksDB\n");
    let _ = writeln!(
        s,
        "RocksDB: `{db_bench}` replaying each run's operations (a RocksDB trace), then \
         flushing and settling; keeping-up runs replay at a paced write rate so that its \
         compaction keeps up (lsmlab's deterministic mode), full-speed runs (a simulated \
         compaction bandwidth) as fast as db_bench goes. Ratio = lsmlab / RocksDB.\n"
    );
    let mut accountings: Vec<&str> = runs.iter().map(|r| r.write_buffer_accounting).collect();
    accountings.sort_unstable();
    accountings.dedup();
    let _ = writeln!(
        s,
        "lsmlab's memtables: `write_buffer_accounting = {}` (`entries`: key + value + 16 bytes \
         an entry against `write_buffer_size`; `rocksdb`: RocksDB's own rule, its memtable \
         arena's blocks). Flushes: memtables flushed, and the mean bytes of table each wrote.\n",
        accountings.join(" / ")
    );
    let _ = writeln!(
        s,
        "| run | regime | write_amp lsmlab | write_amp RocksDB | ratio | space_amp lsmlab | space_amp RocksDB | ratio | flushes lsmlab / RocksDB | MiB per flush lsmlab / RocksDB | L-files lsmlab | L-files RocksDB |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in runs {
        let files = |f: &EngineFigures| {
            let v: Vec<String> = f.level_files.iter().map(u64::to_string).collect();
            v.join(" ")
        };
        let per_flush = |f: &EngineFigures| {
            if f.flushes == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", f.flush_bytes as f64 / f.flushes as f64 / 1048576.0)
            }
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {} | {} / {} | {} / {} | {} | {} |",
            r.run_id,
            r.regime.name(),
            r.lsmlab.write_amp,
            r.rocksdb.write_amp,
            ratio(r.lsmlab.write_amp, r.rocksdb.write_amp),
            r.lsmlab.space_amp,
            r.rocksdb.space_amp,
            ratio(r.lsmlab.space_amp, r.rocksdb.space_amp),
            r.lsmlab.flushes,
            r.rocksdb.flushes,
            per_flush(&r.lsmlab),
            per_flush(&r.rocksdb),
            files(&r.lsmlab),
            files(&r.rocksdb),
        );
    }
    if !skipped.is_empty() {
        let _ = writeln!(s, "\nRuns without a RocksDB peer:\n");
        for (run, why) in skipped {
            let _ = writeln!(s, "- {run}: {why}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::Regime;

    fn sample() -> PeerRun {
        let f = |wamp: f64, samp: f64, flushes: u64| EngineFigures {
            user_bytes: 1000,
            flush_bytes: (flushes * 3) << 20,
            flushes,
            write_amp: wamp,
            space_amp: samp,
            level_files: vec![2, 0, 5],
            ..EngineFigures::default()
        };
        PeerRun {
            run_id: "universal/uniform".into(),
            policy: "universal".into(),
            workload: "uniform".into(),
            regime: Regime::KeepingUp,
            write_buffer_accounting: "rocksdb",
            lsmlab: f(5.5, 1.2, 34),
            rocksdb: f(5.0, 1.0, 36),
        }
    }

    #[test]
    fn two_rows_per_run_with_engine_and_regime() {
        let csv = runs_csv(&[sample()]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].split(',').count(), COLUMNS.len());
        assert!(
            lines[1].starts_with("universal/uniform,lsmlab,keeping-up,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("universal/uniform,rocksdb,keeping-up,"),
            "{}",
            lines[2]
        );
        assert!(lines[1].contains(",5.5000,") && lines[2].contains(",5.0000,"));
        assert!(lines[1].ends_with(",2 0 5,34,rocksdb"), "{}", lines[1]);
        assert!(lines[2].ends_with(",2 0 5,36,rocksdb"), "{}", lines[2]);
    }

    #[test]
    fn the_report_gives_the_ratio_per_metric_and_the_runs_without_a_peer() {
        let md = markdown(
            "t",
            &[sample()],
            &[(
                "size-tiered/uniform".into(),
                "no RocksDB counterpart".into(),
            )],
            "db_bench",
        );
        assert!(md.contains("| universal/uniform | keeping-up | 5.500 | 5.000 | 1.100 | 1.200 | 1.000 | 1.200 | 34 / 36 | 3.00 / 3.00 |"), "{md}");
        assert!(md.contains("`write_buffer_accounting = rocksdb`"), "{md}");
        assert!(
            md.contains("- size-tiered/uniform: no RocksDB counterpart"),
            "{md}"
        );
    }
}
