//! Trace parser: bytes as a trace file. Opening checks every line; a trace
//! that opens replays exactly as many operations as it counted. Never a
//! panic.

#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lsmlab_workloads::Trace;

fn scratch() -> &'static std::path::PathBuf {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| common::scratch_file("trace.csv"))
}

fuzz_target!(|input: &[u8]| {
    let path = scratch();
    std::fs::write(path, input).expect("write the scratch trace");
    let Ok(trace) = Trace::open(path) else {
        return;
    };
    let ops = trace.ops().expect("a validated trace reopens");
    let mut n = 0u64;
    for op in ops {
        let op = op.expect("a validated trace replays");
        let _ = (op.key.len(), op.value_len, op.ttl);
        n += 1;
    }
    assert_eq!(n, trace.len());
});
