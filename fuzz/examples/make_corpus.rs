//! Writes the seed corpus: small valid inputs for every fuzz target, taken
//! from a real database (tables, WAL, manifest), the example specs and
//! traces the workloads crate writes. Run from the repository root:
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_corpus`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsmlab_engine::blob::{blob_file_name, BlobWriter};
use lsmlab_engine::compaction::{CompactionOptions, MergeStats, OutputCut};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::log::read_log;
use lsmlab_engine::range_del::RangeTombstone;
use lsmlab_engine::remote::codec::write_frame;
use lsmlab_engine::remote::{FileRange, RemoteJob, RemoteResult};
use lsmlab_engine::sst::bloom::{BloomBuilder, BloomLayout};
use lsmlab_engine::sst::range_del_block;
use lsmlab_engine::sst::format::{Footer, FOOTER_LEN};
use lsmlab_engine::{Db, Env, Options, VirtualClock};
use lsmlab_workloads::{write_trace, WorkloadSpec};

fn put(dir: &Path, name: &str, mode: Option<u8>, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut data = Vec::with_capacity(bytes.len() + 1);
    data.extend(mode);
    data.extend_from_slice(bytes);
    std::fs::write(dir.join(name), data).unwrap();
}

/// Records as the targets' framing reads them: a length byte, then bytes.
fn framed(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.len() < 256) {
        out.push(r.len() as u8);
        out.extend_from_slice(r);
    }
    out
}

fn database() -> MemFs {
    let fs = MemFs::new();
    let clock = Arc::new(VirtualClock::new(1_000));
    let env = Env {
        fs: Arc::new(fs.clone()),
        clock: clock.clone(),
    };
    let opts = Options {
        write_buffer_size: 4 << 10,
        l0_file_limit: 2,
        l1_base_bytes: 8 << 10,
        base_file_size: 4 << 10,
        block_size: 256,
        compaction: CompactionOptions::default(),
        ..Options::default()
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    for i in 0..400u64 {
        let k = format!("key{:04}", (i * 37) % 150);
        match i % 11 {
            0 => db.delete(k.as_bytes()).unwrap(),
            1 => db.put_with_ttl(k.as_bytes(), b"expiring", 60_000).unwrap(),
            _ => db
                .put(k.as_bytes(), format!("value {i}").as_bytes())
                .unwrap(),
        }
        clock.advance_by(5);
    }
    drop(db); // the WAL keeps the unflushed tail
    fs
}

fn main() {
    let root = PathBuf::from("fuzz/corpus");
    let fs = database();
    let dir = Path::new("/db");
    let mut names = fs.list(dir).unwrap();
    names.sort();
    let (mut tables, mut wals) = (0, 0);
    for name in &names {
        let bytes = fs.read_all(&dir.join(name)).unwrap();
        if name.ends_with(".sst") && tables < 3 {
            tables += 1;
            let out = root.join("sst_reader");
            put(&out, &format!("table-{tables}"), Some(1), &bytes);
            put(&out, &format!("table-raw-{tables}"), Some(0), &bytes);
            // The index block alone, for the block decoder.
            let at = bytes.len() - FOOTER_LEN;
            let f = Footer::decode(Path::new(name), at as u64, &bytes[at..]).unwrap();
            let (o, s) = (f.index.offset as usize, f.index.size as usize);
            put(
                &out,
                &format!("index-block-{tables}"),
                Some(2),
                &bytes[o..o + s],
            );
            let (o, s) = (f.properties.offset as usize, f.properties.size as usize);
            put(
                &out,
                &format!("properties-{tables}"),
                Some(3),
                &bytes[o..o + s],
            );
            let (o, s) = (f.filter.offset as usize, f.filter.size as usize);
            put(&out, &format!("filter-{tables}"), Some(3), &bytes[o..o + s]);
        } else if name.ends_with(".log") && wals < 2 && !bytes.is_empty() {
            wals += 1;
            let out = root.join("wal_reader");
            put(&out, &format!("wal-{wals}"), Some(0), &bytes);
            let records = read_log(&fs, &dir.join(name)).unwrap().records;
            let mut framed_input = vec![0u8];
            framed_input.extend(framed(&records));
            put(&out, &format!("wal-records-{wals}"), Some(1), &framed_input);
            put(&out, &format!("batch-{wals}"), Some(2), &records[0]);
        } else if name.starts_with("MANIFEST-") {
            let out = root.join("manifest_decoder");
            put(&out, "manifest", Some(1), &bytes);
            let records = read_log(&fs, &dir.join(name)).unwrap().records;
            put(&out, "manifest-records", Some(2), &framed(&records));
            for (i, r) in records.iter().take(4).enumerate() {
                put(&out, &format!("edit-{i}"), Some(0), r);
            }
        }
    }
    assert!(tables > 0 && wals > 0, "{names:?}");
    // A cache-local filter (the database's tables have whole ones).
    let mut bloom = BloomBuilder::new();
    for i in 0..150u64 {
        bloom.add(format!("key{i:04}").as_bytes());
    }
    put(
        &root.join("sst_reader"),
        "filter-cache-local",
        Some(3),
        &bloom.finish(10, BloomLayout::CacheLocal),
    );

    for entry in std::fs::read_dir("sim/specs").unwrap() {
        let p = entry.unwrap().path();
        let text = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        put(&root.join("spec_parser"), &name, None, &text);
    }

    // Range-deletion blocks: overlapping tombstones, and one cut at a
    // key's successor (`k ++ [0]`) as the kernel writes them.
    let out = root.join("range_del_block");
    let overlapping = [
        RangeTombstone::new(b"key0010", b"key0050", 7),
        RangeTombstone::new(b"key0030", b"key0090", 12),
    ];
    put(&out, "overlapping", None, &range_del_block::encode(&overlapping));
    let cut = [RangeTombstone::new(b"key0001", b"key0004\0", 3)];
    put(&out, "cut", None, &range_del_block::encode(&cut));

    for preset in ["uniform", "timeseries", "ycsb-e"] {
        let mut spec = WorkloadSpec::preset(preset).unwrap();
        spec.ops = 40;
        spec.key_count = 50;
        spec.preload = false;
        let mut out = Vec::new();
        write_trace(spec.generator().unwrap(), &mut out).unwrap();
        put(
            &root.join("trace_parser"),
            &format!("{preset}.csv"),
            None,
            &out,
        );
    }
    let plain = b"op,key,value_len\nput,00ff,10\nget,00ff,0\ndelete,00ff,0\nscan,00,5\n";
    put(&root.join("trace_parser"), "plain.csv", None, plain);
    blob_seeds(&root.join("blob_reader"));
    remote_seeds(&root.join("remote_job"), &fs);
    println!("seed corpus written under {}", root.display());
}

/// A blob file as the writer makes it (mode 0), and the same records
/// framed for the writer mode (1, after its byte to flip).
fn blob_seeds(out: &Path) {
    let fs = MemFs::new();
    let dir = Path::new("/blobs");
    fs.create_dir_all(dir).unwrap();
    let mut w = BlobWriter::create(&fs, dir, 7).unwrap();
    let mut records = Vec::new();
    for i in 0..6u32 {
        let key = format!("key{i:04}").into_bytes();
        let value = vec![b'a' + i as u8; 40 + 30 * i as usize];
        w.add(&key, &value).unwrap();
        records.push(key);
        records.push(value);
    }
    w.finish().unwrap();
    let bytes = fs.read_all(&dir.join(blob_file_name(7))).unwrap();
    put(out, "blob-file", Some(0), &bytes);
    let mut written = vec![100u8];
    written.extend(framed(&records));
    put(out, "blob-records", Some(1), &written);
}

/// A remote job with every optional part, a result listing the database's
/// tables, a failure, and a framed job.
fn remote_seeds(out: &Path, fs: &MemFs) {
    let range = |lo: &str, hi: &str, seq: u64| FileRange {
        smallest: internal_key(lo.as_bytes(), seq),
        largest: internal_key(hi.as_bytes(), seq),
        smallest_seq: seq,
        size: 4096,
    };
    let job = RemoteJob {
        job_id: 3,
        inputs: vec![12, 14],
        output_level: 1,
        snapshots: vec![40, 90],
        now_ms: 1_000,
        block_size: 4096,
        block_size_deviation: 10,
        block_restart_interval: 16,
        bloom_bits_per_key: 10,
        bloom_layout: 1,
        max_output_file_size: Some(64 << 10),
        max_grandparent_files: Some(10),
        grandparents: vec![range("key0000", "key0040", 5), range("key0041", "key0090", 6)],
        others: vec![range("key0010", "key0020", 50)],
        oldest_time_ms: 10,
        newest_time_ms: 900,
        first_output_number: 100,
        output_numbers: 8,
        output_cut: Some(OutputCut {
            max_compaction_bytes: 1 << 20,
            dynamic_file_size: true,
            split_key: Some(internal_key(b"key0050", 7)),
        }),
        split_points: vec![b"key0030".to_vec(), b"key0060".to_vec()],
        db_identity: Some(b"0123456789abcdef0123456789abcdef".to_vec()),
    };
    put(out, "job", Some(0), &job.encode());
    let env = Env {
        fs: Arc::new(fs.clone()),
        clock: Arc::new(VirtualClock::new(1_000)),
    };
    let db = Db::open_with("/db", Options::default(), env).unwrap();
    let v = db.version();
    let files = (0..v.num_levels())
        .flat_map(|l| v.files(l).iter().map(|f| f.as_ref().clone()))
        .collect();
    let done = RemoteResult::Done {
        files,
        stats: MergeStats::default(),
        purged_tombstones: vec![b"key0003".to_vec()],
    };
    put(out, "result", Some(1), &done.encode());
    let failed = RemoteResult::Failed("input 000012.sst: missing".into());
    put(out, "failed", Some(1), &failed.encode());
    let mut frame = Vec::new();
    write_frame(&mut frame, &job.encode()).unwrap();
    put(out, "frame", Some(2), &frame);
}

/// `user_key` with sequence `seq` as a value's internal key.
fn internal_key(user_key: &[u8], seq: u64) -> Vec<u8> {
    let mut k = Vec::new();
    lsmlab_engine::key::append_internal_key(&mut k, user_key, seq, lsmlab_engine::key::ValueKind::Value);
    k
}
