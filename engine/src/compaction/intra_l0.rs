//! Intra-L0 compaction (RocksDB's `FindIntraL0Compaction`, cost-based form):
//! when L0 cannot compact into the base level, merge the newest L0 files
//! into one L0 file, taking files while the bytes rewritten per file
//! removed keep falling.

use std::collections::HashSet;
use std::sync::Arc;

use crate::version::FileMeta;

/// Fewest files an intra-L0 compaction takes (RocksDB's
/// `kMinFilesForIntraL0Compaction`).
pub const MIN_FILES: usize = 4;

/// The newest consecutive L0 files (`files` newest first) to merge within
/// L0: from the newest, while the average bytes per file does not grow, no
/// file is busy and the total stays within `max_compaction_bytes`; `None`
/// when fewer than [`MIN_FILES`] qualify or the newest is busy.
pub fn find(
    files: &[Arc<FileMeta>],
    busy: &HashSet<u64>,
    max_compaction_bytes: u64,
) -> Option<Vec<Arc<FileMeta>>> {
    let first = files.first()?;
    if busy.contains(&first.number) {
        return None;
    }
    let mut bytes = first.size;
    let mut per_file = u64::MAX;
    let mut limit = 1;
    while limit < files.len() {
        bytes += files[limit].size;
        let next_per_file = bytes / limit as u64;
        if busy.contains(&files[limit].number)
            || next_per_file > per_file
            || bytes > max_compaction_bytes
        {
            break;
        }
        per_file = next_per_file;
        limit += 1;
    }
    (limit >= MIN_FILES).then(|| files[..limit].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_file;

    fn files(sizes: &[u64]) -> Vec<Arc<FileMeta>> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Arc::new(
                    parse_file(&format!(
                        "{:06}: a#{} .. b#{} size={s}",
                        100 - i,
                        100 - i,
                        100 - i
                    ))
                    .unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn takes_files_while_the_cost_per_file_falls() {
        let none = HashSet::new();
        // Equal files: each adds no more than the average; all five go.
        assert_eq!(
            find(&files(&[10, 10, 10, 10, 10]), &none, 1000)
                .unwrap()
                .len(),
            5
        );
        // A large old file raises the cost per file: it stays.
        assert_eq!(
            find(&files(&[10, 10, 10, 10, 500]), &none, 1000)
                .unwrap()
                .len(),
            4
        );
        // Too few small files.
        assert!(find(&files(&[10, 10, 10, 500]), &none, 1000).is_none());
        // max_compaction_bytes bounds the total.
        assert!(find(&files(&[10, 10, 10, 10, 10]), &none, 35).is_none());
        // A busy file ends the span.
        let busy: HashSet<u64> = [98].into_iter().collect();
        assert!(find(&files(&[10, 10, 10, 10, 10]), &busy, 1000).is_none());
    }
}
