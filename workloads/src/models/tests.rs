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
