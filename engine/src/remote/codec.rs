//! The remote compaction messages and their framing on the wire.
//!
//! A frame: payload length (u32 LE), payload, masked crc32c of the payload
//! (u32 LE). Payloads are varints and length-prefixed byte strings; a
//! decoder accepts exactly what the encoder writes (known version, counts
//! bounded by the bytes left, nothing trailing) and names the field it
//! could not read.

use std::io::{Read, Write};

use crate::coding::{get_u32, masked_crc, put_length_prefixed, put_varint, Decoder};
use crate::compaction::{MergeStats, OutputCut};
use crate::error::{Error, Result};
use crate::key::{self, SeqNo};
use crate::version::FileMeta;

/// Message format version.
const VERSION: u64 = 4;
/// The largest frame either side accepts.
pub const MAX_FRAME: usize = 64 << 20;

/// The key range and oldest sequence of a file outside the job: what the
/// drop rules ask (may it hold an older version of a key?) and what the
/// grandparent cut counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRange {
    /// Smallest and largest internal keys.
    pub smallest: Vec<u8>,
    pub largest: Vec<u8>,
    pub smallest_seq: SeqNo,
    /// File size in bytes (RocksDB's cut rule counts grandparent bytes).
    pub size: u64,
}

/// A merge job as sent to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteJob {
    pub job_id: u64,
    /// Input table numbers (in the shared directory).
    pub inputs: Vec<u64>,
    pub output_level: u64,
    /// Live snapshots, ascending.
    pub snapshots: Vec<SeqNo>,
    pub now_ms: u64,
    pub block_size: u64,
    pub block_size_deviation: u64,
    pub block_restart_interval: u64,
    pub bloom_bits_per_key: u64,
    /// 0: the whole layout, 1: cache-local (see `sst::bloom`).
    pub bloom_layout: u64,
    pub max_output_file_size: Option<u64>,
    pub max_grandparent_files: Option<u64>,
    /// Files of the level below the output, by key.
    pub grandparents: Vec<FileRange>,
    /// Files outside the job that overlap its key range.
    pub others: Vec<FileRange>,
    pub oldest_time_ms: u64,
    pub newest_time_ms: u64,
    /// Output tables are numbered from here...
    pub first_output_number: u64,
    /// ...and at most this many may be written.
    pub output_numbers: u64,
    /// RocksDB's cut rule over `grandparents`, when the job has one.
    pub output_cut: Option<OutputCut>,
    /// User keys, ascending: an output ends before the first key at or
    /// above each.
    pub split_points: Vec<Vec<u8>>,
    /// The database's identity, recorded in the outputs' properties.
    pub db_identity: Option<Vec<u8>>,
}

/// What a worker returns: the outputs' metadata and the merge's figures,
/// or why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteResult {
    Done {
        files: Vec<FileMeta>,
        stats: MergeStats,
        purged_tombstones: Vec<Vec<u8>>,
    },
    Failed(String),
}

fn bad(what: impl Into<String>) -> Error {
    Error::corruption("<remote compaction message>", what.into())
}

fn put_opt(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => put_varint(out, 0),
        Some(v) => {
            put_varint(out, 1);
            put_varint(out, v);
        }
    }
}

fn put_range(out: &mut Vec<u8>, r: &FileRange) {
    put_length_prefixed(out, &r.smallest);
    put_length_prefixed(out, &r.largest);
    put_varint(out, r.smallest_seq);
    put_varint(out, r.size);
}

fn put_opt_bytes(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => put_varint(out, 0),
        Some(b) => {
            put_varint(out, 1);
            put_length_prefixed(out, b);
        }
    }
}

struct Reader<'a> {
    d: Decoder<'a>,
}

impl<'a> Reader<'a> {
    fn u(&mut self, field: &str) -> Result<u64> {
        self.d
            .varint()
            .ok_or_else(|| bad(format!("truncated {field}")))
    }

    fn bytes(&mut self, field: &str) -> Result<&'a [u8]> {
        self.d
            .length_prefixed()
            .ok_or_else(|| bad(format!("truncated {field}")))
    }

    /// A count of items of at least `min_len` bytes each: bounded by what
    /// is left, so a damaged count cannot ask for a huge allocation.
    fn count(&mut self, field: &str, min_len: usize) -> Result<usize> {
        let n = self.u(field)?;
        if n > (self.d.remaining() / min_len.max(1)) as u64 {
            return Err(bad(format!(
                "{field} count {n} exceeds the {} bytes left",
                self.d.remaining()
            )));
        }
        Ok(n as usize)
    }

    fn opt(&mut self, field: &str) -> Result<Option<u64>> {
        match self.u(field)? {
            0 => Ok(None),
            1 => Ok(Some(self.u(field)?)),
            f => Err(bad(format!("{field} flag {f} is neither 0 nor 1"))),
        }
    }

    fn ikey(&mut self, field: &str) -> Result<Vec<u8>> {
        let k = self.bytes(field)?;
        if key::parse_internal_key(k).is_none() {
            return Err(bad(format!("{field} is not an internal key")));
        }
        Ok(k.to_vec())
    }

    fn range(&mut self, field: &str) -> Result<FileRange> {
        Ok(FileRange {
            smallest: self.ikey(field)?,
            largest: self.ikey(field)?,
            smallest_seq: self.u(field)?,
            size: self.u(field)?,
        })
    }

    fn opt_bytes(&mut self, field: &str) -> Result<Option<Vec<u8>>> {
        match self.u(field)? {
            0 => Ok(None),
            1 => Ok(Some(self.bytes(field)?.to_vec())),
            f => Err(bad(format!("{field} flag {f} is neither 0 nor 1"))),
        }
    }

    fn flag(&mut self, field: &str) -> Result<bool> {
        match self.u(field)? {
            0 => Ok(false),
            1 => Ok(true),
            f => Err(bad(format!("{field} {f} is neither 0 nor 1"))),
        }
    }

    fn end(&self) -> Result<()> {
        if self.d.is_empty() {
            Ok(())
        } else {
            Err(bad(format!("{} trailing bytes", self.d.remaining())))
        }
    }
}

fn check_version(r: &mut Reader<'_>) -> Result<()> {
    match r.u("version")? {
        VERSION => Ok(()),
        v => Err(bad(format!(
            "unknown message version {v} (this side speaks {VERSION})"
        ))),
    }
}

impl RemoteJob {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, VERSION);
        put_varint(&mut out, self.job_id);
        put_varint(&mut out, self.inputs.len() as u64);
        for &n in &self.inputs {
            put_varint(&mut out, n);
        }
        put_varint(&mut out, self.output_level);
        put_varint(&mut out, self.snapshots.len() as u64);
        for &s in &self.snapshots {
            put_varint(&mut out, s);
        }
        for v in [
            self.now_ms,
            self.block_size,
            self.block_size_deviation,
            self.block_restart_interval,
            self.bloom_bits_per_key,
            self.bloom_layout,
        ] {
            put_varint(&mut out, v);
        }
        put_opt(&mut out, self.max_output_file_size);
        put_opt(&mut out, self.max_grandparent_files);
        for list in [&self.grandparents, &self.others] {
            put_varint(&mut out, list.len() as u64);
            for r in list {
                put_range(&mut out, r);
            }
        }
        for v in [
            self.oldest_time_ms,
            self.newest_time_ms,
            self.first_output_number,
            self.output_numbers,
        ] {
            put_varint(&mut out, v);
        }
        match &self.output_cut {
            None => put_varint(&mut out, 0),
            Some(c) => {
                put_varint(&mut out, 1);
                put_varint(&mut out, c.max_compaction_bytes);
                put_varint(&mut out, u64::from(c.dynamic_file_size));
                put_opt_bytes(&mut out, c.split_key.as_deref());
            }
        }
        put_varint(&mut out, self.split_points.len() as u64);
        for p in &self.split_points {
            put_length_prefixed(&mut out, p);
        }
        put_opt_bytes(&mut out, self.db_identity.as_deref());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<RemoteJob> {
        let mut r = Reader {
            d: Decoder::new(bytes),
        };
        check_version(&mut r)?;
        let job_id = r.u("job id")?;
        let n = r.count("inputs", 1)?;
        let inputs = (0..n).map(|_| r.u("input")).collect::<Result<_>>()?;
        let output_level = r.u("output level")?;
        let n = r.count("snapshots", 1)?;
        let snapshots: Vec<SeqNo> = (0..n).map(|_| r.u("snapshot")).collect::<Result<_>>()?;
        if snapshots.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("snapshots out of order"));
        }
        let now_ms = r.u("now")?;
        let block_size = r.u("block size")?;
        let block_size_deviation = r.u("block size deviation")?;
        let block_restart_interval = r.u("restart interval")?;
        let bloom_bits_per_key = r.u("bloom bits")?;
        let bloom_layout = r.u("bloom layout")?;
        if block_size == 0
            || block_size_deviation > 100
            || block_restart_interval == 0
            || bloom_bits_per_key > 64
            || bloom_layout > 1
        {
            return Err(bad("table options out of range"));
        }
        let max_output_file_size = r.opt("max output file size")?;
        let max_grandparent_files = r.opt("max grandparent files")?;
        let n = r.count("grandparents", 5)?;
        let grandparents = (0..n)
            .map(|_| r.range("grandparent"))
            .collect::<Result<_>>()?;
        let n = r.count("other files", 5)?;
        let others = (0..n)
            .map(|_| r.range("other file"))
            .collect::<Result<_>>()?;
        let mut job = RemoteJob {
            job_id,
            inputs,
            output_level,
            snapshots,
            now_ms,
            block_size,
            block_size_deviation,
            block_restart_interval,
            bloom_bits_per_key,
            bloom_layout,
            max_output_file_size,
            max_grandparent_files,
            grandparents,
            others,
            oldest_time_ms: r.u("oldest time")?,
            newest_time_ms: r.u("newest time")?,
            first_output_number: r.u("first output number")?,
            output_numbers: r.u("output numbers")?,
            output_cut: None,
            split_points: Vec::new(),
            db_identity: None,
        };
        if r.flag("output cut flag")? {
            let max_compaction_bytes = r.u("max compaction bytes")?;
            let dynamic_file_size = r.flag("dynamic file size")?;
            let split_key = r.opt_bytes("split key")?;
            if split_key
                .as_deref()
                .is_some_and(|k| key::parse_internal_key(k).is_none())
            {
                return Err(bad("split key is not an internal key"));
            }
            job.output_cut = Some(OutputCut {
                max_compaction_bytes,
                dynamic_file_size,
                split_key,
            });
        }
        let n = r.count("split points", 1)?;
        job.split_points = (0..n)
            .map(|_| r.bytes("split point").map(<[u8]>::to_vec))
            .collect::<Result<_>>()?;
        if job.split_points.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("split points out of order"));
        }
        job.db_identity = r.opt_bytes("database identity")?;
        r.end()?;
        Ok(job)
    }
}

fn put_file(out: &mut Vec<u8>, f: &FileMeta) {
    put_varint(out, f.number);
    put_varint(out, f.size);
    put_length_prefixed(out, &f.smallest);
    put_length_prefixed(out, &f.largest);
    for v in [f.entries, f.tombstones, f.smallest_seq, f.largest_seq] {
        put_varint(out, v);
    }
    put_opt(out, f.max_expiry_ms);
    put_varint(out, f.oldest_time_ms);
    put_varint(out, f.newest_time_ms);
}

fn stats_fields(s: &MergeStats) -> [u64; 7] {
    [
        s.keys_in,
        s.keys_out,
        s.dropped_shadowed,
        s.dropped_tombstones,
        s.dropped_expired,
        s.bytes_written,
        s.output_files,
    ]
}

impl RemoteResult {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, VERSION);
        match self {
            RemoteResult::Failed(why) => {
                put_varint(&mut out, 1);
                put_length_prefixed(&mut out, why.as_bytes());
            }
            RemoteResult::Done {
                files,
                stats,
                purged_tombstones,
            } => {
                put_varint(&mut out, 0);
                put_varint(&mut out, files.len() as u64);
                for f in files {
                    put_file(&mut out, f);
                }
                for v in stats_fields(stats) {
                    put_varint(&mut out, v);
                }
                put_varint(&mut out, purged_tombstones.len() as u64);
                for k in purged_tombstones {
                    put_length_prefixed(&mut out, k);
                }
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<RemoteResult> {
        let mut r = Reader {
            d: Decoder::new(bytes),
        };
        check_version(&mut r)?;
        let result = match r.u("status")? {
            1 => {
                let why = r.bytes("failure")?;
                RemoteResult::Failed(String::from_utf8_lossy(why).into_owned())
            }
            0 => {
                let n = r.count("files", 12)?;
                let mut files = Vec::with_capacity(n);
                for _ in 0..n {
                    let number = r.u("file number")?;
                    let size = r.u("file size")?;
                    let smallest = r.ikey("smallest key")?;
                    let largest = r.ikey("largest key")?;
                    files.push(FileMeta {
                        number,
                        size,
                        smallest,
                        largest,
                        entries: r.u("entries")?,
                        tombstones: r.u("tombstones")?,
                        smallest_seq: r.u("smallest seq")?,
                        largest_seq: r.u("largest seq")?,
                        max_expiry_ms: r.opt("max expiry")?,
                        oldest_time_ms: r.u("oldest time")?,
                        newest_time_ms: r.u("newest time")?,
                        // Jobs whose outputs would be marked or dated run
                        // on the writer (see `db::remote`).
                        marks: Default::default(),
                        created_ms: None,
                        kept_for_snapshots: false,
                        oldest_tombstone_ms: None,
                        narrowed: false,
                    });
                }
                let mut s = [0u64; 7];
                for x in &mut s {
                    *x = r.u("merge stats")?;
                }
                let n = r.count("purged tombstones", 1)?;
                let purged_tombstones = (0..n)
                    .map(|_| r.bytes("purged tombstone").map(<[u8]>::to_vec))
                    .collect::<Result<_>>()?;
                RemoteResult::Done {
                    files,
                    stats: MergeStats {
                        keys_in: s[0],
                        keys_out: s[1],
                        dropped_shadowed: s[2],
                        dropped_tombstones: s[3],
                        dropped_expired: s[4],
                        bytes_written: s[5],
                        output_files: s[6],
                    },
                    purged_tombstones,
                }
            }
            s => return Err(bad(format!("unknown status {s}"))),
        };
        r.end()?;
        Ok(result)
    }
}

/// Writes one frame holding `payload`.
pub fn write_frame(w: &mut dyn Write, payload: &[u8]) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(payload.len() + 8);
    buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buf.extend_from_slice(payload);
    buf.extend_from_slice(&masked_crc(payload).to_le_bytes());
    w.write_all(&buf)?;
    w.flush()
}

/// Reads one frame; a damaged or oversized one is a corruption error.
pub fn read_frame(r: &mut dyn Read) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| Error::io("<remote compaction connection>", e);
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(io)?;
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(bad(format!("frame of {len} bytes exceeds {MAX_FRAME}")));
    }
    let mut buf = vec![0u8; len + 4];
    r.read_exact(&mut buf).map_err(io)?;
    let stored = get_u32(&buf, len).expect("4 bytes");
    buf.truncate(len);
    if masked_crc(&buf) != stored {
        return Err(bad("frame checksum mismatch"));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, ValueKind};
    use proptest::prelude::*;

    fn range() -> impl Strategy<Value = FileRange> {
        (
            proptest::collection::vec(any::<u8>(), 0..6),
            proptest::collection::vec(any::<u8>(), 0..6),
            0u64..1000,
            any::<u64>(),
        )
            .prop_map(|(a, b, s, size)| FileRange {
                smallest: internal_key(&a, s, ValueKind::Value),
                largest: internal_key(&b, s, ValueKind::Tombstone),
                smallest_seq: s,
                size,
            })
    }

    prop_compose! {
        fn job()(
            job_id in any::<u64>(),
            inputs in proptest::collection::vec(any::<u64>(), 0..5),
            output_level in 0u64..8,
            mut snapshots in proptest::collection::vec(0u64..key::MAX_SEQ, 0..4),
            now_ms in any::<u64>(),
            block_size in 1u64..100_000,
            block_size_deviation in 0u64..=100,
            max_output_file_size in proptest::option::of(any::<u64>()),
            max_grandparent_files in proptest::option::of(0u64..100),
            grandparents in proptest::collection::vec(range(), 0..3),
            others in proptest::collection::vec(range(), 0..3),
            times in any::<(u64, u64, u64, u64)>(),
            cut in proptest::option::of((any::<u64>(), any::<bool>(), proptest::option::of(0u64..1000))),
            split_points in proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..4), 0..3),
            db_identity in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        ) -> RemoteJob {
            snapshots.sort_unstable();
            let output_cut = cut.map(|(max_compaction_bytes, dynamic_file_size, split)| OutputCut {
                max_compaction_bytes,
                dynamic_file_size,
                split_key: split.map(|s| internal_key(b"k", s, ValueKind::Value)),
            });
            RemoteJob {
                job_id, inputs, output_level, snapshots, now_ms, block_size, block_size_deviation,
                block_restart_interval: 16, bloom_bits_per_key: 10, bloom_layout: 1,
                max_output_file_size, max_grandparent_files, grandparents, others,
                oldest_time_ms: times.0, newest_time_ms: times.1,
                first_output_number: times.2, output_numbers: times.3,
                output_cut, split_points: split_points.into_iter().collect(), db_identity,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn jobs_round_trip_and_any_cut_or_flip_is_refused_or_read_as_sent(
            j in job(), cut in any::<prop::sample::Index>(),
        ) {
            let bytes = j.encode();
            prop_assert_eq!(&RemoteJob::decode(&bytes).unwrap(), &j);
            let at = cut.index(bytes.len());
            prop_assert!(RemoteJob::decode(&bytes[..at]).is_err(), "cut at {}", at);
            // A frame detects any flipped bit.
            let mut frame = Vec::new();
            write_frame(&mut frame, &bytes).unwrap();
            prop_assert_eq!(read_frame(&mut &frame[..]).unwrap(), bytes.clone());
            let flip = cut.index(frame.len());
            frame[flip] ^= 0x04;
            match read_frame(&mut &frame[..]) {
                Ok(payload) => prop_assert_eq!(payload, bytes),
                Err(e) => {
                    let expected = e.is_corruption() || matches!(e, Error::Io { .. });
                    prop_assert!(expected, "{}", e);
                }
            }
        }

        #[test]
        fn results_round_trip(
            files in proptest::collection::vec((any::<u64>(), range(), any::<u64>()), 0..4),
            stats in any::<[u64; 7]>(),
            purged in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..5), 0..3),
            why in ".{0,20}",
        ) {
            let done = RemoteResult::Done {
                files: files.into_iter().map(|(n, r, e)| FileMeta {
                    number: n, size: e, smallest: r.smallest, largest: r.largest,
                    entries: e, tombstones: e / 2, smallest_seq: r.smallest_seq,
                    largest_seq: r.smallest_seq, max_expiry_ms: (e % 2 == 0).then_some(e),
                    oldest_time_ms: 1, newest_time_ms: 2,
                    marks: Default::default(), created_ms: None, kept_for_snapshots: false, oldest_tombstone_ms: None, narrowed: false,
                }).collect(),
                stats: MergeStats {
                    keys_in: stats[0], keys_out: stats[1], dropped_shadowed: stats[2],
                    dropped_tombstones: stats[3], dropped_expired: stats[4],
                    bytes_written: stats[5], output_files: stats[6],
                },
                purged_tombstones: purged,
            };
            prop_assert_eq!(&RemoteResult::decode(&done.encode()).unwrap(), &done);
            let failed = RemoteResult::Failed(why);
            prop_assert_eq!(&RemoteResult::decode(&failed.encode()).unwrap(), &failed);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = RemoteJob::decode(&bytes);
            let _ = RemoteResult::decode(&bytes);
            let _ = read_frame(&mut &bytes[..]);
        }
    }
}
