//! Whole-table tests: round trips against a model, lookups across block
//! boundaries, and every kind of damage a file can suffer.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::bloom::BloomLayout;
use super::*;
use crate::fs::{Fs, MemFs};
use crate::iter::{collect_all, InternalIterator};
use crate::key::{
    compare_internal, encode_expiring_value, internal_key, parse_internal_key, SeqNo, ValueKind,
};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn path() -> PathBuf {
    PathBuf::from("/db/000042.sst")
}

fn small_opts() -> TableOptions {
    TableOptions {
        block_size: 256,
        block_size_deviation: 10,
        block_restart_interval: 4,
        bloom_bits_per_key: 10,
        bloom_layout: BloomLayout::Whole,
    }
}

fn write(fs: &MemFs, path: &Path, entries: &Entries, opts: TableOptions) -> TableSummary {
    let mut b = TableBuilder::new(fs.create(path).unwrap(), path.to_path_buf(), opts);
    for (k, v) in entries {
        b.add(k, v).unwrap();
    }
    assert_eq!(b.num_entries(), entries.len() as u64);
    b.finish().unwrap()
}

/// The newest entry for `user` with seq <= `read_seq`, per the model.
fn model_get(entries: &Entries, user: &[u8], read_seq: SeqNo) -> Option<TableEntry> {
    entries.iter().find_map(|(k, v)| {
        let p = parse_internal_key(k).unwrap();
        (p.user_key == user && p.seq <= read_seq).then(|| TableEntry {
            seq: p.seq,
            kind: p.kind,
            value: v.clone(),
        })
    })
}

fn entry(user: &[u8], seq: SeqNo, kind_sel: u8, value: &[u8]) -> (Vec<u8>, Vec<u8>) {
    match kind_sel % 3 {
        0 => (internal_key(user, seq, ValueKind::Tombstone), Vec::new()),
        1 => (internal_key(user, seq, ValueKind::Value), value.to_vec()),
        _ => (
            internal_key(user, seq, ValueKind::ValueWithExpiry),
            encode_expiring_value(seq * 1000, value),
        ),
    }
}

/// Sorted entries: distinct user keys, each with 1..=4 versions at distinct
/// seqs, mixed kinds.
fn table_entries() -> impl Strategy<Value = Entries> {
    let versions = proptest::collection::btree_map(
        1u64..200,
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)),
        1..5,
    );
    proptest::collection::btree_map(proptest::collection::vec(0u8..8, 0..6), versions, 0..80)
        .prop_map(|m| {
            let mut out = Vec::new();
            for (user, versions) in m {
                for (seq, (kind, value)) in versions.into_iter().rev() {
                    out.push(entry(&user, seq, kind, &value));
                }
            }
            out
        })
}

proptest! {
    #[test]
    fn table_round_trips_and_matches_the_model(
        entries in table_entries(),
        block_size in 64usize..600,
        deviation in prop_oneof![Just(0u32), Just(10u32), 0u32..=100],
        interval in 1usize..8,
        bits in prop_oneof![Just(0u32), Just(10u32), 1u32..20],
        local in any::<bool>(),
        seeks in proptest::collection::vec((proptest::collection::vec(0u8..8, 0..6), 0u64..210), 1..40),
    ) {
        let bloom_layout = if local { BloomLayout::CacheLocal } else { BloomLayout::Whole };
        let opts = TableOptions { block_size, block_size_deviation: deviation, block_restart_interval: interval, bloom_bits_per_key: bits, bloom_layout };
        let fs = MemFs::new();
        let p = path();
        let summary = write(&fs, &p, &entries, opts);
        prop_assert_eq!(summary.size, fs.file_size(&p).unwrap());
        prop_assert_eq!(summary.entries, entries.len() as u64);
        let table = Table::open(&fs, &p).unwrap();
        prop_assert_eq!(table.size(), summary.size);
        prop_assert_eq!(&table.properties().smallest, &summary.smallest);
        prop_assert_eq!(table.has_filter(), bits > 0);

        let mut it = table.iter();
        prop_assert_eq!(&collect_all(&mut it).unwrap(), &entries);

        for (user, seq) in seeks {
            let target = internal_key(&user, seq, ValueKind::SEEK);
            it.seek(&target).unwrap();
            let want = entries.iter().position(|(k, _)| compare_internal(k, &target) != Ordering::Less);
            match want {
                Some(i) => {
                    prop_assert!(it.valid());
                    prop_assert_eq!(it.key(), &entries[i].0[..]);
                    prop_assert_eq!(it.value(), &entries[i].1[..]);
                    // The cursor continues correctly from a seek.
                    it.next().unwrap();
                    match entries.get(i + 1) {
                        Some((k, _)) => prop_assert_eq!(it.key(), &k[..]),
                        None => prop_assert!(!it.valid()),
                    }
                }
                None => prop_assert!(!it.valid()),
            }
            let mut stats = LookupStats::default();
            let got = table.get(&user, seq, &mut stats).unwrap();
            prop_assert_eq!(got, model_get(&entries, &user, seq));
            prop_assert!(stats.blocks_read <= 1, "one block per lookup with exact index keys");
        }
        // Every stored key, at its own seq and just below it.
        for (k, _) in &entries {
            let pk = parse_internal_key(k).unwrap();
            let mut stats = LookupStats::default();
            prop_assert!(table.may_contain(pk.user_key).unwrap());
            for s in [pk.seq, pk.seq - 1, u64::MAX] {
                let got = table.get(pk.user_key, s, &mut stats).unwrap();
                prop_assert_eq!(got, model_get(&entries, pk.user_key, s));
            }
        }
    }
}

#[test]
fn versions_spanning_blocks_are_found_at_every_read_seq() {
    // One user key with 200 versions over many tiny blocks, between neighbours.
    let mut entries = vec![entry(b"a", 500, 1, b"before")];
    for seq in (1..=200).rev() {
        entries.push(entry(
            b"key",
            seq * 2,
            (seq % 3) as u8,
            format!("v{seq}").as_bytes(),
        ));
    }
    entries.push(entry(b"z", 1, 1, b"after"));
    let fs = MemFs::new();
    let opts = TableOptions {
        block_size: 64,
        ..small_opts()
    };
    write(&fs, &path(), &entries, opts);
    let table = Table::open(&fs, &path()).unwrap();
    assert!(table.properties().num_data_blocks > 20);
    for read_seq in 0..=402 {
        let mut stats = LookupStats::default();
        let got = table.get(b"key", read_seq, &mut stats).unwrap();
        assert_eq!(
            got,
            model_get(&entries, b"key", read_seq),
            "read_seq {read_seq}"
        );
        assert_eq!(stats.filter_probes, 1);
        assert!(stats.blocks_read >= 1);
    }
}

#[test]
fn filter_negatives_skip_data_reads_and_stats_add_up() {
    let entries: Entries = (0..500u32)
        .map(|i| entry(format!("k{i:05}").as_bytes(), 7, 1, b"v"))
        .collect();
    let fs = MemFs::new();
    write(&fs, &path(), &entries, small_opts());
    let table = Table::open(&fs, &path()).unwrap();
    let reads_before = fs.stats().sst.reads;
    let mut total = LookupStats::default();
    for i in 0..1000u32 {
        let mut stats = LookupStats::default();
        let user = format!("absent{i:05}");
        assert_eq!(table.get(user.as_bytes(), 100, &mut stats).unwrap(), None);
        total += stats;
    }
    assert_eq!(total.filter_probes, 1000);
    assert!(total.filter_negatives >= 970, "{total:?}");
    assert_eq!(total.blocks_read, 1000 - total.filter_negatives);
    assert_eq!(
        fs.stats().sst.reads - reads_before,
        total.blocks_read,
        "one Fs read per block"
    );

    let mut stats = LookupStats::default();
    let got = table.get(b"k00123", 7, &mut stats).unwrap().unwrap();
    assert_eq!(
        (got.seq, got.kind, got.value),
        (7, ValueKind::Value, b"v".to_vec())
    );
    assert_eq!(
        stats,
        LookupStats {
            filter_probes: 1,
            filter_negatives: 0,
            blocks_read: 1,
            ..LookupStats::default()
        }
    );
    assert_eq!(
        table.get(b"k00123", 6, &mut stats).unwrap(),
        None,
        "not visible yet"
    );
}

#[test]
fn summary_and_properties_describe_the_contents() {
    let entries: Entries = vec![
        entry(b"a", 9, 2, b"x"),
        entry(b"a", 3, 0, b""),
        entry(b"b", 5, 2, b"yy"),
    ];
    let fs = MemFs::new();
    let s = write(&fs, &path(), &entries, small_opts());
    assert_eq!(s.smallest, entries[0].0);
    assert_eq!(s.largest, entries[2].0);
    assert_eq!((s.entries, s.tombstones), (3, 1));
    assert_eq!((s.smallest_seq, s.largest_seq), (3, 9));
    assert_eq!(s.max_expiry_ms, None, "the tombstone never expires");
    let only_expiring: Entries = vec![entry(b"a", 9, 2, b"x"), entry(b"b", 5, 2, b"yy")];
    let s = write(&fs, &path(), &only_expiring, small_opts());
    assert_eq!(s.max_expiry_ms, Some(9000));
    let p = Table::open(&fs, &path()).unwrap().properties().clone();
    assert_eq!(p.max_expiry_ms, Some(9000));
    assert_eq!(p.raw_key_bytes, 2 * 9);
    assert_eq!(p.raw_value_bytes, 9 + 10);
    assert_eq!(p.num_data_blocks, 1);
}

#[test]
fn estimated_size_tracks_the_final_size() {
    let fs = MemFs::new();
    let mut b = TableBuilder::new(fs.create(&path()).unwrap(), path(), TableOptions::default());
    for i in 0..20_000u32 {
        let (k, v) = entry(
            format!("key{i:08}").as_bytes(),
            u64::from(i) + 1,
            1,
            &[7u8; 50],
        );
        b.add(&k, &v).unwrap();
        if i % 5000 == 0 {
            assert!(b.estimated_size() > u64::from(i) * 50);
        }
    }
    let est = b.estimated_size();
    let size = b.finish().unwrap().size;
    assert!(
        est >= size && est - size < 200,
        "estimated {est}, actual {size}"
    );
}

#[test]
fn finish_syncs_so_the_table_survives_a_crash() {
    let fs = MemFs::new();
    let entries: Entries = (0..100u32)
        .map(|i| entry(&i.to_be_bytes(), 1, 1, b"v"))
        .collect();
    write(&fs, &path(), &entries, small_opts());
    fs.crash();
    let table = Table::open(&fs, &path()).unwrap();
    assert_eq!(collect_all(&mut table.iter()).unwrap(), entries);
}

#[test]
fn empty_table_round_trips() {
    let fs = MemFs::new();
    let s = write(&fs, &path(), &Vec::new(), small_opts());
    assert_eq!((s.entries, s.smallest.len(), s.max_expiry_ms), (0, 0, None));
    let table = Table::open(&fs, &path()).unwrap();
    assert!(collect_all(&mut table.iter()).unwrap().is_empty());
    let mut stats = LookupStats::default();
    assert_eq!(table.get(b"k", 5, &mut stats).unwrap(), None);
    assert_eq!(stats.blocks_read, 0);
}

#[test]
fn builder_rejects_bad_input() {
    let fs = MemFs::new();
    let mut b = TableBuilder::new(fs.create(&path()).unwrap(), path(), small_opts());
    b.add(&internal_key(b"b", 5, ValueKind::Value), b"v")
        .unwrap();
    for k in [
        internal_key(b"b", 5, ValueKind::Value), // duplicate
        internal_key(b"b", 6, ValueKind::Value), // newer version after older
        internal_key(b"a", 9, ValueKind::Value), // smaller user key
    ] {
        let err = b.add(&k, b"v").unwrap_err();
        assert!(matches!(err, crate::Error::InvalidArgument(_)), "{err}");
    }
    assert!(b.add(b"short", b"v").is_err());
    let mut bad_kind = internal_key(b"c", 1, ValueKind::Value);
    let n = bad_kind.len();
    bad_kind[n - 8] = 9;
    assert!(b.add(&bad_kind, b"v").is_err());
    assert!(b
        .add(
            &internal_key(b"c", 1, ValueKind::ValueWithExpiry),
            b"1234567"
        )
        .is_err());
    assert_eq!(b.num_entries(), 1);
    b.add(&internal_key(b"c", 1, ValueKind::Value), b"w")
        .unwrap();
    assert_eq!(b.finish().unwrap().entries, 2);
}

#[test]
fn seek_with_a_non_internal_key_is_an_error() {
    let fs = MemFs::new();
    write(&fs, &path(), &vec![entry(b"a", 1, 1, b"v")], small_opts());
    let mut it = Table::open(&fs, &path()).unwrap().iter();
    assert!(matches!(
        it.seek(b"a"),
        Err(crate::Error::InvalidArgument(_))
    ));
    assert!(!it.valid());
}

/// Opens the table and reads every entry both ways. Panics on wrong data;
/// returns the first error.
fn read_everything(fs: &MemFs, p: &Path, entries: &Entries) -> crate::Result<()> {
    let table = Table::open(fs, p)?;
    let mut it = table.iter();
    it.seek_to_first()?;
    for (k, v) in entries {
        assert!(it.valid(), "entries missing without an error");
        assert_eq!((it.key(), it.value()), (&k[..], &v[..]), "wrong data");
        it.next()?;
    }
    assert!(!it.valid(), "extra entries without an error");
    for (k, _) in entries {
        let pk = parse_internal_key(k).unwrap();
        let got = table.get(pk.user_key, pk.seq, &mut LookupStats::default())?;
        assert_eq!(got, model_get(entries, pk.user_key, pk.seq), "wrong data");
    }
    Ok(())
}

fn assert_corruption_naming_file(r: crate::Result<()>, p: &Path, what: &str) {
    let err = match r {
        Ok(()) => panic!("{what}: damage went undetected"),
        Err(e) => e,
    };
    assert!(err.is_corruption(), "{what}: not a corruption error: {err}");
    let name = p.file_name().unwrap().to_str().unwrap();
    assert!(
        err.to_string().contains(name),
        "{what}: error does not name the file: {err}"
    );
}

fn corruption_fixture() -> (MemFs, Entries) {
    let entries: Entries = (0..60u32)
        .flat_map(|i| {
            let user = format!("user{i:04}");
            [
                entry(user.as_bytes(), 100 + u64::from(i), i as u8, b"value-bytes"),
                entry(user.as_bytes(), 5, 1, b"old"),
            ]
        })
        .collect();
    let fs = MemFs::new();
    let s = write(&fs, &path(), &entries, small_opts());
    let table = Table::open(&fs, &path()).unwrap();
    assert!(table.properties().num_data_blocks >= 4, "a few blocks");
    assert!(s.size < 8192, "keep the exhaustive test fast");
    read_everything(&fs, &path(), &entries).unwrap();
    (fs, entries)
}

#[test]
fn every_flipped_bit_is_detected_as_corruption() {
    let (fs, entries) = corruption_fixture();
    let p = path();
    let original = fs.read_all(&p).unwrap();
    for (off, &byte) in original.iter().enumerate() {
        let flipped = byte ^ (1 << (off % 8));
        fs.overwrite(&p, off, &[flipped]).unwrap();
        assert_corruption_naming_file(
            read_everything(&fs, &p, &entries),
            &p,
            &format!("bit flip at offset {off}"),
        );
        fs.overwrite(&p, off, &[byte]).unwrap();
    }
    read_everything(&fs, &p, &entries).unwrap();
}

/// Blocks of an in-memory table are slices of the file's own chunk, not
/// copies: damage done while a cursor holds one block must still be caught
/// in the next block it reads, and must not change the block it holds.
#[test]
fn damage_behind_a_cursor_holding_shared_blocks_is_still_detected() {
    let (fs, entries) = corruption_fixture();
    let p = path();
    let table = Table::open(&fs, &p).unwrap();
    let mut it = table.iter();
    it.seek_to_first().unwrap();
    let (first_key, first_value) = (it.key().to_vec(), it.value().to_vec());
    assert_eq!((&first_key, &first_value), (&entries[0].0, &entries[0].1));
    // Flip a byte in the middle of the file: a later data block (the first
    // block is a few hundred bytes, the file a few thousand).
    let size = fs.file_size(&p).unwrap() as usize;
    let original = fs.read_all(&p).unwrap();
    let off = size / 3;
    fs.overwrite(&p, off, &[original[off] ^ 0x20]).unwrap();
    assert_eq!((it.key(), it.value()), (&first_key[..], &first_value[..]));
    let mut r = Ok(());
    while it.valid() {
        r = it.next();
        if r.is_err() {
            break;
        }
    }
    assert_corruption_naming_file(r, &p, "damage after the cursor's first read");
    fs.overwrite(&p, off, &[original[off]]).unwrap();
    read_everything(&fs, &p, &entries).unwrap();
}

#[test]
fn truncated_and_tiny_files_are_corruption_naming_the_file() {
    let (fs, entries) = corruption_fixture();
    let p = path();
    let original = fs.read_all(&p).unwrap();
    for len in (0..original.len()).rev() {
        fs.truncate(&p, len).unwrap();
        assert_corruption_naming_file(
            read_everything(&fs, &p, &entries),
            &p,
            &format!("truncated to {len} bytes"),
        );
    }
    let err = Table::open(&fs, &p).unwrap_err();
    assert!(err.to_string().contains("too short"), "{err}");
    // Appended garbage moves the footer: also detected.
    let mut w = fs.create(&p).unwrap();
    w.append(&original).unwrap();
    w.append(b"junk").unwrap();
    assert_corruption_naming_file(read_everything(&fs, &p, &entries), &p, "trailing garbage");
}

#[test]
fn range_tombstones_round_trip_and_widen_the_summary() {
    use crate::range_del::RangeTombstone;
    let fs = MemFs::new();
    let p = path();
    let mut b = TableBuilder::new(fs.create(&p).unwrap(), p.clone(), small_opts());
    let entries: Entries = (0..50u32)
        .map(|i| entry(format!("k{i:03}").as_bytes(), 10, 1, b"v"))
        .collect();
    for (k, v) in &entries {
        b.add(k, v).unwrap();
    }
    let tombs = vec![
        RangeTombstone::new(b"a", b"k010", 20),
        RangeTombstone::new(b"k040", b"z", 21),
    ];
    for t in &tombs {
        b.add_range_tombstone(t.clone()).unwrap();
    }
    assert!(b
        .add_range_tombstone(RangeTombstone::new(b"q", b"q", 1))
        .is_err());
    let estimated = b.estimated_size();
    let s = b.finish().unwrap();
    // Counts the range-deletion block: an over-estimate, as without one.
    assert!(
        estimated >= s.size && estimated - s.size < 200,
        "{estimated} vs {}",
        s.size
    );
    assert_eq!((s.entries, s.tombstones), (52, 2));
    assert_eq!((s.smallest_seq, s.largest_seq), (10, 21));
    assert_eq!(crate::key::user_key(&s.smallest), b"a");
    assert_eq!(crate::key::user_key(&s.largest), b"z");
    let t = Table::open(&fs, &p).unwrap();
    assert_eq!(t.raw_range_tombstones(), &tombs[..]);
    let count = t.properties().tagged.u64(range_del_block::COUNT_TAG);
    assert_eq!(count.unwrap(), Some(2), "the count is a tagged property");
    assert_eq!(t.summary(), s);
    assert_eq!(
        t.range_tombstones().max_covering_seq(b"k005", 100),
        Some(20)
    );
    // Point reads are unaffected: the reader applies the tombstones.
    assert!(t
        .get(b"k005", 100, &mut LookupStats::default())
        .unwrap()
        .is_some());
    // Every byte of the range-deletion block is checksummed.
    let bytes = fs.read_all(&p).unwrap();
    let at = bytes.len() - format::FOOTER_LEN;
    let f = format::Footer::decode(&p, at as u64, &bytes[at..]).unwrap();
    let h = f.range_dels.expect("a range-deletion block");
    for i in (h.offset..h.offset + h.size).map(|i| i as usize) {
        fs.overwrite(&p, i, &[bytes[i] ^ 0x04]).unwrap();
        let e = Table::open(&fs, &p).unwrap_err();
        assert!(e.is_corruption(), "byte {i}: {e}");
        fs.overwrite(&p, i, &[bytes[i]]).unwrap();
    }
    Table::open(&fs, &p).unwrap();
}

/// RocksDB's `FlushBlockBySizePolicy`, worked by hand: with a restart
/// point at every entry, a 16-byte user key and a 100-byte value take
/// 3 + 24 + 100 bytes and 4 of restart array, so a block of n entries is
/// estimated at 131n + 4 bytes. With `block_size_deviation` 10 a block
/// over 3,687 bytes is cut before an entry its estimate (+134) would take
/// past 4,096: 31 entries (4,065 bytes); so with 1 (over 4,056 bytes).
/// Without the deviation rule (0, or 100, RocksDB's "off") a block is cut
/// only once it has reached 4,096: 32 entries (4,196).
#[test]
fn data_blocks_are_cut_by_rocksdbs_size_policy() {
    let entries: Entries = (0..31 * 32u64)
        .map(|i| {
            let user = format!("{i:016}");
            (
                internal_key(user.as_bytes(), 1, ValueKind::Value),
                vec![b'v'; 100],
            )
        })
        .collect();
    for (deviation, blocks) in [(10, 32), (0, 31), (100, 31), (1, 32)] {
        let fs = MemFs::new();
        let opts = TableOptions {
            block_size: 4096,
            block_size_deviation: deviation,
            block_restart_interval: 1,
            bloom_bits_per_key: 0,
            bloom_layout: BloomLayout::Whole,
        };
        write(&fs, &path(), &entries, opts);
        let table = Table::open(&fs, &path()).unwrap();
        assert_eq!(
            table.properties().num_data_blocks,
            blocks,
            "block_size_deviation {deviation}"
        );
        let got = collect_all(&mut table.iter()).unwrap();
        assert_eq!(got, entries, "block_size_deviation {deviation}");
    }
}
