//! Finds the optional data sets (`../shared`): without one a test skips loudly, in CI it fails.
//!
//! Shared by the integration tests (`common::optional`) and the unit tests in `src/` (included
//! with `#[path]`), so both look in the same places and skip the same way.
//!
//! - `FEEDMARK_SHARED=DIR` moves the shared root (default: `../shared` beside the crate);
//!   `FEEDMARK_SHARED=/nonexistent` simulates a clone without it.
//! - A data set's own variable (such as `FEEDMARK_CORPUS`) names its folder directly.
//! - `CI` set (and not `false` or `0`) makes a missing data set a failure: CI runs beside
//!   `../shared`, so there a missing folder is a broken checkout, not a newcomer's clone.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The shared data root: `FEEDMARK_SHARED`, else `../shared` beside the crate.
pub fn shared_root() -> PathBuf {
    match std::env::var_os("FEEDMARK_SHARED").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

/// Whether missing optional data fails the test: `CI` is set to anything but empty, `false`
/// or `0`.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "false" | "0"))
}

/// The folder of an optional data set: `$env` if set, else `rel` under the shared root.
/// `None` when it is not there, after writing a SKIPPED line for `test` where `cargo test`
/// shows it; panics instead when [`required`].
pub fn data_dir(test: &str, rel: &str, env: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os(env).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => shared_root().join(rel),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "{test}: CI is set but {} is missing (set {env}, or FEEDMARK_SHARED to the shared root)",
        dir.display()
    );
    skipped(
        test,
        &format!(
            "no {} (set {env}, or FEEDMARK_SHARED to the folder holding {rel}); \
             CI=true makes this a failure",
            dir.display()
        ),
    );
    None
}

/// Says a test was skipped on the terminal `cargo test` prints to. Not `eprintln!`: libtest
/// captures that and drops it when the test passes, which would hide the skip.
pub fn skipped(test: &str, why: &str) {
    let line = format!("\ntest {test} ... SKIPPED: {why}\n");
    std::io::stderr().lock().write_all(line.as_bytes()).ok();
}
