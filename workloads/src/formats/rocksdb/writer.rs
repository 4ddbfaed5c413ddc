//! Writes lsmlab operations as a RocksDB binary query trace (version 0.2),
//! which `db_bench --benchmarks=replay --trace_file=...` replays into
//! RocksDB.

use std::borrow::Borrow;
use std::io::Write;

use super::coding::{put_fixed32, put_fixed64, put_length_prefixed};
use super::{field, kind, tag, MAGIC};
use crate::error::WorkloadError;
use crate::op::{Op, OpKind};

/// What an export wrote, and what a RocksDB trace cannot carry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Query records written (one per operation).
    pub records: u64,
    /// Puts whose time to live was dropped: RocksDB's trace has no TTL.
    pub ttl_dropped: u64,
    /// Scans written as iterator seeks: the trace records a seek, not the
    /// keys read after it, so RocksDB's replay reads only the first.
    pub scans_as_seeks: u64,
    /// Merges written (db_bench replays them with `--merge_operator`).
    pub merges: u64,
    /// Range deletes written (`DeleteRange` records).
    pub range_deletes: u64,
}

/// The RocksDB release whose trace format this writer follows.
const ROCKSDB_VERSION: &str = "7.8";

fn record(out: &mut Vec<u8>, ts_us: u64, record_kind: u8, payload: &[u8]) {
    put_fixed64(out, ts_us);
    out.push(record_kind);
    // Payloads stay below 4 GiB: values are at most 16 MiB, keys 64 KiB.
    put_fixed32(out, payload.len() as u32);
    out.extend_from_slice(payload);
}

/// Writes `ops` as a RocksDB trace: a header, one record per operation
/// stamped with its simulated time (in microseconds), and the footer. A
/// put is a one-record WriteBatch whose value is `value_len` bytes, a
/// merge one whose operand is (replay it with the matching
/// `--merge_operator`, e.g. `uint64add` for `add`), a delete and a range
/// delete (`DeleteRange`, end exclusive) one-record WriteBatches, a get a
/// Get record, a scan an iterator Seek record, all in the default column
/// family.
pub fn write_rocksdb_trace<I, W>(ops: I, writer: W) -> Result<ExportSummary, WorkloadError>
where
    I: IntoIterator,
    I::Item: Borrow<Op>,
    W: Write,
{
    let mut out = std::io::BufWriter::with_capacity(1 << 16, writer);
    let mut summary = ExportSummary::default();
    let mut buf = Vec::new();
    let mut payload = Vec::new();
    let mut batch = Vec::new();
    let mut value: Vec<u8> = Vec::new();
    let header = format!(
        "{}\tTrace Version: 0.2\tRocksDB Version: {ROCKSDB_VERSION}\tFormat: Timestamp OpType Payload\n",
        std::str::from_utf8(MAGIC).expect("ASCII magic")
    );
    record(&mut buf, 0, kind::BEGIN, header.as_bytes());
    let mut last_us = 0;
    for op in ops {
        let op = op.borrow();
        if op.key.is_empty() || op.key.len() > 1 << 16 {
            return Err(WorkloadError::TraceWrite(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "op {} has an empty or over-long key and cannot be traced",
                    summary.records
                ),
            )));
        }
        let ts_us = op.time.saturating_mul(1000);
        last_us = ts_us;
        payload.clear();
        let record_kind = match op.kind {
            OpKind::Put | OpKind::Merge | OpKind::Delete | OpKind::DeleteRange { .. } => {
                batch.clear();
                put_fixed64(&mut batch, 0);
                put_fixed32(&mut batch, 1);
                match &op.kind {
                    OpKind::Put | OpKind::Merge => {
                        let len = op.value_len as usize;
                        if value.len() < len {
                            value = (0..len).map(|i| (i * 31 + 7) as u8).collect();
                        }
                        batch.push(if op.kind == OpKind::Put {
                            tag::VALUE
                        } else {
                            tag::MERGE
                        });
                        put_length_prefixed(&mut batch, &op.key);
                        put_length_prefixed(&mut batch, &value[..len]);
                        summary.ttl_dropped += u64::from(op.ttl.is_some());
                        summary.merges += u64::from(op.kind == OpKind::Merge);
                    }
                    OpKind::DeleteRange { end } => {
                        batch.push(tag::RANGE_DELETION);
                        put_length_prefixed(&mut batch, &op.key);
                        put_length_prefixed(&mut batch, end);
                        summary.range_deletes += 1;
                    }
                    _ => {
                        batch.push(tag::DELETION);
                        put_length_prefixed(&mut batch, &op.key);
                    }
                }
                put_fixed64(&mut payload, 1 << field::WRITE_BATCH);
                put_length_prefixed(&mut payload, &batch);
                kind::WRITE
            }
            OpKind::Get => {
                put_fixed64(&mut payload, 1 << field::GET_CF | 1 << field::GET_KEY);
                put_fixed32(&mut payload, 0);
                put_length_prefixed(&mut payload, &op.key);
                kind::GET
            }
            OpKind::Scan { .. } => {
                put_fixed64(&mut payload, 1 << field::ITER_CF | 1 << field::ITER_KEY);
                put_fixed32(&mut payload, 0);
                put_length_prefixed(&mut payload, &op.key);
                summary.scans_as_seeks += 1;
                kind::SEEK
            }
        };
        record(&mut buf, ts_us, record_kind, &payload);
        summary.records += 1;
        if buf.len() >= 1 << 16 {
            out.write_all(&buf).map_err(WorkloadError::TraceWrite)?;
            buf.clear();
        }
    }
    record(&mut buf, last_us, kind::END, &[]);
    out.write_all(&buf).map_err(WorkloadError::TraceWrite)?;
    out.flush().map_err(WorkloadError::TraceWrite)?;
    Ok(summary)
}
