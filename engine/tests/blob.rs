//! Value separation end to end: values of at least `min_blob_size` bytes
//! live in blob files, read back through every path and after reopening;
//! damaged or missing blob files are reported, never read as data; blob
//! garbage collection and dropped tables empty blob files, which are then
//! deleted.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{key, small_options, value};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::{Db, Env, Options, VirtualClock};

fn env(mem: &MemFs) -> Env {
    Env {
        fs: Arc::new(mem.clone()),
        clock: Arc::new(VirtualClock::new(0)),
    }
}

fn blob_files(mem: &MemFs) -> Vec<String> {
    let mut v: Vec<String> = mem
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(".blob"))
        .collect();
    v.sort();
    v
}

fn separated(policy: &str) -> Options {
    Options {
        min_blob_size: 100,
        blob_file_size: 8 << 10,
        ..small_options(common::policy(policy))
    }
}

/// Values of 50 and 150 bytes alternately.
fn fill(db: &Db, keys: u64, version: u64) {
    for i in 0..keys {
        let len = if i % 2 == 0 { 50 } else { 150 };
        db.put(&key(i), &value(i, version, len)).unwrap();
    }
}

#[test]
fn large_values_live_in_blob_files_and_read_back_after_reopen() {
    let mem = MemFs::new();
    let opts = separated("leveled");
    let db = Db::open_with("/db", opts.clone(), env(&mem)).unwrap();
    fill(&db, 400, 1);
    db.flush().unwrap();
    db.compact().unwrap();
    let all = db.scan(b"", None, usize::MAX).unwrap();
    assert_eq!(all.len(), 400);
    for (i, (k, v)) in all.iter().enumerate() {
        assert_eq!(k, &key(i as u64));
        assert_eq!(v.len(), if i % 2 == 0 { 50 } else { 150 });
        assert_eq!(db.get(k).unwrap().as_ref(), Some(v));
    }
    let s = db.stats();
    assert_eq!(s.blob.separated, 200, "only the 150-byte values");
    assert!(s.blob.bytes_written >= 200 * 150);
    // The tables hold references, not the large values.
    let v = db.version();
    assert!(
        v.total_bytes() < 200 * 150,
        "{} table bytes",
        v.total_bytes()
    );
    assert!(v.blob_bytes() >= 200 * 150);
    assert!(!blob_files(&mem).is_empty());
    // A lookup of a separated value reads the blob too.
    let (_, cost) = db.get_with_stats(&key(1)).unwrap();
    assert_eq!(cost.blob_reads, 1);
    let (_, cost) = db.get_with_stats(&key(0)).unwrap();
    assert_eq!(cost.blob_reads, 0);
    let (_, scan) = db.scan_with_stats(&key(0), None, 10).unwrap();
    let (_, inline_only) = {
        let plain = Db::open_with(
            "/plain",
            small_options(common::policy("leveled")),
            env(&mem),
        )
        .unwrap();
        fill(&plain, 400, 1);
        plain.flush().unwrap();
        plain.compact().unwrap();
        plain.scan_with_stats(&key(0), None, 10).unwrap()
    };
    assert!(
        scan.blocks_read >= 5,
        "five of ten values read from blob files: {scan:?} vs {inline_only:?}"
    );
    drop(db);
    mem.crash();
    let db = Db::open_with("/db", opts, env(&mem)).unwrap();
    assert_eq!(db.scan(b"", None, usize::MAX).unwrap(), all);
    db.version().check_invariants().unwrap();
}

#[test]
fn without_min_blob_size_no_blob_file_is_written() {
    let mem = MemFs::new();
    let db = Db::open_with("/db", small_options(common::policy("leveled")), env(&mem)).unwrap();
    fill(&db, 400, 1);
    db.flush().unwrap();
    db.compact().unwrap();
    assert!(blob_files(&mem).is_empty());
    assert_eq!(db.stats().blob, Default::default());
}

#[test]
fn a_flipped_byte_anywhere_in_a_blob_file_is_reported_never_returned() {
    let mem = MemFs::new();
    let opts = Options {
        auto_compaction: false,
        blob_file_size: 1 << 20,
        ..separated("leveled")
    };
    let db = Db::open_with("/db", opts.clone(), env(&mem)).unwrap();
    fill(&db, 20, 1);
    db.flush().unwrap();
    let expected = db.scan(b"", None, usize::MAX).unwrap();
    db.close().unwrap();
    let files = blob_files(&mem);
    assert_eq!(files.len(), 1);
    let path = Path::new("/db").join(&files[0]);
    let len = mem.file_size(&path).unwrap() as usize;
    for offset in 0..len {
        let original = mem.read_all(&path).unwrap()[offset];
        mem.overwrite(&path, offset, &[original ^ 0x10]).unwrap();
        let outcome = Db::open_with("/db", opts.clone(), env(&mem)).and_then(|db| {
            let all = db.scan(b"", None, usize::MAX)?;
            for (k, _) in &expected {
                db.get(k)?;
            }
            Ok(all)
        });
        match outcome {
            Err(e) => {
                assert!(e.is_corruption(), "offset {offset}: {e}");
                assert!(e.to_string().contains(&files[0]), "offset {offset}: {e}");
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
fn a_missing_blob_file_fails_the_open_naming_it_and_an_unreferenced_one_is_deleted() {
    let mem = MemFs::new();
    let opts = separated("leveled");
    let db = Db::open_with("/db", opts.clone(), env(&mem)).unwrap();
    fill(&db, 100, 1);
    db.flush().unwrap();
    db.close().unwrap();
    let files = blob_files(&mem);
    let path = Path::new("/db").join(&files[0]);
    let bytes = mem.read_all(&path).unwrap();
    mem.remove(&path).unwrap();
    let Err(err) = Db::open_with("/db", opts.clone(), env(&mem)) else {
        panic!("opened without {}", files[0]);
    };
    assert!(err.to_string().contains(&files[0]), "{err}");
    // Put back, plus a blob file no manifest names (a job that never
    // installed): the open deletes the stray one only.
    let mut w = mem.create(&path).unwrap();
    w.append(&bytes).unwrap();
    w.sync().unwrap();
    drop(w);
    let stray = Path::new("/db").join("999999.blob");
    mem.create(&stray).unwrap().sync().unwrap();
    let db = Db::open_with("/db", opts, env(&mem)).unwrap();
    assert!(!mem.exists(&stray));
    assert_eq!(blob_files(&mem), files);
    assert_eq!(db.scan(b"", None, usize::MAX).unwrap().len(), 100);
}

/// Overwrites every key `rounds` times and compacts; returns the blob
/// bytes left and the database's stats. Every value read is the last one
/// written to its key.
fn overwrite_rounds(opts: Options, rounds: u64) -> (u64, lsmlab_engine::db::EngineStats) {
    let mem = MemFs::new();
    let db = Db::open_with("/db", opts, env(&mem)).unwrap();
    for round in 0..rounds {
        fill(&db, 300, round);
        db.flush().unwrap();
        db.compact().unwrap();
    }
    let v = db.version();
    v.check_invariants().unwrap();
    let pairs = db.scan(b"", None, usize::MAX).unwrap();
    assert!(!pairs.is_empty());
    for (k, val) in &pairs {
        let i = (0..300).find(|&i| &key(i) == k).unwrap();
        assert_eq!(val, &value(i, rounds - 1, val.len()));
    }
    // Every blob file on disk is one the version holds.
    assert_eq!(blob_files(&mem).len(), v.blob_files().len());
    (v.blob_bytes(), db.stats())
}

#[test]
fn garbage_collection_relocates_old_blobs_and_deletes_emptied_files() {
    let live = 150 * 150;
    let (kept_without_gc, _) = overwrite_rounds(separated("size-tiered"), 12);
    let gc = Options {
        enable_blob_garbage_collection: true,
        blob_garbage_collection_age_cutoff: 0.5,
        blob_garbage_collection_force_threshold: 0.5,
        ..separated("size-tiered")
    };
    let (kept_with_gc, stats) = overwrite_rounds(gc, 12);
    assert!(stats.blob.relocated > 0, "{:?}", stats.blob);
    assert!(stats.blob_files_deleted > 0);
    assert!(
        kept_with_gc < kept_without_gc,
        "GC keeps {kept_with_gc} blob bytes, none {kept_without_gc}"
    );
    assert!(
        kept_with_gc < 4 * live,
        "{kept_with_gc} blob bytes for {live} live"
    );
}

#[test]
fn forced_garbage_collection_rewrites_tables_no_compaction_would_touch() {
    // One blob file holds every key; after half the keys are overwritten
    // and merged down, half of it is garbage and the tables of the other
    // half are never compacted again: only a forced collection (the policy
    // having nothing to do) frees the file.
    let mem = MemFs::new();
    let opts = Options {
        min_blob_size: 100,
        blob_file_size: 1 << 20,
        enable_blob_garbage_collection: true,
        blob_garbage_collection_age_cutoff: 0.5,
        blob_garbage_collection_force_threshold: 0.4,
        write_buffer_size: 1 << 20,
        l0_file_limit: 8,
        l0_slowdown_limit: 20,
        l0_stop_limit: 36,
        l1_base_bytes: 1 << 20,
        ..small_options(common::policy("leveled"))
    };
    let db = Db::open_with("/db", opts, env(&mem)).unwrap();
    for i in 0..300 {
        db.put(&key(i), &value(i, 0, 150)).unwrap();
    }
    db.flush().unwrap();
    db.compact_level(0).unwrap();
    db.compact_level(1).unwrap();
    let first = *db.version().blob_files().keys().next().unwrap();
    assert_eq!(db.version().blob_files().len(), 1);
    assert!(db.version().files(2).len() >= 2, "{}", db.version());
    for i in 0..150 {
        db.put(&key(i), &value(i, 1, 150)).unwrap();
    }
    db.flush().unwrap();
    db.compact_level(0).unwrap();
    db.compact_level(1).unwrap();
    db.compact().unwrap();
    let s = db.stats();
    assert!(
        s.jobs_by_reason.get("blob_gc").is_some_and(|&n| n > 0),
        "{:?}",
        s.jobs_by_reason
    );
    let v = db.version();
    v.check_invariants().unwrap();
    assert!(!v.blob_files().contains_key(&first), "{:?}", v.blob_files());
    for i in 0..300 {
        let version = u64::from(i < 150);
        assert_eq!(db.get(&key(i)).unwrap(), Some(value(i, version, 150)));
    }
}

#[test]
fn dropped_tables_leave_their_blobs_as_garbage() {
    // FIFO deletes whole tables unread: their references become garbage
    // and blob files all of whose blobs were in dropped tables go.
    let mut opts = separated("fifo");
    let fifo = common::policy("fifo");
    let def = fifo.param("fifo_max_bytes").unwrap();
    opts.compaction
        .set_value(def.name, def.parse("8KiB").unwrap());
    let (_, stats) = overwrite_rounds(opts, 12);
    assert!(stats.files_dropped > 0);
    assert!(stats.blob_files_deleted > 0, "{stats:?}");
}
