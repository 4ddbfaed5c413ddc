//! Shared by the CLI's integration tests: running the `lsmlab` binary.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `lsmlab` with `args` in `cwd` and waits for it.
pub fn lsmlab(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lsmlab"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}
