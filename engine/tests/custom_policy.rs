//! The plug-in example runs as a test: a policy defined outside the crate
//! registers beside the built-in ones, drives compaction, and loses nothing.

#[path = "../examples/custom_policy.rs"]
mod example;

use lsmlab_engine::compaction::{registry, Registry};

#[test]
fn a_policy_from_outside_the_crate_registers_and_runs() {
    let s = example::run().unwrap();
    assert_eq!(s.policy, "smallest-file-first");
    assert_eq!(s.keys_checked, 40_000);
    assert!(s.compactions > 10, "{s:?}");
    assert!(s.levels_used >= 3, "{s:?}");
    assert!(s.write_amp > 1.5, "{s:?}");
}

#[test]
fn a_registered_policy_is_found_by_name_and_alias_and_names_stay_unique() {
    let mut r = Registry::with_builtin();
    r.register(&example::SMALLEST_FILE_FIRST).unwrap();
    assert_eq!(
        r.find("Smallest_File_First").unwrap().name,
        "smallest-file-first"
    );
    assert!(r.register(&example::SMALLEST_FILE_FIRST).is_err());
    // The built-in registry is not changed by a user's registry.
    assert!(registry::builtin().find("smallest-file-first").is_err());
}
