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
    for preset in [
        "uniform",
        "zipfian",
        "latest",
        "sequential",
        "timeseries",
        "ycsb-a",
        "ycsb-e",
        "mixgraph",
        "queue",
        "delete-heavy",
    ] {
        let mut spec = WorkloadSpec::preset(preset).expect("preset exists");
        spec.ops = OPS;
        spec.key_count = 100_000_000;
        spec.preload = false;
        group.bench_function(preset, |b| {
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
