//! `--shard I/N`: a sweep split across N processes, shard I taking every
//! N-th run starting at run I (0-based), so shards are balanced and their
//! union is the whole sweep.

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

    /// The items (runs, in sweep order) this shard runs.
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
