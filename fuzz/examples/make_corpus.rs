//! Writes the seed corpus: small valid inputs for every fuzz target, taken
//! from a real database (tables, WAL, manifest), the example specs and
//! traces the workloads crate writes. Run from the repository root:
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_corpus`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsmlab_engine::compaction::CompactionOptions;
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::log::read_log;
use lsmlab_engine::range_del::RangeTombstone;
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
    println!("seed corpus written under {}", root.display());
}
