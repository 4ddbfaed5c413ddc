//! The merge kernel's value hook: separates large values into blob files,
//! relocates live blobs out of old blob files (garbage collection), and
//! counts each output table's references per blob file.

use std::collections::BTreeMap;
use std::path::Path;

use super::format::{blob_file_name, BlobRef};
use super::garbage::{BlobFileMeta, BlobUse, BlobUses};
use super::reader::BlobSet;
use super::writer::BlobWriter;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::key::{ParsedKey, ValueKind};

/// What a merge does with values.
#[derive(Debug, Clone, Copy)]
pub struct BlobSettings<'a> {
    /// Values of at least this many bytes go to blob files; 0: none do.
    pub min_blob_size: u64,
    /// Start a new blob file once the current one reaches this size.
    pub blob_file_size: u64,
    /// Blobs in files numbered below this are relocated (garbage
    /// collection); `None`: none are.
    pub relocate_below: Option<u64>,
    /// The version's blob files, to read blobs to relocate.
    pub blobs: &'a BlobSet,
}

/// Blob work of one merge.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BlobWriteStats {
    /// Blob files written.
    pub files: u64,
    /// Bytes of blob files written (records, headers, footers).
    pub bytes_written: u64,
    /// Values separated from their keys.
    pub separated: u64,
    /// Live blobs copied out of old blob files.
    pub relocated: u64,
    /// Value bytes read from blob files to relocate them.
    pub relocation_read_bytes: u64,
}

impl std::ops::AddAssign for BlobWriteStats {
    fn add_assign(&mut self, o: Self) {
        self.files += o.files;
        self.bytes_written += o.bytes_written;
        self.separated += o.separated;
        self.relocated += o.relocated;
        self.relocation_read_bytes += o.relocation_read_bytes;
    }
}

/// The per-merge state of value separation.
pub struct BlobSink<'a> {
    settings: BlobSettings<'a>,
    fs: &'a dyn Fs,
    dir: &'a Path,
    writer: Option<BlobWriter>,
    /// Blob files finished.
    pub files: Vec<BlobFileMeta>,
    /// Every blob file created, finished or not (removed on failure).
    created: Vec<u64>,
    /// References of the table being written, per blob file.
    current: BTreeMap<u64, (u64, u64)>,
    /// References per output table: `(table number, uses)`.
    pub table_uses: Vec<(u64, BlobUses)>,
    pub stats: BlobWriteStats,
}

impl<'a> BlobSink<'a> {
    pub fn new(settings: BlobSettings<'a>, fs: &'a dyn Fs, dir: &'a Path) -> BlobSink<'a> {
        BlobSink {
            settings,
            fs,
            dir,
            writer: None,
            files: Vec::new(),
            created: Vec::new(),
            current: BTreeMap::new(),
            table_uses: Vec::new(),
            stats: BlobWriteStats::default(),
        }
    }

    /// For an entry the merge keeps: `Some(BlobIndex)` with the reference
    /// in `out` when the entry is to be written as a (new) reference, `None`
    /// to write it as it is. Either way the reference written is counted
    /// for the current table.
    pub fn map(
        &mut self,
        entry: &ParsedKey<'_>,
        value: &[u8],
        next_file_number: &mut dyn FnMut() -> u64,
        out: &mut Vec<u8>,
    ) -> Result<Option<ValueKind>> {
        match entry.kind {
            ValueKind::Value
                if self.settings.min_blob_size > 0
                    && value.len() as u64 >= self.settings.min_blob_size =>
            {
                let r = self.write(entry.user_key, value, next_file_number)?;
                self.stats.separated += 1;
                out.clear();
                out.extend_from_slice(&r.encode());
                Ok(Some(ValueKind::BlobIndex))
            }
            ValueKind::BlobIndex => {
                let r = BlobRef::decode(value).ok_or_else(|| {
                    Error::corruption(
                        self.dir,
                        "merge input holds a blob reference that does not decode",
                    )
                })?;
                if self.settings.relocate_below.is_some_and(|c| r.file < c) {
                    let v = self
                        .settings
                        .blobs
                        .resolve(self.dir, entry.user_key, value)?;
                    self.stats.relocation_read_bytes += v.len() as u64;
                    let moved = self.write(entry.user_key, &v, next_file_number)?;
                    self.stats.relocated += 1;
                    out.clear();
                    out.extend_from_slice(&moved.encode());
                    Ok(Some(ValueKind::BlobIndex))
                } else {
                    self.count(&r);
                    Ok(None)
                }
            }
            _ => Ok(None),
        }
    }

    fn count(&mut self, r: &BlobRef) {
        let c = self.current.entry(r.file).or_insert((0, 0));
        c.0 += 1;
        c.1 += r.size;
    }

    fn write(
        &mut self,
        user_key: &[u8],
        value: &[u8],
        next_file_number: &mut dyn FnMut() -> u64,
    ) -> Result<BlobRef> {
        if self
            .writer
            .as_ref()
            .is_some_and(|w| w.len() >= self.settings.blob_file_size)
        {
            self.finish_file()?;
        }
        if self.writer.is_none() {
            let number = next_file_number();
            self.created.push(number);
            self.writer = Some(BlobWriter::create(self.fs, self.dir, number)?);
        }
        let r = self
            .writer
            .as_mut()
            .expect("opened above")
            .add(user_key, value)?;
        self.count(&r);
        Ok(r)
    }

    fn finish_file(&mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            let meta = w.finish()?;
            self.stats.files += 1;
            self.stats.bytes_written += meta.file_size;
            self.files.push(meta);
        }
        Ok(())
    }

    /// The table numbered `table` is finished: its references are recorded.
    pub fn end_table(&mut self, table: u64) {
        let uses: BlobUses = std::mem::take(&mut self.current)
            .into_iter()
            .map(|(file, (count, bytes))| BlobUse { file, count, bytes })
            .collect();
        if !uses.is_empty() {
            self.table_uses.push((table, uses));
        }
    }

    /// Finishes the open blob file, if any.
    pub fn finish(&mut self) -> Result<()> {
        self.finish_file()
    }

    /// Removes every blob file this merge created (after a failure).
    pub fn remove_created(&mut self) {
        self.writer = None;
        for n in self.created.drain(..) {
            let _ = self.fs.remove(&self.dir.join(blob_file_name(n)));
        }
    }
}
