//! Traces in other tools' formats, read as lsmlab operations.
//!
//! [`TraceFile`] opens a trace in any supported [`TraceFormat`]: lsmlab's
//! own CSV, RocksDB's binary query trace, the human-readable form of
//! RocksDB's trace analyzer, Twitter's and Meta's cache traces, and YCSB's
//! BasicDB operation log. Every reader streams (a trace is never held in
//! memory), validates the whole file on [`TraceFile::open`] with the file
//! and the byte offset or line of each problem, and counts the records
//! lsmlab cannot apply instead of dropping them silently ([`TraceCounts`];
//! [`ReadOptions::strict`] makes them errors).

mod meta_kv;
pub(crate) mod rocksdb;
mod rocksdb_human;
pub use rocksdb_human::parse_hex_key;
mod source;
mod twitter;
mod ycsb_log;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::WorkloadError;
use crate::op::{Op, OpKind};
use crate::trace::Trace;
use source::{Fail, OpSource};

pub use rocksdb::{write_rocksdb_trace, ExportSummary};

/// How a trace's records become operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// A record lsmlab cannot apply (another column family, a single
    /// delete where not mapped, a blob index...) is an error naming its offset, rather than counted.
    pub strict: bool,
    /// Keys read by a scan that a trace records as a bare iterator seek
    /// (RocksDB traces hold the seek, not the `Next` calls after it).
    pub seek_scan_len: u32,
    /// Operations per simulated second for formats without timestamps
    /// (lsmlab CSV).
    pub ingest_rate: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            strict: false,
            seek_scan_len: 1,
            ingest_rate: 1000,
        }
    }
}

/// What a trace held: the operations it yields by kind, and the records
/// lsmlab could not apply, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceCounts {
    pub puts: u64,
    pub deletes: u64,
    pub gets: u64,
    pub scans: u64,
    /// Range deletes (`delete_range` ops).
    pub range_deletes: u64,
    /// Merge operands (`merge` ops).
    pub merges: u64,
    /// Records skipped, by kind (`merge`, `range-delete`, ...).
    pub unsupported: BTreeMap<String, u64>,
}

impl TraceCounts {
    /// Operations yielded.
    pub fn ops(&self) -> u64 {
        self.puts + self.deletes + self.gets + self.scans + self.range_deletes + self.merges
    }

    /// Records skipped, all kinds together.
    pub fn unsupported_total(&self) -> u64 {
        self.unsupported.values().sum()
    }

    pub(crate) fn count(&mut self, op: &Op) {
        *match op.kind {
            OpKind::Put => &mut self.puts,
            OpKind::Delete => &mut self.deletes,
            OpKind::Get => &mut self.gets,
            OpKind::Scan { .. } => &mut self.scans,
            OpKind::DeleteRange { .. } => &mut self.range_deletes,
            OpKind::Merge => &mut self.merges,
        } += 1;
    }

    /// Counts a record of `kind` that lsmlab cannot apply; with `strict`, an
    /// error instead.
    pub(crate) fn skip(&mut self, kind: &str, strict: bool) -> Result<(), String> {
        if strict {
            return Err(format!(
                "{kind} record cannot be applied by lsmlab (strict mode; without it, it \
                 is counted and skipped)"
            ));
        }
        *self.unsupported.entry(kind.to_string()).or_insert(0) += 1;
        Ok(())
    }

    /// One line: `1200 ops (put 400, delete 0, get 700, scan 100); skipped:
    /// ...`; range deletes and merges are listed after the scans when the
    /// trace holds any (`..., scan 100, delete_range 3, merge 20)`).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} ops (put {}, delete {}, get {}, scan {}",
            self.ops(),
            self.puts,
            self.deletes,
            self.gets,
            self.scans
        );
        for (name, n) in [("delete_range", self.range_deletes), ("merge", self.merges)] {
            if n > 0 {
                s.push_str(&format!(", {name} {n}"));
            }
        }
        s.push(')');
        if self.unsupported.is_empty() {
            s.push_str("; nothing skipped");
        } else {
            let parts: Vec<String> = self
                .unsupported
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            s.push_str(&format!(
                "; skipped {} records lsmlab cannot apply: {}",
                self.unsupported_total(),
                parts.join(", ")
            ));
        }
        s
    }
}

/// A trace file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// lsmlab's CSV (`op,key,value_len[,ttl]`), see [`Trace`].
    Csv,
    /// RocksDB's binary query trace (`db_bench -trace_file`, `DB::StartTrace`).
    Rocksdb,
    /// The text RocksDB's `trace_analyzer -convert_to_human_readable_trace`
    /// writes: `<hex key> <type> <cf> <value size> <timestamp>` per line.
    RocksdbHuman,
    /// Twitter's cache traces: `timestamp,key,key_size,value_size,client_id,op,ttl`.
    Twitter,
    /// Meta's KV cache traces: `key,op,size,op_count,key_size[,ttl]` or
    /// `op_time,key,key_size,op,op_count,size,cache_hits,ttl`, with a header.
    MetaKv,
    /// The operation log of YCSB's BasicDB with `-p basicdb.verbose=true`.
    YcsbLog,
}

impl TraceFormat {
    pub const NAMES: &'static [&'static str] = &[
        "csv",
        "rocksdb",
        "rocksdb-human",
        "twitter",
        "meta-kv",
        "ycsb-log",
    ];

    pub fn name(self) -> &'static str {
        match self {
            TraceFormat::Csv => "csv",
            TraceFormat::Rocksdb => "rocksdb",
            TraceFormat::RocksdbHuman => "rocksdb-human",
            TraceFormat::Twitter => "twitter",
            TraceFormat::MetaKv => "meta-kv",
            TraceFormat::YcsbLog => "ycsb-log",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "csv" => TraceFormat::Csv,
            "rocksdb" => TraceFormat::Rocksdb,
            "rocksdb-human" => TraceFormat::RocksdbHuman,
            "twitter" => TraceFormat::Twitter,
            "meta-kv" => TraceFormat::MetaKv,
            "ycsb-log" => TraceFormat::YcsbLog,
            _ => return None,
        })
    }

    /// The format of the file at `path` from its first bytes: RocksDB's
    /// trace header (magic `feedcafedeadbeef`), lsmlab's CSV header, or a
    /// Meta KV cache trace header (with `op_count` and `key_size`); anything
    /// else is taken for lsmlab's CSV. Other formats have no signature and
    /// must be named.
    pub fn detect(path: &Path) -> Result<TraceFormat, WorkloadError> {
        let io = |source| WorkloadError::TraceIo {
            path: path.to_path_buf(),
            source,
        };
        let mut head = Vec::with_capacity(256);
        File::open(path)
            .map_err(io)?
            .take(256)
            .read_to_end(&mut head)
            .map_err(io)?;
        if rocksdb::has_header(&head) {
            return Ok(TraceFormat::Rocksdb);
        }
        let text = String::from_utf8_lossy(&head);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.contains("op_count") && first_line.contains("key_size") {
            return Ok(TraceFormat::MetaKv);
        }
        // Anything else is read as lsmlab's CSV, whose errors say what its
        // header must be; the other formats are named as trace:FORMAT:PATH.
        Ok(TraceFormat::Csv)
    }
}

/// A trace validated by [`TraceFile::open`], ready to replay.
#[derive(Clone, Debug)]
pub struct TraceFile {
    path: PathBuf,
    format: TraceFormat,
    options: ReadOptions,
    counts: TraceCounts,
}

impl TraceFile {
    /// Opens a trace named as `[FORMAT:]PATH` (the format detected when not
    /// named, see [`TraceFormat::detect`]).
    pub fn open_spec(spec: &str, options: ReadOptions) -> Result<TraceFile, WorkloadError> {
        match spec.split_once(':') {
            Some((name, path)) if TraceFormat::from_name(name).is_some() => {
                TraceFile::open(path, TraceFormat::from_name(name), options)
            }
            _ => TraceFile::open(spec, None, options),
        }
    }

    /// Reads the whole trace once, checking every record and counting what
    /// it holds; the first problem is an error naming the file and the byte
    /// offset or line.
    pub fn open(
        path: impl AsRef<Path>,
        format: Option<TraceFormat>,
        options: ReadOptions,
    ) -> Result<TraceFile, WorkloadError> {
        let path = path.as_ref();
        let format = match format {
            Some(f) => f,
            None => TraceFormat::detect(path)?,
        };
        let mut file = TraceFile {
            path: path.to_path_buf(),
            format,
            options,
            counts: TraceCounts::default(),
        };
        let mut ops = file.ops()?;
        for op in &mut ops {
            op?;
        }
        file.counts = ops.counts();
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> TraceFormat {
        self.format
    }

    /// What the trace holds (found by [`TraceFile::open`]).
    pub fn counts(&self) -> &TraceCounts {
        &self.counts
    }

    /// Operations the trace yields.
    pub fn len(&self) -> u64 {
        self.counts.ops()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Streams the operations again from the file. Items are `Err` only if
    /// the file changed since it was opened; the stream ends after one.
    pub fn ops(&self) -> Result<TraceFileOps, WorkloadError> {
        let inner = match self.format {
            TraceFormat::Csv => {
                let trace = Trace::open(&self.path)?.with_ingest_rate(self.options.ingest_rate)?;
                Inner::Csv(Box::new(trace.ops()?), TraceCounts::default())
            }
            format => {
                let file = File::open(&self.path).map_err(|source| WorkloadError::TraceIo {
                    path: self.path.clone(),
                    source,
                })?;
                let reader = BufReader::with_capacity(1 << 16, file);
                let source: Box<dyn OpSource> = match format {
                    TraceFormat::Rocksdb => {
                        Box::new(rocksdb::Reader::new(reader, self.options.clone()))
                    }
                    TraceFormat::Twitter => Box::new(twitter::reader(reader)),
                    TraceFormat::MetaKv => Box::new(meta_kv::reader(reader, self.options.clone())),
                    TraceFormat::YcsbLog => {
                        Box::new(ycsb_log::reader(reader, self.options.clone()))
                    }
                    _ => Box::new(rocksdb_human::reader(reader, self.options.clone())),
                };
                Inner::Stream(source)
            }
        };
        Ok(TraceFileOps {
            path: self.path.clone(),
            inner,
            done: false,
        })
    }
}

enum Inner {
    Csv(Box<crate::trace::TraceOps>, TraceCounts),
    Stream(Box<dyn OpSource>),
}

/// The operations of a [`TraceFile`], read lazily.
pub struct TraceFileOps {
    path: PathBuf,
    inner: Inner,
    done: bool,
}

impl TraceFileOps {
    /// What the stream has yielded and skipped so far.
    pub fn counts(&self) -> TraceCounts {
        match &self.inner {
            Inner::Csv(_, counts) => counts.clone(),
            Inner::Stream(source) => source.counts().clone(),
        }
    }
}

impl Iterator for TraceFileOps {
    type Item = Result<Op, WorkloadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match &mut self.inner {
            Inner::Csv(ops, counts) => {
                let item = ops.next();
                if let Some(Ok(op)) = &item {
                    counts.count(op);
                }
                item
            }
            Inner::Stream(source) => match source.next_op() {
                Ok(op) => op.map(Ok),
                Err(Fail::Io(source)) => Some(Err(WorkloadError::TraceIo {
                    path: self.path.clone(),
                    source,
                })),
                Err(Fail::AtByte(offset, reason)) => Some(Err(WorkloadError::TraceRecord {
                    path: self.path.clone(),
                    offset,
                    reason,
                })),
                Err(Fail::AtLine(line, reason)) => Some(Err(WorkloadError::TraceFormat {
                    path: self.path.clone(),
                    line,
                    reason,
                })),
            },
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

#[cfg(test)]
mod tests;
