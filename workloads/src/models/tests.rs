use crate::key::decode_key;
use crate::op::{Op, OpKind};
use crate::spec::WorkloadSpec;

fn ops(preset: &str, settings: &[(&str, &str)]) -> Vec<Op> {
    let mut s = WorkloadSpec::preset(preset).unwrap();
    for (n, v) in settings {
        s.set(n, v).unwrap();
    }
    s.generator().unwrap().collect()
}

fn index(op: &Op) -> u64 {
    decode_key(&op.key).unwrap()
}

#[test]
fn the_queue_puts_at_the_head_deletes_the_tail_and_scans_from_the_start() {
    let all = ops("queue", &[("ops", "20000")]);
    let (mut head, mut tail) = (0, 0);
    let mut counts = [0u64; 4];
    for op in &all {
        match op.kind {
            OpKind::Put => {
                assert_eq!(index(op), head, "enqueue at the head");
                head += 1;
                counts[0] += 1;
            }
            OpKind::Delete => {
                assert_eq!(index(op), tail, "dequeue the tail");
                assert!(tail < head, "never from an empty queue");
                tail += 1;
                counts[1] += 1;
            }
            OpKind::Scan { len } => {
                assert_eq!(index(op), 0, "scans start at the queue's first key");
                assert!((1..=100).contains(&len));
                counts[2] += 1;
            }
            OpKind::Get => counts[3] += 1,
            ref other => panic!("{other:?} in a queue without range deletes"),
        }
    }
    // 40% enqueue, 40% dequeue, 20% scan; a dequeue or scan of an empty
    // queue enqueues instead, so enqueues lead a little.
    let share = |n: u64| n as f64 / all.len() as f64;
    assert!((share(counts[1]) - 0.4).abs() < 0.02, "{counts:?}");
    assert!((share(counts[2]) - 0.2).abs() < 0.02, "{counts:?}");
    assert!(share(counts[0]) >= 0.4 - 0.02, "{counts:?}");
    assert_eq!(counts[3], 0);
}

#[test]
fn bulk_deletes_remove_runs_of_consecutive_keys() {
    let all = ops(
        "delete-heavy",
        &[
            ("key_count", "20000"),
            ("ops", "60000"),
            ("range_delete_len", "20"),
        ],
    );
    let (preload, rest) = all.split_at(20_000);
    let mut loaded: Vec<u64> = preload.iter().map(index).collect();
    loaded.sort_unstable();
    assert_eq!(
        loaded,
        (0..20_000).collect::<Vec<_>>(),
        "the preload writes every key once"
    );
    // Deletes come in runs of 20 consecutive keys.
    let mut runs = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        if rest[i].kind == OpKind::Delete {
            let start = index(&rest[i]);
            let mut n = 0;
            while i < rest.len() && rest[i].kind == OpKind::Delete && index(&rest[i]) == start + n {
                n += 1;
                i += 1;
            }
            runs.push(n);
        } else {
            i += 1;
        }
    }
    let (full, last) = runs.split_at(runs.len() - 1);
    // Two runs may touch: a run's length is a multiple of 20 unless the
    // stream ended inside it.
    assert!(full.iter().all(|n| n % 20 == 0), "{runs:?}");
    assert!(last[0] <= 40);
    let deletes = rest.iter().filter(|o| o.kind == OpKind::Delete).count() as f64;
    // About 900 runs: the share is within 0.04 (4 standard deviations).
    assert!(
        (deletes / rest.len() as f64 - 0.3).abs() < 0.04,
        "{deletes}"
    );
    let gets = rest.iter().filter(|o| o.kind == OpKind::Get).count() as f64;
    assert!(
        (gets / (rest.len() as f64 - deletes) - 0.5).abs() < 0.03,
        "{gets}"
    );
}

/// `(start, end)` key indices of every range delete in `ops`.
fn ranges(ops: &[Op]) -> Vec<(u64, u64)> {
    ops.iter()
        .filter_map(|o| match &o.kind {
            OpKind::DeleteRange { end } => Some((index(o), decode_key(end).unwrap())),
            _ => None,
        })
        .collect()
}

#[test]
fn bulk_deletes_as_range_deletes_cover_the_same_runs_with_one_op_each() {
    let settings = [
        ("key_count", "20000"),
        ("ops", "60000"),
        ("range_delete_len", "20"),
    ];
    let point = ops("delete-heavy", &settings);
    let ranged = ops(
        "delete-heavy",
        &[settings.as_slice(), &[("range_deletes", "true")]].concat(),
    );
    assert_eq!(point[..20_000], ranged[..20_000], "the same preload");
    let rest = &ranged[20_000..];
    assert!(rest.iter().all(|o| o.kind != OpKind::Delete));
    let r = ranges(rest);
    assert!(r.iter().all(|&(s, e)| e == s + 20 && e <= 20_000), "{r:?}");
    // Bulk deletes start as often per put or get in both forms: about
    // 0.3 / 20 / 0.7 = 0.0214 per other op (some 900 runs in either).
    let per_other = |bulk: usize, others: usize| bulk as f64 / others as f64;
    let ranged_rate = per_other(r.len(), rest.len() - r.len());
    let point_rest = &point[20_000..];
    let point_deletes = point_rest
        .iter()
        .filter(|o| o.kind == OpKind::Delete)
        .count();
    let point_rate = per_other(point_deletes / 20, point_rest.len() - point_deletes);
    assert!(
        (ranged_rate - point_rate).abs() < 0.2 * point_rate,
        "{ranged_rate} vs {point_rate}"
    );
}

#[test]
fn a_queue_with_range_deletes_removes_what_it_consumed_in_batches() {
    let settings = [("ops", "20000"), ("range_delete_len", "50")];
    let point = ops("queue", &settings);
    let ranged = ops(
        "queue",
        &[settings.as_slice(), &[("range_deletes", "true")]].concat(),
    );
    // The queue moves the same way: the same puts at the same op indices.
    let puts = |all: &[Op]| -> Vec<(usize, u64)> {
        all.iter()
            .enumerate()
            .filter(|(_, o)| o.kind == OpKind::Put)
            .map(|(i, o)| (i, index(o)))
            .collect()
    };
    assert_eq!(puts(&point), puts(&ranged));
    let dequeues = point.iter().filter(|o| o.kind == OpKind::Delete).count() as u64;
    let r = ranges(&ranged);
    // Consecutive batches of 50 from the queue's start, nothing deleted twice.
    for (n, &(start, end)) in r.iter().enumerate() {
        assert_eq!((start, end), (50 * n as u64, 50 * (n as u64 + 1)));
    }
    assert_eq!(r.len() as u64, dequeues / 50);
    assert!(ranged.iter().all(|o| o.kind != OpKind::Delete));
}

#[test]
fn the_counter_preset_merges_8_byte_operands_into_zipfian_counters() {
    let all = ops("counter", &[("ops", "50000")]);
    let (preload, rest) = all.split_at(100_000);
    assert!(preload
        .iter()
        .all(|o| o.kind == OpKind::Put && o.value_len == 8));
    let merges: Vec<&Op> = rest.iter().filter(|o| o.kind == OpKind::Merge).collect();
    let reads = rest.iter().filter(|o| o.kind == OpKind::Get).count();
    assert_eq!(merges.len() + reads, rest.len(), "merges and reads only");
    let share = merges.len() as f64 / rest.len() as f64;
    assert!((share - 0.7).abs() < 0.01, "{share}");
    assert!(merges.iter().all(|o| o.value_len == 8 && o.ttl.is_none()));
    assert!(merges.iter().all(|o| index(o) < 100_000));
    // Zipfian: the hottest counter takes far more than a uniform share.
    let mut hits = std::collections::HashMap::new();
    for o in &merges {
        *hits.entry(index(o)).or_insert(0u64) += 1;
    }
    let hottest = hits.values().max().copied().unwrap_or(0);
    assert!(hottest > 100, "{hottest}");
}
