//! Refusals at the edges, through the real binary: endless input files, foreign and newer
//! databases, secrets in feed URLs, and causes that must be told once.

mod common;

use std::path::Path;

use common::{SiteConfig, feedmark_cmd as feedmark, run, write_config};

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

/// Credentials in a feed URL are sent (basic auth) but never shown: not in the log lines of
/// a failed feed or a failed article page, not in the `last_error` that `status` prints.
#[test]
fn credentials_in_feed_and_page_urls_stay_out_of_logs_and_status() {
    let server = common::Server::start();
    let with_secret = server.base.replace("http://", "http://reader:secret@");
    server.route("/down.xml", common::Route::status(500));
    let rss = common::rss(&with_secret, &[("gone", "Gone page")]);
    server.route("/up.xml", common::Route::ok("application/rss+xml", rss));
    server.route("/a/gone", common::Route::status(500));
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("down", format!("{with_secret}/down.xml")),
        ("up", format!("{with_secret}/up.xml")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let (ok, out, err) = run(feedmark(&config).arg("fetch"));
    assert!(!ok, "the failing feed fails the run: {out}");
    assert!(err.contains("http://***@127.0.0.1:"), "{err}");
    assert!(err.contains("/down.xml: HTTP 500"), "{err}");
    assert!(err.contains("/a/gone: HTTP 500"), "{err}");
    assert!(
        !err.contains("secret") && !out.contains("secret"),
        "{out}{err}"
    );
    let (_, table, err) = run(feedmark(&config).arg("status"));
    assert!(table.contains("http://***@127.0.0.1:"), "{table}");
    assert!(
        !table.contains("secret") && !err.contains("secret"),
        "{table}{err}"
    );
    // The request itself still carries them.
    let sent = &server.log_of("/down.xml")[0];
    let auth = sent.headers.get("authorization").map(String::as_str);
    assert_eq!(auth, Some("Basic cmVhZGVyOnNlY3JldA=="));
}

/// Another program's SQLite file given as `database` is refused before anything is written:
/// its bytes stay the same (no `schema_migrations`, no WAL journal mode), for every command.
#[test]
fn a_foreign_sqlite_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("a", "http://127.0.0.1:9/".into())], "");
    let db = dir.path().join("feedmark.db");
    let other = rusqlite::Connection::open(&db).unwrap();
    other
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine');")
        .unwrap();
    drop(other);
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["fetch"][..],
        &["status"],
        &["fetch", "--dry-run"],
        &["run"],
    ] {
        let (ok, _, err) = run(feedmark(&config).args(args));
        assert!(!ok, "{args:?}: {err}");
        let want = format!(
            "database {}: not a feedmark database (it has other tables: notes)",
            db.display()
        );
        assert!(err.contains(&want), "{args:?}: {err}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{args:?} changed the file"
        );
    }
    let names: Vec<String> = rusqlite::Connection::open(&db)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["notes"]);
}

/// Each cause is told once: library errors carry it in their message and do not chain it
/// again as a source (SQLite's was told three times: `X: X: Error code 26: X`).
#[test]
fn an_error_message_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.db"), "not a database ".repeat(100)).unwrap();
    std::fs::write(dir.path().join("plain"), "a file, not a folder").unwrap();
    // status only reads an existing database, so the second case is for fetch alone.
    for (database, commands, cause) in [
        (
            "junk.db",
            &["fetch", "status"][..],
            "file is not a database",
        ),
        ("plain/sub/feedmark.db", &["fetch"], "Not a directory"),
    ] {
        let mut site = SiteConfig::new();
        site.set("database", database);
        let config = site.write(dir.path());
        for command in commands {
            let (ok, _, err) = run(feedmark(&config).arg(command));
            assert!(!ok, "{command} {database}");
            assert_eq!(err.matches(cause).count(), 1, "{command}: {err}");
            assert!(!err.contains("Error code"), "{command}: {err}");
        }
    }
}

/// A database from a newer feedmark (a higher migration recorded, or only a higher
/// `user_version`) makes `status` fail with the schema error, as `fetch` does.
#[test]
fn status_on_a_newer_schema_fails() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("a", "http://127.0.0.1:9/".into())], "");
    run(feedmark(&config).arg("fetch"));
    let db = dir.path().join("feedmark.db");
    let (ok, _, err) = run(feedmark(&config).arg("status"));
    assert!(ok, "a current database: {err}");
    for bump in [
        "INSERT INTO schema_migrations VALUES (99, '0099_future', 0)",
        "DELETE FROM schema_migrations WHERE version = 99; PRAGMA user_version = 99",
    ] {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(bump)
            .unwrap();
        for command in ["status", "fetch"] {
            let (ok, _, err) = run(feedmark(&config).arg(command));
            assert!(!ok, "{bump}: {command} succeeded");
            let want = format!(
                "database {}: schema version 99 is newer than this feedmark knows",
                db.display()
            );
            assert!(err.contains(&want), "{bump}: {command}: {err}");
        }
    }
}
