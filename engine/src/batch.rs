//! A write batch: puts and deletes applied together, with consecutive
//! sequence numbers, and logged to the WAL as one record.
//!
//! Encoding (the payload of a WAL record):
//!
//! ```text
//! batch = first_seq u64 LE | count u32 LE | entry * count
//! entry = kind u8 | varint key_len | key | [varint value_len | value]
//! ```
//!
//! The value part is absent for a tombstone; for a range deletion (kind 4)
//! the key is the start and the value the exclusive end, and start < end.
//! Entry `i` gets sequence `first_seq + i`.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use crate::coding::{put_length_prefixed, put_varint, varint_len, Decoder};
use crate::error::{Error, Result};
use crate::key::{encode_expiring_value, SeqNo, ValueKind, MAX_SEQ};

/// Bytes of the `first_seq` and `count` header.
pub const BATCH_HEADER_LEN: usize = 12;

/// Bytes of the expiry time in front of a `ValueWithExpiry` value.
const EXPIRY_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: ValueKind,
    /// INVARIANT: both ranges lie within `WriteBatch::data`.
    key: Range<usize>,
    value: Range<usize>,
}

/// An ordered list of puts and deletes, written atomically.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteBatch {
    /// Keys and stored values of every entry, back to back.
    data: Vec<u8>,
    entries: Vec<Entry>,
    /// INVARIANT: the length of `encode(_)`'s output.
    encoded_len: usize,
}

impl Default for WriteBatch {
    fn default() -> Self {
        WriteBatch::new()
    }
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        WriteBatch {
            data: Vec::new(),
            entries: Vec::new(),
            encoded_len: BATCH_HEADER_LEN,
        }
    }

    fn push(&mut self, kind: ValueKind, key: &[u8], stored_value: &[u8]) {
        let key_start = self.data.len();
        self.data.extend_from_slice(key);
        let value_start = self.data.len();
        self.data.extend_from_slice(stored_value);
        let value = value_start..self.data.len();
        self.encoded_len += 1 + varint_len(key.len() as u64) + key.len();
        if kind != ValueKind::Tombstone {
            self.encoded_len += varint_len(value.len() as u64) + value.len();
        }
        self.entries.push(Entry {
            kind,
            key: key_start..value_start,
            value,
        });
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.push(ValueKind::Value, key, value);
    }

    /// Sets `key` to `value` until the clock passes `expire_at_ms`.
    pub fn put_with_expiry(&mut self, key: &[u8], value: &[u8], expire_at_ms: u64) {
        let stored = encode_expiring_value(expire_at_ms, value);
        self.push(ValueKind::ValueWithExpiry, key, &stored);
    }

    /// Deletes `key`.
    pub fn delete(&mut self, key: &[u8]) {
        self.push(ValueKind::Tombstone, key, &[]);
    }

    /// Records a merge operand for `key` (combined by the database's merge
    /// operator).
    pub fn merge(&mut self, key: &[u8], operand: &[u8]) {
        self.push(ValueKind::Merge, key, operand);
    }

    /// Deletes every key in `[start, end)` (nothing when `start >= end`).
    pub fn delete_range(&mut self, start: &[u8], end: &[u8]) {
        if start < end {
            self.push(ValueKind::RangeDelete, start, end);
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the batch holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        *self = WriteBatch::new();
    }

    /// Removes every entry, keeping the allocations for the next use unless
    /// they grew past `keep` bytes of keys and values.
    pub fn reuse(&mut self, keep: usize) {
        if self.data.capacity() > keep {
            *self = WriteBatch::new();
        } else {
            self.data.clear();
            self.entries.clear();
            self.encoded_len = BATCH_HEADER_LEN;
        }
    }

    /// The entries in order, as `(kind, user_key, stored_value)`. The stored
    /// value of a `ValueWithExpiry` entry starts with its expiry time (see
    /// [`crate::key::decode_expiring_value`]); a tombstone's is empty.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (ValueKind, &[u8], &[u8])> + '_ {
        self.entries.iter().map(|e| {
            (
                e.kind,
                &self.data[e.key.clone()],
                &self.data[e.value.clone()],
            )
        })
    }

    /// Bytes of the encoded batch (what a WAL record's payload will hold);
    /// exact, despite the name, which follows LevelDB and RocksDB.
    pub fn approximate_size(&self) -> usize {
        self.encoded_len
    }

    /// Key and value bytes as the caller wrote them: a delete counts its key,
    /// a range deletion its two bounds, an expiring value does not count its
    /// expiry time.
    pub fn user_bytes(&self) -> u64 {
        self.iter()
            .map(|(kind, key, value)| {
                let value_len = match kind {
                    ValueKind::Tombstone => 0,
                    ValueKind::Value
                    | ValueKind::RangeDelete
                    | ValueKind::Merge
                    | ValueKind::BlobIndex => value.len(),
                    ValueKind::ValueWithExpiry => value.len().saturating_sub(EXPIRY_LEN),
                };
                (key.len() + value_len) as u64
            })
            .sum()
    }

    /// The encoding of this batch with entries numbered from `first_seq`.
    pub fn encode(&self, first_seq: SeqNo) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.approximate_size());
        self.encode_into(first_seq, &mut out);
        out
    }

    /// Appends the encoding of this batch to `out` (see [`WriteBatch::encode`]).
    ///
    /// REQUIRES: fewer than 2^32 entries (always true of a batch whose
    /// encoding fits a WAL record, which [`crate::wal::WalWriter`] checks).
    pub fn encode_into(&self, first_seq: SeqNo, out: &mut Vec<u8>) {
        let count = u32::try_from(self.entries.len()).expect("write batch over 2^32 entries");
        out.extend_from_slice(&first_seq.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        for (kind, key, value) in self.iter() {
            out.push(kind as u8);
            put_length_prefixed(out, key);
            if kind != ValueKind::Tombstone {
                put_varint(out, value.len() as u64);
                out.extend_from_slice(value);
            }
        }
    }

    /// Decodes a batch read from `file`, returning its first sequence number.
    /// Any malformed payload is a `Corruption` error naming `file`.
    pub fn decode(bytes: &[u8], file: &Path) -> Result<(SeqNo, WriteBatch)> {
        let bad = |reason: String| Error::corruption(file, format!("write batch: {reason}"));
        let mut d = Decoder::new(bytes);
        let (Some(first_seq), Some(count)) = (d.u64(), d.u32()) else {
            return Err(bad(format!(
                "{}-byte payload is shorter than its {BATCH_HEADER_LEN}-byte header",
                bytes.len()
            )));
        };
        match first_seq.checked_add(u64::from(count).saturating_sub(1)) {
            Some(last) if last <= MAX_SEQ => {}
            _ => {
                return Err(bad(format!(
                    "{count} entries from sequence {first_seq} exceed the maximum {MAX_SEQ}"
                )))
            }
        }
        let mut batch = WriteBatch::new();
        for i in 0..count {
            let at = d.position();
            let Some(kind_byte) = d.u8() else {
                return Err(bad(format!(
                    "header says {count} entries, payload holds {i}"
                )));
            };
            let kind = ValueKind::from_u8(kind_byte).ok_or_else(|| {
                bad(format!(
                    "entry {i} at offset {at} has unknown kind {kind_byte}"
                ))
            })?;
            let key = d
                .length_prefixed()
                .ok_or_else(|| bad(format!("entry {i} at offset {at} has a truncated key")))?;
            let value = match kind {
                ValueKind::Tombstone => &[][..],
                ValueKind::BlobIndex => {
                    return Err(bad(format!(
                        "entry {i} at offset {at} is a blob reference, which only tables hold"
                    )))
                }
                ValueKind::Value
                | ValueKind::ValueWithExpiry
                | ValueKind::RangeDelete
                | ValueKind::Merge => d.length_prefixed().ok_or_else(|| {
                    bad(format!("entry {i} at offset {at} has a truncated value"))
                })?,
            };
            if kind == ValueKind::RangeDelete && key >= value {
                return Err(bad(format!(
                    "entry {i} at offset {at}: range deletion start is not below its end"
                )));
            }
            if kind == ValueKind::ValueWithExpiry && value.len() < EXPIRY_LEN {
                return Err(bad(format!(
                    "entry {i} at offset {at}: expiring value of {} bytes lacks its expiry time",
                    value.len()
                )));
            }
            batch.push(kind, key, value);
        }
        if !d.is_empty() {
            return Err(bad(format!(
                "{} trailing bytes after {count} entries",
                d.remaining()
            )));
        }
        Ok((first_seq, batch))
    }
}

impl fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::decode_expiring_value;
    use proptest::prelude::*;

    const FILE: &str = "/db/000007.log";

    fn sample() -> WriteBatch {
        let mut b = WriteBatch::new();
        b.put(b"apple", b"red");
        b.delete(b"banana");
        b.put_with_expiry(b"cherry", b"dark", 5_000);
        b.put(b"", b"");
        b.delete_range(b"d", b"f");
        b
    }

    #[test]
    fn entries_keep_their_order_kind_and_bytes() {
        let b = sample();
        assert_eq!(b.len(), 5);
        let got: Vec<_> = b.iter().collect();
        assert_eq!(got[0], (ValueKind::Value, &b"apple"[..], &b"red"[..]));
        assert_eq!(got[1], (ValueKind::Tombstone, &b"banana"[..], &b""[..]));
        assert_eq!(got[2].0, ValueKind::ValueWithExpiry);
        assert_eq!(decode_expiring_value(got[2].2), Some((5_000, &b"dark"[..])));
        assert_eq!(got[3], (ValueKind::Value, &b""[..], &b""[..]));
        assert_eq!(got[4], (ValueKind::RangeDelete, &b"d"[..], &b"f"[..]));
        let mut empty = WriteBatch::new();
        empty.delete_range(b"f", b"d");
        assert!(empty.is_empty(), "an empty range writes nothing");
    }

    #[test]
    fn user_bytes_count_what_the_caller_wrote() {
        // apple+red, banana, cherry+dark (expiry not counted), empty put,
        // the range's two bounds.
        assert_eq!(sample().user_bytes(), 5 + 3 + 6 + 6 + 4 + 2);
        assert_eq!(WriteBatch::new().user_bytes(), 0);
    }

    #[test]
    fn approximate_size_is_the_encoded_size() {
        let mut b = WriteBatch::new();
        assert_eq!(b.approximate_size(), b.encode(1).len());
        b.put(&[1; 300], &[2; 200]);
        assert_eq!(b.approximate_size(), b.encode(1).len());
        let b = sample();
        assert_eq!(b.approximate_size(), b.encode(u64::from(u32::MAX)).len());
        let mut c = b.clone();
        c.clear();
        assert!(c.is_empty());
        assert_eq!(c, WriteBatch::new());
    }

    fn decode_err(bytes: &[u8]) -> String {
        let e = WriteBatch::decode(bytes, Path::new(FILE)).unwrap_err();
        assert!(e.is_corruption(), "{e}");
        assert!(e.to_string().contains("000007.log"), "{e}");
        e.to_string()
    }

    #[test]
    fn malformed_payloads_are_corruption_naming_the_file() {
        let good = sample().encode(10);
        assert!(decode_err(&good[..5]).contains("header"));
        let mut unknown_kind = good.clone();
        unknown_kind[BATCH_HEADER_LEN] = 9;
        assert!(decode_err(&unknown_kind).contains("unknown kind 9"));
        let mut long_key = good.clone();
        long_key[BATCH_HEADER_LEN + 1] = 100;
        assert!(decode_err(&long_key).contains("truncated key"));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode_err(&trailing).contains("1 trailing bytes"));
        let mut more_entries = good.clone();
        more_entries[8] = 6;
        assert!(decode_err(&more_entries).contains("header says 6 entries, payload holds 5"));
        let mut fewer_entries = good.clone();
        fewer_entries[8] = 4;
        assert!(decode_err(&fewer_entries).contains("trailing bytes after 4 entries"));
        let mut backwards = WriteBatch::new();
        backwards.push(ValueKind::RangeDelete, b"z", b"a");
        assert!(decode_err(&backwards.encode(1)).contains("not below its end"));
        let mut blob_ref = WriteBatch::new();
        blob_ref.push(ValueKind::BlobIndex, b"k", b"ref");
        assert!(decode_err(&blob_ref.encode(1)).contains("is a blob reference"));
        let mut short_expiry = WriteBatch::new();
        short_expiry.push(ValueKind::ValueWithExpiry, b"k", b"1234567");
        assert!(decode_err(&short_expiry.encode(1)).contains("lacks its expiry"));
        assert!(decode_err(&sample().encode(MAX_SEQ - 3)).contains("exceed the maximum"));
        assert!(WriteBatch::decode(&sample().encode(MAX_SEQ - 4), Path::new(FILE)).is_ok());
    }

    fn arb_batch() -> impl Strategy<Value = WriteBatch> {
        let entry = (
            0u8..5,
            prop::collection::vec(any::<u8>(), 0..24),
            prop::collection::vec(any::<u8>(), 0..200),
            any::<u64>(),
        );
        prop::collection::vec(entry, 0..40).prop_map(|entries| {
            let mut b = WriteBatch::new();
            for (kind, key, value, expiry) in entries {
                match kind {
                    0 => b.delete(&key),
                    1 => b.put(&key, &value),
                    2 => b.delete_range(&key, &value),
                    3 => b.merge(&key, &value),
                    _ => b.put_with_expiry(&key, &value, expiry),
                }
            }
            b
        })
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(batch in arb_batch(), first_seq in 0..MAX_SEQ - 100) {
            let bytes = batch.encode(first_seq);
            prop_assert_eq!(bytes.len(), batch.approximate_size());
            let (seq, decoded) = WriteBatch::decode(&bytes, Path::new(FILE)).unwrap();
            prop_assert_eq!(seq, first_seq);
            prop_assert_eq!(decoded.user_bytes(), batch.user_bytes());
            prop_assert_eq!(decoded, batch);
        }

        #[test]
        fn every_proper_prefix_is_corruption(batch in arb_batch(), cut in any::<prop::sample::Index>()) {
            let bytes = batch.encode(1);
            let cut = cut.index(bytes.len());
            let e = WriteBatch::decode(&bytes[..cut], Path::new(FILE)).unwrap_err();
            prop_assert!(e.is_corruption());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Err(e) = WriteBatch::decode(&bytes, Path::new(FILE)) {
                prop_assert!(e.is_corruption());
            }
        }
    }
}
