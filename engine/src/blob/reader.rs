//! Reads one blob file: its header and footer are checked at open, every
//! record's checksum and key when it is read.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::format::{BlobRef, FOOTER_LEN, FOOTER_MAGIC, HEADER_LEN, HEADER_MAGIC, RECORD_OVERHEAD};
use super::garbage::BlobFileMeta;
use crate::coding::{get_u32, masked_crc};
use crate::error::{Error, Result};
use crate::fs::{Fs, RandomAccessFile};

/// One record of a blob file: user key, value, and the reference to it.
pub type BlobRecord = (Vec<u8>, Vec<u8>, BlobRef);

/// An open, finished blob file.
pub struct BlobReader {
    file: Arc<dyn RandomAccessFile>,
    number: u64,
    blob_count: u64,
    blob_bytes: u64,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("path", &self.file.path())
            .field("number", &self.number)
            .finish()
    }
}

impl BlobReader {
    /// Opens `path` and checks its header (magic, file number `number`)
    /// and footer (magic, checksum). Damage is an error naming the file.
    pub fn open(fs: &dyn Fs, path: &Path, number: u64) -> Result<BlobReader> {
        BlobReader::from_file(fs.open(path)?, number)
    }

    /// [`BlobReader::open`] of a file already open.
    pub fn from_file(file: Arc<dyn RandomAccessFile>, number: u64) -> Result<BlobReader> {
        let path = file.path().to_path_buf();
        let bad = |why: String| Error::corruption(&path, format!("blob file: {why}"));
        let len = file.len();
        if len < (HEADER_LEN + FOOTER_LEN) as u64 {
            return Err(bad(format!(
                "{len} bytes, shorter than a header and footer"
            )));
        }
        let header = file.read_at(0, HEADER_LEN)?;
        if &header[..8] != HEADER_MAGIC {
            return Err(bad("bad header magic".into()));
        }
        let stored_number = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        if stored_number != number {
            return Err(bad(format!(
                "header names file {stored_number:06}, expected {number:06}"
            )));
        }
        let footer_at = len - FOOTER_LEN as u64;
        let footer = file.read_at(footer_at, FOOTER_LEN)?;
        let stored = get_u32(&footer, 24).expect("28 bytes");
        let got = masked_crc(&footer[..24]);
        if stored != got {
            return Err(Error::ChecksumMismatch {
                file: path,
                offset: footer_at + 24,
                expected: stored,
                got,
            });
        }
        if &footer[16..24] != FOOTER_MAGIC {
            return Err(bad("bad footer magic (file not finished)".into()));
        }
        let blob_count = u64::from_le_bytes(footer[..8].try_into().expect("8 bytes"));
        let blob_bytes = u64::from_le_bytes(footer[8..16].try_into().expect("8 bytes"));
        let body = footer_at - HEADER_LEN as u64;
        let least = blob_count
            .checked_mul(RECORD_OVERHEAD)
            .and_then(|n| n.checked_add(blob_bytes));
        if least.is_none_or(|n| n > body) {
            return Err(bad(format!(
                "footer claims {blob_count} blobs of {blob_bytes} bytes in {body} bytes of records"
            )));
        }
        Ok(BlobReader {
            file,
            number,
            blob_count,
            blob_bytes,
        })
    }

    /// The file's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Checks the footer's totals against the manifest's record of the file.
    pub fn check_matches(&self, meta: &BlobFileMeta) -> Result<()> {
        if (self.blob_count, self.blob_bytes, self.file.len())
            != (meta.blob_count, meta.blob_bytes, meta.file_size)
        {
            return Err(Error::corruption(
                self.file.path(),
                format!(
                    "blob file holds {} blobs, {} value bytes, {} bytes; the manifest says {}, {}, {}",
                    self.blob_count,
                    self.blob_bytes,
                    self.file.len(),
                    meta.blob_count,
                    meta.blob_bytes,
                    meta.file_size
                ),
            ));
        }
        Ok(())
    }

    /// The value `r` points at, which must be the value of `user_key`:
    /// the record's lengths, key and checksum are checked.
    pub fn get(&self, user_key: &[u8], r: &BlobRef) -> Result<Vec<u8>> {
        let path = self.file.path();
        let bad = |why: String| Error::corruption(path, format!("blob file: {why}"));
        if r.file != self.number {
            return Err(bad(format!(
                "reference to file {:06} read from file {:06}",
                r.file, self.number
            )));
        }
        let end = self.file.len() - FOOTER_LEN as u64;
        let len = r.record_len(user_key.len());
        if r.offset < HEADER_LEN as u64 || r.offset.checked_add(len).is_none_or(|e| e > end) {
            return Err(bad(format!(
                "reference to {} bytes at offset {} lies outside the records",
                len, r.offset
            )));
        }
        let rec = self.file.read_at(r.offset, len as usize)?;
        let (record, value) = parse_record(&rec).ok_or_else(|| {
            bad(format!(
                "record at offset {} has inconsistent lengths",
                r.offset
            ))
        })?;
        let stored = get_u32(&rec, rec.len() - 4).expect("checked length");
        let got = masked_crc(&rec[..rec.len() - 4]);
        if stored != got {
            return Err(Error::ChecksumMismatch {
                file: path.to_path_buf(),
                offset: r.offset,
                expected: stored,
                got,
            });
        }
        if record != user_key || value.len() as u64 != r.size {
            return Err(bad(format!(
                "record at offset {} is not the value of the key it was read for",
                r.offset
            )));
        }
        Ok(value.to_vec())
    }

    /// Every record in file order as `(user key, value, reference)`,
    /// checked; an error at the first damaged one.
    pub fn records(&self) -> Result<Vec<BlobRecord>> {
        let path = self.file.path();
        let end = self.file.len() - FOOTER_LEN as u64;
        let mut out = Vec::new();
        let mut at = HEADER_LEN as u64;
        while at < end {
            if end - at < RECORD_OVERHEAD {
                return Err(Error::corruption(
                    path,
                    format!("blob file: truncated record at offset {at}"),
                ));
            }
            let lens = self.file.read_at(at, 8)?;
            let key_len = u64::from(get_u32(&lens, 0).expect("8 bytes"));
            let value_len = u64::from(get_u32(&lens, 4).expect("8 bytes"));
            if RECORD_OVERHEAD + key_len + value_len > end - at {
                return Err(Error::corruption(
                    path,
                    format!("blob file: record at offset {at} runs past the records"),
                ));
            }
            let r = BlobRef {
                file: self.number,
                offset: at,
                size: value_len,
            };
            let key = self.file.read_at(at + 8, key_len as usize)?;
            let value = self.get(&key, &r)?;
            out.push((key.into_vec(), value, r));
            at += r.record_len(key_len as usize);
        }
        if out.len() as u64 != self.blob_count
            || out.iter().map(|r| r.1.len() as u64).sum::<u64>() != self.blob_bytes
        {
            return Err(Error::corruption(
                path,
                format!(
                    "blob file: {} records, the footer says {}",
                    out.len(),
                    self.blob_count
                ),
            ));
        }
        Ok(out)
    }
}

/// Splits a record into key and value; `None` when its lengths do not add
/// up to its size.
fn parse_record(rec: &[u8]) -> Option<(&[u8], &[u8])> {
    let key_len = get_u32(rec, 0)? as usize;
    let value_len = get_u32(rec, 4)? as usize;
    if (RECORD_OVERHEAD as usize)
        .checked_add(key_len)?
        .checked_add(value_len)?
        != rec.len()
    {
        return None;
    }
    let key = &rec[8..8 + key_len];
    Some((key, &rec[8 + key_len..8 + key_len + value_len]))
}

/// The open blob files of one version, shared by readers without the
/// database lock: a file deleted after a reader took the set stays
/// readable through its open handle.
#[derive(Debug, Default, Clone)]
pub struct BlobSet {
    files: HashMap<u64, Arc<BlobReader>>,
}

impl BlobSet {
    /// Adds an open file.
    pub fn insert(&mut self, reader: Arc<BlobReader>) {
        self.files.insert(reader.number(), reader);
    }

    /// Forgets file `number`.
    pub fn remove(&mut self, number: u64) {
        self.files.remove(&number);
    }

    /// True when the set holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The value a `BlobIndex` entry of `user_key` stands for, from its
    /// stored reference bytes. `dir` names the database in errors.
    pub fn resolve(&self, dir: &Path, user_key: &[u8], stored: &[u8]) -> Result<Vec<u8>> {
        let r = BlobRef::decode(stored)
            .ok_or_else(|| Error::corruption(dir, "a blob reference does not decode"))?;
        let reader = self.files.get(&r.file).ok_or_else(|| {
            Error::corruption(
                dir,
                format!(
                    "a blob reference names blob file {:06}, which the version does not hold",
                    r.file
                ),
            )
        })?;
        reader.get(user_key, &r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::writer::BlobWriter;
    use crate::fs::MemFs;
    use proptest::prelude::*;

    type Records = Vec<(Vec<u8>, Vec<u8>)>;

    fn write(fs: &MemFs, records: &Records) -> (Vec<BlobRef>, BlobFileMeta) {
        let mut w = BlobWriter::create(fs, Path::new("/b"), 7).unwrap();
        let refs = records.iter().map(|(k, v)| w.add(k, v).unwrap()).collect();
        (refs, w.finish().unwrap())
    }

    fn records() -> impl Strategy<Value = Records> {
        proptest::collection::vec(
            (
                proptest::collection::vec(any::<u8>(), 0..12),
                proptest::collection::vec(any::<u8>(), 0..300),
            ),
            1..20,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn every_record_reads_back_through_its_reference(recs in records()) {
            let fs = MemFs::new();
            let (refs, meta) = write(&fs, &recs);
            let r = BlobReader::open(&fs, Path::new("/b/000007.blob"), 7).unwrap();
            r.check_matches(&meta).unwrap();
            for ((k, v), br) in recs.iter().zip(&refs) {
                prop_assert_eq!(&r.get(k, br).unwrap(), v);
                // Another key through the same reference is refused.
                let mut other = k.clone();
                other.push(0);
                prop_assert!(r.get(&other, br).is_err());
            }
            let all = r.records().unwrap();
            prop_assert_eq!(all.len(), recs.len());
            for ((k, v, br), ((k2, v2), br2)) in all.iter().zip(recs.iter().zip(&refs)) {
                prop_assert_eq!((k, v, br), (k2, v2, br2));
            }
            // The wrong file number is refused at open.
            prop_assert!(BlobReader::open(&fs, Path::new("/b/000007.blob"), 8).is_err());
        }

        #[test]
        fn a_flipped_bit_is_an_error_never_other_data(
            recs in records(), at in any::<prop::sample::Index>(), bit in 0u8..8,
        ) {
            let fs = MemFs::new();
            let (refs, _) = write(&fs, &recs);
            let path = Path::new("/b/000007.blob");
            let len = fs.file_size(path).unwrap() as usize;
            let offset = at.index(len);
            let b = fs.read_all(path).unwrap()[offset];
            fs.overwrite(path, offset, &[b ^ (1 << bit)]).unwrap();
            let Ok(r) = BlobReader::open(&fs, path, 7) else {
                return Ok(());
            };
            let mut errors = 0;
            for ((k, v), br) in recs.iter().zip(&refs) {
                match r.get(k, br) {
                    Ok(got) => prop_assert_eq!(&got, v),
                    Err(e) => {
                        prop_assert!(e.is_corruption(), "{}", e);
                        errors += 1;
                    }
                }
            }
            prop_assert_eq!(errors, 1, "the flipped record, and only it, fails");
            prop_assert!(r.records().is_err());
        }

        #[test]
        fn arbitrary_bytes_open_and_read_without_panicking(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            offset in 0u64..300, size in 0u64..300,
        ) {
            let fs = MemFs::new();
            let path = Path::new("/b/000007.blob");
            let mut f = fs.create(path).unwrap();
            f.append(&bytes).unwrap();
            drop(f);
            if let Ok(r) = BlobReader::open(&fs, path, 7) {
                let _ = r.records();
                let _ = r.get(b"k", &BlobRef { file: 7, offset, size });
            }
        }
    }
}
