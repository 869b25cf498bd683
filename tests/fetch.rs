//! End-to-end runs of the real `feedmark fetch` binary against a server on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{HEGSETH, PENTAGON, Route, SENATE, TestSite, fixture, thehill_server};

/// A site serving The Hill fixtures, with the defense feed configured as `thehill`.
fn thehill_site() -> TestSite {
    let mut site = TestSite::with_server(thehill_server());
    site.feed("thehill", "/policy/defense/feed/");
    site
}

/// A site serving The Hill fixtures, with no feed configured.
fn thehill() -> TestSite {
    TestSite::with_server(thehill_server())
}

#[test]
fn writes_the_reference_file_byte_for_byte() {
    let site = thehill_site();
    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().counts(), (1, 0, 2, 2), "{run}");

    // Default layout: {feed}/{yyyy}/{mm}/{slug}.md under output_dir.
    let file = site
        .path()
        .join("posts/thehill/2025/02/hegseth-no-betrayal-in-us-position-on-russia-ukraine-");
    let written = site
        .posts()
        .into_iter()
        .find(|p| p.to_string_lossy().starts_with(&*file.to_string_lossy()))
        .expect("the Hegseth file");
    let got = std::fs::read_to_string(written).unwrap();
    let reference = std::fs::read_to_string(fixture("reference/thehill-hegseth.md")).unwrap();
    // Only the host of the source URL differs: the test server stands in for thehill.com.
    let got = got.replace(
        &format!("({}/policy", site.server.base),
        "(https://thehill.com/policy",
    );
    assert!(
        got == reference,
        "differs from the reference:\n{}",
        diff(&reference, &got)
    );
}

fn diff(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  want {x:?}\n  got  {y:?}", i + 1))
        .take(5)
        .collect::<Vec<_>>()
        .join("\n")
        + &format!(
            "\n(lines: want {}, got {})",
            a.lines().count(),
            b.lines().count()
        )
}

#[test]
fn second_run_downloads_and_writes_nothing_and_shared_items_make_one_file() {
    let mut site = thehill_site();
    site.feed("thehill-news", "/homenews/feed/");
    let server = site.server.clone();
    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().counts(), (2, 0, 3, 3), "{run}");
    let first: Vec<_> = site.posts();
    assert_eq!(
        first.len(),
        3,
        "the story in both feeds is one file: {first:?}"
    );
    let mtimes: Vec<_> = first
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().counts(), (2, 0, 0, 0), "{run}");
    for page in [HEGSETH, PENTAGON, SENATE] {
        assert_eq!(server.hits(page), 1, "{page} was downloaded once");
    }
    assert_eq!(server.hits("/policy/defense/feed/"), 2);
    let again: Vec<_> = site.posts();
    assert_eq!(again, first);
    let mtimes_again: Vec<_> = again
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(mtimes, mtimes_again, "no file was rewritten");

    // Both feeds are recorded as sources of the shared story; it is stored once.
    assert_eq!(site.db_count("SELECT COUNT(*) FROM articles"), 3);
    assert_eq!(site.db_count("SELECT COUNT(*) FROM feed_articles"), 4);
}

#[test]
fn a_feed_fetched_alone_with_feed_flag() {
    let mut site = thehill_site();
    site.feed("thehill-news", "/homenews/feed/");
    let run = site.fetch(&["--feed", "thehill-news"]);
    let summary = run.ok_summary();
    assert_eq!(
        (summary.feeds_ok, summary.feeds_failed, summary.new_articles),
        (1, 0, 2),
        "{run}"
    );
    assert_eq!(site.server.hits("/policy/defense/feed/"), 0);
    let run = site.fetch(&["--feed", "nope"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("no feed named `nope`"), "{run}");
}

#[test]
fn broken_feeds_fail_alone_with_one_clear_line_each() {
    let mut site = thehill();
    let server = site.server.clone();
    server.route("/500/", Route::status(500));
    server.route(
        "/invalid/",
        Route::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><item><title>x</titl",
        ),
    );
    server.route(
        "/html/",
        Route::ok(
            "text/html",
            "<!DOCTYPE html><html><body>Not a feed</body></html>",
        ),
    );
    server.route(
        "/slow/",
        Route::ok("application/rss+xml", "<rss/>").delayed(Duration::from_secs(5)),
    );
    site.feed("down", "/500/")
        .feed("broken", "/invalid/")
        .feed("thehill", "/policy/defense/feed/")
        .feed("webpage", "/html/")
        .feed("hung", "/slow/");
    let run = site.fetch(&[]);
    assert!(!run.ok, "exit code says something failed");
    assert_eq!(run.summary().counts(), (1, 4, 2, 2), "{run}");
    let err = &run.stderr;
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(lines.len(), 4, "{err}");
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("feed {name}:")))
            .copied()
            .unwrap_or("")
    };
    assert!(line("down").contains("HTTP 500"), "{err}");
    assert!(line("broken").contains("not a readable feed"), "{err}");
    assert!(line("webpage").contains("HTML page"), "{err}");
    assert!(line("hung").contains("timed out"), "{err}");
    assert_eq!(site.posts().len(), 2);
    // The failure is recorded on the feed for `status` and backoff.
    assert_eq!(site.db_count("SELECT SUM(error_count) FROM feeds"), 4);
}

#[test]
fn private_addresses_are_refused_by_default() {
    let mut site = thehill_site();
    site.config.http("allow_private_networks", false);
    let run = site.fetch(&[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("feed thehill:") && run.stderr.contains("not a public address"),
        "{run}"
    );
    assert_eq!(
        site.server.requests().len(),
        0,
        "no request reached the server"
    );
}

#[test]
fn unavailable_page_falls_back_to_the_feed_text() {
    let site = thehill_site();
    site.server.route(HEGSETH, Route::status(503));
    let run = site.fetch(&[]);
    assert!(
        run.ok,
        "a failed article page does not fail the feed: {run}"
    );
    assert!(run.stderr.contains("HTTP 503"), "{run}");
    let file = site
        .posts()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("hegseth"))
        .unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.contains("\n\nDefense Secretary Pete Hegseth said there’s “no betrayal”"),
        "{text}"
    );
    let method: String = rusqlite::Connection::open(site.db())
        .unwrap()
        .query_row(
            "SELECT extraction_method FROM articles WHERE title LIKE 'Hegseth%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(method, "feed");
}

#[test]
fn bad_config_never_starts_a_fetch() {
    let mut site = thehill_site();
    site.config.set("bogus_key", 1);
    let run = site.fetch(&[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("bogus_key") && run.stderr.contains("line"),
        "{run}"
    );
    assert_eq!(site.server.requests().len(), 0);
    assert!(!site.db().exists());
}

#[test]
fn config_path_from_environment() {
    let site = thehill_site();
    // The site's own command names the config with --config; this one must find it alone.
    let run = common::RunResult::of(
        assert_cmd::Command::cargo_bin("feedmark")
            .unwrap()
            .env("FEEDMARK_CONFIG", site.write())
            .arg("fetch"),
    );
    assert!(run.ok, "{run}");
    assert_eq!(site.posts().len(), 2);
}

#[test]
fn redirects_are_followed_and_gzip_is_decoded() {
    use std::io::Write;
    let mut site = thehill();
    let server = site.server.clone();
    let feed = std::fs::read_to_string(fixture("thehill/defense-feed.xml"))
        .unwrap()
        .replace("{BASE}", &server.base);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(feed.as_bytes()).unwrap();
    let mut route = Route::ok("application/rss+xml", gz.finish().unwrap());
    route
        .headers
        .push(("Content-Encoding".into(), "gzip".into()));
    server.route("/gz/feed/", route);
    server.route(
        "/old/feed/",
        Route::status(301).header("Location", "/moved/feed/"),
    );
    server.route(
        "/moved/feed/",
        Route::status(302).header("Location", &server.url("/gz/feed/")),
    );
    site.feed("thehill", "/old/feed/");
    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().new_articles, 2, "{run}");
    let accept = server
        .requests()
        .iter()
        .find(|r| r.path == "/gz/feed/")
        .unwrap()
        .headers
        .get("accept-encoding")
        .cloned();
    assert!(accept.unwrap_or_default().contains("gzip"));
    assert!(
        run.stderr.contains("redirected"),
        "redirects are logged: {run}"
    );
}

#[test]
fn bodies_over_the_cap_are_refused() {
    let mut site = thehill_site();
    let server = site.server.clone();
    let big = format!(
        "<html><body><div class=\"article__text\"><p>{}</p></div></body></html>",
        "word ".repeat(40_000)
    );
    server.route(HEGSETH, Route::ok("text/html", big));
    server.route(
        "/huge/feed/",
        Route::ok(
            "application/rss+xml",
            format!(
                "<rss version=\"2.0\"><channel><title>{}</title></channel></rss>",
                "x".repeat(300_000)
            ),
        ),
    );
    site.feed("huge", "/huge/feed/");
    site.config.http("max_body_bytes", 100_000);
    let run = site.fetch(&[]);
    assert!(!run.ok);
    let summary = run.summary();
    assert_eq!(
        (summary.feeds_ok, summary.feeds_failed, summary.new_articles),
        (1, 1, 2),
        "{run}"
    );
    let err = &run.stderr;
    assert!(
        err.contains("feed huge:") && err.contains("100000-byte limit"),
        "{err}"
    );
    assert!(
        err.contains("feed thehill: article") && err.contains("limit"),
        "the big page falls back to the feed text: {err}"
    );
}

/// `thumbnail = "feed"` takes the item's enclosure, `"page"` the page's og:image; the default
/// ("none") is covered by the reference test above.
#[test]
fn thumbnail_from_feed_or_page() {
    for (setting, want) in [
        ("feed", "hegseth_021325.jpg?w=900"),
        ("page", "hegseth_021325.jpg?w=1280"),
    ] {
        let mut site = thehill_site();
        site.config.feed_key("thehill", "thumbnail", setting);
        let run = site.fetch(&[]);
        assert!(run.ok, "{run}");
        let hegseth = site
            .posts()
            .into_iter()
            .find(|p| p.to_string_lossy().contains("hegseth"))
            .expect("the Hegseth file");
        let text = std::fs::read_to_string(hegseth).unwrap();
        let line = text.lines().find(|l| l.starts_with("thumbnail:")).unwrap();
        assert!(
            line.contains("https://thehill.com/wp-content/uploads/")
                && line.ends_with(&format!("{want}\"")),
            "{setting}: {line}"
        );
    }
}

/// After a rule change, `reextract` runs extraction again on the stored pages (no network:
/// the server is gone) and rewrites only the files whose content changed.
#[test]
fn reextract_rewrites_only_changed_files() {
    let mut site = thehill_site();
    let rules_dir = site.path().join("rules.d");
    std::fs::create_dir(&rules_dir).unwrap();
    site.config.set("rules_dir", "rules.d");
    let run = site.fetch(&[]);
    assert!(run.ok, "{run}");
    let before: Vec<(std::path::PathBuf, String)> = site
        .posts()
        .into_iter()
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    assert_eq!(before.len(), 2);

    let run = site.run(&["reextract"]);
    assert!(run.ok, "{run}");
    assert!(
        run.stdout
            .contains("articles checked: 2; files rewritten: 0; unchanged: 2"),
        "{run}"
    );

    // A user rule for thehill.com that also strips the link to the earlier story, which
    // only the Hegseth article has.
    std::fs::write(
        rules_dir.join("thehill.toml"),
        "[[rules]]\nname = \"thehill-mine\"\nhosts = [\"thehill.com\"]\n\
         body = [\"div.article__text\"]\nstrip = [\"p:has(a[href*='5140389'])\"]\n",
    )
    .unwrap();
    let run = site.run(&["reextract", "--feed", "thehill"]);
    assert!(run.ok, "{run}");
    assert!(
        run.stdout
            .contains("articles checked: 2; files rewritten: 1; unchanged: 1"),
        "{run}"
    );
    for (path, old) in &before {
        let new = std::fs::read_to_string(path).unwrap();
        let hegseth = path.to_string_lossy().contains("hegseth");
        assert_eq!(new != *old, hegseth, "{}", path.display());
        if hegseth {
            assert!(
                old.contains("defended his comments") && !new.contains("defended his comments")
            );
        }
    }
    let run = site.run(&["reextract", "--since", "2999-01-01"]);
    assert!(
        run.ok && run.stdout.contains("articles checked: 0"),
        "{run}"
    );
    let run = site.run(&["reextract", "--feed", "nope"]);
    assert!(!run.ok && run.stderr.contains("nope"), "{run}");
}
