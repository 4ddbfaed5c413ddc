//! Engine parameters, named as in DESIGN.md, each documented with its RocksDB
//! equivalent. Defaults are RocksDB's scaled down 16x.

use crate::compaction::CompactionOptions;
use crate::error::{Error, Result};
use crate::merge_op::MergeOperatorChoice;
use crate::sst::bloom::BloomLayout;
use crate::write_buffer_accounting::WriteBufferAccounting;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// How flushes and compactions are scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// On the calling thread, at points fixed by the writes, metered against
    /// the clock: the same operations give the same files and byte counts on
    /// any machine. The lab's default.
    #[default]
    Deterministic,
    /// On `max_background_jobs` real threads while writes and reads go on:
    /// for measuring wall-clock throughput and latency.
    Background,
}

impl Mode {
    /// The name specs and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Deterministic => "deterministic",
            Mode::Background => "background",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deterministic" => Ok(Mode::Deterministic),
            "background" => Ok(Mode::Background),
            _ => Err(Error::invalid_option(
                "mode",
                s,
                "deterministic | background",
            )),
        }
    }
}

/// Engine configuration. Build with `Options::default()` and field updates,
/// then [`Options::validate`] (done by `Db::open`).
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Bytes of memtable before it is flushed to an L0 file.
    /// Same as `write_buffer_size` in RocksDB. Default 4 MiB.
    pub write_buffer_size: u64,
    /// How memtable memory is charged against `write_buffer_size` and when
    /// a memtable is full: lsmlab's entry bytes (key + value + 16 per
    /// entry), or RocksDB's arena (skiplist nodes with their towers in
    /// arena blocks, full by RocksDB's `MemTable::ShouldFlushNow`). RocksDB
    /// has no such option: it always does the latter. Default entries.
    pub write_buffer_accounting: WriteBufferAccounting,
    /// Bytes of a memtable arena block under the `rocksdb` accounting; 0 =
    /// RocksDB's default, `write_buffer_size` / 8 capped at 1 MiB and
    /// rounded up to 4 KiB. Same as `arena_block_size` in RocksDB.
    /// Default 0.
    pub arena_block_size: u64,
    /// L0 file count that triggers an L0 compaction.
    /// Same as `level0_file_num_compaction_trigger` in RocksDB. Default 4.
    pub l0_file_limit: usize,
    /// L0 file count at which writes slow down.
    /// Same as `level0_slowdown_writes_trigger` in RocksDB. Default 20.
    pub l0_slowdown_limit: usize,
    /// L0 file count at which writes stop.
    /// Same as `level0_stop_writes_trigger` in RocksDB. Default 36.
    pub l0_stop_limit: usize,
    /// Target size of L1 in bytes.
    /// Same as `max_bytes_for_level_base` in RocksDB. Default 16 MiB.
    pub l1_base_bytes: u64,
    /// Each level's target is this many times the previous one's.
    /// Same as `max_bytes_for_level_multiplier` in RocksDB. Default 10.
    pub level_size_multiplier: f64,
    /// Target size of compaction output files.
    /// Same as `target_file_size_base` in RocksDB. Default 4 MiB.
    pub base_file_size: u64,
    /// Number of levels, L0 included. Same as `num_levels` in RocksDB. Default 7.
    pub num_levels: usize,
    /// Uncompressed size of an SSTable data block.
    /// Same as `block_size` in RocksDB's table options. Default 4 KiB.
    pub block_size: usize,
    /// How far under `block_size` a data block may be cut, in percent: a
    /// block over `100 - block_size_deviation` percent full is cut before
    /// an entry that would take it past `block_size`. Same as
    /// `block_size_deviation` in RocksDB's table options (0 to 100).
    /// Default 10.
    pub block_size_deviation: u32,
    /// Keys between restart points in a data block.
    /// Same as `block_restart_interval` in RocksDB. Default 16.
    pub block_restart_interval: usize,
    /// Bloom filter bits per key; 0 disables filters.
    /// Same as the `bits_per_key` of RocksDB's `NewBloomFilterPolicy`. Default 10.
    pub bloom_bits_per_key: u32,
    /// Where a key's filter probes go: anywhere in the filter (`whole`,
    /// LevelDB's filters; the default) or in one 64-byte line
    /// (`cache-local`, RocksDB's full filters of format_version 5).
    pub bloom_layout: BloomLayout,
    /// Write a WAL so unflushed writes survive a crash.
    /// The opposite of `disable_wal` in RocksDB's write options. Default on.
    pub wal: bool,
    /// Sync the WAL after every write.
    /// Same as `sync` in RocksDB's write options. Default off.
    pub wal_sync: bool,
    /// Manifest size beyond which a fresh manifest holding one snapshot edit
    /// is written.
    /// Same as `max_manifest_file_size` in RocksDB. Default 1 MiB.
    pub max_manifest_bytes: u64,
    /// Run compactions automatically after flushes.
    /// The opposite of `disable_auto_compactions` in RocksDB. Default on.
    pub auto_compaction: bool,
    /// How flushes and compactions are scheduled. Default deterministic.
    pub mode: Mode,
    /// Compaction I/O budget in bytes per (simulated) second; 0 = unlimited.
    /// Like RocksDB's `rate_limiter` bytes_per_sec, for compaction only.
    /// Default 0.
    pub compaction_io_rate: u64,
    /// Bytes of compaction budget that may accumulate while idle; 0 = one
    /// second's worth. Like the rate limiter's refill burst. Default 0.
    pub compaction_io_burst: u64,
    /// Flush I/O budget in bytes per (simulated) second; 0 = unlimited.
    /// Default 0.
    pub flush_io_rate: u64,
    /// Compaction jobs that may run at once, on disjoint files.
    /// Same as `max_background_jobs` in RocksDB (here: compactions only).
    /// Default 1.
    pub max_background_jobs: usize,
    /// Memtables (the active one plus those waiting for flush) before writes
    /// stop. Same as `max_write_buffer_number` in RocksDB. Default 2.
    pub max_write_buffers: usize,
    /// Compaction debt at which writes slow down to `delayed_write_rate`;
    /// 0 = never. Same as `soft_pending_compaction_bytes_limit` in RocksDB.
    /// Default 4 GiB.
    pub soft_pending_compaction_bytes: u64,
    /// Compaction debt at which writes stop; 0 = never.
    /// Same as `hard_pending_compaction_bytes_limit` in RocksDB. Default 16 GiB.
    pub hard_pending_compaction_bytes: u64,
    /// Write rate (bytes per second) while writes are slowed down.
    /// Same as `delayed_write_rate` in RocksDB. Default 1 MiB/s.
    pub delayed_write_rate: u64,
    /// The compaction policy and its parameters.
    pub compaction: CompactionOptions,
    /// How `merge` operands combine: none (merges are refused), `add`
    /// (u64 counters), `append` (byte strings) or a user's
    /// [`crate::merge_op::MergeOperator`].
    /// Same as `merge_operator` in RocksDB. Default none.
    pub merge_operator: MergeOperatorChoice,
    /// Bytes of SSTable blocks kept in an LRU block cache; 0 = no cache
    /// (every block a read touches comes from storage).
    /// Same as the capacity of RocksDB's `block_cache`. Default 0.
    pub block_cache_size: u64,
    /// Keep index and filter blocks in the block cache (charged, evictable)
    /// instead of pinned in each open table; no effect without a cache.
    /// Same as `cache_index_and_filter_blocks` in RocksDB. Default off.
    pub cache_index_and_filter_blocks: bool,
    /// Check the tree's invariants after every installed edit (tests).
    /// Like RocksDB's `force_consistency_checks`. Default off.
    pub paranoid_checks: bool,
    /// Create a new database when the directory holds none. Same as
    /// `create_if_missing` in RocksDB (whose default is off). Default on.
    /// A directory that holds tables, logs or manifests but no `CURRENT` is
    /// never taken for an empty one, whatever this says.
    pub create_if_missing: bool,
    /// Refuse to open a directory that already holds a database.
    /// Same as `error_if_exists` in RocksDB. Default off.
    pub error_if_exists: bool,
    /// Values of at least this many bytes are written to blob files by
    /// flushes and compactions, the tables keeping a reference; 0 = no value
    /// separation. RocksDB's `min_blob_size` with `enable_blob_files` on
    /// (0 there separates every value; use 1 here). Default 0.
    pub min_blob_size: u64,
    /// Blob file size at which a job starts a new one. Same as
    /// `blob_file_size` in RocksDB. Default 16 MiB (RocksDB's 256 MiB scaled
    /// like `write_buffer_size`).
    pub blob_file_size: u64,
    /// Compactions relocate the live blobs they meet in the oldest blob
    /// files. Same as `enable_blob_garbage_collection`. Default off.
    pub enable_blob_garbage_collection: bool,
    /// The oldest fraction of blob files (by number) whose blobs are
    /// relocated. Same as `blob_garbage_collection_age_cutoff`. Default 0.25.
    pub blob_garbage_collection_age_cutoff: f64,
    /// When the oldest blob file is within the cutoff and at least this
    /// fraction of it is garbage, the tables referencing it are compacted.
    /// Same as `blob_garbage_collection_force_threshold`. Default 1.0.
    pub blob_garbage_collection_force_threshold: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            write_buffer_size: 4 * MIB,
            write_buffer_accounting: WriteBufferAccounting::Entries,
            arena_block_size: 0,
            l0_file_limit: 4,
            l0_slowdown_limit: 20,
            l0_stop_limit: 36,
            l1_base_bytes: 16 * MIB,
            level_size_multiplier: 10.0,
            base_file_size: 4 * MIB,
            num_levels: 7,
            block_size: 4 * KIB as usize,
            block_size_deviation: 10,
            block_restart_interval: 16,
            bloom_bits_per_key: 10,
            bloom_layout: BloomLayout::Whole,
            wal: true,
            wal_sync: false,
            max_manifest_bytes: MIB,
            auto_compaction: true,
            mode: Mode::Deterministic,
            compaction_io_rate: 0,
            compaction_io_burst: 0,
            flush_io_rate: 0,
            max_background_jobs: 1,
            max_write_buffers: 2,
            soft_pending_compaction_bytes: 4 << 30,
            hard_pending_compaction_bytes: 16 << 30,
            delayed_write_rate: MIB,
            compaction: CompactionOptions::default(),
            merge_operator: MergeOperatorChoice::None,
            block_cache_size: 0,
            cache_index_and_filter_blocks: false,
            paranoid_checks: false,
            create_if_missing: true,
            error_if_exists: false,
            min_blob_size: 0,
            blob_file_size: 16 * MIB,
            enable_blob_garbage_collection: false,
            blob_garbage_collection_age_cutoff: 0.25,
            blob_garbage_collection_force_threshold: 1.0,
        }
    }
}

impl Options {
    /// Checks every engine parameter against its declared range, then the
    /// relations between parameters, then the policy's parameters; the
    /// error names the first offending parameter, its value and what is
    /// allowed.
    pub fn validate(&self) -> Result<()> {
        for p in crate::params::ENGINE_PARAMS {
            p.def.check((p.get)(self))?;
        }
        let at_least = |name: &str, value: usize, other: &str, bound: usize| {
            if value < bound {
                Err(Error::invalid_option(
                    name,
                    value,
                    format!("{other} ({bound}) ..= 1048576"),
                ))
            } else {
                Ok(())
            }
        };
        at_least(
            "l0_slowdown_limit",
            self.l0_slowdown_limit,
            "l0_file_limit",
            self.l0_file_limit,
        )?;
        at_least(
            "l0_stop_limit",
            self.l0_stop_limit,
            "l0_slowdown_limit",
            self.l0_slowdown_limit,
        )?;
        if self.hard_pending_compaction_bytes != 0
            && self.soft_pending_compaction_bytes > self.hard_pending_compaction_bytes
        {
            return Err(Error::invalid_option(
                "soft_pending_compaction_bytes",
                self.soft_pending_compaction_bytes,
                format!(
                    "0 ..= hard_pending_compaction_bytes ({})",
                    self.hard_pending_compaction_bytes
                ),
            ));
        }
        self.compaction.validate()
    }

    /// The byte target of `level` (>= 1):
    /// `l1_base_bytes * level_size_multiplier^(level-1)`.
    pub fn level_target_bytes(&self, level: usize) -> u64 {
        debug_assert!(level >= 1);
        let t = self.l1_base_bytes as f64 * self.level_size_multiplier.powi(level as i32 - 1);
        if t >= u64::MAX as f64 {
            u64::MAX
        } else {
            t as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_scaled_rocksdb() {
        let o = Options::default();
        o.validate().unwrap();
        assert_eq!(o.write_buffer_size, 4 << 20);
        assert_eq!(o.level_target_bytes(1), 16 << 20);
        assert_eq!(o.level_target_bytes(3), 1600 << 20);
    }

    #[test]
    fn invalid_values_name_the_parameter_and_range() {
        let o = Options {
            level_size_multiplier: 1.5,
            ..Options::default()
        };
        let msg = o.validate().unwrap_err().to_string();
        assert!(msg.contains("level_size_multiplier"), "{msg}");
        assert!(msg.contains("1.5"), "{msg}");
        assert!(msg.contains("2 ..= 1000"), "{msg}");

        let o = Options {
            write_buffer_size: 0,
            ..Options::default()
        };
        let msg = o.validate().unwrap_err().to_string();
        assert!(msg.contains("write_buffer_size = 0"), "{msg}");

        let o = Options {
            l0_stop_limit: 3,
            ..Options::default()
        };
        assert!(o
            .validate()
            .unwrap_err()
            .to_string()
            .contains("l0_stop_limit"));
    }
}
