//! Writes one blob file: header, records, footer, sync.

use std::path::{Path, PathBuf};

use super::format::{blob_file_name, BlobRef, FOOTER_MAGIC, HEADER_MAGIC};
use super::garbage::BlobFileMeta;
use crate::coding::masked_crc;
use crate::error::{Error, Result};
use crate::fs::{Fs, WritableFile};

/// A blob file being written. Nothing references it until [`finish`]
/// returned and the manifest recorded it.
///
/// [`finish`]: BlobWriter::finish
pub struct BlobWriter {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    number: u64,
    blobs: u64,
    value_bytes: u64,
    record: Vec<u8>,
}

impl BlobWriter {
    /// Creates `dir/NNNNNN.blob` and writes its header.
    pub fn create(fs: &dyn Fs, dir: &Path, number: u64) -> Result<BlobWriter> {
        let path = dir.join(blob_file_name(number));
        let mut file = fs.create(&path)?;
        let mut header = Vec::with_capacity(super::format::HEADER_LEN);
        header.extend_from_slice(HEADER_MAGIC);
        header.extend_from_slice(&number.to_le_bytes());
        file.append(&header)?;
        Ok(BlobWriter {
            file,
            path,
            number,
            blobs: 0,
            value_bytes: 0,
            record: Vec::new(),
        })
    }

    /// The file's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.file.len()
    }

    /// True before the header is written (never, once created).
    pub fn is_empty(&self) -> bool {
        self.file.len() == 0
    }

    /// Appends the value of `user_key` and returns where it lives.
    pub fn add(&mut self, user_key: &[u8], value: &[u8]) -> Result<BlobRef> {
        let too_long = |what: &str, n: usize| {
            Error::InvalidArgument(format!(
                "{}: {what} of {n} bytes does not fit a blob record (at most 4 GiB - 1)",
                self.path.display()
            ))
        };
        let key_len = u32::try_from(user_key.len()).map_err(|_| too_long("key", user_key.len()))?;
        let value_len = u32::try_from(value.len()).map_err(|_| too_long("value", value.len()))?;
        let offset = self.file.len();
        self.record.clear();
        self.record.extend_from_slice(&key_len.to_le_bytes());
        self.record.extend_from_slice(&value_len.to_le_bytes());
        self.record.extend_from_slice(user_key);
        self.record.extend_from_slice(value);
        let crc = masked_crc(&self.record);
        self.record.extend_from_slice(&crc.to_le_bytes());
        self.file.append(&self.record)?;
        self.blobs += 1;
        self.value_bytes += value.len() as u64;
        Ok(BlobRef {
            file: self.number,
            offset,
            size: value.len() as u64,
        })
    }

    /// Writes the footer and syncs the file; returns its metadata.
    pub fn finish(mut self) -> Result<BlobFileMeta> {
        let mut footer = Vec::with_capacity(super::format::FOOTER_LEN);
        footer.extend_from_slice(&self.blobs.to_le_bytes());
        footer.extend_from_slice(&self.value_bytes.to_le_bytes());
        footer.extend_from_slice(FOOTER_MAGIC);
        let crc = masked_crc(&footer);
        footer.extend_from_slice(&crc.to_le_bytes());
        self.file.append(&footer)?;
        self.file.sync()?;
        Ok(BlobFileMeta {
            number: self.number,
            blob_count: self.blobs,
            blob_bytes: self.value_bytes,
            file_size: self.file.len(),
            garbage_count: 0,
            garbage_bytes: 0,
        })
    }
}
