//! Criterion benchmarks of the merge kernel (MB/s of input merged, next to
//! a plain memory copy of the same bytes), of SSTable writes and point
//! reads, on MemFs, and of a memtable's lookups and seeks.
//!
//! `cargo bench -p lsmlab-engine --bench kernel`

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lsmlab_engine::compaction::{merge, DropContext, EntryFilter, OutputSpec};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::iter::InternalIterator;
use lsmlab_engine::key::{internal_key, SeqNo, ValueKind};
use lsmlab_engine::merge_iter::MergingIterator;
use lsmlab_engine::sst::{LookupStats, Table, TableBuilder, TableOptions};

const TABLES: u64 = 4;
const ENTRIES: u64 = 50_000;

fn user_key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.to_be_bytes());
    k
}

/// Four overlapping tables: table t holds keys t, t+3, t+6, ... (so a
/// quarter of the keys appear in two tables), 100-byte values.
fn build_inputs(fs: &MemFs) -> (Vec<Arc<Table>>, u64) {
    let mut tables = Vec::new();
    let mut bytes = 0;
    for t in 0..TABLES {
        let path = Path::new("/bench").join(format!("{:06}.sst", t + 1));
        let mut b = TableBuilder::new(
            fs.create(&path).unwrap(),
            path.clone(),
            TableOptions::default(),
        );
        for i in 0..ENTRIES {
            let k = internal_key(&user_key(t + 3 * i), 1 + t * ENTRIES + i, ValueKind::Value);
            b.add(&k, &[b'v'; 100]).unwrap();
        }
        bytes += b.finish().unwrap().size;
        tables.push(Table::open(fs, &path).unwrap());
    }
    (tables, bytes)
}

fn kernel(c: &mut Criterion) {
    let fs = MemFs::new();
    let (tables, input_bytes) = build_inputs(&fs);
    let mut g = c.benchmark_group("merge_kernel");
    g.throughput(Throughput::Bytes(input_bytes));
    g.sample_size(10);
    g.bench_function("4_tables_200k_entries", |b| {
        b.iter(|| {
            let out_fs = MemFs::new();
            let children: Vec<Box<dyn InternalIterator>> = tables
                .iter()
                .map(|t| Box::new(t.iter()) as Box<dyn InternalIterator>)
                .collect();
            let mut input = MergingIterator::new(children);
            let mut filter = EntryFilter::new(&[], 0);
            let spec = OutputSpec {
                fs: &out_fs,
                dir: Path::new("/out"),
                table_options: TableOptions::default(),
                max_file_size: Some(4 << 20),
                grandparents: &[],
                max_grandparent_files: None,
                output_cut: None,
                split_points: &[],
                oldest_time_ms: 0,
                newest_time_ms: 0,
                db_identity: None,
                blob: None,
                marking: Default::default(),
                created_ms: None,
                oldest_tombstone_ms: None,
                checkpoint: None,
            };
            let mut n = 100u64..;
            let out = merge(
                &mut input,
                &mut filter,
                &|_: &[u8], _: SeqNo| false,
                DropContext::none(),
                &spec,
                &mut || n.next().unwrap(),
            )
            .unwrap();
            black_box(out.stats.bytes_written)
        })
    });
    // The yardstick for the kernel's MB/s: a plain copy of as many bytes
    // (the target is the kernel within 3x of it).
    let src = vec![b'v'; input_bytes as usize];
    let mut dst = vec![0u8; input_bytes as usize];
    g.bench_function("memcpy_same_bytes", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(dst[dst.len() / 2])
        })
    });
    // What the kernel cannot leave out: the crc32c of every input block
    // (checked as it is read) and of every output block (written), one
    // pass each over as many bytes. Beside the copy it is the floor of
    // the kernel's time.
    g.bench_function("crc32c_same_bytes_twice", |b| {
        b.iter(|| {
            let once = lsmlab_engine::coding::masked_crc(black_box(&src));
            black_box(lsmlab_engine::coding::masked_crc(black_box(&dst)) ^ once)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sst");
    g.throughput(Throughput::Elements(ENTRIES));
    g.sample_size(10);
    g.bench_function("write_50k_entries", |b| {
        b.iter(|| {
            let fs = MemFs::new();
            let path = Path::new("/w/000001.sst");
            let mut t = TableBuilder::new(
                fs.create(path).unwrap(),
                path.into(),
                TableOptions::default(),
            );
            for i in 0..ENTRIES {
                t.add(
                    &internal_key(&user_key(i), i + 1, ValueKind::Value),
                    &[b'v'; 100],
                )
                .unwrap();
            }
            black_box(t.finish().unwrap().size)
        })
    });
    g.bench_function("get_50k_present_keys", |b| {
        b.iter(|| {
            let mut stats = LookupStats::default();
            let t = &tables[0];
            for i in 0..ENTRIES {
                black_box(
                    t.get(&user_key(3 * i), SeqNo::MAX >> 8, &mut stats)
                        .unwrap(),
                );
            }
            stats.blocks_read
        })
    });
    g.finish();

    memtable(c);
}

/// Entries in the memtable benchmarks: a 4 MiB write buffer of 16-byte
/// keys and 100-byte values, as `lsmlab bench` fills one.
const MEM_ENTRIES: u64 = 30_000;

/// Point lookups of a memtable through its hash index, of keys it holds and
/// of keys it does not (most lookups of a database with 3% of its keys in
/// the memtable), beside a seek's search down the skiplist.
fn memtable(c: &mut Criterion) {
    use lsmlab_engine::memtable::Memtable;
    // Keys spread over a 1M key space, inserted in a scrambled order.
    let key_of = |i: u64| user_key(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % 1_000_000);
    let mut m = Memtable::new();
    for i in 0..MEM_ENTRIES {
        m.add(i + 1, ValueKind::Value, &key_of(i), &[b'v'; 100]);
    }
    let absent = |i: u64| user_key(1_000_000 + i);
    let mut g = c.benchmark_group("memtable");
    g.throughput(Throughput::Elements(MEM_ENTRIES));
    g.sample_size(10);
    g.bench_function("get_30k_present_keys", |b| {
        b.iter(|| {
            (0..MEM_ENTRIES)
                .filter(|&i| m.get(&key_of(i), SeqNo::MAX >> 8).is_some())
                .count()
        })
    });
    g.bench_function("get_30k_absent_keys", |b| {
        b.iter(|| {
            (0..MEM_ENTRIES)
                .filter(|&i| m.get(&absent(i), SeqNo::MAX >> 8).is_some())
                .count()
        })
    });
    g.bench_function("seek_30k_keys", |b| {
        b.iter(|| {
            (0..MEM_ENTRIES)
                .filter(|&i| m.first_at_or_after(&key_of(i)).is_some())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, kernel);
criterion_main!(benches);
