//! The lsmlab lab: sweep specs, the runner that drives the engine with a
//! workload, parallel sweeps, result files, baseline checks, plots, reports
//! and the generated notebook; and `serve`, an LSM node for Maelstrom-style
//! harnesses; and `bench`, db_bench-like wall-clock phases.

pub mod aggregate;
pub mod atomic;
pub mod bench;
pub mod breakdown;
pub mod catalog;
pub mod check;
pub mod check_band;
pub mod error;
pub mod goal;
pub mod input_limits;
pub mod job_log_csv;
pub mod journal;
pub mod lab_params;
pub mod live_set;
pub mod manifest;
pub mod metrics;
pub mod notebook;
pub mod outputs;
pub mod pareto;
pub mod peer;
pub mod plots;
pub mod recommend;
pub mod report;
pub mod results;
pub mod runner;
pub mod serve;
pub mod shard;
pub mod shard_cost;
pub mod short_key;
pub mod snapshot_retention;
pub mod spec;
pub mod sweep;
pub mod theory;
pub mod timeline;
pub mod tree;
pub mod words;

pub use error::{LabError, Result};
pub use outputs::{write_outputs, OutputPaths, SweepResults};

/// The git revision the binary was built from (`unknown` outside a checkout).
pub const GIT_REV: &str = env!("LSMLAB_GIT_REV");
