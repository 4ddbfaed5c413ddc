//! The write-ahead log: each [`WriteBatch`] is one record of a log file
//! (see [`crate::log`]), appended before the batch reaches the memtable and
//! replayed into a fresh memtable when the database opens.

use std::path::{Path, PathBuf};

use crate::batch::WriteBatch;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::key::{SeqNo, MAX_SEQ};
use crate::log::{read_log, LogWriter};

/// The name of WAL number `number`: `000042.log`.
pub fn wal_file_name(number: u64) -> String {
    format!("{number:06}.log")
}

/// Appends write batches to a WAL file.
pub struct WalWriter {
    path: PathBuf,
    log: LogWriter,
    /// Reused encoding buffer.
    buf: Vec<u8>,
}

impl WalWriter {
    /// Creates (or truncates) the WAL at `path`.
    pub fn create(fs: &dyn Fs, path: &Path) -> Result<WalWriter> {
        Ok(WalWriter {
            path: path.to_path_buf(),
            log: LogWriter::new(fs.create(path)?),
            buf: Vec::new(),
        })
    }

    /// Logs `batch` as one record, its entries numbered from `first_seq`,
    /// and hands it to the operating system before returning: a logged
    /// batch survives a crash of the process (RocksDB's contract without
    /// sync), and is durable against a crash of the machine only after
    /// [`WalWriter::sync`]. A batch whose sequences would
    /// pass [`MAX_SEQ`], or whose encoding exceeds 4 GiB, is refused with
    /// `InvalidArgument` and nothing is written.
    pub fn add(&mut self, first_seq: SeqNo, batch: &WriteBatch) -> Result<()> {
        match first_seq.checked_add((batch.len() as u64).saturating_sub(1)) {
            Some(last) if last <= MAX_SEQ => {}
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "a batch of {} entries from sequence {first_seq} passes the maximum {MAX_SEQ}",
                    batch.len()
                )))
            }
        }
        if u32::try_from(batch.approximate_size()).is_err() {
            return Err(Error::InvalidArgument(format!(
                "a write batch of {} bytes exceeds the 4 GiB WAL record limit",
                batch.approximate_size()
            )));
        }
        self.buf.clear();
        batch.encode_into(first_seq, &mut self.buf);
        self.log.add_record(&self.buf)?;
        self.log.flush()
    }

    /// Makes every logged batch durable.
    pub fn sync(&mut self) -> Result<()> {
        self.log.sync()
    }

    /// Bytes in the file so far.
    pub fn len(&self) -> u64 {
        self.log.len()
    }

    /// True when nothing has been logged.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a WAL held when it was replayed.
#[derive(Debug)]
pub struct WalReplay {
    /// Every complete batch with its first sequence number, in log order.
    pub batches: Vec<(SeqNo, WriteBatch)>,
    /// Bytes of a record cut short at the end of the file (a crash during
    /// the append), which were ignored; 0 when the file ended cleanly.
    pub torn_tail_bytes: u64,
}

/// Reads back the batches of the WAL at `path`.
///
/// A torn last record is skipped and reported in `torn_tail_bytes`; a
/// damaged complete record, or one that does not decode as a batch, is a
/// corruption error naming the file.
pub fn replay_wal(fs: &dyn Fs, path: &Path) -> Result<WalReplay> {
    let contents = read_log(fs, path)?;
    let batches = contents
        .records
        .iter()
        .map(|record| WriteBatch::decode(record, path))
        .collect::<Result<Vec<_>>>()?;
    Ok(WalReplay {
        batches,
        torn_tail_bytes: contents.torn_tail_bytes,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::fs::{is_injected_fault, DiskFs, FaultFs, FaultOp, FaultRule, FileKind, MemFs};
    use crate::log::HEADER_LEN;

    fn batch(tag: u8, entries: usize) -> WriteBatch {
        let mut b = WriteBatch::new();
        for i in 0..entries {
            let key = [tag, i as u8];
            match i % 3 {
                0 => b.put(&key, &[tag; 10]),
                1 => b.delete(&key),
                _ => b.put_with_expiry(&key, b"ttl", 1_000 + i as u64),
            }
        }
        b
    }

    /// Three batches with sequences 1, 4 and 9; returns them and the offset
    /// where the last record starts.
    fn write_three(fs: &dyn Fs, path: &Path) -> (Vec<(SeqNo, WriteBatch)>, u64) {
        let batches = vec![(1, batch(1, 3)), (4, batch(2, 5)), (9, batch(3, 4))];
        let mut w = WalWriter::create(fs, path).unwrap();
        let mut last_start = 0;
        for (seq, b) in &batches {
            last_start = w.len();
            w.add(*seq, b).unwrap();
        }
        w.sync().unwrap();
        (batches, last_start)
    }

    #[test]
    fn file_names_are_zero_padded_wal_files() {
        assert_eq!(wal_file_name(7), "000007.log");
        assert_eq!(wal_file_name(1_234_567), "1234567.log");
        assert_eq!(FileKind::of(Path::new(&wal_file_name(3))), FileKind::Wal);
    }

    #[test]
    fn replay_returns_every_batch_in_order_and_counts_wal_bytes() {
        let fs = MemFs::new();
        let p = Path::new("/db").join(wal_file_name(1));
        let (batches, _) = write_three(&fs, &p);
        let replay = replay_wal(&fs, &p).unwrap();
        assert_eq!(&replay.batches, &batches);
        assert_eq!(replay.torn_tail_bytes, 0);
        let size = fs.file_size(&p).unwrap();
        let stats = fs.stats();
        assert_eq!(stats.wal.bytes_written, size);
        assert_eq!(stats.wal.bytes_read, size);
        let payloads: usize = batches.iter().map(|(_, b)| b.approximate_size()).sum();
        assert_eq!(size as usize, payloads + 3 * HEADER_LEN);
    }

    #[test]
    fn a_cut_anywhere_in_the_last_record_leaves_the_earlier_batches() {
        let fs = MemFs::new();
        let p = Path::new("/db/000002.log");
        let (batches, last_start) = write_three(&fs, p);
        let full = fs.file_size(p).unwrap();
        for cut in last_start..full {
            write_three(&fs, p);
            fs.truncate(p, cut as usize).unwrap();
            let replay = replay_wal(&fs, p).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
            assert_eq!(&replay.batches, &batches[..2]);
            assert_eq!(replay.torn_tail_bytes, cut - last_start, "cut at {cut}");
        }
    }

    #[test]
    fn a_flipped_byte_in_a_middle_record_is_corruption_naming_the_file() {
        let fs = MemFs::new();
        let p = Path::new("/db/000003.log");
        let mut w = WalWriter::create(&fs, p).unwrap();
        w.add(1, &batch(1, 2)).unwrap();
        let middle = w.len() as usize;
        w.add(3, &batch(2, 6)).unwrap();
        let end = w.len() as usize;
        w.add(9, &batch(3, 1)).unwrap();
        w.sync().unwrap();
        let clean = fs.read_all(p).unwrap();
        for (i, &byte) in clean.iter().enumerate().take(end).skip(middle) {
            fs.overwrite(p, i, &[byte ^ 0x01]).unwrap();
            let e = replay_wal(&fs, p).unwrap_err();
            assert!(e.is_corruption(), "byte {i}: {e}");
            assert!(e.to_string().contains("000003.log"), "byte {i}: {e}");
            fs.overwrite(p, i, &[byte]).unwrap();
        }
        assert_eq!(replay_wal(&fs, p).unwrap().batches.len(), 3);
    }

    #[test]
    fn a_well_framed_record_that_is_not_a_batch_is_corruption() {
        let fs = MemFs::new();
        let p = Path::new("/db/000004.log");
        let mut log = LogWriter::new(fs.create(p).unwrap());
        log.add_record(&batch(1, 2).encode(1)).unwrap();
        log.add_record(b"not a batch").unwrap();
        log.sync().unwrap();
        let e = replay_wal(&fs, p).unwrap_err();
        assert!(
            matches!(&e, Error::Corruption { file, .. } if file == p),
            "{e}"
        );
    }

    #[test]
    fn a_torn_append_is_a_torn_tail_after_a_crash() {
        let mem = MemFs::new();
        let fs = FaultFs::new(Arc::new(mem.clone()));
        let p = Path::new("/db/000005.log");
        let mut w = WalWriter::create(&fs, p).unwrap();
        w.add(1, &batch(1, 4)).unwrap();
        w.sync().unwrap();
        fs.arm(FaultRule::new(FaultOp::Write, 0).on(FileKind::Wal).torn(20));
        let e = w.add(5, &batch(2, 4)).unwrap_err();
        assert!(is_injected_fault(&e), "{e}");
        let replay = replay_wal(&fs, p).unwrap();
        assert_eq!(&replay.batches, &[(1, batch(1, 4))]);
        assert_eq!(replay.torn_tail_bytes, 20);
        mem.crash();
        let replay = replay_wal(&fs, p).unwrap();
        assert_eq!(replay.batches.len(), 1);
        assert_eq!(replay.torn_tail_bytes, 0);
    }

    #[test]
    fn round_trips_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let fs = DiskFs::new();
        let p = dir.path().join(wal_file_name(6));
        let (batches, last_start) = write_three(&fs, &p);
        assert_eq!(&replay_wal(&fs, &p).unwrap().batches, &batches);
        let fault = FaultFs::new(Arc::new(fs));
        fault.truncate(&p, last_start + 3).unwrap();
        let replay = replay_wal(&fault, &p).unwrap();
        assert_eq!(&replay.batches, &batches[..2]);
        assert_eq!(replay.torn_tail_bytes, 3);
    }

    #[test]
    fn sequence_overflow_is_refused_before_logging() {
        let fs = MemFs::new();
        let mut w = WalWriter::create(&fs, Path::new("/db/000008.log")).unwrap();
        let e = w.add(MAX_SEQ, &batch(1, 2)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        assert!(w.is_empty());
        w.add(MAX_SEQ - 1, &batch(1, 2)).unwrap();
        assert!(!w.is_empty());
    }
}
