//! The commands that write share one way in, lock then open: `reextract` is refused while
//! another feedmark process holds the database, as `fetch` and `run` are.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Route, Server, db_count, feedmark_cmd, rss, run, write_config};

const RSS: &str = "application/rss+xml";

/// A config with one feed of one article, fetched once so there is something to re-extract.
fn fetched(dir: &std::path::Path, server: &Server) -> std::path::PathBuf {
    server.route(
        "/feed",
        Route::ok(RSS, rss(&server.base, &[("one", "One")])),
    );
    let body = "<p>One has a paragraph long enough to be the article's text. </p>".repeat(5);
    server.route(
        "/a/one",
        Route::ok(
            "text/html",
            format!("<html><body><article>{body}</article></body></html>"),
        ),
    );
    let config = write_config(dir, &[("c", server.url("/feed"))], "");
    let (ok, _, err) = run(feedmark_cmd(&config).arg("fetch"));
    assert!(ok, "{err}");
    config
}

/// Runs `reextract` and checks it was refused for the lock held by process `holder`.
fn assert_refused(config: &std::path::Path, holder: u32) {
    let out = feedmark_cmd(config).arg("reextract").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is in use by another feedmark process")
            && err.contains(&format!("pid {holder}")),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "a refused reextract reports nothing");
}

#[test]
fn reextract_is_refused_while_the_lock_is_held() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let config = fetched(dir.path(), &server);
    let db = dir.path().join("feedmark.db");
    let held = feedmark::lock::DbLock::acquire(&db).unwrap();
    assert_refused(&config, std::process::id());
    drop(held);
    let (ok, out, err) = run(feedmark_cmd(&config).arg("reextract"));
    assert!(ok, "{err}");
    assert!(!out.is_empty(), "the summary once the lock is free");
    assert_eq!(db_count(&db, "SELECT COUNT(*) FROM articles"), 1);
}

#[test]
fn reextract_is_refused_while_run_holds_the_database() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let config = fetched(dir.path(), &server);
    let mut daemon = Command::new(assert_cmd::cargo::cargo_bin("feedmark"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env_remove("FEEDMARK_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The daemon writes its pid into the lock file once it holds the lock.
    let lock = dir.path().join("feedmark.db.lock");
    let pid = daemon.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != pid {
        if Instant::now() > deadline || daemon.try_wait().unwrap().is_some() {
            daemon.kill().ok();
            panic!("the daemon never took the lock");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_refused(&config, daemon.id());
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let (ok, _, err) = run(feedmark_cmd(&config).arg("reextract"));
    assert!(ok, "with the daemon gone, reextract runs: {err}");
}
