//! The `lsmlab` binary as a user meets it: commands that work write what
//! they promise; bad input gets a one-line error naming the problem and
//! exit code 2; a regression gets exit code 1.

use std::path::Path;
use std::process::{Command, Output};

fn lsmlab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SMALL_SPEC: &str = r#"
name = "small"
seed = 3
ops = 6000
policies = ["leveled", "size-tiered"]
[workload]
key_count = 2000
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
[grid]
workload = ["uniform", "zipfian"]
"#;

#[test]
fn run_writes_one_row_and_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let o = lsmlab(
        &[
            "run",
            "--policy",
            "min-overlap",
            "--workload",
            "zipfian",
            "--ops",
            "5000",
            "--key-count",
            "1000",
            "--set",
            "write_buffer_size=16KiB",
            "--set",
            "l1_base_bytes=64KiB",
            "--out",
            "out",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("write_amp") && stdout.contains("Level"),
        "{stdout}"
    );
    let runs = std::fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 2, "{runs}");
    let timeline = std::fs::read_to_string(dir.path().join("out/timeline.csv")).unwrap();
    assert!(timeline.lines().count() > 50, "at least 50 samples");
}

#[test]
fn sweep_then_check_passes_and_a_worse_baseline_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL_SPEC).unwrap();
    let o = lsmlab(
        &["sweep", "small.toml", "--quiet", "--jobs", "2"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "notebooks-out/small/runs.csv",
        "notebooks-out/small/timeline.csv",
        "notebooks-out/small/analysis.ipynb",
        "reports/small/report.md",
        "reports/small/tradeoff.png",
        "reports/small/amp_over_time.png",
        "reports/small/level_shape.png",
    ] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "notebooks-out/small/runs.csv",
            "small.toml",
            "--quiet",
        ],
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );

    // A baseline whose write_amp was lower: the current run regressed.
    let runs = std::fs::read_to_string(dir.path().join("notebooks-out/small/runs.csv")).unwrap();
    let mut lines: Vec<String> = runs.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|c| *c == "write_amp").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
    let wa: f64 = cells[col].parse().unwrap();
    cells[col] = (wa * 0.5).to_string();
    lines[1] = cells.join(",");
    std::fs::write(dir.path().join("better.csv"), lines.join("\n") + "\n").unwrap();
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "better.csv",
            "--results",
            "notebooks-out/small/runs.csv",
        ],
        dir.path(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("REGRESSED") && out.contains("write_amp"),
        "{out}"
    );
    // A wider tolerance lets it pass.
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "better.csv",
            "--results",
            "notebooks-out/small/runs.csv",
            "--tolerance",
            "write_amp=1.5",
        ],
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn shards_merge_into_the_same_results_as_one_sweep() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL_SPEC).unwrap();
    for shard in ["0/2", "1/2"] {
        let o = lsmlab(
            &["sweep", "small.toml", "--quiet", "--shard", shard],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = lsmlab(
        &[
            "merge",
            "notebooks-out/small-shard-0-of-2",
            "notebooks-out/small-shard-1-of-2",
            "--spec",
            "small.toml",
            "--notebooks-out",
            "merged",
            "--reports-out",
            "merged-reports",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = lsmlab(&["sweep", "small.toml", "--quiet"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "notebooks-out/small/runs.csv",
            "--results",
            "merged/small/runs.csv",
            "--tolerance",
            "write_amp=0",
            "--tolerance",
            "space_amp=0",
            "--tolerance",
            "read_amp=0",
        ],
        dir.path(),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("0 missing, 0 new"), "{out}");
}

#[test]
fn bad_input_is_one_line_naming_the_problem_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typo.toml"),
        "name = \"t\"\npolicies = [\"leveled\"]\n[engine]\nl0_file_limt = 4\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("range.toml"),
        "name = \"t\"\npolicies = [\"leveled\"]\n[engine]\nlevel_size_multiplier = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("syntax.toml"),
        "name = \"t\"\npolicies = [\"leveled\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("truncated.csv"),
        "run_id,spec,policy\nleveled/uniform,ci",
    )
    .unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--policy", "lazy"], "leveled, round-robin"),
        (&["run", "--workload", "nope"], "unknown workload"),
        (&["run", "--set", "l0_file_limit=0"], "l0_file_limit = 0"),
        (&["run", "--set", "bucket_low=2"], "bucket_low"),
        (&["run", "--set", "wal"], "expected NAME=VALUE"),
        (&["run", "--set", "ttl=5"], "ambiguous"),
        (&["run", "--set", "workload.theta=1"], "theta"),
        (&["run", "--fs", "disk"], "--dir"),
        (&["run", "--workload", "trace:missing.csv"], "missing.csv"),
        (&["sweep", "missing.toml"], "missing.toml"),
        (&["sweep", "typo.toml"], "typo.toml:4"),
        (&["sweep", "range.toml"], "level_size_multiplier"),
        (&["sweep", "syntax.toml"], "syntax.toml"),
        (&["sweep", "typo.toml", "--shard", "2/2"], "0 <= I < N"),
        (
            &[
                "check",
                "--baseline",
                "missing.csv",
                "--results",
                "missing.csv",
            ],
            "missing.csv",
        ),
        (
            &[
                "check",
                "--baseline",
                "truncated.csv",
                "--results",
                "truncated.csv",
            ],
            "truncated.csv",
        ),
        (&["check", "--baseline", "x.csv"], "SPEC"),
        (
            &[
                "check",
                "--baseline",
                "truncated.csv",
                "--results",
                "truncated.csv",
                "--tolerance",
                "speed=1",
            ],
            "speed",
        ),
        (&["merge", "nowhere"], "nowhere"),
    ];
    for (args, needle) in cases {
        let o = lsmlab(args, dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: `{err}` does not mention `{needle}`"
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{args:?}: {err}"
        );
        // One line (clap adds its usual pointer to --help after usage errors).
        let lines = err
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("For more information"))
            .count();
        assert_eq!(lines, 1, "{args:?}: not one line: {err}");
    }
}

#[test]
fn policies_and_workloads_list_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let o = lsmlab(&["policies"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "leveled",
        "round-robin",
        "min-overlap",
        "size-tiered",
        "fifo",
        "min_threshold",
        "bucket_high",
        "fifo_max_bytes",
        "level0_file_num_compaction_trigger",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
    let o = lsmlab(&["workloads"], dir.path());
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "uniform",
        "zipfian",
        "timeseries",
        "ycsb-a",
        "theta",
        "key_count",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
}

/// `lsmlab policies | head` and the like: a reader that stops early ends
/// the listing quietly, as for any Unix filter, never with a panic.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["policies", "workloads"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
            .arg(cmd)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the listing is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{cmd}: {err}");
        assert!(
            o.status.success() || o.status.signal() == Some(libc::SIGPIPE),
            "{cmd}: {:?} {err}",
            o.status
        );
    }
}
