//! Manifest decoder: bytes as one version edit, as a raw manifest file,
//! and as edits framed with valid checksums behind a `CURRENT`. Recovery
//! returns a version or an error, never panics, and a version it returns
//! satisfies every invariant.

#![no_main]

mod common;

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::log::LogWriter;
use lsmlab_engine::manifest::{current_file_name, Manifest};
use lsmlab_engine::version::VersionEdit;

const DIR: &str = "/fuzz";

fn recover(fs: MemFs, num_levels: usize) {
    let fs: Arc<dyn Fs> = Arc::new(fs);
    if let Ok((_, version, state)) = Manifest::recover(fs, Path::new(DIR), num_levels, 4096) {
        if let Err(e) = version.check_invariants() {
            panic!("recovered a broken version: {e}");
        }
        let _ = (version.total_bytes(), version.sorted_runs(), state);
    }
}

fn with_current(fs: &MemFs) {
    let mut w = fs
        .create(&Path::new(DIR).join(current_file_name()))
        .expect("create in memory");
    w.append(b"MANIFEST-000001\n").expect("append in memory");
    w.sync().expect("sync in memory");
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let path = Path::new(DIR).join("MANIFEST-000001");
    let num_levels = 2 + usize::from(mode >> 2) % 7;
    match mode % 3 {
        0 => {
            if let Ok(edit) = VersionEdit::decode(bytes, &path) {
                let again = VersionEdit::decode(&edit.encode(), &path).expect("re-decodes");
                assert_eq!(again, edit, "an edit survives encode and decode");
            }
        }
        1 => {
            let fs = common::mem_with(&path, bytes);
            with_current(&fs);
            recover(fs, num_levels);
        }
        _ => {
            let fs = MemFs::new();
            let mut log = LogWriter::new(fs.create(&path).expect("create in memory"));
            for r in common::records(bytes) {
                log.add_record(r).expect("append in memory");
            }
            log.sync().expect("sync in memory");
            drop(log);
            with_current(&fs);
            recover(fs, num_levels);
        }
    }
});
