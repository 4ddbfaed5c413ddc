//! The error type of workload specification, generation and trace replay.

use std::path::PathBuf;

/// Everything that can go wrong building a workload or replaying a trace.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// `set` was given a name that is not a workload parameter.
    #[error("unknown workload parameter \"{name}\" (valid parameters: {valid})")]
    UnknownParameter { name: String, valid: String },

    /// A parameter value does not parse or is out of range.
    #[error("invalid value \"{value}\" for workload parameter {name}: allowed {allowed}")]
    InvalidParameter {
        name: String,
        value: String,
        allowed: String,
    },

    /// Parameters valid on their own that contradict each other.
    #[error("inconsistent workload parameters: {0}")]
    Inconsistent(String),

    /// `preset` was given an unknown name.
    #[error("unknown workload preset \"{name}\" (valid presets: {valid})")]
    UnknownPreset { name: String, valid: String },

    /// Reading a trace file failed.
    #[error("{}: {source}", path.display())]
    TraceIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A trace file line does not follow the format.
    #[error("{}:{line}: {reason}", path.display())]
    TraceFormat {
        path: PathBuf,
        line: u64,
        reason: String,
    },

    /// A binary trace's bytes do not follow the format, or (with
    /// `strict`) hold a record lsmlab cannot apply.
    #[error("{}: byte {offset}: {reason}", path.display())]
    TraceRecord {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    /// Writing a trace failed.
    #[error("writing trace: {0}")]
    TraceWrite(#[source] std::io::Error),
}

impl WorkloadError {
    pub(crate) fn invalid(
        name: &str,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        WorkloadError::InvalidParameter {
            name: name.to_string(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}
