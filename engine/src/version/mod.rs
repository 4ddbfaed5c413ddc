//! The shape of the tree: file metadata, the edits that change it, and the
//! immutable `Version` snapshots they produce.

mod edit;
mod file_meta;
#[doc(hidden)]
pub mod fixture;
#[allow(clippy::module_inception)]
mod version;

pub use edit::VersionEdit;
pub use file_meta::{sst_file_name, FileMeta};
pub use version::Version;
