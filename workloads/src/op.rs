//! The operations a workload yields.

/// What an operation does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Write `value_len` bytes under `key` (an insert or an overwrite).
    Put,
    /// Delete `key`.
    Delete,
    /// Delete every key in `[key, end)` with one range tombstone (RocksDB's
    /// `DeleteRange`: the end is exclusive).
    DeleteRange { end: Vec<u8> },
    /// Record an operand of `value_len` bytes for `key`, combined with the
    /// key's value by the engine's merge operator (RocksDB's `Merge`).
    Merge,
    /// Point lookup of `key`.
    Get,
    /// Read `len` consecutive keys starting at the first key `>= key`.
    Scan { len: u32 },
}

impl OpKind {
    /// Whether the operation changes the database.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            OpKind::Put | OpKind::Delete | OpKind::DeleteRange { .. } | OpKind::Merge
        )
    }
}

/// One operation of a workload, at a simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// Simulated time of the operation in milliseconds; never decreases
    /// along a stream.
    pub time: u64,
    pub kind: OpKind,
    /// The key; for a range delete, the first key of the range.
    pub key: Vec<u8>,
    /// Length of the value to write for `Put`, of the operand for `Merge`;
    /// 0 for anything else.
    pub value_len: u32,
    /// Time to live in simulated milliseconds, for `Put` only: the entry
    /// expires at `time + ttl`.
    pub ttl: Option<u64>,
}

impl Op {
    /// The trace-file name of the operation's kind.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            OpKind::Put => "put",
            OpKind::Delete => "delete",
            OpKind::DeleteRange { .. } => "delete_range",
            OpKind::Merge => "merge",
            OpKind::Get => "get",
            OpKind::Scan { .. } => "scan",
        }
    }
}
