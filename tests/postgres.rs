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

#[path = "postgres/items.rs"]
mod items;
#[path = "postgres/pending.rs"]
mod pending;
use items::serve_items;

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
    let short: String = test.chars().take(40).collect();
    let name = format!("fm_{short}_{}", std::process::id());
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

/// One number from the PostgreSQL database at `url`; -1 while its tables are not made yet
/// (a worker that just started may not have migrated it).
fn pg_count(url: &str, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).map_or(-1, |r| r.get(0))
}

fn export(config: &Path, out: &Path) {
    let (ok, _, err) = run(feedmark_cmd(config).arg("export").arg("--out").arg(out));
    assert!(ok, "export failed: {err}");
}

#[test]
fn export_from_postgres_equals_export_from_sqlite_after_migrate_db() {
    let Some(url) = database("export_from_postgres_equals_export_from_sqlite_after_migrate_db")
    else {
        return;
    };
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let mut config = SiteConfig::new();
    config
        .set("keep_pages_days", 30)
        .feed("defense", server.url("/policy/defense/feed/"))
        .feed("news", server.url("/homenews/feed/"))
        // Schema version 8: two items dated when first seen (one with an unreadable date),
        // one whose categories are its tags.
        .feed("items", server.url("/items/feed/"))
        .feed_key("items", "categories_as_tags", true);
    serve_items(&server, "");
    let path = config.write(dir.path());
    let (ok, out, err) = run(feedmark_cmd(&path).arg("fetch"));
    assert!(ok, "{out}{err}");
    let sqlite_tree = dir.path().join("from-sqlite");
    export(&path, &sqlite_tree);
    let files = tree(&sqlite_tree);
    assert!(
        files
            .values()
            .any(|f| String::from_utf8_lossy(f).contains("National Security")),
        "categories as tags"
    );

    let (ok, out, err) = run(feedmark_cmd(&path).args(["migrate-db", "--to", &url]));
    assert!(ok, "migrate-db failed: {out}{err}");
    assert!(out.contains("articles: 6 rows"), "{out}");
    for (sql, n) in [
        (
            "SELECT COUNT(*) FROM articles WHERE date_source = 'first-seen'",
            2,
        ),
        (
            "SELECT COUNT(*) FROM articles WHERE categories LIKE '%National   Security%'",
            1,
        ),
    ] {
        assert_eq!(pg_count(&url, sql), n, "{sql}");
    }
    // A second copy into the same database is refused: it is no longer empty.
    let (ok, _, err) = run(feedmark_cmd(&path).args(["migrate-db", "--to", &url]));
    assert!(!ok && err.contains("empty"), "{err}");

    config.set("database", url.as_str());
    let path = config.write(dir.path());
    let pg_tree = dir.path().join("from-postgres");
    export(&path, &pg_tree);
    assert_eq!(tree(&pg_tree), files, "byte-identical trees");
    // status reads the undated items from PostgreSQL's partial index as from SQLite's.
    let (ok, out, err) = run(feedmark_cmd(&path).arg("status"));
    assert!(ok, "{out}{err}");
    let items = out.lines().find(|l| l.starts_with("items ")).unwrap_or("");
    let cells: Vec<&str> = items.split_whitespace().rev().take(4).collect();
    assert_eq!(
        cells,
        ["-", "0", "2", "3"],
        "LAST ERROR, PENDING, UNDATED, ARTICLES: {out}"
    );
    // The copied feed state is used: a second poll finds nothing new and makes no new row.
    // Its date for the item first stored undated is recorded beside it, not taken.
    serve_items(
        &server,
        "<pubDate>Sat, 15 Feb 2025 10:00:00 +0000</pubDate>",
    );
    let (ok, out, err) = run(feedmark_cmd(&path).arg("fetch"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("new articles: 0"), "{out}");
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM articles"), 6);
    assert_eq!(
        pg_count(
            &url,
            "SELECT COUNT(*) FROM articles WHERE feed_date_later = 1739613600"
        ),
        1
    );
    // New rows get ids past the copied ones.
    let next: i64 = pg_count(
        &url,
        "SELECT nextval(pg_get_serial_sequence('articles', 'id'))",
    );
    assert!(next > pg_count(&url, "SELECT MAX(id) FROM articles"));
}

/// A `feedmark run` worker, killed (SIGKILL) on drop if still running.
struct Worker {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Worker {
    fn start(config: &Path, scale: Option<f64>) -> Worker {
        let log = config.with_file_name("worker.log");
        let mut cmd = common::feedmark_process(config);
        cmd.arg("run")
            .env("FEEDMARK_LOG", "info")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(scale) = scale {
            cmd.env("FEEDMARK_TIME_SCALE", scale.to_string());
        }
        Worker {
            child: cmd.spawn().unwrap(),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (at most 30 s) for the exit.
    fn stop(&mut self) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid with a valid signal has no memory effects.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0);
        wait_for("the worker to exit", || {
            self.child.try_wait().unwrap().is_some()
        });
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// Polls `cond` every 50 ms for at most 60 s; fails naming `what` otherwise.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A worker's config in `dir`: the shared database, its own output folder, `feeds`
/// (name, URL) on `schedule`, leased `batch` at a time.
fn worker_config(
    dir: &Path,
    url: &str,
    feeds: &[(String, String)],
    schedule: &str,
    batch: i64,
) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut config = SiteConfig::new();
    config
        .set("database", url)
        .set("lease_secs", 2)
        .set("lease_batch", batch)
        .http("timeout_secs", 60)
        .daemon("jitter_secs", 0)
        .daemon("shutdown_grace_secs", 1);
    for (name, feed_url) in feeds {
        config
            .feed(name, feed_url.as_str())
            .feed_key(name, "schedule", schedule);
    }
    config.write(dir)
}

/// The two-worker farm: feeds, and stories across them.
const FEEDS: usize = 10;
const STORIES: usize = 24;

#[test]
fn two_workers_share_the_feeds_and_store_each_story_once() {
    let Some(url) = database("two_workers_share_the_feeds_and_store_each_story_once") else {
        return;
    };
    let server = common::Server::start();
    // Each feed carries six stories, each story two or three feeds: the workers meet the
    // same stories in different feeds at the same moment.
    let mut feeds = Vec::new();
    for i in 0..FEEDS {
        let items: Vec<(String, String)> = (0..6)
            .map(|k| {
                let j = (2 * i + k) % STORIES;
                (j.to_string(), format!("Story {j}"))
            })
            .collect();
        let refs: Vec<(&str, &str)> = items
            .iter()
            .map(|(s, t)| (s.as_str(), t.as_str()))
            .collect();
        let path = format!("/feed{i}");
        server.route(
            &path,
            common::Route::ok("application/rss+xml", common::rss(&server.base, &refs)),
        );
        feeds.push((format!("f{i}"), server.url(&path)));
    }
    for j in 0..STORIES {
        let body = format!(
            "<html><body><article><h1>Story {j}</h1>{}</article></body></html>",
            format!("<p>Paragraph of story {j}, long enough to be the article text. </p>")
                .repeat(6)
        );
        server.route(
            &format!("/a/{j}"),
            common::Route::ok("text/html", body).delayed(std::time::Duration::from_millis(50)),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    // Hourly: the start-up poll is the only one during the test.
    let a = worker_config(&dir.path().join("a"), &url, &feeds, "0 * * * *", 2);
    let b = worker_config(&dir.path().join("b"), &url, &feeds, "0 * * * *", 2);
    let mut first = Worker::start(&a, None);
    let mut second = Worker::start(&b, None);
    wait_for("every feed polled and every story stored", || {
        pg_count(
            &url,
            "SELECT COUNT(*) FROM feeds WHERE last_success_at IS NOT NULL",
        ) == FEEDS as i64
            && pg_count(&url, "SELECT COUNT(*) FROM articles") == STORIES as i64
            && pg_count(
                &url,
                "SELECT COUNT(*) FROM feeds WHERE lease_worker IS NOT NULL",
            ) == 0
    });
    first.stop();
    second.stop();
    let logs = format!("{}\n----\n{}", first.log(), second.log());
    // Both took part: each refused feeds the other held, and stories the other claimed.
    assert!(
        logs.matches("polled by another worker").count() > 0,
        "{logs}"
    );
    for i in 0..FEEDS {
        assert_eq!(
            server.hits(&format!("/feed{i}")),
            1,
            "feed {i} polled once:\n{logs}"
        );
    }
    for j in 0..STORIES {
        assert_eq!(
            server.hits(&format!("/a/{j}")),
            1,
            "page {j} downloaded once:\n{logs}"
        );
    }
    assert_eq!(
        pg_count(&url, "SELECT COUNT(*) FROM articles"),
        STORIES as i64
    );
    assert_eq!(
        pg_count(&url, "SELECT COUNT(DISTINCT file_name) FROM articles"),
        STORIES as i64
    );
    // One file per story, across both workers' folders, each under one name only.
    let files_a = tree(&dir.path().join("a/posts"));
    let files_b = tree(&dir.path().join("b/posts"));
    assert_eq!(files_a.len() + files_b.len(), STORIES, "{logs}");
    assert!(files_a.keys().all(|k| !files_b.contains_key(k)));
    assert_eq!(
        pg_count(&url, "SELECT COUNT(*) FROM claims"),
        0,
        "claims dropped once stored"
    );
    // Both workers signed off; status lists them.
    let (ok, out, err) = run(feedmark_cmd(&a).arg("status"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("workers: 2"), "{out}");
    assert_eq!(out.matches(": stopped, last seen").count(), 2, "{out}");
}

#[test]
fn a_killed_workers_feeds_are_taken_over_when_its_lease_expires() {
    let Some(url) = database("a_killed_workers_feeds_are_taken_over_when_its_lease_expires") else {
        return;
    };
    let server = common::Server::start();
    let mut feeds = Vec::new();
    for i in 0..3 {
        let stories = [
            (format!("{i}-1"), format!("Story {i}-1")),
            (format!("{i}-2"), format!("Story {i}-2")),
        ];
        let refs: Vec<(&str, &str)> = stories
            .iter()
            .map(|(s, t)| (s.as_str(), t.as_str()))
            .collect();
        let rss = common::rss(&server.base, &refs);
        let path = format!("/feed{i}");
        // The first worker's request hangs (it is killed meanwhile); later ones answer.
        server.route_seq(
            &path,
            vec![
                common::Route::ok("application/rss+xml", rss.clone())
                    .delayed(std::time::Duration::from_secs(50)),
                common::Route::ok("application/rss+xml", rss),
            ],
        );
        for (slug, _) in &stories {
            server.route(
                &format!("/a/{slug}"),
                common::Route::ok(
                    "text/html",
                    format!(
                        "<html><body><article><p>{}</p></article></body></html>",
                        "Text of the story, long enough. ".repeat(8)
                    ),
                ),
            );
        }
        feeds.push((format!("f{i}"), server.url(&path)));
    }
    let dir = tempfile::tempdir().unwrap();
    let a = worker_config(&dir.path().join("a"), &url, &feeds, "* * * * *", 10);
    let b = worker_config(&dir.path().join("b"), &url, &feeds, "* * * * *", 10);
    let mut doomed = Worker::start(&a, None);
    wait_for("the first worker to lease and request every feed", || {
        pg_count(
            &url,
            "SELECT COUNT(*) FROM feeds WHERE lease_worker IS NOT NULL",
        ) == 3
            && (0..3).all(|i| server.hits(&format!("/feed{i}")) == 1)
    });
    doomed.child.kill().unwrap(); // SIGKILL: no sign-off, its leases stay behind
    doomed.child.wait().unwrap();
    // A minute of schedule per real second: the survivor asks again every second.
    let mut survivor = Worker::start(&b, Some(60.0));
    wait_for("the survivor to store the dead worker's feeds", || {
        pg_count(&url, "SELECT COUNT(*) FROM articles") == 6
    });
    let (ok, out, err) = run(feedmark_cmd(&b).arg("status"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("lost (not seen within its lease)"), "{out}");
    assert!(out.contains(": running, last seen"), "{out}");
    survivor.stop();
    let log = survivor.log();
    for i in 0..3 {
        assert!(server.hits(&format!("/feed{i}")) >= 2, "{log}");
        for k in 1..=2 {
            assert_eq!(server.hits(&format!("/a/{i}-{k}")), 1, "{log}");
        }
    }
    assert_eq!(tree(&dir.path().join("b/posts")).len(), 6);
}
