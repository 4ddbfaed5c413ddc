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
    /// A merge operand: combined with the older versions of the key by the
    /// database's merge operator (see [`crate::merge_op`]).
    Merge = 3,
    /// A range tombstone `[user_key, end)`: in a write batch its value is
    /// the exclusive end key. Never an entry of a data block or a memtable's
    /// point list: range tombstones live apart (see [`crate::range_del`]);
    /// file bounds that come from a range tombstone carry this kind.
    RangeDelete = 4,
    /// A value separated into a blob file: the stored bytes are a
    /// `blob::BlobRef` (written only by flushes and compactions).
    BlobIndex = 5,
}

impl ValueKind {
    /// Decodes a kind byte; `None` for unknown kinds.
    pub fn from_u8(b: u8) -> Option<ValueKind> {
        match b {
            0 => Some(ValueKind::Tombstone),
            1 => Some(ValueKind::Value),
            2 => Some(ValueKind::ValueWithExpiry),
            3 => Some(ValueKind::Merge),
            4 => Some(ValueKind::RangeDelete),
            5 => Some(ValueKind::BlobIndex),
            _ => None,
        }
    }

    /// The kind used when seeking: sorts before every other kind of the same
    /// `(user_key, seq)` because the trailer is compared descending.
    pub const SEEK: ValueKind = ValueKind::BlobIndex;
}

/// Appends the internal-key encoding of `(user_key, seq, kind)` to `out`.
pub fn append_internal_key(out: &mut Vec<u8>, user_key: &[u8], seq: SeqNo, kind: ValueKind) {
    out.extend_from_slice(user_key);
    out.extend_from_slice(&trailer_of(seq, kind).to_le_bytes());
}

/// The `(seq, kind)` trailer as the number stored (little-endian) after the
/// user key; internal keys of one user key order by it descending.
pub fn trailer_of(seq: SeqNo, kind: ValueKind) -> u64 {
    debug_assert!(seq <= MAX_SEQ);
    (seq << 8) | kind as u64
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

#[inline]
fn trailer(ikey: &[u8]) -> u64 {
    u64::from_le_bytes(ikey[ikey.len() - TRAILER_LEN..].try_into().unwrap())
}

/// Orders byte strings lexicographically, as `a.cmp(b)` does, eight bytes
/// at a time and inlined: keys are short, and a call into the C library's
/// `memcmp` for each of them cost more than the comparison itself.
#[inline]
pub fn compare_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let (mut a8, mut b8) = (a[..n].chunks_exact(8), b[..n].chunks_exact(8));
    for (x, y) in (&mut a8).zip(&mut b8) {
        let x = u64::from_be_bytes(x.try_into().expect("chunks of 8"));
        let y = u64::from_be_bytes(y.try_into().expect("chunks of 8"));
        if x != y {
            return x.cmp(&y);
        }
    }
    for (x, y) in a8.remainder().iter().zip(b8.remainder()) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// The first eight bytes of `user_key`, zero-padded, as a big-endian
/// number: keys in order have numbers in order (equal numbers: compare the
/// keys), so a binary search over the numbers of many keys reads one flat
/// array instead of following a pointer to each key.
#[inline]
pub fn prefix_number(user_key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = user_key.len().min(8);
    b[..n].copy_from_slice(&user_key[..n]);
    u64::from_be_bytes(b)
}

/// The number of leading bytes `a` and `b` share, compared eight at a time
/// (a block builder asks it once per entry for its prefix compression).
#[inline]
pub fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            // Little-endian: the first differing byte is the lowest one.
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Whether `a` and `b` hold the same bytes: [`compare_bytes`]'s inline
/// loop for equality, for the per-entry "same user key as the last one?"
/// checks of the merge (slice `==` calls the C library's `memcmp`).
#[inline]
pub fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && compare_bytes(a, b) == Ordering::Equal
}

/// Orders internal keys: user key ascending, then `(seq, kind)` descending.
///
/// REQUIRES: both keys are at least `TRAILER_LEN` long.
#[inline]
pub fn compare_internal(a: &[u8], b: &[u8]) -> Ordering {
    compare_bytes(user_key(a), user_key(b)).then_with(|| trailer(b).cmp(&trailer(a)))
}

/// [`compare_internal`] of `a` against the internal key `(user_key,
/// trailer)` without encoding the latter.
///
/// REQUIRES: `a.len() >= TRAILER_LEN`.
#[inline]
pub fn compare_parts(a: &[u8], b_user_key: &[u8], b_trailer: u64) -> Ordering {
    compare_bytes(user_key(a), b_user_key).then_with(|| b_trailer.cmp(&trailer(a)))
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

    proptest::proptest! {
        #[test]
        fn compare_bytes_orders_like_slices(
            a in proptest::collection::vec(0u8..4, 0..40),
            b in proptest::collection::vec(0u8..4, 0..40),
        ) {
            proptest::prop_assert_eq!(compare_bytes(&a, &b), a.cmp(&b));
            let mut longer = a.clone();
            longer.extend_from_slice(&b);
            proptest::prop_assert_eq!(compare_bytes(&a, &longer), a.cmp(&longer));
            proptest::prop_assert_eq!(eq_bytes(&a, &b), a == b);
            let shared = a.iter().zip(&longer).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix_len(&a, &longer), shared);
            let shared = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix_len(&b, &a), shared);
            proptest::prop_assert!(eq_bytes(&longer[..a.len()], &a));
        }

        #[test]
        fn compare_parts_agrees_with_encoding_the_key(
            a in proptest::collection::vec(0u8..3, 0..20),
            b in proptest::collection::vec(0u8..3, 0..20),
            sa in 0u64..4, sb in 0u64..4, ka in 0u8..6, kb in 0u8..6,
        ) {
            let kind = |k| ValueKind::from_u8(k).unwrap();
            let ia = internal_key(&a, sa, kind(ka));
            let ib = internal_key(&b, sb, kind(kb));
            proptest::prop_assert_eq!(
                compare_parts(&ia, &b, trailer_of(sb, kind(kb))),
                compare_internal(&ia, &ib)
            );
            let expected = a.cmp(&b).then((sb, kb).cmp(&(sa, ka)));
            proptest::prop_assert_eq!(compare_internal(&ia, &ib), expected);
        }
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
        bad[n - 8] = 9; // unknown kind
        assert!(parse_internal_key(&bad).is_none());
    }

    #[test]
    fn the_seek_kind_sorts_before_every_kind_of_its_sequence() {
        let kinds: Vec<ValueKind> = (0..=u8::MAX).filter_map(ValueKind::from_u8).collect();
        assert_eq!(kinds.len(), 6, "every kind decodes, nothing else does");
        for (i, &k) in kinds.iter().enumerate() {
            assert_eq!(k as usize, i, "kinds are numbered densely from 0");
            let entry = internal_key(b"k", 7, k);
            assert!(
                compare_internal(&seek_key(b"k", 7), &entry).is_le(),
                "{k:?}"
            );
        }
    }

    #[test]
    fn expiring_value_round_trips() {
        let v = encode_expiring_value(1234, b"hello");
        assert_eq!(decode_expiring_value(&v), Some((1234, &b"hello"[..])));
        assert_eq!(decode_expiring_value(b"short"), None);
    }
}
