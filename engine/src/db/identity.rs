//! The database's identity: 32 hex digits written to `IDENTITY` when the
//! database is created (as RocksDB does) and recorded in every manifest
//! snapshot, so that a manifest copied from another database is refused.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::fs::Fs;

/// The file holding the identity.
pub const IDENTITY_FILE: &str = "IDENTITY";

/// Length of an identity in hex digits.
const ID_LEN: usize = 32;

/// A fresh identity: 128 bits from the standard library's per-process
/// random hash keys, the clock and the process id.
pub fn new_identity() -> Vec<u8> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let half = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2)).into_bytes()
}

/// Writes `id` to `dir/IDENTITY` (synced).
pub fn write_identity(fs: &dyn Fs, dir: &Path, id: &[u8]) -> Result<()> {
    let mut f = fs.create(&dir.join(IDENTITY_FILE))?;
    f.append(id)?;
    f.append(b"\n")?;
    f.sync()
}

/// The identity in `dir/IDENTITY`, `None` when the file is missing; a file
/// that does not hold one is corruption naming it.
pub fn read_identity(fs: &dyn Fs, dir: &Path) -> Result<Option<Vec<u8>>> {
    let path = dir.join(IDENTITY_FILE);
    if !fs.exists(&path) {
        return Ok(None);
    }
    let bytes = fs.read_all(&path)?;
    let id = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    if id.len() != ID_LEN || !id.iter().all(u8::is_ascii_hexdigit) {
        return Err(Error::corruption(
            &path,
            format!(
                "does not hold a {ID_LEN}-hex-digit identity: {:?}",
                String::from_utf8_lossy(&bytes)
            ),
        ));
    }
    Ok(Some(id.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    #[test]
    fn identities_are_fresh_and_round_trip() {
        let (a, b) = (new_identity(), new_identity());
        assert_ne!(a, b);
        let fs = MemFs::new();
        let dir = Path::new("/db");
        assert_eq!(read_identity(&fs, dir).unwrap(), None);
        write_identity(&fs, dir, &a).unwrap();
        assert_eq!(read_identity(&fs, dir).unwrap(), Some(a));
        let mut w = fs.create(&dir.join(IDENTITY_FILE)).unwrap();
        w.append(b"not an id").unwrap();
        let e = read_identity(&fs, dir).unwrap_err();
        assert!(
            e.is_corruption() && e.to_string().contains("IDENTITY"),
            "{e}"
        );
    }
}
