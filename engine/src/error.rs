//! The engine's error type: every failure a caller can see, with enough
//! context (file, offset, parameter) to act on it.

use std::path::PathBuf;

/// Errors returned by the engine. Bad bytes on disk are always reported as
/// [`Error::Corruption`] or [`Error::ChecksumMismatch`], never returned as data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system (or injected) I/O failure.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file's contents do not follow its format.
    #[error("corruption in {file}: {reason}")]
    Corruption { file: PathBuf, reason: String },

    /// A block or record's stored crc32c does not match its bytes.
    #[error("checksum mismatch in {file} at offset {offset}: stored {expected:#010x}, computed {got:#010x}")]
    ChecksumMismatch {
        file: PathBuf,
        offset: u64,
        expected: u32,
        got: u32,
    },

    /// An `Options` field (or a policy parameter) is out of its allowed range.
    #[error("invalid option {name} = {value}: allowed {allowed}")]
    InvalidOption {
        name: String,
        value: String,
        allowed: String,
    },

    /// A call that the database's state does not permit (e.g. a snapshot
    /// newer than the last sequence, an unknown policy name).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The database's `LOCK` is held: another process, or another `Db` in
    /// this one, has the database open.
    #[error("database is in use: {path} is held by {holder}; close that database first")]
    Locked { path: PathBuf, holder: String },

    /// A previous background failure left the database read-only until reopen.
    #[error("database is read-only after an earlier error: {0}")]
    ReadOnly(String),
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an `std::io::Error` with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A format violation in `file`.
    pub fn corruption(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Corruption {
            file: file.into(),
            reason: reason.into(),
        }
    }

    /// An out-of-range option.
    pub fn invalid_option(
        name: impl Into<String>,
        value: impl std::fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Error::InvalidOption {
            name: name.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// True for errors caused by bad bytes on disk.
    pub fn is_corruption(&self) -> bool {
        matches!(
            self,
            Error::Corruption { .. } | Error::ChecksumMismatch { .. }
        )
    }
}
