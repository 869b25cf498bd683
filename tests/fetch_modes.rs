//! `fetch --dry-run`, `fetch --catch-up` and per-feed filters, run through the real binary.

mod common;

use common::{
    HEGSETH, PENTAGON, SENATE, db_count, feedmark_cmd as feedmark, posts, run, thehill_server,
    write_config,
};

#[test]
fn dry_run_shows_the_files_and_changes_nothing() {
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("thehill", server.url("/policy/defense/feed/")),
        ("thehill-news", server.url("/homenews/feed/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let db = dir.path().join("feedmark.db");

    // On a fresh install: no database, no output folder is created.
    let (ok, out, err) = run(feedmark(&config).args(["fetch", "--dry-run"]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "dry run: feeds: 2 ok, 0 failed; new articles: 3; files that would be written: 3"
        ),
        "{out}"
    );
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
    let (ok, out, err) = run(feedmark(&config).arg("fetch"));
    assert!(ok, "{out}{err}");
    let before = std::fs::read(&db).unwrap();
    let files = posts(&dir.path().join("posts"));
    let (ok, out, err) = run(feedmark(&config).args(["fetch", "--dry-run"]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("new articles: 0; files that would be written: 0"),
        "{out}"
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
    let (ok, out, _) = run(feedmark(&config).args(["fetch", "--dry-run"]));
    assert!(ok);
    assert!(out.contains("new articles: 1;"), "{out}");
    assert!(out.contains("Drone budget doubles"), "{out}");
    let (ok, out, _) = run(feedmark(&config).arg("fetch"));
    assert!(ok);
    assert!(out.contains("new articles: 1; files written: 1"), "{out}");
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
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("thehill", server.url("/policy/defense/feed/")),
        ("thehill-news", server.url("/homenews/feed/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let db = dir.path().join("feedmark.db");
    let (ok, out, err) = run(feedmark(&config).args(["fetch", "--catch-up"]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "new articles: 0; files written: 0; updated articles: 0; caught up (no file): 3"
        ),
        "{out}"
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
    let (ok, out, _) = run(feedmark(&config).arg("fetch"));
    assert!(ok);
    assert!(
        out.contains("new articles: 1; files written: 1; updated articles: 0"),
        "{out}"
    );
    assert_eq!(server.hits(HEGSETH), 0);
    assert_eq!(posts(&dir.path().join("posts")).len(), 1);

    // export writes what fetch wrote: the caught-up items have no file there either.
    let out_dir = dir.path().join("export");
    let (ok, out, err) = run(feedmark(&config).args(["export", "--out"]).arg(&out_dir));
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
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[], "");
    let (ok, _, err) = run(feedmark(&config).args(["fetch", "--dry-run", "--catch-up"]));
    assert!(!ok);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn keep_and_block_rules_choose_the_items() {
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "database = \"feedmark.db\"\noutput_dir = \"posts\"\n[http]\nallow_private_networks = true\nper_host_delay_ms = 0\n\n\
         [[feeds]]\nname = \"thehill\"\nurl = \"{}\"\n\
         block = [{{ title = \"(?i)pentagon\" }}]\n\n\
         [[feeds]]\nname = \"news\"\nurl = \"{}\"\n\
         [[feeds.keep]]\nurl = \"/homenews/\"\ntitle = \"(?i)senate\"\n",
        server.url("/policy/defense/feed/"),
        server.url("/homenews/feed/")
    );
    let config = dir.path().join("feedmark.toml");
    std::fs::write(&config, text).unwrap();
    let (ok, out, err) = run(feedmark(&config).arg("fetch"));
    assert!(ok, "{out}{err}");
    // thehill: Hegseth kept, Pentagon blocked. news: Senate kept, Hegseth is not under
    // /homenews/ (so news does not count as one of its sources).
    assert!(out.contains("new articles: 2;"), "{out}");
    assert!(out.contains("filtered out: 2"), "{out}");
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
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("lang = \"en\"\n", "lang = \"en\"\nmax_age = \"30d\"\n");
    std::fs::write(&config, text).unwrap();
    // The fixture items are from February 2025: too old for a first poll.
    let (ok, out, err) = run(feedmark(&config).arg("fetch"));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("new articles: 0;") && out.contains("caught up (no file): 2"),
        "{out}"
    );
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
    let (ok, out, _) = run(feedmark(&config).arg("fetch"));
    assert!(ok);
    assert!(out.contains("new articles: 1; files written: 1"), "{out}");
}

#[test]
fn a_bad_filter_is_a_config_error_naming_feed_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", "http://127.0.0.1:9/feed".to_string())],
        "[[feeds.block]]\ntitle = \"(unclosed\"\n",
    );
    let (ok, _, err) = run(feedmark(&config).arg("fetch"));
    assert!(!ok);
    assert!(
        err.contains("feed `thehill`: block[0]: title `(unclosed`"),
        "{err}"
    );
    assert!(!dir.path().join("feedmark.db").exists());
}
