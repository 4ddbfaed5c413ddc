//! The lab's error type: every message names the file (and, where known, the
//! line and key or column) the problem is in.

use std::path::{Path, PathBuf};

/// What went wrong in the lab library (spec parsing, result files, outputs).
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A sweep spec is not valid TOML, has an unknown key, a value of the wrong
    /// type or out of range.
    #[error("{}", spec_message(file, *line, key, message))]
    Spec {
        file: String,
        /// 1-based line of the offending key or value, when known.
        line: Option<usize>,
        /// The key as written in the spec (e.g. `engine.l0_file_limit`), empty
        /// for errors that have none (a TOML syntax error).
        key: String,
        message: String,
    },
    /// A results or timeline CSV file cannot be read or is malformed.
    #[error("{}", csv_message(file, *line, column.as_deref(), message))]
    Csv {
        file: PathBuf,
        /// 1-based line in the file, when known.
        line: Option<u64>,
        column: Option<String>,
        message: String,
    },
    /// Two result files (or two rows) hold the same run id.
    #[error("run `{run_id}` appears twice: in {} and in {}", first.display(), second.display())]
    DuplicateRun {
        run_id: String,
        first: PathBuf,
        second: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An output (plot, notebook) could not be produced.
    #[error("{}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    /// A command-line style argument (a tolerance, a shard) is invalid.
    #[error("{0}")]
    InvalidArgument(String),
}

/// Shorthand for results in the lab library.
pub type Result<T> = std::result::Result<T, LabError>;

impl LabError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LabError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn output(path: impl Into<PathBuf>, message: impl ToString) -> Self {
        LabError::Output {
            path: path.into(),
            message: message.to_string(),
        }
    }
}

fn spec_message(file: &str, line: Option<usize>, key: &str, message: &str) -> String {
    let at = match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    };
    if key.is_empty() {
        format!("{at}: {message}")
    } else {
        format!("{at}: `{key}`: {message}")
    }
}

fn csv_message(file: &Path, line: Option<u64>, column: Option<&str>, message: &str) -> String {
    let mut out = file.display().to_string();
    if let Some(line) = line {
        out.push_str(&format!(":{line}"));
    }
    if let Some(column) = column {
        out.push_str(&format!(": column `{column}`"));
    }
    out.push_str(": ");
    out.push_str(message);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_error_names_file_line_and_key() {
        let err = LabError::Spec {
            file: "specs/x.toml".into(),
            line: Some(7),
            key: "engine.l0_file_limit".into(),
            message: "must be at least 1".into(),
        };
        assert_eq!(
            err.to_string(),
            "specs/x.toml:7: `engine.l0_file_limit`: must be at least 1"
        );
    }

    #[test]
    fn csv_error_names_file_line_and_column() {
        let err = LabError::Csv {
            file: "runs.csv".into(),
            line: Some(3),
            column: Some("write_amp".into()),
            message: "not a number: `x`".into(),
        };
        assert_eq!(
            err.to_string(),
            "runs.csv:3: column `write_amp`: not a number: `x`"
        );
    }
}
