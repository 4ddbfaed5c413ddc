//! The engine's parameters, declared once: name, RocksDB alias, unit,
//! default, range, doc line, and the `Options` field each one sets.

use super::def::{ParamDef, Unit, Value};
use crate::merge_op::MergeOperatorChoice;
use crate::options::{Mode, Options};
use crate::sst::bloom::BloomLayout;
use crate::write_buffer_accounting::WriteBufferAccounting;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * KIB;
const TIB: f64 = 1024.0 * 1024.0 * MIB;
const PIB: f64 = 1024.0 * TIB;
const COUNT_MAX: f64 = (1u64 << 20) as f64;

/// An engine parameter: its declaration and the field of [`Options`] it
/// reads and writes.
#[derive(Clone, Copy)]
pub struct EngineParam {
    pub def: ParamDef,
    pub get: fn(&Options) -> Value,
    pub set: fn(&mut Options, Value),
}

/// Conversion between a field's type and [`Value`].
trait Field: Sized {
    fn to_value(self) -> Value;
    fn from_value(v: Value) -> Self;
}

impl Field for u64 {
    fn to_value(self) -> Value {
        Value::Int(self)
    }
    fn from_value(v: Value) -> Self {
        v.int()
    }
}

impl Field for usize {
    fn to_value(self) -> Value {
        Value::Int(self as u64)
    }
    fn from_value(v: Value) -> Self {
        v.int() as usize
    }
}

impl Field for u32 {
    fn to_value(self) -> Value {
        Value::Int(u64::from(self))
    }
    fn from_value(v: Value) -> Self {
        v.int() as u32
    }
}

impl Field for f64 {
    fn to_value(self) -> Value {
        Value::Real(self)
    }
    fn from_value(v: Value) -> Self {
        v.real()
    }
}

impl Field for bool {
    fn to_value(self) -> Value {
        Value::Flag(self)
    }
    fn from_value(v: Value) -> Self {
        v.flag()
    }
}

impl Field for Mode {
    fn to_value(self) -> Value {
        Value::Choice(self.name())
    }
    fn from_value(v: Value) -> Self {
        match v {
            Value::Choice("background") => Mode::Background,
            _ => Mode::Deterministic,
        }
    }
}

/// `Field` for an enum chosen by name: `name()` and `by_name()` (an
/// unknown name, which the catalog refuses before it gets here, is the
/// default).
macro_rules! choice_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn to_value(self) -> Value {
                Value::Choice(self.name())
            }
            fn from_value(v: Value) -> Self {
                match v {
                    Value::Choice(name) => <$t>::by_name(name).unwrap_or_default(),
                    _ => <$t>::default(),
                }
            }
        }
    )*};
}

choice_field!(MergeOperatorChoice, BloomLayout, WriteBufferAccounting);

macro_rules! engine_param {
    ($field:ident, $aliases:expr, $unit:expr, $default:expr, $range:expr, $doc:literal $(, note = $note:literal)?) => {
        EngineParam {
            def: ParamDef::new(stringify!($field), $aliases, $unit, $default, $range, $doc)
                $(.note($note))?,
            get: |o| Field::to_value(o.$field.clone()),
            set: |o, v| o.$field = Field::from_value(v),
        }
    };
}

const fn bytes(n: u64) -> Value {
    Value::Int(n)
}

/// Every engine parameter, in the order listings show them.
pub const ENGINE_PARAMS: &[EngineParam] = &[
    engine_param!(
        write_buffer_size,
        &["write_buffer_size"],
        Unit::Bytes,
        bytes(4 << 20),
        (4.0 * KIB, TIB),
        "memtable bytes before a flush to L0"
    ),
    engine_param!(
        write_buffer_accounting,
        &[],
        Unit::Choice(WriteBufferAccounting::NAMES),
        Value::Choice("entries"),
        (0.0, 0.0),
        "how memtable memory counts against write_buffer_size: entries (key + value + 16 bytes \
         each) or rocksdb (RocksDB's arena: skiplist nodes in arena blocks, full by its \
         ShouldFlushNow)"
    ),
    engine_param!(
        arena_block_size,
        &["arena_block_size"],
        Unit::Bytes,
        bytes(0),
        (0.0, 2.0 * 1024.0 * MIB),
        "memtable arena block size under write_buffer_accounting = rocksdb",
        note = "0: RocksDB's default, write_buffer_size / 8 capped at 1 MiB"
    ),
    engine_param!(
        l0_file_limit,
        &["level0_file_num_compaction_trigger"],
        Unit::Count,
        Value::Int(4),
        (1.0, COUNT_MAX),
        "L0 files that trigger an L0 compaction"
    ),
    engine_param!(
        l0_slowdown_limit,
        &["level0_slowdown_writes_trigger"],
        Unit::Count,
        Value::Int(20),
        (1.0, COUNT_MAX),
        "L0 files at which writes slow down",
        note = "at least l0_file_limit"
    ),
    engine_param!(
        l0_stop_limit,
        &["level0_stop_writes_trigger"],
        Unit::Count,
        Value::Int(36),
        (1.0, COUNT_MAX),
        "L0 files at which writes stop",
        note = "at least l0_slowdown_limit"
    ),
    engine_param!(
        l1_base_bytes,
        &["max_bytes_for_level_base"],
        Unit::Bytes,
        bytes(16 << 20),
        (4.0 * KIB, PIB),
        "target size of L1"
    ),
    engine_param!(
        level_size_multiplier,
        &["max_bytes_for_level_multiplier"],
        Unit::Real,
        Value::Real(10.0),
        (2.0, 1000.0),
        "each level's target is this many times the previous"
    ),
    engine_param!(
        base_file_size,
        &["target_file_size_base"],
        Unit::Bytes,
        bytes(4 << 20),
        (4.0 * KIB, TIB),
        "target size of compaction output files (and of every file of a split sorted run)"
    ),
    engine_param!(
        num_levels,
        &["num_levels"],
        Unit::Count,
        Value::Int(7),
        (2.0, 64.0),
        "levels, L0 included"
    ),
    engine_param!(
        block_size,
        &["block_size"],
        Unit::Bytes,
        bytes(4 << 10),
        (256.0, 64.0 * MIB),
        "SSTable data block size"
    ),
    engine_param!(
        block_size_deviation,
        &["block_size_deviation"],
        Unit::Count,
        Value::Int(10),
        (0.0, 100.0),
        "percent under block_size at which a block is cut before an entry that would overflow it",
        note = "RocksDB's rule; 0: cut only once a block has reached block_size"
    ),
    engine_param!(
        block_restart_interval,
        &["block_restart_interval"],
        Unit::Count,
        Value::Int(16),
        (1.0, 1024.0),
        "keys between restart points in a block"
    ),
    engine_param!(
        bloom_bits_per_key,
        &["bits_per_key"],
        Unit::Count,
        Value::Int(10),
        (0.0, 64.0),
        "bloom filter bits per key",
        note = "0: no filter"
    ),
    engine_param!(
        bloom_layout,
        &[],
        Unit::Choice(BloomLayout::NAMES),
        Value::Choice("whole"),
        (0.0, 0.0),
        "where a key's bloom probes go: whole (anywhere in the filter, LevelDB's filters) or \
         cache-local (in one 64-byte line, RocksDB's full filters: one cache miss a probe, \
         about 0.95% false positives at 10 bits per key against 0.82%)"
    ),
    engine_param!(
        block_cache_size,
        &["cache_size", "block_cache"],
        Unit::Bytes,
        bytes(0),
        (0.0, PIB),
        "bytes of SSTable blocks kept in an LRU block cache",
        note = "0: no cache"
    ),
    engine_param!(
        cache_index_and_filter_blocks,
        &["cache_index_and_filter_blocks"],
        Unit::Flag,
        Value::Flag(false),
        (0.0, 1.0),
        "index and filter blocks live in the block cache, not pinned per table"
    ),
    engine_param!(
        wal,
        &[],
        Unit::Flag,
        Value::Flag(true),
        (0.0, 1.0),
        "write a write-ahead log"
    ),
    engine_param!(
        wal_sync,
        &["sync"],
        Unit::Flag,
        Value::Flag(false),
        (0.0, 1.0),
        "sync the WAL after every write"
    ),
    engine_param!(
        max_manifest_bytes,
        &["max_manifest_file_size"],
        Unit::Bytes,
        bytes(1 << 20),
        (4.0 * KIB, TIB),
        "manifest size that triggers a rewrite"
    ),
    engine_param!(
        mode,
        &[],
        Unit::Choice(&["deterministic", "background"]),
        Value::Choice("deterministic"),
        (0.0, 0.0),
        "flushes and compactions on the writing thread (deterministic) or on real threads"
    ),
    engine_param!(
        compaction_io_rate,
        &[],
        Unit::BytesPerSecond,
        bytes(0),
        (0.0, PIB),
        "compaction I/O budget per simulated second",
        note = "0: unlimited"
    ),
    engine_param!(
        compaction_io_burst,
        &[],
        Unit::Bytes,
        bytes(0),
        (0.0, PIB),
        "compaction budget that accumulates while idle",
        note = "0: one second's worth"
    ),
    engine_param!(
        flush_io_rate,
        &[],
        Unit::BytesPerSecond,
        bytes(0),
        (0.0, PIB),
        "flush I/O budget per simulated second",
        note = "0: unlimited"
    ),
    engine_param!(
        max_background_jobs,
        &["max_background_jobs"],
        Unit::Count,
        Value::Int(1),
        (1.0, 256.0),
        "compaction jobs running at once"
    ),
    engine_param!(
        max_write_buffers,
        &["max_write_buffer_number"],
        Unit::Count,
        Value::Int(2),
        (2.0, 64.0),
        "memtables (active + waiting for flush) before writes stop"
    ),
    engine_param!(
        soft_pending_compaction_bytes,
        &["soft_pending_compaction_bytes_limit"],
        Unit::Bytes,
        bytes(4 << 30),
        (0.0, PIB),
        "compaction debt at which writes slow down",
        note = "0: off; at most hard_pending_compaction_bytes"
    ),
    engine_param!(
        hard_pending_compaction_bytes,
        &["hard_pending_compaction_bytes_limit"],
        Unit::Bytes,
        bytes(16 << 30),
        (0.0, PIB),
        "compaction debt at which writes stop",
        note = "0: off"
    ),
    engine_param!(
        delayed_write_rate,
        &["delayed_write_rate"],
        Unit::BytesPerSecond,
        bytes(1 << 20),
        (1.0, PIB),
        "write rate while writes are slowed down"
    ),
    engine_param!(
        merge_operator,
        &[],
        Unit::Choice(MergeOperatorChoice::NAMES),
        Value::Choice("none"),
        (0.0, 0.0),
        "how merge operands combine: none (merge refused), add (u64 counters), append (bytes)"
    ),
    // Value separation (BlobDB-style).
    engine_param!(
        min_blob_size,
        &["min_blob_size"],
        Unit::Bytes,
        bytes(0),
        (0.0, TIB),
        "values of at least this size go to blob files, the tables keep a reference",
        note = "0: no value separation"
    ),
    engine_param!(
        blob_file_size,
        &["blob_file_size"],
        Unit::Bytes,
        bytes(16 << 20),
        (4.0 * KIB, TIB),
        "blob file size at which a flush or compaction starts a new one"
    ),
    engine_param!(
        enable_blob_garbage_collection,
        &["enable_blob_garbage_collection"],
        Unit::Flag,
        Value::Flag(false),
        (0.0, 1.0),
        "compactions relocate the live blobs of the oldest blob files"
    ),
    engine_param!(
        blob_garbage_collection_age_cutoff,
        &["blob_garbage_collection_age_cutoff"],
        Unit::Real,
        Value::Real(0.25),
        (0.0, 1.0),
        "fraction of blob files, oldest first, whose blobs compactions relocate"
    ),
    engine_param!(
        blob_garbage_collection_force_threshold,
        &["blob_garbage_collection_force_threshold"],
        Unit::Real,
        Value::Real(1.0),
        (0.0, 1.0),
        "garbage ratio of the oldest blob file at which its tables are compacted",
        note = "1: only when all garbage"
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_defaults_are_the_options_defaults() {
        let o = Options::default();
        for p in ENGINE_PARAMS {
            assert_eq!((p.get)(&o), p.def.default, "{}", p.def.name);
        }
    }
}
