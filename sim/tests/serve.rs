//! `lsmlab serve` as a harness sees it: the binary, JSON lines through its
//! pipes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_lsmlab");

/// A running node, driven one request at a time.
struct Node {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Node {
    fn start(args: &[&str]) -> Node {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn lsmlab serve");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Node {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    /// Sends a raw line and returns the reply envelope.
    fn raw(&mut self, line: &str) -> Value {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        self.stdout.read_line(&mut reply).unwrap();
        assert!(!reply.is_empty(), "the node closed stdout after {line}");
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("reply {reply:?}: {e}"))
    }

    /// Sends `body` (given a fresh msg_id) from client c1 and returns the
    /// reply body, checked to answer it.
    fn call(&mut self, mut body: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        body["msg_id"] = json!(id);
        let reply = self.raw(&json!({"src": "c1", "dest": "n1", "body": body}).to_string());
        assert_eq!(reply["dest"], "c1", "{reply}");
        assert_eq!(reply["body"]["in_reply_to"], id, "{reply}");
        reply["body"].clone()
    }

    /// Like `call`, expecting a reply of type `want`.
    fn ok(&mut self, body: Value, want: &str) -> Value {
        let what = body.to_string();
        let r = self.call(body);
        assert_eq!(r["type"], want, "{what} -> {r}");
        r
    }

    fn init(&mut self) {
        self.ok(
            json!({"type": "init", "node_id": "n1", "node_ids": ["n1", "n2"]}),
            "init_ok",
        );
    }

    fn put(&mut self, key: &str, value: &str) {
        self.ok(
            json!({"type": "lsm_put", "key": key, "value": value}),
            "lsm_put_ok",
        );
    }

    fn flush(&mut self) -> Value {
        self.ok(json!({"type": "lsm_flush"}), "lsm_flush_ok")
    }

    fn compact(&mut self, source: u64, target: u64) -> Value {
        self.ok(
            json!({"type": "lsm_compact", "source_level": source, "target_level": target}),
            "lsm_compact_ok",
        )
    }

    fn status(&mut self) -> Value {
        self.ok(
            json!({"type": "lsm_compact_status"}),
            "lsm_compact_status_ok",
        )
    }

    fn get(&mut self, key: &str) -> Value {
        self.call(json!({"type": "lsm_get", "key": key}))
    }

    /// Closes stdin and expects a clean exit with nothing more on stdout.
    fn finish(mut self) {
        drop(self.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "", "output after the last reply");
        assert!(self.child.wait().unwrap().success());
    }
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn init_is_acknowledged_from_the_node_id() {
    let mut n = Node::start(&[]);
    let reply = n.raw(
        r#"{"src":"c1","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}"#,
    );
    assert_eq!(
        reply,
        json!({"src": "n1", "dest": "c1", "body": {"type": "init_ok", "msg_id": 0, "in_reply_to": 1}})
    );
    n.finish();
}

#[test]
fn compacting_l0_into_l1_merges_and_deduplicates_what_was_put() {
    let mut n = Node::start(&[]);
    n.init();
    // Flush 1: k000..k099. Flush 2: k000..k049 again. Flush 3: k000..k019 a
    // third time and deletes of k090..k094.
    for i in 0..100 {
        n.put(&format!("k{i:03}"), &format!("one-{i}"));
    }
    assert_eq!(n.flush()["sstables"], 1);
    for i in 0..50 {
        n.put(&format!("k{i:03}"), &format!("two-{i}"));
    }
    assert_eq!(n.flush()["sstables"], 2);
    for i in 0..20 {
        n.put(&format!("k{i:03}"), &format!("three-{i}"));
    }
    for i in 90..95 {
        n.ok(
            json!({"type": "lsm_delete", "key": format!("k{i:03}")}),
            "lsm_delete_ok",
        );
    }
    assert_eq!(n.flush()["sstables"], 3);

    let r = n.compact(0, 1);
    assert_eq!(r["sstables_merged"], 3, "{r}");
    assert_eq!(r["new_sstables"], 1, "{r}");
    assert_eq!(r["keys_in"], 100 + 50 + 25, "{r}");
    // Older versions gone: 2 each for k000..k019, 1 each for k020..k049,
    // and the puts of the 5 deleted keys.
    assert_eq!(r["keys_deduplicated"], 20 * 2 + 30 + 5, "{r}");
    // Nothing below L1 can hold the deleted keys: their tombstones go too.
    assert_eq!(r["tombstones_dropped"], 5, "{r}");
    assert_eq!(r["keys_out"], 95, "{r}");
    let (read, written) = (u(&r["bytes_read"]), u(&r["bytes_written"]));
    assert!(read > written && written > 0, "{r}");
    let wa = r["write_amplification"].as_f64().unwrap();
    assert!((wa - written as f64 / read as f64).abs() < 1e-9, "{r}");

    let stats = n.ok(json!({"type": "lsm_stats"}), "lsm_stats_ok");
    assert_eq!(stats["levels"][0]["files"], 0, "{stats}");
    assert_eq!(stats["levels"][1]["files"], 1, "{stats}");
    assert_eq!(stats["levels"][1]["size_bytes"], written, "{stats}");

    assert_eq!(n.get("k005")["value"], "three-5");
    assert_eq!(n.get("k030")["value"], "two-30");
    assert_eq!(n.get("k070")["value"], "one-70");
    assert_eq!(n.get("k092")["code"], 20);
    n.finish();
}

#[test]
fn status_adds_up_several_compactions() {
    let mut n = Node::start(&[]);
    n.init();
    let empty = n.status();
    assert_eq!(
        (
            &empty["pending_compactions"],
            &empty["total_compactions"],
            &empty["total_bytes_compacted"]
        ),
        (&json!(0), &json!(0), &json!(0))
    );
    let mut read = 0;
    // Four rounds: put and flush twice (the second overwriting half), then
    // compact L0 into L1. Keys of all rounds interleave, so from the second
    // round on L1's file overlaps L0 and joins the merge.
    for round in 0..4u64 {
        for flush in 0..2 {
            for i in 0..40 {
                if flush == 0 || i % 2 == 0 {
                    n.put(&format!("{i:02}-r{round}"), &format!("v{flush}"));
                }
            }
            n.flush();
        }
        let r = n.compact(0, 1);
        let l1_before = u64::from(round > 0);
        assert_eq!(r["sstables_merged"], 2 + l1_before, "round {round}: {r}");
        assert_eq!(r["keys_deduplicated"], 20, "round {round}: {r}");
        read += u(&r["bytes_read"]);
    }
    // Then L1 down to L2, and an empty level: a no-op that counts nothing.
    let r = n.compact(1, 2);
    assert_eq!(
        (&r["sstables_merged"], &r["keys_deduplicated"]),
        (&json!(1), &json!(0))
    );
    read += u(&r["bytes_read"]);
    let noop = n.compact(3, 4);
    for field in [
        "sstables_merged",
        "new_sstables",
        "keys_deduplicated",
        "bytes_read",
        "bytes_written",
    ] {
        assert_eq!(noop[field], 0, "{field}: {noop}");
    }
    assert_eq!(noop["write_amplification"], 0.0);

    let s = n.status();
    assert_eq!(s["total_compactions"], 5, "{s}");
    assert_eq!(s["total_bytes_compacted"], read, "{s}");
    assert_eq!(s["pending_compactions"], 0, "{s}");
    for round in 0..4 {
        assert_eq!(n.get(&format!("02-r{round}"))["value"], "v1");
        assert_eq!(n.get(&format!("03-r{round}"))["value"], "v0");
    }
    n.finish();
}

#[test]
fn l0_is_left_to_the_client_unless_auto_compaction_is_on() {
    for (args, compactions) in [(&[][..], 0), (&["--auto-compaction"][..], 1)] {
        let mut n = Node::start(args);
        n.init();
        // Each flush spans a..z, so the L0 files overlap and must merge (a
        // key-disjoint L0 would move down without a compaction).
        for f in 0..4 {
            n.put("a", &format!("v{f}"));
            n.put("z", &format!("v{f}"));
            n.flush();
        }
        let s = n.status();
        assert_eq!(s["total_compactions"], compactions, "{args:?}: {s}");
        // Leveled: L0 at its 4-file limit is one pending compaction.
        assert_eq!(s["pending_compactions"], 1 - compactions, "{args:?}: {s}");
        n.finish();
    }
}

#[test]
fn every_error_code_is_reported_and_the_node_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut n = Node::start(&["--dir", db.to_str().unwrap()]);
    n.init();

    // 10: an unknown type.
    let r = n.call(json!({"type": "lsm_frobnicate"}));
    assert_eq!(
        (&r["type"], &r["code"]),
        (&json!("error"), &json!(10)),
        "{r}"
    );

    // 12: not JSON at all (no one to address: dest is empty).
    let r = n.raw("this is not json");
    assert_eq!(r["dest"], "");
    assert_eq!(
        (&r["body"]["code"], &r["body"]["in_reply_to"]),
        (&json!(12), &Value::Null)
    );
    // 12: missing and mistyped fields, levels that do not fit.
    for bad in [
        json!({"type": "lsm_put", "key": "k"}),
        json!({"type": "lsm_put", "key": 7, "value": "v"}),
        json!({"type": "lsm_get", "key": ["k"]}),
        json!({"type": "lsm_compact", "source_level": 0}),
        json!({"type": "lsm_compact", "source_level": "0", "target_level": 1}),
        json!({"type": "lsm_compact", "source_level": 0, "target_level": 2}),
        json!({"type": "lsm_compact", "source_level": 1, "target_level": 0}),
        json!({"type": "lsm_compact", "source_level": 6, "target_level": 7}),
        json!({"type": "init", "node_id": "n1"}),
    ] {
        let r = n.call(bad.clone());
        assert_eq!(
            (&r["type"], &r["code"]),
            (&json!("error"), &json!(12)),
            "{bad} -> {r}"
        );
        assert!(r["text"].as_str().is_some_and(|t| !t.is_empty()), "{r}");
    }

    // 20: a key never put, and one deleted.
    assert_eq!(n.get("never")["code"], 20);
    n.put("gone", "x");
    n.ok(
        json!({"type": "lsm_delete", "key": "gone"}),
        "lsm_delete_ok",
    );
    assert_eq!(n.get("gone")["code"], 20);

    // 13: the database directory disappears (a file takes its place), so
    // the flush cannot create its table.
    n.put("k", "v");
    std::fs::remove_dir_all(&db).unwrap();
    std::fs::write(&db, b"not a directory").unwrap();
    let r = n.call(json!({"type": "lsm_flush"}));
    assert_eq!(r["code"], 13, "{r}");
    // The engine is read-only after the failure: writes are crashes too.
    assert_eq!(
        n.call(json!({"type": "lsm_put", "key": "a", "value": "b"}))["code"],
        13
    );
    // The node still answers.
    n.status();
    assert_eq!(n.get("k")["value"], "v");
    n.finish();
}

#[test]
fn ten_thousand_messages_in_one_session_lose_nothing() {
    const N: u64 = 10_000;
    let mut lines = Vec::new();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut gets = BTreeMap::new();
    for id in 0..N {
        let key = format!("key-{:03}", id % 500);
        let body = match id % 10 {
            0..=5 => {
                let value = format!("value-{id}");
                expected.insert(key.clone(), value.clone());
                json!({"type": "lsm_put", "key": key, "value": value})
            }
            6 => {
                expected.remove(&key);
                json!({"type": "lsm_delete", "key": key})
            }
            7 | 8 => {
                gets.insert(id, expected.get(&key).cloned());
                json!({"type": "lsm_get", "key": key})
            }
            _ if id % 1000 == 999 => {
                json!({"type": "lsm_compact", "source_level": 0, "target_level": 1})
            }
            _ if id % 100 == 99 => json!({"type": "lsm_flush"}),
            _ => json!({"type": "lsm_compact_status"}),
        };
        let mut body = body;
        body["msg_id"] = json!(id);
        lines.push(json!({"src": "c1", "dest": "n1", "body": body}).to_string());
    }

    let mut child = Command::new(BIN)
        .arg("maelstrom")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Write from a thread while this one reads, so neither pipe can fill up
    // and block the node.
    let writer = std::thread::spawn(move || {
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    });
    let replies: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());

    assert_eq!(replies.len() as u64, N);
    for (i, r) in replies.iter().enumerate() {
        let body = &r["body"];
        assert_eq!(body["msg_id"], i as u64, "{r}");
        assert_eq!(body["in_reply_to"], i as u64, "{r}");
        let id = i as u64;
        match gets.get(&id) {
            Some(Some(value)) => assert_eq!(body["value"], json!(value), "{r}"),
            Some(None) => assert_eq!(body["code"], 20, "{r}"),
            None => assert!(body["type"].as_str().unwrap().ends_with("_ok"), "{r}"),
        }
    }
    let compactions = replies
        .iter()
        .filter(|r| r["body"]["type"] == "lsm_compact_ok")
        .count();
    assert_eq!(compactions, 10);
}

#[test]
fn stdout_carries_only_replies_and_logs_go_to_stderr() {
    let out = Command::new(BIN)
        .args(["serve", "--policy", "size-tiered"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"oops\n{\"src\":\"c\",\"dest\":\"n\",\"body\":{\"type\":\"lsm_stats\",\"msg_id\":1}}\n")?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let replies: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(replies.len(), 2, "{stdout}");
    assert_eq!(replies[1]["body"]["policy"], "size-tiered");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("policy size-tiered"), "{stderr}");
    assert!(stderr.contains("error 12"), "{stderr}");
}

#[test]
fn a_bad_policy_is_refused_before_serving() {
    let out = Command::new(BIN)
        .args(["serve", "--policy", "nope"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: ") && stderr.contains("leveled"),
        "{stderr}"
    );
}
