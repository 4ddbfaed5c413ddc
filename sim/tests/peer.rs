//! `lsmlab peer rocksdb`: a missing db_bench is a clear error, and with
//! Debian's db_bench installed (scripts/install-rocksdb-tools.sh) a tiny
//! spec runs on both engines end to end.

mod common;

use std::process::Command;

use common::lsmlab;

const SPEC: &str = r#"name = "peer-e2e"
ops = 20000
policies = ["universal", "size-tiered"]

[workload]
preset = "uniform"
key_count = 10000

[engine]
write_buffer_size = "256KiB"
base_file_size = "256KiB"
l1_base_bytes = "1MiB"
"#;

#[test]
fn a_missing_db_bench_is_named_with_the_install_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), SPEC).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(["peer", "rocksdb", "p.toml"])
        .current_dir(dir.path())
        .env("PATH", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("no db_bench on PATH"), "{err}");
    assert!(err.contains("scripts/install-rocksdb-tools.sh"), "{err}");
    let o = lsmlab(
        &["peer", "rocksdb", "p.toml", "--db-bench", "nope"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--db-bench nope: no such file"));
}

#[test]
fn a_tiny_spec_runs_on_lsmlab_and_rocksdb_side_by_side() {
    let has_db_bench = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p)
            .any(|d| d.join("db_bench").is_file() || d.join("rocksdb_db_bench").is_file())
    });
    if !has_db_bench {
        println!(
            "skipped: no db_bench on PATH (bash scripts/install-rocksdb-tools.sh installs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.toml"), SPEC).unwrap();
    let o = lsmlab(
        &[
            "peer",
            "rocksdb",
            "p.toml",
            "--out",
            "out",
            "--write-rate",
            "64MiB",
            "--settle",
            "1",
        ],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("size-tiered/uniform: skipped"), "{err}");
    let csv = std::fs::read_to_string(dir.path().join("out/runs.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!((rows[0][1], rows[1][1]), ("lsmlab", "rocksdb"));
    for r in &rows {
        assert_eq!(r[2], "keeping-up");
        let write_amp: f64 = r[9].parse().unwrap();
        let space_amp: f64 = r[12].parse().unwrap();
        // Both engines flush every byte at least once and keep the data.
        assert!((1.0..20.0).contains(&write_amp), "{r:?}");
        assert!((0.9..5.0).contains(&space_amp), "{r:?}");
    }
    let md = std::fs::read_to_string(dir.path().join("out/peer.md")).unwrap();
    assert!(md.contains("| universal/uniform | keeping-up |"), "{md}");
    assert!(
        !dir.path().join("out/work/universal_uniform/db").exists(),
        "database removed"
    );
}
