//! The rules for what a merge keeps: one decision per entry of a stream in
//! internal-key order. Shared by flushes and every compaction.

use crate::key::{self, decode_expiring_value, ParsedKey, SeqNo, ValueKind};

/// Why an entry was not written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropCause {
    /// A newer version of the key is visible to every reader that could see
    /// this one.
    Shadowed,
    /// A tombstone (or expired value) with nothing older left to hide.
    Tombstone,
    /// A value whose TTL had passed.
    Expired,
}

/// What to do with one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    /// Write it as a tombstone with the same sequence (an expired value that
    /// must still hide older versions).
    KeepAsTombstone,
    Drop(DropCause),
}

/// Per-stream state for the drop rules.
///
/// - Of the versions of a key between two consecutive live snapshots (a
///   "stripe"), only the newest is kept.
/// - A tombstone is dropped when no snapshot predates it (so every older
///   version is in its stripe and dropped with it) and no data outside the
///   merge can hold an older version of the key.
/// - A value whose expiry has passed behaves as a tombstone.
pub struct EntryFilter<'a> {
    /// INVARIANT: sorted ascending.
    snapshots: &'a [SeqNo],
    now_ms: u64,
    current_key: Vec<u8>,
    has_current: bool,
    /// Stripe of the last entry kept for `current_key`.
    last_stripe: usize,
    /// Whether the last decision kept an entry only a snapshot needs.
    kept_for_snapshot: bool,
}

impl<'a> EntryFilter<'a> {
    /// `snapshots`: sequence numbers of live snapshots, ascending.
    pub fn new(snapshots: &'a [SeqNo], now_ms: u64) -> Self {
        debug_assert!(snapshots.windows(2).all(|w| w[0] <= w[1]));
        EntryFilter {
            snapshots,
            now_ms,
            current_key: Vec::new(),
            has_current: false,
            last_stripe: usize::MAX,
            kept_for_snapshot: false,
        }
    }

    /// Index of the stripe holding `seq`: the number of snapshots below it.
    pub(crate) fn stripe(&self, seq: SeqNo) -> usize {
        self.snapshots.partition_point(|&s| s < seq)
    }

    /// True when the last [`EntryFilter::decide`] kept its entry only for a
    /// live snapshot: an older version of a key, or a tombstone above the
    /// oldest stripe. A file holding such entries is worth rewriting once
    /// those snapshots are released (RocksDB's bottommost-files
    /// compaction).
    pub fn kept_for_snapshot(&self) -> bool {
        self.kept_for_snapshot
    }

    /// Decides the fate of `entry` (the next in internal-key order).
    /// `older_data_elsewhere(user_key, seq)` says whether data outside the
    /// merge may hold a version of the key older than `seq`; it is called
    /// only for tombstone-like entries.
    pub fn decide(
        &mut self,
        entry: &ParsedKey<'_>,
        value: &[u8],
        older_data_elsewhere: impl FnOnce(&[u8], SeqNo) -> bool,
    ) -> Decision {
        if !self.has_current || !key::eq_bytes(&self.current_key, entry.user_key) {
            self.current_key.clear();
            self.current_key.extend_from_slice(entry.user_key);
            self.has_current = true;
            self.last_stripe = usize::MAX;
        }
        let stripe = self.stripe(entry.seq);
        self.kept_for_snapshot = false;
        if stripe == self.last_stripe {
            return Decision::Drop(DropCause::Shadowed);
        }
        // An older version kept: a newer one in a later stripe hides it from
        // every reader but the snapshots of its own stripe.
        let older_version = self.last_stripe != usize::MAX;
        self.last_stripe = stripe;

        let expired = entry.kind == ValueKind::ValueWithExpiry
            && decode_expiring_value(value).is_some_and(|(at, _)| at <= self.now_ms);
        if entry.kind != ValueKind::Tombstone && !expired {
            self.kept_for_snapshot = older_version;
            return Decision::Keep;
        }
        // Tombstone-like. Droppable only in the oldest stripe, when nothing
        // outside the merge can hold an older version.
        self.kept_for_snapshot = older_version || stripe != 0;
        if stripe == 0 && !older_data_elsewhere(entry.user_key, entry.seq) {
            self.kept_for_snapshot = false;
            return Decision::Drop(if expired {
                DropCause::Expired
            } else {
                DropCause::Tombstone
            });
        }
        if expired {
            Decision::KeepAsTombstone
        } else {
            Decision::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::encode_expiring_value;

    fn pk(user_key: &[u8], seq: SeqNo, kind: ValueKind) -> ParsedKey<'_> {
        ParsedKey {
            user_key,
            seq,
            kind,
        }
    }

    #[test]
    fn keeps_only_the_newest_version_without_snapshots() {
        let mut f = EntryFilter::new(&[], 0);
        let v = ValueKind::Value;
        assert_eq!(f.decide(&pk(b"a", 9, v), b"", |_, _| true), Decision::Keep);
        assert_eq!(
            f.decide(&pk(b"a", 5, v), b"", |_, _| true),
            Decision::Drop(DropCause::Shadowed)
        );
        assert_eq!(f.decide(&pk(b"b", 3, v), b"", |_, _| true), Decision::Keep);
    }

    #[test]
    fn a_snapshot_keeps_the_version_it_reads() {
        // Snapshot at 6 reads seq 5; the latest readers read seq 9.
        let snaps = [6];
        let mut f = EntryFilter::new(&snaps, 0);
        let v = ValueKind::Value;
        assert_eq!(f.decide(&pk(b"a", 9, v), b"", |_, _| true), Decision::Keep);
        assert_eq!(
            f.decide(&pk(b"a", 7, v), b"", |_, _| true),
            Decision::Drop(DropCause::Shadowed)
        );
        assert_eq!(f.decide(&pk(b"a", 5, v), b"", |_, _| true), Decision::Keep);
        assert_eq!(
            f.decide(&pk(b"a", 2, v), b"", |_, _| true),
            Decision::Drop(DropCause::Shadowed)
        );
    }

    #[test]
    fn entries_kept_only_for_a_snapshot_are_told_apart() {
        let snaps = [6];
        let mut f = EntryFilter::new(&snaps, 0);
        let (v, t) = (ValueKind::Value, ValueKind::Tombstone);
        assert_eq!(f.decide(&pk(b"a", 9, v), b"", |_, _| false), Decision::Keep);
        assert!(!f.kept_for_snapshot(), "the newest version");
        assert_eq!(f.decide(&pk(b"a", 5, v), b"", |_, _| false), Decision::Keep);
        assert!(f.kept_for_snapshot(), "read only by the snapshot at 6");
        assert_eq!(f.decide(&pk(b"b", 9, t), b"", |_, _| false), Decision::Keep);
        assert!(f.kept_for_snapshot(), "a tombstone above the snapshot");
        assert_eq!(
            f.decide(&pk(b"c", 5, t), b"", |_, _| false),
            Decision::Drop(DropCause::Tombstone)
        );
        assert!(!f.kept_for_snapshot());
        // Without snapshots nothing is kept for one.
        let mut f = EntryFilter::new(&[], 0);
        assert_eq!(f.decide(&pk(b"a", 9, t), b"", |_, _| true), Decision::Keep);
        assert!(!f.kept_for_snapshot());
    }

    #[test]
    fn tombstones_go_only_when_nothing_older_can_exist() {
        let t = ValueKind::Tombstone;
        let mut f = EntryFilter::new(&[], 0);
        assert_eq!(f.decide(&pk(b"a", 9, t), b"", |_, _| true), Decision::Keep);
        assert_eq!(
            f.decide(&pk(b"b", 9, t), b"", |_, _| false),
            Decision::Drop(DropCause::Tombstone)
        );
        // A snapshot older than the tombstone still reads the value below it.
        let snaps = [4];
        let mut f = EntryFilter::new(&snaps, 0);
        assert_eq!(f.decide(&pk(b"c", 9, t), b"", |_, _| false), Decision::Keep);
        assert_eq!(
            f.decide(&pk(b"c", 3, ValueKind::Value), b"", |_, _| false),
            Decision::Keep
        );
    }

    #[test]
    fn expired_values_act_as_tombstones() {
        let e = ValueKind::ValueWithExpiry;
        let live = encode_expiring_value(2000, b"x");
        let dead = encode_expiring_value(1000, b"x");
        let mut f = EntryFilter::new(&[], 1500);
        assert_eq!(
            f.decide(&pk(b"a", 5, e), &live, |_, _| false),
            Decision::Keep
        );
        assert_eq!(
            f.decide(&pk(b"b", 5, e), &dead, |_, _| false),
            Decision::Drop(DropCause::Expired)
        );
        assert_eq!(
            f.decide(&pk(b"c", 5, e), &dead, |_, _| true),
            Decision::KeepAsTombstone
        );
    }
}
