//! Loading a policy's tree for its unit tests: a database on a fresh
//! in-memory file system with a virtual clock, checking the policy's shape
//! after every install, written with 100-byte values and compacted to
//! quiescence.

use std::sync::Arc;

use crate::compaction::CompactionOptions;
use crate::fs::MemFs;
use crate::{Db, Env, Options, VirtualClock};

/// Options for `policy` with paranoid checks, no WAL and `settings` (any
/// engine or policy parameter, by name).
pub(super) fn options(policy: &str, settings: &[(&str, &str)]) -> Options {
    let mut opts = Options {
        wal: false,
        paranoid_checks: true,
        compaction: CompactionOptions::named(policy).unwrap(),
        ..Options::default()
    };
    for (name, value) in settings {
        opts.set(name, value).unwrap();
    }
    opts
}

/// Key number `i` of a scrambled order: an odd multiplier permutes
/// 0..2^32, so every key comes once.
pub(super) fn scrambled(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9) & 0xFFFF_FFFF
}

/// Opens a database with `opts`, puts `key(i)` for `i` in `0..keys` with a
/// 100-byte value, flushes and compacts to quiescence.
pub(super) fn load(opts: Options, keys: u64, key: impl Fn(u64) -> Vec<u8>) -> Db {
    let env = Env {
        fs: Arc::new(MemFs::new()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    for i in 0..keys {
        db.put(&key(i), &[7u8; 100]).unwrap();
    }
    db.flush().unwrap();
    db.compact().unwrap();
    db
}
