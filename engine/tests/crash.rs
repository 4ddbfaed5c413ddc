//! Crash tests: acknowledged writes survive dropping the database and torn
//! WAL tails. (Failures injected at every I/O position are in `faults.rs`.)

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{key, small_options, value, Model};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::{Db, Env, Options, VirtualClock};

fn mem_env() -> (Env, MemFs) {
    let m = MemFs::new();
    (
        Env {
            fs: Arc::new(m.clone()),
            clock: Arc::new(VirtualClock::new(0)),
        },
        m,
    )
}

fn check(db: &Db, model: &Model, now: u64, what: &str) {
    assert_eq!(
        db.scan(b"", None, usize::MAX).unwrap(),
        model.scan(b"", None, usize::MAX, now),
        "{what}"
    );
}

#[test]
fn acknowledged_writes_survive_dropping_the_db_without_flush() {
    let (env, _) = mem_env();
    let opts = Options {
        write_buffer_size: 1 << 20,
        ..small_options(common::policy("leveled"))
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    let mut model = Model::default();
    for i in 0..500 {
        db.put(&key(i % 97), &value(i, i, 20)).unwrap();
        model.put(&key(i % 97), &value(i, i, 20), None);
        if i % 7 == 0 {
            db.delete(&key(i % 13)).unwrap();
            model.delete(&key(i % 13));
        }
    }
    assert!(db.version().total_files() == 0, "nothing was flushed");
    drop(db);
    let db = Db::open_with("/db", opts, env).unwrap();
    check(&db, &model, 0, "after drop and reopen");
}

#[test]
fn a_truncated_wal_tail_loses_only_the_torn_batch() {
    let (env, mem) = mem_env();
    let opts = Options {
        write_buffer_size: 1 << 20,
        ..small_options(common::policy("leveled"))
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    let mut model = Model::default();
    for i in 0..50 {
        db.put(&key(i), &value(i, 0, 30)).unwrap();
        if i < 49 {
            model.put(&key(i), &value(i, 0, 30), None);
        }
    }
    drop(db);
    let wal = mem
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .find(|n| n.ends_with(".log"))
        .unwrap();
    let path = Path::new("/db").join(&wal);
    let len = mem.file_size(&path).unwrap() as usize;
    for cut in [1, 5, 20] {
        let m2 = MemFs::new();
        for name in mem.list(Path::new("/db")).unwrap() {
            let p = Path::new("/db").join(&name);
            let mut data = mem.read_all(&p).unwrap();
            if name == wal {
                data.truncate(len - cut);
            }
            let mut w = m2.create(&p).unwrap();
            w.append(&data).unwrap();
            w.sync().unwrap();
        }
        let env2 = Env {
            fs: Arc::new(m2),
            clock: env.clock.clone(),
        };
        let db = Db::open_with("/db", opts.clone(), env2).unwrap();
        check(&db, &model, 0, &format!("WAL cut by {cut} bytes"));
    }
}
