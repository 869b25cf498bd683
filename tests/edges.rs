//! Refusals at the edges, through the real binary: endless input files, foreign and newer
//! databases, secrets in feed URLs, and causes that must be told once.

mod common;

use std::path::Path;

use common::{feedmark_cmd as feedmark, run, write_config};

/// The lines of `stderr` that say something (tracing lines and the final `error:`).
fn lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[cfg(unix)]
#[test]
fn an_endless_config_or_opml_file_is_refused_at_its_size_cap() {
    let (ok, _, err) = run(feedmark(Path::new("/dev/zero")).arg("status"));
    assert!(!ok);
    assert_eq!(
        lines(&err),
        ["error: config /dev/zero: larger than 1 MiB"],
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[], "");
    let before = std::fs::read_to_string(&config).unwrap();
    let (ok, _, err) = run(feedmark(&config).args(["import-opml", "/dev/zero"]));
    assert!(
        !ok && err.contains("/dev/zero: larger than 16 MiB"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}
