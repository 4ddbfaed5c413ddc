//! Blob file reader: bytes as a blob file (raw), and as records written by
//! the blob writer (so the fuzzer controls keys and values) with one byte
//! then overwritten. Open, every record and references read from the input
//! return data or an error, never panic; in the written mode a reference
//! never reads back anything but the value written for its key.

#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::blob::{BlobReader, BlobRef, BlobWriter};
use lsmlab_engine::fs::{Fs, MemFs};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let dir = Path::new("/fuzz");
    let path = dir.join("000007.blob");
    match mode % 2 {
        0 => {
            let fs = common::mem_with(&path, bytes);
            if let Ok(r) = BlobReader::open(&fs, &path, 7) {
                let _ = r.records();
                // References taken from the input's own bytes.
                for chunk in common::records(bytes) {
                    if let Some(br) = BlobRef::decode(chunk) {
                        let _ = r.get(b"key", &br);
                    }
                }
            }
        }
        _ => {
            let (Some((&flip_at, rest)), fs) = (bytes.split_first(), MemFs::new()) else {
                return;
            };
            let mut w = BlobWriter::create(&fs, dir, 7).expect("create in memory");
            let recs = common::records(rest);
            let pairs: Vec<(&[u8], &[u8])> = recs
                .chunks(2)
                .map(|c| (c[0], c.get(1).copied().unwrap_or(&[])))
                .collect();
            let refs: Vec<BlobRef> = pairs
                .iter()
                .map(|(k, v)| w.add(k, v).expect("append in memory"))
                .collect();
            w.finish().expect("finish in memory");
            let len = fs.file_size(&path).expect("exists") as usize;
            let at = usize::from(flip_at) * len / 256;
            let b = fs.read_all(&path).expect("exists")[at];
            fs.overwrite(&path, at, &[b ^ 0x5a]).expect("overwrite in memory");
            if let Ok(r) = BlobReader::open(&fs, &path, 7) {
                for ((k, v), br) in pairs.iter().zip(&refs) {
                    if let Ok(got) = r.get(k, br) {
                        assert_eq!(&got[..], *v, "damaged blob read back as data");
                    }
                }
                let _ = r.records();
            }
        }
    }
});
