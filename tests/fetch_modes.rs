//! `fetch --dry-run`, `fetch --catch-up` and per-feed filters, run through the real binary.

mod common;

use common::{HEGSETH, PENTAGON, SENATE, TestSite, db_count, posts, run, thehill_server};

/// A site serving The Hill fixtures, with the feeds `(name, path)` configured.
fn thehill(feeds: &[(&str, &str)]) -> TestSite {
    let mut site = TestSite::with_server(thehill_server());
    for (name, path) in feeds {
        site.feed(name, path);
    }
    site
}

/// A TOML value written as TOML (arrays of filter rules).
fn toml(text: &str) -> toml_edit::Value {
    text.parse().unwrap()
}

const BOTH: [(&str, &str); 2] = [
    ("thehill", "/policy/defense/feed/"),
    ("thehill-news", "/homenews/feed/"),
];

#[test]
fn dry_run_shows_the_files_and_changes_nothing() {
    let site = thehill(&BOTH);
    let (server, dir) = (&site.server, &site.dir);
    let db = site.db();

    // On a fresh install: no database, no output folder is created.
    let dry = site.fetch(&["--dry-run"]);
    let summary = dry.ok_summary();
    assert!(summary.dry_run, "{dry}");
    assert_eq!(summary.counts(), (2, 0, 3, 3), "{dry}");
    let out = &dry.stdout;
    assert!(out.contains("nothing was stored or written"), "{out}");
    let listed: Vec<&str> = out.lines().filter(|l| l.starts_with("new\t")).collect();
    assert_eq!(listed.len(), 3, "{out}");
    assert!(
        listed.iter().any(
            |l| l.contains("\tthehill\trule:thehill\tthehill/2025/02/hegseth-")
                && l.ends_with("Hegseth: ‘No betrayal’ in US position on Russia, Ukraine")
        ),
        "{out}"
    );
    assert_eq!(
        server.hits(HEGSETH),
        1,
        "pages are downloaded and extracted"
    );
    assert!(!db.exists(), "no database was created");
    assert!(!dir.path().join("posts").exists(), "no output folder");

    // After a real fetch, a dry run sees nothing new and leaves the database as it was.
    let fetched = site.fetch(&[]);
    assert!(fetched.ok, "{fetched}");
    let before = std::fs::read(&db).unwrap();
    let files = posts(&dir.path().join("posts"));
    let dry = site.fetch(&["--dry-run"]);
    let summary = dry.ok_summary();
    assert!(summary.dry_run, "{dry}");
    assert_eq!(
        (summary.new_articles, summary.files_written),
        (0, 0),
        "{dry}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "database untouched");
    assert_eq!(posts(&dir.path().join("posts")), files);

    // A new item shows up in a dry run, then still counts as new in the real fetch.
    let rss = std::fs::read_to_string(common::fixture("thehill/defense-feed.xml"))
        .unwrap()
        .replace("{BASE}", &server.base)
        .replacen("<item>", &extra_item(&server.base), 1);
    server.route(
        "/policy/defense/feed/",
        common::Route::ok("application/rss+xml", rss),
    );
    let dry = site.fetch(&["--dry-run"]);
    assert_eq!(dry.ok_summary().new_articles, 1, "{dry}");
    assert!(dry.stdout.contains("Drone budget doubles"), "{dry}");
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.new_articles, summary.files_written),
        (1, 1),
        "{fetched}"
    );
}

/// An item dated 2025-02-15 whose page is not served (the feed text is used).
fn extra_item(base: &str) -> String {
    format!(
        "<item><title>Drone budget doubles</title><link>{base}/policy/defense/drones/</link>\
         <pubDate>Sat, 15 Feb 2025 08:00:00 +0000</pubDate><category>Defense</category>\
         <description>The drone budget doubles next year.</description></item><item>"
    )
}

#[test]
fn catch_up_remembers_items_without_pages_or_files_and_export_skips_them() {
    let site = thehill(&BOTH);
    let (server, dir) = (&site.server, &site.dir);
    let db = site.db();
    let caught = site.fetch(&["--catch-up"]);
    let summary = caught.ok_summary();
    assert_eq!(
        (
            summary.new_articles,
            summary.files_written,
            summary.updated_articles,
            summary.caught_up
        ),
        (0, 0, 0, 3),
        "{caught}"
    );
    for page in [HEGSETH, PENTAGON, SENATE] {
        assert_eq!(server.hits(page), 0, "{page} was not downloaded");
    }
    assert!(posts(&dir.path().join("posts")).is_empty());
    assert_eq!(
        db_count(
            &db,
            "SELECT COUNT(*) FROM articles WHERE extraction_method = 'catch-up'"
        ),
        3
    );

    // Later polls skip them, even when one changed in its feed; a new item is fetched as usual.
    let rss = std::fs::read_to_string(common::fixture("thehill/defense-feed.xml"))
        .unwrap()
        .replace("{BASE}", &server.base)
        .replace(
            "&#8216;No betrayal&#8217;",
            "&#8216;No betrayal&#8217; (updated)",
        )
        .replacen("<item>", &extra_item(&server.base), 1);
    server.route(
        "/policy/defense/feed/",
        common::Route::ok("application/rss+xml", rss),
    );
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (
            summary.new_articles,
            summary.files_written,
            summary.updated_articles
        ),
        (1, 1, 0),
        "{fetched}"
    );
    assert_eq!(server.hits(HEGSETH), 0);
    assert_eq!(posts(&dir.path().join("posts")).len(), 1);

    // export writes what fetch wrote: the caught-up items have no file there either.
    let out_dir = dir.path().join("export");
    let (ok, out, err) = run(site.cmd().args(["export", "--out"]).arg(&out_dir));
    assert!(ok, "{out}{err}");
    let exported = posts(&out_dir);
    assert_eq!(exported.len(), 1, "{exported:?}");
    assert!(
        exported[0]
            .to_string_lossy()
            .contains("drone-budget-doubles")
    );
}

#[test]
fn dry_run_and_catch_up_exclude_each_other() {
    let run = TestSite::new().fetch(&["--dry-run", "--catch-up"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("cannot be used with"), "{run}");
}

#[test]
fn keep_and_block_rules_choose_the_items() {
    let mut site = thehill(&[
        ("thehill", "/policy/defense/feed/"),
        ("news", "/homenews/feed/"),
    ]);
    site.config
        .feed_key("thehill", "block", toml(r#"[{ title = "(?i)pentagon" }]"#))
        .feed_key(
            "news",
            "keep",
            toml(r#"[{ url = "/homenews/", title = "(?i)senate" }]"#),
        );
    let (server, dir) = (&site.server, &site.dir);
    let fetched = site.fetch(&[]);
    // thehill: Hegseth kept, Pentagon blocked. news: Senate kept, Hegseth is not under
    // /homenews/ (so news does not count as one of its sources).
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.new_articles, summary.filtered),
        (2, 2),
        "{fetched}"
    );
    assert_eq!(server.hits(PENTAGON), 0, "a blocked item is not downloaded");
    let files = posts(&dir.path().join("posts"));
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("thehill/2025/02/hegseth"))
    );
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("news/2025/02/senate"))
    );
    let links = db_count(
        &dir.path().join("feedmark.db"),
        "SELECT COUNT(*) FROM feed_articles",
    );
    assert_eq!(links, 2);
}

#[test]
fn max_age_applies_to_the_first_poll_only() {
    let mut site = thehill(&[("thehill", "/policy/defense/feed/")]);
    site.config.feed_key("thehill", "max_age", "30d");
    let server = &site.server;
    // The fixture items are from February 2025: too old for a first poll.
    let first = site.fetch(&[]);
    let summary = first.ok_summary();
    assert_eq!((summary.new_articles, summary.caught_up), (0, 2), "{first}");
    assert_eq!(server.hits(HEGSETH), 0);
    // Afterwards every new item is accepted, however old: an archive keeps what it is given.
    let rss = std::fs::read_to_string(common::fixture("thehill/defense-feed.xml"))
        .unwrap()
        .replace("{BASE}", &server.base)
        .replacen("<item>", &extra_item(&server.base), 1);
    server.route(
        "/policy/defense/feed/",
        common::Route::ok("application/rss+xml", rss),
    );
    let fetched = site.fetch(&[]);
    let summary = fetched.ok_summary();
    assert_eq!(
        (summary.new_articles, summary.files_written),
        (1, 1),
        "{fetched}"
    );
}

#[test]
fn a_bad_filter_is_a_config_error_naming_feed_and_rule() {
    let mut site = TestSite::new();
    site.feed("thehill", "http://127.0.0.1:9/feed");
    site.config
        .feed_key("thehill", "block", toml(r#"[{ title = "(unclosed" }]"#));
    let run = site.fetch(&[]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("feed `thehill`: block[0]: title `(unclosed`"),
        "{run}"
    );
    assert!(!site.db().exists());
}
