//! The engine-independent half of the lsmlab lab: sweep specs, result files,
//! baseline checks, plots, reports and the generated notebook.

pub mod check;
pub mod error;
pub mod metrics;
pub mod notebook;
pub mod outputs;
pub mod plots;
pub mod report;
pub mod results;
pub mod shard;
pub mod spec;
pub mod timeline;

pub use error::{LabError, Result};
pub use outputs::{write_outputs, OutputPaths};
