//! The blob file format and the reference a table stores in its place.
//!
//! A blob file `NNNNNN.blob`:
//!
//! ```text
//! header  : magic "lsmblob1" (8) | file number (u64 LE)
//! record* : key_len (u32 LE) | value_len (u32 LE) | key | value
//!           | masked crc32c of everything before it in the record (u32 LE)
//! footer  : blob count (u64 LE) | value bytes (u64 LE) | magic "lsmblobF" (8)
//!           | masked crc32c of the 24 bytes before it (u32 LE)
//! ```
//!
//! A record carries its user key, so a reference that points at the wrong
//! record (or at damaged bytes) is detected, not returned as data. A file
//! without a valid footer was never finished and is never referenced by the
//! manifest.
//!
//! A reference (the value of a `BlobIndex` entry) is three varints: blob
//! file number, record offset, value length.

use crate::coding::{put_varint, Decoder};

/// First bytes of every blob file.
pub const HEADER_MAGIC: &[u8; 8] = b"lsmblob1";
/// Magic inside the footer.
pub const FOOTER_MAGIC: &[u8; 8] = b"lsmblobF";
/// Header bytes: magic and file number.
pub const HEADER_LEN: usize = 16;
/// Footer bytes: count, value bytes, magic, crc.
pub const FOOTER_LEN: usize = 28;
/// Record bytes besides key and value: two lengths and the crc.
pub const RECORD_OVERHEAD: u64 = 12;

/// `NNNNNN.blob`.
pub fn blob_file_name(number: u64) -> String {
    format!("{number:06}.blob")
}

/// The blob file number in a name `NNNNNN.blob`.
pub fn parse_blob_file_name(name: &str) -> Option<u64> {
    name.strip_suffix(".blob")?.parse().ok()
}

/// Where a separated value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobRef {
    /// The blob file's number.
    pub file: u64,
    /// Offset of the value's record in the file.
    pub offset: u64,
    /// Length of the value in bytes.
    pub size: u64,
}

impl BlobRef {
    /// The bytes a table stores for this reference.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12);
        put_varint(&mut out, self.file);
        put_varint(&mut out, self.offset);
        put_varint(&mut out, self.size);
        out
    }

    /// Decodes [`BlobRef::encode`]'s bytes; `None` when truncated or
    /// followed by anything.
    pub fn decode(bytes: &[u8]) -> Option<BlobRef> {
        let mut d = Decoder::new(bytes);
        let r = BlobRef {
            file: d.varint()?,
            offset: d.varint()?,
            size: d.varint()?,
        };
        d.is_empty().then_some(r)
    }

    /// Bytes of the record the reference points at, for a key of
    /// `key_len` bytes.
    pub fn record_len(&self, key_len: usize) -> u64 {
        RECORD_OVERHEAD + key_len as u64 + self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn references_round_trip_and_reject_extra_bytes(
            file in 0u64..u64::MAX, offset in 0u64..u64::MAX, size in 0u64..u64::MAX,
            cut in 0usize..30, extra in 0u8..=255,
        ) {
            let r = BlobRef { file, offset, size };
            let bytes = r.encode();
            proptest::prop_assert_eq!(BlobRef::decode(&bytes), Some(r));
            let mut longer = bytes.clone();
            longer.push(extra);
            proptest::prop_assert_eq!(BlobRef::decode(&longer), None);
            if cut < bytes.len() {
                proptest::prop_assert_eq!(BlobRef::decode(&bytes[..cut]), None);
            }
        }
    }

    #[test]
    fn file_names_round_trip() {
        assert_eq!(blob_file_name(42), "000042.blob");
        assert_eq!(parse_blob_file_name("000042.blob"), Some(42));
        assert_eq!(parse_blob_file_name("000042.sst"), None);
    }
}
