//! Meta's key-value cache traces (CacheLib's kvcache releases): CSV with a
//! header naming the columns, which differ by release,
//!
//! ```text
//! key,op,size,op_count,key_size[,ttl]                       (2022, 2023)
//! op_time,key,key_size,op,op_count,size,cache_hits,ttl[,...] (2022-10, 2024)
//! ```
//!
//! so columns are found by name. Each line stands for `op_count` identical
//! requests. `GET` and `GET_LEASE` become gets; `SET` and `SET_LEASE` puts
//! of `size` bytes with the `ttl` in seconds (0: none); `DELETE` a delete.
//! `op_time` (seconds) gives simulated time; without it, op `i` happens at
//! `i / ingest_rate` seconds. Keys are hashed to keys of `key_size` bytes.

use std::collections::VecDeque;
use std::io::BufRead;

use super::source::{hashed_key, integer, Clock, LineFormat, LineSource};
use super::{ReadOptions, TraceCounts};
use crate::op::{Op, OpKind};
use crate::spec::MAX_VALUE_SIZE;

const MAX_LINE: u64 = 1 << 20;
/// Most requests one line may stand for.
const MAX_OP_COUNT: u64 = 1 << 20;

/// Column positions, from the header.
#[derive(Clone, Copy, Debug)]
struct Columns {
    key: usize,
    op: usize,
    size: usize,
    op_count: usize,
    key_size: usize,
    ttl: Option<usize>,
    op_time: Option<usize>,
    /// Fields a line must have.
    min_fields: usize,
}

/// The format's state: the header's columns, simulated time.
pub(crate) struct MetaKv {
    options: ReadOptions,
    clock: Clock,
    columns: Option<Columns>,
    /// Ops yielded, for time without `op_time`.
    index: u64,
}

/// A streaming reader of the format.
pub(crate) fn reader<R: BufRead>(input: R, options: ReadOptions) -> LineSource<R, MetaKv> {
    let format = MetaKv {
        options,
        clock: Clock::default(),
        columns: None,
        index: 0,
    };
    LineSource::new(input, MAX_LINE, format)
}

impl MetaKv {
    fn header(line: &str) -> Result<Columns, String> {
        let names: Vec<&str> = line
            .trim_start_matches('\u{feff}')
            .split(',')
            .map(str::trim)
            .collect();
        let find = |name: &str| names.iter().position(|n| *n == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                format!(
                    "header {line:?} lacks the column {name:?} (expected key,op,size,op_count,\
                     key_size[,ttl] or op_time,key,key_size,op,op_count,size,cache_hits,ttl)"
                )
            })
        };
        let columns = Columns {
            key: need("key")?,
            op: need("op")?,
            size: need("size")?,
            op_count: need("op_count")?,
            key_size: need("key_size")?,
            ttl: find("ttl"),
            op_time: find("op_time"),
            min_fields: 0,
        };
        let required = [
            columns.key,
            columns.op,
            columns.size,
            columns.op_count,
            columns.key_size,
        ];
        Ok(Columns {
            min_fields: required.iter().max().expect("five columns") + 1,
            ..columns
        })
    }

    fn ops(&mut self, line: &str, out: &mut VecDeque<Op>) -> Result<(), String> {
        let Some(c) = self.columns else {
            self.columns = Some(Self::header(line)?);
            return Ok(());
        };
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < c.min_fields {
            return Err(format!(
                "expected at least {} fields, found {}",
                c.min_fields,
                fields.len()
            ));
        }
        let optional = |at: Option<usize>, what: &str| -> Result<u64, String> {
            match at.and_then(|i| fields.get(i)).map(|f| f.trim()) {
                None | Some("") => Ok(0),
                Some(text) => integer(what, text),
            }
        };
        let size = integer("size", fields[c.size])?;
        let op_count = integer("op_count", fields[c.op_count])?;
        let key_size = integer("key_size", fields[c.key_size])?;
        let ttl_s = optional(c.ttl, "ttl")?;
        if !(1..=MAX_OP_COUNT).contains(&op_count) {
            return Err(format!("op_count {op_count} is outside 1..={MAX_OP_COUNT}"));
        }
        if size > u64::from(MAX_VALUE_SIZE) {
            return Err(format!("size {size} is above 16 MiB"));
        }
        let (kind, value_len) = match fields[c.op].trim() {
            "GET" | "GET_LEASE" => (OpKind::Get, 0),
            "SET" | "SET_LEASE" => (OpKind::Put, size as u32),
            "DELETE" => (OpKind::Delete, 0),
            other => {
                return Err(format!(
                    "unknown op {other:?} (expected GET, GET_LEASE, SET, SET_LEASE, DELETE)"
                ))
            }
        };
        let key = hashed_key(fields[c.key].trim().as_bytes(), key_size);
        let at_seconds = match c.op_time {
            Some(_) => Some(optional(c.op_time, "op_time")?),
            None => None,
        };
        for _ in 0..op_count {
            let time = match at_seconds {
                Some(s) => self.clock.ms(s.saturating_mul(1_000_000)),
                None => {
                    let us = u128::from(self.index) * 1_000_000
                        / u128::from(self.options.ingest_rate.max(1));
                    (us / 1000) as u64
                }
            };
            self.index += 1;
            let ttl = (kind == OpKind::Put && ttl_s > 0).then(|| ttl_s.saturating_mul(1000));
            out.push_back(Op {
                time,
                kind: kind.clone(),
                key: key.clone(),
                value_len,
                ttl,
            });
        }
        Ok(())
    }
}

impl LineFormat for MetaKv {
    fn parse(
        &mut self,
        line: &str,
        _counts: &mut TraceCounts,
        out: &mut VecDeque<Op>,
    ) -> Result<(), String> {
        self.ops(line, out)
    }

    fn finish(&self) -> Result<(), String> {
        match self.columns {
            Some(_) => Ok(()),
            None => Err("missing header".into()),
        }
    }
}
