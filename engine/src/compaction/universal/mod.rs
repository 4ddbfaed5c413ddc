//! RocksDB's universal compaction (`kCompactionStyleUniversal`): the tree as
//! a list of sorted runs (`sorted_runs`) and the rules that pick among them
//! (`picker`). The policy's registry entry is `policies/universal.rs`.

pub(crate) mod picker;
pub(crate) mod sorted_runs;

pub use picker::{MaxReadAmp, RocksDbVersion, StopStyle, UniversalConfig};
