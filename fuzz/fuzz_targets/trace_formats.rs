//! Streaming trace readers: bytes as a RocksDB binary trace, the trace
//! analyzer's human-readable text, a Twitter and a Meta KV cache trace.
//! Opening checks every record; a trace that opens replays exactly as many
//! operations as it counted, in non-decreasing time. Never a panic.

#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lsmlab_workloads::{ReadOptions, TraceFile, TraceFormat};

fn scratch() -> &'static std::path::PathBuf {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| common::scratch_file("formats.trace"))
}

fuzz_target!(|input: &[u8]| {
    let path = scratch();
    std::fs::write(path, input).expect("write the scratch trace");
    let formats = TraceFormat::NAMES
        .iter()
        .filter_map(|n| TraceFormat::from_name(n));
    for format in formats.filter(|&f| f != TraceFormat::Csv) {
        for strict in [false, true] {
            let options = ReadOptions {
                strict,
                ..ReadOptions::default()
            };
            let Ok(trace) = TraceFile::open(path, Some(format), options) else {
                continue;
            };
            let mut n = 0u64;
            let mut last = 0;
            for op in trace.ops().expect("a validated trace reopens") {
                let op = op.expect("a validated trace replays");
                assert!(op.time >= last, "time goes backwards");
                last = op.time;
                n += 1;
            }
            assert_eq!(n, trace.len());
            if strict {
                assert_eq!(trace.counts().unsupported_total(), 0);
            }
        }
    }
});
