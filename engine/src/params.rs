//! Engine and policy parameters by name, for specs and `--set name=value`:
//! each parameter's DESIGN.md name, its RocksDB alias, what it means, its
//! default and its range. Setting one parses and range-checks the value.

use crate::compaction::Policy;
use crate::error::{Error, Result};
use crate::options::Options;

/// Whether a parameter belongs to the engine or to the compaction policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamScope {
    Engine,
    Policy,
}

/// Documentation of one settable parameter.
#[derive(Debug, Clone)]
pub struct ParamInfo {
    pub name: &'static str,
    /// The RocksDB (or Cassandra) name accepted as an alias.
    pub alias: Option<&'static str>,
    pub scope: ParamScope,
    /// The policies it applies to (empty: all).
    pub policies: &'static [Policy],
    pub allowed: &'static str,
    pub description: &'static str,
}

macro_rules! param {
    ($name:literal, $alias:expr, $scope:ident, [$($p:ident),*], $allowed:literal, $desc:literal) => {
        ParamInfo {
            name: $name,
            alias: $alias,
            scope: ParamScope::$scope,
            policies: &[$(Policy::$p),*],
            allowed: $allowed,
            description: $desc,
        }
    };
}

/// Every parameter, engine first.
pub const PARAMS: &[ParamInfo] = &[
    param!(
        "write_buffer_size",
        Some("write_buffer_size"),
        Engine,
        [],
        "4KiB ..= 1TiB (bytes, or with KiB/MiB/GiB)",
        "memtable bytes before a flush to L0"
    ),
    param!(
        "l0_file_limit",
        Some("level0_file_num_compaction_trigger"),
        Engine,
        [],
        "1 ..= 1048576",
        "L0 files that trigger an L0 compaction"
    ),
    param!(
        "l0_slowdown_limit",
        Some("level0_slowdown_writes_trigger"),
        Engine,
        [],
        "l0_file_limit ..= 1048576",
        "L0 files at which writes slow down"
    ),
    param!(
        "l0_stop_limit",
        Some("level0_stop_writes_trigger"),
        Engine,
        [],
        "l0_slowdown_limit ..= 1048576",
        "L0 files at which writes stop"
    ),
    param!(
        "l1_base_bytes",
        Some("max_bytes_for_level_base"),
        Engine,
        [],
        "4KiB ..= 1PiB",
        "target size of L1"
    ),
    param!(
        "level_size_multiplier",
        Some("max_bytes_for_level_multiplier"),
        Engine,
        [],
        "2 ..= 1000",
        "each level's target is this many times the previous"
    ),
    param!(
        "base_file_size",
        Some("target_file_size_base"),
        Engine,
        [],
        "4KiB ..= 1TiB",
        "target size of compaction output files"
    ),
    param!(
        "num_levels",
        Some("num_levels"),
        Engine,
        [],
        "2 ..= 64",
        "levels, L0 included"
    ),
    param!(
        "block_size",
        Some("block_size"),
        Engine,
        [],
        "256 ..= 64MiB",
        "SSTable data block size"
    ),
    param!(
        "block_restart_interval",
        Some("block_restart_interval"),
        Engine,
        [],
        "1 ..= 1024",
        "keys between restart points in a block"
    ),
    param!(
        "bloom_bits_per_key",
        Some("bits_per_key"),
        Engine,
        [],
        "0 ..= 64 (0: no filter)",
        "bloom filter bits per key"
    ),
    param!(
        "block_cache_size",
        Some("cache_size"),
        Engine,
        [],
        "0 ..= 1PiB (bytes, or with KiB/MiB/GiB; 0: no cache)",
        "bytes of SSTable blocks kept in an LRU block cache"
    ),
    param!(
        "cache_index_and_filter_blocks",
        Some("cache_index_and_filter_blocks"),
        Engine,
        [],
        "true | false",
        "index and filter blocks live in the block cache, not pinned per table"
    ),
    param!(
        "wal",
        None,
        Engine,
        [],
        "true | false",
        "write a write-ahead log"
    ),
    param!(
        "wal_sync",
        Some("sync"),
        Engine,
        [],
        "true | false",
        "sync the WAL after every write"
    ),
    param!(
        "max_manifest_bytes",
        Some("max_manifest_file_size"),
        Engine,
        [],
        "4KiB ..= 1TiB",
        "manifest size that triggers a rewrite"
    ),
    param!(
        "mode",
        None,
        Engine,
        [],
        "deterministic | background",
        "flushes and compactions on the writing thread (deterministic) or on real threads"
    ),
    param!(
        "compaction_io_rate",
        None,
        Engine,
        [],
        "0 ..= 1PiB bytes per simulated second (0: unlimited)",
        "compaction I/O budget"
    ),
    param!(
        "compaction_io_burst",
        None,
        Engine,
        [],
        "0 ..= 1PiB (0: one second's worth)",
        "compaction budget that accumulates while idle"
    ),
    param!(
        "flush_io_rate",
        None,
        Engine,
        [],
        "0 ..= 1PiB bytes per simulated second (0: unlimited)",
        "flush I/O budget"
    ),
    param!(
        "max_background_jobs",
        Some("max_background_jobs"),
        Engine,
        [],
        "1 ..= 256",
        "compaction jobs running at once"
    ),
    param!(
        "max_write_buffers",
        Some("max_write_buffer_number"),
        Engine,
        [],
        "2 ..= 64",
        "memtables (active + waiting for flush) before writes stop"
    ),
    param!(
        "soft_pending_compaction_bytes",
        Some("soft_pending_compaction_bytes_limit"),
        Engine,
        [],
        "0 ..= hard_pending_compaction_bytes (0: off)",
        "compaction debt at which writes slow down"
    ),
    param!(
        "hard_pending_compaction_bytes",
        Some("hard_pending_compaction_bytes_limit"),
        Engine,
        [],
        "0 ..= 1PiB (0: off)",
        "compaction debt at which writes stop"
    ),
    param!(
        "delayed_write_rate",
        Some("delayed_write_rate"),
        Engine,
        [],
        "1 ..= 1PiB bytes per second",
        "write rate while writes are slowed down"
    ),
    param!(
        "min_threshold",
        None,
        Policy,
        [SizeTiered],
        "2 ..= 1024",
        "fewest similar-size runs a bucket needs to compact"
    ),
    param!(
        "max_threshold",
        None,
        Policy,
        [SizeTiered],
        "min_threshold ..= 1024",
        "most runs in one compaction"
    ),
    param!(
        "bucket_low",
        None,
        Policy,
        [SizeTiered],
        "(0, 1]",
        "a run joins a bucket at >= bucket_low x its average size"
    ),
    param!(
        "bucket_high",
        None,
        Policy,
        [SizeTiered],
        "[1, inf)",
        "... and <= bucket_high x its average size"
    ),
    param!(
        "min_sstable_size",
        None,
        Policy,
        [SizeTiered],
        "0 ..= 1TiB",
        "runs below this share one bucket"
    ),
    param!(
        "ttl",
        Some("ttl"),
        Policy,
        [Fifo],
        "0 ..= 10^9 seconds (0: off)",
        "drop a file once its newest data is this old"
    ),
    param!(
        "fifo_max_bytes",
        Some("max_table_files_size"),
        Policy,
        [Fifo],
        "0 ..= 1PiB (0: no cap)",
        "drop the oldest files above this total"
    ),
    param!(
        "time_window",
        Some("compaction_window_size"),
        Policy,
        [Fifo],
        "0 ..= 10^9 seconds (0: off)",
        "merge the files of each closed window of this width"
    ),
];

/// The parameter named `name` (its name or alias, case-insensitive).
pub fn lookup(name: &str) -> Option<&'static ParamInfo> {
    let n = name.trim().to_ascii_lowercase();
    PARAMS
        .iter()
        .find(|p| p.name == n)
        .or_else(|| PARAMS.iter().find(|p| p.alias == Some(n.as_str())))
}

/// Parses a byte size: a whole number with an optional `KiB`, `MiB`,
/// `GiB`, `TiB` (or `K`, `M`, `G`, `T`, `KB`, `MB`, `GB`, `TB`, all
/// binary) suffix.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

fn bad(p: &ParamInfo, value: &str) -> Error {
    Error::invalid_option(p.name, value, p.allowed)
}

fn num<T: std::str::FromStr>(p: &ParamInfo, v: &str) -> Result<T> {
    v.trim().parse().map_err(|_| bad(p, v))
}

fn bytes(p: &ParamInfo, v: &str) -> Result<u64> {
    parse_bytes(v).ok_or_else(|| bad(p, v))
}

fn flag(p: &ParamInfo, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(true),
        "false" | "off" | "no" | "0" => Ok(false),
        _ => Err(bad(p, v)),
    }
}

fn seconds_to_ms(p: &ParamInfo, v: &str) -> Result<u64> {
    let s: f64 = num(p, v)?;
    if !(0.0..=1e9).contains(&s) {
        return Err(bad(p, v));
    }
    Ok((s * 1000.0).round() as u64)
}

/// Names of every parameter, for error messages.
pub fn names() -> String {
    PARAMS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

impl Options {
    /// Sets the parameter `name` (DESIGN.md name or RocksDB alias) from text,
    /// then validates the whole options: the error names the parameter, the
    /// value and the allowed range. `policy` selects the compaction policy.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if name.trim().eq_ignore_ascii_case("policy") {
            self.compaction.policy = value.parse()?;
            return Ok(());
        }
        let p = lookup(name).ok_or_else(|| {
            Error::invalid_option(
                name,
                value,
                format!("a known parameter: policy, {}", names()),
            )
        })?;
        let c = &mut self.compaction;
        match p.name {
            "write_buffer_size" => self.write_buffer_size = bytes(p, value)?,
            "l0_file_limit" => self.l0_file_limit = num(p, value)?,
            "l0_slowdown_limit" => self.l0_slowdown_limit = num(p, value)?,
            "l0_stop_limit" => self.l0_stop_limit = num(p, value)?,
            "l1_base_bytes" => self.l1_base_bytes = bytes(p, value)?,
            "level_size_multiplier" => self.level_size_multiplier = num(p, value)?,
            "base_file_size" => self.base_file_size = bytes(p, value)?,
            "num_levels" => self.num_levels = num(p, value)?,
            "block_size" => self.block_size = bytes(p, value)? as usize,
            "block_restart_interval" => self.block_restart_interval = num(p, value)?,
            "bloom_bits_per_key" => self.bloom_bits_per_key = num(p, value)?,
            "block_cache_size" => self.block_cache_size = bytes(p, value)?,
            "cache_index_and_filter_blocks" => self.cache_index_and_filter_blocks = flag(p, value)?,
            "wal" => self.wal = flag(p, value)?,
            "wal_sync" => self.wal_sync = flag(p, value)?,
            "max_manifest_bytes" => self.max_manifest_bytes = bytes(p, value)?,
            "mode" => self.mode = value.parse()?,
            "compaction_io_rate" => self.compaction_io_rate = bytes(p, value)?,
            "compaction_io_burst" => self.compaction_io_burst = bytes(p, value)?,
            "flush_io_rate" => self.flush_io_rate = bytes(p, value)?,
            "max_background_jobs" => self.max_background_jobs = num(p, value)?,
            "max_write_buffers" => self.max_write_buffers = num(p, value)?,
            "soft_pending_compaction_bytes" => {
                self.soft_pending_compaction_bytes = bytes(p, value)?
            }
            "hard_pending_compaction_bytes" => {
                self.hard_pending_compaction_bytes = bytes(p, value)?
            }
            "delayed_write_rate" => self.delayed_write_rate = bytes(p, value)?,
            "min_threshold" => c.min_threshold = num(p, value)?,
            "max_threshold" => c.max_threshold = num(p, value)?,
            "bucket_low" => c.bucket_low = num(p, value)?,
            "bucket_high" => c.bucket_high = num(p, value)?,
            "min_sstable_size" => c.min_sstable_size = bytes(p, value)?,
            "ttl" => c.ttl_ms = seconds_to_ms(p, value)?,
            "fifo_max_bytes" => c.fifo_max_bytes = bytes(p, value)?,
            "time_window" => c.time_window_ms = seconds_to_ms(p, value)?,
            other => unreachable!("parameter {other} is listed but not settable"),
        }
        self.validate()
    }

    /// The current value of parameter `name` as text (sizes in bytes,
    /// durations in seconds).
    pub fn get(&self, name: &str) -> Option<String> {
        if name.trim().eq_ignore_ascii_case("policy") {
            return Some(self.compaction.policy.to_string());
        }
        let p = lookup(name)?;
        let c = &self.compaction;
        let secs = |ms: u64| format!("{}", ms as f64 / 1000.0);
        Some(match p.name {
            "write_buffer_size" => self.write_buffer_size.to_string(),
            "l0_file_limit" => self.l0_file_limit.to_string(),
            "l0_slowdown_limit" => self.l0_slowdown_limit.to_string(),
            "l0_stop_limit" => self.l0_stop_limit.to_string(),
            "l1_base_bytes" => self.l1_base_bytes.to_string(),
            "level_size_multiplier" => self.level_size_multiplier.to_string(),
            "base_file_size" => self.base_file_size.to_string(),
            "num_levels" => self.num_levels.to_string(),
            "block_size" => self.block_size.to_string(),
            "block_restart_interval" => self.block_restart_interval.to_string(),
            "bloom_bits_per_key" => self.bloom_bits_per_key.to_string(),
            "block_cache_size" => self.block_cache_size.to_string(),
            "cache_index_and_filter_blocks" => self.cache_index_and_filter_blocks.to_string(),
            "wal" => self.wal.to_string(),
            "wal_sync" => self.wal_sync.to_string(),
            "max_manifest_bytes" => self.max_manifest_bytes.to_string(),
            "mode" => self.mode.name().to_string(),
            "compaction_io_rate" => self.compaction_io_rate.to_string(),
            "compaction_io_burst" => self.compaction_io_burst.to_string(),
            "flush_io_rate" => self.flush_io_rate.to_string(),
            "max_background_jobs" => self.max_background_jobs.to_string(),
            "max_write_buffers" => self.max_write_buffers.to_string(),
            "soft_pending_compaction_bytes" => self.soft_pending_compaction_bytes.to_string(),
            "hard_pending_compaction_bytes" => self.hard_pending_compaction_bytes.to_string(),
            "delayed_write_rate" => self.delayed_write_rate.to_string(),
            "min_threshold" => c.min_threshold.to_string(),
            "max_threshold" => c.max_threshold.to_string(),
            "bucket_low" => c.bucket_low.to_string(),
            "bucket_high" => c.bucket_high.to_string(),
            "min_sstable_size" => c.min_sstable_size.to_string(),
            "ttl" => secs(c.ttl_ms),
            "fifo_max_bytes" => c.fifo_max_bytes.to_string(),
            "time_window" => secs(c.time_window_ms),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_parameter_round_trips_through_set_and_get() {
        for p in PARAMS {
            let mut o = Options::default();
            let v = o.get(p.name).unwrap();
            o.set(p.name, &v)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(o, Options::default(), "{}", p.name);
        }
    }

    #[test]
    fn aliases_sizes_and_errors() {
        let mut o = Options::default();
        o.set("max_bytes_for_level_multiplier", "8").unwrap();
        assert_eq!(o.level_size_multiplier, 8.0);
        o.set("write_buffer_size", "64KiB").unwrap();
        assert_eq!(o.write_buffer_size, 64 << 10);
        o.set("ttl", "1.5").unwrap();
        assert_eq!(o.compaction.ttl_ms, 1500);
        o.set("policy", "size-tiered").unwrap();
        assert_eq!(o.compaction.policy, Policy::SizeTiered);

        let e = o.set("level_size_multiplier", "1").unwrap_err().to_string();
        assert!(
            e.contains("level_size_multiplier = 1") && e.contains("2 ..= 1000"),
            "{e}"
        );
        let e = o.set("write_buffer_size", "lots").unwrap_err().to_string();
        assert!(e.contains("write_buffer_size = lots"), "{e}");
        let e = o.set("compaction_speed", "9").unwrap_err().to_string();
        assert!(
            e.contains("compaction_speed") && e.contains("l0_file_limit"),
            "{e}"
        );
    }
}
