//! Data-driven tests of the merge kernel (`engine/testdata/kernel.txt`):
//! entries in, output files and drop counts out.
//!
//! `merge [max_file_size=SIZE] [rocksdb_cut] [grandparent_limit=N]
//! [split_at=K,K] [snapshots=S,S] [now=MS] [older_elsewhere]
//! [min_blob_size=N] [relocate_below=N]` takes input lines, each either an entry
//! `key#seq[,DEL|,EXP|,BLOB] [expiry_ms|len=N]`, a range tombstone
//! `rangedel START END SEQ`, or `grandparent <fixture file line>`, and
//! prints one line per output file then the kernel's statistics.
//! `rocksdb_cut` cuts by RocksDB's output rule (an `OutputCut`, without
//! grandparents or dynamic sizes: `max_file_size` is its target). A file with
//! range tombstones also lists them (`| [start,end)#seq`) and its key bounds.
//! With `add`, the merge operator is `add`, a merge operand is
//! `key#seq,MERGE N`, and 8-byte values print as counters (`=N`);
//! `interleaved` says data outside the merge holds versions between any two
//! sequences; `interleaved=S,S` that it holds versions (of every key) at
//! these sequences only. A `,BLOB` entry references a value in blob file 000050,
//! written before the merge; with blob arguments the output also lists the
//! blob files written and each table's references, and every reference is
//! read back and compared.

use std::path::Path;
use std::sync::Arc;

use super::{merge, DropContext, EntryFilter, OutputSpec};
use crate::blob::{BlobReader, BlobSet, BlobSettings, BlobWriter};
use crate::datadriven::{run_file, Case};
use crate::fs::{Fs, MemFs};
use crate::iter::collect_all;
use crate::key::{self, SeqNo, ValueKind};
use crate::merge_iter::VecIterator;
use crate::range_del::RangeTombstone;
use crate::sst::{Table, TableOptions};
use crate::version::fixture::{format_key, parse_file, parse_key, parse_size};
use crate::version::FileMeta;

/// The value an input entry of `user_key` carries.
fn input_value(user_key: &[u8], len: Option<usize>) -> Vec<u8> {
    match len {
        Some(n) => (0..n).map(|i| user_key[i % user_key.len()]).collect(),
        None => b"value".to_vec(),
    }
}

fn run_case(case: &Case) -> String {
    assert_eq!(case.command, "merge", "line {}", case.line);
    let fs = MemFs::new();
    let dir = Path::new("/k");
    let mut old_blobs: Option<BlobWriter> = None;
    let mut expected_values = std::collections::HashMap::new();
    let mut entries = Vec::new();
    let mut grandparents: Vec<Arc<FileMeta>> = Vec::new();
    let mut range_tombstones = Vec::new();
    for line in case.input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("rangedel ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            range_tombstones.push(RangeTombstone::new(
                f[0].as_bytes(),
                f[1].as_bytes(),
                f[2].parse().unwrap(),
            ));
            continue;
        }
        if let Some(rest) = line.strip_prefix("grandparent ") {
            grandparents.push(Arc::new(parse_file(rest).unwrap()));
            continue;
        }
        let mut parts = line.split_whitespace();
        let ikey = parse_key(parts.next().unwrap()).unwrap();
        let parsed = key::parse_internal_key(&ikey).unwrap();
        let len = |p: Option<&str>| p.map(|t| t.strip_prefix("len=").unwrap().parse().unwrap());
        let value = match parsed.kind {
            ValueKind::Tombstone | ValueKind::RangeDelete => vec![],
            ValueKind::Merge => {
                let n: u64 = parts.next().expect("operand").parse().unwrap();
                n.to_le_bytes().to_vec()
            }
            ValueKind::Value => input_value(parsed.user_key, len(parts.next())),
            ValueKind::ValueWithExpiry => {
                let at: u64 = parts.next().expect("expiry ms").parse().unwrap();
                key::encode_expiring_value(at, b"value")
            }
            ValueKind::BlobIndex => {
                let w = old_blobs.get_or_insert_with(|| BlobWriter::create(&fs, dir, 50).unwrap());
                let v = input_value(parsed.user_key, len(parts.next()));
                w.add(parsed.user_key, &v).unwrap().encode()
            }
        };
        expected_values.insert(
            (parsed.user_key.to_vec(), parsed.seq),
            (parsed.kind, value.clone()),
        );
        entries.push((ikey, value));
    }
    entries.sort_by(|a, b| key::compare_internal(&a.0, &b.0));
    let snapshots: Vec<SeqNo> = case
        .arg("snapshots")
        .map(|s| s.split(',').map(|n| n.parse().unwrap()).collect())
        .unwrap_or_default();
    let split_points: Vec<Vec<u8>> = case
        .arg("split_at")
        .map(|s| s.split(',').map(|k| k.as_bytes().to_vec()).collect())
        .unwrap_or_default();
    let blob_args = case.has_arg("min_blob_size") || old_blobs.is_some();
    let mut blobs = BlobSet::default();
    if let Some(w) = old_blobs.take() {
        w.finish().unwrap();
        blobs.insert(std::sync::Arc::new(
            BlobReader::open(&fs, &dir.join("000050.blob"), 50).unwrap(),
        ));
    }
    let rocksdb_cut = case.has_arg("rocksdb_cut").then_some(super::OutputCut {
        max_compaction_bytes: u64::MAX,
        dynamic_file_size: false,
        split_key: None,
    });
    let spec = OutputSpec {
        fs: &fs,
        dir,
        table_options: TableOptions {
            block_size: 256,
            block_size_deviation: 10,
            block_restart_interval: 4,
            bloom_bits_per_key: 10,
            bloom_layout: crate::sst::bloom::BloomLayout::Whole,
        },
        max_file_size: case.arg("max_file_size").map(|s| parse_size(s).unwrap()),
        grandparents: &grandparents,
        max_grandparent_files: case.arg("grandparent_limit").map(|n| n.parse().unwrap()),
        output_cut: rocksdb_cut.as_ref(),
        split_points: &split_points,
        oldest_time_ms: 0,
        newest_time_ms: 0,
        db_identity: None,
        marking: Default::default(),
        created_ms: None,
        oldest_tombstone_ms: None,
        checkpoint: None,
        blob: blob_args.then_some(BlobSettings {
            min_blob_size: case.arg_or("min_blob_size", 0u64),
            blob_file_size: 1 << 20,
            relocate_below: case.arg("relocate_below").map(|n| n.parse().unwrap()),
            blobs: &blobs,
        }),
    };
    let older_elsewhere = case.has_arg("older_elsewhere");
    let outside_seqs: Option<Vec<SeqNo>> =
        case.arg("interleaved")
            .filter(|v| !v.is_empty())
            .map(|list| {
                list.split(',')
                    .map(|n| {
                        n.parse()
                            .unwrap_or_else(|_| panic!("line {}: bad seq `{n}`", case.line))
                    })
                    .collect()
            });
    let mut filter = EntryFilter::new(&snapshots, case.arg_or("now", 0u64));
    let mut next = 100u64..;
    let out = merge(
        &mut VecIterator::new(entries),
        &mut filter,
        &|_: &[u8], _: SeqNo| older_elsewhere,
        DropContext {
            range_tombstones,
            older_data_in_range: &|_: &[u8], _: &[u8], _: SeqNo| older_elsewhere,
            merge_operator: case.has_arg("add").then_some(&crate::merge_op::AddU64 as _),
            data_between: &|_: &[u8], lo: SeqNo, hi: SeqNo| match &outside_seqs {
                None => case.has_arg("interleaved"),
                Some(seqs) => seqs.iter().any(|s| (lo..=hi).contains(s)),
            },
        },
        &spec,
        &mut || next.next().unwrap(),
    )
    .unwrap();
    let mut s = String::new();
    for f in &out.files {
        // What the file holds, read back through the table reader.
        let t = Table::open(&fs, &dir.join(f.file_name())).unwrap();
        let entries = collect_all(&mut t.iter()).unwrap();
        let keys: Vec<String> = entries
            .iter()
            .map(|(k, v)| match v.as_slice().try_into() {
                // With the `add` operator, counters show their value.
                Ok(n) if case.has_arg("add") => {
                    format!("{}={}", format_key(k), u64::from_le_bytes(n))
                }
                _ => format_key(k),
            })
            .collect();
        for (k, v) in &entries {
            let p = key::parse_internal_key(k).unwrap();
            if p.kind != ValueKind::BlobIndex {
                continue;
            }
            // A reference reads back the value the input entry carried.
            let mut all = blobs.clone();
            for b in &out.blob_files {
                let path = dir.join(crate::blob::blob_file_name(b.number));
                all.insert(std::sync::Arc::new(
                    BlobReader::open(&fs, &path, b.number).unwrap(),
                ));
            }
            let got = all.resolve(dir, p.user_key, v).unwrap();
            let (kind, stored) = &expected_values[&(p.user_key.to_vec(), p.seq)];
            let want = match kind {
                ValueKind::BlobIndex => blobs.resolve(dir, p.user_key, stored).unwrap(),
                _ => stored.clone(),
            };
            assert_eq!(got, want, "{}", format_key(k));
        }
        let overlapped = grandparents
            .iter()
            .filter(|g| g.overlaps(f.smallest_user_key(), f.largest_user_key()))
            .count();
        s.push_str(&format!("{:06}: {}", f.number, keys.join(" ")));
        if !grandparents.is_empty() {
            s.push_str(&format!(" (overlaps {overlapped} grandparents)"));
        }
        let ranges = t.raw_range_tombstones();
        if !ranges.is_empty() {
            let text = |b: &[u8]| String::from_utf8_lossy(b).replace('\0', "\\0");
            s.push_str(" |");
            for r in ranges {
                s.push_str(&format!(" [{},{})#{}", text(&r.start), text(&r.end), r.seq));
            }
            s.push_str(&format!(
                " bounds {}..{}",
                format_key(&f.smallest),
                format_key(&f.largest)
            ));
        }
        s.push('\n');
    }
    let st = out.stats;
    s.push_str(&format!(
        "in={} out={} shadowed={} tombstones={} expired={} files={}\n",
        st.keys_in,
        st.keys_out,
        st.dropped_shadowed,
        st.dropped_tombstones,
        st.dropped_expired,
        st.output_files
    ));
    if blob_args {
        for b in &out.blob_files {
            s.push_str(&format!(
                "blob {:06}: {} blobs, {} value bytes\n",
                b.number, b.blob_count, b.blob_bytes
            ));
        }
        for (table, uses) in &out.table_blobs {
            let refs: Vec<String> = uses
                .iter()
                .map(|u| format!("{:06}x{}", u.file, u.count))
                .collect();
            s.push_str(&format!("refs {table:06}: {}\n", refs.join(" ")));
        }
        let b = out.blob_stats;
        s.push_str(&format!(
            "separated={} relocated={}\n",
            b.separated, b.relocated
        ));
    }
    let old = usize::from(!blobs.is_empty());
    assert_eq!(
        fs.list(dir).unwrap().len(),
        st.output_files as usize + out.blob_files.len() + old
    );
    s
}

#[test]
fn kernel_merges_as_the_fixtures_say() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kernel.txt");
    run_file(&path, run_case);
}
