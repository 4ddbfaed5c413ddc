//! `lsmlab bench` as a user meets it: every phase prints a row with its
//! throughput and latency percentiles, then the per-level table; bad
//! arguments get a one-line error and exit code 2. No timing is compared.

mod common;

use common::lsmlab;

const ALL: &str =
    "fillseq,fillrandom,filluniquerandom,overwrite,readrandom,readwhilewriting,seekrandom";

/// A tiny benchmark that still flushes and compacts.
fn tiny<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "bench",
        "--num",
        "2000",
        "--reads",
        "300",
        "--threads",
        "2",
        "--set",
        "write_buffer_size=16KiB",
        "--set",
        "l1_base_bytes=64KiB",
    ];
    v.extend_from_slice(extra);
    v
}

/// Checks the phase table: a row per phase, ops/s above zero and four
/// latency columns that parse.
fn assert_every_phase_reported(stdout: &str) {
    let header = stdout
        .lines()
        .find(|l| l.starts_with("phase"))
        .unwrap_or_else(|| panic!("no table header:\n{stdout}"));
    for col in [
        "ops/s",
        "MB/s",
        "p50(us)",
        "p99(us)",
        "p99.9(us)",
        "max(us)",
    ] {
        assert!(header.contains(col), "{header}");
    }
    for phase in ALL.split(',') {
        let row = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(phase))
            .unwrap_or_else(|| panic!("no row for {phase}:\n{stdout}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        let ops_per_sec: f64 = cols[3].parse().unwrap();
        assert!(ops_per_sec > 0.0, "{row}");
        for c in &cols[5..9] {
            let _: f64 = c.parse().unwrap_or_else(|_| panic!("{row}"));
        }
    }
    assert!(stdout.contains("Level  Files"), "{stdout}");
    assert!(stdout.contains("write_amp"), "{stdout}");
}

#[test]
fn every_phase_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let o = lsmlab(&tiny(&["--benchmarks", ALL]), dir.path());
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_every_phase_reported(&stdout);
    assert!(stdout.contains("found 300 of 300"), "{stdout}");
}

#[test]
fn every_phase_on_disk_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let o = lsmlab(
        &tiny(&[
            "--fs",
            "disk",
            "--dir",
            "dbs",
            "--mode",
            "deterministic",
            "--json",
            "bench.json",
        ]),
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_every_phase_reported(&stdout);
    assert!(stdout.contains("mode deterministic"), "{stdout}");
    assert!(dir.path().join("dbs/fillseq/CURRENT").exists());
    assert!(dir.path().join("dbs/fillrandom/CURRENT").exists());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bench.json")).unwrap())
            .unwrap();
    assert_eq!(json["phases"].as_array().unwrap().len(), 7);
    assert_eq!(json["databases"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_arguments_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("mine/fillseq")).unwrap();
    std::fs::write(dir.path().join("mine/fillseq/data.txt"), "keep me").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--benchmarks", "fillseq,readrandon"],
            "unknown benchmark `readrandon`",
        ),
        (&["--num", "0"], "--num 0"),
        (&["--threads", "0"], "--threads 0"),
        (&["--key-size", "4"], "--key-size 4"),
        (&["--mode", "sideways"], "deterministic | background"),
        (&["--policy", "nope"], "nope"),
        (&["--set", "theta=0.9"], "workload parameter"),
        (&["--set", "l0_file_limit"], "expected NAME=VALUE"),
        (&["--fs", "disk"], "--fs disk needs --dir"),
        (
            &["--compression_type", "snappy"],
            "only --compression_type=none",
        ),
        (&["--bloom_bits=100"], "bloom_bits_per_key"),
        (&["--dir", "x"], "--dir is only for --fs disk"),
        (
            &["--fs", "disk", "--dir", "mine", "--benchmarks", "fillseq"],
            "not an lsmlab database",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["bench"];
        all.extend_from_slice(args);
        let o = lsmlab(&all, dir.path());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(dir.path().join("mine/fillseq/data.txt").exists());
}

/// A db_bench command line runs with the binary's name changed: its option
/// flags set the engine's parameters (`--disable_wal=1` writes no log).
#[test]
fn a_db_bench_command_line_runs_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let db_bench = |db: &str, wal_off: &str| {
        let o = lsmlab(
            &[
                "bench",
                "--benchmarks=fillrandom,readrandom",
                "--num=2000",
                "--reads=200",
                "--key_size=16",
                "--value_size=100",
                &format!("--db={db}"),
                "--write_buffer_size=16384",
                "--target_file_size_base=16384",
                "--max_bytes_for_level_base=65536",
                "--max_bytes_for_level_multiplier=10",
                "--level0_file_num_compaction_trigger=4",
                "--num_levels=7",
                "--block_size=4096",
                "--bloom_bits=10",
                "--cache_size=1048576",
                "--compression_type=none",
                "--compaction_style=0",
                "--compaction_pri=3",
                "--sync=0",
                &format!("--disable_wal={wal_off}"),
                "--statistics=1",
                "--benchmark_write_rate_limit=1000000000",
            ],
            dir.path(),
        );
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            stdout.contains("writes held to 1000000000 bytes/s"),
            "{stdout}"
        );
        // fillrandom draws its keys with repetition, as db_bench's does:
        // about 63% of them are present.
        let found: u64 = stdout
            .split("found ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no `found N of 200`: {stdout}"));
        assert!(
            (100..150).contains(&found),
            "found {found} of 200: {stdout}"
        );
        std::fs::read_dir(dir.path().join(db))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".log")
            })
            .count()
    };
    assert!(db_bench("with-wal", "0") > 0);
    assert_eq!(db_bench("without-wal", "1"), 0);
}
