//! Flipped bytes in SSTables and the manifest are reported as corruption
//! naming the file; wrong data is never returned.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{key, small_options, value};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::{Db, Env, Options, VirtualClock};

/// Every live `(key, value)` pair, in key order.
type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn build() -> (MemFs, Env, Options, Pairs) {
    let mem = MemFs::new();
    let env = Env {
        fs: Arc::new(mem.clone()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    let opts = Options {
        auto_compaction: false,
        ..small_options(common::policy("leveled"))
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    for i in 0..60 {
        db.put(&key(i), &value(i, 1, 30)).unwrap();
    }
    db.flush().unwrap();
    let expected = db.scan(b"", None, usize::MAX).unwrap();
    db.close().unwrap();
    (mem, env, opts, expected)
}

#[test]
fn a_flipped_byte_anywhere_in_an_sst_is_reported_never_returned() {
    let (mem, env, opts, expected) = build();
    let sst = mem
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .find(|n| n.ends_with(".sst"))
        .unwrap();
    let path = Path::new("/db").join(&sst);
    let len = mem.file_size(&path).unwrap() as usize;
    for offset in 0..len {
        let original = mem.read_all(&path).unwrap()[offset];
        mem.overwrite(&path, offset, &[original ^ 0x01]).unwrap();
        let outcome = Db::open_with("/db", opts.clone(), env.clone()).and_then(|db| {
            let all = db.scan(b"", None, usize::MAX)?;
            for (k, _) in &expected {
                db.get(k)?;
            }
            Ok(all)
        });
        match outcome {
            Err(e) => {
                assert!(e.is_corruption(), "offset {offset}: {e}");
                assert!(e.to_string().contains(&sst), "offset {offset}: {e}");
            }
            Ok(all) => panic!(
                "offset {offset} of {len}: flipped byte went unnoticed (same data: {})",
                all == expected
            ),
        }
        mem.overwrite(&path, offset, &[original]).unwrap();
    }
}

#[test]
fn a_flipped_byte_anywhere_in_the_manifest_fails_open_naming_it() {
    let (mem, env, opts, _) = build();
    let names = mem.list(Path::new("/db")).unwrap();
    let manifest = names.iter().find(|n| n.starts_with("MANIFEST-")).unwrap();
    let path = Path::new("/db").join(manifest);
    let len = mem.file_size(&path).unwrap() as usize;
    for offset in 0..len {
        let original = mem.read_all(&path).unwrap()[offset];
        mem.overwrite(&path, offset, &[original ^ 0x10]).unwrap();
        let e = Db::open_with("/db", opts.clone(), env.clone())
            .err()
            .unwrap_or_else(|| panic!("offset {offset}: corrupt manifest opened"));
        assert!(e.is_corruption(), "offset {offset}: {e}");
        assert!(
            e.to_string().contains(manifest.as_str()),
            "offset {offset}: {e}"
        );
        mem.overwrite(&path, offset, &[original]).unwrap();
    }
}
