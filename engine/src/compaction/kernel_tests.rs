//! Data-driven tests of the merge kernel (`engine/testdata/kernel.txt`):
//! entries in, output files and drop counts out.
//!
//! `merge [max_file_size=SIZE] [grandparent_limit=N] [snapshots=S,S]
//! [now=MS] [older_elsewhere]` takes input lines, each either an entry
//! `key#seq[,DEL|,EXP] [expiry_ms]` or `grandparent <fixture file line>`,
//! and prints one line per output file then the kernel's statistics.

use std::path::Path;
use std::sync::Arc;

use super::{merge, EntryFilter, OutputSpec};
use crate::datadriven::{run_file, Case};
use crate::fs::{Fs, MemFs};
use crate::iter::collect_all;
use crate::key::{self, SeqNo, ValueKind};
use crate::merge_iter::VecIterator;
use crate::sst::{Table, TableOptions};
use crate::version::fixture::{format_key, parse_file, parse_key, parse_size};
use crate::version::FileMeta;

fn run_case(case: &Case) -> String {
    assert_eq!(case.command, "merge", "line {}", case.line);
    let mut entries = Vec::new();
    let mut grandparents: Vec<Arc<FileMeta>> = Vec::new();
    for line in case.input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("grandparent ") {
            grandparents.push(Arc::new(parse_file(rest).unwrap()));
            continue;
        }
        let mut parts = line.split_whitespace();
        let ikey = parse_key(parts.next().unwrap()).unwrap();
        let parsed = key::parse_internal_key(&ikey).unwrap();
        let value = match parsed.kind {
            ValueKind::Tombstone => vec![],
            ValueKind::Value => b"value".to_vec(),
            ValueKind::ValueWithExpiry => {
                let at: u64 = parts.next().expect("expiry ms").parse().unwrap();
                key::encode_expiring_value(at, b"value")
            }
        };
        entries.push((ikey, value));
    }
    entries.sort_by(|a, b| key::compare_internal(&a.0, &b.0));
    let snapshots: Vec<SeqNo> = case
        .arg("snapshots")
        .map(|s| s.split(',').map(|n| n.parse().unwrap()).collect())
        .unwrap_or_default();
    let fs = MemFs::new();
    let dir = Path::new("/k");
    let spec = OutputSpec {
        fs: &fs,
        dir,
        table_options: TableOptions {
            block_size: 256,
            block_restart_interval: 4,
            bloom_bits_per_key: 10,
        },
        max_file_size: case.arg("max_file_size").map(|s| parse_size(s).unwrap()),
        grandparents: &grandparents,
        max_grandparent_files: case.arg("grandparent_limit").map(|n| n.parse().unwrap()),
        oldest_time_ms: 0,
        newest_time_ms: 0,
        blob: None,
    };
    let older_elsewhere = case.has_arg("older_elsewhere");
    let mut filter = EntryFilter::new(&snapshots, case.arg_or("now", 0u64));
    let mut next = 100u64..;
    let out = merge(
        &mut VecIterator::new(entries),
        &mut filter,
        &|_: &[u8], _: SeqNo| older_elsewhere,
        &spec,
        &mut || next.next().unwrap(),
    )
    .unwrap();
    let mut s = String::new();
    for f in &out.files {
        // What the file holds, read back through the table reader.
        let t = Table::open(&fs, &dir.join(f.file_name())).unwrap();
        let keys: Vec<String> = collect_all(&mut t.iter())
            .unwrap()
            .iter()
            .map(|(k, _)| format_key(k))
            .collect();
        let overlapped = grandparents
            .iter()
            .filter(|g| g.overlaps(f.smallest_user_key(), f.largest_user_key()))
            .count();
        s.push_str(&format!("{:06}: {}", f.number, keys.join(" ")));
        if !grandparents.is_empty() {
            s.push_str(&format!(" (overlaps {overlapped} grandparents)"));
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
    assert_eq!(fs.list(dir).unwrap().len() as u64, st.output_files);
    s
}

#[test]
fn kernel_merges_as_the_fixtures_say() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/kernel.txt");
    run_file(&path, run_case);
}
