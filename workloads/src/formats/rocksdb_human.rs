//! The human-readable trace RocksDB's `trace_analyzer` writes with
//! `-convert_to_human_readable_trace` (`tools/trace_analyzer_tool.cc`,
//! `WriteTraceSequence`): one access per line,
//!
//! ```text
//! <hex key> <type> <column family> <value size> <timestamp in us>
//! 0x6B657931 1 0 32 1733012345678
//! ```
//!
//! with the key as `0x` and upper-case hex, and the type numbered as
//! `TraceOperationType`: 0 get, 1 put, 2 delete, 3 single delete, 4 range
//! delete (whose lines start with the begin and end keys), 5 merge, 6 seek,
//! 7 seek-for-prev, 8 a MultiGet key, 9 put-entity.
//!
//! With the analyzer's `-no_key` the key is left out of every line
//! (`<type> <column family> <value size> <timestamp>`). The first line
//! decides which form a file is in; a file mixing them is an error. Such a
//! trace keeps types, sizes and times but not which key was accessed: each
//! access gets a key of its own (a 16-byte hash of its access number), so
//! puts insert and reads miss. It is good for the op mix, value sizes and
//! rate (`workloads fit`), not for key locality; its range deletes, which
//! have no keys to delete between, are counted as skipped.
//!
//! A range delete becomes a `delete_range` of `[begin, end)`, a merge a
//! `merge` whose operand is the value size.

use std::collections::VecDeque;
use std::io::BufRead;

use super::source::{Clock, LineFormat, LineSource};
use super::{ReadOptions, TraceCounts};
use crate::op::{Op, OpKind};
use crate::spec::MAX_VALUE_SIZE;

/// Longest line accepted: a 64 KiB key in hex and the numbers.
const MAX_LINE: u64 = 1 << 18;

/// The format's state: options and simulated time.
pub(crate) struct Human {
    options: ReadOptions,
    clock: Clock,
    /// `Some(true)` for a `-no_key` file, once its first line is read.
    keyless: Option<bool>,
    /// Accesses read so far (a keyless access's key is made from it).
    accesses: u64,
}

/// Key size given to the accesses of a `-no_key` trace.
const KEYLESS_KEY_SIZE: u64 = 16;

/// A streaming reader of the format.
pub(crate) fn reader<R: BufRead>(input: R, options: ReadOptions) -> LineSource<R, Human> {
    let format = Human {
        options,
        clock: Clock::default(),
        keyless: None,
        accesses: 0,
    };
    LineSource::new(input, MAX_LINE, format)
}

impl LineFormat for Human {
    fn parse(
        &mut self,
        line: &str,
        counts: &mut TraceCounts,
        out: &mut VecDeque<Op>,
    ) -> Result<(), String> {
        out.extend(self.op(line, counts)?);
        Ok(())
    }
}

impl Human {
    /// The op of one line, `None` for a line counted as skipped.
    fn op(&mut self, line: &str, counts: &mut TraceCounts) -> Result<Option<Op>, String> {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        if fields.is_empty() {
            return Err("empty line".into());
        }
        let keyless = *self.keyless.get_or_insert(fields.len() == 4);
        let (key, end, rest) = match (keyless, fields.len()) {
            (false, 5) => (Some(fields[0]), None, &fields[1..]),
            // A range delete: begin and end keys.
            (false, 6) => (Some(fields[0]), Some(fields[1]), &fields[2..]),
            (true, 4) => (None, None, &fields[..]),
            (false, n) => {
                return Err(format!(
                    "expected 5 fields (hex key, type, column family, value size, timestamp), \
                     found {n}"
                ))
            }
            (true, n) => {
                return Err(format!(
                    "expected 4 fields (type, column family, value size, timestamp) as on the \
                     first line (the analyzer's -no_key form), found {n}"
                ))
            }
        };
        let number = |what: &str, text: &str| {
            text.parse::<u64>()
                .map_err(|_| format!("{what} {text:?} is not a non-negative integer"))
        };
        let type_code = number("type", rest[0])?;
        let cf = number("column family", rest[1])?;
        let value_size = number("value size", rest[2])?;
        let ts = number("timestamp", rest[3])?;
        self.accesses += 1;
        let key = match key {
            Some(text) => parse_hex_key(text)?,
            None => super::source::hashed_key(&self.accesses.to_le_bytes(), KEYLESS_KEY_SIZE),
        };
        if fields.len() == 6 && type_code != 4 {
            return Err(format!(
                "6 fields are only for a range delete (type 4), not type {type_code}"
            ));
        }
        let end = end.map(parse_hex_key).transpose()?;
        let (name, kind) = match type_code {
            0 => ("get", Some(OpKind::Get)),
            1 => ("put", Some(OpKind::Put)),
            2 | 3 => ("delete", Some(OpKind::Delete)),
            4 => ("range-delete", end.map(|end| OpKind::DeleteRange { end })),
            5 => ("merge", Some(OpKind::Merge)),
            6 => (
                "seek",
                Some(OpKind::Scan {
                    len: self.options.seek_scan_len,
                }),
            ),
            7 => ("seek-for-prev", None),
            8 => ("get", Some(OpKind::Get)),
            9 => ("put-entity", None),
            other => return Err(format!("unknown type {other} (expected 0..=9)")),
        };
        let time = self.clock.ms(ts);
        let strict = self.options.strict;
        let skip =
            |counts: &mut TraceCounts, what: String| counts.skip(&what, strict).map(|_| None);
        let Some(kind) = kind else {
            return skip(counts, name.to_string());
        };
        if cf != 0 {
            return skip(counts, format!("{name} (column family {cf})"));
        }
        if key.is_empty() {
            return skip(counts, format!("{name} (empty key)"));
        }
        let value_len = if matches!(kind, OpKind::Put | OpKind::Merge) {
            if value_size > u64::from(MAX_VALUE_SIZE) {
                return skip(counts, format!("{name} (value over 16 MiB)"));
            }
            value_size as u32
        } else {
            0
        };
        Ok(Some(Op {
            time,
            kind,
            key,
            value_len,
            ttl: None,
        }))
    }
}

/// `0x6B65` (or `6b65`): the key's bytes (as RocksDB's tools print keys
/// with `--hex`).
pub fn parse_hex_key(text: &str) -> Result<Vec<u8>, String> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if !hex.len().is_multiple_of(2) {
        return Err(format!("key {text:?} has an odd number of hex digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("key {text:?} is not hex"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::source::{drain, Fail};

    fn read(text: &str, strict: bool) -> Result<(Vec<Op>, TraceCounts), Fail> {
        let options = ReadOptions {
            strict,
            ..ReadOptions::default()
        };
        drain(reader(text.as_bytes(), options))
    }

    #[test]
    fn analyzer_lines_become_ops_with_times_from_the_first() {
        let text = "0x6B31 1 0 32 1000000\n\
                    0x6B31 0 0 0 1002500\n\
                    0x6B32 6 0 0 1003000\n\
                    0x6B31 2 0 0 1004000\n\
                    0x6B31 0x6B39 4 0 0 1005000\n\
                    0x6B33 5 0 8 1006000\n\
                    0x6B34 1 3 8 1007000\n\
                    0x6B35 8 0 0 1008000\n";
        let (ops, counts) = read(text, false).unwrap();
        let summary: Vec<(OpKind, &[u8], u32, u64)> = ops
            .iter()
            .map(|o| (o.kind.clone(), &o.key[..], o.value_len, o.time))
            .collect();
        let range = OpKind::DeleteRange {
            end: b"k9".to_vec(),
        };
        assert_eq!(
            summary,
            [
                (OpKind::Put, &b"k1"[..], 32, 0),
                (OpKind::Get, b"k1", 0, 2),
                (OpKind::Scan { len: 1 }, b"k2", 0, 3),
                (OpKind::Delete, b"k1", 0, 4),
                (range, b"k1", 0, 5),
                (OpKind::Merge, b"k3", 8, 6),
                (OpKind::Get, b"k5", 0, 8),
            ]
        );
        assert_eq!(counts.unsupported_total(), 1);
        assert_eq!(counts.unsupported["put (column family 3)"], 1);
    }

    #[test]
    fn the_no_key_form_keeps_types_sizes_and_times_with_a_key_per_access() {
        let text = "1 0 32 1000000\n0 0 0 1002500\n6 0 0 1003000\n4 0 0 1004000\n1 0 7 1005000\n";
        let (ops, counts) = read(text, false).unwrap();
        let summary: Vec<(OpKind, u32, u64)> = ops
            .iter()
            .map(|o| (o.kind.clone(), o.value_len, o.time))
            .collect();
        assert_eq!(
            summary,
            [
                (OpKind::Put, 32, 0),
                (OpKind::Get, 0, 2),
                (OpKind::Scan { len: 1 }, 0, 3),
                (OpKind::Put, 7, 5),
            ]
        );
        assert_eq!(counts.unsupported["range-delete"], 1);
        assert!(ops.iter().all(|o| o.key.len() == 16));
        let mut keys: Vec<&[u8]> = ops.iter().map(|o| &o.key[..]).collect();
        keys.dedup();
        assert_eq!(keys.len(), 4, "each access has a key of its own");
        let (again, _) = read(text, false).unwrap();
        assert_eq!(again, ops, "the same keys on every read");
        for (mixed, reason) in [
            ("1 0 32 1000\n0x6B 1 0 3 5\n", "expected 4 fields"),
            ("0x6B 1 0 3 5\n1 0 32 1000\n", "expected 5 fields"),
        ] {
            match read(mixed, false) {
                Err(Fail::AtLine(2, why)) => assert!(why.contains(reason), "{why}"),
                other => panic!("{mixed:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_lines_name_their_line_and_strict_refuses_skips() {
        for (text, line, reason) in [
            ("0x6B 1 0 3 5\n0x6B 1 0\n", 2, "expected 5 fields"),
            ("0x6G 1 0 3 5\n", 1, "is not hex"),
            ("0x6B 12 0 3 5\n", 1, "unknown type 12"),
            ("0x6B 1 0 -3 5\n", 1, "value size \"-3\""),
            ("0x6B 0x6C 1 0 3 5\n", 1, "only for a range delete"),
            ("0x6B 1 0 3 5\n\n", 2, "empty line"),
            (
                "0x6B 7 0 3 5\n",
                1,
                "seek-for-prev record cannot be applied",
            ),
        ] {
            match read(text, true) {
                Err(Fail::AtLine(n, why)) => {
                    assert_eq!(n, line, "{text:?}");
                    assert!(why.contains(reason), "{text:?}: {why}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
