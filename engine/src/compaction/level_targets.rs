//! Level size targets of the leveled policies, as RocksDB's
//! `VersionStorageInfo::CalculateBaseBytes` computes them: static
//! (`l1_base_bytes` x `level_size_multiplier`^(n-1) from L1) or, with
//! `level_compaction_dynamic_level_bytes`, from the largest level upwards,
//! with a base level that L0 compacts into and the levels above the base
//! left empty (or drained, when they are no longer needed).

use crate::options::Options;
use crate::version::Version;

/// Where L0 compacts to and each level's byte target.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelTargets {
    /// The level L0 compacts into (RocksDB's base level; 1 in static mode).
    pub base_level: usize,
    /// Target bytes per level; `u64::MAX` for a level that is never
    /// compacted by size (above the base level in dynamic mode).
    max_bytes: Vec<u64>,
    /// Dynamic mode: the deepest level above the base that still holds data
    /// it no longer needs, drained with a low priority (RocksDB's
    /// `lowest_unnecessary_level_`).
    pub lowest_unnecessary_level: Option<usize>,
    /// The level multiplier (for L0's size score in dynamic mode).
    pub multiplier: f64,
}

/// `x * m` in `u64`, saturating, as RocksDB's `MultiplyCheckOverflow`.
fn multiply(x: u64, m: f64) -> u64 {
    let y = x as f64 * m;
    if y >= u64::MAX as f64 {
        u64::MAX
    } else {
        y as u64
    }
}

impl LevelTargets {
    /// The targets for `v` under `o`; `dynamic` is
    /// `level_compaction_dynamic_level_bytes`.
    pub fn compute(v: &Version, o: &Options, dynamic: bool) -> LevelTargets {
        let n = v.num_levels();
        let mult = o.level_size_multiplier;
        if !dynamic {
            let mut max_bytes = vec![o.l1_base_bytes; n];
            for i in 2..n {
                max_bytes[i] = multiply(max_bytes[i - 1], mult);
            }
            return LevelTargets {
                base_level: 1.min(n - 1),
                max_bytes,
                lowest_unnecessary_level: None,
                multiplier: mult,
            };
        }
        let mut max_bytes = vec![u64::MAX; n];
        let mut first_non_empty = None;
        let mut max_level_size = 0u64;
        for i in 1..n {
            let size = v.level_bytes(i);
            if size > 0 && first_non_empty.is_none() {
                first_non_empty = Some(i);
            }
            max_level_size = max_level_size.max(size);
        }
        let Some(first_non_empty) = first_non_empty else {
            // Nothing below L0: L0 compacts straight into the last level.
            return LevelTargets {
                base_level: n - 1,
                max_bytes,
                lowest_unnecessary_level: None,
                multiplier: mult,
            };
        };
        let base_max = o.l1_base_bytes;
        let base_min = (base_max as f64 / mult) as u64;
        let mut cur = max_level_size;
        let mut lowest_unnecessary_level = None;
        for i in (first_non_empty..=n - 2).rev() {
            cur = (cur as f64 / mult) as u64;
            if lowest_unnecessary_level.is_none() && cur <= base_min {
                lowest_unnecessary_level = Some(i);
            }
        }
        let (base_level, base_size) = if cur <= base_min {
            (first_non_empty, base_min + 1)
        } else {
            let mut base = first_non_empty;
            while base > 1 && cur > base_max {
                base -= 1;
                cur = (cur as f64 / mult) as u64;
            }
            (base, cur.min(base_max))
        };
        let mut size = base_size;
        for (i, slot) in max_bytes.iter_mut().enumerate().skip(base_level) {
            if i > base_level {
                size = multiply(size, mult);
            }
            // No level's target below l1_base_bytes: L1+ smaller than L0
            // would starve L0 of compactions.
            *slot = size.max(base_max);
        }
        LevelTargets {
            base_level,
            max_bytes,
            lowest_unnecessary_level,
            multiplier: mult,
        }
    }

    /// The byte target of `level` (`u64::MAX`: never compacted by size).
    pub fn max_bytes(&self, level: usize) -> u64 {
        self.max_bytes.get(level).copied().unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_version;

    fn opts() -> Options {
        Options {
            l1_base_bytes: 10 << 20,
            level_size_multiplier: 10.0,
            num_levels: 5,
            ..Options::default()
        }
    }

    const MIB: u64 = 1 << 20;

    #[test]
    fn static_targets_grow_from_l1() {
        let v = Version::new(5);
        let t = LevelTargets::compute(&v, &opts(), false);
        assert_eq!(t.base_level, 1);
        assert_eq!(t.max_bytes(1), 10 * MIB);
        assert_eq!(t.max_bytes(3), 1000 * MIB);
    }

    #[test]
    fn dynamic_targets_come_from_the_last_level() {
        // 5 GiB in L4: L3 512 MiB, L2 51 MiB, L1 5 MiB, within
        // (l1_base_bytes / 10, l1_base_bytes]: L1 is the base.
        let v = parse_version("L4\n  000001: a#1 .. z#2 size=5GiB\n", 5).unwrap();
        let t = LevelTargets::compute(&v, &opts(), true);
        assert_eq!(t.base_level, 1);
        // L1's size, 5 GiB / 1000 rounded down, times 10 per level; no
        // target below l1_base_bytes.
        assert_eq!(t.max_bytes(1), 10 * MIB);
        assert_eq!(t.max_bytes(2), (5u64 << 30) / 1000 * 10);
        assert_eq!(t.max_bytes(4), (5u64 << 30) / 1000 * 1000);
        assert_eq!(t.lowest_unnecessary_level, None);
        // 50 MiB in L4: L3 = 5 MiB is in range: the base, L1 and L2 unused.
        let v = parse_version("L4\n  000001: a#1 .. z#2 size=50MiB\n", 5).unwrap();
        let t = LevelTargets::compute(&v, &opts(), true);
        assert_eq!(t.base_level, 3);
        assert_eq!(t.max_bytes(2), u64::MAX);
        assert_eq!(
            t.max_bytes(3),
            10 * MIB,
            "targets never below l1_base_bytes"
        );
        // Nothing below L0: L0 goes straight to the last level.
        let t = LevelTargets::compute(&Version::new(5), &opts(), true);
        assert_eq!(t.base_level, 4);
    }

    #[test]
    fn a_level_above_a_small_last_level_is_unnecessary() {
        // L2 holds data but L4 (5 MiB) needs no level above it: L3's target
        // would be 0.5 MiB, under base_min (1 MiB).
        let v = parse_version(
            "L2\n  000002: a#3 .. b#4 size=1MiB\nL4\n  000001: a#1 .. z#2 size=5MiB\n",
            5,
        )
        .unwrap();
        let t = LevelTargets::compute(&v, &opts(), true);
        assert_eq!(t.lowest_unnecessary_level, Some(3));
        assert_eq!(t.base_level, 2);
    }
}
