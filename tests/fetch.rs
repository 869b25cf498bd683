//! End-to-end runs of the real `feedmark fetch` binary against a server on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{
    HEGSETH, PENTAGON, Route, SENATE, db_count as rusqlite_count, feedmark_cmd as feedmark,
    fixture, posts, run as stdout_of, shared, thehill_server as thehill, write_config,
};

#[test]
fn writes_the_reference_file_byte_for_byte() {
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("feeds: 1 ok, 0 failed; new articles: 2; files written: 2"),
        "{out}"
    );

    // Default layout: {feed}/{yyyy}/{mm}/{slug}.md under output_dir.
    let file = dir
        .path()
        .join("posts/thehill/2025/02/hegseth-no-betrayal-in-us-position-on-russia-ukraine-");
    let written = posts(&dir.path().join("posts"))
        .into_iter()
        .find(|p| p.to_string_lossy().starts_with(&*file.to_string_lossy()))
        .expect("the Hegseth file");
    let got = std::fs::read_to_string(written).unwrap();
    let reference = std::fs::read_to_string(shared("reference/thehill-hegseth.md")).unwrap();
    // Only the host of the source URL differs: the test server stands in for thehill.com.
    let got = got.replace(
        &format!("({}/policy", server.base),
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
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("thehill", server.url("/policy/defense/feed/")),
        ("thehill-news", server.url("/homenews/feed/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("feeds: 2 ok, 0 failed; new articles: 3; files written: 3"),
        "{out}"
    );
    let first: Vec<_> = posts(&dir.path().join("posts"));
    assert_eq!(
        first.len(),
        3,
        "the story in both feeds is one file: {first:?}"
    );
    let mtimes: Vec<_> = first
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    let (ok, out, _) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(ok);
    assert!(
        out.contains("feeds: 2 ok, 0 failed; new articles: 0; files written: 0"),
        "{out}"
    );
    for page in [HEGSETH, PENTAGON, SENATE] {
        assert_eq!(server.hits(page), 1, "{page} was downloaded once");
    }
    assert_eq!(server.hits("/policy/defense/feed/"), 2);
    let again: Vec<_> = posts(&dir.path().join("posts"));
    assert_eq!(again, first);
    let mtimes_again: Vec<_> = again
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    assert_eq!(mtimes, mtimes_again, "no file was rewritten");

    // Both feeds are recorded as sources of the shared story; it is stored once.
    let db = rusqlite_count(
        &dir.path().join("feedmark.db"),
        "SELECT COUNT(*) FROM articles",
    );
    assert_eq!(db, 3);
    let links = rusqlite_count(
        &dir.path().join("feedmark.db"),
        "SELECT COUNT(*) FROM feed_articles",
    );
    assert_eq!(links, 4);
}

#[test]
fn a_feed_fetched_alone_with_feed_flag() {
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("thehill", server.url("/policy/defense/feed/")),
        ("thehill-news", server.url("/homenews/feed/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let (ok, out, _) = stdout_of(feedmark(&config).args(["fetch", "--feed", "thehill-news"]));
    assert!(ok);
    assert!(
        out.contains("feeds: 1 ok, 0 failed; new articles: 2"),
        "{out}"
    );
    assert_eq!(server.hits("/policy/defense/feed/"), 0);
    let (ok, _, err) = stdout_of(feedmark(&config).args(["fetch", "--feed", "nope"]));
    assert!(!ok);
    assert!(err.contains("no feed named `nope`"), "{err}");
}

#[test]
fn broken_feeds_fail_alone_with_one_clear_line_each() {
    let server = thehill();
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
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("down", server.url("/500/")),
        ("broken", server.url("/invalid/")),
        ("thehill", server.url("/policy/defense/feed/")),
        ("webpage", server.url("/html/")),
        ("hung", server.url("/slow/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(!ok, "exit code says something failed");
    assert!(
        out.contains("feeds: 1 ok, 4 failed; new articles: 2; files written: 2"),
        "{out}"
    );
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
    assert_eq!(posts(&dir.path().join("posts")).len(), 2);
    // The failure is recorded on the feed for `status` and backoff.
    let errors = rusqlite_count(
        &dir.path().join("feedmark.db"),
        "SELECT SUM(error_count) FROM feeds",
    );
    assert_eq!(errors, 4);
}

#[test]
fn private_addresses_are_refused_by_default() {
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "allow_private_networks = true",
        "allow_private_networks = false",
    );
    std::fs::write(&config, text).unwrap();
    let (ok, _, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(!ok);
    assert!(
        err.contains("feed thehill:") && err.contains("not a public address"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 0, "no request reached the server");
}

#[test]
fn unavailable_page_falls_back_to_the_feed_text() {
    let server = thehill();
    server.route(HEGSETH, Route::status(503));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(
        ok,
        "a failed article page does not fail the feed: {out}{err}"
    );
    assert!(err.contains("HTTP 503"), "{err}");
    let file = posts(&dir.path().join("posts"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("hegseth"))
        .unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.contains("\n\nDefense Secretary Pete Hegseth said there’s “no betrayal”"),
        "{text}"
    );
    let method: String = rusqlite::Connection::open(dir.path().join("feedmark.db"))
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
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "bogus_key = 1\n",
    );
    let (ok, _, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(!ok);
    assert!(err.contains("bogus_key") && err.contains("line"), "{err}");
    assert_eq!(server.requests().len(), 0);
    assert!(!dir.path().join("feedmark.db").exists());
}

#[test]
fn config_path_from_environment() {
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let out = assert_cmd::Command::cargo_bin("feedmark")
        .unwrap()
        .env("FEEDMARK_CONFIG", &config)
        .arg("fetch")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(posts(&dir.path().join("posts")).len(), 2);
}

#[test]
fn redirects_are_followed_and_gzip_is_decoded() {
    use std::io::Write;
    let server = thehill();
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
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("thehill", server.url("/old/feed/"))], "");
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(ok, "{out}{err}");
    assert!(out.contains("new articles: 2"), "{out}");
    let accept = server
        .requests()
        .iter()
        .find(|r| r.path == "/gz/feed/")
        .unwrap()
        .headers
        .get("accept-encoding")
        .cloned();
    assert!(accept.unwrap_or_default().contains("gzip"));
    assert!(err.contains("redirected"), "redirects are logged: {err}");
}

#[test]
fn bodies_over_the_cap_are_refused() {
    let server = thehill();
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
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("thehill", server.url("/policy/defense/feed/")),
        ("huge", server.url("/huge/feed/")),
    ];
    let config = write_config(dir.path(), &feeds, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[http]\n", "[http]\nmax_body_bytes = 100000\n");
    std::fs::write(&config, text).unwrap();
    let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
    assert!(!ok);
    assert!(
        out.contains("feeds: 1 ok, 1 failed; new articles: 2"),
        "{out}"
    );
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
        let server = thehill();
        let dir = tempfile::tempdir().unwrap();
        // Appended after the [[feeds]] table: the feed's own key.
        let extra = format!("thumbnail = \"{setting}\"\n");
        let config = write_config(
            dir.path(),
            &[("thehill", server.url("/policy/defense/feed/"))],
            &extra,
        );
        let (ok, out, err) = stdout_of(feedmark(&config).arg("fetch"));
        assert!(ok, "stdout: {out}\nstderr: {err}");
        let hegseth = posts(&dir.path().join("posts"))
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
    let server = thehill();
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules.d");
    std::fs::create_dir(&rules_dir).unwrap();
    let config_path = write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    // rules_dir is a top-level key: put it before the [http] table.
    let text = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("rules_dir = \"rules.d\"\n{text}")).unwrap();
    let (ok, out, err) = stdout_of(feedmark(&config_path).arg("fetch"));
    assert!(ok, "stdout: {out}\nstderr: {err}");
    drop(server);
    let before: Vec<(std::path::PathBuf, String)> = posts(&dir.path().join("posts"))
        .into_iter()
        .map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    assert_eq!(before.len(), 2);

    let (ok, out, err) = stdout_of(feedmark(&config_path).arg("reextract"));
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("articles checked: 2; files rewritten: 0; unchanged: 2"),
        "{out}"
    );

    // A user rule for thehill.com that also strips the link to the earlier story, which
    // only the Hegseth article has.
    std::fs::write(
        rules_dir.join("thehill.toml"),
        "[[rules]]\nname = \"thehill-mine\"\nhosts = [\"thehill.com\"]\n\
         body = [\"div.article__text\"]\nstrip = [\"p:has(a[href*='5140389'])\"]\n",
    )
    .unwrap();
    let (ok, out, err) = stdout_of(feedmark(&config_path).args(["reextract", "--feed", "thehill"]));
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("articles checked: 2; files rewritten: 1; unchanged: 1"),
        "{out}"
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
    let (ok, out, _) =
        stdout_of(feedmark(&config_path).args(["reextract", "--since", "2999-01-01"]));
    assert!(ok && out.contains("articles checked: 0"), "{out}");
    let (ok, _, err) = stdout_of(feedmark(&config_path).args(["reextract", "--feed", "nope"]));
    assert!(!ok && err.contains("nope"), "{err}");
}
