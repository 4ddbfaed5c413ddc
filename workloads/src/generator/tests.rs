use std::collections::HashMap;

use super::*;
use crate::key::{decode_key, decode_series_key};
use crate::spec::{Fractions, Mix, PRESETS};
use crate::zipf::tests::zipf_probabilities;

fn spec(preset: &str, settings: &[(&str, &str)]) -> WorkloadSpec {
    let mut spec = WorkloadSpec::preset(preset).unwrap();
    for (name, value) in settings {
        spec.set(name, value).unwrap();
    }
    spec
}

fn ops(spec: &WorkloadSpec) -> Vec<Op> {
    spec.generator().unwrap().collect()
}

/// FNV-1a over every field of every op: a fingerprint of a stream.
fn digest(ops: impl Iterator<Item = Op>) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for op in ops {
        eat(&op.time.to_le_bytes());
        let (tag, len) = match &op.kind {
            OpKind::Put => (0u8, 0),
            OpKind::Delete => (1, 0),
            OpKind::Get => (2, 0),
            OpKind::Scan { len } => (3, *len),
            OpKind::DeleteRange { end } => {
                eat(end);
                (4, 0)
            }
            OpKind::Merge => (5, 0),
        };
        eat(&[tag]);
        eat(&len.to_le_bytes());
        eat(&op.key);
        eat(&op.value_len.to_le_bytes());
        eat(&op.ttl.map_or(u64::MAX, |t| t).to_le_bytes());
    }
    h
}

fn key_index(op: &Op) -> u64 {
    decode_key(&op.key).unwrap()
}

#[test]
fn same_seed_same_stream_different_seed_different_stream() {
    // Random value sizes, so even the sequential load depends on the seed.
    let base = [
        ("ops", "3000"),
        ("key_count", "2000"),
        ("value_size", "1..=1000"),
    ];
    for (name, _) in PRESETS {
        let s = spec(name, &base);
        let first = ops(&s);
        assert!(first == ops(&s), "{name}: same seed, different stream");
        let mut other = s.clone();
        other.seed = 2;
        assert!(first != ops(&other), "{name}: seed ignored");
    }
}

#[test]
fn streams_do_not_depend_on_threads_or_resumption() {
    let s = spec("ycsb-a", &[("ops", "20000"), ("key_count", "5000")]);
    let expected = digest(s.generator().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || digest(s.generator().unwrap()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), expected);
    }
    // Cloning mid-stream continues with exactly the same ops.
    let mut g = s.generator().unwrap();
    let head: Vec<Op> = g.by_ref().take(12_345).collect();
    let tail_a: Vec<Op> = g.clone().collect();
    let tail_b: Vec<Op> = g.collect();
    assert_eq!(tail_a, tail_b);
    assert_eq!(digest(head.into_iter().chain(tail_a)), expected);
}

#[test]
fn preparing_ops_ahead_changes_no_op() {
    // Every op computed from scratch (nothing prepared) must equal the op
    // computed from the lanes prepared during the previous ops.
    for (name, _) in PRESETS {
        let s = spec(
            name,
            &[
                ("ops", "3000"),
                ("key_count", "700"),
                ("value_size", "1..=99"),
            ],
        );
        let mut fresh = s.generator().unwrap();
        let from_scratch: Vec<Op> = std::iter::from_fn(|| {
            // Lanes prepared for later ops only: this op starts afresh.
            if let Some(mix) = &mut fresh.mix {
                mix.prepared.first = fresh.next + 2;
            }
            fresh.next()
        })
        .collect();
        assert!(from_scratch == ops(&s), "{name}");
    }
}

#[test]
fn streams_are_pinned_across_versions_and_machines() {
    // Fingerprints of the first ops of each kind of workload. A change here
    // changes every recorded experiment: only update them on purpose.
    let pinned = [
        ("uniform", 0xd721_63ca_d9b9_e5bf_u64),
        ("zipfian", 0x65d7_d8e8_6b31_86fe),
        ("latest", 0xf58c_4dab_1a76_32d8),
        ("sequential", 0xfe33_0d0b_2f7b_4ce1),
        ("timeseries", 0x9854_dfc4_31e7_4be0),
        ("ycsb-e", 0x2721_a9c3_3107_b9d4),
        ("ycsb-f", 0xab61_05c2_65f9_102e),
    ];
    let mut moved = Vec::new();
    for (name, expected) in pinned {
        let s = spec(
            name,
            &[
                ("ops", "3000"),
                ("key_count", "1000"),
                ("value_size", "0..=500"),
            ],
        );
        let got = digest(s.generator().unwrap().take(4000));
        if got != expected {
            moved.push(format!("(\"{name}\", {got:#x})"));
        }
    }
    assert!(moved.is_empty(), "streams changed: {}", moved.join(", "));
}

#[test]
fn streams_with_merges_and_range_deletes_are_pinned_too() {
    // As above, for the streams that use the newer op kinds.
    let ranged: &[(&str, &str)] = &[("range_deletes", "true"), ("range_delete_len", "20")];
    let pinned = [
        ("counter", &[][..], "merge", 0xdaf3_50f7_715f_86f3_u64),
        ("queue", ranged, "delete_range", 0x2d70_407e_fbec_bbbd),
        (
            "delete-heavy",
            ranged,
            "delete_range",
            0x77d4_b722_d51a_3875,
        ),
    ];
    let mut moved = Vec::new();
    for (name, extra, kind, expected) in pinned {
        let base = [
            ("ops", "3000"),
            ("key_count", "1000"),
            ("value_size", "0..=500"),
        ];
        let s = spec(name, &[base.as_slice(), extra].concat());
        let ops: Vec<Op> = s.generator().unwrap().take(4000).collect();
        assert!(
            ops.iter().any(|o| o.kind_name() == kind),
            "{name} has no {kind}"
        );
        let got = digest(ops.into_iter());
        if got != expected {
            moved.push(format!("(\"{name}\", {got:#x})"));
        }
    }
    assert!(moved.is_empty(), "streams changed: {}", moved.join(", "));
}

#[test]
fn lengths_are_exact_and_known_up_front() {
    for (name, _) in PRESETS {
        let s = spec(name, &[("ops", "1001"), ("key_count", "500")]);
        let g = s.generator().unwrap();
        let total = g.total_ops();
        assert_eq!(total, s.total_ops());
        assert_eq!(g.size_hint(), (total as usize, Some(total as usize)));
        assert_eq!(g.count() as u64, total, "{name}");
    }
    assert_eq!(
        spec("ycsb-c", &[("ops", "10"), ("key_count", "7")]).total_ops(),
        17
    );
}

#[test]
fn uniform_keys_pass_a_chi_square_test() {
    // 100 keys, 100 000 reads: chi-square with 99 degrees of freedom must
    // stay below 148.23, its 0.999 quantile. Zipfian keys fail the same test,
    // so it can tell the difference.
    let chi_square = |distribution: &str, seed: &str| {
        let s = spec(
            "uniform",
            &[
                ("distribution", distribution),
                ("mix", "c"),
                ("key_count", "100"),
                ("ops", "100000"),
                ("seed", seed),
            ],
        );
        let mut counts = [0u64; 100];
        for op in s.generator().unwrap() {
            counts[key_index(&op) as usize] += 1;
        }
        let expected = 1000.0;
        counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum::<f64>()
    };
    for seed in ["1", "2", "3"] {
        let x = chi_square("uniform", seed);
        assert!(x < 148.23, "seed {seed}: chi-square {x}");
    }
    assert!(chi_square("zipfian", "1") > 1000.0);
}

#[test]
fn zipfian_top_keys_match_zipf_probabilities() {
    // Tolerance: each of the 10 hottest keys within 5 standard errors of its
    // exact Zipf probability (about 0.003 absolute for the top key at theta
    // 0.99 with 200 000 samples).
    for theta in ["0.99", "0.5"] {
        let s = spec(
            "zipfian",
            &[
                ("mix", "c"),
                ("key_count", "1000"),
                ("ops", "200000"),
                ("theta", theta),
            ],
        );
        let g = s.generator().unwrap();
        let scramble = g.scramble().unwrap().clone();
        let mut counts = vec![0u64; 1000];
        for op in g {
            counts[key_index(&op) as usize] += 1;
        }
        let n = 200_000.0;
        for (rank, p) in zipf_probabilities(1000, s.theta, 10)
            .into_iter()
            .enumerate()
        {
            let key = scramble.apply(rank as u64);
            let observed = counts[key as usize] as f64 / n;
            let sigma = (p * (1.0 - p) / n).sqrt();
            assert!(
                (observed - p).abs() <= 5.0 * sigma,
                "theta {theta} rank {}: key {key} observed {observed}, expected {p}",
                rank + 1
            );
        }
        // The hottest keys are scattered, not the first keys of the space.
        let hot: Vec<u64> = (0..10).map(|r| scramble.apply(r)).collect();
        let spread = hot.iter().max().unwrap() - hot.iter().min().unwrap();
        assert!(spread > 500, "hot keys {hot:?}");
    }
}

#[test]
fn latest_favours_the_newest_keys_as_keys_are_inserted() {
    let s = spec("latest", &[("key_count", "1000"), ("ops", "20000")]);
    let mut live = 1000u64;
    let mut updates = 0;
    let mut near_top = 0;
    for op in s.generator().unwrap() {
        let k = key_index(&op);
        if k == live {
            live += 1; // an insert appends the next key
        } else {
            assert!(k < live, "update of a key never inserted");
            updates += 1;
            if live - k <= 10 {
                near_top += 1;
            }
        }
    }
    assert!(
        live > 10_000 - 300 + 1000 && live < 10_000 + 300 + 1000,
        "live {live}"
    );
    // Zipf(0.99) puts about a third of the mass on the 10 newest keys.
    let share = near_top as f64 / updates as f64;
    assert!((0.25..0.45).contains(&share), "share {share}");
}

#[test]
fn latest_ranks_follow_zipf_over_the_live_keys_exactly() {
    // 1001 keys: the sampler draws over 1..=1008 and redraws ranks above
    // 1001, which must leave exactly Zipf over 1..=1001. Tolerance: each
    // of the 10 newest keys within 5 standard errors of its probability.
    let s = spec(
        "latest",
        &[("mix", "c"), ("key_count", "1001"), ("ops", "200000")],
    );
    assert_eq!(recency_bound(1001), 1008);
    let mut counts = vec![0u64; 1001];
    for op in s.generator().unwrap() {
        counts[key_index(&op) as usize] += 1;
    }
    let n = 200_000.0;
    for (i, p) in zipf_probabilities(1001, s.theta, 10)
        .into_iter()
        .enumerate()
    {
        let observed = counts[1000 - i] as f64 / n;
        let sigma = (p * (1.0 - p) / n).sqrt();
        assert!(
            (observed - p).abs() <= 5.0 * sigma,
            "rank {}: observed {observed}, expected {p}",
            i + 1
        );
    }
}

#[test]
fn recency_bounds_are_close_above_and_change_in_steps() {
    for live in (1..5000).chain([1 << 40, (1 << 40) + 1, 1 << 62, 1 << 63]) {
        let bound = recency_bound(live);
        assert!(
            bound >= live && bound - live <= live / 64,
            "{live} -> {bound}"
        );
        assert!(live >= 128 || bound == live);
        // The bound of `live` is its own bound: one step, one bound.
        assert_eq!(recency_bound(bound), bound);
    }
    let distinct: std::collections::BTreeSet<u64> = (1000..2000).map(recency_bound).collect();
    assert!(distinct.len() <= 1000 / 8 + 1, "{} steps", distinct.len());
}

#[test]
fn latest_follows_the_insertion_order_of_a_shuffled_preload() {
    // YCSB D: "latest" means most recently inserted, also among preloaded
    // keys inserted in shuffled order.
    let s = spec("ycsb-d", &[("key_count", "1000"), ("ops", "20000")]);
    let mut position: HashMap<u64, u64> = HashMap::new();
    let (mut reads, mut near_top) = (0, 0);
    for op in s.generator().unwrap() {
        let k = key_index(&op);
        let live = position.len() as u64;
        match op.kind {
            OpKind::Put => assert!(position.insert(k, live).is_none(), "{k} inserted twice"),
            _ => {
                reads += 1;
                if live - position[&k] <= 10 {
                    near_top += 1;
                }
            }
        }
    }
    let share = near_top as f64 / reads as f64;
    assert!((0.25..0.45).contains(&share), "share {share}");
}

#[test]
fn sequential_load_writes_keys_in_order_and_wraps() {
    let keys: Vec<u64> = ops(&spec("sequential", &[("key_count", "5"), ("ops", "12")]))
        .iter()
        .map(key_index)
        .collect();
    assert_eq!(keys, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
}

#[test]
fn preload_inserts_every_key_once_in_the_chosen_order() {
    let shuffled = ops(&spec("ycsb-c", &[("key_count", "1000"), ("ops", "0")]));
    let mut keys: Vec<u64> = shuffled.iter().map(key_index).collect();
    assert!(shuffled.iter().all(|op| op.kind == OpKind::Put));
    assert_ne!(keys, (0..1000).collect::<Vec<_>>(), "shuffled");
    keys.sort_unstable();
    assert_eq!(keys, (0..1000).collect::<Vec<_>>());
    let ordered = ops(&spec(
        "ycsb-c",
        &[
            ("key_count", "50"),
            ("ops", "0"),
            ("preload_order", "sequential"),
        ],
    ));
    assert_eq!(
        ordered.iter().map(key_index).collect::<Vec<_>>(),
        (0..50).collect::<Vec<_>>()
    );
}

#[test]
fn mixes_have_their_proportions() {
    let count = |preset: &str, settings: &[(&str, &str)]| {
        let mut c: HashMap<&str, u64> = HashMap::new();
        let s = spec(preset, settings);
        for op in s.generator().unwrap().skip(s.preload_ops() as usize) {
            *c.entry(op.kind_name()).or_default() += 1;
        }
        c
    };
    let base = [("key_count", "1000"), ("ops", "40000")];
    let a = count("ycsb-a", &base);
    assert!((19_000..21_000).contains(&a["get"]), "{a:?}");
    let b = count("ycsb-b", &base);
    assert!((1_700..2_300).contains(&b["put"]), "{b:?}");
    let e = count("ycsb-e", &base);
    assert!(
        (37_500..38_500).contains(&e["scan"]) && e.len() == 2,
        "{e:?}"
    );
    let d = count(
        "ycsb-a",
        &[
            ("key_count", "1000"),
            ("ops", "40000"),
            ("delete_fraction", "0.1"),
        ],
    );
    assert!((3_600..4_400).contains(&d["delete"]), "{d:?}");
    let l = count("uniform", &base);
    assert_eq!(l.get("put"), Some(&40_000));
}

#[test]
fn read_modify_write_reads_then_writes_the_same_key() {
    let all = ops(&spec(
        "ycsb-f",
        &[("key_count", "100"), ("ops", "2001"), ("preload", "false")],
    ));
    let mut i = 0;
    let mut pairs = 0;
    while i < all.len() {
        if all[i].kind == OpKind::Put {
            assert_eq!(all[i - 1].kind, OpKind::Get);
            assert_eq!(all[i - 1].key, all[i].key);
            pairs += 1;
        }
        i += 1;
    }
    assert!(pairs > 500, "{pairs} read-modify-writes");
    assert_eq!(all.len(), 2001);
}

#[test]
fn sizes_scans_and_ttls_follow_the_spec() {
    let s = spec(
        "ycsb-e",
        &[
            ("key_count", "1000"),
            ("ops", "5000"),
            ("value_size", "10..=20"),
            ("ttl", "5s"),
            ("key_size", "24"),
        ],
    );
    let mut lens = std::collections::BTreeSet::new();
    for op in s.generator().unwrap() {
        assert_eq!(op.key.len(), 24);
        match op.kind {
            OpKind::Put => {
                assert!((10..=20).contains(&op.value_len));
                lens.insert(op.value_len);
                assert_eq!(op.ttl, Some(5000));
            }
            OpKind::Scan { len } => {
                assert!((1..=100).contains(&len));
                assert_eq!((op.value_len, op.ttl), (0, None));
            }
            _ => panic!("ycsb-e has only puts and scans: {op:?}"),
        }
    }
    assert_eq!(lens.len(), 11, "every size in the range occurs");
    let fixed = spec(
        "ycsb-e",
        &[
            ("key_count", "10"),
            ("ops", "500"),
            ("scan_length", "7"),
            ("scan_length_dist", "fixed"),
        ],
    );
    assert!(ops(&fixed)
        .iter()
        .all(|op| matches!(op.kind, OpKind::Put | OpKind::Scan { len: 7 })));
}

#[test]
fn simulated_time_follows_the_ingest_rate() {
    let times = |rate: &str| -> Vec<u64> {
        ops(&spec("uniform", &[("ops", "10"), ("ingest_rate", rate)]))
            .iter()
            .map(|op| op.time)
            .collect()
    };
    assert_eq!(times("1000"), (0..10).collect::<Vec<_>>());
    assert_eq!(times("250"), (0..10).map(|i| 4 * i).collect::<Vec<_>>());
    assert_eq!(times("3000"), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
}

#[test]
fn timeseries_writes_each_series_in_time_order_with_ttls() {
    let s = spec(
        "timeseries",
        &[
            ("series", "50"),
            ("ops", "50000"),
            ("ingest_rate", "20000"),
            ("read_window", "500ms"),
        ],
    );
    let mut last_ts: HashMap<u64, u64> = HashMap::new();
    let mut written: HashMap<Vec<u8>, u64> = HashMap::new();
    let (mut puts, mut hits, mut gets, mut last_time) = (0, 0, 0, 0);
    for op in s.generator().unwrap() {
        assert!(op.time >= last_time);
        last_time = op.time;
        let (series, ts) = decode_series_key(&op.key).unwrap();
        assert!(series < 50);
        match op.kind {
            OpKind::Put => {
                puts += 1;
                assert_eq!(op.ttl, Some(600_000));
                assert_eq!(ts / 1000, op.time, "timestamp is the op's time");
                if let Some(prev) = last_ts.insert(series, ts) {
                    assert!(ts > prev, "series {series}: {ts} after {prev}");
                }
                written.insert(op.key.clone(), op.time);
            }
            OpKind::Get => {
                gets += 1;
                if let Some(&at) = written.get(&op.key) {
                    hits += 1;
                    assert!(op.time - at <= 500, "read outside the window");
                }
            }
            _ => panic!("unexpected {op:?}"),
        }
    }
    assert_eq!(last_ts.len(), 50, "every series is written");
    assert!((47_000..48_000).contains(&puts), "{puts} puts");
    assert!(
        hits as f64 > 0.99 * gets as f64,
        "{hits} of {gets} reads found a point"
    );
}

#[test]
fn timeseries_scans_and_deletes_target_recent_points() {
    let mut s = spec("timeseries", &[("ops", "5000"), ("delete_fraction", "0.1")]);
    s.mix = Mix::Custom(Fractions {
        insert: 0.8,
        scan: 0.2,
        ..Fractions::ZERO
    });
    let mut written = std::collections::HashSet::new();
    let (mut deletes, mut scans) = (0, 0);
    for op in s.generator().unwrap() {
        match op.kind {
            OpKind::Put => drop(written.insert(op.key)),
            OpKind::Delete => deletes += u32::from(written.contains(&op.key)),
            OpKind::Scan { .. } => scans += u32::from(written.contains(&op.key)),
            ref other => panic!("{other:?}: no reads, merges or range deletes in this mix"),
        }
    }
    assert!(
        deletes > 400 && scans > 700,
        "{deletes} deletes, {scans} scans of written points"
    );
}

#[test]
fn generator_rejects_an_invalid_spec() {
    let s = WorkloadSpec {
        key_count: 0,
        ..WorkloadSpec::default()
    };
    let e = s.generator().unwrap_err().to_string();
    assert!(e.contains("key_count"), "{e}");
}
