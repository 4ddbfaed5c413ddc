//! Readers that take no database lock (see `db/view.rs`) while one writer
//! writes, memtables rotate and background compactions install versions
//! (and, under `ics`, release inputs mid-merge): a reader never sees a key
//! go back to an older value, and never half of a batch, in a lookup or a
//! scan.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::small_options;
use lsmlab_engine::batch::WriteBatch;
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Db, Env, Mode, Options, SystemClock};

/// Pairs of keys the writer cycles over.
const PAIRS: u64 = 40;
const ROUNDS: u64 = 20000;
const READERS: usize = 2;

fn keys(pair: u64) -> (Vec<u8>, Vec<u8>) {
    (
        format!("x{pair:03}").into_bytes(),
        format!("y{pair:03}").into_bytes(),
    )
}

/// The value of round `round`: the counter first, padded so that a few
/// rounds fill the 4 KiB write buffer.
fn value(round: u64) -> Vec<u8> {
    let mut v = round.to_be_bytes().to_vec();
    v.extend_from_slice(&[b'v'; 56]);
    v
}

/// The round a value was written in (`None`: absent).
fn round_of(v: Option<Vec<u8>>) -> Option<u64> {
    v.map(|v| u64::from_be_bytes(v[..8].try_into().expect("8-byte counter")))
}

fn open(policy: &str) -> Db {
    let env = Env {
        fs: Arc::new(MemFs::new()),
        clock: Arc::new(SystemClock),
    };
    let opts = Options {
        mode: Mode::Background,
        max_background_jobs: 2,
        max_write_buffers: 3,
        // Lookups find their tables open and stay off the database lock,
        // except right after an install.
        paranoid_checks: false,
        ..small_options(common::policy(policy))
    };
    Db::open_with("/db", opts, env).unwrap()
}

/// One reader: point lookups of both keys of a pair, in either order, at
/// the latest state, and both at one snapshot. Returns the lookups made.
fn read_until(db: &Db, done: &AtomicBool, seed: u64, policy: &str) -> u64 {
    // The newest round seen per key: a later lookup never returns less.
    let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut lookups = 0u64;
    let mut i = seed;
    let mut check_monotonic = |k: &[u8], round: Option<u64>| {
        let before = seen.get(k).copied();
        assert!(
            round >= before,
            "{policy}: {} went back from round {before:?} to {round:?}",
            String::from_utf8_lossy(k)
        );
        if let Some(r) = round {
            seen.insert(k.to_vec(), r);
        }
    };
    while !done.load(Ordering::Acquire) {
        i = i
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (x, y) = keys((i >> 33) % PAIRS);
        // Both keys of a pair are written in one batch with the same
        // round, and rounds only grow: the key read second is at least as
        // new as the first (a half-applied batch would show it older).
        let (first, second) = if i & (1 << 20) == 0 {
            (&x, &y)
        } else {
            (&y, &x)
        };
        let a = round_of(db.get(first).unwrap());
        let b = round_of(db.get(second).unwrap());
        assert!(
            b >= a,
            "{policy}: {} at round {a:?} but {} read after it at {b:?}",
            String::from_utf8_lossy(first),
            String::from_utf8_lossy(second)
        );
        check_monotonic(first, a);
        check_monotonic(second, b);
        // At one snapshot the pair is all or nothing, and the same round.
        let snap = db.snapshot();
        let sx = round_of(db.get_at(&snap, &x).unwrap());
        let sy = round_of(db.get_at(&snap, &y).unwrap());
        assert_eq!(sx, sy, "{policy}: pair {x:?}/{y:?} split at one snapshot");
        if lookups.is_multiple_of(256) {
            // Scans at the same snapshot, whose memtable cursors step while
            // the writer links entries: every pair whole, the pair looked
            // up at its round, and a short scan from it starting there.
            let rows = db.scan_at(&snap, b"x", None, usize::MAX).unwrap();
            let rounds: HashMap<Vec<u8>, u64> = rows
                .into_iter()
                .map(|(k, v)| (k, round_of(Some(v)).expect("a value")))
                .collect();
            for pair in 0..PAIRS {
                let (px, py) = keys(pair);
                assert_eq!(
                    rounds.get(&px),
                    rounds.get(&py),
                    "{policy}: pair {pair} split in a scan at one snapshot"
                );
            }
            assert_eq!(
                rounds.get(&x).copied(),
                sx,
                "{policy}: scan and lookup of {x:?}"
            );
            let short = db.scan_at(&snap, &x, None, 3).unwrap();
            if let Some(r) = sx {
                assert_eq!(
                    short
                        .first()
                        .map(|(k, v)| (k.clone(), round_of(Some(v.clone())))),
                    Some((x.clone(), Some(r)))
                );
            }
            assert!(
                short.windows(2).all(|w| w[0].0 < w[1].0),
                "{policy}: a short scan out of order"
            );
        }
        lookups += 4;
    }
    lookups
}

#[test]
fn lock_free_readers_never_see_old_values_or_half_batches() {
    for policy in ["leveled", "size-tiered", "ics"] {
        let db = open(policy);
        let done = AtomicBool::new(false);
        let lookups: Vec<u64> = std::thread::scope(|s| {
            let readers: Vec<_> = (0..READERS as u64)
                .map(|r| {
                    let (db, done) = (&db, &done);
                    s.spawn(move || read_until(db, done, r, policy))
                })
                .collect();
            let writer = s.spawn(|| {
                for round in 1..=ROUNDS {
                    let (x, y) = keys(round % PAIRS);
                    let v = value(round);
                    let mut batch = WriteBatch::new();
                    batch.put(&x, &v);
                    batch.put(&y, &v);
                    db.write(batch)
                        .unwrap_or_else(|e| panic!("{policy}: write {round}: {e}"));
                }
            });
            let wrote = writer.join();
            // Readers stop even when the writer failed, so the failure shows.
            done.store(true, Ordering::Release);
            let lookups = readers.into_iter().map(|r| r.join().unwrap()).collect();
            wrote.unwrap_or_else(|_| panic!("{policy}: the writer failed"));
            lookups
        });
        for (r, n) in lookups.iter().enumerate() {
            assert!(*n > 0, "{policy}: reader {r} made no lookup");
        }
        let stats = db.stats();
        assert!(stats.flushes > 20, "{policy}: {stats:?}");
        assert!(stats.compactions > 0, "{policy}: {stats:?}");
        assert_eq!(stats.gets, lookups.iter().sum::<u64>(), "{policy}");
        // Every pair ends at its last round.
        for pair in 0..PAIRS {
            let last = (1..=ROUNDS).rev().find(|r| r % PAIRS == pair);
            let (x, y) = keys(pair);
            assert_eq!(round_of(db.get(&x).unwrap()), last, "{policy}");
            assert_eq!(round_of(db.get(&y).unwrap()), last, "{policy}");
        }
    }
}
