//! The shape of the tree: file metadata, the sorted runs files form, the
//! edits that change them, and the immutable `Version` snapshots they
//! produce.

mod edit;
mod file_meta;
#[doc(hidden)]
pub mod fixture;
mod run;
#[allow(clippy::module_inception)]
mod version;

pub use edit::{AddedFile, VersionEdit, MANIFEST_FORMAT};
pub use file_meta::{sst_file_name, user_keys_disjoint, FileMeta};
pub use run::{SortedRun, LEVEL_RUN};
pub use version::Version;
