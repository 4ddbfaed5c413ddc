//! Compaction debt on simulated time: with a low compaction I/O budget, L0
//! piles up past its trigger, writes stall, and once the load ends the
//! backlog drains to quiescence; with an unlimited budget nothing waits.

mod common;

use std::sync::Arc;

use common::{key, small_options, value};
use lsmlab_engine::compaction::PolicyDef;
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Clock, Db, Env, Options, VirtualClock};

struct Outcome {
    max_l0: usize,
    max_debt: u64,
    stall_ms: u64,
    slowdown_ms: u64,
    stall_events: u64,
    end_ms: u64,
    db: Db,
}

/// 6000 writes at 1000 per simulated second (the clock only moves forward,
/// so a stalled write delays the ones after it).
fn load(opts: Options) -> Outcome {
    let clock = Arc::new(VirtualClock::new(0));
    let env = Env {
        fs: Arc::new(MemFs::new()),
        clock: clock.clone(),
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    let (mut max_l0, mut max_debt) = (0, 0);
    for i in 0..6000u64 {
        clock.advance_to(i);
        db.put(&key((i * 7919) % 3000), &value(i, i, 100)).unwrap();
        max_l0 = max_l0.max(db.version().files(0).len());
        max_debt = max_debt.max(db.pending_compaction_bytes());
    }
    let s = db.stats();
    Outcome {
        max_l0,
        max_debt,
        stall_ms: s.stall_ms,
        slowdown_ms: s.slowdown_ms,
        stall_events: s.stall_events,
        end_ms: clock.now_ms(),
        db,
    }
}

fn options(policy: &'static PolicyDef, compaction_io_rate: u64) -> Options {
    Options {
        compaction_io_rate,
        l0_file_limit: 2,
        l0_slowdown_limit: 4,
        l0_stop_limit: 8,
        ..small_options(policy)
    }
}

#[test]
fn a_low_compaction_budget_builds_debt_stalls_writes_and_then_drains() {
    for policy in [common::policy("leveled"), common::policy("size-tiered")] {
        let slow = load(options(policy, 20 << 10));
        assert!(
            slow.max_l0 > 2,
            "{policy}: L0 never exceeded its trigger ({})",
            slow.max_l0
        );
        assert!(
            slow.stall_events > 0 && slow.stall_ms > 0,
            "{policy}: no stall"
        );
        assert!(slow.max_debt > 0, "{policy}: no debt");
        assert!(slow.end_ms > 6000, "{policy}: stalls must delay the load");
        let s = slow.db.stats();
        assert_eq!(
            s.stall_ms,
            s.stall_ms_by_cause.values().sum::<u64>(),
            "{policy}: causes add up"
        );

        // After the load, compaction catches up on the clock.
        slow.db.compact().unwrap();
        assert_eq!(slow.db.background_work(), (0, 0), "{policy}");
        let v = slow.db.version();
        let o = options(policy, 20 << 10);
        if policy == common::policy("leveled") {
            assert!(
                v.files(0).len() < o.l0_file_limit,
                "{policy}: L0 {}",
                v.files(0).len()
            );
            for level in 1..v.num_levels() - 1 {
                assert!(
                    v.level_bytes(level) <= o.level_target_bytes(level),
                    "{policy} L{level}"
                );
            }
        }
        assert_eq!(slow.db.pending_compaction_bytes(), 0, "{policy}: debt left");

        let fast = load(options(policy, 0));
        assert_eq!(
            fast.stall_ms + fast.slowdown_ms,
            0,
            "{policy}: unlimited budget stalled"
        );
        assert_eq!(fast.end_ms, 5999, "{policy}");
        if policy == common::policy("leveled") {
            assert!(
                fast.max_l0 <= 2,
                "L0 reached {} with unlimited budget",
                fast.max_l0
            );
        }
        // Same data either way.
        assert_eq!(
            slow.db.scan(b"", None, usize::MAX).unwrap(),
            fast.db.scan(b"", None, usize::MAX).unwrap(),
            "{policy}"
        );
    }
}

#[test]
fn a_slow_flush_fills_the_write_buffers_and_stops_writes() {
    let opts = Options {
        flush_io_rate: 8 << 10,
        max_write_buffers: 2,
        ..options(common::policy("leveled"), 0)
    };
    let out = load(opts);
    let s = out.db.stats();
    assert!(
        s.stall_ms_by_cause.get("memtables").copied().unwrap_or(0) > 0,
        "{s:?}"
    );
}
