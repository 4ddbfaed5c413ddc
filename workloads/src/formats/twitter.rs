//! Twitter's cache traces (twitter/cache-trace, Yang et al., OSDI 2020):
//! CSV lines without a header,
//!
//! ```text
//! timestamp,anonymized key,key size,value size,client id,operation,TTL
//! 0,q:q:1:8WTfjZU0PJ8d,16,60,15,get,0
//! ```
//!
//! with the timestamp in seconds and the TTL in seconds (0: none). An
//! anonymised key may itself hold commas: the fields around it are fixed.
//! `set`, `add`, `replace`, `cas`, `append` and `prepend` become puts of
//! the value size with the TTL; `get` and `gets` gets; `delete` a delete;
//! `incr` and `decr` a read-modify-write (a get, then a put of the value
//! size). Keys are hashed to keys of the recorded key size. (A counter kept
//! with merge operands is the `counter` preset, or a `merge_fraction` in a
//! mix.)

use std::collections::VecDeque;
use std::io::BufRead;

use super::source::{hashed_key, integer, Clock, LineFormat, LineSource};
use super::TraceCounts;
use crate::op::{Op, OpKind};
use crate::spec::MAX_VALUE_SIZE;

const MAX_LINE: u64 = 1 << 20;

/// The format's state: simulated time.
#[derive(Default)]
pub(crate) struct Twitter {
    clock: Clock,
}

/// A streaming reader of the format.
pub(crate) fn reader<R: BufRead>(input: R) -> LineSource<R, Twitter> {
    LineSource::new(input, MAX_LINE, Twitter::default())
}

impl LineFormat for Twitter {
    fn parse(
        &mut self,
        line: &str,
        _counts: &mut TraceCounts,
        out: &mut VecDeque<Op>,
    ) -> Result<(), String> {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 7 {
            return Err(format!(
                "expected 7 fields (timestamp,key,key_size,value_size,client_id,op,ttl), found {}",
                fields.len()
            ));
        }
        let n = fields.len();
        let key_text = fields[1..n - 5].join(",");
        let seconds = integer("timestamp", fields[0])?;
        let key_size = integer("key size", fields[n - 5])?;
        let value_size = integer("value size", fields[n - 4])?;
        let op = fields[n - 2].trim();
        let ttl_s = integer("ttl", fields[n - 1])?;
        if value_size > u64::from(MAX_VALUE_SIZE) {
            return Err(format!("value size {value_size} is above 16 MiB"));
        }
        let time = self.clock.ms(seconds.saturating_mul(1_000_000));
        let key = hashed_key(key_text.as_bytes(), key_size);
        let ttl = (ttl_s > 0).then(|| ttl_s.saturating_mul(1000));
        let op_of = |kind, value_len, ttl| Op {
            time,
            kind,
            key: key.clone(),
            value_len,
            ttl,
        };
        match op {
            "get" | "gets" => out.push_back(op_of(OpKind::Get, 0, None)),
            "set" | "add" | "replace" | "cas" | "append" | "prepend" => {
                out.push_back(op_of(OpKind::Put, value_size as u32, ttl))
            }
            "delete" => out.push_back(op_of(OpKind::Delete, 0, None)),
            "incr" | "decr" => {
                out.push_back(op_of(OpKind::Get, 0, None));
                out.push_back(op_of(OpKind::Put, value_size as u32, ttl));
            }
            other => {
                return Err(format!(
                    "unknown operation {other:?} (expected get, gets, set, add, replace, cas, \
                     append, prepend, delete, incr, decr)"
                ))
            }
        }
        Ok(())
    }
}
