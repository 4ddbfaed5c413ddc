//! Streaming decoder of RocksDB's binary query trace into lsmlab operations.
//!
//! Mapping: WriteBatch puts and deletes (single deletes too) become puts and
//! deletes, gets and each key of a MultiGet become gets, an iterator seek
//! becomes a scan of `seek_scan_len` keys. Merges, range deletes,
//! SeekForPrev, other column families than the default, and the batch's
//! transaction markers have no lsmlab equivalent: they are counted by kind
//! (or, strict, an error). Record timestamps become simulated time.

use std::collections::VecDeque;
use std::io::Read;

use super::coding::{Input, Short};
use super::{field, kind, tag, MAGIC, METADATA_LEN};
use crate::formats::source::{Clock, Fail, OpSource};
use crate::formats::{ReadOptions, TraceCounts};
use crate::op::{Op, OpKind};
use crate::spec::MAX_VALUE_SIZE;

/// The largest record payload read: a write batch of several values of the
/// largest size; a larger length field is damage, not data, and is refused
/// before anything is allocated for it.
const MAX_PAYLOAD_BYTES: u32 = 64 << 20;

/// Decodes a trace from `R`, one record at a time.
pub(crate) struct Reader<R> {
    input: R,
    /// Byte offset of the next record.
    offset: u64,
    options: ReadOptions,
    counts: TraceCounts,
    clock: Clock,
    /// The trace version as RocksDB numbers it (`0.2` is 2); `None` until
    /// the header is read.
    version: Option<u32>,
    /// Ops of the last record not yet yielded (a batch or MultiGet yields
    /// several).
    pending: VecDeque<Op>,
    /// The footer was read.
    ended: bool,
    payload: Vec<u8>,
}

/// A record's decoding failure: payload position and reason.
type Bad = Short;

impl<R: Read> Reader<R> {
    pub(crate) fn new(input: R, options: ReadOptions) -> Self {
        Reader {
            input,
            offset: 0,
            options,
            counts: TraceCounts::default(),
            clock: Clock::default(),
            version: None,
            pending: VecDeque::new(),
            ended: false,
            payload: Vec::new(),
        }
    }

    /// Reads up to `buf.len()` bytes; fewer only at the end of the input.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, Fail> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Fail::Io(e)),
            }
        }
        Ok(got)
    }

    /// Reads and decodes the next record into `pending`; `false` at the end.
    fn next_record(&mut self) -> Result<bool, Fail> {
        let at = self.offset;
        let mut meta = [0u8; METADATA_LEN];
        let got = self.fill(&mut meta)?;
        if got == 0 {
            return match self.version {
                Some(_) => Ok(false),
                None => Err(Fail::AtByte(0, "empty file: no trace header".into())),
            };
        }
        if self.ended {
            return Err(Fail::AtByte(at, "data after the trace's end record".into()));
        }
        if got < METADATA_LEN {
            return Err(Fail::AtByte(
                at,
                format!("truncated record: {got} of the {METADATA_LEN} bytes before a payload"),
            ));
        }
        let ts = u64::from_le_bytes(meta[..8].try_into().expect("8 bytes"));
        let record_kind = meta[8];
        let len = u32::from_le_bytes(meta[9..13].try_into().expect("4 bytes"));
        if len > MAX_PAYLOAD_BYTES {
            return Err(Fail::AtByte(
                at,
                format!(
                    "record of type {record_kind} declares a {len}-byte payload, above the \
                     limit of {MAX_PAYLOAD_BYTES} bytes"
                ),
            ));
        }
        self.payload.clear();
        (&mut self.input)
            .take(u64::from(len))
            .read_to_end(&mut self.payload)
            .map_err(Fail::Io)?;
        if self.payload.len() < len as usize {
            return Err(Fail::AtByte(
                at,
                format!(
                    "record of type {record_kind} declares a {len}-byte payload; the file \
                     ends after {}",
                    self.payload.len()
                ),
            ));
        }
        self.offset += (METADATA_LEN + self.payload.len()) as u64;
        let base = at + METADATA_LEN as u64;
        let payload = std::mem::take(&mut self.payload);
        let result = self.decode(ts, record_kind, &payload);
        self.payload = payload;
        result.map_err(|(pos, reason)| Fail::AtByte(base + pos as u64, reason))?;
        Ok(true)
    }

    fn decode(&mut self, ts: u64, record_kind: u8, payload: &[u8]) -> Result<(), Bad> {
        let Some(version) = self.version else {
            return self.header(ts, record_kind, payload);
        };
        let mut input = Input::new(payload);
        match record_kind {
            kind::END => {
                self.ended = true;
                Ok(())
            }
            kind::BEGIN => Err((0, "a second trace header".into())),
            kind::WRITE if version < 2 => self.write_batch(ts, payload, 0),
            kind::WRITE => {
                let mut batch = None;
                for bit in fields(&mut input, "write")? {
                    match bit {
                        field::WRITE_BATCH => batch = Some(input.length_prefixed("write batch")?),
                        _ => return Err(unknown_field(&input, bit, "write")),
                    }
                }
                let batch = batch.ok_or((0, "write record without a write batch".to_string()))?;
                let start = input.pos() - batch.len();
                self.write_batch(ts, batch, start)
            }
            kind::GET | kind::SEEK | kind::SEEK_FOR_PREV => {
                let name = match record_kind {
                    kind::GET => "get",
                    kind::SEEK => "seek",
                    _ => "seek-for-prev",
                };
                let (cf, key) = if version < 2 {
                    let cf = input.fixed32("column family")?;
                    (cf, input.length_prefixed("key")?)
                } else {
                    let (mut cf, mut key) = (0, None);
                    for bit in fields(&mut input, name)? {
                        match (record_kind, bit) {
                            (kind::GET, field::GET_CF) => cf = input.fixed32("column family")?,
                            (kind::GET, field::GET_KEY) => {
                                key = Some(input.length_prefixed("key")?)
                            }
                            (kind::GET, _) => return Err(unknown_field(&input, bit, name)),
                            (_, field::ITER_CF) => cf = input.fixed32("column family")?,
                            (_, field::ITER_KEY) => key = Some(input.length_prefixed("key")?),
                            (_, field::ITER_LOWER) => {
                                input.length_prefixed("lower bound")?;
                            }
                            (_, field::ITER_UPPER) => {
                                input.length_prefixed("upper bound")?;
                            }
                            _ => return Err(unknown_field(&input, bit, name)),
                        }
                    }
                    (cf, key.ok_or((0, format!("{name} record without a key")))?)
                };
                let op_kind = match record_kind {
                    kind::GET => OpKind::Get,
                    kind::SEEK => OpKind::Scan {
                        len: self.options.seek_scan_len,
                    },
                    _ => return self.skip(name, 0),
                };
                self.push(ts, name, cf, op_kind, key, 0, 0)
            }
            kind::MULTI_GET if version < 2 => {
                Err((0, "MultiGet record in a version 0.1 trace".into()))
            }
            kind::MULTI_GET => {
                let (mut size, mut cfs, mut keys) = (None, None, None);
                for bit in fields(&mut input, "multiget")? {
                    match bit {
                        field::MULTI_GET_SIZE => size = Some(input.fixed32("multiget size")?),
                        field::MULTI_GET_CFS => {
                            cfs = Some((
                                input.pos(),
                                input.length_prefixed("multiget column families")?,
                            ))
                        }
                        field::MULTI_GET_KEYS => {
                            keys = Some((input.pos(), input.length_prefixed("multiget keys")?))
                        }
                        _ => return Err(unknown_field(&input, bit, "multiget")),
                    }
                }
                let missing = |what: &str| (0, format!("multiget record without its {what}"));
                let size = size.ok_or_else(|| missing("size"))?;
                let (cfs_at, cfs) = cfs.ok_or_else(|| missing("column families"))?;
                let (keys_at, keys) = keys.ok_or_else(|| missing("keys"))?;
                if size == 0 {
                    return Err((0, "multiget of 0 keys".into()));
                }
                let (mut cfs, mut keys) = (Input::new(cfs), Input::new(keys));
                for i in 0..size {
                    let what = format!("column family of multiget key {i} of {size}");
                    let cf = cfs.fixed32(&what).map_err(|(p, r)| (cfs_at + p, r))?;
                    let what = format!("multiget key {i} of {size}");
                    let key = keys
                        .length_prefixed(&what)
                        .map_err(|(p, r)| (keys_at + p, r))?;
                    self.push(ts, "get", cf, OpKind::Get, key, 0, keys_at)?;
                }
                Ok(())
            }
            other => self.skip(&format!("record type {other}"), 0),
        }
    }

    fn header(&mut self, ts: u64, record_kind: u8, payload: &[u8]) -> Result<(), Bad> {
        if record_kind != kind::BEGIN {
            return Err((0, format!("not a RocksDB trace: the first record has type {record_kind}, not the header's 1")));
        }
        if !payload.starts_with(MAGIC) {
            return Err((
                0,
                "not a RocksDB trace: the header lacks the magic feedcafedeadbeef".into(),
            ));
        }
        let text = String::from_utf8_lossy(payload);
        let version = text
            .split('\t')
            .find_map(|f| f.strip_prefix("Trace Version: "))
            .ok_or((0, "trace header without \"Trace Version: \"".to_string()))?;
        self.version = Some(match version.trim() {
            "0.1" => 1,
            "0.2" => 2,
            other => {
                return Err((
                    0,
                    format!(
                        "trace version {:?} is not supported (0.1 and 0.2 are)",
                        other
                    ),
                ))
            }
        });
        self.clock.start_at(ts);
        Ok(())
    }

    /// The operations of a WriteBatch found at payload position `start`.
    fn write_batch(&mut self, ts: u64, batch: &[u8], start: usize) -> Result<(), Bad> {
        let shift = |(p, r): Bad| (start + p, r);
        let mut input = Input::new(batch);
        input.fixed64("write batch sequence").map_err(shift)?;
        let count = input.fixed32("write batch count").map_err(shift)?;
        let mut found = 0u32;
        while !input.is_empty() {
            let at = input.pos();
            let t = input.u8("record tag").map_err(shift)?;
            let cf = match t {
                tag::CF_VALUE
                | tag::CF_DELETION
                | tag::CF_SINGLE_DELETION
                | tag::CF_RANGE_DELETION
                | tag::CF_MERGE
                | tag::CF_BLOB_INDEX
                | tag::CF_WIDE_COLUMN_ENTITY
                | tag::CF_VALUE_PREFERRED_SEQNO => {
                    input.varint32("column family").map_err(shift)?
                }
                _ => 0,
            };
            let two = |input: &mut Input<'_>, what: &str| {
                key_and_value(input, what)
                    .map(|(_, len)| len)
                    .map_err(shift)
            };
            let counted = match t {
                tag::VALUE | tag::CF_VALUE => {
                    let (key, len) = key_and_value(&mut input, "put").map_err(shift)?;
                    let len = u32::try_from(len).unwrap_or(u32::MAX);
                    self.push(ts, "put", cf, OpKind::Put, key, len, start + at)?;
                    true
                }
                tag::DELETION
                | tag::CF_DELETION
                | tag::SINGLE_DELETION
                | tag::CF_SINGLE_DELETION => {
                    let key = input.length_prefixed("delete key").map_err(shift)?;
                    self.push(ts, "delete", cf, OpKind::Delete, key, 0, start + at)?;
                    true
                }
                tag::MERGE | tag::CF_MERGE => {
                    let (key, len) = key_and_value(&mut input, "merge").map_err(shift)?;
                    let len = u32::try_from(len).unwrap_or(u32::MAX);
                    self.push(ts, "merge", cf, OpKind::Merge, key, len, start + at)?;
                    true
                }
                tag::RANGE_DELETION | tag::CF_RANGE_DELETION => {
                    let begin = input
                        .length_prefixed("range delete begin key")
                        .map_err(shift)?;
                    let end = input
                        .length_prefixed("range delete end key")
                        .map_err(shift)?
                        .to_vec();
                    let kind = OpKind::DeleteRange { end };
                    self.push(ts, "range-delete", cf, kind, begin, 0, start + at)?;
                    true
                }
                tag::BLOB_INDEX | tag::CF_BLOB_INDEX => {
                    two(&mut input, "blob index")?;
                    self.skip("blob-index", start + at)?;
                    true
                }
                tag::WIDE_COLUMN_ENTITY | tag::CF_WIDE_COLUMN_ENTITY => {
                    two(&mut input, "put-entity")?;
                    self.skip("put-entity", start + at)?;
                    true
                }
                tag::VALUE_PREFERRED_SEQNO | tag::CF_VALUE_PREFERRED_SEQNO => {
                    two(&mut input, "timed put")?;
                    self.skip("timed-put", start + at)?;
                    true
                }
                tag::LOG_DATA => {
                    input.length_prefixed("log data").map_err(shift)?;
                    self.skip("log-data", start + at)?;
                    false
                }
                tag::NOOP
                | tag::BEGIN_PREPARE
                | tag::BEGIN_PERSISTED_PREPARE
                | tag::BEGIN_UNPREPARE => {
                    self.skip("transaction-marker", start + at)?;
                    false
                }
                tag::END_PREPARE | tag::COMMIT | tag::ROLLBACK => {
                    input.length_prefixed("transaction id").map_err(shift)?;
                    self.skip("transaction-marker", start + at)?;
                    false
                }
                tag::COMMIT_WITH_TIMESTAMP => {
                    input.length_prefixed("commit timestamp").map_err(shift)?;
                    input.length_prefixed("transaction id").map_err(shift)?;
                    self.skip("transaction-marker", start + at)?;
                    false
                }
                other => {
                    return Err((
                        start + at,
                        format!("unknown write batch record tag {other:#04x}"),
                    ))
                }
            };
            found += u32::from(counted);
        }
        if found != count {
            return Err((
                start,
                format!("write batch says {count} records but holds {found}"),
            ));
        }
        Ok(())
    }

    /// Queues an op of the default column family, or counts it as skipped.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ts: u64,
        name: &str,
        cf: u32,
        kind: OpKind,
        key: &[u8],
        value_len: u32,
        at: usize,
    ) -> Result<(), Bad> {
        if cf != 0 {
            return self.skip(&format!("{name} (column family {cf})"), at);
        }
        if key.is_empty() {
            return self.skip(&format!("{name} (empty key)"), at);
        }
        if value_len > MAX_VALUE_SIZE {
            return self.skip(&format!("{name} (value over 16 MiB)"), at);
        }
        self.pending.push_back(Op {
            time: self.clock.ms(ts),
            kind,
            key: key.to_vec(),
            value_len,
            ttl: None,
        });
        Ok(())
    }

    fn skip(&mut self, what: &str, at: usize) -> Result<(), Bad> {
        self.counts
            .skip(what, self.options.strict)
            .map_err(|r| (at, r))
    }
}

/// A key and a value, each length-prefixed; the key and the value's length.
fn key_and_value<'a>(input: &mut Input<'a>, what: &str) -> Result<(&'a [u8], usize), Bad> {
    let key = input.length_prefixed(&format!("{what} key"))?;
    let value = input.length_prefixed(&format!("{what} value"))?;
    Ok((key, value.len()))
}

/// Reads a version 0.2 payload's field map; the set bits, lowest first.
fn fields(input: &mut Input, name: &str) -> Result<Vec<u32>, Bad> {
    let map = input.fixed64(&format!("{name} field map"))?;
    Ok((0..64).filter(|bit| map >> bit & 1 == 1).collect())
}

fn unknown_field(input: &Input, bit: u32, name: &str) -> Bad {
    (
        input.pos(),
        format!("unknown field {bit} in a {name} record"),
    )
}

impl<R: Read + Send> OpSource for Reader<R> {
    fn next_op(&mut self) -> Result<Option<Op>, Fail> {
        loop {
            if let Some(op) = self.pending.pop_front() {
                self.counts.count(&op);
                return Ok(Some(op));
            }
            if !self.next_record()? {
                return Ok(None);
            }
        }
    }

    fn counts(&self) -> &TraceCounts {
        &self.counts
    }
}
