//! The `lsmlab` binary as a user meets it: commands that work write what
//! they promise; bad input gets a one-line error naming the problem and
//! exit code 2; a regression gets exit code 1. Sweeps survive: an
//! interrupted sweep resumed gives the results of an uninterrupted one;
//! `merge` refuses shards that do not make up the spec exactly once; `check`
//! refuses a baseline of another experiment (each refusal exit code 2).

mod common;

use common::lsmlab;
use std::path::Path;
use std::process::{Command, Output};

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
    // The spec.toml beside it reruns the same experiment.
    let o = lsmlab(&["sweep", "out/spec.toml", "--quiet"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let again = std::fs::read_to_string(dir.path().join("notebooks-out/run/runs.csv")).unwrap();
    let config = |text: &str| {
        text.lines()
            .nth(1)
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(config(&again), config(&runs));
    assert!(
        config(&runs).contains("engine.write_buffer_size=16KiB"),
        "{runs}"
    );
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Six runs of a fraction of a second each (`SMALL_SPEC`, larger).
fn resume_spec() -> String {
    SMALL_SPEC
        .replace("name = \"small\"", "name = \"res\"")
        .replace("ops = 6000", "ops = 40000")
        .replace("key_count = 2000", "key_count = 10000")
        .replace("\"size-tiered\"]", "\"size-tiered\", \"round-robin\"]")
}

/// runs.csv without the wall-clock columns, which differ between any two
/// runs: every other cell must be identical.
fn deterministic_cells(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let skip: Vec<usize> = ["wall_seconds", "ops_per_second"]
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    std::iter::once(header.join(","))
        .chain(lines.map(String::from))
        .map(|line| {
            line.split(',')
                .enumerate()
                .filter(|(i, _)| !skip.contains(i))
                .map(|(_, c)| c.to_string())
                .collect()
        })
        .collect()
}

fn data_rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

#[test]
fn an_interrupted_sweep_resumed_gives_the_uninterrupted_results() {
    let (whole, cut) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [&whole, &cut] {
        std::fs::write(d.path().join("res.toml"), resume_spec()).unwrap();
    }
    let o = lsmlab(
        &["sweep", "res.toml", "--quiet", "--jobs", "1"],
        whole.path(),
    );
    assert!(o.status.success(), "{}", text(&o));

    let child = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(["sweep", "res.toml", "--quiet", "--jobs", "1"])
        .current_dir(cut.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let journal = cut.path().join("notebooks-out/res.partial/runs.csv");
    let started = std::time::Instant::now();
    while data_rows(&journal) < 1 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no run finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: kill(2) on the child we spawned.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("rerun with --resume"), "{err}");
    let kept = data_rows(&journal);
    assert!((1..6).contains(&kept), "{kept} runs kept");
    assert!(
        !cut.path().join("notebooks-out/res/runs.csv").exists(),
        "no outputs of a sweep that did not finish"
    );

    // Without --resume the journal is not thrown away silently.
    let o = lsmlab(&["sweep", "res.toml", "--quiet"], cut.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("`--resume` continues it"), "{}", text(&o));

    let o = lsmlab(
        &["sweep", "res.toml", "--quiet", "--jobs", "2", "--resume"],
        cut.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "resumed: {kept} {} taken from",
            if kept == 1 { "run" } else { "runs" }
        )),
        "{}",
        text(&o)
    );
    assert!(!cut.path().join("notebooks-out/res.partial").exists());
    for f in ["runs.csv", "timeline.csv"] {
        let (a, b) = (
            whole.path().join("notebooks-out/res").join(f),
            cut.path().join("notebooks-out/res").join(f),
        );
        if f == "runs.csv" {
            assert_eq!(deterministic_cells(&a), deterministic_cells(&b));
        } else {
            assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        }
    }
    // A changed spec does not resume another experiment's journal.
    std::fs::create_dir_all(cut.path().join("notebooks-out/res.partial")).unwrap();
    std::fs::write(
        cut.path().join("notebooks-out/res.partial/manifest.json"),
        std::fs::read(cut.path().join("notebooks-out/res/manifest.json")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        cut.path().join("res.toml"),
        resume_spec().replace("ops = 40000", "ops = 30000"),
    )
    .unwrap();
    let o = lsmlab(&["sweep", "res.toml", "--quiet", "--resume"], cut.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("spec hash"), "{}", text(&o));
}

/// `SMALL_SPEC` with fifo too: six runs, split into three shards.
fn three_policies() -> String {
    SMALL_SPEC.replace("\"size-tiered\"]", "\"size-tiered\", \"fifo\"]")
}

/// Writes small.toml (`three_policies`), seed4.toml (its seed changed) and
/// a third variant: (file, text replaced, replacement).
fn write_variants(d: &Path, (file, from, to): (&str, &str, &str)) {
    let spec = three_policies();
    std::fs::write(d.join("small.toml"), &spec).unwrap();
    std::fs::write(d.join("seed4.toml"), spec.replace("seed = 3", "seed = 4")).unwrap();
    std::fs::write(d.join(file), spec.replace(from, to)).unwrap();
}

fn shard(dir: &Path, spec: &str, s: &str) {
    let o = lsmlab(&["sweep", spec, "--quiet", "--shard", s], dir);
    assert!(o.status.success(), "{}", text(&o));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn merge_refuses_missing_duplicated_and_foreign_shards() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_variants(d, ("more.toml", "ops = 6000", "ops = 7000"));
    for s in ["0/3", "1/3", "2/3"] {
        shard(d, "small.toml", s);
    }
    let (s0, s1, s2) = (
        "notebooks-out/small-shard-0-of-3",
        "notebooks-out/small-shard-1-of-3",
        "notebooks-out/small-shard-2-of-3",
    );
    // Shards are dealt by cost: each holds two of the six runs.
    for s in [s0, s1, s2] {
        assert_eq!(data_rows(&d.join(s).join("runs.csv")), 2, "{s}");
    }
    let merge = |dirs: &[&str], extra: &[&str]| {
        let mut args = vec!["merge"];
        args.extend_from_slice(dirs);
        args.extend_from_slice(&["--notebooks-out", "m", "--reports-out", "r"]);
        args.extend_from_slice(extra);
        lsmlab(&args, d)
    };
    let refused = |o: Output, want: &str| {
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(want), "want `{want}` in: {}", text(&o));
        assert!(!d.join("m/small/runs.csv").exists(), "nothing written");
    };

    // A missing shard, named by the runs it holds.
    refused(
        merge(&[s0, s1], &[]),
        "2 of 6 runs of small are in none of the shards given (0/3, 1/3)",
    );
    // The same shard twice.
    copy_dir(&d.join(s0), &d.join("copy-of-0"));
    refused(
        merge(&[s0, "copy-of-0", s1, s2], &[]),
        "shard 0/3 is given twice",
    );
    // A shard of another seed.
    std::fs::rename(d.join(s2), d.join("keep-2")).unwrap();
    shard(d, "seed4.toml", "2/3");
    std::fs::rename(d.join(s2), d.join("seed4-2")).unwrap();
    refused(merge(&[s0, s1, "seed4-2"], &[]), "seed 3 vs 4");
    // A shard of another version of the spec (ops changed).
    shard(d, "more.toml", "2/3");
    refused(merge(&[s0, s1, s2], &[]), "spec hash");
    // A shard written by another lsmlab version.
    copy_dir(&d.join("keep-2"), &d.join("old-2"));
    let m = d.join("old-2/manifest.json");
    let old = std::fs::read_to_string(&m)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "0.0.1");
    std::fs::write(&m, old).unwrap();
    refused(
        merge(&[s0, s1, "old-2"], &[]),
        &format!("lsmlab version {} vs 0.0.1", env!("CARGO_PKG_VERSION")),
    );
    // A directory that is not a finished shard.
    std::fs::create_dir_all(d.join("empty")).unwrap();
    refused(merge(&[s0, "empty"], &[]), "no manifest.json");

    // --allow-partial merges what there is and says what is missing.
    let o = merge(&[s0, s1], &["--allow-partial"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("warning: merging a partial sweep"));
    assert_eq!(data_rows(&d.join("m/small/runs.csv")), 4);

    // The whole set merges.
    let o = merge(&[s0, s1, "keep-2"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(data_rows(&d.join("m/small/runs.csv")), 6);
}

#[test]
fn check_refuses_a_baseline_of_another_spec() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_variants(d, ("l0.toml", "[engine]", "[engine]\nl0_file_limit = 8"));
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "base.csv",
            "--update",
            "small.toml",
            "--quiet",
        ],
        d,
    );
    assert!(o.status.success(), "{}", text(&o));
    for (spec, want) in [
        ("seed4.toml", "differ in seed 3 vs 4"),
        (
            "l0.toml",
            "differ in parameters engine.l0_file_limit (unset) vs 8",
        ),
    ] {
        let o = lsmlab(&["check", "--baseline", "base.csv", spec, "--quiet"], d);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(want), "{}", text(&o));
        assert!(text(&o).contains("base.csv"), "{}", text(&o));
    }
    // The committed CI baseline is of another spec than this one.
    let ci = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/baselines/ci.csv");
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            ci.to_str().unwrap(),
            "small.toml",
            "--quiet",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("sweep `ci` vs `small`"), "{}", text(&o));

    // The same spec passes and what was compared is kept.
    let o = lsmlab(
        &[
            "check",
            "--baseline",
            "base.csv",
            "small.toml",
            "--quiet",
            "--compared",
            "compared.csv",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let compared = std::fs::read_to_string(d.join("compared.csv")).unwrap();
    assert!(compared.starts_with("run_id,metric,baseline,now,"));
    assert!(compared.contains("leveled/uniform,write_amp,"));
    assert!(
        !compared.contains(",user_bytes,"),
        "inputs are not compared"
    );
}

/// The value of column `name` in the single data row of a runs.csv.
fn cell(path: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == name).unwrap();
    lines
        .next()
        .unwrap()
        .split(',')
        .nth(at)
        .unwrap()
        .to_string()
}

/// `lab.compaction_workers` sends the run's merges to compaction workers
/// over the remote protocol: the figures are the writer's own, and the run
/// says how many jobs went out.
#[test]
fn compaction_workers_run_the_merges_with_the_writers_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = |workers: &str, out: &str| {
        let set = format!("lab.compaction_workers={workers}");
        lsmlab(
            &[
                "run",
                "--policy",
                "leveled",
                "--workload",
                "uniform",
                "--ops",
                "30000",
                "--key-count",
                "10000",
                "--set",
                "write_buffer_size=16KiB",
                "--set",
                "l1_base_bytes=64KiB",
                "--set",
                &set,
                "--out",
                out,
            ],
            dir.path(),
        )
    };
    let (local, remote) = (run("0", "local"), run("2", "remote"));
    assert!(local.status.success(), "{}", text(&local));
    assert!(remote.status.success(), "{}", text(&remote));
    assert!(
        !text(&local).contains("remote compaction"),
        "{}",
        text(&local)
    );
    let out = text(&remote);
    let line = out
        .lines()
        .find(|l| l.starts_with("remote compaction:"))
        .unwrap_or_else(|| panic!("no remote compaction line: {out}"));
    let jobs: u64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(jobs > 0, "{line}");
    assert!(
        line.contains("on 2 workers, 0 attempts failed, 0 jobs ran in the writer"),
        "{line}"
    );
    let both = |col: &str| {
        let get = |run: &str| cell(&dir.path().join(run).join("runs.csv"), col);
        (get("local"), get("remote"))
    };
    let (a, b) = both("compactions");
    assert_eq!(a, b, "compactions");
    // Byte counts differ by the few bytes of the output file numbers the
    // tables record (a worker numbers its outputs from a reserved block).
    for col in ["write_amp", "space_amp", "sst_bytes", "read_amp"] {
        let (a, b) = both(col);
        let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
        assert!(
            (a - b).abs() <= 1e-4 * a.abs(),
            "{col}: {a} here, {b} with workers"
        );
    }
    let o = lsmlab(
        &[
            "run",
            "--ops",
            "100",
            "--set",
            "lab.compaction_workers=65",
            "--out",
            "bad",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("compaction_workers") && text(&o).contains("0 ..= 64"),
        "{}",
        text(&o)
    );
}
