//! What feedmark tells a newcomer: log levels, empty and unknown feeds, offline hints,
//! broken XML, empty extractions, man pages and `status --check` (issue 21).

mod common;

use common::{Route, TestSite, rss};

const RSS: &str = "application/rss+xml";

/// A site with one feed `a` of one article.
fn one_article_site() -> TestSite {
    let mut site = TestSite::new();
    let base = site.server.base.clone();
    site.server
        .route("/feed", Route::ok(RSS, rss(&base, &[("one", "One")])));
    let para = "<p>One has a paragraph long enough to be the article's text, and more.</p>";
    // The advert is pruned, which feedmark logs at debug.
    let body = format!("{para}{para}{para}<p>Advert</p>{para}{para}");
    site.server.route(
        "/a/one",
        Route::ok(
            "text/html",
            format!("<html><body><article>{body}</article></body></html>"),
        ),
    );
    site.feed("a", "/feed");
    site
}

#[test]
fn feedmark_log_debug_is_feedmarks_debug_not_html5evers() {
    let site = one_article_site();
    // Naming a crate still turns it up (a dry run, so the real fetch below has work).
    let out = site
        .cmd()
        .args(["fetch", "--dry-run"])
        .env("FEEDMARK_LOG", "debug,html5ever=trace")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("processing Tag"), "html5ever named: {err}");
    let out = site
        .cmd()
        .arg("fetch")
        .env("FEEDMARK_LOG", "debug")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("DEBUG") && err.contains("pruned"),
        "feedmark's debug lines are shown: {err}"
    );
    assert!(
        !err.contains("processing Tag"),
        "html5ever's token lines are not"
    );
}

#[test]
fn fetch_without_feeds_says_so_and_fails() {
    let site = TestSite::new();
    let run = site.fetch(&[]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("no feeds configured") && run.stderr.contains("feeds add"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "no all-zero summary: {run}");
}

#[test]
fn an_unknown_feed_names_the_file_lists_the_feeds_and_suggests_the_nearest() {
    let mut site = TestSite::new();
    site.feed("thehill-news", "/news").feed("bbc", "/bbc");
    let config = site.write();
    let run = site.fetch(&["--feed", "thehill-new"]);
    assert_eq!(run.code, Some(2), "{run}");
    for part in [
        format!("config {}:", config.display()),
        "no feed named `thehill-new`".into(),
        "did you mean `thehill-news`?".into(),
        "Configured feeds: thehill-news, bbc".into(),
    ] {
        assert!(run.stderr.contains(&part), "{part}: {run}");
    }
    let run = site.fetch(&["--feed", "nytimes"]);
    assert!(
        !run.stderr.contains("did you mean"),
        "no far-fetched guess: {run}"
    );
}

/// A 127.0.0.1 URL nobody listens on: the port of a listener just closed.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/feed")
}

#[test]
fn when_no_feed_can_be_reached_the_summary_suggests_the_offline_try_out() {
    let mut site = TestSite::new();
    let closed = closed_port_url();
    site.feed("a", &closed).feed("b", &closed);
    let run = site.fetch(&[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(run.summary().counts().1, 2, "{run}");
    assert!(run.stderr.contains("Offline try-out"), "{run}");

    // One feed that answered, even with an error, means the network is there.
    site.feed("c", "/missing");
    let run = site.fetch(&[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(!run.stderr.contains("Offline try-out"), "{run}");
}

#[test]
fn a_broken_xml_feed_is_reported_as_xml() {
    let mut site = TestSite::new();
    site.server.route(
        "/feed.xml",
        Route::ok("application/xml", "<?xml version=\"1.0\"?>\n{oops"),
    );
    site.feed("x", "/feed.xml");
    let run = site.fetch(&[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("unable to parse XML"), "{run}");
    assert!(!run.stderr.contains("JSON"), "{run}");
}

#[test]
fn extract_that_finds_no_article_says_so_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("empty.html");
    std::fs::write(&page, "<html><body><nav>Home</nav></body></html>").unwrap();
    let out = common::feedmark_bare()
        .current_dir(dir.path())
        .args(["extract", "--url", "https://example.org/a", "--html"])
        .arg(&page)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("no article found"), "{err}");
}

#[test]
fn man_pages_cover_nested_commands_and_the_main_page_has_files_environment_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man");
    let out = common::feedmark_bare()
        .args(["man", "--out"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(out.status.success());
    for name in [
        "feedmark-feeds-add",
        "feedmark-feeds-list",
        "feedmark-feeds-test",
    ] {
        assert!(pages.join(format!("{name}.1")).exists(), "{name}.1");
    }
    // Every page another page refers to (`feedmark\-x(1)`) was written.
    for entry in std::fs::read_dir(&pages).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text
            .lines()
            .filter(|l| l.starts_with("feedmark\\-") && l.ends_with("(1)"))
        {
            let name = line.trim_end_matches("(1)").replace("\\-", "-");
            if !name.ends_with("-help") {
                assert!(pages.join(format!("{name}.1")).exists(), "{name}.1");
            }
        }
    }
    let main = std::fs::read_to_string(pages.join("feedmark.1")).unwrap();
    for section in [
        ".SH FILES",
        ".SH ENVIRONMENT",
        ".SH \"EXIT STATUS\"",
        ".SH VERSION",
    ] {
        assert!(main.contains(section), "{section}: {main}");
    }
    assert!(main.contains("FEEDMARK_LOG") && main.contains("FEEDMARK_CONFIG"));
}

#[test]
fn status_names_the_database_holder_and_check_fails_on_a_failing_feed() {
    let mut site = one_article_site();
    assert!(site.fetch(&[]).ok);
    let run = site.run(&["status", "--check"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("not held"), "{run}");

    let held = feedmark::lock::DbLock::acquire(&site.db()).unwrap();
    let run = site.run(&["status"]);
    let pid = std::process::id();
    assert!(
        run.stdout
            .contains(&format!("held by feedmark process {pid}")),
        "{run}"
    );
    drop(held);

    site.feed("down", "/down");
    site.server.route("/down", Route::status(500));
    assert_eq!(site.fetch(&[]).code, Some(1));
    for args in [&["status"][..], &["status", "--json"]] {
        assert_eq!(site.run(args).code, Some(0), "without --check: {args:?}");
    }
    for args in [&["status", "--check"][..], &["status", "--check", "--json"]] {
        let run = site.run(args);
        assert_eq!(run.code, Some(1), "{args:?}: {run}");
        assert!(run.stdout.contains("down"), "still printed: {run}");
    }
}
