//! Which policy runs and its parameters, named as in DESIGN.md, validated
//! with errors that list the valid choices and ranges.

use std::fmt;
use std::str::FromStr;

use super::{
    fifo::Fifo, leveled::Leveled, min_overlap::MinOverlap, round_robin::RoundRobin,
    size_tiered::SizeTiered, Strategy,
};
use crate::error::{Error, Result};

/// The compaction policies, as the CLI spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    Leveled,
    RoundRobin,
    MinOverlap,
    SizeTiered,
    Fifo,
}

impl Policy {
    /// Every policy, in the order reports list them.
    pub const ALL: [Policy; 5] = [
        Policy::Leveled,
        Policy::RoundRobin,
        Policy::MinOverlap,
        Policy::SizeTiered,
        Policy::Fifo,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Leveled => "leveled",
            Policy::RoundRobin => "round-robin",
            Policy::MinOverlap => "min-overlap",
            Policy::SizeTiered => "size-tiered",
            Policy::Fifo => "fifo",
        }
    }

    /// One line on what the policy chooses.
    pub fn description(self) -> &'static str {
        match self {
            Policy::Leveled => "levels by score; in the level, the file with the largest tombstone-compensated size (RocksDB kByCompensatedSize)",
            Policy::RoundRobin => "leveled shape; cycles through levels needing work and a key-space cursor within each (LevelDB compact pointer, RocksDB kRoundRobin)",
            Policy::MinOverlap => "leveled shape; the file with the least next-level overlap per byte (RocksDB kMinOverlappingRatio)",
            Policy::SizeTiered => "sorted runs bucketed by size; a bucket of min_threshold..max_threshold similar runs merges (Cassandra STCS)",
            Policy::Fifo => "time-ordered files dropped whole once expired (ttl) or over fifo_max_bytes; optional merging within closed time windows",
        }
    }

    /// Builds the strategy for these options.
    pub fn build(self, o: &CompactionOptions) -> Box<dyn Strategy> {
        match self {
            Policy::Leveled => Box::new(Leveled),
            Policy::RoundRobin => Box::new(RoundRobin),
            Policy::MinOverlap => Box::new(MinOverlap),
            Policy::SizeTiered => Box::new(SizeTiered::new(o)),
            Policy::Fifo => Box::new(Fifo::new(o)),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Policy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Policy> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match norm.as_str() {
            // RocksDB's compaction styles and priorities count as aliases.
            "level" | "lcs" | "kcompactionstylelevel" | "kbycompensatedsize" => "leveled",
            "tiered"
            | "stcs"
            | "universal-size-tiered"
            | "universal"
            | "kcompactionstyleuniversal" => "size-tiered",
            "roundrobin" | "rr" | "kroundrobin" => "round-robin",
            "minoverlap" | "min-overlapping-ratio" | "kminoverlappingratio" => "min-overlap",
            "ttl" | "kcompactionstylefifo" => "fifo",
            other => other,
        };
        Policy::ALL
            .into_iter()
            .find(|p| p.name() == alias)
            .ok_or_else(|| {
                let names: Vec<_> = Policy::ALL.iter().map(|p| p.name()).collect();
                Error::invalid_option("policy", s, format!("one of {}", names.join(", ")))
            })
    }
}

/// Compaction policy and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionOptions {
    pub policy: Policy,
    /// Fewest similar-size runs a size-tiered bucket needs to compact.
    /// Same as Cassandra STCS `min_threshold`. Default 4.
    pub min_threshold: usize,
    /// Most runs one size-tiered compaction takes.
    /// Same as Cassandra STCS `max_threshold`. Default 32.
    pub max_threshold: usize,
    /// A run joins a bucket when its size is at least this times the
    /// bucket's average. Same as Cassandra STCS `bucket_low`. Default 0.5.
    pub bucket_low: f64,
    /// ... and at most this times the average.
    /// Same as Cassandra STCS `bucket_high`. Default 1.5.
    pub bucket_high: f64,
    /// Runs smaller than this all share one bucket.
    /// Same as Cassandra STCS `min_sstable_size` (scaled 16x down). Default 3 MiB.
    pub min_sstable_size: u64,
    /// FIFO: a file is dropped once its newest data is older than this (ms);
    /// 0 = never by age. Same as RocksDB's `ttl` for FIFO. Default 0.
    pub ttl_ms: u64,
    /// FIFO: total SSTable bytes above which the oldest files are dropped;
    /// 0 = no cap. Same as RocksDB's `max_table_files_size`. Default 0.
    pub fifo_max_bytes: u64,
    /// FIFO: width (ms) of time windows whose files merge once the window is
    /// closed; 0 = no merging. Like Cassandra TWCS `compaction_window_size`.
    /// Default 0.
    pub time_window_ms: u64,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            policy: Policy::Leveled,
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size: 3 << 20,
            ttl_ms: 0,
            fifo_max_bytes: 0,
            time_window_ms: 0,
        }
    }
}

impl CompactionOptions {
    /// Default parameters for `policy`.
    pub fn for_policy(policy: Policy) -> Self {
        CompactionOptions {
            policy,
            ..CompactionOptions::default()
        }
    }

    /// Checks every parameter; the error names it, its value and the range.
    pub fn validate(&self) -> Result<()> {
        if !(2..=1024).contains(&self.min_threshold) {
            return Err(Error::invalid_option(
                "min_threshold",
                self.min_threshold,
                "2 ..= 1024",
            ));
        }
        if self.max_threshold < self.min_threshold || self.max_threshold > 1024 {
            return Err(Error::invalid_option(
                "max_threshold",
                self.max_threshold,
                format!("min_threshold ({}) ..= 1024", self.min_threshold),
            ));
        }
        if !(self.bucket_low > 0.0 && self.bucket_low <= 1.0) {
            return Err(Error::invalid_option(
                "bucket_low",
                self.bucket_low,
                "(0, 1]",
            ));
        }
        if !(self.bucket_high >= 1.0 && self.bucket_high.is_finite()) {
            return Err(Error::invalid_option(
                "bucket_high",
                self.bucket_high,
                "[1, inf)",
            ));
        }
        if self.bucket_low > self.bucket_high {
            return Err(Error::invalid_option(
                "bucket_low",
                self.bucket_low,
                format!("at most bucket_high ({})", self.bucket_high),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_parse_and_unknown_names_list_the_choices() {
        for p in Policy::ALL {
            assert_eq!(p.name().parse::<Policy>().unwrap(), p);
        }
        assert_eq!("STCS".parse::<Policy>().unwrap(), Policy::SizeTiered);
        assert_eq!("round_robin".parse::<Policy>().unwrap(), Policy::RoundRobin);
        let e = "lazy".parse::<Policy>().unwrap_err().to_string();
        assert!(e.contains("policy = lazy"), "{e}");
        assert!(
            e.contains("leveled, round-robin, min-overlap, size-tiered, fifo"),
            "{e}"
        );
    }

    #[test]
    fn bucket_bounds_are_checked() {
        let o = CompactionOptions {
            bucket_low: 0.9,
            bucket_high: 1.0,
            ..CompactionOptions::default()
        };
        o.validate().unwrap();
        let o = CompactionOptions {
            bucket_high: 0.8,
            ..CompactionOptions::default()
        };
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("bucket_high"));
        let o = CompactionOptions {
            max_threshold: 2,
            ..CompactionOptions::default()
        };
        let e = o.validate().unwrap_err().to_string();
        assert!(
            e.contains("max_threshold = 2") && e.contains("min_threshold (4)"),
            "{e}"
        );
    }
}
