//! WAL reader: bytes as a WAL file (raw), as records framed with valid
//! checksums (so the batch decoder sees arbitrary payloads), possibly cut
//! short, and as a single batch payload. Replay returns batches or an
//! error; it never panics.

#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::batch::WriteBatch;
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::log::{parse_log, LogWriter};
use lsmlab_engine::wal::replay_wal;

fn replay(fs: &MemFs, path: &Path) {
    if let Ok(r) = replay_wal(fs, path) {
        for (_, b) in &r.batches {
            for (kind, k, v) in b.iter() {
                let _ = (kind, k.len(), v.len());
            }
            let _ = (b.user_bytes(), b.approximate_size());
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let path = Path::new("/fuzz/000001.log");
    match mode % 3 {
        0 => {
            let fs = common::mem_with(path, bytes);
            replay(&fs, path);
            let _ = parse_log(path.to_path_buf(), bytes);
        }
        1 => {
            let fs = MemFs::new();
            let mut log = LogWriter::new(fs.create(path).expect("create in memory"));
            let (&cut, rest) = bytes.split_first().unwrap_or((&0, &[]));
            for r in common::records(rest) {
                log.add_record(r).expect("append in memory");
            }
            log.sync().expect("sync in memory");
            drop(log);
            // A torn tail: cut up to 255 bytes off the end.
            let len = fs.file_size(path).expect("exists") as usize;
            fs.truncate(path, len.saturating_sub(usize::from(cut) % 16))
                .expect("truncate in memory");
            replay(&fs, path);
        }
        _ => {
            let _ = WriteBatch::decode(bytes, path);
        }
    }
});
