//! `VersionEdit`: one change to the shape of the tree (files added and removed
//! per level, counters, compaction cursors), and its encoding as a manifest
//! record.
//!
//! Encoding: a sequence of fields, each a varint tag followed by its body.
//! Scalars are varints; keys are length-prefixed; an added file's body is
//! length-prefixed as a whole so that bytes left over inside it are detected.

use std::path::Path;

use crate::blob::{BlobFileMeta, BlobUse, BlobUses};
use crate::coding::{put_length_prefixed, put_varint, Decoder};
use crate::error::{Error, Result};
use crate::key::{self, SeqNo};

use super::FileMeta;
use crate::sst::CompactionMarks;

const TAG_LOG_NUMBER: u64 = 1;
const TAG_NEXT_FILE_NUMBER: u64 = 2;
const TAG_LAST_SEQUENCE: u64 = 3;
const TAG_CURSOR: u64 = 4;
const TAG_DELETED_FILE: u64 = 5;
/// An added file without a run (format 1): placed by [`Version::apply`]'s
/// rule for run-less files.
const TAG_ADDED_FILE: u64 = 6;
/// An added file and the id of the sorted run it joins (format 2).
const TAG_ADDED_FILE_IN_RUN: u64 = 7;
/// The manifest format the writer used; in the first record of a manifest.
const TAG_FORMAT_VERSION: u64 = 8;

/// The manifest format this code writes: 2 records each file's sorted run.
/// Format 1 (no version record) had no runs; it still opens.
pub const MANIFEST_FORMAT: u64 = 2;

/// [`Version::apply`]: super::Version::apply
/// The database identity (`IDENTITY`), in a manifest's snapshot records.
const TAG_DB_ID: u64 = 9;
/// A WAL still needed for recovery (WAL tracking).
const TAG_LIVE_WAL: u64 = 10;
/// A blob file joining the version: number, blob count, value bytes, file
/// size.
const TAG_BLOB_FILE_ADDED: u64 = 11;
/// Garbage added to a blob file: number, blobs, value bytes.
const TAG_BLOB_GARBAGE: u64 = 12;
/// A blob file leaving the version (all its blobs garbage).
const TAG_BLOB_FILE_DELETED: u64 = 13;
/// A table's blob references: table number, then (length-prefixed) a count
/// and per blob file its number, references and value bytes.
const TAG_TABLE_BLOBS: u64 = 14;

/// Levels above this are rejected when decoding: no database has that many
/// (options cap `num_levels` far below it), so such a value is damage.
const MAX_ENCODED_LEVEL: usize = 255;

/// A change to a [`Version`](super::Version), applied atomically: files
/// deleted from and added to levels, plus the counters and cursors the
/// manifest persists alongside. A trivial move is a delete and an add of the
/// same file one level down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// `(level, file number)` of files leaving the tree.
    pub deleted: Vec<(usize, u64)>,
    /// Files joining the tree.
    pub added: Vec<AddedFile>,
    /// The next unused file number, when the edit records it.
    pub next_file_number: Option<u64>,
    /// The last sequence number used, when the edit records it.
    pub last_sequence: Option<SeqNo>,
    /// WAL files numbered below this are obsolete (their data is in SSTables).
    pub log_number: Option<u64>,
    /// Round-robin compaction cursor per level: an internal key; an empty key
    /// clears the level's cursor.
    pub compaction_cursors: Vec<(usize, Vec<u8>)>,
    /// The manifest format of the writer, recorded in a manifest's first
    /// edit; absent in format 1.
    pub format_version: Option<u64>,
    /// The identity of the database the manifest belongs to (its `IDENTITY`
    /// file), when the edit records it.
    pub db_id: Option<Vec<u8>>,
    /// WAL files that exist and are needed for recovery as of this edit
    /// (RocksDB's WAL tracking): recovery refuses to open when one numbered
    /// at or above the final `log_number` is missing.
    pub live_wals: Vec<u64>,
    /// Blob files joining the version (garbage zero; see `blob_garbage`).
    pub blob_files_added: Vec<BlobFileMeta>,
    /// Garbage added to blob files (applied after `blob_files_added`).
    pub blob_garbage: Vec<BlobUse>,
    /// Blob files leaving the version (applied after `blob_garbage`; each
    /// must then be all garbage).
    pub blob_files_deleted: Vec<u64>,
    /// The blob references of tables added by this edit.
    pub table_blobs: Vec<(u64, BlobUses)>,
}

/// A file joining the tree: its level, the sorted run it joins, its
/// metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedFile {
    pub level: usize,
    /// The run's id; `None` places the file by the run-less rule (see
    /// [`Version::apply`](super::Version::apply)).
    pub run: Option<u64>,
    pub file: FileMeta,
}

impl VersionEdit {
    /// An empty edit.
    pub fn new() -> Self {
        VersionEdit::default()
    }

    /// Adds `file` to `level` without naming a run: in L0 it forms a run of
    /// its own, deeper it joins the level's only run.
    pub fn add_file(&mut self, level: usize, file: FileMeta) -> &mut Self {
        self.added.push(AddedFile {
            level,
            run: None,
            file,
        });
        self
    }

    /// Adds `file` to `level` as part of sorted run `run` (created when new).
    pub fn add_file_to_run(&mut self, level: usize, run: u64, file: FileMeta) -> &mut Self {
        self.added.push(AddedFile {
            level,
            run: Some(run),
            file,
        });
        self
    }

    /// Removes file `number` from `level`.
    pub fn delete_file(&mut self, level: usize, number: u64) -> &mut Self {
        self.deleted.push((level, number));
        self
    }

    /// Sets the compaction cursor of `level` (an internal key; empty clears it).
    pub fn set_cursor(&mut self, level: usize, key: Vec<u8>) -> &mut Self {
        self.compaction_cursors.push((level, key));
        self
    }

    /// The record bytes of this edit.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (tag, value) in [
            (TAG_FORMAT_VERSION, self.format_version),
            (TAG_LOG_NUMBER, self.log_number),
            (TAG_NEXT_FILE_NUMBER, self.next_file_number),
            (TAG_LAST_SEQUENCE, self.last_sequence),
        ] {
            if let Some(v) = value {
                put_varint(&mut out, tag);
                put_varint(&mut out, v);
            }
        }
        for (level, k) in &self.compaction_cursors {
            put_varint(&mut out, TAG_CURSOR);
            put_varint(&mut out, *level as u64);
            put_length_prefixed(&mut out, k);
        }
        for &(level, number) in &self.deleted {
            put_varint(&mut out, TAG_DELETED_FILE);
            put_varint(&mut out, level as u64);
            put_varint(&mut out, number);
        }
        let mut body = Vec::new();
        for a in &self.added {
            match a.run {
                None => put_varint(&mut out, TAG_ADDED_FILE),
                Some(_) => put_varint(&mut out, TAG_ADDED_FILE_IN_RUN),
            }
            put_varint(&mut out, a.level as u64);
            if let Some(run) = a.run {
                put_varint(&mut out, run);
            }
            body.clear();
            encode_file(&mut body, &a.file);
            put_length_prefixed(&mut out, &body);
        }
        if let Some(id) = &self.db_id {
            put_varint(&mut out, TAG_DB_ID);
            put_length_prefixed(&mut out, id);
        }
        for &n in &self.live_wals {
            put_varint(&mut out, TAG_LIVE_WAL);
            put_varint(&mut out, n);
        }
        for b in &self.blob_files_added {
            put_varint(&mut out, TAG_BLOB_FILE_ADDED);
            for v in [b.number, b.blob_count, b.blob_bytes, b.file_size] {
                put_varint(&mut out, v);
            }
        }
        for g in &self.blob_garbage {
            put_varint(&mut out, TAG_BLOB_GARBAGE);
            for v in [g.file, g.count, g.bytes] {
                put_varint(&mut out, v);
            }
        }
        for &n in &self.blob_files_deleted {
            put_varint(&mut out, TAG_BLOB_FILE_DELETED);
            put_varint(&mut out, n);
        }
        for (table, uses) in &self.table_blobs {
            put_varint(&mut out, TAG_TABLE_BLOBS);
            put_varint(&mut out, *table);
            body.clear();
            put_varint(&mut body, uses.len() as u64);
            for u in uses {
                for v in [u.file, u.count, u.bytes] {
                    put_varint(&mut body, v);
                }
            }
            put_length_prefixed(&mut out, &body);
        }
        out
    }

    /// Decodes a record written by [`VersionEdit::encode`]. Any malformed
    /// input (unknown tag, truncated field, repeated counter, a key that is
    /// not an internal key, leftover bytes in a file) is a `Corruption`
    /// naming `file`.
    pub fn decode(bytes: &[u8], file: &Path) -> Result<VersionEdit> {
        let bad = |reason: String| Error::corruption(file, format!("version edit: {reason}"));
        let mut d = Decoder::new(bytes);
        let mut edit = VersionEdit::default();
        while !d.is_empty() {
            let at = d.position();
            let tag = d
                .varint()
                .ok_or_else(|| bad(format!("truncated tag at byte {at}")))?;
            let truncated = |what: &str| bad(format!("truncated {what} at byte {at}"));
            match tag {
                TAG_LOG_NUMBER | TAG_NEXT_FILE_NUMBER | TAG_LAST_SEQUENCE | TAG_FORMAT_VERSION => {
                    let (slot, name) = match tag {
                        TAG_FORMAT_VERSION => (&mut edit.format_version, "format_version"),
                        TAG_LOG_NUMBER => (&mut edit.log_number, "log_number"),
                        TAG_NEXT_FILE_NUMBER => (&mut edit.next_file_number, "next_file_number"),
                        _ => (&mut edit.last_sequence, "last_sequence"),
                    };
                    let v = d.varint().ok_or_else(|| truncated(name))?;
                    if slot.replace(v).is_some() {
                        return Err(bad(format!("{name} repeated at byte {at}")));
                    }
                }
                TAG_CURSOR => {
                    let level = decode_level(&mut d).ok_or_else(|| truncated("cursor"))?;
                    let k = d.length_prefixed().ok_or_else(|| truncated("cursor"))?;
                    if !k.is_empty() && key::parse_internal_key(k).is_none() {
                        return Err(bad(format!(
                            "L{level} cursor at byte {at} is not an internal key"
                        )));
                    }
                    edit.compaction_cursors.push((level, k.to_vec()));
                }
                TAG_DELETED_FILE => {
                    let level = decode_level(&mut d).ok_or_else(|| truncated("deleted file"))?;
                    let number = d.varint().ok_or_else(|| truncated("deleted file"))?;
                    edit.deleted.push((level, number));
                }
                TAG_ADDED_FILE | TAG_ADDED_FILE_IN_RUN => {
                    let level = decode_level(&mut d).ok_or_else(|| truncated("added file"))?;
                    let run = if tag == TAG_ADDED_FILE_IN_RUN {
                        Some(d.varint().ok_or_else(|| truncated("added file"))?)
                    } else {
                        None
                    };
                    let body = d.length_prefixed().ok_or_else(|| truncated("added file"))?;
                    let file = decode_file(body)
                        .map_err(|why| bad(format!("added file at byte {at}: {why}")))?;
                    edit.added.push(AddedFile { level, run, file });
                }
                TAG_DB_ID => {
                    let id = d.length_prefixed().ok_or_else(|| truncated("db_id"))?;
                    if edit.db_id.replace(id.to_vec()).is_some() {
                        return Err(bad(format!("db_id repeated at byte {at}")));
                    }
                }
                TAG_LIVE_WAL => {
                    let n = d.varint().ok_or_else(|| truncated("live WAL"))?;
                    edit.live_wals.push(n);
                }
                TAG_BLOB_FILE_ADDED => {
                    let mut v = [0u64; 4];
                    for x in &mut v {
                        *x = d.varint().ok_or_else(|| truncated("blob file"))?;
                    }
                    edit.blob_files_added.push(BlobFileMeta {
                        number: v[0],
                        blob_count: v[1],
                        blob_bytes: v[2],
                        file_size: v[3],
                        garbage_count: 0,
                        garbage_bytes: 0,
                    });
                }
                TAG_BLOB_GARBAGE => {
                    edit.blob_garbage
                        .push(decode_blob_use(&mut d).ok_or_else(|| truncated("blob garbage"))?);
                }
                TAG_BLOB_FILE_DELETED => {
                    let n = d.varint().ok_or_else(|| truncated("deleted blob file"))?;
                    edit.blob_files_deleted.push(n);
                }
                TAG_TABLE_BLOBS => {
                    let table = d.varint().ok_or_else(|| truncated("table blobs"))?;
                    let body = d
                        .length_prefixed()
                        .ok_or_else(|| truncated("table blobs"))?;
                    let uses = decode_table_blobs(body).ok_or_else(|| {
                        bad(format!(
                            "blob references of table {table:06} at byte {at} do not decode"
                        ))
                    })?;
                    edit.table_blobs.push((table, uses));
                }
                other => return Err(bad(format!("unknown tag {other} at byte {at}"))),
            }
        }
        Ok(edit)
    }
}

fn decode_blob_use(d: &mut Decoder<'_>) -> Option<BlobUse> {
    Some(BlobUse {
        file: d.varint()?,
        count: d.varint()?,
        bytes: d.varint()?,
    })
}

/// A table's blob references: a count, then that many uses, nothing after.
fn decode_table_blobs(body: &[u8]) -> Option<BlobUses> {
    let mut d = Decoder::new(body);
    let n = d.varint()?;
    // Each use takes at least three bytes: a larger count is damage.
    if n > body.len() as u64 / 3 {
        return None;
    }
    let uses = (0..n)
        .map(|_| decode_blob_use(&mut d))
        .collect::<Option<BlobUses>>()?;
    d.is_empty().then_some(uses)
}

fn decode_level(d: &mut Decoder<'_>) -> Option<usize> {
    d.varint_usize(MAX_ENCODED_LEVEL)
}

fn encode_file(out: &mut Vec<u8>, f: &FileMeta) {
    put_varint(out, f.number);
    put_varint(out, f.size);
    put_length_prefixed(out, &f.smallest);
    put_length_prefixed(out, &f.largest);
    put_varint(out, f.entries);
    put_varint(out, f.tombstones);
    put_varint(out, f.smallest_seq);
    put_varint(out, f.largest_seq);
    match f.max_expiry_ms {
        None => put_varint(out, 0),
        Some(t) => {
            put_varint(out, 1);
            put_varint(out, t);
        }
    }
    put_varint(out, f.oldest_time_ms);
    put_varint(out, f.newest_time_ms);
    // Optional trailer, absent when empty (records stay as they were):
    // the marks' bits (and KEPT_FOR_SNAPSHOTS), then the creation time and
    // the oldest tombstone's time, each plus one (0: unknown).
    let trailer = f.marks.any()
        || f.created_ms.is_some()
        || f.kept_for_snapshots
        || f.narrowed
        || f.oldest_tombstone_ms.is_some();
    if trailer {
        let mut bits = f.marks.bits();
        if f.kept_for_snapshots {
            bits |= KEPT_FOR_SNAPSHOTS;
        }
        if f.narrowed {
            bits |= NARROWED;
        }
        put_varint(out, bits);
        put_varint(out, f.created_ms.map_or(0, |t| t + 1));
        put_varint(out, f.oldest_tombstone_ms.map_or(0, |t| t + 1));
    }
}

fn decode_file(body: &[u8]) -> Result<FileMeta, String> {
    let mut d = Decoder::new(body);
    let short = || "truncated".to_string();
    let number = d.varint().ok_or_else(short)?;
    let size = d.varint().ok_or_else(short)?;
    let smallest = d.length_prefixed().ok_or_else(short)?.to_vec();
    let largest = d.length_prefixed().ok_or_else(short)?.to_vec();
    let name = format!("file {number:06}");
    for (which, k) in [("smallest", &smallest), ("largest", &largest)] {
        if key::parse_internal_key(k).is_none() {
            return Err(format!("{name}: {which} key is not an internal key"));
        }
    }
    let entries = d.varint().ok_or_else(short)?;
    let tombstones = d.varint().ok_or_else(short)?;
    let smallest_seq = d.varint().ok_or_else(short)?;
    let largest_seq = d.varint().ok_or_else(short)?;
    let max_expiry_ms = match d.varint().ok_or_else(short)? {
        0 => None,
        1 => Some(d.varint().ok_or_else(short)?),
        flag => return Err(format!("{name}: expiry flag {flag} is neither 0 nor 1")),
    };
    let oldest_time_ms = d.varint().ok_or_else(short)?;
    let newest_time_ms = d.varint().ok_or_else(short)?;
    let (mut marks, mut created_ms) = (CompactionMarks::default(), None);
    let mut oldest_tombstone_ms = None;
    let (mut kept_for_snapshots, mut narrowed) = (false, false);
    if !d.is_empty() {
        let bits = d.varint().ok_or_else(short)?;
        kept_for_snapshots = bits & KEPT_FOR_SNAPSHOTS != 0;
        narrowed = bits & NARROWED != 0;
        marks = CompactionMarks::from_bits(bits & !(KEPT_FOR_SNAPSHOTS | NARROWED))
            .ok_or_else(|| format!("{name}: unknown compaction marks {bits:#x}"))?;
        created_ms = d.varint().ok_or_else(short)?.checked_sub(1);
        oldest_tombstone_ms = d.varint().ok_or_else(short)?.checked_sub(1);
    }
    if !d.is_empty() {
        return Err(format!("{name}: {} trailing bytes", d.remaining()));
    }
    Ok(FileMeta {
        number,
        size,
        smallest,
        largest,
        entries,
        tombstones,
        smallest_seq,
        largest_seq,
        max_expiry_ms,
        oldest_time_ms,
        newest_time_ms,
        marks,
        created_ms,
        kept_for_snapshots,
        oldest_tombstone_ms,
        narrowed,
    })
}

/// In a file record's trailer bits, beside the marks' (1, 2): the file
/// holds entries kept for snapshots.
const KEPT_FOR_SNAPSHOTS: u64 = 1 << 8;

/// In a file record's trailer bits: the file is narrowed (its entries
/// below `smallest` belong to an incremental compaction's outputs).
const NARROWED: u64 = 1 << 9;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, ValueKind};
    use proptest::prelude::*;

    fn file(number: u64, lo: &str, hi: &str) -> FileMeta {
        FileMeta {
            number,
            size: 4096 + number,
            smallest: internal_key(lo.as_bytes(), 3, ValueKind::Value),
            largest: internal_key(hi.as_bytes(), 9, ValueKind::Tombstone),
            entries: 100,
            tombstones: 7,
            smallest_seq: 2,
            largest_seq: 11,
            max_expiry_ms: Some(u64::MAX),
            oldest_time_ms: 1_000,
            newest_time_ms: 2_000,
            marks: CompactionMarks::default(),
            created_ms: None,
            kept_for_snapshots: false,
            oldest_tombstone_ms: None,
            narrowed: false,
        }
    }

    fn full_edit() -> VersionEdit {
        let mut e = VersionEdit::new();
        e.delete_file(0, 5)
            .delete_file(3, u64::MAX)
            .add_file(1, file(7, "a", "c"))
            .add_file_to_run(2, 3, file(10, "e", "f"))
            .add_file(
                6,
                FileMeta {
                    max_expiry_ms: None,
                    ..file(8, "d", "z")
                },
            )
            .add_file(
                4,
                FileMeta {
                    marks: CompactionMarks {
                        deletions: true,
                        tombstone_dense: true,
                    },
                    created_ms: Some(0),
                    kept_for_snapshots: true,
                    oldest_tombstone_ms: Some(7),
                    ..file(11, "g", "h")
                },
            )
            .add_file(
                0,
                FileMeta {
                    narrowed: true,
                    ..file(12, "i", "j")
                },
            )
            .set_cursor(2, internal_key(b"m", 4, ValueKind::Value))
            .set_cursor(3, Vec::new());
        e.next_file_number = Some(9);
        e.last_sequence = Some(key::MAX_SEQ);
        e.log_number = Some(0);
        e.format_version = Some(MANIFEST_FORMAT);
        e.db_id = Some(b"0123456789abcdef".to_vec());
        e.live_wals = vec![12, 15];
        e
    }

    #[test]
    fn every_field_round_trips() {
        let e = full_edit();
        let back = VersionEdit::decode(&e.encode(), Path::new("MANIFEST-000001")).unwrap();
        assert_eq!(back, e);
        let empty = VersionEdit::new();
        assert!(empty.encode().is_empty());
        assert_eq!(VersionEdit::decode(&[], Path::new("m")).unwrap(), empty);
    }

    #[test]
    fn every_truncation_is_corruption_naming_the_file() {
        let bytes = full_edit().encode();
        for cut in 1..bytes.len() {
            // A cut may land on a field boundary; then the prefix is a valid,
            // smaller edit. Otherwise it must be reported, never misread.
            match VersionEdit::decode(&bytes[..cut], Path::new("/db/MANIFEST-000004")) {
                Ok(e) => assert_ne!(e, full_edit(), "cut {cut}"),
                Err(err) => {
                    assert!(err.is_corruption(), "cut {cut}: {err}");
                    assert!(err.to_string().contains("MANIFEST-000004"), "{err}");
                }
            }
        }
    }

    #[test]
    fn a_file_trailer_round_trips_and_unknown_marks_are_rejected() {
        let p = Path::new("MANIFEST-000002");
        let with = |bits: u8| {
            let mut body = Vec::new();
            encode_file(&mut body, &file(7, "a", "b"));
            body.extend([bits, 6, 0]);
            let mut rec = vec![TAG_ADDED_FILE as u8];
            put_varint(&mut rec, 1);
            put_length_prefixed(&mut rec, &body);
            VersionEdit::decode(&rec, p)
        };
        let f = &with(3).unwrap().added[0].file;
        assert!(f.marks.deletions && f.marks.tombstone_dense);
        assert_eq!((f.created_ms, f.oldest_tombstone_ms), (Some(5), None));
        let e = with(4).unwrap_err().to_string();
        assert!(
            e.contains("file 000007: unknown compaction marks 0x4"),
            "{e}"
        );
        // Without marks or times, a record is as it was before trailers.
        let mut plain = Vec::new();
        encode_file(&mut plain, &file(7, "a", "b"));
        let mut dated = Vec::new();
        encode_file(
            &mut dated,
            &FileMeta {
                created_ms: Some(1),
                ..file(7, "a", "b")
            },
        );
        assert_eq!(dated.len(), plain.len() + 3);
    }

    #[test]
    fn unknown_tag_repeat_and_trailing_bytes_are_rejected() {
        let p = Path::new("MANIFEST-000002");
        let msg = |b: &[u8]| VersionEdit::decode(b, p).unwrap_err().to_string();
        assert!(msg(&[42, 1]).contains("unknown tag 42 at byte 0"));
        assert!(msg(&[2, 5, 2, 6]).contains("next_file_number repeated"));

        let mut body = Vec::new();
        encode_file(&mut body, &file(7, "a", "b"));
        // An empty trailer (no marks, no times), then one byte more.
        body.extend([0, 0, 0, 0]);
        let mut rec = vec![TAG_ADDED_FILE as u8, 1];
        put_length_prefixed(&mut rec, &body);
        assert!(
            msg(&rec).contains("file 000007: 1 trailing bytes"),
            "{}",
            msg(&rec)
        );

        let mut bad_key = VersionEdit::new();
        bad_key.add_file(
            1,
            FileMeta {
                smallest: b"short".to_vec(),
                ..file(7, "a", "b")
            },
        );
        assert!(msg(&bad_key.encode()).contains("smallest key is not an internal key"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Err(e) = VersionEdit::decode(&bytes, Path::new("m")) {
                prop_assert!(e.is_corruption());
            }
        }

        #[test]
        fn arbitrary_edits_round_trip(
            deleted in proptest::collection::vec((0usize..8, any::<u64>()), 0..4),
            sizes in proptest::collection::vec(any::<u64>(), 0..4),
            next in proptest::option::of(any::<u64>()),
            seq in proptest::option::of(0..=key::MAX_SEQ),
        ) {
            let mut e = VersionEdit { deleted, next_file_number: next, last_sequence: seq, ..Default::default() };
            for (i, s) in sizes.into_iter().enumerate() {
                let f = FileMeta { size: s, ..file(i as u64, "k", "q") };
                if s % 2 == 0 {
                    e.add_file(i, f);
                } else {
                    e.add_file_to_run(i, s / 2, f);
                }
            }
            prop_assert_eq!(VersionEdit::decode(&e.encode(), Path::new("m")).unwrap(), e);
        }

        #[test]
        fn blob_records_round_trip(
            added in proptest::collection::vec(any::<(u64, u64, u64, u64)>(), 0..3),
            garbage in proptest::collection::vec(any::<(u64, u64, u64)>(), 0..3),
            deleted in proptest::collection::vec(any::<u64>(), 0..3),
            tables in proptest::collection::vec(
                (any::<u64>(), proptest::collection::vec(any::<(u64, u64, u64)>(), 0..3)),
                0..3,
            ),
        ) {
            let blob_use = |(file, count, bytes): (u64, u64, u64)| BlobUse { file, count, bytes };
            let e = VersionEdit {
                blob_files_added: added
                    .into_iter()
                    .map(|(number, blob_count, blob_bytes, file_size)| BlobFileMeta {
                        number, blob_count, blob_bytes, file_size, garbage_count: 0, garbage_bytes: 0,
                    })
                    .collect(),
                blob_garbage: garbage.into_iter().map(blob_use).collect(),
                blob_files_deleted: deleted,
                table_blobs: tables
                    .into_iter()
                    .map(|(t, u)| (t, u.into_iter().map(blob_use).collect()))
                    .collect(),
                ..Default::default()
            };
            let bytes = e.encode();
            prop_assert_eq!(&VersionEdit::decode(&bytes, Path::new("m")).unwrap(), &e);
            // Any cut short of the end is detected, never misread.
            for cut in 0..bytes.len() {
                if let Ok(d) = VersionEdit::decode(&bytes[..cut], Path::new("m")) {
                    prop_assert!(d != e);
                }
            }
        }
    }
}
