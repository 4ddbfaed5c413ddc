//! Generation speed (ops/s) per key distribution and for the YCSB mixes.
//! Generation must stay far below the engine's cost per op (hundreds of
//! thousands of ops/s at best): the target is tens of millions of ops/s.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lsmlab_workloads::WorkloadSpec;

const OPS: u64 = 100_000;

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(OPS));
    for (name, preset, range_deletes) in [
        ("uniform", "uniform", false),
        ("zipfian", "zipfian", false),
        ("latest", "latest", false),
        ("sequential", "sequential", false),
        ("timeseries", "timeseries", false),
        ("ycsb-a", "ycsb-a", false),
        ("ycsb-e", "ycsb-e", false),
        ("mixgraph", "mixgraph", false),
        ("queue", "queue", false),
        ("queue-range-deletes", "queue", true),
        ("delete-heavy", "delete-heavy", false),
        ("delete-heavy-range-deletes", "delete-heavy", true),
        ("counter", "counter", false),
    ] {
        let mut spec = WorkloadSpec::preset(preset).expect("preset exists");
        spec.ops = OPS;
        spec.key_count = 100_000_000;
        spec.preload = false;
        spec.range_deletes = range_deletes;
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut checksum = 0u64;
                for op in spec.generator().expect("valid spec") {
                    checksum = checksum.wrapping_add(u64::from(op.key[op.key.len() - 1]) + op.time);
                }
                black_box(checksum)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
