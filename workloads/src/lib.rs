//! Deterministic operation streams for LSM-tree experiments.
//!
//! A [`WorkloadSpec`] names a key distribution (uniform, scrambled zipfian,
//! latest, sequential, time series), an operation mix (load, YCSB A-F or
//! custom fractions, deletes, scans), sizes, simulated time and TTLs, and a
//! seed. [`WorkloadSpec::generator`] turns it into a lazy iterator of
//! [`Op`]s: the same spec gives the same stream on any machine and thread
//! count, and a stream of any length uses constant memory. [`Trace`] replays
//! recorded operations from a CSV file that [`write_trace`] produces.
//!
//! The crate knows nothing of the engine: it only yields operations.

mod detmath;
mod error;
mod formats;
mod generator;
mod key;
mod mixgraph;
mod models;
mod op;
mod params;
mod permute;
mod rng;
mod spec;
mod trace;
mod zipf;

pub use error::WorkloadError;
pub use formats::{
    parse_hex_key, write_rocksdb_trace, ExportSummary, ReadOptions, TraceCounts, TraceFile,
    TraceFileOps, TraceFormat,
};
pub use generator::Generator;
pub use key::{
    decode_key, decode_series_key, encode_key, encode_series_key, MIN_KEY_SIZE, MIN_SERIES_KEY_SIZE,
};
pub use mixgraph::{
    fit_mixgraph, fit_mixgraph_with, DistFit, FitOptions, KeyRangeFit, MixGraph, MixGraphFit,
    SineFit,
};
pub use op::{Op, OpKind};
pub use params::{check_value_size_settings, ParamInfo, YCSB_ALIASES};
/// The workloads' generator, for other deterministic draws (the lab's probes).
pub use rng::SplitMix64;
pub use spec::{Distribution, Fractions, Mix, PreloadOrder, ScanLengthDist, WorkloadSpec, PRESETS};
pub use trace::{write_trace, Trace, TraceOps};
