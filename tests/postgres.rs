//! feedmark on a real PostgreSQL server: migrate-db, several workers, leases (issue 22).
//!
//! `FEEDMARK_POSTGRES` names a server and a database the tests may connect to as a user
//! allowed to create databases (`.ci/run` starts a throwaway one), e.g.
//! `postgresql:///postgres?host=/tmp/pg&user=postgres`. Each test makes a database of its
//! own. Without the variable each test passes and prints `SKIPPED`; with `CI` set it fails.

mod common;

use std::path::Path;

use common::optional;
use common::{SiteConfig, feedmark_cmd, run, thehill_server, tree};

/// A fresh, empty database on the configured server for `test`, as a URL; `None` (after a
/// loud skip) when no server is configured.
fn database(test: &str) -> Option<String> {
    let Some(base) = std::env::var("FEEDMARK_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            !optional::required(),
            "{test}: CI is set but FEEDMARK_POSTGRES is not (.ci/run starts a server and sets it)"
        );
        optional::skipped(
            test,
            "no PostgreSQL server (set FEEDMARK_POSTGRES=postgresql:///postgres?host=SOCKET_DIR&user=USER); \
             CI=true makes this a failure",
        );
        return None;
    };
    let name = format!("feedmark_{}_{}", test, std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// One number from the PostgreSQL database at `url`.
fn pg_count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn export(config: &Path, out: &Path) {
    let (ok, _, err) = run(feedmark_cmd(config).arg("export").arg("--out").arg(out));
    assert!(ok, "export failed: {err}");
}

#[test]
fn export_from_postgres_equals_export_from_sqlite_after_migrate_db() {
    let Some(url) = database("migrate_db") else {
        return;
    };
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let mut config = SiteConfig::new();
    config
        .set("keep_pages_days", 30)
        .feed("defense", server.url("/policy/defense/feed/"))
        .feed("news", server.url("/homenews/feed/"));
    let path = config.write(dir.path());
    let (ok, out, err) = run(feedmark_cmd(&path).arg("fetch"));
    assert!(ok, "{out}{err}");
    let sqlite_tree = dir.path().join("from-sqlite");
    export(&path, &sqlite_tree);
    assert!(!tree(&sqlite_tree).is_empty());

    let (ok, out, err) = run(feedmark_cmd(&path).args(["migrate-db", "--to", &url]));
    assert!(ok, "migrate-db failed: {out}{err}");
    assert!(out.contains("articles: 3 rows"), "{out}");
    // A second copy into the same database is refused: it is no longer empty.
    let (ok, _, err) = run(feedmark_cmd(&path).args(["migrate-db", "--to", &url]));
    assert!(!ok && err.contains("empty"), "{err}");

    config.set("database", url.as_str());
    let path = config.write(dir.path());
    let pg_tree = dir.path().join("from-postgres");
    export(&path, &pg_tree);
    assert_eq!(tree(&pg_tree), tree(&sqlite_tree), "byte-identical trees");
    // The copied feed state is used: a second poll finds nothing new and makes no new row.
    let (ok, out, err) = run(feedmark_cmd(&path).arg("fetch"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("new articles: 0"), "{out}");
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM articles"), 3);
    // New rows get ids past the copied ones.
    let next: i64 = pg_count(
        &url,
        "SELECT nextval(pg_get_serial_sequence('articles', 'id'))",
    );
    assert!(next > pg_count(&url, "SELECT MAX(id) FROM articles"));
}
