//! Two processes on one database: a second `fetch` is refused while one runs, and a writer
//! that holds SQLite busy for a moment makes `fetch` wait, not fail.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Route, Server, write_config};

const RSS: &str = "application/rss+xml";

fn feed(server: &Server, slugs: &[&str]) -> String {
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>C</title>");
    for s in slugs {
        let link = server.url(&format!("/a/{s}"));
        rss.push_str(&format!(
            "<item><title>Story {s}</title><link>{link}</link><guid>{link}</guid>\
             <description>Text of {s}.</description></item>"
        ));
    }
    rss + "</channel></rss>"
}

fn page(s: &str) -> String {
    format!(
        "<html><body><article>{}</article></body></html>",
        format!("<p>Story {s} has a paragraph long enough to be its text. </p>").repeat(5)
    )
}

/// `feedmark fetch` as a process to spawn beside another.
fn feedmark(config: &std::path::Path) -> Command {
    let mut cmd = common::feedmark_process(config);
    cmd.arg("fetch");
    cmd
}

fn count(dir: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join("feedmark.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_second_fetch_is_refused_while_the_first_runs() {
    let server = Server::start();
    server.route("/feed", Route::ok(RSS, feed(&server, &["slow"])));
    // The page answers only after 1.5 s: the first fetch is still running when the second starts.
    server.route(
        "/a/slow",
        Route::ok("text/html", page("slow")).delayed(Duration::from_millis(1500)),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("c", server.url("/feed"))], "");
    let first = feedmark(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first one holds the lock and is downloading the page.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.hits("/a/slow") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "first fetch never got going"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = feedmark(&config).output().unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{err}");
    assert!(
        err.contains("is in use by another feedmark process")
            && err.contains(&format!("pid {}", first.id())),
        "{err}"
    );
    assert_eq!(server.hits("/feed"), 1, "the refused fetch sent no request");
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM articles"), 1);
    // With the first one gone, a fetch runs again.
    assert!(feedmark(&config).output().unwrap().status.success());
}

#[test]
fn a_busy_database_makes_fetch_wait_not_fail() {
    let server = Server::start();
    server.route_seq(
        "/feed",
        vec![
            Route::ok(RSS, feed(&server, &["one"])),
            Route::ok(RSS, feed(&server, &["one", "two"])),
        ],
    );
    for s in ["one", "two"] {
        server.route(&format!("/a/{s}"), Route::ok("text/html", page(s)));
    }
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("c", server.url("/feed"))], "");
    assert!(feedmark(&config).output().unwrap().status.success());

    // Another program (a backup, a sqlite3 shell) holds the write lock for a while.
    let holder = rusqlite::Connection::open(dir.path().join("feedmark.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let fetch = feedmark(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    holder.execute_batch("COMMIT").unwrap();
    let out = fetch.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = common::Summary::find(&stdout);
    assert_eq!(summary.map(|s| s.new_articles), Some(1), "{stdout}");
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM articles"), 2);
}
