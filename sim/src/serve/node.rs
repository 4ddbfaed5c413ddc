//! The node: turns each request line into one reply line, running it
//! against the engine.

use std::collections::HashSet;
use std::sync::Arc;

use lsmlab_engine::compaction::{PickContext, Strategy};
use lsmlab_engine::db::LevelStatsRow;
use lsmlab_engine::{Clock, Db};
use serde_json::{json, Map, Value};

use super::protocol::{
    envelope_line, parse_message, ErrorCode, Message, ProtocolError, Rejection, ReplyBody, Request,
};

/// An LSM node answering Maelstrom-style requests with a real engine.
pub struct Node {
    db: Db,
    /// The policy the engine runs, rebuilt here to ask what it would pick.
    strategy: std::sync::Arc<dyn Strategy>,
    clock: Arc<dyn Clock>,
    num_levels: usize,
    /// Set by `init`; until then replies are sent from the request's `dest`.
    node_id: Option<String>,
    /// INVARIANT: the `msg_id` of the next reply; every reply takes one.
    next_msg_id: u64,
    errors: u64,
}

/// A successful reply: its type and fields.
type Reply = (&'static str, Map<String, Value>);

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Engine errors: bad arguments are the client's fault (12), everything
/// else (I/O, corruption, read-only after a failure) is a crash (13).
fn engine_error(e: lsmlab_engine::Error) -> ProtocolError {
    use lsmlab_engine::Error;
    let code = match e {
        Error::InvalidArgument(_) | Error::InvalidOption { .. } => ErrorCode::MalformedRequest,
        _ => ErrorCode::Crash,
    };
    ProtocolError::new(code, e.to_string())
}

fn level_row(level: Option<usize>, r: &LevelStatsRow) -> Value {
    let mut row = json!({
        "files": r.files,
        "size_bytes": r.size_bytes,
        "read_bytes": r.read_bytes,
        "write_bytes": r.write_bytes,
        "write_amplification": r.write_amp,
        "compactions": r.compactions,
        "moves": r.moves,
        "keys_in": r.keys_in,
        "keys_dropped": r.keys_dropped,
    });
    if let (Some(level), Value::Object(map)) = (level, &mut row) {
        map.insert("level".into(), json!(level));
        map.insert("score".into(), json!(r.score));
    }
    row
}

impl Node {
    /// A node serving `db`, whose engine reads time from `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Node {
        let opts = db.options();
        Node {
            strategy: (opts.compaction.policy.build)(&opts.compaction),
            num_levels: opts.num_levels,
            db,
            clock,
            node_id: None,
            next_msg_id: 0,
            errors: 0,
        }
    }

    /// The engine behind the node.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Replies sent so far.
    pub fn replies(&self) -> u64 {
        self.next_msg_id
    }

    /// Error replies sent so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Gives the engine back (to close it).
    pub fn into_db(self) -> Db {
        self.db
    }

    /// Handles one input line (without its newline) and returns the reply
    /// line, or `None` for a blank line.
    pub fn handle_line(&mut self, line: &[u8]) -> Option<String> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return None;
        }
        Some(match parse_message(line) {
            Ok(m) => self.handle(m),
            Err(r) => self.reject(r),
        })
    }

    fn take_msg_id(&mut self) -> u64 {
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        id
    }

    fn source(&self, dest: Option<&str>) -> String {
        self.node_id
            .clone()
            .or_else(|| dest.map(String::from))
            .unwrap_or_default()
    }

    fn handle(&mut self, m: Message) -> String {
        let result = self.execute(&m.request);
        let msg_id = self.take_msg_id();
        let body = match result {
            Ok((kind, fields)) => ReplyBody {
                kind: kind.into(),
                msg_id,
                in_reply_to: m.msg_id,
                fields,
            },
            Err(e) => {
                self.log_error(&m.src, &e);
                ReplyBody::error(msg_id, m.msg_id, &e)
            }
        };
        envelope_line(&self.source(Some(&m.dest)), &m.src, &body)
    }

    /// The error reply to a request line longer than `limit` bytes (not
    /// read whole, so its sender is unknown).
    pub fn reject_oversized(&mut self, limit: u64) -> String {
        self.reject(Rejection {
            src: None,
            dest: None,
            msg_id: None,
            error: ProtocolError::malformed(format!(
                "request line longer than {limit} bytes: skipped"
            )),
        })
    }

    fn reject(&mut self, r: Rejection) -> String {
        let msg_id = self.take_msg_id();
        let dest = r.src.unwrap_or_default();
        self.log_error(&dest, &r.error);
        let body = ReplyBody::error(msg_id, r.msg_id, &r.error);
        envelope_line(&self.source(r.dest.as_deref()), &dest, &body)
    }

    fn log_error(&mut self, to: &str, e: &ProtocolError) {
        self.errors += 1;
        eprintln!(
            "lsmlab serve: error {} to `{to}`: {}",
            e.code.code(),
            e.text
        );
    }

    fn execute(&mut self, request: &Request) -> Result<Reply, ProtocolError> {
        match request {
            Request::Init { node_id, node_ids } => {
                eprintln!("lsmlab serve: node {node_id} of {} node(s)", node_ids.len());
                self.node_id = Some(node_id.clone());
                Ok(("init_ok", Map::new()))
            }
            Request::Compact {
                source_level,
                target_level,
            } => self.compact(*source_level, *target_level),
            Request::CompactStatus => Ok(("lsm_compact_status_ok", self.compact_status())),
            Request::Put { key, value } => {
                self.db
                    .put(key.as_bytes(), value.as_bytes())
                    .map_err(engine_error)?;
                Ok(("lsm_put_ok", Map::new()))
            }
            Request::Delete { key } => {
                self.db.delete(key.as_bytes()).map_err(engine_error)?;
                Ok(("lsm_delete_ok", Map::new()))
            }
            Request::Get { key } => match self.db.get(key.as_bytes()).map_err(engine_error)? {
                Some(v) => Ok((
                    "lsm_get_ok",
                    fields(json!({ "value": String::from_utf8_lossy(&v) })),
                )),
                None => Err(ProtocolError::new(
                    ErrorCode::KeyDoesNotExist,
                    format!("key `{key}` does not exist"),
                )),
            },
            Request::Flush => {
                self.db.flush().map_err(engine_error)?;
                let sstables = self.db.version().total_files();
                Ok(("lsm_flush_ok", fields(json!({ "sstables": sstables }))))
            }
            Request::Stats => Ok(("lsm_stats_ok", self.stats())),
        }
    }

    fn compact(&mut self, source: u64, target: u64) -> Result<Reply, ProtocolError> {
        let last = self.num_levels as u64 - 1;
        if source > last || target > last {
            return Err(ProtocolError::malformed(format!(
                "level out of range: L{source} -> L{target}, levels are L0..L{last}"
            )));
        }
        if target != source + 1 {
            return Err(ProtocolError::malformed(format!(
                "target_level must be source_level + 1: got L{source} -> L{target}"
            )));
        }
        let r = self
            .db
            .compact_level(source as usize)
            .map_err(engine_error)?;
        let s = r.stats;
        Ok((
            "lsm_compact_ok",
            fields(json!({
                "sstables_merged": r.input_files,
                "new_sstables": r.output_files,
                "keys_deduplicated": s.dropped_shadowed,
                "tombstones_dropped": s.dropped_tombstones,
                "expired_dropped": s.dropped_expired,
                "keys_in": s.keys_in,
                "keys_out": s.keys_out,
                "bytes_read": r.bytes_read,
                "bytes_written": r.bytes_written,
                "write_amplification": ratio(r.bytes_written, r.bytes_read),
            })),
        ))
    }

    /// Compactions the policy has waiting: for a policy that scores its
    /// levels, the levels whose score is at least 1 (as the stats table
    /// shows them); otherwise 1 when the policy would start a job now,
    /// else 0.
    fn pending_compactions(&self) -> u64 {
        let rows = self.db.level_stats().rows;
        let scores: Vec<f64> = rows.iter().filter_map(|r| r.score).collect();
        if !scores.is_empty() {
            return scores.iter().filter(|&&s| s >= 1.0).count() as u64;
        }
        let opts = self.db.options();
        let busy = HashSet::new();
        let ctx = PickContext {
            options: &opts,
            busy: &busy,
            now_ms: self.clock.now_ms(),
            last_level: None,
            oldest_snapshot: None,
        };
        u64::from(self.strategy.pick(&self.db.version(), &ctx).is_some())
    }

    fn compact_status(&self) -> Map<String, Value> {
        let s = self.db.stats();
        fields(json!({
            "pending_compactions": self.pending_compactions(),
            "pending_compaction_bytes": self.db.pending_compaction_bytes(),
            "total_compactions": s.compactions,
            "total_bytes_compacted": s.compaction_read_bytes,
            "total_bytes_written": s.compaction_write_bytes,
        }))
    }

    fn stats(&self) -> Map<String, Value> {
        let table = self.db.level_stats();
        let (levels, total): (Vec<_>, Vec<_>) =
            table.rows.iter().partition(|r| r.level.starts_with('L'));
        let levels: Vec<Value> = levels
            .iter()
            .enumerate()
            .map(|(i, r)| level_row(Some(i), r))
            .collect();
        let s = self.db.stats();
        fields(json!({
            "policy": self.strategy.name(),
            "levels": levels,
            "total": total.first().map(|r| level_row(None, r)),
            "puts": s.puts,
            "deletes": s.deletes,
            "flushes": s.flushes,
            "user_bytes": s.user_bytes,
            "memtable_bytes": self.db.memtable_bytes(),
            "write_amplification": s.write_amp(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsmlab_engine::fs::MemFs;
    use lsmlab_engine::{Env, Options, VirtualClock};

    fn node() -> Node {
        let clock: Arc<dyn Clock> = Arc::new(VirtualClock::new(0));
        let env = Env {
            fs: Arc::new(MemFs::new()),
            clock: clock.clone(),
        };
        let opts = Options {
            auto_compaction: false,
            ..Options::default()
        };
        Node::new(Db::open_with("/db", opts, env).unwrap(), clock)
    }

    fn send(n: &mut Node, body: Value) -> Value {
        let line = json!({"src": "c1", "dest": "n1", "body": body}).to_string();
        let reply = n.handle_line(line.as_bytes()).unwrap();
        let v: Value = serde_json::from_str(&reply).unwrap();
        v["body"].clone()
    }

    #[test]
    fn replies_number_themselves_from_zero_errors_included() {
        let mut n = node();
        let a = send(
            &mut n,
            json!({"type": "init", "msg_id": 5, "node_id": "n1", "node_ids": ["n1"]}),
        );
        let b = send(&mut n, json!({"type": "nope", "msg_id": 6}));
        let c = send(&mut n, json!({"type": "lsm_flush", "msg_id": 7}));
        assert_eq!(
            (a["msg_id"].clone(), a["in_reply_to"].clone()),
            (json!(0), json!(5))
        );
        assert_eq!(
            (b["msg_id"].clone(), b["code"].clone()),
            (json!(1), json!(10))
        );
        assert_eq!(c["msg_id"], json!(2));
        assert_eq!((n.replies(), n.errors()), (3, 1));
    }

    #[test]
    fn replies_come_from_the_node_id_once_initialised() {
        let mut n = node();
        let before = n.handle_line(br#"{"src":"c1","dest":"x","body":{"type":"lsm_flush"}}"#);
        assert!(before.unwrap().contains(r#""src":"x""#));
        send(
            &mut n,
            json!({"type": "init", "node_id": "n9", "node_ids": ["n9"]}),
        );
        let after = n
            .handle_line(br#"{"src":"c1","dest":"x","body":{"type":"lsm_flush"}}"#)
            .unwrap();
        let v: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(
            (v["src"].clone(), v["dest"].clone()),
            (json!("n9"), json!("c1"))
        );
    }

    #[test]
    fn blank_lines_get_no_reply_and_take_no_msg_id() {
        let mut n = node();
        assert_eq!(n.handle_line(b"   \r"), None);
        assert_eq!(n.replies(), 0);
    }

    #[test]
    fn levels_are_checked_against_the_tree() {
        let mut n = node();
        for (src, dst) in [(0, 2), (1, 0), (6, 7), (100, 101)] {
            let r = send(
                &mut n,
                json!({"type": "lsm_compact", "source_level": src, "target_level": dst}),
            );
            assert_eq!(r["code"], json!(12), "L{src} -> L{dst}: {r}");
        }
        let r = send(
            &mut n,
            json!({"type": "lsm_compact", "source_level": 5, "target_level": 6}),
        );
        assert_eq!(r["type"], json!("lsm_compact_ok"));
        assert_eq!(r["sstables_merged"], json!(0));
        assert_eq!(r["write_amplification"], json!(0.0));
    }

    #[test]
    fn pending_compactions_counts_l0_once_it_reaches_its_limit() {
        let mut n = node();
        for i in 0..4 {
            send(
                &mut n,
                json!({"type": "lsm_put", "key": format!("k{i}"), "value": "v"}),
            );
            send(&mut n, json!({"type": "lsm_flush"}));
            let s = send(&mut n, json!({"type": "lsm_compact_status"}));
            let want = if i < 3 { 0 } else { 1 };
            assert_eq!(
                s["pending_compactions"],
                json!(want),
                "after flush {i}: {s}"
            );
        }
        send(
            &mut n,
            json!({"type": "lsm_compact", "source_level": 0, "target_level": 1}),
        );
        let s = send(&mut n, json!({"type": "lsm_compact_status"}));
        assert_eq!(s["pending_compactions"], json!(0), "{s}");
        assert_eq!(s["total_compactions"], json!(1), "{s}");
    }

    #[test]
    fn stats_has_a_row_per_level_and_a_total() {
        let mut n = node();
        send(&mut n, json!({"type": "lsm_put", "key": "a", "value": "1"}));
        send(&mut n, json!({"type": "lsm_flush"}));
        let s = send(&mut n, json!({"type": "lsm_stats"}));
        let levels = s["levels"].as_array().unwrap();
        assert_eq!(levels.len(), 7);
        assert_eq!(levels[0]["level"], json!(0));
        assert_eq!(levels[0]["files"], json!(1));
        assert_eq!(s["total"]["files"], json!(1));
        assert_eq!(
            (s["puts"].clone(), s["flushes"].clone()),
            (json!(1), json!(1))
        );
    }
}
