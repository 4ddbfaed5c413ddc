//! Trace files: recorded operations replayed as a workload.
//!
//! Format: CSV with the header `op,key,value_len` or `op,key,value_len,ttl`,
//! then one operation per line.
//! - `op`: `put`, `delete`, `delete_range`, `merge`, `get` or `scan`;
//! - `key`: the key bytes in hex (upper or lower case), at least one byte;
//!   for `delete_range`, the range `START-END`: two keys in hex joined by
//!   `-`, END exclusive and sorting after START;
//! - `value_len`: bytes to write for `put` and of the operand for `merge`
//!   (at most 16 MiB, the largest value a workload may write), keys to read
//!   for `scan` (at least 1), `0` for `get`, `delete` and `delete_range`;
//! - `ttl` (optional column): milliseconds to live for a `put`, empty for none.
//!
//! Times are not recorded: on replay op `i` happens at `i / ingest_rate`
//! simulated seconds (1000 ops/s unless set), as in a generated workload.
//! [`Trace::open`] checks the whole file before anything is replayed, so a
//! malformed line is reported (file, line number, problem) before any op runs.

use std::borrow::Borrow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::WorkloadError;
use crate::op::{Op, OpKind};
use crate::spec::{MAX_INGEST_RATE, MAX_VALUE_SIZE};

const HEADER: &str = "op,key,value_len";
const HEADER_TTL: &str = "op,key,value_len,ttl";
const MAX_LINE_BYTES: u64 = 1 << 20;
const MAX_KEY_BYTES: usize = 1 << 16;
const HEX: &[u8; 16] = b"0123456789abcdef";

/// A validated trace file, ready to replay.
#[derive(Clone, Debug)]
pub struct Trace {
    path: PathBuf,
    has_ttl: bool,
    /// INVARIANT: the number of operation lines found by validation.
    len: u64,
    ingest_rate: u64,
}

/// The operation of one trace line, before its time is assigned.
struct Parsed {
    kind: OpKind,
    key: Vec<u8>,
    value_len: u32,
    ttl: Option<u64>,
}

/// Reads `\n`-terminated lines of bounded length, counting them.
struct Lines {
    reader: BufReader<File>,
    buf: Vec<u8>,
    number: u64,
}

impl Lines {
    /// The next line without its terminator, or `Ok(None)` at end of file;
    /// `Err` carries the problem (I/O failures as `Err(Ok(e))`).
    fn next_line(&mut self) -> Result<Option<&[u8]>, Result<std::io::Error, String>> {
        self.buf.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(Ok)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if n as u64 > MAX_LINE_BYTES {
            return Err(Err(format!("line longer than {MAX_LINE_BYTES} bytes")));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Some(&self.buf))
    }
}

fn open_lines(path: &Path) -> Result<Lines, WorkloadError> {
    let file = File::open(path).map_err(|source| WorkloadError::TraceIo {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Lines {
        reader: BufReader::with_capacity(1 << 16, file),
        buf: Vec::new(),
        number: 0,
    })
}

fn format_error(path: &Path, line: u64, reason: impl Into<String>) -> WorkloadError {
    WorkloadError::TraceFormat {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// Reads and checks the header; returns whether it has a `ttl` column.
fn read_header(lines: &mut Lines, path: &Path) -> Result<bool, WorkloadError> {
    let expected = format!("expected {HEADER} or {HEADER_TTL}");
    let line = match lines.next_line() {
        Ok(Some(line)) => line,
        Ok(None) => {
            return Err(format_error(
                path,
                1,
                format!("missing header ({expected})"),
            ))
        }
        Err(Ok(source)) => {
            return Err(WorkloadError::TraceIo {
                path: path.into(),
                source,
            })
        }
        Err(Err(reason)) => return Err(format_error(path, 1, reason)),
    };
    let text = String::from_utf8_lossy(line);
    let text = text.trim_start_matches('\u{feff}');
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    match fields.join(",").as_str() {
        HEADER => Ok(false),
        HEADER_TTL => Ok(true),
        _ => Err(format_error(
            path,
            1,
            format!("bad header {} ({expected})", quoted(text)),
        )),
    }
}

/// `text` in double quotes for an error message: control characters
/// escaped (the message stays on one line) and cut after 60 characters.
fn quoted(text: &str) -> String {
    let mut out: String = text.chars().take(60).flat_map(char::escape_debug).collect();
    if text.chars().nth(60).is_some() {
        out.push_str("...");
    }
    format!("\"{out}\"")
}

fn parse_hex(field: &str) -> Result<Vec<u8>, String> {
    if field.is_empty() {
        return Err("empty key (expected at least one byte in hex)".into());
    }
    if !field.len().is_multiple_of(2) {
        return Err(format!(
            "key {} has an odd number of hex digits",
            quoted(field)
        ));
    }
    if field.len() / 2 > MAX_KEY_BYTES {
        return Err(format!("key longer than {MAX_KEY_BYTES} bytes"));
    }
    let digit = |c: u8| (c as char).to_digit(16);
    field
        .as_bytes()
        .chunks(2)
        .map(|pair| match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
            _ => Err(format!("key {} is not hex", quoted(field))),
        })
        .collect()
}

/// The `START-END` key field of a `delete_range`: both keys in hex, END
/// sorting after START.
fn parse_range(field: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let Some((start, end)) = field.split_once('-') else {
        return Err(format!(
            "delete_range key {} is not a range START-END (two keys in hex)",
            quoted(field)
        ));
    };
    let (start, end) = (parse_hex(start)?, parse_hex(end)?);
    if end <= start {
        return Err(format!(
            "delete_range end key {} does not sort after its start key (the end is exclusive)",
            quoted(field)
        ));
    }
    Ok((start, end))
}

fn parse_line(line: &[u8], has_ttl: bool) -> Result<Parsed, String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_string())?;
    if text.trim().is_empty() {
        return Err("empty line".into());
    }
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    let want = if has_ttl { 4 } else { 3 };
    if fields.len() != want {
        let header = if has_ttl { HEADER_TTL } else { HEADER };
        return Err(format!(
            "expected {want} fields ({header}), found {}",
            fields.len()
        ));
    }
    let op = fields[0];
    let (key, end) = match op {
        "delete_range" => parse_range(fields[1])?,
        _ => (parse_hex(fields[1])?, Vec::new()),
    };
    let number = fields[2].parse::<u32>().map_err(|_| {
        format!(
            "value_len {} is not an integer in 0..={}",
            quoted(fields[2]),
            u32::MAX
        )
    })?;
    let (kind, value_len) = match op {
        "put" if number > MAX_VALUE_SIZE => {
            return Err(format!(
                "value_len {number} is above the largest value, {MAX_VALUE_SIZE} bytes"
            ))
        }
        "put" => (OpKind::Put, number),
        "merge" if number > MAX_VALUE_SIZE => {
            return Err(format!(
                "value_len {number} is above the largest operand, {MAX_VALUE_SIZE} bytes"
            ))
        }
        "merge" => (OpKind::Merge, number),
        "scan" if number == 0 => return Err("scan length (value_len) must be at least 1".into()),
        "scan" => (OpKind::Scan { len: number }, 0),
        "get" | "delete" | "delete_range" if number != 0 => {
            return Err(format!("value_len must be 0 for {op} (found {number})"))
        }
        "get" => (OpKind::Get, 0),
        "delete" => (OpKind::Delete, 0),
        "delete_range" => (OpKind::DeleteRange { end }, 0),
        _ => {
            return Err(format!(
                "unknown op {} (expected put, delete, delete_range, merge, get, scan)",
                quoted(op)
            ))
        }
    };
    let ttl = match fields.get(3).copied() {
        None | Some("") => None,
        Some(_) if kind != OpKind::Put => {
            return Err(format!("ttl is only valid for put, not {op}"))
        }
        Some(t) => match t.parse::<u64>() {
            Ok(ms) if ms > 0 => Some(ms),
            _ => {
                return Err(format!(
                    "ttl {} is not a positive integer of milliseconds",
                    quoted(t)
                ))
            }
        },
    };
    Ok(Parsed {
        kind,
        key,
        value_len,
        ttl,
    })
}

impl Trace {
    /// Opens a trace and checks every line (streaming: the file is never
    /// held in memory). The first problem is an error naming the file, the
    /// line and what is wrong.
    pub fn open(path: impl AsRef<Path>) -> Result<Trace, WorkloadError> {
        let path = path.as_ref();
        let mut lines = open_lines(path)?;
        let has_ttl = read_header(&mut lines, path)?;
        let mut len = 0;
        loop {
            match lines.next_line() {
                Ok(None) => break,
                Ok(Some(line)) => {
                    parse_line(line, has_ttl).map_err(|r| format_error(path, lines.number, r))?;
                    len += 1;
                }
                Err(Ok(source)) => {
                    return Err(WorkloadError::TraceIo {
                        path: path.into(),
                        source,
                    })
                }
                Err(Err(reason)) => return Err(format_error(path, lines.number, reason)),
            }
        }
        Ok(Trace {
            path: path.to_path_buf(),
            has_ttl,
            len,
            ingest_rate: 1000,
        })
    }

    /// Replays at `rate` operations per simulated second instead of 1000.
    pub fn with_ingest_rate(mut self, rate: u64) -> Result<Trace, WorkloadError> {
        if !(1..=MAX_INGEST_RATE).contains(&rate) {
            return Err(WorkloadError::invalid("ingest_rate", rate, "1..=1000000"));
        }
        self.ingest_rate = rate;
        Ok(self)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Operations in the trace.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Streams the operations. Items are `Err` only if the file changed
    /// since [`Trace::open`] validated it; the stream ends after an error.
    pub fn ops(&self) -> Result<TraceOps, WorkloadError> {
        let mut lines = open_lines(&self.path)?;
        read_header(&mut lines, &self.path)?;
        Ok(TraceOps {
            lines,
            trace: self.clone(),
            index: 0,
            done: false,
        })
    }
}

/// The operations of a [`Trace`], read lazily.
pub struct TraceOps {
    lines: Lines,
    trace: Trace,
    index: u64,
    done: bool,
}

impl TraceOps {
    fn fail(&mut self, reason: String) -> Option<Result<Op, WorkloadError>> {
        self.done = true;
        let line = self.lines.number;
        Some(Err(format_error(&self.trace.path, line, reason)))
    }
}

impl Iterator for TraceOps {
    type Item = Result<Op, WorkloadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let changed = "file changed since it was validated";
        let parsed = match self.lines.next_line() {
            Ok(None) if self.index == self.trace.len => {
                self.done = true;
                return None;
            }
            Ok(None) => return self.fail(format!("{changed}: ends early")),
            Ok(Some(_)) if self.index == self.trace.len => {
                return self.fail(format!("{changed}: more lines"))
            }
            Ok(Some(line)) => parse_line(line, self.trace.has_ttl),
            Err(Ok(source)) => {
                self.done = true;
                let path = self.trace.path.clone();
                return Some(Err(WorkloadError::TraceIo { path, source }));
            }
            Err(Err(reason)) => Err(reason),
        };
        let p = match parsed {
            Ok(p) => p,
            Err(reason) => return self.fail(format!("{changed}: {reason}")),
        };
        let time_us = u128::from(self.index) * 1_000_000 / u128::from(self.trace.ingest_rate);
        self.index += 1;
        Some(Ok(Op {
            time: (time_us / 1000) as u64,
            kind: p.kind,
            key: p.key,
            value_len: p.value_len,
            ttl: p.ttl,
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        let left = usize::try_from(self.trace.len - self.index).unwrap_or(usize::MAX);
        (0, Some(left))
    }
}

/// Writes operations in the trace format (always with the `ttl` column)
/// and returns how many were written. Times are not written: replay
/// re-derives them from the op index and ingest rate.
pub fn write_trace<I, W>(ops: I, writer: W) -> Result<u64, WorkloadError>
where
    I: IntoIterator,
    I::Item: Borrow<Op>,
    W: Write,
{
    let mut out = std::io::BufWriter::with_capacity(1 << 16, writer);
    let mut count = 0u64;
    let mut line = String::new();
    writeln!(out, "{HEADER_TTL}").map_err(WorkloadError::TraceWrite)?;
    for op in ops {
        let op = op.borrow();
        let unwritable = |what: &str| {
            WorkloadError::TraceWrite(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("op {count} has {what} and cannot be replayed"),
            ))
        };
        if op.key.is_empty() || op.key.len() > MAX_KEY_BYTES {
            return Err(unwritable("an empty or over-long key"));
        }
        if op.kind == (OpKind::Scan { len: 0 }) {
            return Err(unwritable("a scan of length 0"));
        }
        if op.kind == OpKind::Put && op.ttl == Some(0) {
            return Err(unwritable("a ttl of 0"));
        }
        if matches!(op.kind, OpKind::Put | OpKind::Merge) && op.value_len > MAX_VALUE_SIZE {
            return Err(unwritable("a value over 16 MiB"));
        }
        if let OpKind::DeleteRange { end } = &op.kind {
            if end.len() > MAX_KEY_BYTES || end <= &op.key {
                return Err(unwritable(
                    "a range whose end key does not sort after its start",
                ));
            }
        }
        line.clear();
        line.push_str(op.kind_name());
        line.push(',');
        let hex = |line: &mut String, key: &[u8]| {
            for b in key {
                line.push(HEX[usize::from(b >> 4)] as char);
                line.push(HEX[usize::from(b & 15)] as char);
            }
        };
        hex(&mut line, &op.key);
        if let OpKind::DeleteRange { end } = &op.kind {
            line.push('-');
            hex(&mut line, end);
        }
        let number = match op.kind {
            OpKind::Scan { len } => len,
            OpKind::Put | OpKind::Merge => op.value_len,
            OpKind::Get | OpKind::Delete | OpKind::DeleteRange { .. } => 0,
        };
        line.push_str(&format!(",{number},"));
        if let (OpKind::Put, Some(ttl)) = (&op.kind, op.ttl) {
            line.push_str(&ttl.to_string());
        }
        line.push('\n');
        out.write_all(line.as_bytes())
            .map_err(WorkloadError::TraceWrite)?;
        count += 1;
    }
    out.flush().map_err(WorkloadError::TraceWrite)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::WorkloadSpec;

    fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn replay(trace: &Trace) -> Vec<Op> {
        trace.ops().unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn generated_workloads_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        for (preset, settings) in [
            ("ycsb-e", vec![("ttl", "90s"), ("value_size", "0..=300")]),
            ("ycsb-f", vec![("delete_fraction", "0.2")]),
            ("timeseries", vec![("ingest_rate", "2500")]),
            ("counter", vec![("value_size", "1..=16")]),
            (
                "queue",
                vec![("range_deletes", "true"), ("range_delete_len", "7")],
            ),
            (
                "delete-heavy",
                vec![("range_deletes", "true"), ("range_delete_len", "30")],
            ),
        ] {
            let mut spec = WorkloadSpec::preset(preset).unwrap();
            for (name, value) in [("key_count", "300"), ("ops", "3000")]
                .iter()
                .chain(&settings)
            {
                spec.set(name, value).unwrap();
            }
            let path = dir.path().join(format!("{preset}.csv"));
            let file = File::create(&path).unwrap();
            let written = write_trace(spec.generator().unwrap(), file).unwrap();
            assert_eq!(written, spec.total_ops());
            let trace = Trace::open(&path)
                .unwrap()
                .with_ingest_rate(spec.ingest_rate)
                .unwrap();
            assert_eq!(trace.len(), written);
            let original: Vec<Op> = spec.generator().unwrap().collect();
            assert!(replay(&trace) == original, "{preset} replays differently");
            let kinds: std::collections::HashSet<&str> =
                original.iter().map(Op::kind_name).collect();
            let want = match preset {
                "counter" => Some("merge"),
                "queue" | "delete-heavy" => Some("delete_range"),
                _ => None,
            };
            assert!(
                want.is_none_or(|k| kinds.contains(k)),
                "{preset}: {kinds:?}"
            );
        }
    }

    #[test]
    fn hand_written_traces_parse_with_or_without_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write_file(
            &dir,
            "a.csv",
            "op,key,value_len\r\nput,00FF,10\r\nscan,01,5\r\n",
        );
        let ops = replay(&Trace::open(&plain).unwrap());
        assert_eq!(ops.len(), 2);
        assert_eq!((ops[0].key.clone(), ops[0].value_len), (vec![0, 255], 10));
        assert_eq!((&ops[1].kind, ops[1].time), (&OpKind::Scan { len: 5 }, 1));
        let ttl = write_file(
            &dir,
            "b.csv",
            "op, key, value_len, ttl\nput,aa,1,500\nput,bb,2,\ndelete,aa,0,\n",
        );
        let ops = replay(&Trace::open(&ttl).unwrap());
        assert_eq!(
            ops.iter().map(|o| o.ttl).collect::<Vec<_>>(),
            [Some(500), None, None]
        );
        assert_eq!(ops[2].kind, OpKind::Delete);
        let empty = write_file(&dir, "c.csv", "op,key,value_len\n");
        assert!(Trace::open(&empty).unwrap().is_empty());
    }

    #[test]
    fn malformed_traces_name_file_line_and_problem() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "",
                "1: missing header (expected op,key,value_len or op,key,value_len,ttl)",
            ),
            (
                "op,key\nput,00,1\n",
                "1: bad header \"op,key\" (expected op,key,value_len or op,key,value_len,ttl)",
            ),
            (
                "op,key,value_len\nput,00,1\nputt,00,1\n",
                "3: unknown op \"putt\" (expected put, delete, delete_range, merge, get, scan)",
            ),
            (
                "op,key,value_len\ndelete_range,0a,0\n",
                "2: delete_range key \"0a\" is not a range START-END (two keys in hex)",
            ),
            (
                "op,key,value_len\ndelete_range,0a-0a,0\n",
                "2: delete_range end key \"0a-0a\" does not sort after its start key (the end is exclusive)",
            ),
            (
                "op,key,value_len\ndelete_range,0a-0z,0\n",
                "2: key \"0z\" is not hex",
            ),
            (
                "op,key,value_len\ndelete_range,0a-0b,3\n",
                "2: value_len must be 0 for delete_range (found 3)",
            ),
            (
                "op,key,value_len\nmerge,00,16777217\n",
                "2: value_len 16777217 is above the largest operand, 16777216 bytes",
            ),
            (
                "op,key,value_len,ttl\nmerge,00,8,5\n",
                "2: ttl is only valid for put, not merge",
            ),
            ("op,key,value_len\nput,0g,1\n", "2: key \"0g\" is not hex"),
            (
                "op,key,value_len\nput,abc,1\n",
                "2: key \"abc\" has an odd number of hex digits",
            ),
            (
                "op,key,value_len\nput,,1\n",
                "2: empty key (expected at least one byte in hex)",
            ),
            (
                "op,key,value_len\nput,00,-1\n",
                "2: value_len \"-1\" is not an integer in 0..=4294967295",
            ),
            (
                "op,key,value_len\nget,00,3\n",
                "2: value_len must be 0 for get (found 3)",
            ),
            (
                "op,key,value_len\nscan,00,0\n",
                "2: scan length (value_len) must be at least 1",
            ),
            (
                "op,key,value_len\nput,00,1,5\n",
                "2: expected 3 fields (op,key,value_len), found 4",
            ),
            (
                "op,key,value_len,ttl\nget,00,0,5\n",
                "2: ttl is only valid for put, not get",
            ),
            (
                "op,key,value_len,ttl\nput,00,0,0\n",
                "2: ttl \"0\" is not a positive integer of milliseconds",
            ),
            ("op,key,value_len\nput,00,1\n\nput,01,1\n", "3: empty line"),
            (
                "op,key,value_len\nput,00,4294967295\n",
                "2: value_len 4294967295 is above the largest value, 16777216 bytes",
            ),
            (
                "op\u{1b}[2J,key\n",
                "1: bad header \"op\\u{1b}[2J,key\" (expected op,key,value_len or op,key,value_len,ttl)",
            ),
        ];
        for (text, expected) in cases {
            let path = write_file(&dir, "trace.csv", text);
            let e = Trace::open(&path).unwrap_err().to_string();
            assert_eq!(e, format!("{}:{expected}", path.display()));
        }
        let mut bad_utf8 = b"op,key,value_len\nput,00,1\n".to_vec();
        bad_utf8.extend_from_slice(b"put,\xff,1\n");
        let path = dir.path().join("bin.csv");
        std::fs::write(&path, bad_utf8).unwrap();
        let e = Trace::open(&path).unwrap_err().to_string();
        assert!(e.ends_with("bin.csv:3: line is not valid UTF-8"), "{e}");
        let missing = Trace::open(dir.path().join("nope.csv"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("nope.csv"), "{missing}");
    }

    #[test]
    fn a_trace_changed_after_validation_is_reported_not_replayed_silently() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "t.csv", "op,key,value_len\nput,00,1\nput,01,1\n");
        let trace = Trace::open(&path).unwrap();
        std::fs::write(&path, "op,key,value_len\nput,00,1\nbad\n").unwrap();
        let items: Vec<_> = trace.ops().unwrap().collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let e = items[1].as_ref().unwrap_err().to_string();
        assert!(
            e.contains("t.csv:3: file changed since it was validated"),
            "{e}"
        );
    }

    #[test]
    fn unreplayable_ops_are_refused_by_the_writer() {
        let op = Op {
            time: 0,
            kind: OpKind::Put,
            key: Vec::new(),
            value_len: 1,
            ttl: None,
        };
        let e = write_trace([op.clone()], Vec::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("op 0 has an empty or over-long key"), "{e}");
        let huge = Op {
            key: vec![1],
            value_len: MAX_VALUE_SIZE + 1,
            ..op
        };
        let e = write_trace([huge], Vec::new()).unwrap_err().to_string();
        assert!(e.contains("a value over 16 MiB"), "{e}");
    }
}
