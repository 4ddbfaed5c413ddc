//! Sweep spec parser: bytes as spec text, parsed with the real parameter
//! catalog; a spec that parses expands into runs whose options and
//! workloads build or fail with an error. Never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lsmlab::catalog::Catalog;
use lsmlab::runner::{build_options, build_workload};
use lsmlab::spec::SweepSpec;

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(spec) = SweepSpec::parse(text, "fuzz.toml", &Catalog) else {
        return;
    };
    let runs = spec.runs();
    assert_eq!(runs.len(), spec.run_count());
    for run in runs.iter().take(64) {
        let _ = build_options(run);
        let _ = build_workload(run);
    }
});
