//! Snapshot retention during a run: an engine snapshot taken every
//! `snapshot_interval` of simulated time and released `snapshot_retention`
//! after it was taken, as a long-running reader or a backup holds one.
//! While a snapshot is held, compaction keeps every version it can see, so
//! overwritten and deleted data stays on storage and space amplification
//! shows what retention costs.
//!
//! Times are the schedule's, not the operation's that crossed them: the
//! snapshot due at `k * interval` is released at `k * interval +
//! retention`, so runs are deterministic whatever the operation rate.

use std::collections::VecDeque;

use lsmlab_engine::{Db, Snapshot};

/// The snapshots a run holds and when the next one is due.
pub struct SnapshotRetention {
    interval_ms: u64,
    retention_ms: u64,
    /// Simulated time the next snapshot is due.
    next_ms: u64,
    /// Held snapshots with their release times, oldest first.
    /// INVARIANT: release times non-decreasing.
    held: VecDeque<(u64, Snapshot)>,
    /// Snapshots taken so far.
    taken: u64,
    /// The most held at once.
    held_max: usize,
}

impl SnapshotRetention {
    /// A schedule whose first snapshot is due at `interval_ms`.
    /// REQUIRES: `interval_ms > 0` (checked by `LabParams::validate`).
    pub fn new(interval_ms: u64, retention_ms: u64) -> Self {
        SnapshotRetention {
            interval_ms,
            retention_ms,
            next_ms: interval_ms,
            held: VecDeque::new(),
            taken: 0,
            held_max: 0,
        }
    }

    /// Brings the schedule to `now`: releases the snapshots due for
    /// release, then takes the one due, if any (one snapshot stands for
    /// all the times due since the last operation: nothing was written
    /// between them).
    pub fn advance(&mut self, db: &Db, now: u64) {
        while self.held.front().is_some_and(|(at, _)| *at <= now) {
            self.held.pop_front();
        }
        if now < self.next_ms {
            return;
        }
        let due = self.next_ms + (now - self.next_ms) / self.interval_ms * self.interval_ms;
        self.next_ms = due + self.interval_ms;
        let release = due.saturating_add(self.retention_ms);
        if release > now {
            self.held.push_back((release, db.snapshot()));
            self.taken += 1;
            self.held_max = self.held_max.max(self.held.len());
        }
    }

    /// Snapshots held now.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Snapshots taken so far.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// The most snapshots held at once.
    pub fn held_max(&self) -> usize {
        self.held_max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsmlab_engine::{Clock, Env, Options};

    /// Rounds of overwrites of 200 keys at the given simulated seconds,
    /// with the schedule advanced before each round.
    fn overwrite(
        db: &Db,
        clock: &lsmlab_engine::VirtualClock,
        seconds: &[u64],
        mut keep: Option<&mut SnapshotRetention>,
    ) {
        for &s in seconds {
            clock.advance_to(s * 1000);
            if let Some(keep) = keep.as_deref_mut() {
                keep.advance(db, clock.now_ms());
            }
            for k in 0..200u32 {
                db.put(&k.to_be_bytes(), &[s as u8; 100]).unwrap();
            }
        }
    }

    /// Table bytes after every level is merged down to the last: what
    /// remains is what the live snapshots need.
    fn table_bytes(db: &Db) -> u64 {
        db.flush().unwrap();
        for level in 0..db.version().num_levels() - 1 {
            db.compact_level(level).unwrap();
        }
        db.version().total_bytes()
    }

    #[test]
    fn held_snapshots_keep_old_versions_until_released() {
        let open = || {
            let (env, _fs, clock) = Env::mem();
            let mut o = Options::default();
            o.set("write_buffer_size", "16KiB").unwrap();
            (Db::open_with("/db", o, env).unwrap(), clock)
        };
        let (plain, plain_clock) = open();
        overwrite(&plain, &plain_clock, &[1, 2, 3, 4, 5], None);
        let plain_bytes = table_bytes(&plain);

        let (db, clock) = open();
        let mut keep = SnapshotRetention::new(1000, 10_000);
        overwrite(&db, &clock, &[1, 2, 3, 4, 5], Some(&mut keep));
        assert_eq!((keep.taken(), keep.held(), keep.held_max()), (5, 5, 5));
        let held_bytes = table_bytes(&db);
        // The snapshots at 2..5 s see rounds 1..4, and round 5 is the
        // latest: five versions of every key are kept.
        assert!(
            held_bytes > 3 * plain_bytes,
            "{held_bytes} with snapshots vs {plain_bytes}"
        );
        // At 20 s the five are released and one is taken; the next round's
        // compaction keeps what that one sees and the new round: two
        // versions, where the plain database keeps one.
        overwrite(&plain, &plain_clock, &[20], None);
        overwrite(&db, &clock, &[20], Some(&mut keep));
        assert_eq!(keep.held(), 1);
        let plain_bytes = table_bytes(&plain);
        let released_bytes = table_bytes(&db);
        assert!(
            released_bytes < 2 * plain_bytes + plain_bytes / 4,
            "{released_bytes} after release vs {plain_bytes}"
        );
    }

    #[test]
    fn the_schedule_follows_simulated_time_not_operations() {
        let (env, _fs, clock) = Env::mem();
        let db = Db::open_with("/db", Options::default(), env).unwrap();
        let mut keep = SnapshotRetention::new(1000, 2500);
        for now in [999, 1000, 1500, 4200, 4300, 6100, 6999] {
            clock.advance_to(now);
            keep.advance(&db, now);
        }
        // Due at 1000 (released 3500), 4000 (6500), 6000 (8500): times due
        // while no operation ran (2000, 3000, 5000) are not taken.
        assert_eq!((keep.taken(), keep.held()), (3, 1));
        assert_eq!(keep.held_max(), 2);
    }
}
