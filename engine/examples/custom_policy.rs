//! A compaction policy written outside the engine crate, registered beside
//! the built-in ones and run: RocksDB's `kOldestSmallestSeqFirst`, which
//! compacts first the file of a level whose data is oldest (smallest
//! sequence number), so that old data reaches the bottom and its garbage is
//! dropped sooner.
//!
//! Run it with `cargo run -p lsmlab-engine --example custom_policy`.

use std::sync::Arc;

use lsmlab_engine::compaction::{
    pick_file_by, registry, CompactionOptions, FilePriority, Job, LevelCompaction, LevelScore,
    PickContext, PolicyDef, Registry,
};
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::version::Version;
use lsmlab_engine::{Db, Env, Options, VirtualClock};

/// The file priority: in a level that needs compaction, the file holding
/// the oldest data goes down first.
pub struct OldestSmallestSeqFirst;

impl FilePriority for OldestSmallestSeqFirst {
    fn name(&self) -> &'static str {
        OLDEST_SMALLEST_SEQ_FIRST.name
    }

    fn pick_in_level(&self, v: &Version, ctx: &PickContext<'_>, s: LevelScore) -> Option<Job> {
        pick_file_by(v, ctx, s, |f| f.smallest_seq)
    }
}

/// Its registry entry: name, aliases, description, parameters (none), and
/// how to build it.
pub static OLDEST_SMALLEST_SEQ_FIRST: PolicyDef = PolicyDef {
    name: "oldest-smallest-seq",
    aliases: &["kOldestSmallestSeqFirst"],
    description:
        "leveled shape; the file with the oldest data first (RocksDB kOldestSmallestSeqFirst)",
    params: &[],
    validate: registry::no_relations,
    build: |_| Arc::new(LevelCompaction(OldestSmallestSeqFirst)),
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
/// 20,000 keys, compacts, and reads every key back.
pub fn run() -> Result<Summary, Box<dyn std::error::Error>> {
    let mut policies = Registry::with_builtin();
    policies.register(&OLDEST_SMALLEST_SEQ_FIRST)?;
    let def = policies.find("kOldestSmallestSeqFirst")?;

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
    let key = |i: u64| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) % 20_000).to_be_bytes();
    for i in 0..20_000u64 {
        db.put(&key(i), &[b'v'; 100])?;
    }
    db.flush()?;
    db.compact()?;
    let mut keys_checked = 0;
    for i in 0..20_000u64 {
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
