//! Where a leveled job cuts its output files, as RocksDB 7.8 cuts them
//! (`CompactionOutputs::ShouldStopBefore`): at the largest output size (the
//! target; twice the target under `level_compaction_dynamic_file_size` when
//! the job has grandparents, as RocksDB's `Compaction` sets
//! `max_output_file_size_`, so that the cuts below can fall at grandparent
//! boundaries instead of at the target); before an
//! output would overlap more than `max_compaction_bytes` of grandparent
//! data with its own size; and, with `level_compaction_dynamic_file_size`,
//! at a grandparent boundary when skipping a whole grandparent file is worth
//! it or the output has reached 50% (plus 5% per boundary seen, at most 90%)
//! of the target size. kRoundRobin also splits at the output level's cursor.
//!
//! Grandparents are the files of the first level below the output that
//! meets the job's key range. Keys are compared as user keys, and cuts fall
//! only between user keys.

use std::sync::Arc;

use crate::key;
use crate::version::FileMeta;

/// The rule a job asks the kernel to cut its outputs by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputCut {
    /// Output size plus overlapped grandparent bytes not to exceed.
    pub max_compaction_bytes: u64,
    /// RocksDB's `level_compaction_dynamic_file_size`.
    pub dynamic_file_size: bool,
    /// Cut once before the first key at or past this internal key.
    pub split_key: Option<Vec<u8>>,
}

/// The state of the cut rule through one merge, key by key.
pub struct OutputCutter<'a> {
    rule: &'a OutputCut,
    target: u64,
    /// The size at which an output is cut wherever it is.
    max: u64,
    grandparents: &'a [Arc<FileMeta>],
    index: usize,
    in_gap: bool,
    seen_key: bool,
    overlapped_bytes: u64,
    boundaries_seen: u64,
    split_done: bool,
}

impl<'a> OutputCutter<'a> {
    /// The cutter for outputs of `target` bytes over `grandparents` (by key).
    pub fn new(rule: &'a OutputCut, target: u64, grandparents: &'a [Arc<FileMeta>]) -> Self {
        let max = match rule.dynamic_file_size && !grandparents.is_empty() {
            true => target.saturating_mul(2),
            false => target,
        };
        OutputCutter {
            rule,
            target,
            max,
            grandparents,
            index: 0,
            in_gap: true,
            seen_key: false,
            overlapped_bytes: 0,
            boundaries_seen: 0,
            split_done: false,
        }
    }

    /// Moves past the grandparent boundaries before `k`; returns how many
    /// were crossed since the previous key.
    fn advance(&mut self, k: &[u8]) -> u64 {
        let gps = self.grandparents;
        let mut crossed = 0;
        while self.index < gps.len() {
            let g = &gps[self.index];
            if self.in_gap {
                if k < g.smallest_user_key() {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                    self.overlapped_bytes += g.size;
                    self.boundaries_seen += 1;
                }
                self.in_gap = false;
            } else {
                let c = key::compare_bytes(k, g.largest_user_key());
                let last_holding_k = c.is_lt()
                    || (c.is_eq()
                        && gps
                            .get(self.index + 1)
                            .is_none_or(|n| k < n.smallest_user_key()));
                if last_holding_k {
                    break;
                }
                if self.seen_key {
                    crossed += 1;
                    self.boundaries_seen += 1;
                }
                self.in_gap = true;
                self.index += 1;
            }
        }
        if !self.seen_key && !self.in_gap {
            self.overlapped_bytes = self.key_overlap(k);
        }
        self.seen_key = true;
        crossed
    }

    /// Grandparent bytes the key `k` alone overlaps.
    fn key_overlap(&self, k: &[u8]) -> u64 {
        if self.in_gap || self.index >= self.grandparents.len() {
            return 0;
        }
        let gps = &self.grandparents[..=self.index];
        let mut bytes = gps[self.index].size;
        for g in gps[..self.index].iter().rev() {
            if g.largest_user_key() != k {
                break;
            }
            bytes += g.size;
        }
        bytes
    }

    /// Called with each new user key of the output, in order, and its
    /// internal key: true when the open output (of `open_size` bytes;
    /// `None` when none is open) should end before it.
    pub fn should_stop_before(&mut self, ikey: &[u8], open_size: Option<u64>) -> bool {
        let k = key::user_key(ikey);
        let before = self.overlapped_bytes;
        let crossed = self.advance(k);
        let Some(size) = open_size else {
            return false;
        };
        if size >= self.max {
            return true;
        }
        if let Some(split) = &self.rule.split_key {
            if !self.split_done && key::compare_internal(ikey, split).is_ge() {
                self.split_done = true;
                return true;
            }
        }
        if crossed == 0 {
            return false;
        }
        if self.overlapped_bytes.saturating_add(size) > self.rule.max_compaction_bytes {
            return true;
        }
        if !self.rule.dynamic_file_size {
            return false;
        }
        let skippable = if self.in_gap { 2 } else { 3 };
        if crossed >= skippable && self.overlapped_bytes.saturating_sub(before) > self.target / 8 {
            return true;
        }
        let percent = 50 + (self.boundaries_seen * 5).min(40);
        size >= self.target.div_ceil(100) * percent
    }

    /// The size at which an output is cut at any key.
    pub fn max_size(&self) -> u64 {
        self.max
    }

    /// A new output starts at the internal key `ikey`.
    pub fn on_cut(&mut self, ikey: &[u8]) {
        self.boundaries_seen = 0;
        self.overlapped_bytes = self.key_overlap(key::user_key(ikey));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_file;

    fn gp(line: &str) -> Arc<FileMeta> {
        Arc::new(parse_file(line).unwrap())
    }

    fn ikey(k: &str) -> Vec<u8> {
        let mut out = Vec::new();
        key::append_internal_key(&mut out, k.as_bytes(), 1, key::ValueKind::Value);
        out
    }

    /// Feeds `keys` with an output growing by `step` bytes per key; returns
    /// the keys an output started at.
    fn cuts(
        rule: &OutputCut,
        target: u64,
        gps: &[Arc<FileMeta>],
        keys: &[&str],
        step: u64,
    ) -> Vec<String> {
        let mut c = OutputCutter::new(rule, target, gps);
        let mut size = None;
        let mut starts = Vec::new();
        for k in keys {
            let ik = ikey(k);
            if c.should_stop_before(&ik, size) {
                c.on_cut(&ik);
                size = None;
            }
            if size.is_none() {
                starts.push(k.to_string());
            }
            size = Some(size.unwrap_or(0) + step);
        }
        starts
    }

    #[test]
    fn cuts_before_overlapping_too_many_grandparent_bytes() {
        let gps = vec![
            gp("000001: b#1 .. c#1 size=100"),
            gp("000002: e#1 .. f#1 size=100"),
            gp("000003: h#1 .. i#1 size=100"),
        ];
        let rule = OutputCut {
            max_compaction_bytes: 250,
            dynamic_file_size: false,
            split_key: None,
        };
        // a..k overlaps all three: the output holding b..f (200 bytes of
        // grandparents + its own 50) ends before h.
        let starts = cuts(&rule, 1000, &gps, &["a", "b", "d", "e", "g", "h", "k"], 10);
        assert_eq!(starts, vec!["a", "h"]);
    }

    #[test]
    fn dynamic_file_size_cuts_at_a_boundary_past_half_the_target() {
        let gps = vec![
            gp("000001: b#1 .. c#1 size=1"),
            gp("000002: e#1 .. f#1 size=1"),
        ];
        let rule = OutputCut {
            max_compaction_bytes: u64::MAX,
            dynamic_file_size: true,
            split_key: None,
        };
        // 100-byte target: at 60 bytes, key d leaves b..c, the second
        // boundary seen (the bar is then 60%): the output ends before d.
        let starts = cuts(&rule, 100, &gps, &["a", "b", "c", "d", "e", "g"], 20);
        assert_eq!(starts, vec!["a", "d"]);
        let off = OutputCut {
            dynamic_file_size: false,
            ..rule
        };
        // Without it, only the target size cuts: at 100 bytes, before g.
        assert_eq!(
            cuts(&off, 100, &gps, &["a", "b", "c", "d", "e", "g"], 20),
            vec!["a", "g"]
        );
    }

    #[test]
    fn dynamic_file_size_lets_an_output_reach_twice_the_target_between_boundaries() {
        // One grandparent far to the right: no boundary is crossed while the
        // output grows, so only the largest output size cuts it: twice the
        // 100-byte target with dynamic_file_size and grandparents (RocksDB's
        // max_output_file_size), the target without either.
        let gps = vec![gp("000001: y#1 .. z#1 size=1")];
        let keys = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
        let rule = OutputCut {
            max_compaction_bytes: u64::MAX,
            dynamic_file_size: true,
            split_key: None,
        };
        assert_eq!(cuts(&rule, 100, &gps, &keys, 20), vec!["a", "k"]);
        assert_eq!(OutputCutter::new(&rule, 100, &gps).max_size(), 200);
        // No grandparents (a bottommost output): the target.
        assert_eq!(cuts(&rule, 100, &[], &keys, 20), vec!["a", "f", "k"]);
        let off = OutputCut {
            dynamic_file_size: false,
            ..rule
        };
        assert_eq!(cuts(&off, 100, &gps, &keys, 20), vec!["a", "f", "k"]);
    }

    #[test]
    fn skipping_a_large_grandparent_file_is_worth_a_cut() {
        // L0 [a, z] + L1 [c, y] over L2 [b] [m..n, large] [x]: the output
        // stops before passing over the whole of m..n.
        let gps = vec![
            gp("000001: b#1 .. b#1 size=1"),
            gp("000002: m#1 .. n#1 size=500"),
            gp("000003: x#1 .. x#1 size=1"),
        ];
        let rule = OutputCut {
            max_compaction_bytes: u64::MAX,
            dynamic_file_size: true,
            split_key: None,
        };
        assert_eq!(cuts(&rule, 1000, &gps, &["a", "c", "y"], 1), vec!["a", "y"]);
    }

    #[test]
    fn round_robin_splits_once_at_the_cursor() {
        let rule = OutputCut {
            max_compaction_bytes: u64::MAX,
            dynamic_file_size: false,
            split_key: Some(ikey("d")),
        };
        assert_eq!(
            cuts(&rule, 1000, &[], &["a", "c", "d", "e", "f"], 1),
            vec!["a", "d"]
        );
    }
}
