//! Range tombstones: `delete_range(start, end)` hides every version of the
//! keys in `[start, end)` older than the tombstone's sequence number.
//!
//! Tombstones live apart from point entries: in a memtable's list, in a
//! table's range-deletion block, and here, fragmented for reads. Fragmenting
//! cuts a set of possibly overlapping tombstones at every start and end so
//! that the pieces are disjoint and each carries the sequence numbers of all
//! the tombstones over it (as RocksDB's fragmenter and Pebble's keyspan do);
//! a lookup is then one binary search.

use crate::key::{self, SeqNo, ValueKind, MAX_SEQ};

/// One range tombstone: keys in `[start, end)` with a sequence below `seq`
/// are deleted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RangeTombstone {
    pub start: Vec<u8>,
    pub end: Vec<u8>,
    pub seq: SeqNo,
}

impl RangeTombstone {
    /// A tombstone over `[start, end)` at `seq`.
    pub fn new(start: &[u8], end: &[u8], seq: SeqNo) -> Self {
        RangeTombstone {
            start: start.to_vec(),
            end: end.to_vec(),
            seq,
        }
    }

    /// True when `user_key` lies in `[start, end)`.
    pub fn covers_key(&self, user_key: &[u8]) -> bool {
        self.start.as_slice() <= user_key && user_key < self.end.as_slice()
    }
}

/// One piece of a fragmented set: a key range no other piece intersects,
/// and the sequence numbers of the tombstones over it, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub start: Vec<u8>,
    pub end: Vec<u8>,
    /// INVARIANT: non-empty, strictly descending.
    pub seqs: Vec<SeqNo>,
}

/// A set of range tombstones cut into disjoint fragments, in key order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FragmentedTombstones {
    /// INVARIANT: sorted by `start`; `frags[i].end <= frags[i + 1].start`;
    /// every fragment has `start < end`.
    frags: Vec<Fragment>,
}

impl FragmentedTombstones {
    /// Fragments `tombstones` (empty ranges are ignored). Adjacent fragments
    /// with the same sequence numbers are joined again.
    pub fn new(tombstones: impl IntoIterator<Item = RangeTombstone>) -> Self {
        let mut tombs: Vec<RangeTombstone> =
            tombstones.into_iter().filter(|t| t.start < t.end).collect();
        if tombs.is_empty() {
            return FragmentedTombstones::default();
        }
        tombs.sort();
        let mut bounds: Vec<&[u8]> = tombs
            .iter()
            .flat_map(|t| [t.start.as_slice(), t.end.as_slice()])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut frags: Vec<Fragment> = Vec::new();
        // Tombstones whose start has been passed, by end; those ending at
        // or before the current bound are retired lazily.
        let mut active: Vec<(&[u8], SeqNo)> = Vec::new();
        let mut next = 0;
        for w in bounds.windows(2) {
            let (lo, hi) = (w[0], w[1]);
            while next < tombs.len() && tombs[next].start.as_slice() <= lo {
                active.push((&tombs[next].end, tombs[next].seq));
                next += 1;
            }
            active.retain(|&(end, _)| end > lo);
            if active.is_empty() {
                continue;
            }
            let mut seqs: Vec<SeqNo> = active.iter().map(|&(_, s)| s).collect();
            seqs.sort_unstable_by(|a, b| b.cmp(a));
            seqs.dedup();
            match frags.last_mut() {
                Some(last) if last.end.as_slice() == lo && last.seqs == seqs => {
                    last.end = hi.to_vec();
                }
                _ => frags.push(Fragment {
                    start: lo.to_vec(),
                    end: hi.to_vec(),
                    seqs,
                }),
            }
        }
        FragmentedTombstones { frags }
    }

    /// Builds from fragments already disjoint and in order (what
    /// [`FragmentedTombstones::fragments`] returned, possibly with some
    /// sequence numbers removed); fragments left without one are skipped.
    pub fn from_fragments(frags: Vec<Fragment>) -> Self {
        let frags: Vec<Fragment> = frags.into_iter().filter(|f| !f.seqs.is_empty()).collect();
        debug_assert!(frags.windows(2).all(|w| w[0].end <= w[1].start));
        FragmentedTombstones { frags }
    }

    /// True when there is no tombstone.
    pub fn is_empty(&self) -> bool {
        self.frags.is_empty()
    }

    /// The fragments, in key order.
    pub fn fragments(&self) -> &[Fragment] {
        &self.frags
    }

    /// Number of `(fragment, sequence)` pairs: the tombstones a table
    /// written from this set holds.
    pub fn len(&self) -> usize {
        self.frags.iter().map(|f| f.seqs.len()).sum()
    }

    /// The fragment covering `user_key`, if any.
    pub fn fragment_at(&self, user_key: &[u8]) -> Option<&Fragment> {
        let i = self
            .frags
            .partition_point(|f| f.start.as_slice() <= user_key)
            .checked_sub(1)?;
        let f = &self.frags[i];
        (user_key < f.end.as_slice()).then_some(f)
    }

    /// The newest sequence `<= read_seq` of a tombstone covering `user_key`.
    pub fn max_covering_seq(&self, user_key: &[u8], read_seq: SeqNo) -> Option<SeqNo> {
        let f = self.fragment_at(user_key)?;
        f.seqs.iter().copied().find(|&s| s <= read_seq)
    }

    /// True when an entry `(user_key, seq)` is hidden from a reader at
    /// `read_seq` by a tombstone of this set.
    pub fn covers(&self, user_key: &[u8], seq: SeqNo, read_seq: SeqNo) -> bool {
        self.max_covering_seq(user_key, read_seq)
            .is_some_and(|t| seq < t)
    }

    /// One tombstone per `(fragment, sequence)` pair, in key order.
    pub fn tombstones(&self) -> impl Iterator<Item = RangeTombstone> + '_ {
        self.frags.iter().flat_map(|f| {
            f.seqs
                .iter()
                .map(|&seq| RangeTombstone::new(&f.start, &f.end, seq))
        })
    }

    /// The tombstones intersecting `[lo, hi)` (`hi = None`: unbounded).
    pub fn overlapping<'a>(
        &'a self,
        lo: &'a [u8],
        hi: Option<&'a [u8]>,
    ) -> impl Iterator<Item = RangeTombstone> + 'a {
        let first = self.frags.partition_point(|f| f.end.as_slice() <= lo);
        self.frags[first..]
            .iter()
            .take_while(move |f| hi.is_none_or(|h| f.start.as_slice() < h))
            .flat_map(|f| {
                f.seqs
                    .iter()
                    .map(|&seq| RangeTombstone::new(&f.start, &f.end, seq))
            })
    }
}

/// The smallest internal key a file holding `t` must report: the start
/// key, tagged as a range deletion at its sequence.
pub fn lower_bound_key(t: &RangeTombstone) -> Vec<u8> {
    key::internal_key(&t.start, t.seq, ValueKind::RangeDelete)
}

/// The largest internal key a file holding `t` must report, for a file
/// range whose largest *user* key is compared inclusively.
///
/// The end key is exclusive; when it is `k ++ [0]` (the immediate successor
/// of `k`, which is where the kernel cuts tombstones between output files)
/// the largest covered key is exactly `k`. Otherwise the end itself is used,
/// which over-states the range by the end key alone (harmless: overlap tests
/// may include one file too many, never one too few).
pub fn upper_bound_key(t: &RangeTombstone) -> Vec<u8> {
    match t.end.split_last() {
        Some((0, pred)) => key::internal_key(pred, 0, ValueKind::RangeDelete),
        _ => key::internal_key(&t.end, MAX_SEQ, ValueKind::RangeDelete),
    }
}

/// The immediate successor of `user_key` in byte order: `user_key ++ [0]`.
pub fn successor(user_key: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(user_key.len() + 1);
    s.extend_from_slice(user_key);
    s.push(0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(start: &str, end: &str, seq: SeqNo) -> RangeTombstone {
        RangeTombstone::new(start.as_bytes(), end.as_bytes(), seq)
    }

    #[test]
    fn overlapping_tombstones_are_cut_at_every_bound() {
        let f = FragmentedTombstones::new([t("a", "e", 5), t("c", "g", 9), t("x", "x", 3)]);
        let got: Vec<_> = f
            .fragments()
            .iter()
            .map(|f| {
                (
                    String::from_utf8(f.start.clone()).unwrap(),
                    String::from_utf8(f.end.clone()).unwrap(),
                    f.seqs.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), "c".into(), vec![5]),
                ("c".into(), "e".into(), vec![9, 5]),
                ("e".into(), "g".into(), vec![9]),
            ]
        );
        assert_eq!(f.len(), 4);
        assert_eq!(f.max_covering_seq(b"d", 100), Some(9));
        assert_eq!(f.max_covering_seq(b"d", 8), Some(5));
        assert_eq!(f.max_covering_seq(b"d", 4), None);
        assert_eq!(f.max_covering_seq(b"g", 100), None);
        assert!(f.covers(b"a", 4, 100));
        assert!(!f.covers(b"a", 5, 100));
    }

    #[test]
    fn adjacent_pieces_with_the_same_sequences_join() {
        let f = FragmentedTombstones::new([t("a", "c", 5), t("c", "e", 5)]);
        assert_eq!(f.fragments().len(), 1);
        assert_eq!(f.tombstones().collect::<Vec<_>>(), vec![t("a", "e", 5)]);
    }

    #[test]
    fn bounds_are_exact_for_successor_ends() {
        let cut = RangeTombstone::new(b"a", &successor(b"k"), 7);
        assert_eq!(key::user_key(&upper_bound_key(&cut)), b"k");
        let plain = t("a", "m", 7);
        assert_eq!(key::user_key(&upper_bound_key(&plain)), b"m");
        assert_eq!(key::user_key(&lower_bound_key(&plain)), b"a");
    }

    proptest! {
        /// Fragmenting never changes which keys a reader sees as deleted.
        #[test]
        fn fragments_answer_like_the_raw_list(
            raw in prop::collection::vec((0u8..12, 0u8..12, 1u64..20), 0..12),
            probes in prop::collection::vec((0u8..13, 0u64..22), 1..30),
        ) {
            let tombs: Vec<_> = raw
                .iter()
                .map(|&(a, b, s)| RangeTombstone::new(&[a], &[b], s))
                .collect();
            let f = FragmentedTombstones::new(tombs.clone());
            prop_assert!(f.fragments().windows(2).all(|w| w[0].end <= w[1].start));
            for (k, read_seq) in probes {
                let expect = tombs
                    .iter()
                    .filter(|t| t.covers_key(&[k]) && t.seq <= read_seq)
                    .map(|t| t.seq)
                    .max();
                prop_assert_eq!(f.max_covering_seq(&[k], read_seq), expect);
            }
            let again = FragmentedTombstones::new(f.tombstones());
            prop_assert_eq!(again, f);
        }
    }
}
