//! `--shard I/N`: a sweep split across N processes. Runs are dealt by
//! estimated cost (the largest first, each to the shard with the least cost
//! so far), so shards take about as long as each other; every process
//! computes the same deal, and the union of the shards is the whole sweep.

use std::fmt;
use std::str::FromStr;

use crate::error::LabError;

/// One shard of N. INVARIANT: `index < count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Shard `index` of `count` (0-based).
    pub fn new(index: usize, count: usize) -> Result<Shard, LabError> {
        if count == 0 || index >= count {
            return Err(LabError::InvalidArgument(format!(
                "shard {index}/{count}: need 0 <= I < N (shards are numbered from 0)"
            )));
        }
        Ok(Shard { index, count })
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the run at position `position` of the expanded sweep is ours.
    pub fn owns(&self, position: usize) -> bool {
        position % self.count == self.index
    }

    /// The items (in their order) this shard runs when items are dealt by
    /// `cost`: largest first (ties by position), each to the shard whose
    /// total is lowest so far (ties: the lower shard).
    pub fn select_by_cost<T>(&self, items: Vec<T>, cost: impl Fn(&T) -> u64) -> Vec<T> {
        let costs: Vec<u64> = items.iter().map(&cost).collect();
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(costs[i]), i));
        let mut totals = vec![0u64; self.count];
        let mut mine = vec![false; items.len()];
        for i in order {
            let (shard, _) = totals
                .iter()
                .enumerate()
                .min_by_key(|(s, t)| (**t, *s))
                .expect("count >= 1");
            totals[shard] += costs[i];
            mine[i] = shard == self.index;
        }
        items
            .into_iter()
            .zip(mine)
            .filter(|(_, m)| *m)
            .map(|(item, _)| item)
            .collect()
    }

    /// The whole sweep as one shard.
    pub fn whole() -> Shard {
        Shard { index: 0, count: 1 }
    }

    /// The items (runs, in sweep order) this shard runs by plain stride:
    /// every N-th starting at I.
    pub fn select<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.owns(*i))
            .map(|(_, item)| item)
            .collect()
    }
}

impl FromStr for Shard {
    type Err = LabError;

    /// Parses `I/N`.
    fn from_str(text: &str) -> Result<Shard, LabError> {
        let bad = || LabError::InvalidArgument(format!("shard `{text}`: expected I/N, e.g. 0/4"));
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index = i.trim().parse().map_err(|_| bad())?;
        let count = n.trim().parse().map_err(|_| bad())?;
        Shard::new(index, count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let runs: Vec<usize> = (0..10).collect();
        let mut all: Vec<usize> = Vec::new();
        for i in 0..3 {
            let shard: Shard = format!("{i}/3").parse().unwrap();
            let mine = shard.select(runs.clone());
            assert!(mine.iter().all(|r| r % 3 == i));
            all.extend(mine);
        }
        all.sort();
        assert_eq!(all, runs);
        assert_eq!("1/3".parse::<Shard>().unwrap().to_string(), "1/3");
    }

    #[test]
    fn shards_dealt_by_cost_cover_every_run_once_and_balance() {
        // Two long runs and many short ones: a stride would give shard 0
        // both long runs.
        let costs: Vec<u64> = vec![100, 1, 100, 1, 1, 1, 1, 1, 1, 1];
        let mut all = Vec::new();
        let mut totals = Vec::new();
        for i in 0..2 {
            let mine = Shard::new(i, 2)
                .unwrap()
                .select_by_cost((0..costs.len()).collect(), |&r| costs[r]);
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "in sweep order");
            totals.push(mine.iter().map(|&r| costs[r]).sum::<u64>());
            all.extend(mine);
        }
        all.sort();
        assert_eq!(all, (0..costs.len()).collect::<Vec<_>>());
        assert_eq!(totals, [104, 104]);
        let stride: u64 = Shard::new(0, 2)
            .unwrap()
            .select((0..costs.len()).collect())
            .iter()
            .map(|&r: &usize| costs[r])
            .sum();
        assert_eq!(stride, 203);
    }

    #[test]
    fn bad_shards_are_refused() {
        for text in ["3/3", "0/0", "1", "a/2", "-1/2"] {
            assert!(text.parse::<Shard>().is_err(), "{text}");
        }
        assert!("0/1".parse::<Shard>().is_ok());
    }

    #[test]
    fn merged_shards_write_the_same_runs_csv_as_one_process() {
        use crate::results::{merge_runs, read_runs, sort_runs_by, tests::record, write_runs};
        let dir = tempfile::tempdir().unwrap();
        let runs: Vec<_> = [
            "leveled",
            "round-robin",
            "min-overlap",
            "size-tiered",
            "fifo",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| record(p, "uniform", 1.0 + 1.0 / (i as f64 + 3.0)))
        .collect();
        let whole = dir.path().join("whole.csv");
        write_runs(&whole, &runs).unwrap();
        let mut parts = Vec::new();
        for i in 0..2 {
            let part = dir.path().join(format!("shard{i}.csv"));
            write_runs(&part, &Shard::new(i, 2).unwrap().select(runs.clone())).unwrap();
            parts.push(part);
        }
        let mut merged = merge_runs(&parts).unwrap();
        let order: Vec<String> = runs.iter().map(|r| r.run_id.clone()).collect();
        sort_runs_by(&mut merged, &order);
        let joined = dir.path().join("merged.csv");
        write_runs(&joined, &merged).unwrap();
        assert_eq!(
            std::fs::read(&whole).unwrap(),
            std::fs::read(&joined).unwrap()
        );
        assert_eq!(read_runs(&joined).unwrap(), runs);
    }
}
