//! After a 1M-key uniform load with default options, compaction reaches
//! quiescence under every policy, and the final tree satisfies the policy's
//! own triggers.

use std::sync::Arc;

use lsmlab_engine::compaction::{CompactionOptions, Policy};
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Db, Env, Options, VirtualClock};

const KEYS: u64 = 1_000_000;

/// A fixed pseudo-random permutation step (SplitMix64 finalizer).
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn load(policy: Policy) -> (Db, Options) {
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
    for policy in Policy::ALL {
        let (db, o) = load(policy);
        let v = db.version();
        v.check_invariants().unwrap();
        let stats = db.stats();
        let table = db.level_stats();
        match policy {
            Policy::Leveled | Policy::RoundRobin | Policy::MinOverlap => {
                assert!(v.files(0).len() < o.l0_file_limit, "{policy}:\n{table}");
                for level in 1..v.num_levels() - 1 {
                    assert!(
                        v.level_bytes(level) <= o.level_target_bytes(level),
                        "{policy}: L{level} over target\n{table}"
                    );
                }
                assert!(stats.compactions > 0, "{policy}:\n{table}");
            }
            Policy::SizeTiered => {
                for level in 1..v.num_levels() {
                    assert!(v.files(level).is_empty(), "size-tiered uses L0 only");
                }
                assert!(v.files(0).len() <= o.compaction.max_threshold);
                assert!(stats.compactions > 0, "{policy}:\n{table}");
            }
            Policy::Fifo => {
                // Nothing expires and there is no cap: every flush stays.
                assert_eq!(v.files(0).len() as u64, stats.flushes, "{policy}");
            }
        }
        // Quiescent: another round finds nothing to do.
        let before = db.stats();
        db.compact().unwrap();
        assert_eq!(
            db.stats().compactions,
            before.compactions,
            "{policy} not quiescent"
        );
        // Every key is readable.
        for i in (0..KEYS).step_by(9973) {
            let k = mix(i) % KEYS;
            assert!(
                db.get(&k.to_be_bytes().repeat(2)).unwrap().is_some(),
                "{policy}: key {k}"
            );
        }
        eprintln!(
            "{policy}: write_amp {:.2}, runs max {}, compactions {}, moves {}\n{table}",
            stats.write_amp(),
            stats.sorted_runs_max,
            stats.compactions,
            stats.trivial_moves
        );
    }
}
