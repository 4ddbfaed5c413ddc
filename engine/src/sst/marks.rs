//! Marking a table for compaction while it is written, from its deletions:
//! RocksDB's `CompactOnDeletionCollector` (a window of consecutive entries
//! holding enough point tombstones, or the table's deletion ratio) and
//! Pebble's tombstone density (enough of the table's data blocks are
//! tombstone-dense). The leveled picker compacts marked tables after
//! score-based work.
//!
//! The marks are stored in tagged property [`TAG_MARKS`] (deletion
//! statistics, tags 20-29) and in the table's manifest record, so they
//! survive a reopen. Nothing is recorded when every rule is off.

use std::collections::VecDeque;

/// Tagged property: the marks as a bit set (see [`CompactionMarks::bits`]).
pub const TAG_MARKS: u32 = 20;
/// Tagged property: data blocks that were tombstone-dense (Pebble's
/// `NumTombstoneDenseBlocks`), when the density rule is on.
pub const TAG_TOMBSTONE_DENSE_BLOCKS: u32 = 21;

/// Why a table asks to be compacted, decided when it was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionMarks {
    /// RocksDB's `CompactOnDeletionCollector` marked it (`need_compaction`).
    pub deletions: bool,
    /// Pebble: at least `tombstone_dense_compaction_threshold` of its data
    /// blocks are tombstone-dense.
    pub tombstone_dense: bool,
}

impl CompactionMarks {
    const DELETIONS: u64 = 1;
    const TOMBSTONE_DENSE: u64 = 2;

    /// True when some rule marked the table.
    pub fn any(&self) -> bool {
        self.deletions || self.tombstone_dense
    }

    /// The marks as a bit set: 1 deletions, 2 tombstone-dense.
    pub fn bits(&self) -> u64 {
        let mut b = 0;
        if self.deletions {
            b |= Self::DELETIONS;
        }
        if self.tombstone_dense {
            b |= Self::TOMBSTONE_DENSE;
        }
        b
    }

    /// The marks of a bit set; `None` when it holds an unknown bit.
    pub fn from_bits(bits: u64) -> Option<CompactionMarks> {
        (bits & !(Self::DELETIONS | Self::TOMBSTONE_DENSE) == 0).then_some(CompactionMarks {
            deletions: bits & Self::DELETIONS != 0,
            tombstone_dense: bits & Self::TOMBSTONE_DENSE != 0,
        })
    }
}

/// The marking rules in force, with RocksDB's and Pebble's names. Every
/// rule is off at its zero value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MarkRules {
    /// RocksDB `sliding_window_size` (N): the window of consecutive point
    /// entries; 0 turns the window rule off.
    pub sliding_window_size: u64,
    /// RocksDB `deletion_trigger` (D): point tombstones within one window
    /// that mark the table.
    pub deletion_trigger: u64,
    /// RocksDB `deletion_ratio`: point tombstones over point entries of the
    /// whole table at which it is marked; off unless in `(0, 1]`.
    pub deletion_ratio: f64,
    /// Pebble `TombstoneDenseCompactionThreshold`: the fraction of data
    /// blocks that must be tombstone-dense; 0 turns the rule off.
    pub tombstone_dense_compaction_threshold: f64,
    /// Pebble `NumDeletionsThreshold`: point tombstones that make a data
    /// block tombstone-dense (0: this test is off).
    pub num_deletions_threshold: u64,
    /// Pebble `DeletionSizeRatioThreshold`: point tombstone bytes over the
    /// block's bytes that make a data block tombstone-dense (0: off).
    pub deletion_size_ratio_threshold: f64,
}

impl MarkRules {
    fn window_on(&self) -> bool {
        self.sliding_window_size > 0
    }

    fn ratio_on(&self) -> bool {
        self.deletion_ratio > 0.0 && self.deletion_ratio <= 1.0
    }

    fn density_on(&self) -> bool {
        self.tombstone_dense_compaction_threshold > 0.0
    }

    /// True when some rule is on.
    pub fn active(&self) -> bool {
        self.window_on() || self.ratio_on() || self.density_on()
    }
}

/// Watches a table's point entries as they are written and decides its
/// marks when it is finished.
#[derive(Debug, Default)]
pub struct MarkCollector {
    rules: MarkRules,
    /// Whether each entry of the current window is a tombstone, oldest
    /// first; at most `sliding_window_size` long.
    window: VecDeque<bool>,
    tombstones_in_window: u64,
    deletions_marked: bool,
    entries: u64,
    tombstones: u64,
    /// The data block being written: its tombstones, their bytes, all its
    /// bytes.
    block_tombstones: u64,
    block_tombstone_bytes: u64,
    block_bytes: u64,
    blocks: u64,
    dense_blocks: u64,
}

impl MarkCollector {
    /// A collector for `rules`.
    pub fn new(rules: MarkRules) -> Self {
        MarkCollector {
            rules,
            ..MarkCollector::default()
        }
    }

    /// True when some rule is on (else nothing is recorded).
    pub fn active(&self) -> bool {
        self.rules.active()
    }

    /// One point entry of `bytes` (key and value) was added.
    pub fn add(&mut self, tombstone: bool, bytes: u64) {
        if !self.active() {
            return;
        }
        self.entries += 1;
        self.block_bytes += bytes;
        if tombstone {
            self.tombstones += 1;
            self.block_tombstones += 1;
            self.block_tombstone_bytes += bytes;
        }
        if self.rules.window_on() && !self.deletions_marked {
            if self.window.len() as u64 == self.rules.sliding_window_size
                && self.window.pop_front() == Some(true)
            {
                self.tombstones_in_window -= 1;
            }
            self.window.push_back(tombstone);
            if tombstone {
                self.tombstones_in_window += 1;
            }
            if self.tombstones_in_window >= self.rules.deletion_trigger.max(1) {
                self.deletions_marked = true;
            }
        }
    }

    /// The current data block was written out.
    pub fn end_block(&mut self) {
        if !self.active() {
            return;
        }
        let r = &self.rules;
        let by_count =
            r.num_deletions_threshold > 0 && self.block_tombstones >= r.num_deletions_threshold;
        let by_size = r.deletion_size_ratio_threshold > 0.0
            && self.block_tombstones > 0
            && self.block_tombstone_bytes as f64
                >= r.deletion_size_ratio_threshold * self.block_bytes as f64;
        self.blocks += 1;
        if by_count || by_size {
            self.dense_blocks += 1;
        }
        self.block_tombstones = 0;
        self.block_tombstone_bytes = 0;
        self.block_bytes = 0;
    }

    /// Data blocks found tombstone-dense so far.
    pub fn dense_blocks(&self) -> u64 {
        self.dense_blocks
    }

    /// The table's marks, once every block has ended.
    pub fn marks(&self) -> CompactionMarks {
        let r = &self.rules;
        let by_ratio = r.ratio_on()
            && self.entries > 0
            && self.tombstones as f64 >= r.deletion_ratio * self.entries as f64;
        let dense = r.density_on()
            && self.blocks > 0
            && self.dense_blocks as f64
                >= r.tombstone_dense_compaction_threshold * self.blocks as f64;
        CompactionMarks {
            deletions: self.deletions_marked || by_ratio,
            tombstone_dense: dense,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window_rules(n: u64, d: u64) -> MarkRules {
        MarkRules {
            sliding_window_size: n,
            deletion_trigger: d,
            ..MarkRules::default()
        }
    }

    /// The marks of a table whose entries are `pattern` (true: tombstone),
    /// in blocks of `per_block` entries of 10 bytes each.
    fn marks_of(rules: MarkRules, pattern: &[bool], per_block: usize) -> (CompactionMarks, u64) {
        let mut c = MarkCollector::new(rules);
        for (i, &t) in pattern.iter().enumerate() {
            c.add(t, 10);
            if (i + 1) % per_block == 0 {
                c.end_block();
            }
        }
        if !pattern.len().is_multiple_of(per_block) {
            c.end_block();
        }
        (c.marks(), c.dense_blocks())
    }

    #[test]
    fn a_window_with_enough_tombstones_marks_the_table() {
        // Three tombstones within 4 consecutive entries, but never within 3.
        let p = [true, false, true, true, false, false, true, false];
        assert!(marks_of(window_rules(4, 3), &p, 100).0.deletions);
        assert!(!marks_of(window_rules(3, 3), &p, 100).0.deletions);
        assert!(marks_of(window_rules(8, 4), &p, 100).0.deletions);
        assert!(!marks_of(window_rules(8, 5), &p, 100).0.deletions);
        assert!(!marks_of(MarkRules::default(), &p, 100).0.any());
    }

    #[test]
    fn the_deletion_ratio_counts_the_whole_table() {
        let p = [true, false, false, true];
        let rules = |ratio| MarkRules {
            deletion_ratio: ratio,
            ..MarkRules::default()
        };
        assert!(marks_of(rules(0.5), &p, 100).0.deletions);
        assert!(!marks_of(rules(0.51), &p, 100).0.deletions);
        // Outside (0, 1]: off, as RocksDB.
        assert!(!marks_of(rules(1.5), &[true; 4], 100).0.deletions);
    }

    #[test]
    fn tombstone_dense_blocks_mark_the_table_past_the_threshold() {
        // Blocks of 4: the first has 3 tombstones, the other two none.
        let p = [
            true, true, true, false, false, false, false, false, false, false, false, false,
        ];
        let rules = |threshold, count, size| MarkRules {
            tombstone_dense_compaction_threshold: threshold,
            num_deletions_threshold: count,
            deletion_size_ratio_threshold: size,
            ..MarkRules::default()
        };
        let (m, dense) = marks_of(rules(0.3, 3, 0.0), &p, 4);
        assert!(m.tombstone_dense && dense == 1, "1 of 3 blocks dense");
        assert!(!marks_of(rules(0.34, 3, 0.0), &p, 4).0.tombstone_dense);
        assert!(!marks_of(rules(0.3, 4, 0.0), &p, 4).0.tombstone_dense);
        // By size: 30 of 40 bytes are tombstones.
        assert!(marks_of(rules(0.3, 0, 0.75), &p, 4).0.tombstone_dense);
        assert!(!marks_of(rules(0.3, 0, 0.76), &p, 4).0.tombstone_dense);
    }

    #[test]
    fn marks_round_trip_as_bits() {
        for bits in 0..4 {
            assert_eq!(CompactionMarks::from_bits(bits).unwrap().bits(), bits);
        }
        assert_eq!(CompactionMarks::from_bits(4), None);
    }

    proptest! {
        /// The window rule against a brute-force scan of every window.
        #[test]
        fn the_window_rule_matches_every_window(
            pattern in proptest::collection::vec(any::<bool>(), 0..60),
            n in 1u64..10,
            d in 1u64..6,
        ) {
            let want = pattern
                .windows((n as usize).min(pattern.len().max(1)))
                .any(|w| w.iter().filter(|&&t| t).count() as u64 >= d);
            let got = marks_of(window_rules(n, d), &pattern, 7).0.deletions;
            prop_assert_eq!(got, want && !pattern.is_empty());
        }
    }
}
