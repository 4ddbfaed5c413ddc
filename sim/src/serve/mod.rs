//! `lsmlab serve`: an LSM node for Maelstrom-style harnesses. One JSON
//! message per line on stdin, one reply per line on stdout, logs on stderr.
//!
//! The node runs the real engine with a real policy. Automatic compaction
//! is off unless asked for, so L0 accumulates until the client sends
//! `lsm_compact`; with it on, the policy also compacts after every flush.

mod node;
pub mod protocol;

pub use node::Node;

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use lsmlab_engine::fs::{DiskFs, Fs, MemFs};
use lsmlab_engine::{Clock, Db, Env, Options, SystemClock};

/// Where the in-memory database lives inside its `MemFs`.
const MEM_DIR: &str = "/lsmlab-serve";

/// How to start a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Compaction policy name (see `lsmlab policies`).
    pub policy: String,
    /// A directory of real files; `None` keeps everything in memory.
    pub dir: Option<PathBuf>,
    /// Let the policy compact after flushes (off: only `lsm_compact` does).
    pub auto_compaction: bool,
    /// Engine and policy parameters, `(name, value)`, applied in order.
    pub settings: Vec<(String, String)>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            policy: "leveled".into(),
            dir: None,
            auto_compaction: false,
            settings: Vec::new(),
        }
    }
}

/// Why a node could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The options are invalid or the database could not be opened or closed.
    #[error("{0}")]
    Engine(#[from] lsmlab_engine::Error),
    /// Reading requests or writing replies failed.
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
}

/// What a session did, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSummary {
    pub replies: u64,
    pub errors: u64,
}

/// The engine options `config` asks for.
pub fn build_options(config: &ServeConfig) -> Result<Options, ServeError> {
    let mut opts = Options::default();
    opts.set("policy", &config.policy)?;
    for (name, value) in &config.settings {
        opts.set(name, value)?;
    }
    opts.auto_compaction = config.auto_compaction;
    opts.validate()?;
    Ok(opts)
}

/// Opens the database `config` describes and a node around it. Time is the
/// system clock in both cases, so time-based policies (FIFO TTL) behave as
/// they would in a real server.
pub fn open_node(config: &ServeConfig) -> Result<Node, ServeError> {
    let opts = build_options(config)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (fs, dir): (Arc<dyn Fs>, PathBuf) = match &config.dir {
        Some(d) => (Arc::new(DiskFs::new()), d.clone()),
        None => (Arc::new(MemFs::new()), PathBuf::from(MEM_DIR)),
    };
    let env = Env {
        fs,
        clock: clock.clone(),
    };
    let db = Db::open_with(&dir, opts, env)?;
    Ok(Node::new(db, clock))
}

/// Answers every line of `input` on `output` (flushed after each reply)
/// until end of input, then closes the database. A malformed line gets an
/// error reply; only failing to read or write the streams ends the session.
pub fn serve(
    mut node: Node,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<SessionSummary, ServeError> {
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_REQUEST_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .map_err(read_error)?;
        if n == 0 {
            break;
        }
        let reply = if line.len() as u64 > MAX_REQUEST_LINE_BYTES && line.last() != Some(&b'\n') {
            skip_line(&mut input)?;
            Some(node.reject_oversized(MAX_REQUEST_LINE_BYTES))
        } else {
            node.handle_line(&line)
        };
        if let Some(reply) = reply {
            writeln!(output, "{reply}")
                .and_then(|()| output.flush())
                .map_err(|source| ServeError::Io {
                    what: "writing replies",
                    source,
                })?;
        }
    }
    let summary = SessionSummary {
        replies: node.replies(),
        errors: node.errors(),
    };
    node.into_db().close()?;
    Ok(summary)
}

/// The longest request line `serve` reads (a 16 MiB value, JSON-escaped,
/// with room to spare); a longer one gets an error reply and is skipped.
pub const MAX_REQUEST_LINE_BYTES: u64 = 64 << 20;

fn read_error(source: std::io::Error) -> ServeError {
    ServeError::Io {
        what: "reading requests",
        source,
    }
}

/// Discards the rest of a line without holding it.
fn skip_line(input: &mut impl BufRead) -> Result<(), ServeError> {
    loop {
        let buf = input.fill_buf().map_err(read_error)?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// `lsmlab serve`: a node on stdin and stdout.
pub fn run_stdio(config: &ServeConfig) -> Result<SessionSummary, ServeError> {
    let node = open_node(config)?;
    eprintln!(
        "lsmlab serve: policy {}, {}, automatic compaction {}",
        config.policy,
        config
            .dir
            .as_ref()
            .map_or("in memory".to_string(), |d| format!(
                "files in {}",
                d.display()
            )),
        if config.auto_compaction { "on" } else { "off" }
    );
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let summary = serve(node, stdin, stdout)?;
    eprintln!(
        "lsmlab serve: end of input after {} replies ({} errors)",
        summary.replies, summary.errors
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn session(config: &ServeConfig, input: &str) -> (Vec<Value>, SessionSummary) {
        let mut out = Vec::new();
        let summary = serve(open_node(config).unwrap(), input.as_bytes(), &mut out).unwrap();
        let replies = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (replies, summary)
    }

    #[test]
    fn a_malformed_line_does_not_end_the_session() {
        let input = concat!(
            "garbage\n",
            "\n",
            r#"{"src":"c","dest":"n","body":{"type":"lsm_put","msg_id":1,"key":"a","value":"b"}}"#,
            "\n",
            r#"{"src":"c","dest":"n","body":{"type":"lsm_get","msg_id":2,"key":"a"}}"#,
        );
        let (replies, summary) = session(&ServeConfig::default(), input);
        assert_eq!(replies.len(), 3);
        assert_eq!(replies[0]["body"]["code"], 12);
        assert_eq!(replies[2]["body"]["value"], "b");
        assert_eq!(
            summary,
            SessionSummary {
                replies: 3,
                errors: 1
            }
        );
    }

    #[test]
    fn an_oversized_line_gets_an_error_reply_and_the_session_goes_on() {
        let long = "x".repeat(MAX_REQUEST_LINE_BYTES as usize + 10);
        let input = format!(
            "{long}\n{}\n",
            r#"{"src":"c","dest":"n","body":{"type":"lsm_put","msg_id":1,"key":"a","value":"b"}}"#
        );
        let (replies, summary) = session(&ServeConfig::default(), &input);
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0]["body"]["code"], 12);
        let text = replies[0]["body"]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("longer than {MAX_REQUEST_LINE_BYTES} bytes")),
            "{text}"
        );
        assert_eq!(replies[1]["body"]["type"], "lsm_put_ok");
        assert_eq!(summary.errors, 1);
    }

    #[test]
    fn options_reject_unknown_policies_and_parameters() {
        let bad_policy = ServeConfig {
            policy: "nope".into(),
            ..ServeConfig::default()
        };
        let msg = build_options(&bad_policy).unwrap_err().to_string();
        assert!(msg.contains("leveled"), "{msg}");
        let bad_setting = ServeConfig {
            settings: vec![("no_such".into(), "1".into())],
            ..ServeConfig::default()
        };
        assert!(build_options(&bad_setting).is_err());
        let o = build_options(&ServeConfig::default()).unwrap();
        assert!(!o.auto_compaction);
    }

    #[test]
    fn a_disk_node_keeps_its_data_across_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let config = ServeConfig {
            dir: Some(dir.path().join("db")),
            ..ServeConfig::default()
        };
        let put =
            r#"{"src":"c","dest":"n","body":{"type":"lsm_put","msg_id":1,"key":"a","value":"b"}}"#;
        session(&config, put);
        let get = r#"{"src":"c","dest":"n","body":{"type":"lsm_get","msg_id":1,"key":"a"}}"#;
        let (replies, _) = session(&config, get);
        assert_eq!(replies[0]["body"]["value"], "b");
    }
}
