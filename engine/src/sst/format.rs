//! The fixed pieces of the SSTable format: block handles, the per-block
//! checksum trailer and the footer.

use std::path::Path;

use crate::coding::{get_u32, masked_crc, put_varint, Decoder};
use crate::error::{Error, Result};
use crate::fs::{RandomAccessFile, SharedBytes};

/// Bytes after every block on disk: the masked crc32c of the block (u32 LE).
pub const BLOCK_TRAILER_LEN: usize = 4;

/// The longest encoding of a [`BlockHandle`] (two 10-byte varints).
pub const MAX_HANDLE_LEN: usize = 20;

/// Bytes of the footer's handle area: three handles, zero-padded.
const HANDLES_LEN: usize = 3 * MAX_HANDLE_LEN;

/// Bytes of the footer's handle area, for writers that check they fit.
pub const FOOTER_HANDLES_LEN: usize = HANDLES_LEN;

/// Total size of the footer at the end of every table.
pub const FOOTER_LEN: usize = HANDLES_LEN + 4 + 4 + 8;

/// The last 8 bytes of every lsmlab SSTable.
pub const TABLE_MAGIC: u64 = 0x6c73_6d6c_6162_5354; // "lsmlabST"

/// The format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Where a block lives in a file: its offset and its size without the
/// checksum trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockHandle {
    pub offset: u64,
    pub size: u64,
}

impl BlockHandle {
    /// Appends the handle as two varints.
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        put_varint(out, self.offset);
        put_varint(out, self.size);
    }

    /// Reads a handle; `None` when the bytes do not hold one.
    pub fn decode_from(d: &mut Decoder<'_>) -> Option<BlockHandle> {
        Some(BlockHandle {
            offset: d.varint()?,
            size: d.varint()?,
        })
    }

    /// Offset of the first byte after the block and its trailer, if it does
    /// not overflow.
    pub fn end(&self) -> Option<u64> {
        self.offset
            .checked_add(self.size)?
            .checked_add(BLOCK_TRAILER_LEN as u64)
    }
}

/// The handles a reader needs to find everything else in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    pub index: BlockHandle,
    pub filter: BlockHandle,
    pub properties: BlockHandle,
    /// The range-deletion block ([`super::range_del_block`]), when the
    /// table has range tombstones: a fourth handle in the padding of the
    /// handle area, so tables without one are byte for byte as before.
    pub range_dels: Option<BlockHandle>,
}

impl Footer {
    /// Bytes the encoded handles take; at most the 60-byte handle area.
    pub fn handles_len(&self) -> usize {
        let mut out = Vec::with_capacity(4 * MAX_HANDLE_LEN);
        self.encode_handles(&mut out);
        out.len()
    }

    fn encode_handles(&self, out: &mut Vec<u8>) {
        self.index.encode_to(out);
        self.filter.encode_to(out);
        self.properties.encode_to(out);
        if let Some(h) = self.range_dels {
            h.encode_to(out);
        }
    }

    /// The footer's exact [`FOOTER_LEN`] bytes.
    ///
    /// REQUIRES: `handles_len() <= 60` (a range-deletion handle fits unless
    /// the table is petabytes large; the builder checks).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FOOTER_LEN);
        self.encode_handles(&mut out);
        assert!(
            out.len() <= HANDLES_LEN,
            "footer handles overflow their area"
        );
        out.resize(HANDLES_LEN, 0);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let crc = masked_crc(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
        debug_assert_eq!(out.len(), FOOTER_LEN);
        out
    }

    /// Decodes the footer found at `offset` in `file`, checking its magic
    /// number, checksum, version, and that every handle lies before it.
    pub fn decode(file: &Path, offset: u64, buf: &[u8]) -> Result<Footer> {
        if buf.len() != FOOTER_LEN {
            return Err(Error::corruption(
                file,
                format!("footer is {} bytes, expected {FOOTER_LEN}", buf.len()),
            ));
        }
        let magic_pos = FOOTER_LEN - 8;
        let magic = u64::from_le_bytes(buf[magic_pos..].try_into().expect("8 bytes"));
        if magic != TABLE_MAGIC {
            return Err(Error::corruption(
                file,
                format!("bad magic number {magic:#018x}: not an SSTable, or truncated"),
            ));
        }
        let crc_pos = magic_pos - 4;
        let stored = get_u32(buf, crc_pos).expect("4 bytes");
        let got = masked_crc(&buf[..crc_pos]);
        if stored != got {
            return Err(Error::ChecksumMismatch {
                file: file.to_path_buf(),
                offset: offset + crc_pos as u64,
                expected: stored,
                got,
            });
        }
        let version = get_u32(buf, HANDLES_LEN).expect("4 bytes");
        if version != FORMAT_VERSION {
            return Err(Error::corruption(
                file,
                format!("unsupported SSTable format version {version} (this build reads {FORMAT_VERSION})"),
            ));
        }
        let mut d = Decoder::new(&buf[..HANDLES_LEN]);
        let bad = || Error::corruption(file, "malformed block handle in footer");
        let index = BlockHandle::decode_from(&mut d).ok_or_else(bad)?;
        let filter = BlockHandle::decode_from(&mut d).ok_or_else(bad)?;
        let properties = BlockHandle::decode_from(&mut d).ok_or_else(bad)?;
        // Zero padding decodes as the empty handle: no range deletions.
        let range_dels = if d.is_empty() {
            None
        } else {
            Some(BlockHandle::decode_from(&mut d).ok_or_else(bad)?)
        }
        .filter(|h| *h != BlockHandle::default());
        let footer = Footer {
            index,
            filter,
            properties,
            range_dels,
        };
        for (name, h) in [
            ("index", index),
            ("filter", filter),
            ("properties", properties),
        ] {
            check_handle(file, name, h, offset)?;
        }
        if let Some(h) = range_dels {
            check_handle(file, "range-deletion", h, offset)?;
        }
        Ok(footer)
    }
}

/// Checks that the block `h` and its trailer end at or before `limit`.
pub fn check_handle(file: &Path, what: &str, h: BlockHandle, limit: u64) -> Result<()> {
    match h.end() {
        Some(end) if end <= limit => Ok(()),
        _ => Err(Error::corruption(
            file,
            format!(
                "{what} block handle (offset {}, size {}) extends past offset {limit}",
                h.offset, h.size
            ),
        )),
    }
}

/// Appends the checksum trailer of `block` to `out`.
pub fn append_trailer(out: &mut Vec<u8>, block: &[u8]) {
    out.extend_from_slice(&masked_crc(block).to_le_bytes());
}

/// Reads the block at `h` and verifies its checksum; returns the block bytes
/// without the trailer (shared with the file's storage when it is in memory).
///
/// REQUIRES: `h` was checked to lie inside the file (see [`check_handle`]).
pub fn read_block(file: &dyn RandomAccessFile, h: BlockHandle) -> Result<SharedBytes> {
    read_block_into(file, h, Vec::new())
}

/// [`read_block`], reading into `buf` when the file copies what it reads
/// (see [`RandomAccessFile::read_into`]).
pub fn read_block_into(
    file: &dyn RandomAccessFile,
    h: BlockHandle,
    buf: Vec<u8>,
) -> Result<SharedBytes> {
    let size = usize::try_from(h.size)
        .map_err(|_| Error::corruption(file.path(), format!("block size {} too large", h.size)))?;
    let buf = file.read_into(h.offset, size + BLOCK_TRAILER_LEN, buf)?;
    // The checksum first: it reads the block from its start, so the
    // trailer right after it is in the cache when it is read (a block of an
    // in-memory file is not copied, and may not have been touched in a while).
    let got = masked_crc(&buf[..size]);
    let stored = get_u32(&buf, size).expect("trailer was read");
    if stored != got {
        return Err(Error::ChecksumMismatch {
            file: file.path().to_path_buf(),
            offset: h.offset,
            expected: stored,
            got,
        });
    }
    Ok(buf.slice(0..size))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Footer {
        Footer {
            index: BlockHandle {
                offset: 1 << 40,
                size: 12345,
            },
            filter: BlockHandle { offset: 7, size: 0 },
            properties: BlockHandle {
                offset: u64::MAX >> 30,
                size: 300,
            },
            range_dels: None,
        }
    }

    #[test]
    fn footer_round_trips_at_fixed_length() {
        let f = sample();
        let enc = f.encode();
        assert_eq!(enc.len(), FOOTER_LEN);
        let at = u64::MAX >> 20;
        assert_eq!(Footer::decode(Path::new("t.sst"), at, &enc).unwrap(), f);
    }

    #[test]
    fn a_range_deletion_handle_fits_the_padding() {
        let mut f = sample();
        f.range_dels = Some(BlockHandle {
            offset: 1 << 40,
            size: 77,
        });
        assert!(f.handles_len() <= HANDLES_LEN);
        let enc = f.encode();
        assert_eq!(enc.len(), FOOTER_LEN);
        assert_eq!(
            Footer::decode(Path::new("t.sst"), u64::MAX >> 20, &enc).unwrap(),
            f
        );
        // Without one, the handle area is as it always was.
        let plain = sample().encode();
        assert_eq!(
            Footer::decode(Path::new("t.sst"), u64::MAX >> 20, &plain)
                .unwrap()
                .range_dels,
            None
        );
    }

    #[test]
    fn footer_damage_is_corruption_naming_the_file() {
        let enc = sample().encode();
        let file = Path::new("/db/000009.sst");
        for i in 0..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 0x10;
            let err = Footer::decode(file, 1 << 50, &bad).unwrap_err();
            assert!(err.is_corruption(), "byte {i}: {err}");
            assert!(err.to_string().contains("000009.sst"), "byte {i}: {err}");
        }
        let err = Footer::decode(file, 0, &enc[1..]).unwrap_err();
        assert!(err.is_corruption());
    }

    #[test]
    fn footer_handles_past_the_footer_are_rejected() {
        let enc = sample().encode();
        // The index block ends far beyond offset 1000.
        let err = Footer::decode(Path::new("x.sst"), 1000, &enc).unwrap_err();
        assert!(err.to_string().contains("index block handle"), "{err}");
    }

    #[test]
    fn handle_end_does_not_overflow() {
        let h = BlockHandle {
            offset: u64::MAX - 2,
            size: 1,
        };
        assert_eq!(h.end(), None);
        assert!(check_handle(Path::new("x"), "data", h, u64::MAX).is_err());
    }
}
