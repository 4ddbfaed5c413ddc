//! Shared by the fuzz targets: input splitting and an in-memory file.

#![allow(dead_code)]

use std::path::Path;

use lsmlab_engine::fs::{Fs, MemFs};

/// Splits `data` into records: each is a length byte then that many bytes
/// (fewer at the end), so the fuzzer controls where records begin.
pub fn records(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let n = usize::from(len).min(rest.len());
        out.push(&rest[..n]);
        data = &rest[n..];
    }
    out
}

/// A file system holding `bytes` at `path`.
pub fn mem_with(path: &Path, bytes: &[u8]) -> MemFs {
    let fs = MemFs::new();
    let mut w = fs.create(path).expect("create in memory");
    w.append(bytes).expect("append in memory");
    w.sync().expect("sync in memory");
    fs
}

/// A scratch file for one fuzz target's inputs, memory-backed when there is
/// a /dev/shm: the file is rewritten for every input.
pub fn scratch_file(name: &str) -> std::path::PathBuf {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("lsmlab-fuzz-{name}-{}", std::process::id()))
}
