//! The peer's outputs: `runs.csv` with one row per run and engine (an
//! `engine` column, `lsmlab` or `rocksdb`, and the `regime`; with several
//! RocksDB replays, a row of their medians and one per replay), and
//! `peer.md`, lsmlab beside RocksDB (its medians) with the ratio per metric,
//! RocksDB's range over its replays, the flushes of each, and how lsmlab's
//! memtables counted against the write buffer.

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
    "space_amp_mean",
    "stall_seconds",
    "level_files",
    "flushes",
    "write_buffer_accounting",
    "replay",
    "ingest_rate",
    "compaction_io_rate",
    "flush_io_rate",
    "rates",
    "backlog_mean",
    "backlog_max",
    "picks_checked",
    "picks_agreed",
    "picks_flushed_between",
];

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(
    out: &mut String,
    r: &PeerRun,
    engine: &str,
    f: &EngineFigures,
    accounting: &str,
    replay: &str,
    rates: &str,
) {
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
        format!("{:.4}", f.space_amp_mean),
        format!("{:.3}", f.stall_seconds),
        levels.join(" "),
        f.flushes.to_string(),
        accounting.to_string(),
        replay.to_string(),
        format!("{:.0}", f.ingest_rate),
        format!("{:.0}", f.compaction_io_rate),
        format!("{:.0}", f.flush_io_rate),
        rates.to_string(),
        format!("{:.2}", f.backlog_mean),
        f.backlog_max.to_string(),
        f.picks_checked.to_string(),
        f.picks_agreed.to_string(),
        f.picks_flushed_between.to_string(),
    ];
    out.push_str(&cells.join(","));
    out.push('\n');
}

/// runs.csv: per run lsmlab's row (`replay` empty), then RocksDB's: with
/// one replay its row (`replay` 1); with several, the medians (`replay`
/// `median`) and then each replay's row (`replay` 1, 2, ...). The rates
/// columns are what lsmlab ran at (`rates` = `spec`, or `rocksdb` when it
/// ran at RocksDB's) and what RocksDB had (`measured`).
pub fn runs_csv(runs: &[PeerRun]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for r in runs {
        let rates = if r.calibrated { "rocksdb" } else { "spec" };
        let a = r.write_buffer_accounting;
        row(&mut out, r, "lsmlab", &r.lsmlab, a, "", rates);
        // RocksDB charges its memtable arena: what lsmlab's `rocksdb` models.
        if r.rocksdb_replays.len() > 1 {
            row(
                &mut out, r, "rocksdb", &r.rocksdb, "rocksdb", "median", "measured",
            );
        }
        for (k, f) in r.rocksdb_replays.iter().enumerate() {
            let k = (k + 1).to_string();
            row(&mut out, r, "rocksdb", f, "rocksdb", &k, "measured");
        }
    }
    out
}

/// Both engines' space amplification over the whole run and their ratio,
/// "-" where it was not measured.
fn mean_space(r: &PeerRun) -> String {
    let (a, b) = (r.lsmlab.space_amp_mean, r.rocksdb.space_amp_mean);
    if a == 0.0 || b == 0.0 {
        "-".into()
    } else {
        format!("{a:.3} / {b:.3} ({})", ratio(a, b))
    }
}

/// RocksDB's replays of a run and the range of its write and space
/// amplification over them ("1" for a single replay).
fn replay_range(r: &PeerRun) -> String {
    let n = r.rocksdb_replays.len();
    if n <= 1 {
        return n.to_string();
    }
    let range = |f: fn(&EngineFigures) -> f64| {
        let v = r.rocksdb_replays.iter().map(f);
        let lo = v.clone().fold(f64::INFINITY, f64::min);
        let hi = v.fold(f64::NEG_INFINITY, f64::max);
        format!("{lo:.3}-{hi:.3}")
    };
    format!(
        "{n}: write {}, space {}",
        range(|f| f.write_amp),
        range(|f| f.space_amp)
    )
}

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "-".into()
    } else {
        format!("{:.3}", a / b)
    }
}

/// peer.md: per run, write and space amplification on both engines (RocksDB's
/// the medians over its replays) and lsmlab / RocksDB, RocksDB's range over
/// its replays, space amplification over the whole run on both, flushes
/// and their mean size on both; the regime of each run
/// and lsmlab's write buffer accounting; runs with no peer and why.
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
         compaction bandwidth) as fast as db_bench goes. With several replays of a run, \
         RocksDB's figures are the medians over them (column replays: how many, and the \
         range of each amplification). Ratio = lsmlab / RocksDB.\n"
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
        "| run | regime | write_amp lsmlab | write_amp RocksDB | ratio | space_amp lsmlab | space_amp RocksDB | ratio | mean space_amp lsmlab / RocksDB (ratio) | replays | flushes lsmlab / RocksDB | MiB per flush lsmlab / RocksDB | L-files lsmlab | L-files RocksDB |"
    );
    let _ = writeln!(
        s,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
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
            "| {} | {} | {:.3} | {:.3} | {} | {:.3} | {:.3} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
            r.run_id,
            r.regime.name(),
            r.lsmlab.write_amp,
            r.rocksdb.write_amp,
            ratio(r.lsmlab.write_amp, r.rocksdb.write_amp),
            r.lsmlab.space_amp,
            r.rocksdb.space_amp,
            ratio(r.lsmlab.space_amp, r.rocksdb.space_amp),
            mean_space(r),
            replay_range(r),
            r.lsmlab.flushes,
            r.rocksdb.flushes,
            per_flush(&r.lsmlab),
            per_flush(&r.rocksdb),
            files(&r.lsmlab),
            files(&r.rocksdb),
        );
    }
    let full_speed: Vec<&PeerRun> = runs
        .iter()
        .filter(|r| r.regime == super::Regime::FullSpeed)
        .collect();
    if !full_speed.is_empty() {
        let _ = writeln!(
            s,
            "\nFull-speed runs: the rates lsmlab simulated and the rates RocksDB had \
             (operations over its replay's seconds; compaction bytes read and written, and \
             flushed bytes, over the sum of its compaction and flush times). lsmlab's rates \
             are the spec's, or RocksDB's when the peer ran with --calibrate.\n"
        );
        let _ = writeln!(
            s,
            "| run | lsmlab's rates | ops/s lsmlab / RocksDB | compaction MB/s lsmlab / RocksDB | flush MB/s lsmlab / RocksDB |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for r in full_speed {
            let mb = |b: f64| b / 1e6;
            let _ = writeln!(
                s,
                "| {} | {} | {:.0} / {:.0} | {:.1} / {:.1} | {:.1} / {:.1} |",
                r.run_id,
                if r.calibrated {
                    "RocksDB's"
                } else {
                    "the spec's"
                },
                r.lsmlab.ingest_rate,
                r.rocksdb.ingest_rate,
                mb(r.lsmlab.compaction_io_rate),
                mb(r.rocksdb.compaction_io_rate),
                mb(r.lsmlab.flush_io_rate),
                mb(r.rocksdb.flush_io_rate),
            );
        }
    }
    over_seeds(&mut s, runs);
    let checked: Vec<&PeerRun> = runs
        .iter()
        .filter(|r| r.rocksdb.picks_checked > 0)
        .collect();
    if !checked.is_empty() {
        let _ = writeln!(
            s,
            "\nlsmlab's policy on RocksDB's trees: before each of RocksDB's compactions and moves, \
             its tree (from its MANIFEST) given to the run's lsmlab policy, and how often that \
             picked the same input files for the same output level (over every replay; each \
             difference in `work/<run>/rocksdb-picks.txt`):"
        );
        for r in checked {
            let f = &r.rocksdb;
            let _ = write!(
                s,
                " {} {} of {} ({:.1}%; {} more by a flush between pick and install);",
                r.run_id,
                f.picks_agreed,
                f.picks_checked,
                100.0 * f.picks_agreed as f64 / f.picks_checked as f64,
                f.picks_flushed_between
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "\nRocksDB's backlog at its picks (the L0 files each leveled L0 compaction took, or \
         the sorted runs each universal pick saw; mean / most; the L0 trigger in brackets):"
    );
    let mut behind = Vec::new();
    for r in runs {
        let f = &r.rocksdb;
        if f.backlog_max == 0 {
            continue;
        }
        let _ = write!(
            s,
            " {} {:.2} / {} ({});",
            r.run_id, f.backlog_mean, f.backlog_max, r.l0_trigger
        );
        if r.regime == super::Regime::KeepingUp && f.backlog_mean > r.l0_trigger as f64 + 1.0 {
            behind.push(r);
        }
    }
    let _ = writeln!(s);
    for r in behind {
        let _ = writeln!(
            s,
            "\n**{}: RocksDB fell behind the paced replay** (its picks saw {:.2} L0 files or sorted \
             runs on average against a trigger of {}): this is not the keeping-up regime; run again \
             with a lower --write-rate.",
            r.run_id, r.rocksdb.backlog_mean, r.l0_trigger
        );
    }
    let warnings: Vec<(&str, &String)> = runs
        .iter()
        .flat_map(|r| {
            r.rocksdb
                .warnings
                .iter()
                .map(move |w| (r.run_id.as_str(), w))
        })
        .collect();
    if !warnings.is_empty() {
        let _ = writeln!(s, "\nWarnings:\n");
        for (run, w) in warnings {
            let _ = writeln!(s, "- {run}: {w}");
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(s, "\nRuns without a RocksDB peer:\n");
        for (run, why) in skipped {
            let _ = writeln!(s, "- {run}: {why}");
        }
    }
    s
}

/// The runs of one configuration over several seeds (`seeds = N`: run ids
/// `<configuration>/seed=<n>`).
struct SeedGroup<'a> {
    config: &'a str,
    runs: Vec<&'a PeerRun>,
}

/// Runs grouped by configuration, in first-seen order; only configurations
/// run with two seeds or more.
fn seed_groups(runs: &[PeerRun]) -> Vec<SeedGroup<'_>> {
    let mut groups: Vec<SeedGroup> = Vec::new();
    for r in runs {
        let Some((config, _)) = r.run_id.rsplit_once("/seed=") else {
            continue;
        };
        match groups.iter_mut().find(|g| g.config == config) {
            Some(g) => g.runs.push(r),
            None => groups.push(SeedGroup {
                config,
                runs: vec![r],
            }),
        }
    }
    groups.retain(|g| g.runs.len() >= 2);
    groups
}

/// peer.md's comparison over seeds: per configuration, the mean of each
/// engine's figure over the seeds (RocksDB's per seed: the median of its
/// replays), their ratio, and the range of the per-seed ratios.
fn over_seeds(s: &mut String, runs: &[PeerRun]) {
    let groups = seed_groups(runs);
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nOver seeds: each seed is another sequence of the same workload, and a tree's picks \
         follow from its exact file sizes (which of two nearly equal files is larger), so one \
         seed is one trajectory of both engines; the mean over seeds compares their rules. \
         Means of lsmlab and of RocksDB (its median per seed), the ratio of the means, and the \
         per-seed ratios' range.\n"
    );
    let _ = writeln!(
        s,
        "| configuration | seeds | write_amp lsmlab / RocksDB (ratio) | per-seed ratios | space_amp lsmlab / RocksDB (ratio) | per-seed ratios |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for g in groups {
        let mean = |get: &dyn Fn(&PeerRun) -> f64| {
            g.runs.iter().map(|r| get(r)).sum::<f64>() / g.runs.len() as f64
        };
        let cells = |lsm: &dyn Fn(&PeerRun) -> f64, rdb: &dyn Fn(&PeerRun) -> f64| {
            let (a, b) = (mean(lsm), mean(rdb));
            let ratios: Vec<f64> = g
                .runs
                .iter()
                .filter(|r| rdb(r) > 0.0)
                .map(|r| lsm(r) / rdb(r))
                .collect();
            let range = match ratios.iter().copied().reduce(f64::min) {
                Some(lo) => {
                    let hi = ratios.iter().copied().fold(lo, f64::max);
                    format!("{lo:.3}-{hi:.3}")
                }
                None => "-".to_string(),
            };
            (format!("{a:.3} / {b:.3} ({})", ratio(a, b)), range)
        };
        let (w, wr) = cells(&|r| r.lsmlab.write_amp, &|r| r.rocksdb.write_amp);
        let (sp, sr) = cells(&|r| r.lsmlab.space_amp, &|r| r.rocksdb.space_amp);
        let _ = writeln!(
            s,
            "| {} | {} | {w} | {wr} | {sp} | {sr} |",
            g.config,
            g.runs.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::Regime;

    fn f(wamp: f64, samp: f64, flushes: u64) -> EngineFigures {
        EngineFigures {
            user_bytes: 1000,
            flush_bytes: (flushes * 3) << 20,
            flushes,
            write_amp: wamp,
            space_amp: samp,
            level_files: vec![2, 0, 5],
            ..EngineFigures::default()
        }
    }

    fn sample_with(replays: Vec<EngineFigures>) -> PeerRun {
        PeerRun {
            run_id: "universal/uniform".into(),
            policy: "universal".into(),
            workload: "uniform".into(),
            regime: Regime::KeepingUp,
            write_buffer_accounting: "rocksdb",
            calibrated: false,
            l0_trigger: 4,
            lsmlab: f(5.5, 1.2, 34),
            rocksdb: crate::peer::median_figures(&replays),
            rocksdb_replays: replays,
        }
    }

    fn sample() -> PeerRun {
        let mut kept_up = f(5.0, 1.0, 36);
        (kept_up.backlog_mean, kept_up.backlog_max) = (4.1, 5);
        (
            kept_up.picks_checked,
            kept_up.picks_agreed,
            kept_up.picks_flushed_between,
        ) = (393, 391, 1);
        let mut r = sample_with(vec![kept_up]);
        r.lsmlab.space_amp_mean = 1.15;
        r.rocksdb.space_amp_mean = 1.2;
        r
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
        assert!(
            lines[1].ends_with(",2 0 5,34,rocksdb,,0,0,0,spec,0.00,0,0,0,0"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].ends_with(",2 0 5,36,rocksdb,1,0,0,0,measured,4.10,5,393,391,1"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn several_replays_are_compared_by_their_medians_and_each_is_kept() {
        // Three replays: write amp 5.4, 5.0, 6.0 (median 5.4), space amp
        // 1.0, 1.3, 1.1 (median 1.1, from another replay).
        let mut a = f(5.4, 1.0, 36);
        a.level_files = vec![1, 1, 1];
        let r = sample_with(vec![a, f(5.0, 1.3, 35), f(6.0, 1.1, 37)]);
        assert_eq!(r.rocksdb.write_amp, 5.4);
        assert_eq!(r.rocksdb.space_amp, 1.1);
        assert_eq!(r.rocksdb.flushes, 36);
        assert_eq!(
            r.rocksdb.level_files,
            vec![1, 1, 1],
            "the median replay's levels"
        );
        let csv = runs_csv(std::slice::from_ref(&r));
        let replay: Vec<&str> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(18).unwrap())
            .collect();
        assert_eq!(replay, ["", "median", "1", "2", "3"], "{csv}");
        assert!(csv.lines().nth(2).unwrap().contains(",5.4000,"), "{csv}");
        let md = markdown("t", &[r], &[], "db_bench");
        assert!(
            md.contains("| 5.500 | 5.400 | 1.019 | 1.200 | 1.100 | 1.091 | - | 3: write 5.000-6.000, space 1.000-1.300 |"),
            "{md}"
        );
        // A replay without a whole-run space figure (0) does not count.
        let mut a = f(5.0, 1.0, 36);
        a.space_amp_mean = 1.2;
        let mut c = f(5.0, 1.0, 36);
        c.space_amp_mean = 1.4;
        let m = crate::peer::median_figures(&[a, f(5.0, 1.0, 36), c]);
        assert!(
            (m.space_amp_mean - 1.3).abs() < 1e-12,
            "{}",
            m.space_amp_mean
        );
        // An even count takes the mean of the two middle values.
        let even = crate::peer::median_figures(&[f(5.0, 1.0, 36), f(6.0, 1.2, 38)]);
        assert_eq!(
            (even.write_amp, even.space_amp, even.flushes),
            (5.5, 1.1, 37)
        );
    }

    #[test]
    fn seeds_of_one_configuration_are_compared_by_their_means() {
        let run = |seed: u64, lsm: f64, rdb: f64| {
            let mut r = sample_with(vec![f(rdb, 1.0, 36)]);
            r.run_id = format!("leveled/mixgraph/seed={seed}");
            r.lsmlab.write_amp = lsm;
            r.lsmlab.space_amp = 1.1;
            r
        };
        let mut other = sample();
        other.run_id = "universal/uniform/seed=42".into();
        let runs = [
            run(42, 7.0, 6.5),
            run(43, 6.6, 6.8),
            other,
            run(44, 6.8, 6.6),
        ];
        let md = markdown("t", &runs, &[], "db_bench");
        // Means 6.800 / 6.633; ratios 1.077, 0.971, 1.030. A configuration
        // with one seed gets no row.
        assert!(
            md.contains("| leveled/mixgraph | 3 | 6.800 / 6.633 (1.025) | 0.971-1.077 | 1.100 / 1.000 (1.100) | 1.100-1.100 |"),
            "{md}"
        );
        assert!(!md.contains("| universal/uniform | 1 |"), "{md}");
        let single = markdown("t", &[sample()], &[], "db_bench");
        assert!(!single.contains("Over seeds"), "{single}");
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
        assert!(md.contains("| universal/uniform | keeping-up | 5.500 | 5.000 | 1.100 | 1.200 | 1.000 | 1.200 | 1.150 / 1.200 (0.958) | 1 | 34 / 36 | 3.00 / 3.00 |"), "{md}");
        assert!(md.contains("`write_buffer_accounting = rocksdb`"), "{md}");
        assert!(
            md.contains("- size-tiered/uniform: no RocksDB counterpart"),
            "{md}"
        );
        assert!(md.contains(" universal/uniform 4.10 / 5 (4);"), "{md}");
        assert!(
            md.contains("(from its MANIFEST)")
                && md.contains(" universal/uniform 391 of 393 (99.5%; 1 more by a flush between pick and install);"),
            "{md}"
        );
        assert!(
            !md.contains("fell behind") && !md.contains("Warnings"),
            "{md}"
        );
        let mut r = sample();
        r.rocksdb.warnings.push("table bytes do not add up".into());
        let md = markdown("t", &[r], &[], "db_bench");
        assert!(
            md.contains("Warnings:\n\n- universal/uniform: table bytes do not add up"),
            "{md}"
        );
        // A RocksDB whose picks took 6 L0 files on average did not keep up.
        let mut r = sample();
        r.rocksdb.backlog_mean = 6.0;
        let md = markdown("t", &[r], &[], "db_bench");
        assert!(
            md.contains("**universal/uniform: RocksDB fell behind the paced replay**"),
            "{md}"
        );
    }
}
