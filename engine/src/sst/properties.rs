//! Table properties: what a table holds, summarised when it is written and
//! stored in its properties block, so readers (and compaction policies) need
//! not scan it.
//!
//! Encoding, all varints: `entries, tombstones, len+smallest, len+largest,
//! smallest_seq, largest_seq, has_expiry (0|1) [, max_expiry_ms],
//! raw_key_bytes, raw_value_bytes, num_data_blocks`, then the tagged
//! properties: `(tag, len+value)*` with tags strictly increasing. A table
//! written before tagged properties existed simply has none.
//!
//! Tag ranges, one per feature, so features add properties without touching
//! the fixed layout: 10-19 identity (file number, DB identity), 20-29 deletion
//! statistics for tombstone-triggered compaction, 30-39 range deletions,
//! 40-49 value separation. Tag 0 is invalid.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::block::BlockError;
use crate::coding::{put_length_prefixed, put_varint, Decoder};
use crate::key::{compare_internal, decode_expiring_value, parse_internal_key, SeqNo, ValueKind};

/// The properties of one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProperties {
    /// Number of entries, all kinds.
    pub entries: u64,
    /// Number of tombstones among them.
    pub tombstones: u64,
    /// Smallest internal key; empty for an empty table.
    pub smallest: Vec<u8>,
    /// Largest internal key; empty for an empty table.
    pub largest: Vec<u8>,
    /// Smallest sequence number (0 for an empty table).
    pub smallest_seq: SeqNo,
    /// Largest sequence number (0 for an empty table).
    pub largest_seq: SeqNo,
    /// The latest expiry time when every entry is a `ValueWithExpiry`;
    /// `None` when some entry never expires (or the table is empty).
    pub max_expiry_ms: Option<u64>,
    /// Sum of the internal keys' lengths.
    pub raw_key_bytes: u64,
    /// Sum of the stored values' lengths (expiry prefixes included).
    pub raw_value_bytes: u64,
    /// Number of data blocks.
    pub num_data_blocks: u64,
    /// Optional properties by tag (see the module doc for the ranges).
    pub tagged: TaggedProperties,
}

/// Tag 10: the table's file number, as its creator numbered it.
pub const TAG_FILE_NUMBER: u32 = 10;
/// Tag 11: the identity (`IDENTITY`) of the database that wrote the table.
pub const TAG_DB_IDENTITY: u32 = 11;

/// Who wrote a table: its file number and its database's identity, as
/// recorded under [`TAG_FILE_NUMBER`] and [`TAG_DB_IDENTITY`]; either is
/// `None` in a table written before they were recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableOrigin {
    pub file_number: Option<u64>,
    pub db_identity: Option<Vec<u8>>,
}

impl TableProperties {
    /// Records who writes the table (see `TableOrigin`).
    pub fn set_origin(&mut self, file_number: u64, db_identity: Option<&[u8]>) {
        self.tagged.set_u64(TAG_FILE_NUMBER, file_number);
        if let Some(id) = db_identity {
            self.tagged.set_bytes(TAG_DB_IDENTITY, id.to_vec());
        }
    }

    /// Who wrote the table, as far as it records it.
    pub fn origin(&self) -> Result<TableOrigin, BlockError> {
        Ok(TableOrigin {
            file_number: self.tagged.u64(TAG_FILE_NUMBER)?,
            db_identity: self.tagged.bytes(TAG_DB_IDENTITY).map(<[u8]>::to_vec),
        })
    }
}

/// Optional table properties, each a byte string under a numeric tag, kept
/// in tag order. Unknown tags survive a decode/encode round trip, so a reader
/// that does not know a property neither rejects nor loses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaggedProperties {
    map: BTreeMap<u32, Vec<u8>>,
    /// INVARIANT: the sum of [`Self::bound`] over `map`'s values (a table
    /// builder asks for it at every entry).
    encoded_len: usize,
}

impl TaggedProperties {
    fn from_map(map: BTreeMap<u32, Vec<u8>>) -> Self {
        let encoded_len = map.values().map(|v| Self::bound(v)).sum();
        TaggedProperties { map, encoded_len }
    }

    /// At most the bytes one property takes: tag and length varints
    /// (5 bytes each at most) and the value.
    fn bound(value: &[u8]) -> usize {
        5 + 5 + value.len()
    }

    /// Sets `tag` to `value`, replacing what it held.
    ///
    /// REQUIRES: `tag > 0`.
    pub fn set_bytes(&mut self, tag: u32, value: Vec<u8>) {
        assert!(tag > 0, "tag 0 is invalid");
        self.encoded_len += Self::bound(&value);
        if let Some(old) = self.map.insert(tag, value) {
            self.encoded_len -= Self::bound(&old);
        }
    }

    /// The bytes under `tag`.
    pub fn bytes(&self, tag: u32) -> Option<&[u8]> {
        self.map.get(&tag).map(Vec::as_slice)
    }

    /// Sets `tag` to an integer (stored as a varint).
    pub fn set_u64(&mut self, tag: u32, value: u64) {
        let mut buf = Vec::with_capacity(10);
        put_varint(&mut buf, value);
        self.set_bytes(tag, buf);
    }

    /// The integer under `tag`; `Err` when the tag holds something other than
    /// exactly one varint.
    pub fn u64(&self, tag: u32) -> Result<Option<u64>, BlockError> {
        let Some(raw) = self.bytes(tag) else {
            return Ok(None);
        };
        let mut d = Decoder::new(raw);
        match d.varint() {
            Some(v) if d.is_empty() => Ok(Some(v)),
            _ => Err(BlockError("malformed integer table property")),
        }
    }

    /// Number of tagged properties.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn encoded_len(&self) -> usize {
        self.encoded_len
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        for (&tag, value) in &self.map {
            put_varint(out, u64::from(tag));
            put_length_prefixed(out, value);
        }
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<TaggedProperties, BlockError> {
        const BAD: BlockError = BlockError("malformed tagged table property");
        let mut map = BTreeMap::new();
        let mut last = 0u32;
        while !d.is_empty() {
            let tag = d.varint().and_then(|t| u32::try_from(t).ok()).ok_or(BAD)?;
            if tag <= last {
                return Err(BlockError("table property tags out of order"));
            }
            let value = d.length_prefixed().ok_or(BAD)?;
            map.insert(tag, value.to_vec());
            last = tag;
        }
        Ok(TaggedProperties::from_map(map))
    }
}

impl TableProperties {
    /// Accounts for one entry.
    ///
    /// REQUIRES: `ikey` is a valid internal key, greater than every key
    /// recorded before; a `ValueWithExpiry` value is at least 8 bytes.
    pub fn record(&mut self, ikey: &[u8], value: &[u8]) {
        let p = parse_internal_key(ikey).expect("checked by the caller");
        let expiry = match p.kind {
            ValueKind::ValueWithExpiry => decode_expiring_value(value).map(|(t, _)| t),
            _ => None,
        };
        if self.entries == 0 {
            self.smallest = ikey.to_vec();
            self.smallest_seq = p.seq;
            self.largest_seq = p.seq;
            self.max_expiry_ms = expiry;
        } else {
            self.smallest_seq = self.smallest_seq.min(p.seq);
            self.largest_seq = self.largest_seq.max(p.seq);
            self.max_expiry_ms = match (self.max_expiry_ms, expiry) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        }
        self.largest.clear();
        self.largest.extend_from_slice(ikey);
        self.entries += 1;
        self.tombstones += u64::from(p.kind == ValueKind::Tombstone);
        self.raw_key_bytes += ikey.len() as u64;
        self.raw_value_bytes += value.len() as u64;
    }

    /// Bytes [`TableProperties::encode`] would produce, at most.
    pub fn max_encoded_len(&self) -> usize {
        10 * 11 + self.smallest.len() + self.largest.len() + self.tagged.encoded_len()
    }

    /// The properties block.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.max_encoded_len());
        put_varint(&mut out, self.entries);
        put_varint(&mut out, self.tombstones);
        put_length_prefixed(&mut out, &self.smallest);
        put_length_prefixed(&mut out, &self.largest);
        put_varint(&mut out, self.smallest_seq);
        put_varint(&mut out, self.largest_seq);
        match self.max_expiry_ms {
            None => put_varint(&mut out, 0),
            Some(t) => {
                put_varint(&mut out, 1);
                put_varint(&mut out, t);
            }
        }
        put_varint(&mut out, self.raw_key_bytes);
        put_varint(&mut out, self.raw_value_bytes);
        put_varint(&mut out, self.num_data_blocks);
        self.tagged.encode_into(&mut out);
        out
    }

    /// Decodes and sanity-checks a properties block.
    pub fn decode(data: &[u8]) -> Result<TableProperties, BlockError> {
        const BAD: BlockError = BlockError("malformed properties block");
        let mut d = Decoder::new(data);
        let v = |d: &mut Decoder<'_>| d.varint().ok_or(BAD);
        let k = |d: &mut Decoder<'_>| d.length_prefixed().map(<[u8]>::to_vec).ok_or(BAD);
        let mut p = TableProperties {
            entries: v(&mut d)?,
            tombstones: v(&mut d)?,
            smallest: k(&mut d)?,
            largest: k(&mut d)?,
            smallest_seq: v(&mut d)?,
            largest_seq: v(&mut d)?,
            max_expiry_ms: match v(&mut d)? {
                0 => None,
                1 => Some(v(&mut d)?),
                _ => return Err(BAD),
            },
            raw_key_bytes: v(&mut d)?,
            raw_value_bytes: v(&mut d)?,
            num_data_blocks: v(&mut d)?,
            tagged: TaggedProperties::default(),
        };
        p.tagged = TaggedProperties::decode_from(&mut d)?;
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<(), BlockError> {
        let inconsistent = Err(BlockError("inconsistent table properties"));
        if self.tombstones > self.entries || self.smallest_seq > self.largest_seq {
            return inconsistent;
        }
        if self.entries == 0 {
            if !self.smallest.is_empty() || !self.largest.is_empty() || self.num_data_blocks != 0 {
                return inconsistent;
            }
            return Ok(());
        }
        if parse_internal_key(&self.smallest).is_none()
            || parse_internal_key(&self.largest).is_none()
            || compare_internal(&self.smallest, &self.largest) == Ordering::Greater
            || self.num_data_blocks == 0
        {
            return inconsistent;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{encode_expiring_value, internal_key};
    use proptest::prelude::*;

    #[test]
    fn the_encoded_length_follows_replacements() {
        let mut t = TaggedProperties::default();
        t.set_bytes(7, vec![1; 30]);
        t.set_u64(3, 1 << 40);
        t.set_bytes(7, vec![2; 4]);
        let recomputed = TaggedProperties::from_map(t.map.clone());
        assert_eq!(t.encoded_len(), recomputed.encoded_len());
        assert_eq!(t.encoded_len(), (10 + 4) + (10 + 6));
    }

    #[test]
    fn record_tracks_range_seqs_and_expiry() {
        let mut p = TableProperties::default();
        p.record(
            &internal_key(b"a", 5, ValueKind::ValueWithExpiry),
            &encode_expiring_value(100, b"x"),
        );
        p.record(
            &internal_key(b"b", 9, ValueKind::ValueWithExpiry),
            &encode_expiring_value(300, b""),
        );
        p.record(
            &internal_key(b"c", 2, ValueKind::ValueWithExpiry),
            &encode_expiring_value(200, b"yz"),
        );
        assert_eq!(p.max_expiry_ms, Some(300));
        assert_eq!((p.smallest_seq, p.largest_seq), (2, 9));
        assert_eq!(
            p.smallest,
            internal_key(b"a", 5, ValueKind::ValueWithExpiry)
        );
        assert_eq!(p.largest, internal_key(b"c", 2, ValueKind::ValueWithExpiry));
        assert_eq!(p.raw_value_bytes, 9 + 8 + 10);
        p.record(&internal_key(b"d", 3, ValueKind::Tombstone), b"");
        assert_eq!(p.max_expiry_ms, None, "a tombstone never expires");
        assert_eq!((p.entries, p.tombstones), (4, 1));
    }

    proptest! {
        #[test]
        fn round_trips(
            entries in 1u64..1 << 40,
            tomb_frac in 0u64..=100,
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 2),
            seqs in (0u64..1 << 56, 0u64..1 << 56),
            expiry in proptest::option::of(any::<u64>()),
            raw in (any::<u64>(), any::<u64>()),
            blocks in 1u64..1 << 30,
            tagged in proptest::collection::btree_map(1u32..200, proptest::collection::vec(any::<u8>(), 0..12), 0..5),
        ) {
            let mut ks: Vec<Vec<u8>> = keys.iter().map(|k| internal_key(k, 7, ValueKind::Value)).collect();
            ks.sort_by(|a, b| compare_internal(a, b));
            let p = TableProperties {
                entries,
                tombstones: entries * tomb_frac / 100,
                smallest: ks[0].clone(),
                largest: ks[1].clone(),
                smallest_seq: seqs.0.min(seqs.1),
                largest_seq: seqs.0.max(seqs.1),
                max_expiry_ms: expiry,
                raw_key_bytes: raw.0,
                raw_value_bytes: raw.1,
                num_data_blocks: blocks,
                tagged: TaggedProperties::from_map(tagged),
            };
            let enc = p.encode();
            prop_assert!(enc.len() <= p.max_encoded_len());
            prop_assert_eq!(TableProperties::decode(&enc).unwrap(), p);
        }
    }

    #[test]
    fn tagged_properties_are_optional_ordered_and_typed() {
        let mut p = TableProperties::default();
        let untagged = p.encode();
        p.tagged.set_u64(12, 7);
        p.tagged.set_bytes(41, b"blob".to_vec());
        let enc = p.encode();
        assert_eq!(
            &enc[..untagged.len()],
            &untagged[..],
            "fixed fields unchanged"
        );
        let back = TableProperties::decode(&enc).unwrap();
        assert_eq!(back.tagged.u64(12).unwrap(), Some(7));
        assert_eq!(back.tagged.bytes(41), Some(&b"blob"[..]));
        assert_eq!(back.tagged.u64(13).unwrap(), None);
        assert!(back.tagged.u64(41).is_err(), "bytes are not an integer");
        // A table written before tagged properties reads with none.
        assert!(TableProperties::decode(&untagged)
            .unwrap()
            .tagged
            .is_empty());
        // Tags must increase: swap the two tagged entries by hand.
        let mut swapped = untagged.clone();
        for (tag, value) in [(41u64, &b"blob"[..]), (12, &[7u8][..])] {
            put_varint(&mut swapped, tag);
            put_length_prefixed(&mut swapped, value);
        }
        assert!(TableProperties::decode(&swapped).is_err());
        // Tag 0 is invalid.
        let mut zero = untagged;
        put_varint(&mut zero, 0);
        put_length_prefixed(&mut zero, b"");
        assert!(TableProperties::decode(&zero).is_err());
    }

    #[test]
    fn empty_table_properties_round_trip_and_bad_ones_are_rejected() {
        let p = TableProperties::default();
        assert_eq!(TableProperties::decode(&p.encode()).unwrap(), p);
        let mut enc = p.encode();
        enc.push(0);
        assert!(TableProperties::decode(&enc).is_err());
        assert!(TableProperties::decode(&p.encode()[1..]).is_err());
        let more_tombstones = TableProperties {
            tombstones: 1,
            ..TableProperties::default()
        };
        assert!(TableProperties::decode(&more_tombstones.encode()).is_err());
        let short_key = TableProperties {
            entries: 1,
            smallest: b"k".to_vec(),
            largest: b"k".to_vec(),
            num_data_blocks: 1,
            ..TableProperties::default()
        };
        assert!(TableProperties::decode(&short_key.encode()).is_err());
    }
}
