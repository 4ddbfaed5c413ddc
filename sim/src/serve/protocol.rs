//! The wire format of `lsmlab serve`: Maelstrom envelopes
//! (`{"src","dest","body"}`, one JSON object per line), the requests the node
//! understands, and the reply and error bodies it sends back.

use serde_json::{json, Map, Value};

/// Maelstrom error codes the node uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 10: the request's `type` is not one the node implements.
    NotSupported,
    /// 12: the line is not JSON, or a field is missing, mistyped or out of
    /// range (a level that does not exist, a target that is not source+1).
    MalformedRequest,
    /// 13: the engine failed (an I/O error, corruption, or read-only after
    /// an earlier failure).
    Crash,
    /// 20: `lsm_get` of a key that does not exist.
    KeyDoesNotExist,
}

impl ErrorCode {
    /// The number Maelstrom assigns to this error.
    pub fn code(self) -> u64 {
        match self {
            ErrorCode::NotSupported => 10,
            ErrorCode::MalformedRequest => 12,
            ErrorCode::Crash => 13,
            ErrorCode::KeyDoesNotExist => 20,
        }
    }
}

/// An error to report to the client: its code and a human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub text: String,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        ProtocolError {
            code,
            text: text.into(),
        }
    }

    pub fn malformed(text: impl Into<String>) -> Self {
        ProtocolError::new(ErrorCode::MalformedRequest, text)
    }
}

/// What a client asks of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Init {
        node_id: String,
        node_ids: Vec<String>,
    },
    Compact {
        source_level: u64,
        target_level: u64,
    },
    CompactStatus,
    Put {
        key: String,
        value: String,
    },
    Delete {
        key: String,
    },
    Get {
        key: String,
    },
    Flush,
    Stats,
}

/// A well-formed request with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub src: String,
    pub dest: String,
    /// The client's id for the request, echoed as `in_reply_to`.
    pub msg_id: Option<u64>,
    pub request: Request,
}

/// A line that could not be turned into a [`Message`], with whatever of its
/// envelope could be read so the error can still be addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub src: Option<String>,
    pub dest: Option<String>,
    pub msg_id: Option<u64>,
    pub error: ProtocolError,
}

/// Parses one line (without its newline) into a message.
pub fn parse_message(line: &[u8]) -> Result<Message, Rejection> {
    let reject = |src, dest, msg_id, error| Rejection {
        src,
        dest,
        msg_id,
        error,
    };
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        reject(
            None,
            None,
            None,
            ProtocolError::malformed(format!("not a JSON message: {e}")),
        )
    })?;
    let Value::Object(envelope) = value else {
        return Err(reject(
            None,
            None,
            None,
            ProtocolError::malformed("a message must be a JSON object"),
        ));
    };
    // Read what can be read first, so errors go back to the sender.
    let src = envelope
        .get("src")
        .and_then(Value::as_str)
        .map(String::from);
    let dest = envelope
        .get("dest")
        .and_then(Value::as_str)
        .map(String::from);
    let body = envelope.get("body").and_then(Value::as_object);
    let msg_id = body.and_then(|b| b.get("msg_id")).and_then(Value::as_u64);
    let fail = |error| reject(src.clone(), dest.clone(), msg_id, error);

    let src_ok = string_field(&envelope, "src", "the envelope").map_err(fail)?;
    let dest_ok = string_field(&envelope, "dest", "the envelope").map_err(fail)?;
    let body = body.ok_or_else(|| {
        fail(ProtocolError::malformed(
            "the envelope needs a `body` object",
        ))
    })?;
    if body.get("msg_id").is_some_and(|v| v.as_u64().is_none()) {
        return Err(fail(ProtocolError::malformed(
            "`msg_id` must be a non-negative integer",
        )));
    }
    let request = parse_body(body).map_err(fail)?;
    Ok(Message {
        src: src_ok,
        dest: dest_ok,
        msg_id,
        request,
    })
}

fn parse_body(body: &Map<String, Value>) -> Result<Request, ProtocolError> {
    let kind = string_field(body, "type", "the body")?;
    let key = || string_field(body, "key", &kind);
    Ok(match kind.as_str() {
        "init" => Request::Init {
            node_id: string_field(body, "node_id", &kind)?,
            node_ids: string_list_field(body, "node_ids", &kind)?,
        },
        "lsm_compact" => Request::Compact {
            source_level: level_field(body, "source_level", &kind)?,
            target_level: level_field(body, "target_level", &kind)?,
        },
        "lsm_compact_status" => Request::CompactStatus,
        "lsm_put" => Request::Put {
            key: key()?,
            value: string_field(body, "value", &kind)?,
        },
        "lsm_delete" => Request::Delete { key: key()? },
        "lsm_get" => Request::Get { key: key()? },
        "lsm_flush" => Request::Flush,
        "lsm_stats" => Request::Stats,
        other => {
            return Err(ProtocolError::new(
                ErrorCode::NotSupported,
                format!("message type `{other}` is not supported"),
            ))
        }
    })
}

fn field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    whose: &str,
) -> Result<&'a Value, ProtocolError> {
    obj.get(name)
        .ok_or_else(|| ProtocolError::malformed(format!("{whose} needs a `{name}` field")))
}

fn string_field(
    obj: &Map<String, Value>,
    name: &str,
    whose: &str,
) -> Result<String, ProtocolError> {
    field(obj, name, whose)?
        .as_str()
        .map(String::from)
        .ok_or_else(|| ProtocolError::malformed(format!("{whose}: `{name}` must be a string")))
}

fn string_list_field(
    obj: &Map<String, Value>,
    name: &str,
    whose: &str,
) -> Result<Vec<String>, ProtocolError> {
    let mistyped =
        || ProtocolError::malformed(format!("{whose}: `{name}` must be an array of strings"));
    field(obj, name, whose)?
        .as_array()
        .ok_or_else(mistyped)?
        .iter()
        .map(|v| v.as_str().map(String::from).ok_or_else(mistyped))
        .collect()
}

fn level_field(obj: &Map<String, Value>, name: &str, whose: &str) -> Result<u64, ProtocolError> {
    field(obj, name, whose)?.as_u64().ok_or_else(|| {
        ProtocolError::malformed(format!("{whose}: `{name}` must be a non-negative integer"))
    })
}

/// A reply body: `type`, the node's `msg_id`, `in_reply_to` (null when the
/// request carried no `msg_id`), then the type's own fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyBody {
    pub kind: String,
    pub msg_id: u64,
    pub in_reply_to: Option<u64>,
    pub fields: Map<String, Value>,
}

impl ReplyBody {
    /// A Maelstrom error body: `code` and `text`.
    pub fn error(msg_id: u64, in_reply_to: Option<u64>, error: &ProtocolError) -> Self {
        let mut fields = Map::new();
        fields.insert("code".into(), json!(error.code.code()));
        fields.insert("text".into(), json!(error.text));
        ReplyBody {
            kind: "error".into(),
            msg_id,
            in_reply_to,
            fields,
        }
    }

    /// The body as JSON, `type`, `msg_id` and `in_reply_to` first so logs
    /// read well.
    fn to_json(&self) -> String {
        let mut out = format!(
            r#"{{"type":{},"msg_id":{},"in_reply_to":{}"#,
            Value::from(self.kind.as_str()),
            self.msg_id,
            json!(self.in_reply_to)
        );
        for (name, value) in &self.fields {
            out.push_str(&format!(",{}:{value}", Value::from(name.as_str())));
        }
        out.push('}');
        out
    }
}

/// One envelope as one line of JSON (without the newline).
pub fn envelope_line(src: &str, dest: &str, body: &ReplyBody) -> String {
    format!(
        r#"{{"src":{},"dest":{},"body":{}}}"#,
        Value::from(src),
        Value::from(dest),
        body.to_json()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Message, Rejection> {
        parse_message(line.as_bytes())
    }

    fn rejected(line: &str) -> Rejection {
        parse(line).expect_err(line)
    }

    #[test]
    fn parses_every_request_type() {
        let cases = [
            (
                r#"{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}"#,
                Request::Init {
                    node_id: "n1".into(),
                    node_ids: vec!["n1".into(), "n2".into()],
                },
            ),
            (
                r#"{"type":"lsm_compact","source_level":0,"target_level":1}"#,
                Request::Compact {
                    source_level: 0,
                    target_level: 1,
                },
            ),
            (r#"{"type":"lsm_compact_status"}"#, Request::CompactStatus),
            (
                r#"{"type":"lsm_put","key":"k","value":"v"}"#,
                Request::Put {
                    key: "k".into(),
                    value: "v".into(),
                },
            ),
            (
                r#"{"type":"lsm_delete","key":"k"}"#,
                Request::Delete { key: "k".into() },
            ),
            (
                r#"{"type":"lsm_get","key":"k"}"#,
                Request::Get { key: "k".into() },
            ),
            (r#"{"type":"lsm_flush"}"#, Request::Flush),
            (r#"{"type":"lsm_stats"}"#, Request::Stats),
        ];
        for (body, want) in cases {
            let line = format!(r#"{{"src":"c1","dest":"n1","body":{body}}}"#);
            let m = parse(&line).unwrap_or_else(|r| panic!("{line}: {r:?}"));
            assert_eq!(m.request, want, "{line}");
            assert_eq!((m.src.as_str(), m.dest.as_str()), ("c1", "n1"));
        }
    }

    #[test]
    fn msg_id_is_optional_but_must_be_an_integer() {
        let m = parse(r#"{"src":"c","dest":"n","body":{"type":"lsm_flush","msg_id":7}}"#).unwrap();
        assert_eq!(m.msg_id, Some(7));
        let m = parse(r#"{"src":"c","dest":"n","body":{"type":"lsm_flush"}}"#).unwrap();
        assert_eq!(m.msg_id, None);
        let r = rejected(r#"{"src":"c","dest":"n","body":{"type":"lsm_flush","msg_id":"7"}}"#);
        assert_eq!(r.error.code, ErrorCode::MalformedRequest);
    }

    #[test]
    fn unknown_types_are_not_supported() {
        let r = rejected(r#"{"src":"c","dest":"n","body":{"type":"txn","msg_id":3}}"#);
        assert_eq!(r.error.code, ErrorCode::NotSupported);
        assert!(r.error.text.contains("txn"), "{}", r.error.text);
        assert_eq!(r.msg_id, Some(3));
        assert_eq!(r.src.as_deref(), Some("c"));
    }

    #[test]
    fn bad_json_is_malformed_with_no_address() {
        let r = rejected("{not json");
        assert_eq!(r.error.code, ErrorCode::MalformedRequest);
        assert_eq!((r.src, r.dest, r.msg_id), (None, None, None));
        let r = rejected("[1,2]");
        assert_eq!(r.error.code, ErrorCode::MalformedRequest);
        // Invalid UTF-8 inside a string.
        let r = parse_message(b"{\"src\":\"\xff\"}").unwrap_err();
        assert_eq!(r.error.code, ErrorCode::MalformedRequest);
    }

    #[test]
    fn missing_or_mistyped_fields_are_malformed_and_named() {
        let cases = [
            (r#"{"dest":"n","body":{"type":"lsm_flush"}}"#, "`src`"),
            (r#"{"src":"c","dest":"n"}"#, "`body`"),
            (r#"{"src":"c","dest":"n","body":{"msg_id":1}}"#, "`type`"),
            (r#"{"src":"c","dest":"n","body":{"type":5}}"#, "`type`"),
            (
                r#"{"src":"c","dest":"n","body":{"type":"lsm_put","key":"k"}}"#,
                "`value`",
            ),
            (
                r#"{"src":"c","dest":"n","body":{"type":"lsm_get","key":42}}"#,
                "`key` must be a string",
            ),
            (
                r#"{"src":"c","dest":"n","body":{"type":"lsm_compact","source_level":-1,"target_level":0}}"#,
                "`source_level`",
            ),
            (
                r#"{"src":"c","dest":"n","body":{"type":"lsm_compact","source_level":0}}"#,
                "`target_level`",
            ),
            (
                r#"{"src":"c","dest":"n","body":{"type":"init","node_id":"n","node_ids":[1]}}"#,
                "`node_ids`",
            ),
        ];
        for (line, needle) in cases {
            let r = rejected(line);
            assert_eq!(r.error.code, ErrorCode::MalformedRequest, "{line}");
            assert!(r.error.text.contains(needle), "{line}: {}", r.error.text);
        }
    }

    #[test]
    fn a_rejection_keeps_the_readable_envelope() {
        let r = rejected(r#"{"src":"c7","dest":"n1","body":{"type":"lsm_put","msg_id":9}}"#);
        assert_eq!(r.src.as_deref(), Some("c7"));
        assert_eq!(r.dest.as_deref(), Some("n1"));
        assert_eq!(r.msg_id, Some(9));
    }

    #[test]
    fn error_bodies_follow_maelstrom() {
        let e = ProtocolError::new(ErrorCode::KeyDoesNotExist, "no such key");
        let line = envelope_line("n1", "c1", &ReplyBody::error(4, Some(2), &e));
        assert!(
            line.starts_with(r#"{"src":"n1","dest":"c1","body":{"type":"error","msg_id":4,"#),
            "{line}"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            v,
            json!({"src":"n1","dest":"c1","body":{
                "type":"error","msg_id":4,"in_reply_to":2,"code":20,"text":"no such key"}})
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn replies_escape_strings() {
        let mut fields = Map::new();
        fields.insert("value".into(), json!("a\"b\n\u{e9}"));
        let body = ReplyBody {
            kind: "lsm_get_ok".into(),
            msg_id: 0,
            in_reply_to: None,
            fields,
        };
        let line = envelope_line("n\"1", "c", &body);
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["src"], "n\"1");
        assert_eq!(v["body"]["value"], "a\"b\n\u{e9}");
        assert_eq!(v["body"]["in_reply_to"], Value::Null);
    }
}
