//! A compaction policy written outside the engine crate, registered beside
//! the built-in ones and run: leveled compaction (RocksDB's rules, shared
//! by every leveled policy) whose file priority takes the smallest file of
//! a level first, so each job moves little data at a time.
//!
//! Run it with `cargo run -p lsmlab-engine --example custom_policy`.

use std::sync::Arc;

use lsmlab_engine::compaction::{
    order_by, registry, CompactionOptions, Compensation, FilePriority, LevelCompaction,
    PickContext, PolicyDef, Registry, LEVELED_PARAMS,
};
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::version::Version;
use lsmlab_engine::{Db, Env, Options, VirtualClock};

/// The file priority: in a level that needs compaction, the smallest file
/// goes down first.
pub struct SmallestFileFirst;

impl FilePriority for SmallestFileFirst {
    fn name(&self) -> &'static str {
        SMALLEST_FILE_FIRST.name
    }

    fn order_files(
        &self,
        v: &Version,
        level: usize,
        _: &PickContext<'_>,
        _: &Compensation,
    ) -> Vec<usize> {
        order_by(v.files(level), |f| f.size)
    }
}

/// Its registry entry: name, aliases, description, parameters (those of
/// every leveled policy), and how to build it.
pub static SMALLEST_FILE_FIRST: PolicyDef = PolicyDef {
    name: "smallest-file-first",
    aliases: &[],
    description: "leveled (RocksDB's rules); the smallest file of a level first",
    params: LEVELED_PARAMS,
    validate: registry::no_relations,
    build: |o| Arc::new(LevelCompaction::with_options(SmallestFileFirst, o)),
};

/// What the run did, for the example's test.
#[derive(Debug)]
pub struct Summary {
    pub policy: String,
    pub compactions: u64,
    pub write_amp: f64,
    pub keys_checked: usize,
    pub levels_used: usize,
}

/// Registers the policy, opens an in-memory database with it, writes
/// 40,000 keys, compacts, and reads every key back.
pub fn run() -> Result<Summary, Box<dyn std::error::Error>> {
    let mut policies = Registry::with_builtin();
    policies.register(&SMALLEST_FILE_FIRST)?;
    let def = policies.find("smallest-file-first")?;

    let opts = Options {
        write_buffer_size: 64 << 10,
        l1_base_bytes: 256 << 10,
        base_file_size: 64 << 10,
        wal: false,
        compaction: CompactionOptions::for_policy(def),
        ..Options::default()
    };
    let strategy = (def.build)(&opts.compaction);
    let env = Env {
        fs: Arc::new(MemFs::new()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    let db = Db::open_with_strategy("/db", opts, env, strategy)?;
    let key = |i: u64| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % 40_000).to_be_bytes();
    for i in 0..40_000u64 {
        db.put(&key(i), &[b'v'; 100])?;
    }
    db.flush()?;
    db.compact()?;
    let mut keys_checked = 0;
    for i in 0..40_000u64 {
        if db.get(&key(i))?.is_none() {
            return Err(format!("key {i} lost").into());
        }
        keys_checked += 1;
    }
    let stats = db.stats();
    let v = db.version();
    Ok(Summary {
        policy: def.name.to_string(),
        compactions: stats.compactions,
        write_amp: stats.write_amp(),
        keys_checked,
        levels_used: (0..v.num_levels())
            .filter(|&l| !v.runs(l).is_empty())
            .count(),
    })
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let s = run()?;
    println!(
        "{}: {} compactions, write amplification {:.2}, {} keys read back, {} levels in use",
        s.policy, s.compactions, s.write_amp, s.keys_checked, s.levels_used
    );
    Ok(())
}
