use std::path::PathBuf;

use super::coding::{put_fixed32, put_fixed64, put_length_prefixed, put_varint32};
use super::*;
use crate::formats::source::{Fail, OpSource};
use crate::formats::{ReadOptions, TraceCounts, TraceFile, TraceFormat};
use crate::op::{Op, OpKind};
use crate::spec::WorkloadSpec;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/rocksdb")
        .join(name)
}

fn read_bytes(bytes: &[u8], options: ReadOptions) -> Result<(Vec<Op>, TraceCounts), Fail> {
    let mut reader = Reader::new(bytes, options);
    let mut ops = Vec::new();
    while let Some(op) = reader.next_op()? {
        ops.push(op);
    }
    Ok((ops, reader.counts().clone()))
}

fn strict() -> ReadOptions {
    ReadOptions {
        strict: true,
        ..ReadOptions::default()
    }
}

/// A db_bench key: the big-endian key number then '0' padding to 16 bytes.
fn db_bench_key(n: u64) -> Vec<u8> {
    let mut key = n.to_be_bytes().to_vec();
    key.resize(16, b'0');
    key
}

fn open(name: &str) -> (TraceFile, Vec<Op>) {
    let trace = TraceFile::open(testdata(name), None, ReadOptions::default()).unwrap();
    assert_eq!(trace.format(), TraceFormat::Rocksdb);
    let ops: Vec<Op> = trace.ops().unwrap().map(Result::unwrap).collect();
    assert_eq!(ops.len() as u64, trace.len());
    (trace, ops)
}

#[test]
fn db_bench_mixgraph_trace_has_the_counts_db_bench_reported() {
    // db_bench printed "Gets:184 Puts:152 Seek:64" for this run (README.md).
    let (trace, ops) = open("mixgraph.trace");
    let counts = trace.counts();
    assert_eq!(
        (counts.gets, counts.puts, counts.scans, counts.deletes),
        (184, 152, 64, 0)
    );
    assert!(counts.unsupported.is_empty(), "{:?}", counts.unsupported);
    assert!(ops
        .iter()
        .all(|o| o.key.len() == 16 && o.key[8..] == *b"00000000"));
    // --num=100000: every key number within it (mixgraph's power-law keys
    // come from a signed remainder, so half are negative).
    let numbers: Vec<i64> = ops
        .iter()
        .map(|o| i64::from_be_bytes(o.key[..8].try_into().unwrap()))
        .collect();
    assert!(numbers.iter().all(|n| n.unsigned_abs() < 100_000));
    assert!(numbers.iter().any(|&n| n < 0) && numbers.iter().any(|&n| n > 0));
    // --mix_max_value_size=64
    let puts: Vec<u32> = ops
        .iter()
        .filter(|o| o.kind == OpKind::Put)
        .map(|o| o.value_len)
        .collect();
    assert!(puts.iter().all(|&v| v <= 64), "{puts:?}");
    assert!(ops.windows(2).all(|w| w[0].time <= w[1].time));
    assert!(ops.iter().all(|o| o.time < 1000), "the run took 21 ms");
}

#[test]
fn db_bench_multiget_and_delete_traces_decode_keys_exactly() {
    let (trace, ops) = open("multiget.trace");
    // 40 reads in MultiGet batches of 5: 8 records, 40 gets.
    assert_eq!(trace.counts().gets, 40);
    assert_eq!(trace.counts().ops(), 40);
    assert_eq!(ops[0].key, db_bench_key(0x3d3));
    assert_eq!(ops[1].key, db_bench_key(0x26));
    let (trace, ops) = open("delete.trace");
    assert_eq!(trace.counts().deletes, 50);
    assert_eq!(trace.counts().ops(), 50);
    assert_eq!(ops[0].key, db_bench_key(0x3d3));
    assert!(ops
        .iter()
        .all(|o| o.kind == OpKind::Delete && o.key.len() == 16));
}

#[test]
fn exported_workloads_read_back_as_the_same_operations() {
    for (preset, extra) in [
        ("ycsb-e", None),
        ("ycsb-f", None),
        ("timeseries", None),
        ("counter", None),
        ("delete-heavy", Some("range_deletes")),
        ("queue", Some("range_deletes")),
    ] {
        let mut spec = WorkloadSpec::preset(preset).unwrap();
        spec.set("key_count", "200").unwrap();
        spec.set("ops", "2000").unwrap();
        spec.set("value_size", "0..=300").unwrap();
        spec.set("delete_fraction", "0.1").unwrap();
        spec.set("range_delete_len", "9").unwrap();
        if let Some(flag) = extra {
            spec.set(flag, "true").unwrap();
        }
        let original: Vec<Op> = spec.generator().unwrap().collect();
        let mut bytes = Vec::new();
        let summary = write_rocksdb_trace(&original, &mut bytes).unwrap();
        assert_eq!(summary.records, original.len() as u64);
        let options = ReadOptions {
            seek_scan_len: 7,
            ..strict()
        };
        let (ops, counts) = read_bytes(&bytes, options).unwrap();
        assert!(counts.unsupported.is_empty());
        let expected: Vec<Op> = original
            .iter()
            .map(|o| Op {
                kind: match &o.kind {
                    OpKind::Scan { .. } => OpKind::Scan { len: 7 },
                    k => k.clone(),
                },
                ttl: None,
                ..o.clone()
            })
            .collect();
        assert!(ops == expected, "{preset} reads back differently");
        assert_eq!(counts.merges, summary.merges);
        assert_eq!(counts.range_deletes, summary.range_deletes);
        let new_kinds = counts.merges + counts.range_deletes;
        assert_eq!(
            new_kinds > 0,
            preset == "counter" || extra.is_some(),
            "{preset}"
        );
        let scans = original
            .iter()
            .filter(|o| matches!(o.kind, OpKind::Scan { .. }))
            .count();
        assert_eq!(summary.scans_as_seeks, scans as u64);
        let ttls = original.iter().filter(|o| o.ttl.is_some()).count();
        assert_eq!(summary.ttl_dropped, ttls as u64);
    }
}

/// A WriteBatch record: tag, column family (if the tag has one), key, value.
type Entry<'a> = (u8, Option<u32>, &'a [u8], Option<&'a [u8]>);

/// A trace of hand-made records after a version 0.2 header.
struct Builder {
    bytes: Vec<u8>,
}

impl Builder {
    fn new() -> Self {
        let mut b = Builder { bytes: Vec::new() };
        let header = "feedcafedeadbeef\tTrace Version: 0.2\tRocksDB Version: 7.8\tFormat: x\n";
        b.record(5_000, kind::BEGIN, header.as_bytes());
        b
    }

    fn record(&mut self, ts: u64, k: u8, payload: &[u8]) -> usize {
        let at = self.bytes.len();
        put_fixed64(&mut self.bytes, ts);
        self.bytes.push(k);
        put_fixed32(&mut self.bytes, payload.len() as u32);
        self.bytes.extend_from_slice(payload);
        at
    }

    /// A write record of a batch of `(tag, cf, key, value)` entries.
    fn write(&mut self, ts: u64, count: u32, entries: &[Entry]) -> usize {
        let mut batch = Vec::new();
        put_fixed64(&mut batch, 9);
        put_fixed32(&mut batch, count);
        for (t, cf, key, value) in entries {
            batch.push(*t);
            if let Some(cf) = cf {
                put_varint32(&mut batch, *cf);
            }
            put_length_prefixed(&mut batch, key);
            if let Some(v) = value {
                put_length_prefixed(&mut batch, v);
            }
        }
        let mut payload = Vec::new();
        put_fixed64(&mut payload, 1 << field::WRITE_BATCH);
        put_length_prefixed(&mut payload, &batch);
        self.record(ts, kind::WRITE, &payload)
    }

    fn query(&mut self, ts: u64, k: u8, cf: u32, key: &[u8], bounds: bool) -> usize {
        let mut payload = Vec::new();
        let (cf_bit, key_bit) = if k == kind::GET {
            (field::GET_CF, field::GET_KEY)
        } else {
            (field::ITER_CF, field::ITER_KEY)
        };
        let mut map = 1u64 << cf_bit | 1 << key_bit;
        if bounds {
            map |= 1 << field::ITER_LOWER | 1 << field::ITER_UPPER;
        }
        put_fixed64(&mut payload, map);
        put_fixed32(&mut payload, cf);
        put_length_prefixed(&mut payload, key);
        if bounds {
            put_length_prefixed(&mut payload, b"a");
            put_length_prefixed(&mut payload, b"z");
        }
        self.record(ts, k, &payload)
    }

    fn multiget(&mut self, ts: u64, keys: &[(u32, &[u8])]) -> usize {
        let (mut cfs, mut ks) = (Vec::new(), Vec::new());
        for (cf, key) in keys {
            put_fixed32(&mut cfs, *cf);
            put_length_prefixed(&mut ks, key);
        }
        let mut payload = Vec::new();
        put_fixed64(
            &mut payload,
            1 << field::MULTI_GET_SIZE | 1 << field::MULTI_GET_CFS | 1 << field::MULTI_GET_KEYS,
        );
        put_fixed32(&mut payload, keys.len() as u32);
        put_length_prefixed(&mut payload, &cfs);
        put_length_prefixed(&mut payload, &ks);
        self.record(ts, kind::MULTI_GET, &payload)
    }
}

#[test]
fn every_record_kind_maps_or_is_counted() {
    let mut b = Builder::new();
    b.write(
        7_000,
        5,
        &[
            (tag::VALUE, None, b"k1", Some(b"vvv")),
            (tag::SINGLE_DELETION, None, b"k2", None),
            (tag::MERGE, None, b"k3", Some(b"+1")),
            (tag::RANGE_DELETION, None, b"a", Some(b"b")),
            (tag::CF_VALUE, Some(2), b"k4", Some(b"v")),
        ],
    );
    b.query(9_500, kind::GET, 0, b"k1", false);
    b.query(10_000, kind::SEEK, 0, b"k0", true);
    b.query(11_000, kind::SEEK_FOR_PREV, 0, b"k9", false);
    // Stamped before its predecessor: happens at the same time.
    b.multiget(9_000, &[(0, b"m1"), (1, b"m2"), (0, b"m3")]);
    b.record(12_000, kind::END, &[]);
    let (ops, counts) = read_bytes(&b.bytes, ReadOptions::default()).unwrap();
    let got: Vec<(OpKind, &[u8], u32, u64)> = ops
        .iter()
        .map(|o| (o.kind.clone(), &o.key[..], o.value_len, o.time))
        .collect();
    assert_eq!(
        got,
        [
            (OpKind::Put, &b"k1"[..], 3, 2),
            (OpKind::Delete, b"k2", 0, 2),
            (OpKind::Merge, b"k3", 2, 2),
            (OpKind::DeleteRange { end: b"b".to_vec() }, b"a", 0, 2),
            (OpKind::Get, b"k1", 0, 4),
            (OpKind::Scan { len: 1 }, b"k0", 0, 5),
            (OpKind::Get, b"m1", 0, 5),
            (OpKind::Get, b"m3", 0, 5),
        ]
    );
    let skipped: Vec<(&str, u64)> = counts
        .unsupported
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        skipped,
        [
            ("get (column family 1)", 1),
            ("put (column family 2)", 1),
            ("seek-for-prev", 1),
        ]
    );
    assert_eq!(counts.ops(), 8);
    assert_eq!((counts.merges, counts.range_deletes), (1, 1));
}

#[test]
fn strict_mode_names_the_offset_of_the_first_skipped_record() {
    let mut b = Builder::new();
    b.query(6_000, kind::GET, 0, b"k1", false);
    let at = b.write(7_000, 1, &[(tag::BLOB_INDEX, None, b"k3", Some(b"+1"))]);
    match read_bytes(&b.bytes, strict()) {
        Err(Fail::AtByte(offset, reason)) => {
            // Record header, field map, batch length, batch header: the tag.
            assert_eq!(offset as usize, at + METADATA_LEN + 8 + 1 + 12);
            assert!(
                reason.contains("blob-index record cannot be applied"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_traces_are_errors_with_byte_offsets() {
    let good = {
        let mut b = Builder::new();
        b.query(6_000, kind::GET, 0, b"k1", false);
        b
    };
    let header_len = good.bytes.len() - (METADATA_LEN + 8 + 4 + 1 + 2);
    let mut cases: Vec<(Vec<u8>, u64, &str)> = vec![
        (Vec::new(), 0, "empty file"),
        (
            good.bytes[..header_len + 5].to_vec(),
            header_len as u64,
            "truncated record: 5 of the 13",
        ),
        (
            good.bytes[..good.bytes.len() - 1].to_vec(),
            header_len as u64,
            "declares a 15-byte payload; the file ends after 14",
        ),
    ];
    let mut bad_magic = good.bytes.clone();
    bad_magic[METADATA_LEN] = b'x';
    cases.push((bad_magic, METADATA_LEN as u64, "lacks the magic"));
    let mut not_header = good.bytes.clone();
    not_header[8] = kind::GET;
    cases.push((not_header, METADATA_LEN as u64, "first record has type 4"));
    let mut version = good.bytes.clone();
    let v = version.windows(3).position(|w| w == b"0.2").unwrap();
    version[v + 2] = b'9';
    cases.push((
        version,
        METADATA_LEN as u64,
        "trace version \"0.9\" is not supported",
    ));
    let mut after_end = good.bytes.clone();
    let mut b = Builder { bytes: Vec::new() };
    b.record(7_000, kind::END, &[]);
    after_end.extend_from_slice(&b.bytes);
    let end_len = after_end.len();
    after_end.extend_from_slice(&good.bytes[header_len..]);
    cases.push((
        after_end,
        end_len as u64,
        "data after the trace's end record",
    ));
    let mut wrong_count = Builder::new();
    let at = wrong_count.write(7_000, 3, &[(tag::VALUE, None, b"k", Some(b"v"))]);
    cases.push((
        wrong_count.bytes,
        (at + METADATA_LEN + 9) as u64,
        "says 3 records but holds 1",
    ));
    let mut bad_tag = Builder::new();
    let at = bad_tag.write(7_000, 1, &[(0x7e, None, b"k", None)]);
    cases.push((
        bad_tag.bytes,
        (at + METADATA_LEN + 9 + 12) as u64,
        "unknown write batch record tag 0x7e",
    ));
    let mut unknown_field = Builder::new();
    let mut payload = Vec::new();
    put_fixed64(&mut payload, 1 << field::GET_KEY | 1 << 40);
    put_length_prefixed(&mut payload, b"k");
    let at = unknown_field.record(7_000, kind::GET, &payload);
    cases.push((
        unknown_field.bytes,
        (at + METADATA_LEN + 10) as u64,
        "unknown field 40 in a get record",
    ));
    let mut short_key = Builder::new();
    let mut payload = Vec::new();
    put_fixed64(&mut payload, 1 << field::GET_CF | 1 << field::GET_KEY);
    put_fixed32(&mut payload, 0);
    put_varint32(&mut payload, 9);
    payload.extend_from_slice(b"abc");
    let at = short_key.record(7_000, kind::GET, &payload);
    cases.push((
        short_key.bytes,
        (at + METADATA_LEN + 13) as u64,
        "key needs 9 bytes, only 3 left",
    ));
    for (bytes, offset, reason) in cases {
        match read_bytes(&bytes, ReadOptions::default()) {
            Err(Fail::AtByte(at, why)) => {
                assert!(why.contains(reason), "expected {reason:?}, got {why:?}");
                assert_eq!(at, offset, "{why}");
            }
            other => panic!("expected {reason:?}, got {other:?}"),
        }
    }
}

#[test]
fn version_one_traces_read_without_field_maps() {
    let mut bytes = Vec::new();
    let header = "feedcafedeadbeef\tTrace Version: 0.1\tRocksDB Version: 6.2\tFormat: x\n";
    let mut record = |k: u8, payload: &[u8]| {
        put_fixed64(&mut bytes, 1_000_000);
        bytes.push(k);
        put_fixed32(&mut bytes, payload.len() as u32);
        bytes.extend_from_slice(payload);
    };
    record(kind::BEGIN, header.as_bytes());
    let mut batch = Vec::new();
    put_fixed64(&mut batch, 0);
    put_fixed32(&mut batch, 1);
    batch.push(tag::VALUE);
    put_length_prefixed(&mut batch, b"key");
    put_length_prefixed(&mut batch, b"value");
    record(kind::WRITE, &batch);
    let mut get = Vec::new();
    put_fixed32(&mut get, 0);
    put_length_prefixed(&mut get, b"key");
    record(kind::GET, &get);
    let (ops, _) = read_bytes(&bytes, strict()).unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!((&ops[0].kind, ops[0].value_len), (&OpKind::Put, 5));
    assert_eq!((&ops[1].kind, &ops[1].key[..]), (&OpKind::Get, &b"key"[..]));
}

proptest::proptest! {
    #[test]
    fn any_bytes_after_a_header_decode_or_fail_without_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let mut b = Builder::new();
        b.bytes.extend_from_slice(&tail);
        let _ = read_bytes(&b.bytes, ReadOptions::default());
    }

    #[test]
    fn a_cut_trace_yields_a_prefix_then_an_error(cut in 0usize..2000) {
        let spec = {
            let mut s = WorkloadSpec::preset("ycsb-a").unwrap();
            s.set("key_count", "20").unwrap();
            s.set("ops", "40").unwrap();
            s
        };
        let original: Vec<Op> = spec.generator().unwrap().collect();
        let mut bytes = Vec::new();
        write_rocksdb_trace(&original, &mut bytes).unwrap();
        let cut = cut.min(bytes.len());
        let mut reader = Reader::new(&bytes[..cut], ReadOptions::default());
        let mut n = 0;
        loop {
            match reader.next_op() {
                Ok(Some(op)) => {
                    proptest::prop_assert_eq!(&op.key, &original[n].key);
                    n += 1;
                }
                Ok(None) => break,
                Err(Fail::AtByte(at, _)) => {
                    proptest::prop_assert!(at as usize <= cut);
                    break;
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    }
}

/// An op of any kind over short keys, at a time `dt` ms after the last.
fn any_op() -> impl proptest::strategy::Strategy<Value = (u8, Vec<u8>, Vec<u8>, u32, u64)> {
    use proptest::prelude::*;
    (
        0u8..6,
        proptest::collection::vec(any::<u8>(), 1..12),
        proptest::collection::vec(any::<u8>(), 1..12),
        0u32..300,
        0u64..50,
    )
}

/// The op `any_op` describes; a range delete's end sorts after its key.
fn op_of((kind, key, other, len, _): &(u8, Vec<u8>, Vec<u8>, u32, u64), time: u64) -> Op {
    let kind = match kind {
        0 => OpKind::Put,
        1 => OpKind::Delete,
        2 => OpKind::Merge,
        3 => OpKind::Get,
        4 => OpKind::Scan { len: len + 1 },
        _ => {
            let mut end = key.clone();
            end.extend_from_slice(other);
            OpKind::DeleteRange { end }
        }
    };
    let writes_bytes = matches!(kind, OpKind::Put | OpKind::Merge);
    Op {
        time,
        kind,
        key: key.clone(),
        value_len: if writes_bytes { *len } else { 0 },
        ttl: None,
    }
}

proptest::proptest! {
    /// Any sequence of ops, merges and range deletes among them, reads back
    /// from both trace formats as it was written (a RocksDB scan reads back
    /// as a seek of `seek_scan_len` keys; CSV times come from the op index).
    #[test]
    fn any_ops_round_trip_through_both_trace_formats(
        specs in proptest::collection::vec(any_op(), 1..60)
    ) {
        let mut time = 0;
        let ops: Vec<Op> = specs
            .iter()
            .map(|s| {
                time += s.4;
                op_of(s, time)
            })
            .collect();
        let mut bytes = Vec::new();
        let summary = write_rocksdb_trace(&ops, &mut bytes).unwrap();
        let options = ReadOptions { seek_scan_len: 3, ..strict() };
        let (back, counts) = read_bytes(&bytes, options).unwrap();
        let expected: Vec<Op> = ops
            .iter()
            .map(|o| match o.kind {
                OpKind::Scan { .. } => Op { kind: OpKind::Scan { len: 3 }, ..o.clone() },
                _ => o.clone(),
            })
            .collect();
        proptest::prop_assert_eq!(&back, &expected);
        proptest::prop_assert_eq!(counts.merges, summary.merges);
        proptest::prop_assert_eq!(counts.range_deletes, summary.range_deletes);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.csv");
        crate::trace::write_trace(&ops, std::fs::File::create(&path).unwrap()).unwrap();
        let csv = crate::trace::Trace::open(&path).unwrap();
        let back: Vec<Op> = csv.ops().unwrap().map(Result::unwrap).collect();
        proptest::prop_assert_eq!(back.len(), ops.len());
        for (b, o) in back.iter().zip(&ops) {
            proptest::prop_assert_eq!((&b.kind, &b.key, b.value_len), (&o.kind, &o.key, o.value_len));
        }
    }
}
