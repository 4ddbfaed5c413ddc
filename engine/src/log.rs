//! Record framing shared by the WAL and the manifest: a file is a sequence of
//! records `[length u32][crc of length u32][crc of payload u32][payload]`
//! (little-endian, masked crc32c).
//!
//! The length has a checksum of its own, so a damaged length is corruption
//! rather than something that looks like a short file. A record cut short by
//! the end of the file is a torn tail (a crash during the append): reading
//! stops there and reports it. Any checksum mismatch is corruption, wherever
//! it is.

use std::path::{Path, PathBuf};

use crate::coding::{get_u32, masked_crc};
use crate::error::{Error, Result};
use crate::fs::{Fs, WritableFile};

/// Bytes of framing before each payload.
pub const HEADER_LEN: usize = 12;

/// Appends framed records to a file.
pub struct LogWriter {
    file: Box<dyn WritableFile>,
    buf: Vec<u8>,
}

impl LogWriter {
    /// Wraps a file open for appending.
    pub fn new(file: Box<dyn WritableFile>) -> Self {
        LogWriter {
            file,
            buf: Vec::new(),
        }
    }

    /// Appends one record (a single `append` call on the file).
    pub fn add_record(&mut self, payload: &[u8]) -> Result<()> {
        let len = u32::try_from(payload.len()).expect("log record over 4 GiB");
        let len_bytes = len.to_le_bytes();
        self.buf.clear();
        self.buf.extend_from_slice(&len_bytes);
        self.buf
            .extend_from_slice(&masked_crc(&len_bytes).to_le_bytes());
        self.buf
            .extend_from_slice(&masked_crc(payload).to_le_bytes());
        self.buf.extend_from_slice(payload);
        self.file.append(&self.buf)
    }

    /// Hands every appended record to the operating system: it then
    /// survives a crash of the process (not of the machine).
    pub fn flush(&mut self) -> Result<()> {
        self.file.flush()
    }

    /// Makes every appended record durable.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync()
    }

    /// Bytes in the file so far.
    pub fn len(&self) -> u64 {
        self.file.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.file.len() == 0
    }
}

/// The records of a log file, read whole.
#[derive(Debug)]
pub struct LogContents {
    /// Payloads of the complete, valid records, in order.
    pub records: Vec<Vec<u8>>,
    /// Bytes at the end that did not form a complete record (a torn tail);
    /// 0 when the file ended cleanly.
    pub torn_tail_bytes: u64,
    /// Length of the valid prefix (where a continuing writer may append).
    pub valid_len: u64,
}

/// Reads every record of `path`.
///
/// Returns `Error::ChecksumMismatch` for a complete record whose checksum is
/// wrong, and a torn tail as `torn_tail_bytes`, never as data.
pub fn read_log(fs: &dyn Fs, path: &Path) -> Result<LogContents> {
    let data = fs.read_all(path)?;
    parse_log(path.to_path_buf(), &data)
}

/// Parses log bytes already in memory (see [`read_log`]).
pub fn parse_log(path: PathBuf, data: &[u8]) -> Result<LogContents> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let (Some(len), Some(len_crc), Some(payload_crc)) = (
            get_u32(data, pos),
            get_u32(data, pos + 4),
            get_u32(data, pos + 8),
        ) else {
            break;
        };
        let got = masked_crc(&data[pos..pos + 4]);
        if got != len_crc {
            return Err(Error::ChecksumMismatch {
                file: path,
                offset: pos as u64,
                expected: len_crc,
                got,
            });
        }
        let start = pos + HEADER_LEN;
        let Some(end) = start.checked_add(len as usize).filter(|&e| e <= data.len()) else {
            break;
        };
        let got = masked_crc(&data[start..end]);
        if got != payload_crc {
            return Err(Error::ChecksumMismatch {
                file: path,
                offset: pos as u64,
                expected: payload_crc,
                got,
            });
        }
        records.push(data[start..end].to_vec());
        pos = end;
    }
    Ok(LogContents {
        records,
        torn_tail_bytes: (data.len() - pos) as u64,
        valid_len: pos as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    fn write(fs: &MemFs, path: &Path, recs: &[&[u8]]) {
        let mut w = LogWriter::new(fs.create(path).unwrap());
        for r in recs {
            w.add_record(r).unwrap();
        }
        w.sync().unwrap();
    }

    #[test]
    fn round_trips_records_including_empty_ones() {
        let fs = MemFs::new();
        let p = Path::new("/d/000001.log");
        write(&fs, p, &[b"one", b"", b"three"]);
        let c = read_log(&fs, p).unwrap();
        assert_eq!(c.records, vec![b"one".to_vec(), vec![], b"three".to_vec()]);
        assert_eq!(c.torn_tail_bytes, 0);
    }

    #[test]
    fn torn_tail_is_reported_not_returned() {
        let fs = MemFs::new();
        let p = Path::new("/d/000001.log");
        write(&fs, p, &[b"one", b"two-two"]);
        let full = fs.file_size(p).unwrap() as usize;
        for cut in (full - 7 - HEADER_LEN + 1)..full {
            let data = fs.read_all(p).unwrap();
            let c = parse_log(p.into(), &data[..cut]).unwrap();
            assert_eq!(c.records, vec![b"one".to_vec()], "cut at {cut}");
            assert_eq!(c.valid_len as usize, 3 + HEADER_LEN);
            assert!(c.torn_tail_bytes > 0);
        }
    }

    #[test]
    fn flipped_byte_in_a_complete_record_is_a_checksum_error() {
        let fs = MemFs::new();
        let p = Path::new("/d/MANIFEST-000001");
        write(&fs, p, &[b"alpha", b"beta"]);
        let len = fs.file_size(p).unwrap() as usize;
        for i in 0..len {
            let mut data = fs.read_all(p).unwrap();
            data[i] ^= 0x40;
            let e = parse_log(p.into(), &data).unwrap_err();
            assert!(e.is_corruption(), "byte {i}: {e}");
            assert!(e.to_string().contains("MANIFEST-000001"), "{e}");
        }
    }
}
