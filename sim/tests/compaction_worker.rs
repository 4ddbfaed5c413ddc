//! `lsmlab compaction-worker` as a process: a writer's merges run on it
//! over TCP; after it is killed, jobs run in the writer and nothing is
//! lost or left behind. Bad arguments are refused with a clear error.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lsmlab_engine::compaction::registry;
use lsmlab_engine::compaction::CompactionOptions;
use lsmlab_engine::remote::TcpCompactionService;
use lsmlab_engine::{Db, Options};

fn options() -> Options {
    let policy = registry::builtin().find("leveled").unwrap();
    Options {
        write_buffer_size: 8 << 10,
        l0_file_limit: 2,
        l1_base_bytes: 32 << 10,
        base_file_size: 8 << 10,
        level_size_multiplier: 4.0,
        num_levels: 5,
        compaction: CompactionOptions::for_policy(policy),
        ..Options::default()
    }
}

fn write(db: &Db, model: &mut BTreeMap<Vec<u8>, Vec<u8>>, round: u64) {
    for i in 0..1500u64 {
        let k = format!("key{:05}", (i * 13 + round) % 2000).into_bytes();
        let v = format!("value-{round}-{i}-{}", "x".repeat(40)).into_bytes();
        db.put(&k, &v).unwrap();
        model.insert(k, v);
    }
    db.flush().unwrap();
    db.compact().unwrap();
}

#[test]
fn a_worker_process_runs_merges_and_its_kill_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(["compaction-worker", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(worker.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .nth(4)
        .and_then(|a| a.trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let db = Db::open(dir.path(), options()).unwrap();
    let service = TcpCompactionService::new(vec![addr], Duration::from_secs(5));
    db.set_compaction_service(Some(Arc::new(service)));
    let mut model = BTreeMap::new();
    write(&db, &mut model, 0);
    let s = db.stats();
    assert!(s.remote_jobs > 0, "{s:?}");
    assert_eq!(s.remote_ran_locally, 0, "{s:?}");

    worker.kill().unwrap();
    worker.wait().unwrap();
    write(&db, &mut model, 1);
    let s = db.stats();
    assert!(s.remote_ran_locally > 0, "{s:?}");
    let all: BTreeMap<_, _> = db
        .scan(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, model);
    let live: std::collections::HashSet<u64> =
        db.version().all_file_numbers().into_iter().collect();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if let Some(n) = name.strip_suffix(".sst") {
            assert!(live.contains(&n.parse().unwrap()), "orphaned {name}");
        }
    }
    drop(db);
    // Reopened without a service: everything is there.
    let db = Db::open(dir.path(), options()).unwrap();
    let all: BTreeMap<_, _> = db
        .scan(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(all, model);
}

#[test]
fn bad_worker_arguments_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (
            vec!["--listen", "not-an-address"],
            "--listen not-an-address",
        ),
        (
            vec!["--listen", "127.0.0.1:0", "--dir", "/nonexistent/lsmlab"],
            "--dir",
        ),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lsmlab"));
        cmd.arg("compaction-worker").args(&args);
        if !args.contains(&"--dir") {
            cmd.arg("--dir").arg(dir.path());
        }
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
