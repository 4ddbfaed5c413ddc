//! Engine throughput: sequential and random puts, then random gets, on MemFs
//! and DiskFs; 16-byte keys, 100-byte values, WAL off. Each phase runs three
//! times on a fresh database and the median ops/s is printed.
//!
//! `cargo bench -p lsmlab-engine --bench db_ops -- [KEYS] [POLICY|none]`
//! (defaults: 1000000 keys, no compaction).

use std::sync::Arc;
use std::time::Instant;

use lsmlab_engine::compaction::{registry, CompactionOptions, PolicyDef};
use lsmlab_engine::fs::{DiskFs, MemFs};
use lsmlab_engine::{Db, Env, Options, VirtualClock};

fn key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.to_be_bytes());
    k
}

/// A fixed permutation of 0..n (multiplicative hashing by an odd constant
/// modulo a power of two, reduced into range by rejection).
fn scrambled(i: u64, n: u64) -> u64 {
    let bits = 64 - n.next_power_of_two().leading_zeros() - 1;
    let mask = (1u64 << bits.max(1)) - 1;
    let mut x = i;
    loop {
        x = (x
            .wrapping_mul(0x9E37_79B9_7F4A_7C15 | 1)
            .wrapping_add(0x632B_E59B_D9B4_E019))
            & mask;
        if x < n {
            return x;
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn open(disk: bool, policy: Option<&'static PolicyDef>) -> (Db, Option<tempfile::TempDir>) {
    let opts = Options {
        wal: false,
        auto_compaction: policy.is_some(),
        compaction: CompactionOptions::for_policy(policy.unwrap_or(registry::DEFAULT_POLICY)),
        ..Options::default()
    };
    let clock = Arc::new(VirtualClock::new(0));
    if disk {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            fs: Arc::new(DiskFs::new()),
            clock,
        };
        (Db::open_with(dir.path(), opts, env).unwrap(), Some(dir))
    } else {
        let env = Env {
            fs: Arc::new(MemFs::new()),
            clock,
        };
        (Db::open_with("/bench", opts, env).unwrap(), None)
    }
}

fn fill(db: &Db, n: u64, random: bool) -> f64 {
    let value = [b'v'; 100];
    let t = Instant::now();
    for i in 0..n {
        let k = if random { scrambled(i, n) } else { i };
        db.put(&key(k), &value).unwrap();
    }
    db.flush().unwrap();
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let n: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let policy = match args.get(1).map(String::as_str) {
        None | Some("none") => None,
        Some(p) => Some(registry::builtin().find(p).expect("policy name")),
    };
    let reads = n.min(200_000);
    println!(
        "keys={n} value=100B key=16B wal=off compaction={}",
        policy.map_or("none".to_string(), |p| p.to_string())
    );
    for disk in [false, true] {
        let fs = if disk { "DiskFs" } else { "MemFs" };
        let (mut seq, mut rnd, mut get) = (vec![], vec![], vec![]);
        for _ in 0..3 {
            let (db, _dir) = open(disk, policy);
            seq.push(fill(&db, n, false));
            let (db, _dir) = open(disk, policy);
            rnd.push(fill(&db, n, true));
            let t = Instant::now();
            let mut found = 0u64;
            for i in 0..reads {
                let k = scrambled(i.wrapping_mul(7), n);
                found += db.get(&key(k)).unwrap().is_some() as u64;
            }
            assert_eq!(found, reads, "every key written must be found");
            get.push(reads as f64 / t.elapsed().as_secs_f64());
            let s = db.stats();
            if disk {
                eprintln!(
                    "  (run: {} L0 files, {:.2} blocks/get, {:.2} filter probes/get)",
                    db.version().files(0).len(),
                    s.lookup.blocks_read as f64 / s.gets as f64,
                    s.lookup.filter_probes as f64 / s.gets as f64
                );
            }
        }
        println!(
            "{fs:<7} fillseq    {:>12.0} ops/s (median of 3)",
            median(seq)
        );
        println!(
            "{fs:<7} fillrandom {:>12.0} ops/s (median of 3)",
            median(rnd)
        );
        println!(
            "{fs:<7} readrandom {:>12.0} ops/s (median of 3, {reads} gets)",
            median(get)
        );
    }
}
