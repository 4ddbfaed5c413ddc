//! The shape of the tree: file metadata, the edits that change it, and the
//! immutable `Version` snapshots they produce.

mod file_meta;

pub use file_meta::{sst_file_name, FileMeta};
