//! Tests of the manifest: round trips, switching to a fresh manifest, torn
//! tails, damaged bytes, invalid edits and injected I/O failures.

use super::*;
use crate::fs::{FaultFs, FaultOp, FaultRule, MemFs};
use crate::version::fixture::parse_edit;

const DIR: &str = "/db";
const LEVELS: usize = 7;
const NO_LIMIT: u64 = 1 << 40;

fn dir() -> &'static Path {
    Path::new(DIR)
}

fn edit(text: &str) -> VersionEdit {
    parse_edit(text).unwrap()
}

/// A flush of file `n` into L0 covering `lo..hi`.
fn flush(n: u64, lo: &str, hi: &str, seq: u64) -> VersionEdit {
    edit(&format!(
        "add L0 {n:06}: {lo}#{seq} .. {hi}#{} size=1000 entries=10",
        seq + 9
    ))
}

/// A database with a few edits behind it; returns the live pieces.
fn populated(fs: &MemFs, limit: u64) -> (Manifest, Version, ManifestState) {
    let (mut m, mut v, mut st) =
        Manifest::create(Arc::new(fs.clone()), dir(), LEVELS, limit).unwrap();
    for (lo, hi) in [("a", "f"), ("c", "k"), ("m", "z")] {
        let n = st.new_file_number();
        st.last_sequence += 10;
        st.log_number = n;
        v = m
            .log_and_apply(&v, flush(n, lo, hi, st.last_sequence), &mut st)
            .unwrap();
    }
    // Trivial move of the oldest flush, and a cursor.
    let e =
        edit("delete L0 000002\nadd L2 000002: a#10 .. f#19 size=1000 entries=10\ncursor L2 c#5");
    v = m.log_and_apply(&v, e, &mut st).unwrap();
    (m, v, st)
}

fn recover(fs: &MemFs) -> Result<(Manifest, Version, ManifestState)> {
    Manifest::recover(Arc::new(fs.clone()), dir(), LEVELS, NO_LIMIT)
}

fn manifests(fs: &MemFs) -> Vec<String> {
    let names = fs.list(dir()).unwrap();
    names
        .into_iter()
        .filter(|n| n.starts_with(PREFIX))
        .collect()
}

#[test]
fn create_then_recover_gives_the_same_version_and_state() {
    let fs = MemFs::new();
    let (m, v, st) = populated(&fs, NO_LIMIT);
    assert_eq!(m.file_name(), "MANIFEST-000001");
    assert_eq!(
        fs.read_all(&dir().join("CURRENT")).unwrap(),
        b"MANIFEST-000001\n"
    );
    assert_eq!(
        v.to_string(),
        "L0\n  000004: m#30 .. z#39 size=1000 entries=10\n  000003: c#20 .. k#29 size=1000 entries=10\n\
         L2 cursor=c#5\n  000002: a#10 .. f#19 size=1000 entries=10\n"
    );
    assert_eq!(
        st,
        ManifestState {
            next_file_number: 5,
            last_sequence: 30,
            log_number: 4
        }
    );

    let (m2, v2, st2) = recover(&fs).unwrap();
    assert_eq!((v2, st2), (v, st));
    assert_eq!(m2.file_name(), "MANIFEST-000001");
    // Everything was synced: a crash loses nothing.
    fs.crash();
    assert_eq!(recover(&fs).unwrap().2, st);
}

#[test]
fn a_fresh_database_starts_at_file_number_two() {
    let fs = MemFs::new();
    let (_, v, st) = Manifest::create(Arc::new(fs.clone()), dir(), LEVELS, NO_LIMIT).unwrap();
    assert_eq!(v.total_files(), 0);
    assert_eq!(st.next_file_number, 2);
    assert_eq!(recover(&fs).unwrap().2, st);
    let again = Manifest::create(Arc::new(fs.clone()), dir(), LEVELS, NO_LIMIT).unwrap_err();
    assert!(
        again.to_string().contains("already holds a database"),
        "{again}"
    );
}

#[test]
fn recovered_manifest_keeps_appending() {
    let fs = MemFs::new();
    let (_, v, _) = populated(&fs, NO_LIMIT);
    let (mut m, v2, mut st) = recover(&fs).unwrap();
    let n = st.new_file_number();
    let v3 = m
        .log_and_apply(&v2, flush(n, "x", "y", 40), &mut st)
        .unwrap();
    assert_eq!(v3.total_files(), v.total_files() + 1);
    let (_, v4, st4) = recover(&fs).unwrap();
    assert_eq!((v4, st4), (v3, st));
}

#[test]
fn outgrown_manifest_is_replaced_by_a_snapshot() {
    let fs = MemFs::new();
    let limit = 300;
    let (mut m, mut v, mut st) = populated(&fs, limit);
    let mut switches = 0;
    for i in 0..40u64 {
        let before = m.manifest_file_number();
        let n = st.new_file_number();
        st.last_sequence += 1;
        v = m
            .log_and_apply(&v, flush(n, "a", "b", 100 + i), &mut st)
            .unwrap();
        if m.manifest_file_number() != before {
            switches += 1;
            assert!(
                m.manifest_file_number() > n,
                "manifest numbers come from the state"
            );
            assert_eq!(manifests(&fs), vec![m.file_name()], "old manifest deleted");
            let current = format!("{}\n", m.file_name());
            assert_eq!(
                fs.read_all(&dir().join("CURRENT")).unwrap(),
                current.as_bytes()
            );
        }
        let (_, v2, st2) = recover(&fs).unwrap();
        assert_eq!((&v2, st2), (&v, st), "after edit {i}");
    }
    assert!(switches >= 2, "only {switches} switches");
    assert!(m.len_bytes() < 2 * limit + v.total_files() as u64 * 80);
    assert_eq!(v.files(0).len(), 42);
}

#[test]
fn torn_last_record_recovers_the_version_before_it() {
    let fs = MemFs::new();
    let (mut m, v, mut st) = populated(&fs, NO_LIMIT);
    let path = dir().join(m.file_name());
    let good_len = fs.file_size(&path).unwrap() as usize;
    let (v_before, st_before) = (v.clone(), st);
    let n = st.new_file_number();
    st.last_sequence = 99;
    m.log_and_apply(&v, flush(n, "p", "q", 90), &mut st)
        .unwrap();
    let full = fs.read_all(&path).unwrap();
    let current = fs.read_all(&dir().join("CURRENT")).unwrap();

    for cut in good_len..full.len() {
        let fs = MemFs::new();
        for (name, bytes) in [("CURRENT", &current[..]), ("MANIFEST-000001", &full[..cut])] {
            let mut f = fs.create(&dir().join(name)).unwrap();
            f.append(bytes).unwrap();
            f.sync().unwrap();
        }
        let (mut m2, v2, mut st2) = recover(&fs).unwrap();
        assert_eq!(v2, v_before, "cut at {cut}");
        assert_eq!(st2.last_sequence, st_before.last_sequence);
        if cut == good_len {
            assert_eq!(m2.file_name(), "MANIFEST-000001", "a clean end is reused");
            continue;
        }
        // The torn manifest was replaced, so the next append follows a clean end.
        assert_ne!(m2.file_name(), "MANIFEST-000001", "cut at {cut}");
        assert_eq!(manifests(&fs), vec![m2.file_name()]);
        let n = st2.new_file_number();
        let v3 = m2
            .log_and_apply(&v2, flush(n, "p", "q", 90), &mut st2)
            .unwrap();
        let (_, v4, st4) = recover(&fs).unwrap();
        assert_eq!((v4, st4), (v3, st2), "cut at {cut}");
    }
}

#[test]
fn any_flipped_byte_is_corruption_naming_the_file() {
    let fs = MemFs::new();
    populated(&fs, NO_LIMIT);
    for (name, masks) in [
        ("MANIFEST-000001", [0x01u8, 0x80]),
        ("CURRENT", [0x01, 0x20]),
    ] {
        let path = dir().join(name);
        let original = fs.read_all(&path).unwrap();
        for i in 0..original.len() {
            for mask in masks {
                fs.overwrite(&path, i, &[original[i] ^ mask]).unwrap();
                let err = recover(&fs).unwrap_err();
                assert!(err.is_corruption(), "{name} byte {i}: {err}");
                assert!(err.to_string().contains(name), "{name} byte {i}: {err}");
                fs.overwrite(&path, i, &original[i..=i]).unwrap();
            }
        }
    }
    recover(&fs).unwrap();
}

#[test]
fn missing_empty_or_dangling_current_is_corruption_naming_it() {
    let fs = MemFs::new();
    populated(&fs, NO_LIMIT);
    let current = dir().join("CURRENT");
    let write = |bytes: &[u8]| {
        let mut f = fs.create(&current).unwrap();
        f.append(bytes).unwrap();
    };
    let expect = |needle: &str| {
        let err = recover(&fs).unwrap_err();
        assert!(err.is_corruption(), "{err}");
        assert!(err.to_string().contains("CURRENT"), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    };
    write(b"");
    expect("does not hold a manifest name");
    write(b"MANIFEST-000001");
    expect("does not hold a manifest name");
    write(b"MANIFEST-000009\n");
    expect("names MANIFEST-000009, which does not exist");
    fs.remove(&current).unwrap();
    expect("missing");
}

#[test]
fn invalid_edit_is_rejected_before_anything_is_written() {
    let fs = MemFs::new();
    let (mut m, v, mut st) = populated(&fs, NO_LIMIT);
    let path = dir().join(m.file_name());
    let len = fs.file_size(&path).unwrap();
    let n = st.new_file_number();
    let overlap = edit(&format!("add L2 {n:06}: e#1 .. g#1"));
    let err = m.log_and_apply(&v, overlap, &mut st).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid argument: L2 run 000002 files 000002 and {n:06} have overlapping ranges")
    );
    let unallocated = edit("add L3 000099: a#1 .. b#1");
    let err = m.log_and_apply(&v, unallocated, &mut st).unwrap_err();
    assert!(
        err.to_string().contains("file 000099 was not allocated"),
        "{err}"
    );
    assert_eq!(fs.file_size(&path).unwrap(), len);
    // The manifest is still usable, and the disk still holds the old version.
    let v2 = m
        .log_and_apply(&v, flush(n, "a", "b", 50), &mut st)
        .unwrap();
    assert_eq!(recover(&fs).unwrap().1, v2);
}

#[test]
fn files_below_num_levels_are_an_invalid_argument_on_recovery() {
    let fs = MemFs::new();
    let (mut m, v, mut st) = populated(&fs, NO_LIMIT);
    let n = st.new_file_number();
    let v = m
        .log_and_apply(&v, edit(&format!("add L5 {n:06}: a#1 .. b#1")), &mut st)
        .unwrap();
    let open = |levels| Manifest::recover(Arc::new(fs.clone()), dir(), levels, NO_LIMIT);
    let err = open(4).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(
        err.to_string()
            .contains("has files at L5 but num_levels is 4"),
        "{err}"
    );
    assert!(err.to_string().contains("at least 6"), "{err}");
    assert_eq!(open(6).unwrap().1.to_string(), v.to_string());
    // Once the deep level is empty again, fewer levels are fine.
    let moved = edit(&format!("delete L5 {n:06}\nadd L3 {n:06}: a#1 .. b#1"));
    m.log_and_apply(&v, moved, &mut st).unwrap();
    assert_eq!(open(4).unwrap().1.num_levels(), 4);
}

#[test]
fn leftover_manifests_are_removed_on_recovery() {
    let fs = MemFs::new();
    populated(&fs, NO_LIMIT);
    for name in ["MANIFEST-000003", "CURRENT.dbtmp"] {
        fs.create(&dir().join(name))
            .unwrap()
            .append(b"junk")
            .unwrap();
    }
    recover(&fs).unwrap();
    let names = fs.list(dir()).unwrap();
    assert_eq!(
        names,
        vec!["CURRENT".to_string(), "MANIFEST-000001".to_string()]
    );
}

#[test]
fn a_failed_write_leaves_the_old_or_the_new_version_and_refuses_more() {
    let mut outcomes = (0, 0);
    for budget in 0.. {
        let mem = MemFs::new();
        let fs = FaultFs::new(Arc::new(mem.clone()));
        // A limit small enough that the next edit also switches manifests.
        let (mut m, v, mut st) = Manifest::create(Arc::new(fs.clone()), dir(), LEVELS, 64).unwrap();
        let old = v.clone();
        let n = st.new_file_number();
        let e = flush(n, "a", "b", 1);
        let new = v.apply(&e).unwrap();

        // Every mutation from the budget-th on fails; a failing append
        // writes a few bytes first, as a torn write would.
        fs.arm(
            FaultRule::any_of(
                &[
                    FaultOp::Create,
                    FaultOp::Write,
                    FaultOp::Sync,
                    FaultOp::Rename,
                    FaultOp::SyncDir,
                ],
                budget,
            )
            .persistent()
            .torn(5),
        );
        let result = m.log_and_apply(&v, e.clone(), &mut st);
        let done = result.is_ok();
        if !done {
            let again = m.log_and_apply(&v, e, &mut st).unwrap_err();
            assert!(
                matches!(again, Error::ReadOnly(_)),
                "budget {budget}: {again}"
            );
        }
        mem.crash();
        let (_, got, _) = recover(&mem).unwrap_or_else(|e| panic!("budget {budget}: {e}"));
        if got == old {
            outcomes.0 += 1;
        } else {
            assert_eq!(got, new, "budget {budget}");
            outcomes.1 += 1;
        }
        if done {
            assert_eq!(got, new);
            assert_ne!(
                m.file_name(),
                "MANIFEST-000001",
                "the edit switched manifests"
            );
            break;
        }
    }
    // Failing the record's append or sync keeps the old version; every
    // failure during the switch (create, write, sync, CURRENT) the new one.
    assert_eq!(outcomes.0, 2, "{outcomes:?}");
    assert!(outcomes.1 >= 8, "{outcomes:?}");
}

/// Writes a manifest whose records are `edits`, and a CURRENT naming it.
fn write_manifest(fs: &MemFs, edits: &[VersionEdit]) {
    let name = manifest_file_name(1);
    let file = fs.create(&dir().join(&name)).unwrap();
    let mut w = LogWriter::new(file);
    for e in edits {
        w.add_record(&e.encode()).unwrap();
    }
    w.sync().unwrap();
    let mut cur = fs.create(&dir().join(CURRENT)).unwrap();
    cur.append(format!("{name}\n").as_bytes()).unwrap();
    cur.sync().unwrap();
}

#[test]
fn a_format_1_manifest_without_runs_still_opens_with_one_run_per_flush_and_per_level() {
    // Format 1 wrote no version record and no run ids.
    let fs = MemFs::new();
    fs.create_dir_all(dir()).unwrap();
    let first = edit(
        "add L0 000007: a#30 .. k#39\nadd L0 000006: c#20 .. z#29\n\
         add L1 000003: a#1 .. f#5\nadd L1 000004: g#1 .. p#5\n\
         next_file_number 9\nlast_sequence 40\nlog_number 8\n",
    );
    assert!(first.added.iter().all(|a| a.run.is_none()));
    write_manifest(&fs, &[first]);
    let (_, v, _) = recover(&fs).unwrap();
    assert_eq!(
        v.to_string(),
        "L0\n  000007: a#30 .. k#39\n  000006: c#20 .. z#29\nL1\n  000003: a#1 .. f#5\n  000004: g#1 .. p#5\n"
    );
    assert_eq!(v.sorted_runs(), 3);
    assert_eq!(v.runs(1)[0].id(), 3);
}

#[test]
fn a_manifest_of_a_newer_format_is_refused_naming_the_format() {
    let fs = MemFs::new();
    fs.create_dir_all(dir()).unwrap();
    let mut e = edit("next_file_number 9\nlast_sequence 40\nlog_number 8\n");
    e.format_version = Some(MANIFEST_FORMAT + 1);
    write_manifest(&fs, &[e]);
    let err = recover(&fs).unwrap_err().to_string();
    assert!(
        err.contains("manifest format 3") && err.contains("reads formats 1 to 2"),
        "{err}"
    );
}

#[test]
fn a_fresh_manifest_records_its_format_and_every_run() {
    let fs = MemFs::new();
    let (_m, v, _st) = populated(&fs, NO_LIMIT);
    let (_, back, _) = recover(&fs).unwrap();
    assert_eq!(back, v);
    let name = fs.read_all(&dir().join(CURRENT)).unwrap();
    let name = String::from_utf8(name).unwrap();
    let contents = log::read_log(&fs, &dir().join(name.trim())).unwrap();
    let first = VersionEdit::decode(&contents.records[0], Path::new("m")).unwrap();
    assert_eq!(first.format_version, Some(MANIFEST_FORMAT));
}
