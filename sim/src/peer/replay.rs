//! The traces db_bench replays: the run's operations, paced for the regime,
//! and a short idle trace that lets RocksDB finish its compactions.

use std::fs::File;
use std::path::Path;

use lsmlab_engine::Options;
use lsmlab_workloads::{write_rocksdb_trace, Op, OpKind, WorkloadError};

use super::{PeerConfig, PeerError};
use crate::runner::{build_workload, open_trace};
use crate::spec::RunSpec;

/// The regime a comparison runs in, from the lsmlab run's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// lsmlab's deterministic mode with unlimited compaction bandwidth:
    /// compaction always keeps up. RocksDB replays at `write_rate` user
    /// bytes per second so that its compaction keeps up too.
    KeepingUp,
    /// The run has a simulated compaction bandwidth (`compaction_io_rate`):
    /// RocksDB replays at full speed.
    FullSpeed,
}

impl Regime {
    /// The regime of a run with options `o`.
    pub fn of(o: &Options) -> Regime {
        if o.compaction_io_rate > 0 {
            Regime::FullSpeed
        } else {
            Regime::KeepingUp
        }
    }

    /// Its name in runs.csv and the report.
    pub fn name(self) -> &'static str {
        match self {
            Regime::KeepingUp => "keeping-up",
            Regime::FullSpeed => "full-speed",
        }
    }

    /// db_bench's `--trace_replay_fast_forward`: the paced timestamps as
    /// written, or as fast as db_bench goes.
    pub fn fast_forward(self) -> &'static str {
        match self {
            Regime::KeepingUp => "1",
            Regime::FullSpeed => "1000000",
        }
    }
}

/// User bytes of an operation, as the engine counts them (key + value for
/// a put, key + operand for a merge, the key for a delete, both bounds for
/// a range delete, nothing for a read).
fn user_bytes(op: &Op) -> u64 {
    let key = op.key.len() as u64;
    match &op.kind {
        OpKind::Put | OpKind::Merge => key + u64::from(op.value_len),
        OpKind::Delete => key,
        OpKind::DeleteRange { end } => key + end.len() as u64,
        OpKind::Get | OpKind::Scan { .. } => 0,
    }
}

/// Writes the run's operations to `trace`, each stamped with the time at
/// which `write_rate` bytes per second reach it, and to `idle` a few reads
/// spread over `settle_seconds`. Returns the operations in `trace`, and the
/// time (ms into the trace) at which each count of operations in `marks`
/// (ascending) is done.
pub(super) fn write_traces(
    run: &RunSpec,
    trace: &Path,
    idle: &Path,
    cfg: &PeerConfig,
    regime: Regime,
    marks: &[u64],
) -> Result<(u64, Vec<u64>), PeerError> {
    let werr = |source: WorkloadError| PeerError::Parse {
        run: run.run_id.clone(),
        reason: source.to_string(),
    };
    let workload = build_workload(run)?;
    let ops: Box<dyn Iterator<Item = Result<Op, WorkloadError>>> = match run.trace_spec() {
        Some(path) => Box::new(
            open_trace(run, &path, &workload, false)?
                .ops()
                .map_err(werr)?,
        ),
        None => Box::new(workload.generator().map_err(werr)?.map(Ok)),
    };
    let rate = cfg.write_rate.max(1);
    let mut written = 0u64;
    let mut count = 0u64;
    let mut mark_ms = Vec::with_capacity(marks.len());
    let mut first_error = None;
    let paced = ops.map_while(|op| match op {
        Ok(mut op) => {
            written += user_bytes(&op);
            count += 1;
            op.time = match regime {
                Regime::KeepingUp => written.saturating_mul(1000) / rate,
                Regime::FullSpeed => 0,
            };
            while marks.get(mark_ms.len()).is_some_and(|&m| m <= count) {
                mark_ms.push(op.time);
            }
            Some(op)
        }
        Err(e) => {
            first_error = Some(e);
            None
        }
    });
    let io = |path: &Path| {
        let path = path.to_path_buf();
        let run = run.run_id.clone();
        move |source| PeerError::Io { run, path, source }
    };
    let file = File::create(trace).map_err(io(trace))?;
    write_rocksdb_trace(paced, file).map_err(werr)?;
    if let Some(e) = first_error {
        return Err(werr(e));
    }
    let reads = (0..=cfg.settle_seconds).map(|s| Op {
        time: s * 1000,
        kind: OpKind::Get,
        key: b"lsmlab-peer-settle".to_vec(),
        value_len: 0,
        ttl: None,
    });
    let file = File::create(idle).map_err(io(idle))?;
    write_rocksdb_trace(reads, file).map_err(werr)?;
    // Marks past the last operation (none in a run that completes) are
    // placed at its end.
    let end = mark_ms.last().copied().unwrap_or(0);
    mark_ms.resize(marks.len(), end);
    Ok((count, mark_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsmlab_engine::batch::WriteBatch;

    /// The peer's write rate counts what the engine counts as user bytes,
    /// for every kind of operation.
    #[test]
    fn user_bytes_match_the_engines_count_for_every_kind() {
        let op = |kind, value_len| Op {
            time: 0,
            kind,
            key: b"key-0001".to_vec(),
            value_len,
            ttl: None,
        };
        let value = [7u8; 40];
        let end = b"key-0099".to_vec();
        let cases: Vec<(Op, WriteBatch)> = vec![
            (op(OpKind::Put, 40), {
                let mut b = WriteBatch::new();
                b.put(b"key-0001", &value);
                b
            }),
            (op(OpKind::Merge, 8), {
                let mut b = WriteBatch::new();
                b.merge(b"key-0001", &value[..8]);
                b
            }),
            (op(OpKind::Delete, 0), {
                let mut b = WriteBatch::new();
                b.delete(b"key-0001");
                b
            }),
            (op(OpKind::DeleteRange { end: end.clone() }, 0), {
                let mut b = WriteBatch::new();
                b.delete_range(b"key-0001", &end);
                b
            }),
            (op(OpKind::Get, 0), WriteBatch::new()),
            (op(OpKind::Scan { len: 5 }, 0), WriteBatch::new()),
        ];
        for (op, batch) in cases {
            assert_eq!(user_bytes(&op), batch.user_bytes(), "{:?}", op.kind);
        }
    }
}
