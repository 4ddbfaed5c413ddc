//! RocksDB's binary query trace (`trace_replay/trace_replay.cc`), read and
//! written.
//!
//! A trace is a sequence of records, each `timestamp: fixed64` (microseconds),
//! `type: u8`, `payload length: fixed32`, payload. The first is the header
//! (type 1) whose payload starts with the magic `feedcafedeadbeef` and names
//! the trace version (`Trace Version: 0.2`); the last, when the tracer was
//! closed, is the footer (type 2). Since version 0.2 a query payload starts
//! with a `fixed64` bit map of the fields that follow, lowest bit first.
//! Write records carry a WriteBatch (`db/write_batch.cc`): `sequence:
//! fixed64`, `count: fixed32`, then `count` tagged records.

mod coding;
mod reader;
mod writer;

pub(crate) use reader::Reader;
pub use writer::{write_rocksdb_trace, ExportSummary};

/// The header payload's first bytes.
pub(crate) const MAGIC: &[u8] = b"feedcafedeadbeef";
/// Bytes before a record's payload: timestamp, type, payload length.
pub(crate) const METADATA_LEN: usize = 13;

/// Record types (`include/rocksdb/trace_record.h`, `TraceType`).
pub(crate) mod kind {
    pub(crate) const BEGIN: u8 = 1;
    pub(crate) const END: u8 = 2;
    pub(crate) const WRITE: u8 = 3;
    pub(crate) const GET: u8 = 4;
    pub(crate) const SEEK: u8 = 5;
    pub(crate) const SEEK_FOR_PREV: u8 = 6;
    pub(crate) const MULTI_GET: u8 = 13;
}

/// Payload field bits of version 0.2 (`TracePayloadType`).
pub(crate) mod field {
    pub(crate) const WRITE_BATCH: u32 = 1;
    pub(crate) const GET_CF: u32 = 2;
    pub(crate) const GET_KEY: u32 = 3;
    pub(crate) const ITER_CF: u32 = 4;
    pub(crate) const ITER_KEY: u32 = 5;
    pub(crate) const ITER_LOWER: u32 = 6;
    pub(crate) const ITER_UPPER: u32 = 7;
    pub(crate) const MULTI_GET_SIZE: u32 = 8;
    pub(crate) const MULTI_GET_CFS: u32 = 9;
    pub(crate) const MULTI_GET_KEYS: u32 = 10;
}

/// WriteBatch record tags (`db/dbformat.h`, `ValueType`).
pub(crate) mod tag {
    pub(crate) const DELETION: u8 = 0x0;
    pub(crate) const VALUE: u8 = 0x1;
    pub(crate) const MERGE: u8 = 0x2;
    pub(crate) const LOG_DATA: u8 = 0x3;
    pub(crate) const CF_DELETION: u8 = 0x4;
    pub(crate) const CF_VALUE: u8 = 0x5;
    pub(crate) const CF_MERGE: u8 = 0x6;
    pub(crate) const SINGLE_DELETION: u8 = 0x7;
    pub(crate) const CF_SINGLE_DELETION: u8 = 0x8;
    pub(crate) const BEGIN_PREPARE: u8 = 0x9;
    pub(crate) const END_PREPARE: u8 = 0xA;
    pub(crate) const COMMIT: u8 = 0xB;
    pub(crate) const ROLLBACK: u8 = 0xC;
    pub(crate) const NOOP: u8 = 0xD;
    pub(crate) const CF_RANGE_DELETION: u8 = 0xE;
    pub(crate) const RANGE_DELETION: u8 = 0xF;
    pub(crate) const CF_BLOB_INDEX: u8 = 0x10;
    pub(crate) const BLOB_INDEX: u8 = 0x11;
    pub(crate) const BEGIN_PERSISTED_PREPARE: u8 = 0x12;
    pub(crate) const BEGIN_UNPREPARE: u8 = 0x13;
    pub(crate) const COMMIT_WITH_TIMESTAMP: u8 = 0x15;
    pub(crate) const WIDE_COLUMN_ENTITY: u8 = 0x16;
    pub(crate) const CF_WIDE_COLUMN_ENTITY: u8 = 0x17;
    pub(crate) const VALUE_PREFERRED_SEQNO: u8 = 0x18;
    pub(crate) const CF_VALUE_PREFERRED_SEQNO: u8 = 0x19;
}

/// Whether `head` (a file's first bytes) starts with a trace header.
pub(crate) fn has_header(head: &[u8]) -> bool {
    head.len() >= METADATA_LEN + MAGIC.len()
        && head[8] == kind::BEGIN
        && &head[METADATA_LEN..METADATA_LEN + MAGIC.len()] == MAGIC
}

#[cfg(test)]
mod tests;
