//! Blob garbage accounting, as RocksDB's integrated BlobDB keeps it: each
//! blob file's totals, the garbage compactions left in it (references they
//! dropped or relocated), and each table's references per blob file. A blob
//! file whose every blob is garbage has no reference left and is deleted.

use std::collections::BTreeMap;

/// What the manifest records about one blob file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobFileMeta {
    /// File number; the file is `NNNNNN.blob`.
    pub number: u64,
    /// Blobs written to the file.
    pub blob_count: u64,
    /// Value bytes of those blobs.
    pub blob_bytes: u64,
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Blobs no table references any more.
    pub garbage_count: u64,
    /// Value bytes of those blobs.
    pub garbage_bytes: u64,
}

impl BlobFileMeta {
    /// Fraction of the file's value bytes that are garbage.
    pub fn garbage_ratio(&self) -> f64 {
        if self.blob_bytes == 0 {
            1.0
        } else {
            self.garbage_bytes as f64 / self.blob_bytes as f64
        }
    }

    /// True when no blob of the file is referenced any more.
    pub fn all_garbage(&self) -> bool {
        self.garbage_count >= self.blob_count
    }
}

/// The references a table holds into one blob file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobUse {
    pub file: u64,
    /// References.
    pub count: u64,
    /// Value bytes they point at.
    pub bytes: u64,
}

/// A table's references, one entry per blob file, by file number.
pub type BlobUses = Vec<BlobUse>;

/// Adds `uses` into per-file totals.
pub fn add_uses(totals: &mut BTreeMap<u64, (u64, u64)>, uses: &[BlobUse]) {
    for u in uses {
        let t = totals.entry(u.file).or_insert((0, 0));
        t.0 += u.count;
        t.1 += u.bytes;
    }
}

/// The garbage a job leaves in each blob file: the references its input
/// tables held minus those its outputs hold, per file (files without
/// garbage left out).
pub fn job_garbage<'a>(
    inputs: impl IntoIterator<Item = &'a [BlobUse]>,
    outputs: impl IntoIterator<Item = &'a [BlobUse]>,
) -> Vec<BlobUse> {
    let mut before = BTreeMap::new();
    for u in inputs {
        add_uses(&mut before, u);
    }
    let mut after = BTreeMap::new();
    for u in outputs {
        add_uses(&mut after, u);
    }
    before
        .into_iter()
        .filter_map(|(file, (c, b))| {
            let (ac, ab) = after.get(&file).copied().unwrap_or((0, 0));
            (c > ac).then(|| BlobUse {
                file,
                count: c - ac,
                bytes: b.saturating_sub(ab),
            })
        })
        .collect()
}

/// Blob files numbered below the returned number are "old": a compaction
/// relocates the live blobs it meets in them. The oldest
/// `floor(age_cutoff * n)` of the `n` blob files (by number) are old;
/// `None` when none is.
pub fn relocation_cutoff(files: &BTreeMap<u64, BlobFileMeta>, age_cutoff: f64) -> Option<u64> {
    let old = (age_cutoff * files.len() as f64).floor() as usize;
    if old == 0 {
        return None;
    }
    // The first file not old; past the end, every file is old.
    Some(
        files
            .keys()
            .nth(old)
            .copied()
            .unwrap_or_else(|| files.keys().next_back().map_or(0, |n| n + 1)),
    )
}

/// The blob file a forced garbage collection should empty, as RocksDB
/// chooses it: the oldest blob file, when it is old (within `age_cutoff`)
/// and its garbage ratio is at least `force_threshold`.
pub fn forced_target(
    files: &BTreeMap<u64, BlobFileMeta>,
    age_cutoff: f64,
    force_threshold: f64,
) -> Option<u64> {
    let cutoff = relocation_cutoff(files, age_cutoff)?;
    let (&oldest, meta) = files.iter().next()?;
    (oldest < cutoff && meta.garbage_ratio() >= force_threshold).then_some(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(garbage: &[(u64, u64)]) -> BTreeMap<u64, BlobFileMeta> {
        garbage
            .iter()
            .map(|&(number, g)| {
                (
                    number,
                    BlobFileMeta {
                        number,
                        blob_count: 10,
                        blob_bytes: 100,
                        file_size: 300,
                        garbage_count: g / 10,
                        garbage_bytes: g,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_oldest_fraction_of_files_is_relocated() {
        let f = files(&[(3, 0), (5, 0), (8, 0), (9, 0)]);
        assert_eq!(relocation_cutoff(&f, 0.0), None);
        assert_eq!(relocation_cutoff(&f, 0.2), None, "0.8 of a file is none");
        assert_eq!(relocation_cutoff(&f, 0.25), Some(5));
        assert_eq!(relocation_cutoff(&f, 0.5), Some(8));
        assert_eq!(relocation_cutoff(&f, 1.0), Some(10));
        assert_eq!(relocation_cutoff(&BTreeMap::new(), 1.0), None);
    }

    #[test]
    fn force_targets_the_oldest_file_past_the_threshold() {
        let f = files(&[(3, 60), (5, 90)]);
        assert_eq!(forced_target(&f, 0.5, 0.5), Some(3));
        assert_eq!(forced_target(&f, 0.5, 0.7), None, "only the oldest counts");
        assert_eq!(forced_target(&f, 0.25, 0.5), None, "not old enough");
    }

    #[test]
    fn job_garbage_is_what_inputs_referenced_and_outputs_do_not() {
        let a = [
            BlobUse {
                file: 1,
                count: 4,
                bytes: 400,
            },
            BlobUse {
                file: 2,
                count: 1,
                bytes: 10,
            },
        ];
        let b = [BlobUse {
            file: 1,
            count: 2,
            bytes: 200,
        }];
        let out = [
            BlobUse {
                file: 1,
                count: 5,
                bytes: 500,
            },
            BlobUse {
                file: 7,
                count: 1,
                bytes: 10,
            },
        ];
        let g = job_garbage([&a[..], &b[..]], [&out[..]]);
        assert_eq!(
            g,
            [
                BlobUse {
                    file: 1,
                    count: 1,
                    bytes: 100
                },
                BlobUse {
                    file: 2,
                    count: 1,
                    bytes: 10
                },
            ]
        );
    }
}
