//! Writes and reads of uniformly chosen keys, and bulk deletes of key
//! ranges: `range_delete_len` consecutive keys from a uniform start, issued
//! as a run of point deletes of each key. `delete_fraction` is the share of
//! all ops that are such deletes; the mix's `read_fraction` and the writes
//! (`update`, `insert`, `rmw` all as puts) share the rest. With `preload`,
//! every key is written first.
//!
//! With `range_deletes`, each bulk delete is one range delete of the same
//! keys instead: the op that would start a run of point deletes deletes
//! the whole range, and the ops after it are puts and gets again. Bulk
//! deletes start with the same probability per op outside a run, so the
//! two forms delete ranges at the same rate relative to the puts and gets
//! (the point form spends `range_delete_len - 1` more ops on each).

use super::SALT_MODEL_OPS;
use crate::key::encode_key;
use crate::op::{Op, OpKind};
use crate::permute::Permutation;
use crate::rng::{derive_key, SplitMix64};
use crate::spec::WorkloadSpec;

const SALT_PRELOAD: u64 = 22;

#[derive(Clone, Debug)]
pub(crate) struct BulkDelete {
    /// Probability that an op outside a run starts one: with runs of `len`
    /// ops, `p len / (p len + 1 - p)` of all ops are deletes.
    start_run: f64,
    /// Share of reads among the other ops.
    read: f64,
    len: u64,
    /// One range delete per bulk delete, rather than a run of point deletes.
    ranged: bool,
    keys: u64,
    key_size: usize,
    value: (u64, u64),
    ttl: Option<u64>,
    ingest_rate: u64,
    op_key: u64,
    preload: Permutation,
    preload_ops: u64,
    /// The run in progress: next key and keys left.
    run: Option<(u64, u64)>,
}

impl BulkDelete {
    pub(crate) fn new(spec: &WorkloadSpec) -> Self {
        let f = spec.delete_fraction;
        let len = spec.range_delete_len.min(spec.key_count).max(1);
        let l = len as f64;
        let fr = spec.mix.fractions();
        let others = fr.sum();
        BulkDelete {
            start_run: if f >= 1.0 {
                1.0
            } else {
                f / (l - f * (l - 1.0))
            },
            read: if others > 0.0 { fr.read / others } else { 0.0 },
            len,
            ranged: spec.range_deletes,
            keys: spec.key_count,
            key_size: spec.key_size,
            value: (spec.value_size_min.into(), spec.value_size_max.into()),
            ttl: spec.ttl,
            ingest_rate: spec.ingest_rate,
            op_key: derive_key(spec.seed, SALT_MODEL_OPS),
            preload: Permutation::new(spec.key_count, derive_key(spec.seed, SALT_PRELOAD)),
            preload_ops: spec.preload_ops(),
            run: None,
        }
    }

    pub(crate) fn op(&mut self, index: u64) -> Op {
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let time = (u128::from(index) * 1000 / u128::from(self.ingest_rate)) as u64;
        let unit = |rng: &mut SplitMix64| rng.bits53() * (1.0 / (1u64 << 53) as f64);
        let op = |kind, key: u64, value_len, ttl| Op {
            time,
            kind,
            key: encode_key(key, self.key_size),
            value_len,
            ttl,
        };
        let put = |rng: &mut SplitMix64, key| {
            let value_len = rng.range_inclusive(self.value.0, self.value.1) as u32;
            op(OpKind::Put, key, value_len, self.ttl)
        };
        if index < self.preload_ops {
            return put(&mut rng, self.preload.apply(index));
        }
        if self.run.is_none() && unit(&mut rng) < self.start_run {
            let start = rng.below(self.keys - self.len + 1);
            if self.ranged {
                let end = encode_key(start + self.len, self.key_size);
                return op(OpKind::DeleteRange { end }, start, 0, None);
            }
            self.run = Some((start, self.len));
        }
        if let Some((key, left)) = self.run {
            self.run = (left > 1).then_some((key + 1, left - 1));
            return op(OpKind::Delete, key, 0, None);
        }
        let key = rng.below(self.keys);
        if unit(&mut rng) < self.read {
            op(OpKind::Get, key, 0, None)
        } else {
            put(&mut rng, key)
        }
    }
}
