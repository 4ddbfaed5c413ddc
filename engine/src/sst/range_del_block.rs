//! The range-deletion block of a table: its range tombstones, in the order
//! written (key order of their fragments).
//!
//! Encoding (the block's bytes; like every block it is followed on disk by
//! its crc32c trailer):
//!
//! ```text
//! block     = varint count | tombstone * count
//! tombstone = varint start_len | start | varint end_len | end | varint seq
//! ```
//!
//! Every tombstone has `start < end` and `seq <= MAX_SEQ`. A table without
//! range tombstones has no such block; the footer's fourth handle (in the
//! padding of its handle area, zero when absent) points at it.

use crate::coding::{put_length_prefixed, put_varint, Decoder};

/// The tagged table property holding the number of range tombstones (in
/// the range-deletion tags 30-39); absent when there are none.
pub const COUNT_TAG: u32 = 30;
use crate::key::MAX_SEQ;
use crate::range_del::RangeTombstone;

/// Encodes `tombstones` as a range-deletion block.
pub fn encode(tombstones: &[RangeTombstone]) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, tombstones.len() as u64);
    for t in tombstones {
        put_length_prefixed(&mut out, &t.start);
        put_length_prefixed(&mut out, &t.end);
        put_varint(&mut out, t.seq);
    }
    out
}

/// Decodes a range-deletion block; the error says what is wrong and where
/// (the caller adds the file and offset).
pub fn decode(block: &[u8]) -> Result<Vec<RangeTombstone>, String> {
    let mut d = Decoder::new(block);
    let count = d
        .varint()
        .ok_or_else(|| "range-deletion block lacks its count".to_string())?;
    // Each tombstone takes at least 4 bytes: bounds the allocation.
    if count > (block.len() / 4) as u64 {
        return Err(format!(
            "range-deletion block of {} bytes cannot hold {count} tombstones",
            block.len()
        ));
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let at = d.position();
        let (Some(start), Some(end), Some(seq)) =
            (d.length_prefixed(), d.length_prefixed(), d.varint())
        else {
            return Err(format!("range tombstone {i} at offset {at} is truncated"));
        };
        if start >= end {
            return Err(format!(
                "range tombstone {i} at offset {at} has start {start:?} not below end {end:?}"
            ));
        }
        if seq > MAX_SEQ {
            return Err(format!(
                "range tombstone {i} at offset {at} has sequence {seq} above the maximum {MAX_SEQ}"
            ));
        }
        out.push(RangeTombstone::new(start, end, seq));
    }
    if !d.is_empty() {
        return Err(format!(
            "{} trailing bytes after {count} range tombstones",
            d.remaining()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_tombstone() -> impl Strategy<Value = RangeTombstone> {
        (
            prop::collection::vec(any::<u8>(), 0..12),
            prop::collection::vec(any::<u8>(), 1..12),
            0..=MAX_SEQ,
        )
            .prop_map(|(start, mut end, seq)| {
                // Make `end` strictly greater than `start`.
                if end <= start {
                    end = start.clone();
                    end.push(1);
                }
                RangeTombstone { start, end, seq }
            })
    }

    #[test]
    fn bad_blocks_name_the_problem() {
        let good = encode(&[RangeTombstone::new(b"a", b"c", 4)]);
        assert!(decode(&[]).unwrap_err().contains("count"));
        assert!(decode(&good[..good.len() - 1])
            .unwrap_err()
            .contains("truncated"));
        let backwards = encode(&[RangeTombstone::new(b"c", b"a", 4)]);
        assert!(decode(&backwards).unwrap_err().contains("not below end"));
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode(&trailing).unwrap_err().contains("1 trailing bytes"));
        let huge_seq = encode(&[RangeTombstone::new(b"a", b"c", MAX_SEQ + 1)]);
        assert!(decode(&huge_seq).unwrap_err().contains("above the maximum"));
        assert!(decode(&[0xff, 0xff, 0xff, 0x7f])
            .unwrap_err()
            .contains("cannot hold"));
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(ts in prop::collection::vec(arb_tombstone(), 0..20)) {
            prop_assert_eq!(decode(&encode(&ts)).unwrap(), ts);
        }

        #[test]
        fn every_proper_prefix_is_an_error(
            ts in prop::collection::vec(arb_tombstone(), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let bytes = encode(&ts);
            prop_assert!(decode(&bytes[..cut.index(bytes.len())]).is_err());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(ts) = decode(&bytes) {
                prop_assert!(ts.iter().all(|t| t.start < t.end && t.seq <= MAX_SEQ));
            }
        }
    }
}
