//! The size limits of every file the lab reads (spec files, result and
//! baseline CSVs, shard manifests) and the bounded reader that enforces
//! them, so a runaway input (`/dev/zero`, a multi-GB file given by
//! mistake) is refused after reading at most the limit, with an error
//! naming the file and the limit, instead of exhausting memory.
//!
//! Trace files have their own per-line and per-record limits in the
//! workloads crate; `serve` caps its request lines in `serve`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{LabError, Result};

/// The largest spec file: specs are hand-written, a few KiB.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;
/// The largest runs.csv, timeline.csv or baseline: 100,000 runs (the
/// largest grid) of a few KiB each, with room to spare.
pub const MAX_CSV_BYTES: u64 = 4 << 30;
/// The longest line of a CSV file the lab reads.
pub const MAX_CSV_LINE_BYTES: u64 = 1 << 20;
/// The largest shard manifest.json (it lists the shard's run ids).
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// A reader that fails with `InvalidData` once more than `max_total` bytes
/// were read, or a line grows past `max_line` bytes.
pub struct Bounded<R> {
    inner: R,
    read: u64,
    max_total: u64,
    line: u64,
    line_number: u64,
    max_line: u64,
}

impl<R: Read> Bounded<R> {
    /// Wraps `inner`; `max_line` is `u64::MAX` for inputs without lines.
    pub fn new(inner: R, max_total: u64, max_line: u64) -> Self {
        Bounded {
            inner,
            read: 0,
            max_total,
            line: 0,
            line_number: 1,
            max_line,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max_total {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "larger than the limit of {} bytes for this kind of file",
                    self.max_total
                ),
            ));
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                self.line = 0;
                self.line_number += 1;
            } else {
                self.line += 1;
                if self.line > self.max_line {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "line {} is longer than the limit of {} bytes",
                            self.line_number, self.max_line
                        ),
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// Opens `path` for reading through a [`Bounded`] reader.
pub fn open_bounded(path: &Path, max_total: u64, max_line: u64) -> Result<Bounded<File>> {
    let file = File::open(path).map_err(|e| LabError::io(path, e))?;
    Ok(Bounded::new(file, max_total, max_line))
}

/// Reads a whole text file of at most `max` bytes; the error names the file
/// and the limit (or says it is not UTF-8).
pub fn read_text(path: &Path, max: u64) -> Result<String> {
    let mut bytes = Vec::new();
    open_bounded(path, max, u64::MAX)?
        .read_to_end(&mut bytes)
        .map_err(|e| LabError::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        LabError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "stream did not contain valid UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_input_is_refused_at_the_limit() {
        let mut out = Vec::new();
        let err = Bounded::new(std::io::repeat(b'x'), 1 << 30, 1000)
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("line 1 is longer than the limit of 1000 bytes"));
        assert!(out.len() < 1 << 20, "stopped early: {} bytes", out.len());
        let err = Bounded::new(std::io::repeat(b'\n'), 5000, u64::MAX)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("limit of 5000 bytes"), "{err}");
    }

    #[test]
    fn inputs_within_the_limits_read_whole() {
        let text = "a,b\n1,2\n".repeat(100);
        let mut out = String::new();
        Bounded::new(text.as_bytes(), text.len() as u64, 3)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }
}
