//! A database that is never misread: a missing `CURRENT` is not a new
//! database, tables that are swapped, replaced or missing are corruption
//! naming the file, a manifest from another database or one whose live WAL
//! is gone is refused, and in every case nothing is deleted.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{key, small_options, value};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::{Db, Env, Error, Options, VirtualClock};

const DIR: &str = "/db";

fn env(mem: &MemFs) -> Env {
    Env {
        fs: Arc::new(mem.clone()),
        clock: Arc::new(VirtualClock::new(0)),
    }
}

fn opts() -> Options {
    Options {
        auto_compaction: false,
        max_manifest_bytes: 1 << 20,
        ..small_options(common::policy("leveled"))
    }
}

/// Tables of the same size and shape: `tables` flushes of 40 keys each,
/// keys of table `t` prefixed by `t`. Returns the live pairs.
fn build(mem: &MemFs, tables: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = Db::open_with(DIR, opts(), env(mem)).unwrap();
    for t in 0..tables {
        for i in 0..40 {
            let k = format!("t{t}-{}", String::from_utf8(key(i)).unwrap());
            db.put(k.as_bytes(), &value(i, 1, 30)).unwrap();
        }
        db.flush().unwrap();
    }
    let all = db.scan(b"", None, usize::MAX).unwrap();
    db.close().unwrap();
    all
}

fn names(mem: &MemFs, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = mem
        .list(Path::new(DIR))
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(suffix))
        .collect();
    v.sort();
    v
}

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// Opens the database and reads every expected key and a full scan;
/// returns the first error.
fn open_and_read(mem: &MemFs, expected: &[(Vec<u8>, Vec<u8>)]) -> Result<(), Error> {
    let db = Db::open_with(DIR, opts(), env(mem))?;
    for (k, v) in expected {
        let got = db.get(k)?;
        assert_eq!(got.as_ref(), Some(v), "served wrong data for {k:?}");
    }
    assert_eq!(db.scan(b"", None, usize::MAX)?, expected);
    Ok(())
}

/// Every file of the directory with its bytes.
fn snapshot(mem: &MemFs) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = mem
        .list(Path::new(DIR))
        .unwrap()
        .into_iter()
        .filter(|n| n != "LOCK")
        .map(|n| {
            let bytes = mem.read_all(&path(&n)).unwrap();
            (n, bytes)
        })
        .collect();
    all.sort();
    all
}

fn assert_corruption_naming(e: &Error, file: &str) {
    assert!(e.is_corruption(), "{e}");
    assert!(e.to_string().contains(file), "{file} not named: {e}");
}

#[test]
fn a_directory_with_tables_but_no_current_is_never_a_new_database() {
    let mem = MemFs::new();
    build(&mem, 2);
    mem.remove(&path("CURRENT")).unwrap();
    let before = snapshot(&mem);
    let e = Db::open_with(DIR, opts(), env(&mem)).err().expect("opened");
    assert_corruption_naming(&e, "CURRENT");
    assert!(e.to_string().contains(".sst"), "{e}");
    assert_eq!(snapshot(&mem), before, "the refused open changed files");
}

#[test]
fn create_if_missing_and_error_if_exists_work_as_in_rocksdb() {
    let mem = MemFs::new();
    let no_create = Options {
        create_if_missing: false,
        ..opts()
    };
    let e = Db::open_with(DIR, no_create.clone(), env(&mem))
        .err()
        .unwrap();
    assert!(e.to_string().contains("create_if_missing"), "{e}");
    assert!(mem.list(Path::new(DIR)).unwrap().is_empty());
    build(&mem, 1);
    Db::open_with(DIR, no_create, env(&mem)).unwrap();
    let exclusive = Options {
        error_if_exists: true,
        ..opts()
    };
    let e = Db::open_with(DIR, exclusive, env(&mem)).err().unwrap();
    assert!(e.to_string().contains("error_if_exists"), "{e}");
}

#[test]
fn a_second_open_on_the_same_directory_is_refused_until_the_first_closes() {
    let mem = MemFs::new();
    let first = Db::open_with(DIR, opts(), env(&mem)).unwrap();
    let e = Db::open_with(DIR, opts(), env(&mem))
        .err()
        .expect("opened twice");
    assert!(matches!(e, Error::Locked { .. }), "{e}");
    assert!(e.to_string().contains("LOCK"), "{e}");
    drop(first);
    Db::open_with(DIR, opts(), env(&mem)).unwrap();
}

#[test]
fn swapped_tables_of_the_same_size_are_corruption_not_data() {
    let mem = MemFs::new();
    let expected = build(&mem, 2);
    let ssts = names(&mem, ".sst");
    assert_eq!(ssts.len(), 2);
    let (a, b) = (path(&ssts[0]), path(&ssts[1]));
    assert_eq!(
        mem.file_size(&a).unwrap(),
        mem.file_size(&b).unwrap(),
        "the test needs tables of one size"
    );
    let tmp = path("swap.tmp");
    mem.rename(&a, &tmp).unwrap();
    mem.rename(&b, &a).unwrap();
    mem.rename(&tmp, &b).unwrap();
    let e = open_and_read(&mem, &expected).expect_err("swapped tables were served");
    assert!(e.is_corruption(), "{e}");
    assert!(
        e.to_string().contains(&ssts[0]) || e.to_string().contains(&ssts[1]),
        "{e}"
    );
}

#[test]
fn a_table_overwritten_by_a_copy_of_another_is_corruption_naming_it() {
    let mem = MemFs::new();
    let expected = build(&mem, 3);
    let ssts = names(&mem, ".sst");
    let copy = mem.read_all(&path(&ssts[2])).unwrap();
    let mut w = mem.create(&path(&ssts[0])).unwrap();
    w.append(&copy).unwrap();
    w.sync().unwrap();
    drop(w);
    let e = open_and_read(&mem, &expected).expect_err("a copied table was served");
    assert_corruption_naming(&e, &ssts[0]);
}

#[test]
fn a_missing_referenced_table_refuses_the_open_and_deletes_nothing() {
    let mem = MemFs::new();
    build(&mem, 3);
    let ssts = names(&mem, ".sst");
    mem.remove(&path(&ssts[1])).unwrap();
    // An unreferenced table too: a careless recovery would delete it.
    let mut w = mem.create(&path("999999.sst")).unwrap();
    w.append(b"someone's table").unwrap();
    drop(w);
    let before = snapshot(&mem);
    let e = Db::open_with(DIR, opts(), env(&mem)).err().expect("opened");
    assert_corruption_naming(&e, &ssts[1]);
    assert!(e.to_string().contains("missing"), "{e}");
    assert_eq!(snapshot(&mem), before, "the refused open changed files");
}

#[test]
fn a_manifest_from_another_database_is_refused_and_nothing_deleted() {
    let ours = MemFs::new();
    build(&ours, 2);
    let theirs = MemFs::new();
    build(&theirs, 2);
    // Their manifest and CURRENT over ours.
    for name in names(&ours, "")
        .into_iter()
        .filter(|n| n.starts_with("MANIFEST-") || n == "CURRENT")
    {
        ours.remove(&path(&name)).unwrap();
    }
    for name in names(&theirs, "")
        .into_iter()
        .filter(|n| n.starts_with("MANIFEST-") || n == "CURRENT")
    {
        let bytes = theirs.read_all(&path(&name)).unwrap();
        let mut w = ours.create(&path(&name)).unwrap();
        w.append(&bytes).unwrap();
        w.sync().unwrap();
    }
    let before = snapshot(&ours);
    let e = Db::open_with(DIR, opts(), env(&ours))
        .err()
        .expect("opened");
    assert_corruption_naming(&e, "MANIFEST-");
    assert!(e.to_string().contains("another database"), "{e}");
    assert_eq!(snapshot(&ours), before, "the refused open changed files");
}

#[test]
fn a_manifest_cut_after_its_wal_was_retired_is_refused_and_keeps_the_table() {
    let mem = MemFs::new();
    let db = Db::open_with(DIR, opts(), env(&mem)).unwrap();
    for i in 0..40 {
        db.put(&key(i), &value(i, 1, 30)).unwrap();
    }
    let manifest = names(&mem, "")
        .into_iter()
        .find(|n| n.starts_with("MANIFEST-"))
        .unwrap();
    let cut_at = mem.file_size(&path(&manifest)).unwrap();
    let wal = names(&mem, ".log");
    assert_eq!(wal.len(), 1);
    // The flush installs a table and retires the WAL that held its writes.
    db.flush().unwrap();
    db.close().unwrap();
    assert!(!mem.exists(&path(&wal[0])), "the flushed WAL is gone");
    let table = names(&mem, ".sst");
    assert_eq!(table.len(), 1);
    // The manifest loses the flush's edit after the fact.
    mem.truncate(&path(&manifest), cut_at as usize).unwrap();
    let e = Db::open_with(DIR, opts(), env(&mem)).err().expect("opened");
    assert_corruption_naming(&e, &wal[0]);
    assert!(
        mem.exists(&path(&table[0])),
        "the table holding the only copy of the writes was deleted"
    );
}

/// A copy of every file of `src` (but `LOCK`) in a new file system.
fn clone_fs(src: &MemFs) -> MemFs {
    let dst = MemFs::new();
    dst.create_dir_all(Path::new(DIR)).unwrap();
    for (name, bytes) in snapshot(src) {
        let mut w = dst.create(&path(&name)).unwrap();
        w.append(&bytes).unwrap();
        w.sync().unwrap();
    }
    dst
}

/// Writes table `t`'s 40 keys (as `build` does) and flushes them.
fn flush_table(mem: &MemFs, t: u32) {
    let db = Db::open_with(DIR, opts(), env(mem)).unwrap();
    for i in 0..40 {
        let k = format!("t{t}-{}", String::from_utf8(key(i)).unwrap());
        db.put(k.as_bytes(), &value(i, 1, 30)).unwrap();
    }
    db.flush().unwrap();
    db.close().unwrap();
}

fn replace(mem: &MemFs, name: &str, bytes: &[u8]) {
    mem.remove(&path(name)).unwrap();
    let mut w = mem.create(&path(name)).unwrap();
    w.append(bytes).unwrap();
    w.sync().unwrap();
}

/// Two databases given the same writes hold tables equal in size, keys,
/// sequence numbers and counts: only the database identity in the table's
/// properties tells them apart.
#[test]
fn a_table_copied_from_another_database_is_refused_naming_both() {
    let ours = MemFs::new();
    let expected = build(&ours, 2);
    let theirs = MemFs::new();
    build(&theirs, 2);
    let ssts = names(&ours, ".sst");
    assert_eq!(
        ssts,
        names(&theirs, ".sst"),
        "the test needs equal numbering"
    );
    let copy = theirs.read_all(&path(&ssts[1])).unwrap();
    assert_eq!(copy.len() as u64, ours.file_size(&path(&ssts[1])).unwrap());
    replace(&ours, &ssts[1], &copy);
    let e = open_and_read(&ours, &expected).expect_err("a foreign table was served");
    assert_corruption_naming(&e, &ssts[1]);
    let id = |fs: &MemFs| String::from_utf8(fs.read_all(&path("IDENTITY")).unwrap()).unwrap();
    let text = e.to_string();
    assert!(
        text.contains(&format!("written by database {}", id(&theirs).trim()))
            && text.contains(&format!("this database is {}", id(&ours).trim())),
        "{text}"
    );
}

/// A copy of a database that diverged (one more reopen, so one more file
/// number used) then took the same writes: its table equals ours in all
/// but its file number, and put in place of ours it is refused.
#[test]
fn a_table_renamed_over_another_is_refused_naming_both_numbers() {
    let ours = MemFs::new();
    build(&ours, 1);
    let theirs = clone_fs(&ours);
    Db::open_with(DIR, opts(), env(&theirs))
        .unwrap()
        .close()
        .unwrap();
    flush_table(&ours, 7);
    flush_table(&theirs, 7);
    let new = |fs: &MemFs| {
        let mut v = names(fs, ".sst");
        v.pop().unwrap()
    };
    let (our_name, their_name) = (new(&ours), new(&theirs));
    assert_ne!(our_name, their_name, "the copy used one more file number");
    let copy = theirs.read_all(&path(&their_name)).unwrap();
    assert_eq!(copy.len() as u64, ours.file_size(&path(&our_name)).unwrap());
    replace(&ours, &our_name, &copy);
    let expected = {
        let db = Db::open_with(DIR, opts(), env(&clone_fs(&theirs))).unwrap();
        db.scan(b"", None, usize::MAX).unwrap()
    };
    let e = open_and_read(&ours, &expected).expect_err("a renamed table was served");
    assert_corruption_naming(&e, &our_name);
    let (ours_n, theirs_n) = (&our_name[..6], &their_name[..6]);
    assert!(
        e.to_string().contains(&format!(
            "written as table {theirs_n}, but the manifest expects table {ours_n}"
        )),
        "{e}"
    );
}

/// A WAL that recovery finds but no edit recorded (its recording edit was
/// lost) is recorded as live before the recovery flush retires it: a
/// manifest later cut back past that flush is refused, naming the WAL,
/// instead of opening without the writes it held.
#[test]
fn a_wal_found_at_open_is_recorded_before_its_flush_retires_it() {
    use lsmlab_engine::log::{read_log, HEADER_LEN};
    use lsmlab_engine::version::VersionEdit;

    let mem = MemFs::new();
    let db = Db::open_with(DIR, opts(), env(&mem)).unwrap();
    for i in 0..40 {
        db.put(&key(i), &value(i, 1, 30)).unwrap();
    }
    // A crash image while the writes are only in the WAL.
    let image = clone_fs(&mem);
    drop(db);
    let manifest_of = |fs: &MemFs| {
        names(fs, "")
            .into_iter()
            .find(|n| n.starts_with("MANIFEST-"))
            .unwrap()
    };
    // Records of `fs`'s manifest as (edit, end offset).
    let records = |fs: &MemFs| -> Vec<(VersionEdit, u64)> {
        let p = path(&manifest_of(fs));
        let log = read_log(fs, &p).unwrap();
        let mut end = 0u64;
        log.records
            .iter()
            .map(|r| {
                end += (HEADER_LEN + r.len()) as u64;
                (VersionEdit::decode(r, &p).unwrap(), end)
            })
            .collect()
    };
    // The image's manifest loses every edit after its snapshot, so that
    // no edit records the WAL.
    let snapshot_end = records(&image)[0].1;
    image
        .truncate(&path(&manifest_of(&image)), snapshot_end as usize)
        .unwrap();
    let wal = names(&image, ".log");
    assert_eq!(wal.len(), 1);
    let wal_number: u64 = wal[0].trim_end_matches(".log").parse().unwrap();
    // Recovery replays the WAL, flushes it to a table and deletes it.
    let db = Db::open_with(DIR, opts(), env(&image)).unwrap();
    assert_eq!(db.get(&key(7)).unwrap(), Some(value(7, 1, 30)));
    db.close().unwrap();
    assert!(
        !image.exists(&path(&wal[0])),
        "the recovered WAL is retired"
    );
    // The manifest is cut back to the edit that recorded the WAL as live
    // (to the snapshot where no edit did): the flush is lost after the fact.
    let recs = records(&image);
    let keep = recs
        .iter()
        .find(|(e, _)| e.live_wals.contains(&wal_number))
        .map_or(recs[0].1, |(_, end)| *end);
    image
        .truncate(&path(&manifest_of(&image)), keep as usize)
        .unwrap();
    let e = Db::open_with(DIR, opts(), env(&image))
        .err()
        .expect("opened without the writes of a retired WAL");
    assert_corruption_naming(&e, &wal[0]);
}
