//! Internal keys: a user key tagged with a sequence number and an entry kind,
//! ordered `(user_key asc, seq desc)` so the newest version of a key comes
//! first.
//!
//! Encoding: `user_key ++ u64_le((seq << 8) | kind)`, as in LevelDB.

use std::cmp::Ordering;

/// A sequence number: every write gets the next one. 56 bits are usable.
pub type SeqNo = u64;

/// The largest sequence number an entry may carry.
pub const MAX_SEQ: SeqNo = (1 << 56) - 1;

/// Bytes of the `(seq, kind)` trailer after the user key.
pub const TRAILER_LEN: usize = 8;

/// What an entry says about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ValueKind {
    /// The key was deleted at this sequence.
    Tombstone = 0,
    /// A plain value.
    Value = 1,
    /// A value that reads as absent once the clock passes its expiry time;
    /// the value bytes start with the expiry time in ms (u64 LE).
    ValueWithExpiry = 2,
}

impl ValueKind {
    /// Decodes a kind byte; `None` for unknown kinds.
    pub fn from_u8(b: u8) -> Option<ValueKind> {
        match b {
            0 => Some(ValueKind::Tombstone),
            1 => Some(ValueKind::Value),
            2 => Some(ValueKind::ValueWithExpiry),
            _ => None,
        }
    }

    /// The kind used when seeking: sorts before every other kind of the same
    /// `(user_key, seq)` because the trailer is compared descending.
    pub const SEEK: ValueKind = ValueKind::ValueWithExpiry;
}

/// Appends the internal-key encoding of `(user_key, seq, kind)` to `out`.
pub fn append_internal_key(out: &mut Vec<u8>, user_key: &[u8], seq: SeqNo, kind: ValueKind) {
    debug_assert!(seq <= MAX_SEQ);
    out.extend_from_slice(user_key);
    out.extend_from_slice(&((seq << 8) | kind as u64).to_le_bytes());
}

/// The internal-key encoding of `(user_key, seq, kind)`.
pub fn internal_key(user_key: &[u8], seq: SeqNo, kind: ValueKind) -> Vec<u8> {
    let mut out = Vec::with_capacity(user_key.len() + TRAILER_LEN);
    append_internal_key(&mut out, user_key, seq, kind);
    out
}

/// The smallest internal key (in internal order) whose user key is `user_key`
/// and whose sequence is at most `seq`: the seek target of a read at `seq`.
pub fn seek_key(user_key: &[u8], seq: SeqNo) -> Vec<u8> {
    internal_key(user_key, seq, ValueKind::SEEK)
}

/// An internal key split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    pub user_key: &'a [u8],
    pub seq: SeqNo,
    pub kind: ValueKind,
}

/// Splits an internal key; `None` when it is too short or its kind unknown.
pub fn parse_internal_key(ikey: &[u8]) -> Option<ParsedKey<'_>> {
    if ikey.len() < TRAILER_LEN {
        return None;
    }
    let (user_key, trailer) = ikey.split_at(ikey.len() - TRAILER_LEN);
    let t = u64::from_le_bytes(trailer.try_into().ok()?);
    Some(ParsedKey {
        user_key,
        seq: t >> 8,
        kind: ValueKind::from_u8((t & 0xff) as u8)?,
    })
}

/// The user-key part of an internal key.
///
/// REQUIRES: `ikey.len() >= TRAILER_LEN`.
pub fn user_key(ikey: &[u8]) -> &[u8] {
    &ikey[..ikey.len() - TRAILER_LEN]
}

fn trailer(ikey: &[u8]) -> u64 {
    u64::from_le_bytes(ikey[ikey.len() - TRAILER_LEN..].try_into().unwrap())
}

/// Orders internal keys: user key ascending, then `(seq, kind)` descending.
///
/// REQUIRES: both keys are at least `TRAILER_LEN` long.
pub fn compare_internal(a: &[u8], b: &[u8]) -> Ordering {
    user_key(a)
        .cmp(user_key(b))
        .then_with(|| trailer(b).cmp(&trailer(a)))
}

/// Value bytes of a `ValueWithExpiry` entry: expiry time then the value.
pub fn encode_expiring_value(expire_at_ms: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + value.len());
    out.extend_from_slice(&expire_at_ms.to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// Splits the stored value of a `ValueWithExpiry` entry into
/// `(expire_at_ms, value)`; `None` when it is shorter than 8 bytes.
pub fn decode_expiring_value(stored: &[u8]) -> Option<(u64, &[u8])> {
    if stored.len() < 8 {
        return None;
    }
    let (t, v) = stored.split_at(8);
    Some((u64::from_le_bytes(t.try_into().ok()?), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_sorts_first() {
        let old = internal_key(b"k", 5, ValueKind::Value);
        let new = internal_key(b"k", 9, ValueKind::Tombstone);
        assert_eq!(compare_internal(&new, &old), Ordering::Less);
        let next_key = internal_key(b"l", 1, ValueKind::Value);
        assert_eq!(compare_internal(&old, &next_key), Ordering::Less);
        // A read at seq 7 seeks past the seq-9 version to the seq-5 one.
        let target = seek_key(b"k", 7);
        assert_eq!(compare_internal(&new, &target), Ordering::Less);
        assert_eq!(compare_internal(&target, &old), Ordering::Less);
    }

    #[test]
    fn parse_round_trips_and_rejects_garbage() {
        let k = internal_key(b"abc", 42, ValueKind::ValueWithExpiry);
        let p = parse_internal_key(&k).unwrap();
        assert_eq!(p.user_key, b"abc");
        assert_eq!(p.seq, 42);
        assert_eq!(p.kind, ValueKind::ValueWithExpiry);
        assert!(parse_internal_key(b"short").is_none());
        let mut bad = k.clone();
        let n = bad.len();
        bad[n - 8] = 7; // unknown kind
        assert!(parse_internal_key(&bad).is_none());
    }

    #[test]
    fn expiring_value_round_trips() {
        let v = encode_expiring_value(1234, b"hello");
        assert_eq!(decode_expiring_value(&v), Some((1234, &b"hello"[..])));
        assert_eq!(decode_expiring_value(b"short"), None);
    }
}
