//! End-to-end runs of `feedmark export` (and of updates) against files `fetch` really wrote.

mod common;

use common::{Route, Server, TestSite, fixture, posts, run};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const HEGSETH: &str = "/policy/defense/5143068-hegseth-us-ukraine-russia/";
const PENTAGON: &str =
    "/policy/defense/5143001-pentagon-readiness-review/?utm_source=rss&utm_medium=feed";
const SENATE: &str = "/homenews/senate/5142999-senate-stopgap-funding/";
const DEFENSE_FEED: &str = "/policy/defense/feed/";
const NEWS_FEED: &str = "/homenews/feed/";

fn feed_text(server: &Server, file: &str) -> String {
    std::fs::read_to_string(fixture(file))
        .unwrap()
        .replace("{BASE}", &server.base)
}

/// The Hill-style fixtures: two section feeds sharing one story, three article pages.
fn thehill() -> Server {
    let server = Server::start();
    let rss = "application/rss+xml; charset=UTF-8";
    server.route(
        DEFENSE_FEED,
        Route::ok(rss, feed_text(&server, "thehill/defense-feed.xml")),
    );
    server.route(
        NEWS_FEED,
        Route::ok(rss, feed_text(&server, "thehill/news-feed.xml")),
    );
    let page = "text/html; charset=UTF-8";
    for (path, file) in [
        (HEGSETH, "thehill/hegseth.html"),
        (PENTAGON, "thehill/pentagon.html"),
        (SENATE, "thehill/senate.html"),
    ] {
        server.route(path, Route::ok(page, std::fs::read(fixture(file)).unwrap()));
    }
    server
}

/// A site on `server` with both section feeds configured.
fn both_feeds(server: &Server) -> TestSite {
    let mut site = TestSite::with_server(server.clone());
    site.feed("thehill", DEFENSE_FEED)
        .feed("thehill-news", NEWS_FEED);
    site
}

fn mtimes(root: &Path) -> Vec<std::time::SystemTime> {
    posts(root)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect()
}

#[test]
fn export_writes_the_bytes_fetch_wrote_and_is_idempotent() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    let (ok, out, err) = run(site.cmd().arg("fetch"));
    assert!(ok, "{out}{err}");
    let fetched = common::tree(&dir.path().join("posts"));
    assert_eq!(fetched.len(), 3, "{:?}", fetched.keys());
    assert!(
        fetched
            .keys()
            .all(|k| k.starts_with("thehill/2025/02/") || k.starts_with("thehill-news/2025/02/")),
        "default layout {{feed}}/{{yyyy}}/{{mm}}/{{slug}}.md: {:?}",
        fetched.keys()
    );

    let requests = server.requests().len();
    let out_dir = dir.path().join("exported");
    let (ok, out, err) = run(site.cmd().arg("export").arg("--out").arg(&out_dir));
    assert!(ok, "{out}{err}");
    assert_eq!(
        out.trim(),
        "exported articles: 3; files written: 3; unchanged: 0"
    );
    assert_eq!(server.requests().len(), requests, "export used no network");
    let exported = common::tree(&out_dir);
    assert_eq!(
        exported.keys().collect::<Vec<_>>(),
        fetched.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &fetched {
        assert!(exported[path] == *bytes, "{path} differs from fetch's file");
    }

    // A second export finds every file as it should be and touches none.
    let before = mtimes(&out_dir);
    let (ok, out, _) = run(site.cmd().arg("export").arg("--out").arg(&out_dir));
    assert!(ok);
    assert_eq!(
        out.trim(),
        "exported articles: 3; files written: 0; unchanged: 3; nothing changed"
    );
    assert_eq!(mtimes(&out_dir), before);

    // A damaged file and a leftover temporary file are repaired, and only they.
    let (victim, _) = exported.iter().next().unwrap();
    std::fs::write(out_dir.join(victim), "damaged").unwrap();
    // A leftover of the older, ownerless name format is removed once it is an hour old.
    let leftover = std::fs::File::create(out_dir.join("thehill/.feedmark-x.tmp")).unwrap();
    leftover
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 60 * 60))
        .unwrap();
    let (ok, out, _) = run(site.cmd().arg("export").arg("--out").arg(&out_dir));
    assert!(ok);
    assert_eq!(
        out.trim(),
        "exported articles: 3; files written: 1; unchanged: 2"
    );
    assert_eq!(common::tree(&out_dir), fetched);
}

#[test]
fn archive_holds_the_same_tree_and_is_reproducible() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let archive = dir.path().join("out/site.tar.gz");
    let (ok, out, err) = run(site.cmd().arg("export").arg("--archive").arg(&archive));
    assert!(ok, "{out}{err}");
    assert_eq!(out.trim(), "exported articles: 3; archive written");
    let first = std::fs::read(&archive).unwrap();

    let mut entries = BTreeMap::new();
    let gz = flate2::read::GzDecoder::new(&first[..]);
    for entry in tar::Archive::new(gz).entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if entry.header().entry_type().is_file() {
            assert_eq!(entry.header().mode().unwrap(), 0o644);
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
            entries.insert(path, bytes);
        }
    }
    assert_eq!(entries, common::tree(&dir.path().join("posts")));

    let (ok, out, _) = run(site.cmd().arg("export").arg("--archive").arg(&archive));
    assert!(ok);
    assert_eq!(
        out.trim(),
        "exported articles: 3; archive unchanged; nothing changed"
    );
    assert_eq!(std::fs::read(&archive).unwrap(), first);
    let names: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
    assert_eq!(
        names.len(),
        1,
        "no temporary file is left beside the archive"
    );
}

#[test]
fn feed_and_date_filters() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let all = common::tree(&dir.path().join("posts"));
    let export = |args: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let (ok, stdout, err) = run(site
            .cmd()
            .arg("export")
            .arg("--out")
            .arg(out.path())
            .args(args));
        assert!(ok, "{args:?}: {stdout}{err}");
        let got = common::tree(out.path());
        for (path, bytes) in &got {
            assert_eq!(&all[path], bytes, "{path}");
        }
        got.into_keys()
            .map(|k| k.rsplit('/').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // The news feed carried the Senate story and the shared Hegseth story.
    let news = export(&["--feed", "thehill-news"]);
    assert_eq!(news.len(), 2, "{news:?}");
    assert!(
        news.iter().any(|n| n.starts_with("hegseth"))
            && news.iter().any(|n| n.starts_with("senate"))
    );
    // Hegseth: 2025-02-14 00:31:02; Pentagon: 2025-02-13 22:10:00.
    let from_14 = export(&["--since", "2025-02-14"]);
    assert!(
        from_14.iter().all(|n| !n.starts_with("pentagon")),
        "{from_14:?}"
    );
    assert!(from_14.iter().any(|n| n.starts_with("hegseth")));
    let until_13 = export(&["--until", "2025-02-13"]);
    assert!(
        until_13.iter().any(|n| n.starts_with("pentagon")),
        "{until_13:?}"
    );
    assert!(until_13.iter().all(|n| !n.starts_with("hegseth")));
    let exact = export(&[
        "--since",
        "2025-02-14 00:31:02",
        "--until",
        "2025-02-14T00:31:02Z",
    ]);
    assert_eq!(exact.len(), 1);
    assert_eq!(export(&[]).len(), 3);

    let (ok, _, err) = run(site.cmd().args(["export", "--out", "x", "--feed", "nope"]));
    assert!(!ok && err.contains("no feed named `nope`"), "{err}");
    let (ok, _, err) = run(site
        .cmd()
        .args(["export", "--out", "x", "--since", "yesterday"]));
    assert!(
        !ok && err.contains("--since") && err.contains("yesterday"),
        "{err}"
    );
    let (ok, _, err) = run(site.cmd().args(["export"]));
    assert!(!ok && err.contains("--out"), "{err}");
}

#[test]
fn export_without_a_database_says_so_and_creates_nothing() {
    let site = TestSite::new();
    let dir = &site.dir;
    let (ok, _, err) = run(site.cmd().args(["export", "--out", "o"]));
    assert!(!ok);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.path().join("feedmark.db").exists());
}

#[test]
fn templates_that_could_escape_are_refused_before_anything_runs() {
    let server = thehill();
    let mut site = both_feeds(&server);
    for template in [
        "../{slug}.md",
        "/tmp/{slug}.md",
        "{feed}/../../{name}.md",
        "{feed}/{yyyy}.md",
    ] {
        site.config.set("path_template", template);
        let (ok, _, err) = run(site.cmd().arg("fetch"));
        assert!(!ok, "{template}");
        assert!(
            err.contains("path_template") && err.contains(template),
            "{err}"
        );
        let (ok, _, err) = run(site.cmd().args(["export", "--out", "o"]));
        assert!(!ok && err.contains("path_template"), "{err}");
    }
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn a_custom_layout_is_followed_by_fetch_and_export_alike() {
    let server = thehill();
    let mut site = both_feeds(&server);
    let dir = &site.dir;
    site.config.set("path_template", "{name}.md");
    assert!(run(site.cmd().arg("fetch")).0);
    let fetched = common::tree(&dir.path().join("posts"));
    assert!(
        fetched
            .keys()
            .all(|k| !k.contains('/') && k.starts_with("2025-02-1")),
        "{fetched:?}"
    );
    let out = dir.path().join("flat");
    assert!(run(site.cmd().arg("export").arg("--out").arg(&out)).0);
    assert_eq!(common::tree(&out), fetched);
}

/// The Hegseth story as changed by its publisher: new title, new last paragraph.
fn change_hegseth(server: &Server) {
    let feed = feed_text(server, "thehill/defense-feed.xml").replace(
        "in US position on Russia, Ukraine",
        "in US position on Russia and Ukraine",
    );
    server.route(
        DEFENSE_FEED,
        Route::ok("application/rss+xml; charset=UTF-8", feed),
    );
    let page = std::fs::read_to_string(fixture("thehill/hegseth.html"))
        .unwrap()
        .replace(
            "a realistic outcome of a negotiated settlement.",
            "a realistic outcome, he repeated on Friday.",
        );
    server.route(HEGSETH, Route::ok("text/html; charset=UTF-8", page));
}

fn hegseth_file(root: &Path) -> std::path::PathBuf {
    posts(root)
        .into_iter()
        .find(|p| p.to_string_lossy().contains("/hegseth-"))
        .expect("the Hegseth file")
}

#[test]
fn a_changed_item_rewrites_its_file_in_place_with_lastmod() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let posts_dir = dir.path().join("posts");
    let path = hegseth_file(&posts_dir);
    let before = std::fs::read_to_string(&path).unwrap();
    assert!(!before.contains("lastmod"));

    change_hegseth(&server);
    let started = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let fetched = site.fetch(&[]);
    let ended = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let summary = fetched.ok_summary();
    assert_eq!(
        (
            summary.new_articles,
            summary.files_written,
            summary.updated_articles
        ),
        (0, 1, 1),
        "{fetched}"
    );
    assert_eq!(
        server.hits(HEGSETH),
        2,
        "the changed item's page was read again"
    );
    assert_eq!(server.hits(SENATE), 1, "unchanged items cost no download");
    assert_eq!(hegseth_file(&posts_dir), path, "same file name");
    assert_eq!(posts(&posts_dir).len(), 3);
    let after = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(
        lines[1],
        "title: \"Hegseth: ‘No betrayal’ in US position on Russia and Ukraine\""
    );
    assert_eq!(lines[2], "date: \"2025-02-14 00:31:02\"", "date unchanged");
    // The item's <dcterms:modified> is its update time (read since issue 18; feed-rs alone
    // dropped it, and lastmod was then the time the change was seen).
    let lastmod = lines[3]
        .strip_prefix("lastmod: \"")
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{after}"));
    assert_eq!(lastmod, "2025-02-14 00:40:11");
    assert!(started.as_str() > lastmod && ended.as_str() > lastmod);
    assert!(after.contains("he repeated on Friday."), "{after}");
    // The rest of the front matter keeps its order: lastmod is the one added line.
    assert_eq!(before.lines().nth(4), after.lines().nth(5));

    // Nothing changes on the next poll; export reproduces the updated file exactly.
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.files_written, summary.updated_articles),
        (0, 0),
        "{fetched}"
    );
    assert_eq!(server.hits(HEGSETH), 2);
    let out_dir = dir.path().join("exported");
    assert!(run(site.cmd().arg("export").arg("--out").arg(&out_dir)).0);
    assert_eq!(common::tree(&out_dir), common::tree(&posts_dir));
}

#[test]
fn keep_policy_leaves_stored_articles_alone() {
    let server = thehill();
    let mut site = both_feeds(&server);
    let dir = &site.dir;
    site.config.set("update", "keep");
    assert!(run(site.cmd().arg("fetch")).0);
    let before = common::tree(&dir.path().join("posts"));
    change_hegseth(&server);
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.files_written, summary.updated_articles),
        (0, 0),
        "{fetched}"
    );
    assert_eq!(server.hits(HEGSETH), 1, "no page download under `keep`");
    assert_eq!(common::tree(&dir.path().join("posts")), before);
}

#[test]
fn a_changed_item_whose_page_is_down_keeps_its_full_text() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let before = common::tree(&dir.path().join("posts"));
    change_hegseth(&server);
    server.route(HEGSETH, Route::status(503));
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().updated_articles, 0, "{fetched}");
    assert!(
        fetched.stderr.contains("keeping the stored text"),
        "{fetched}"
    );
    assert_eq!(common::tree(&dir.path().join("posts")), before);
}

#[test]
fn articles_stored_before_item_hashes_are_not_rewritten_on_upgrade() {
    let server = thehill();
    let site = both_feeds(&server);
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let db = dir.path().join("feedmark.db");
    // What a database written by schema version 1 looks like after migration 0002.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE articles SET item_hash = NULL", [])
        .unwrap();
    let before = common::tree(&dir.path().join("posts"));
    change_hegseth(&server);
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.files_written, summary.updated_articles),
        (0, 0),
        "{fetched}"
    );
    assert_eq!(server.hits(HEGSETH), 1);
    assert_eq!(common::tree(&dir.path().join("posts")), before);
    let missing: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM articles WHERE item_hash IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0, "each article's own feed recorded its item hash");
}

fn atom(server: &Server, updated: &str, content: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id><updated>{updated}</updated>\
         <entry><title>Atom story</title><id>urn:a:1</id><link href=\"{}\"/><published>2025-01-10T08:00:00Z</published><updated>{updated}</updated><content type=\"html\">{content}</content></entry></feed>",
        server.url("/gone/")
    )
}

#[test]
fn an_atom_update_time_becomes_lastmod() {
    let server = Server::start();
    let kind = "application/atom+xml";
    server.route(
        "/atom/",
        Route::ok(
            kind,
            atom(
                &server,
                "2025-01-10T08:00:00Z",
                "&lt;p&gt;First version.&lt;/p&gt;",
            ),
        ),
    );
    let mut site = TestSite::with_server(server.clone());
    site.feed("atomfeed", "/atom/");
    let dir = &site.dir;
    assert!(run(site.cmd().arg("fetch")).0);
    let posts_dir = dir.path().join("posts");
    let files = posts(&posts_dir);
    assert_eq!(files.len(), 1);
    server.route(
        "/atom/",
        Route::ok(
            kind,
            atom(
                &server,
                "2025-01-12T09:30:00Z",
                "&lt;p&gt;Second version.&lt;/p&gt;",
            ),
        ),
    );
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().updated_articles, 1, "{fetched}");
    assert_eq!(posts(&posts_dir), files, "same file");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        text.contains("\ndate: \"2025-01-10 08:00:00\"\nlastmod: \"2025-01-12 09:30:00\"\n"),
        "{text}"
    );
    assert!(text.contains("\n\nSecond version.\n\n"), "{text}");
}
