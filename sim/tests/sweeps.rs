//! Sweeps that survive: an interrupted sweep resumed gives the results of an
//! uninterrupted one; `merge` refuses shards that do not make up the spec
//! exactly once; `check` refuses a baseline of another experiment. Each
//! refusal is exit code 2 with a message naming what is wrong.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn lsmlab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Six runs of a fraction of a second each, run one at a time.
const SPEC: &str = r#"
name = "res"
seed = 5
ops = 40000
policies = ["leveled", "size-tiered", "round-robin"]
[workload]
key_count = 10000
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
[grid]
workload = ["uniform", "zipfian"]
"#;

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
        std::fs::write(d.path().join("res.toml"), SPEC).unwrap();
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
    let started = Instant::now();
    while data_rows(&journal) < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no run finished"
        );
        std::thread::sleep(Duration::from_millis(5));
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
        text(&o).contains(&format!("resumed: {kept} runs taken from")),
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
        SPEC.replace("ops = 40000", "ops = 30000"),
    )
    .unwrap();
    let o = lsmlab(&["sweep", "res.toml", "--quiet", "--resume"], cut.path());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("spec hash"), "{}", text(&o));
}

/// A small spec split into three shards.
const SMALL: &str = r#"
name = "small"
seed = 3
ops = 6000
policies = ["leveled", "size-tiered", "fifo"]
[workload]
key_count = 2000
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
[grid]
workload = ["uniform", "zipfian"]
"#;

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
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    std::fs::write(d.join("seed4.toml"), SMALL.replace("seed = 3", "seed = 4")).unwrap();
    std::fs::write(
        d.join("more.toml"),
        SMALL.replace("ops = 6000", "ops = 7000"),
    )
    .unwrap();
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
    std::fs::write(d.join("small.toml"), SMALL).unwrap();
    std::fs::write(d.join("seed4.toml"), SMALL.replace("seed = 3", "seed = 4")).unwrap();
    std::fs::write(
        d.join("l0.toml"),
        SMALL.replace("[engine]", "[engine]\nl0_file_limit = 8"),
    )
    .unwrap();
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
