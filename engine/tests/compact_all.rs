//! `Db::compact_all`, RocksDB's `CompactRange` over the whole key space:
//! whatever the policy left, the data ends in one sorted run at the deepest
//! level that held any, and reads the same as before.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Db, Env, Mode, Options, SystemClock};

fn fill(db: &Db, model: &mut BTreeMap<Vec<u8>, Vec<u8>>) {
    for i in 0..4000u64 {
        let k = format!("k{:05}", (i * 7919) % 1500).into_bytes();
        if i % 11 == 0 {
            db.delete(&k).unwrap();
            model.remove(&k);
        } else {
            let v = format!("v{i}").into_bytes();
            db.put(&k, &v).unwrap();
            model.insert(k, v);
        }
    }
}

fn check(db: &Db, model: &BTreeMap<Vec<u8>, Vec<u8>>, what: &str) {
    let all: BTreeMap<Vec<u8>, Vec<u8>> = db
        .scan(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(&all, model, "{what}: scan after compact_all");
    for k in model.keys().step_by(37) {
        assert_eq!(db.get(k).unwrap().as_ref(), model.get(k), "{what}: get");
    }
}

fn compacted_into_one_run(db: &Db, deepest_before: usize, what: &str) {
    let v = db.version();
    let target = deepest_before;
    for level in 0..v.num_levels() {
        let runs = v.runs(level).len();
        if level == target {
            assert_eq!(runs, 1, "{what}: L{level} holds {runs} runs");
        } else {
            assert_eq!(
                runs, 0,
                "{what}: L{level} holds {runs} runs, not L{target} alone"
            );
        }
    }
}

fn deepest_level(db: &Db) -> usize {
    let v = db.version();
    (0..v.num_levels())
        .rev()
        .find(|&l| !v.files(l).is_empty())
        .unwrap_or(0)
}

#[test]
fn every_policy_ends_in_one_run_at_the_deepest_level() {
    for policy in common::policies() {
        for mode in [Mode::Deterministic, Mode::Background] {
            let what = format!("{}, {}", policy.name, mode.name());
            let mem = MemFs::new();
            let env = Env {
                fs: Arc::new(mem.clone()),
                clock: Arc::new(SystemClock),
            };
            let opts = Options {
                mode,
                ..common::small_options(policy)
            };
            let db = Db::open_with("/db", opts, env).unwrap();
            let mut model = BTreeMap::new();
            fill(&db, &mut model);
            db.compact().unwrap();
            let deepest = deepest_level(&db);
            let v = db.version();
            let runs: usize = (0..v.num_levels()).map(|l| v.runs(l).len()).sum();
            // Background workers on the real clock may have merged
            // everything already; the deterministic mode's tree is fixed.
            assert!(
                runs > 1 || mode == Mode::Background,
                "{what}: the fill should leave more than one sorted run"
            );
            db.compact_all().unwrap();
            compacted_into_one_run(&db, deepest, &what);
            check(&db, &model, &what);
        }
    }
}
