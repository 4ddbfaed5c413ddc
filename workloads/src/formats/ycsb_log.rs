//! The operation log YCSB's BasicDB prints with `-p basicdb.verbose=true`
//! (`site.ycsb.BasicDB`): one line per operation,
//!
//! ```text
//! READ usertable user6284781860667377211 [ <all fields>]
//! SCAN usertable user5765279938374297211 36 [ <all fields>]
//! UPDATE usertable user8517097267634966620 [ field9=<value> ]
//! INSERT usertable user6284781860667377211 [ field1=<value> field0=<value> ]
//! DELETE usertable user6284781860667377211
//! ```
//!
//! READ becomes a get, SCAN a scan of its record count, UPDATE and INSERT
//! puts whose value size is the bytes of the field values, DELETE a
//! delete; keys are kept as they are. Other lines of YCSB's output (its
//! banner, `[OVERALL]` measurements...) are not operations and are passed
//! over. There are no timestamps: op `i` happens at `i / ingest_rate`
//! seconds. Field names must hold a lower-case letter (YCSB's `field0`...):
//! YCSB's random values never do, so a value cannot be mistaken for the
//! next field.

use std::collections::VecDeque;
use std::io::BufRead;

use super::source::{integer, LineFormat, LineSource};
use super::{ReadOptions, TraceCounts};
use crate::op::{Op, OpKind};
use crate::spec::{MAX_SCAN_LENGTH, MAX_VALUE_SIZE};

const MAX_LINE: u64 = 1 << 25;

/// The format's state: ops so far, for their times.
pub(crate) struct YcsbLog {
    options: ReadOptions,
    index: u64,
}

/// A streaming reader of the format.
pub(crate) fn reader<R: BufRead>(input: R, options: ReadOptions) -> LineSource<R, YcsbLog> {
    LineSource::new(input, MAX_LINE, YcsbLog { options, index: 0 })
}

/// Bytes of the field values in `name=value name=value` (the bracket's
/// contents).
fn values_len(fields: &str) -> u64 {
    let bytes = fields.as_bytes();
    // A field starts at 0 or after a space, with `name=` where the name is
    // [A-Za-z0-9_]+ holding a lower-case letter.
    let starts_field = |at: usize| -> Option<usize> {
        let name_len = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        let name = &bytes[at..at + name_len];
        (name_len > 0
            && bytes.get(at + name_len) == Some(&b'=')
            && name.iter().any(u8::is_ascii_lowercase))
        .then_some(name_len + 1)
    };
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for at in 0..bytes.len() {
        if at == 0 || bytes[at - 1] == b' ' {
            if let Some(prefix) = starts_field(at) {
                starts.push((at, prefix));
            }
        }
    }
    let mut total = 0u64;
    for (i, &(at, prefix)) in starts.iter().enumerate() {
        // The value runs to the space before the next field, or the end.
        let end = starts.get(i + 1).map_or(bytes.len(), |&(next, _)| next - 1);
        total += end.saturating_sub(at + prefix) as u64;
    }
    total
}

impl YcsbLog {
    /// The op of one line; `None` for lines that are not operations.
    fn op(&mut self, line: &str) -> Result<Option<Op>, String> {
        let mut words = line.splitn(4, ' ');
        let verb = words.next().unwrap_or("");
        if !matches!(verb, "READ" | "SCAN" | "UPDATE" | "INSERT" | "DELETE") {
            return Ok(None);
        }
        let _table = words
            .next()
            .filter(|t| !t.is_empty())
            .ok_or(format!("{verb} without a table"))?;
        let key = words
            .next()
            .filter(|k| !k.is_empty())
            .ok_or(format!("{verb} without a key"))?;
        let rest = words.next().unwrap_or("");
        let bracket = || -> Result<&str, String> {
            let inner = rest
                .find('[')
                .and_then(|open| {
                    rest.rfind(']')
                        .filter(|&close| close > open)
                        .map(|close| &rest[open + 1..close])
                })
                .ok_or(format!("{verb} without its [ ... ] list"))?;
            let inner = inner.strip_prefix(' ').unwrap_or(inner);
            Ok(inner.strip_suffix(' ').unwrap_or(inner))
        };
        let (kind, value_len) = match verb {
            "READ" => {
                bracket()?;
                (OpKind::Get, 0)
            }
            "SCAN" => {
                let count = rest.split(' ').next().unwrap_or("");
                let len = integer("scan record count", count)?;
                if !(1..=u64::from(MAX_SCAN_LENGTH)).contains(&len) {
                    return Err(format!(
                        "scan record count {len} is outside 1..={MAX_SCAN_LENGTH}"
                    ));
                }
                bracket()?;
                (OpKind::Scan { len: len as u32 }, 0)
            }
            "DELETE" => (OpKind::Delete, 0),
            _ => {
                let len = values_len(bracket()?);
                if len > u64::from(MAX_VALUE_SIZE) {
                    return Err(format!("{len} bytes of values: above 16 MiB"));
                }
                (OpKind::Put, len as u32)
            }
        };
        let us = u128::from(self.index) * 1_000_000 / u128::from(self.options.ingest_rate.max(1));
        self.index += 1;
        Ok(Some(Op {
            time: (us / 1000) as u64,
            kind,
            key: key.as_bytes().to_vec(),
            value_len,
            ttl: None,
        }))
    }
}

impl LineFormat for YcsbLog {
    fn parse(
        &mut self,
        line: &str,
        _counts: &mut TraceCounts,
        out: &mut VecDeque<Op>,
    ) -> Result<(), String> {
        out.extend(self.op(line)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::source::{drain, Fail};

    #[test]
    fn values_are_measured_between_field_names() {
        assert_eq!(values_len("field1=abc field0=de"), 5);
        // Values of YCSB's alphabet (no lower case) may hold spaces and '='.
        assert_eq!(values_len("field1=A B=C field2=XY"), 7);
        assert_eq!(values_len("<all fields>"), 0);
        assert_eq!(values_len(""), 0);
    }

    #[test]
    fn basicdb_lines_become_ops_and_other_output_is_passed_over() {
        let log = "YCSB Client 0.17.0\n\
                   Loading workload...\n\
                   INSERT usertable user1 [ field1=ABCD field0=EF ]\n\
                   READ usertable user1 [ <all fields>]\n\
                   READ usertable user1 [ field3 field4 ]\n\
                   SCAN usertable user0 36 [ <all fields>]\n\
                   UPDATE usertable user1 [ field9=X=Y Z ]\n\
                   DELETE usertable user1\n\
                   [OVERALL], RunTime(ms), 123\n";
        let (ops, _) = drain(reader(log.as_bytes(), ReadOptions::default())).unwrap();
        let got: Vec<(OpKind, &[u8], u32, u64)> = ops
            .iter()
            .map(|o| (o.kind.clone(), &o.key[..], o.value_len, o.time))
            .collect();
        assert_eq!(
            got,
            [
                (OpKind::Put, &b"user1"[..], 6, 0),
                (OpKind::Get, b"user1", 0, 1),
                (OpKind::Get, b"user1", 0, 2),
                (OpKind::Scan { len: 36 }, b"user0", 0, 3),
                (OpKind::Put, b"user1", 5, 4),
                (OpKind::Delete, b"user1", 0, 5),
            ]
        );
        for (text, reason) in [
            ("READ usertable\n", "READ without a key"),
            (
                "SCAN usertable user0 x [ <all fields>]\n",
                "scan record count \"x\"",
            ),
            (
                "UPDATE usertable user1 field1=AB\n",
                "UPDATE without its [ ... ] list",
            ),
        ] {
            match drain(reader(text.as_bytes(), ReadOptions::default())) {
                Err(Fail::AtLine(1, why)) => assert!(why.contains(reason), "{why}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
