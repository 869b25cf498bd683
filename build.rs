//! Puts the git revision into `feedmark --version` (nothing when not built from a checkout).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    // No "-dirty" marker: edits to the sources do not rerun this script, so it would lie.
    let suffix = git(&["rev-parse", "--short", "HEAD"])
        .map(|rev| format!(" ({rev})"))
        .unwrap_or_default();
    println!("cargo:rustc-env=FEEDMARK_GIT_SUFFIX={suffix}");
    // Rebuild when HEAD moves; a worktree's HEAD lives in its own git dir.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
    }
    if let Some(dir) = git(&["rev-parse", "--git-common-dir"]) {
        // Only paths that exist: cargo reruns a script whose watched path is missing on
        // every build (a fresh clone has no packed-refs), which recompiled the crate each time.
        for path in [format!("{dir}/refs/heads"), format!("{dir}/packed-refs")] {
            if std::path::Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
