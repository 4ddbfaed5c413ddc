//! After a 1M-key uniform load with default options, compaction reaches
//! quiescence under every policy, and the final tree satisfies the policy's
//! own triggers.

use std::sync::Arc;

use lsmlab_engine::compaction::{registry, CompactionOptions, PickContext, PolicyDef};
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Db, Env, Options, VirtualClock};

const KEYS: u64 = 1_000_000;

/// A fixed pseudo-random permutation step (SplitMix64 finalizer).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn load(policy: &'static PolicyDef) -> (Db, Options) {
    let opts = Options {
        wal: false,
        compaction: CompactionOptions::for_policy(policy),
        ..Options::default()
    };
    let env = Env {
        fs: Arc::new(MemFs::new()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    let db = Db::open_with("/db", opts.clone(), env).unwrap();
    let value = [7u8; 100];
    for i in 0..KEYS {
        let k = mix(i) % KEYS;
        db.put(&k.to_be_bytes().repeat(2), &value).unwrap();
    }
    db.flush().unwrap();
    db.compact().unwrap();
    (db, opts)
}

#[test]
fn every_policy_reaches_quiescence_within_its_own_triggers() {
    for &policy in registry::builtin().policies() {
        let (db, o) = load(policy);
        let v = db.version();
        v.check_invariants().unwrap();
        let stats = db.stats();
        let table = db.level_stats();
        // The policy's own triggers are satisfied: it picks nothing more,
        // every level it scores is at or under its target (L0 under its
        // trigger), and the tree has the shape it promises.
        let strategy = (policy.build)(&o.compaction);
        let busy = std::collections::HashSet::new();
        let ctx = PickContext {
            options: &o,
            busy: &busy,
            now_ms: 0,
            last_level: None,
            oldest_snapshot: None,
        };
        assert!(strategy.pick(&v, &ctx).is_none(), "{policy:?}:\n{table}");
        strategy.check_shape(&v).unwrap();
        for level in 0..v.num_levels() {
            if let Some(score) = strategy.level_score(&v, &o, level) {
                let limit = if level == 0 { 1.0 } else { 1.0 + 1e-9 };
                assert!(score < limit, "{policy:?}: L{level} score {score}\n{table}");
            }
        }
        // Work happened, unless the policy keeps every flush as it is.
        assert!(
            stats.compactions > 0 || v.files(0).len() as u64 == stats.flushes,
            "{policy:?}:\n{table}"
        );
        // Quiescent: another round finds nothing to do.
        let before = db.stats();
        db.compact().unwrap();
        assert_eq!(
            db.stats().compactions,
            before.compactions,
            "{policy:?} not quiescent"
        );
        // Every key is readable.
        for i in (0..KEYS).step_by(9973) {
            let k = mix(i) % KEYS;
            assert!(
                db.get(&k.to_be_bytes().repeat(2)).unwrap().is_some(),
                "{policy:?}: key {k}"
            );
        }
        eprintln!(
            "{policy:?}: write_amp {:.2}, runs max {}, compactions {}, moves {}\n{table}",
            stats.write_amp(),
            stats.sorted_runs_max,
            stats.compactions,
            stats.trivial_moves
        );
    }
}

#[test]
fn every_policy_is_deterministic() {
    for &policy in registry::builtin().policies() {
        let (a, _) = load(policy);
        let (b, _) = load(policy);
        assert_eq!(*a.version(), *b.version(), "{policy:?}: trees differ");
        let (sa, sb) = (a.stats(), b.stats());
        assert_eq!(
            (sa.compaction_write_bytes, sa.flush_bytes, sa.compactions),
            (sb.compaction_write_bytes, sb.flush_bytes, sb.compactions),
            "{policy:?}: byte counts differ"
        );
    }
}

/// A file whose data has expired goes at the policy's wake-up time, with no
/// write to trigger it: in the deterministic mode at the next call into the
/// engine, in the background mode by the workers alone.
#[test]
fn an_expired_file_goes_on_time_without_a_write() {
    for mode in [
        lsmlab_engine::Mode::Deterministic,
        lsmlab_engine::Mode::Background,
    ] {
        let mut opts = Options {
            wal: false,
            mode,
            compaction: CompactionOptions::named("fifo").unwrap(),
            ..Options::default()
        };
        opts.set("ttl", "10m").unwrap();
        let clock = Arc::new(VirtualClock::new(0));
        let env = Env {
            fs: Arc::new(MemFs::new()),
            clock: clock.clone(),
        };
        let db = Db::open_with("/db", opts, env).unwrap();
        db.put(b"k", b"v").unwrap();
        db.flush().unwrap();
        db.compact().unwrap();
        assert_eq!(db.version().total_files(), 1, "{mode:?}");
        clock.advance_by(9 * 60_000);
        db.compact().unwrap();
        assert_eq!(db.version().total_files(), 1, "{mode:?}: dropped early");
        clock.advance_by(61_000);
        match mode {
            lsmlab_engine::Mode::Deterministic => db.compact().unwrap(),
            lsmlab_engine::Mode::Background => {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while db.version().total_files() > 0 && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        }
        assert_eq!(db.version().total_files(), 0, "{mode:?}: expired file kept");
    }
}
