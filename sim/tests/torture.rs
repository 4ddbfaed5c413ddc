//! The short crash campaign: `lsmlab torture` kills a writer 10 times per
//! policy, on real files, and finds every acknowledged batch after each
//! kill. The long form (`--kills 200` and more) is run by hand; see
//! README.

use std::path::Path;
use std::process::Command;

use lsmlab_engine::compaction::registry;

/// What a clean campaign of `per_policy` kills for each registered policy
/// prints last.
fn all_survived(per_policy: usize) -> String {
    let kills = per_policy * registry::builtin().policies().len();
    format!("all {kills} kills survived")
}

/// Runs a torture campaign in `dir` with `args`; expects exit code 0 and
/// returns what it printed.
fn campaign(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .arg("torture")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    out
}

#[test]
fn ten_kills_per_policy_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = campaign(dir.path(), &["--kills", "10", "--seed", "7"]);
    for policy in registry::builtin().names() {
        let line = out
            .lines()
            .find(|l| l.starts_with(policy))
            .unwrap_or_else(|| panic!("no line for {policy}: {out}"));
        assert!(line.contains("10 kills survived, nothing lost"), "{line}");
    }
    assert!(out.contains(&all_survived(10)), "{out}");
    // The databases are removed after a clean campaign.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The same with flushes and compactions on background threads: kills land
/// while the writer goes on writing and workers install edits.
#[test]
fn ten_kills_per_policy_in_background_mode_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = campaign(
        dir.path(),
        &["--mode", "background", "--kills", "10", "--seed", "9"],
    );
    assert!(out.contains("background mode"), "{out}");
    assert!(out.contains(&all_survived(10)), "{out}");
}

/// Without `wal_sync` (the default options) an acknowledged batch has
/// reached the operating system, so a kill of the process loses none; every
/// fourth kill is aimed at the WAL append of a big batch (a torn WAL tail).
#[test]
fn eight_kills_per_policy_without_wal_sync_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = campaign(
        dir.path(),
        &["--wal-sync", "false", "--kills", "8", "--seed", "11"],
    );
    assert!(out.contains("wal_sync false"), "{out}");
    for line in out
        .lines()
        .filter(|l| l.contains("kills survived, nothing lost"))
    {
        assert!(
            line.contains("2 kills aimed at a big batch's WAL append"),
            "{line}"
        );
    }
    assert!(out.contains(&all_survived(8)), "{out}");
}

#[test]
fn a_bad_mode_is_refused_naming_the_choices() {
    let o = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(["torture", "--mode", "threads"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("deterministic | background"), "{err}");
}

#[test]
fn a_used_directory_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("fifo")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(["torture", "--policy", "fifo", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("already exists"), "{err}");
}

/// With value separation and blob garbage collection on: kills land while
/// values go to blob files, blobs are relocated and emptied blob files
/// deleted; every acknowledged value still reads back.
#[test]
fn six_kills_per_policy_with_value_separation_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = campaign(
        dir.path(),
        &["--min-blob-size", "100", "--kills", "6", "--seed", "13"],
    );
    assert!(out.contains("min_blob_size 100"), "{out}");
    assert!(out.contains(&all_survived(6)), "{out}");
}
