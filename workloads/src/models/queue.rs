//! A queue kept in the store: producers append at the head (a put of the
//! next sequence number), consumers read from the queue's first key (a
//! scan that must pass over the tombstones of everything already consumed)
//! and remove the tail (a delete). The pattern whose tombstones slow real
//! databases down.
//!
//! Shares: `insert_fraction` and `update_fraction` enqueue,
//! `delete_fraction` dequeues, `scan_fraction` scans `scan_length` keys
//! from the queue's start (key 0), `read_fraction` gets the tail. An op
//! that would consume from an empty queue enqueues instead. With
//! `preload`, the queue starts holding `key_count` items.
//!
//! With `range_deletes`, the consumer reads what it dequeues (a get of the
//! item) and removes what it has consumed with one range delete every
//! `range_delete_len` items (the dequeue that completes the batch is the
//! range delete), as queues kept in RocksDB do; head and tail move exactly
//! as with point deletes.

use super::SALT_MODEL_OPS;
use crate::key::encode_key;
use crate::op::{Op, OpKind};
use crate::rng::{derive_key, SplitMix64};
use crate::spec::{ScanLengthDist, WorkloadSpec};

#[derive(Clone, Debug)]
pub(crate) struct Queue {
    /// Cumulative shares of enqueue, dequeue, scan; the rest are gets.
    bounds: [f64; 3],
    key_size: usize,
    value: (u64, u64),
    scan_length: u32,
    scan_uniform: bool,
    ttl: Option<u64>,
    ingest_rate: u64,
    op_key: u64,
    /// Next sequence number to enqueue.
    head: u64,
    /// Oldest sequence number still queued (`tail == head`: empty).
    tail: u64,
    /// Items per range delete; 0: a point delete per dequeue.
    batch: u64,
    /// Oldest item not yet deleted (dequeued items below it are).
    deleted: u64,
    preload_ops: u64,
}

impl Queue {
    pub(crate) fn new(spec: &WorkloadSpec) -> Self {
        let fr = spec.mix.fractions();
        let keep = 1.0 - spec.delete_fraction;
        let enqueue = (fr.insert + fr.update) * keep;
        let dequeue = spec.delete_fraction;
        let scan = fr.scan * keep;
        Queue {
            bounds: [enqueue, enqueue + dequeue, enqueue + dequeue + scan],
            key_size: spec.key_size,
            value: (spec.value_size_min.into(), spec.value_size_max.into()),
            scan_length: spec.scan_length,
            scan_uniform: spec.scan_length_dist == ScanLengthDist::Uniform,
            ttl: spec.ttl,
            ingest_rate: spec.ingest_rate,
            op_key: derive_key(spec.seed, SALT_MODEL_OPS),
            head: 0,
            tail: 0,
            batch: if spec.range_deletes {
                spec.range_delete_len
            } else {
                0
            },
            deleted: 0,
            preload_ops: spec.preload_ops(),
        }
    }

    pub(crate) fn op(&mut self, index: u64) -> Op {
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let time = (u128::from(index) * 1000 / u128::from(self.ingest_rate)) as u64;
        let u = rng.bits53() * (1.0 / (1u64 << 53) as f64);
        let mut choice = self.bounds.iter().position(|&b| u < b).unwrap_or(3);
        if index < self.preload_ops || (choice != 0 && self.tail == self.head) {
            choice = 0;
        }
        let op = |kind, seq: u64, value_len, ttl| Op {
            time,
            kind,
            key: encode_key(seq, self.key_size),
            value_len,
            ttl,
        };
        match choice {
            0 => {
                let value_len = rng.range_inclusive(self.value.0, self.value.1) as u32;
                self.head += 1;
                op(OpKind::Put, self.head - 1, value_len, self.ttl)
            }
            1 if self.batch == 0 => {
                self.tail += 1;
                op(OpKind::Delete, self.tail - 1, 0, None)
            }
            1 => {
                self.tail += 1;
                if self.tail - self.deleted < self.batch {
                    return op(OpKind::Get, self.tail - 1, 0, None);
                }
                let end = encode_key(self.tail, self.key_size);
                let start = std::mem::replace(&mut self.deleted, self.tail);
                op(OpKind::DeleteRange { end }, start, 0, None)
            }
            2 => {
                let len = if self.scan_uniform {
                    rng.range_inclusive(1, self.scan_length.into()) as u32
                } else {
                    self.scan_length
                };
                op(OpKind::Scan { len }, 0, 0, None)
            }
            _ => op(OpKind::Get, self.tail, 0, None),
        }
    }
}
