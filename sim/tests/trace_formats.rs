//! Traces in other tools' formats through the `lsmlab` binary: export a
//! workload as a RocksDB trace, inspect it, run an experiment on it, and
//! (where db_bench is installed) replay it into RocksDB and compare the
//! operation counts RocksDB reports.

mod common;

use common::lsmlab;
use std::path::{Path, PathBuf};
use std::process::Command;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../workloads/testdata/rocksdb")
        .join(name)
}

/// Exports YCSB E with deletes (puts, deletes, gets... and scans) and
/// returns the trace's path and `inspect`'s line of counts.
fn export(dir: &Path) -> (PathBuf, String) {
    let out = dir.join("ycsb.trace");
    let o = lsmlab(
        &[
            "workloads",
            "export",
            "--format",
            "rocksdb-trace",
            "--out",
            out.to_str().unwrap(),
            "--workload",
            "ycsb-a",
            "--ops",
            "3000",
            "--key-count",
            "400",
            "--set",
            "delete_fraction=0.1",
            "--set",
            "workload.scan_fraction=0.1",
            "--set",
            "read_fraction=0.4",
            "--set",
            "update_fraction=0.5",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("wrote 3400 ops as a RocksDB trace"));
    let o = lsmlab(&["workloads", "inspect", out.to_str().unwrap()], dir);
    assert!(o.status.success(), "{}", text(&o.stderr));
    (out, text(&o.stdout))
}

/// `N` in "... kind N" of inspect's counts line.
fn count(line: &str, kind: &str) -> u64 {
    let at = line.find(&format!("{kind} ")).unwrap() + kind.len() + 1;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn exported_trace_inspects_to_the_workloads_counts_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, line) = export(dir.path());
    assert!(line.contains("(rocksdb trace): 3400 ops"), "{line}");
    assert_eq!(
        count(&line, "put") + count(&line, "delete") + count(&line, "get") + count(&line, "scan"),
        3400
    );
    assert!(
        count(&line, "scan") > 200 && count(&line, "delete") > 200,
        "{line}"
    );
    assert!(line.contains("nothing skipped"), "{line}");
    let spec = format!("trace:{}", trace.display());
    let o = lsmlab(
        &[
            "run",
            "--workload",
            &spec,
            "--out",
            "out",
            "--set",
            "write_buffer_size=16KiB",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("ops 3400"), "{}", text(&o.stdout));
}

#[test]
fn a_db_bench_trace_runs_and_bad_traces_name_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mixgraph = testdata("mixgraph.trace");
    let o = lsmlab(
        &["workloads", "inspect", mixgraph.to_str().unwrap()],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("400 ops (put 152, delete 0, get 184, scan 64); nothing skipped"),
        "{}",
        text(&o.stdout)
    );
    let mut bytes = std::fs::read(&mixgraph).unwrap();
    bytes.truncate(1000);
    let cut = dir.path().join("cut.trace");
    std::fs::write(&cut, &bytes).unwrap();
    let spec = format!("trace:{}", cut.display());
    let o = lsmlab(&["run", "--workload", &spec, "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let e = text(&o.stderr);
    assert!(
        e.contains("cut.trace: byte ") && e.contains("the file ends after"),
        "{e}"
    );
    let human = dir.path().join("h.txt");
    std::fs::write(&human, "0x6B31 1 0 32 1000\n0x6B31 7 0 3 2000\n").unwrap();
    let o = lsmlab(
        &[
            "workloads",
            "inspect",
            "--strict",
            &format!("rocksdb-human:{}", human.display()),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("h.txt:2: seek-for-prev record cannot be applied"),
        "{}",
        text(&o.stderr)
    );
    let o = lsmlab(
        &[
            "workloads",
            "inspect",
            &format!("rocksdb-human:{}", human.display()),
        ],
        dir.path(),
    );
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("skipped 1 records lsmlab cannot apply: seek-for-prev 1"),
        "{}",
        text(&o.stdout)
    );
    // A run says what it skips.
    let spec = format!("trace:rocksdb-human:{}", human.display());
    let o = lsmlab(&["run", "--workload", &spec, "--out", "out"], dir.path());
    let e = text(&o.stderr);
    assert!(o.status.success(), "{e}");
    assert!(
        e.contains("warning: trace rocksdb-human:")
            && e.contains("skipped 1 records lsmlab cannot apply: seek-for-prev 1"),
        "{e}"
    );
    // `--strict` on run and sweep means what it means for `workloads
    // inspect`: the record is an error naming its line, before any run.
    let o = lsmlab(
        &["run", "--strict", "--workload", &spec, "--out", "out"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("h.txt:2: seek-for-prev record cannot be applied"),
        "{}",
        text(&o.stderr)
    );
    let sweep = dir.path().join("strict.toml");
    std::fs::write(
        &sweep,
        format!("name = \"s\"\npolicy = \"leveled\"\nworkload = \"{spec}\"\n"),
    )
    .unwrap();
    let args = ["sweep", "--strict", "strict.toml", "--quiet"];
    let o = lsmlab(&args, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("h.txt:2: seek-for-prev record cannot be applied"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        !dir.path().join("notebooks-out/s").exists(),
        "a refused sweep wrote results"
    );
}

/// `rocksdb.number.keys.written COUNT : 1600` -> 1600.
fn statistic(output: &str, name: &str) -> u64 {
    let prefix = format!("{name} COUNT : ");
    output
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} not in db_bench's output:\n{output}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn db_bench_replays_an_exported_trace_with_the_same_counts() {
    let Ok(probe) = Command::new("db_bench").arg("--version").output() else {
        eprintln!(
            "skipped: db_bench is not installed (bash scripts/install-rocksdb-tools.sh installs it)"
        );
        return;
    };
    assert!(probe.status.success());
    let dir = tempfile::tempdir().unwrap();
    let (trace, line) = export(dir.path());
    let db = dir.path().join("rocksdb");
    let o = Command::new("db_bench")
        .args([
            "--benchmarks=replay",
            &format!("--trace_file={}", trace.display()),
            &format!("--db={}", db.display()),
            "--num_column_families=2",
            "--trace_replay_fast_forward=1000",
            "--statistics=1",
        ])
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("Replay completed"), "{out}");
    assert_eq!(
        statistic(&out, "rocksdb.number.keys.written"),
        count(&line, "put") + count(&line, "delete")
    );
    assert_eq!(
        statistic(&out, "rocksdb.number.keys.read"),
        count(&line, "get")
    );
    assert_eq!(
        statistic(&out, "rocksdb.number.db.seek"),
        count(&line, "scan")
    );
}

#[test]
fn the_mixgraph_example_spec_builds_db_benchs_published_model() {
    use lsmlab::catalog::Catalog;
    use lsmlab::spec::SweepSpec;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/mixgraph.toml");
    let spec = SweepSpec::from_file(&path, &Catalog).unwrap();
    let runs = spec.runs();
    assert_eq!(runs.len(), 2);
    for run in &runs {
        let w = lsmlab::runner::build_workload(run).unwrap();
        assert_eq!(w.mixgraph, lsmlab_workloads::MixGraph::default());
        assert_eq!((w.key_size, w.key_count, w.preload), (48, 100_000, true));
        assert_eq!(w.distribution.name(), "mixgraph");
    }
}

#[test]
fn fit_prints_a_spec_fragment_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let o = lsmlab(
        &[
            "workloads",
            "fit",
            testdata("mixgraph.trace").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("Fitted from 400 ops") && out.contains("mix_get_ratio = 0.46"),
        "{out}"
    );
    // The fragment is a spec: run it.
    let spec = format!("name = \"fitted\"\nops = 2000\npolicies = [\"leveled\"]\n{out}");
    std::fs::write(dir.path().join("fitted.toml"), spec).unwrap();
    let o = lsmlab(
        &[
            "sweep",
            "fitted.toml",
            "--quiet",
            "--notebooks-out",
            "nb",
            "--reports-out",
            "rep",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
}
