//! The db_bench command line of a run: its policy as RocksDB's compaction
//! style and priority (by the RocksDB name among the policy's aliases), and
//! every engine and policy parameter that db_bench has a flag for, by the
//! table [`FLAGS`].

use lsmlab_engine::merge_op::MergeOperatorChoice;
use lsmlab_engine::params::{Unit, Value, ENGINE_PARAMS};
use lsmlab_engine::Options;

/// How an lsmlab value becomes a db_bench flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convert {
    /// The same number (bytes, counts, reals; a flag as 1/0).
    Same,
    /// A flag, inverted (lsmlab `wal` -> db_bench `disable_wal`).
    Invert,
    /// Milliseconds -> whole seconds.
    Seconds,
    /// Bytes -> whole MiB (db_bench's `_mb` flags).
    Mebibytes,
    /// A count db_bench keeps in an int32 where 0 means RocksDB's default:
    /// 0 cannot be passed, and values past i32::MAX (RocksDB's UINT_MAX
    /// default) are left to RocksDB's default.
    NonZeroInt32,
}

/// One parameter db_bench can set: lsmlab's name, db_bench's flag.
#[derive(Debug, Clone, Copy)]
pub struct FlagMap {
    pub param: &'static str,
    pub flag: &'static str,
    pub convert: Convert,
}

const fn map(param: &'static str, flag: &'static str, convert: Convert) -> FlagMap {
    FlagMap {
        param,
        flag,
        convert,
    }
}

/// lsmlab parameter -> db_bench (RocksDB 7.8) flag. A parameter of the run
/// that is not here is not passed (the report lists those the spec sets).
pub const FLAGS: &[FlagMap] = &[
    map("write_buffer_size", "write_buffer_size", Convert::Same),
    // Only lsmlab's `rocksdb` write buffer accounting uses it; RocksDB's 0
    // is its default as lsmlab's is (write_buffer_size / 8, at most 1 MiB).
    map("arena_block_size", "arena_block_size", Convert::Same),
    map(
        "l0_file_limit",
        "level0_file_num_compaction_trigger",
        Convert::Same,
    ),
    map(
        "l0_slowdown_limit",
        "level0_slowdown_writes_trigger",
        Convert::Same,
    ),
    map("l0_stop_limit", "level0_stop_writes_trigger", Convert::Same),
    map("l1_base_bytes", "max_bytes_for_level_base", Convert::Same),
    map(
        "level_size_multiplier",
        "max_bytes_for_level_multiplier",
        Convert::Same,
    ),
    map("base_file_size", "target_file_size_base", Convert::Same),
    map("num_levels", "num_levels", Convert::Same),
    map("block_size", "block_size", Convert::Same),
    map(
        "block_restart_interval",
        "block_restart_interval",
        Convert::Same,
    ),
    map("bloom_bits_per_key", "bloom_bits", Convert::Same),
    map("block_cache_size", "cache_size", Convert::Same),
    map(
        "cache_index_and_filter_blocks",
        "cache_index_and_filter_blocks",
        Convert::Same,
    ),
    map("wal", "disable_wal", Convert::Invert),
    map(
        "max_write_buffers",
        "max_write_buffer_number",
        Convert::Same,
    ),
    map(
        "soft_pending_compaction_bytes",
        "soft_pending_compaction_bytes_limit",
        Convert::Same,
    ),
    map(
        "hard_pending_compaction_bytes",
        "hard_pending_compaction_bytes_limit",
        Convert::Same,
    ),
    // universal
    map("size_ratio", "universal_size_ratio", Convert::NonZeroInt32),
    map(
        "min_merge_width",
        "universal_min_merge_width",
        Convert::NonZeroInt32,
    ),
    map(
        "max_merge_width",
        "universal_max_merge_width",
        Convert::NonZeroInt32,
    ),
    map(
        "max_size_amplification_percent",
        "universal_max_size_amplification_percent",
        Convert::NonZeroInt32,
    ),
    map(
        "allow_trivial_move",
        "universal_allow_trivial_move",
        Convert::Same,
    ),
    // leveled
    map(
        "max_compaction_bytes",
        "max_compaction_bytes",
        Convert::Same,
    ),
    map(
        "dynamic_level_bytes",
        "level_compaction_dynamic_level_bytes",
        Convert::Same,
    ),
    map(
        "periodic_compaction_seconds",
        "periodic_compaction_seconds",
        Convert::Seconds,
    ),
    // RocksDB's `ttl`, leveled and FIFO alike. db_bench 7.8 sets
    // `options.ttl` from --fifo_compaction_ttl and then again from
    // --ttl_seconds (default: RocksDB's, 30 days once sanitized), so only
    // --ttl_seconds reaches RocksDB. lsmlab's 0 (off) passes as RocksDB's 0
    // (off).
    map("ttl", "ttl_seconds", Convert::Seconds),
    // fifo
    map(
        "max_table_files_size",
        "fifo_compaction_max_table_files_size_mb",
        Convert::Mebibytes,
    ),
    map(
        "allow_compaction",
        "fifo_compaction_allow_compaction",
        Convert::Same,
    ),
];

/// Engine and policy parameters RocksDB 7.8's db_bench cannot set, with
/// the value that matches its behaviour: a run with another value has no
/// peer.
const FIXED: &[(&str, &str)] = &[
    // db_bench leaves the table option at RocksDB's default.
    ("block_size_deviation", "10"),
    // RocksDB 7.8's `level_compaction_dynamic_file_size`, on by default.
    ("dynamic_file_size", "true"),
    ("stop_style", "total"),
    ("max_read_amp", "-1"),
    ("incremental", "false"),
];

/// The db_bench flags (`--name=value`) of a run with options `o`, or why
/// db_bench cannot run it.
pub fn db_bench_flags(o: &Options) -> Result<Vec<String>, String> {
    let policy = o.compaction.policy;
    let mut flags = Vec::new();
    let codes: Vec<(&str, usize)> = policy
        .aliases
        .iter()
        .filter_map(|a| crate::bench::db_bench_code(a))
        .collect();
    match codes.iter().find(|(f, _)| *f == "compaction_style") {
        Some((_, style)) => flags.push(format!("--compaction_style={style}")),
        None => flags.push("--compaction_style=0".into()),
    }
    match codes.iter().find(|(f, _)| *f == "compaction_pri") {
        Some((_, pri)) => flags.push(format!("--compaction_pri={pri}")),
        None if codes.is_empty() => {
            return Err(format!(
                "policy {} has no RocksDB counterpart (none of its aliases is a RocksDB compaction style or priority)",
                policy.name
            ))
        }
        None => {}
    }
    for (name, want) in FIXED {
        let v = if let Some(p) = ENGINE_PARAMS.iter().find(|p| p.def.name == *name) {
            p.def.format((p.get)(o))
        } else if let Some(def) = policy.param(name) {
            def.format(o.compaction.get(def.name))
        } else {
            continue;
        };
        if v != *want {
            return Err(format!(
                "{name} = {v}: db_bench (RocksDB 7.8) has no flag for it; only {want} runs there"
            ));
        }
    }
    for m in FLAGS {
        let (unit, value) = if let Some(p) = ENGINE_PARAMS.iter().find(|p| p.def.name == m.param) {
            (p.def.unit, (p.get)(o))
        } else if let Some(def) = policy.param(m.param) {
            (def.unit, o.compaction.get(def.name))
        } else {
            continue;
        };
        if let Some(text) = convert(m, unit, value)? {
            flags.push(format!("--{}={text}", m.flag));
        }
    }
    if let Some(flag) = merge_operator_flag(&o.merge_operator)? {
        flags.push(flag);
    }
    if o.min_blob_size > 0 {
        // db_bench 7.8 has the integrated BlobDB's flags, but the peer
        // counts RocksDB's `.sst` bytes and table writes only: with blob
        // files on one side both amplifications would compare unlike things.
        return Err(format!(
            "min_blob_size = {}: value separation has no peer (RocksDB's blob file bytes are \
             not counted in its write and space amplification here); 0 runs there",
            o.min_blob_size
        ));
    }
    Ok(flags)
}

/// db_bench's `--merge_operator` for the run's operator: `add` is RocksDB's
/// `uint64add` (little-endian u64 counters, as lsmlab's). `append` has no
/// byte-identical counterpart (RocksDB's `stringappend` inserts a
/// delimiter), nor has a user's own operator.
fn merge_operator_flag(choice: &MergeOperatorChoice) -> Result<Option<String>, String> {
    match choice {
        MergeOperatorChoice::None => Ok(None),
        MergeOperatorChoice::Add => Ok(Some("--merge_operator=uint64add".into())),
        other => Err(format!(
            "merge_operator = {}: db_bench (RocksDB 7.8) has no operator that writes the same \
             bytes; only none and add run there",
            other.name()
        )),
    }
}

fn convert(m: &FlagMap, unit: Unit, v: Value) -> Result<Option<String>, String> {
    let number = |v: Value| match v {
        Value::Real(x) => x.to_string(),
        Value::Flag(b) => u8::from(b).to_string(),
        other => other.int().to_string(),
    };
    Ok(Some(match m.convert {
        Convert::Same => number(v),
        Convert::Invert => u8::from(!v.flag()).to_string(),
        Convert::Seconds => {
            debug_assert_eq!(unit, Unit::Duration);
            let ms = v.int();
            if !ms.is_multiple_of(1000) {
                return Err(format!(
                    "{} = {ms} ms: --{} takes whole seconds",
                    m.param, m.flag
                ));
            }
            (ms / 1000).to_string()
        }
        Convert::Mebibytes => {
            let b = v.int();
            if !b.is_multiple_of(1 << 20) {
                return Err(format!(
                    "{} = {b} bytes: --{} takes whole MiB",
                    m.param, m.flag
                ));
            }
            (b >> 20).to_string()
        }
        Convert::NonZeroInt32 => {
            let n = v.int();
            if n == 0 {
                return Err(format!(
                    "{} = 0: db_bench reads --{}=0 as RocksDB's default",
                    m.param, m.flag
                ));
            }
            if n > i32::MAX as u64 {
                return Ok(None);
            }
            n.to_string()
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(policy: &str, settings: &[(&str, &str)]) -> Result<Vec<String>, String> {
        let mut o = Options::default();
        o.set("policy", policy).unwrap();
        for (k, v) in settings {
            o.set(k, v).unwrap();
        }
        db_bench_flags(&o)
    }

    #[test]
    fn universal_maps_to_style_1_with_its_options() {
        let f = flags_of("universal", &[("size_ratio", "10"), ("l0_file_limit", "8")]).unwrap();
        for want in [
            "--compaction_style=1",
            "--universal_size_ratio=10",
            "--universal_min_merge_width=2",
            "--universal_max_size_amplification_percent=200",
            "--universal_allow_trivial_move=0",
            "--level0_file_num_compaction_trigger=8",
            "--write_buffer_size=4194304",
            "--disable_wal=0",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        // max_merge_width's default (UINT_MAX) does not fit db_bench's int32:
        // RocksDB's own default applies.
        assert!(
            !f.iter()
                .any(|x| x.starts_with("--universal_max_merge_width")),
            "{f:?}"
        );
        assert!(
            !f.iter().any(|x| x.starts_with("--compaction_pri")),
            "{f:?}"
        );
    }

    #[test]
    fn leveled_priorities_and_fifo() {
        let f = flags_of("min-overlap", &[]).unwrap();
        assert!(
            f.contains(&"--compaction_style=0".into()) && f.contains(&"--compaction_pri=3".into())
        );
        let f = flags_of("fifo", &[("ttl", "10m"), ("max_table_files_size", "64MiB")]).unwrap();
        for want in [
            "--compaction_style=2",
            "--ttl_seconds=600",
            "--fifo_compaction_max_table_files_size_mb=64",
            "--fifo_compaction_allow_compaction=0",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        // db_bench 7.8 overwrites --fifo_compaction_ttl with --ttl_seconds.
        assert!(
            !f.iter().any(|x| x.starts_with("--fifo_compaction_ttl")),
            "{f:?}"
        );
    }

    #[test]
    fn leveled_ttl_periodic_and_level_options() {
        let f = flags_of(
            "round-robin",
            &[
                ("ttl", "1h"),
                ("periodic_compaction_seconds", "2h"),
                ("max_compaction_bytes", "50MiB"),
                ("dynamic_level_bytes", "true"),
            ],
        )
        .unwrap();
        for want in [
            "--compaction_pri=4",
            "--ttl_seconds=3600",
            "--periodic_compaction_seconds=7200",
            "--max_compaction_bytes=52428800",
            "--level_compaction_dynamic_level_bytes=1",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        // lsmlab's defaults: ttl and periodic compaction off (RocksDB's own
        // default ttl, 30 days, is not lsmlab's), max_compaction_bytes 0
        // (25 x target_file_size_base in both).
        let f = flags_of("leveled", &[]).unwrap();
        for want in [
            "--ttl_seconds=0",
            "--periodic_compaction_seconds=0",
            "--max_compaction_bytes=0",
            "--level_compaction_dynamic_level_bytes=0",
        ] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        let e = flags_of("min-overlap", &[("ttl", "1500ms")]).unwrap_err();
        assert!(e.contains("--ttl_seconds takes whole seconds"), "{e}");
    }

    #[test]
    fn what_db_bench_cannot_express_is_refused_by_name() {
        let e = flags_of("size-tiered", &[]).unwrap_err();
        assert!(e.contains("no RocksDB counterpart"), "{e}");
        let e = flags_of("universal", &[("stop_style", "similar")]).unwrap_err();
        assert!(e.contains("stop_style = similar"), "{e}");
        let e = flags_of("universal", &[("max_read_amp", "0")]).unwrap_err();
        assert!(e.contains("max_read_amp"), "{e}");
        let e = flags_of("universal", &[("incremental", "true")]).unwrap_err();
        assert!(e.contains("incremental = true"), "{e}");
        let e = flags_of("leveled", &[("block_size_deviation", "0")]).unwrap_err();
        assert!(
            e.contains("block_size_deviation = 0") && e.contains("only 10 runs there"),
            "{e}"
        );
        let e = flags_of("min-overlap", &[("dynamic_file_size", "false")]).unwrap_err();
        assert!(e.contains("dynamic_file_size = false"), "{e}");
        let e = flags_of("universal", &[("size_ratio", "0")]).unwrap_err();
        assert!(e.contains("--universal_size_ratio=0"), "{e}");
        let e = flags_of("fifo", &[("max_table_files_size", "1000")]).unwrap_err();
        assert!(e.contains("whole MiB"), "{e}");
        let e = flags_of("leveled", &[("merge_operator", "append")]).unwrap_err();
        assert!(e.contains("merge_operator = append"), "{e}");
        let add = flags_of("leveled", &[("merge_operator", "add")]).unwrap();
        assert!(
            add.contains(&"--merge_operator=uint64add".to_string()),
            "{add:?}"
        );
        let none = flags_of("leveled", &[]).unwrap();
        assert!(!none.iter().any(|f| f.starts_with("--merge_operator")));
        let e = flags_of("leveled", &[("min_blob_size", "1KiB")]).unwrap_err();
        assert!(
            e.contains("min_blob_size = 1024: value separation has no peer"),
            "{e}"
        );
    }
}
