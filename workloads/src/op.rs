//! The operations a workload yields.

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Write `value_len` bytes under `key` (an insert or an overwrite).
    Put,
    /// Delete `key`.
    Delete,
    /// Point lookup of `key`.
    Get,
    /// Read `len` consecutive keys starting at the first key `>= key`.
    Scan { len: u32 },
}

/// One operation of a workload, at a simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// Simulated time of the operation in milliseconds; never decreases
    /// along a stream.
    pub time: u64,
    pub kind: OpKind,
    pub key: Vec<u8>,
    /// Length of the value to write; 0 for anything but `Put`.
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
            OpKind::Get => "get",
            OpKind::Scan { .. } => "scan",
        }
    }
}
