//! A misbehaving server on 127.0.0.1: each fault fails only its own feed (or falls back for its
//! own article) with a line naming it, the rest proceeds, nothing stored is lost, no panic.

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::{Fault, Route, RunResult, Server, SiteConfig, TestSite, posts, rss};

const RSS: &str = "application/rss+xml; charset=UTF-8";
const HTML: &str = "text/html; charset=UTF-8";

fn page(words: &str) -> String {
    format!(
        "<html><head><title>t</title></head><body><article><h1>Head</h1>{}</article></body></html>",
        format!("<p>{words} is the article text, long enough to be taken for one. </p>").repeat(8)
    )
}

/// A small gzip body (about 16 kB) that expands to 16 MiB, far over the 100 kB cap the tests
/// set: only a cap counted after decompression stops it.
fn bomb() -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..16 {
        gz.write_all(&zeros).unwrap();
    }
    let out = gz.finish().unwrap();
    assert!(out.len() < 100_000, "the bomb itself fits under the cap");
    out
}

fn gzipped(content_type: &str, bytes: Vec<u8>) -> Route {
    Route::ok(content_type, bytes).header("Content-Encoding", "gzip")
}

fn drip(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
    Route::ok(content_type, body).faulty(Fault::Drip {
        chunk: 16,
        every: Duration::from_millis(250),
    })
}

fn truncated(content_type: &str, body: String) -> Route {
    let half = body.len() / 2;
    Route::ok(content_type, body).faulty(Fault::Truncate(half))
}

fn redirect(to: &str) -> Route {
    Route::status(302).header("Location", to)
}

/// Serves `/<path>/i` → `/<path>/i+1` for `hops` hops, ending in `end`.
fn chain(server: &Server, path: &str, hops: usize, end: Route) {
    for i in 0..hops {
        server.route(
            &format!("/{path}/{i}"),
            redirect(&format!("/{path}/{}", i + 1)),
        );
    }
    server.route(&format!("/{path}/{hops}"), end);
}

/// `feedmark fetch` on `site`, at the default log level whatever the caller's.
fn fetch(site: &TestSite) -> RunResult {
    RunResult::of(site.cmd().arg("fetch").env_remove("FEEDMARK_LOG"))
}

/// A config with a 100 kB body cap and room for every faulty request at once; `feeds` are
/// paths on the site's server.
fn configure(site: &mut TestSite, feeds: &[(&str, &str)]) {
    site.config = SiteConfig::new();
    site.config
        .http("max_body_bytes", 100_000)
        .http("concurrency", 32)
        .http("max_redirects", 10)
        .http("per_host_concurrency", 32);
    for (name, path) in feeds {
        site.feed(name, path);
    }
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("feedmark.db")).unwrap()
}

/// `(url, extraction_method)` of every stored article, sorted.
fn stored(dir: &Path) -> Vec<(String, String)> {
    let conn = db(dir);
    let mut stmt = conn
        .prepare("SELECT url, extraction_method FROM articles ORDER BY url")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The one ERROR line about feed `name`.
fn error_line<'a>(err: &'a str, name: &str) -> &'a str {
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains(&format!("feed {name}:")))
        .collect();
    assert_eq!(lines.len(), 1, "one error line for {name}:\n{err}");
    lines[0]
}

/// Every file under `posts` is a finished article: no temporary files, front matter YAML valid.
fn check_files(posts_dir: &Path) -> usize {
    let files = posts(posts_dir);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(name.ends_with(".md") && !name.starts_with('.'), "{name}");
        let text = std::fs::read_to_string(f).unwrap();
        let rest = text.strip_prefix("---\n").expect("front matter");
        let end = rest.find("\n---\n").expect("end of front matter");
        let docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end]).unwrap();
        assert!(docs[0]["title"].as_str().is_some(), "{name}");
    }
    files.len()
}

#[test]
fn feed_level_faults_fail_only_their_feed_and_keep_what_was_stored() {
    let server = Server::start();
    let b = server.base.clone();
    let good = rss(&b, &[("g1", "Good one"), ("g2", "Good two")]);
    for slug in ["g1", "g2", "g3", "v1", "w1", "l1"] {
        server.route(&format!("/a/{slug}"), Route::ok(HTML, page(slug)));
    }
    // The first run stores the "victim" feed's article; on the second run that feed breaks.
    server.route_seq(
        "/victim",
        vec![
            Route::ok(RSS, rss(&b, &[("v1", "Victim")])),
            Route::ok(RSS, rss(&b, &[("v1", "Victim")])).faulty(Fault::Truncate(40)),
        ],
    );
    server.route("/good", Route::ok(RSS, good.clone()));
    server.route("/reset", Route::reset());
    server.route(
        "/hang",
        Route::ok(RSS, good.clone()).delayed(Duration::from_secs(6)),
    );
    server.route("/drip", drip(RSS, good.clone()));
    server.route("/truncated", truncated(RSS, good.clone()));
    server.route("/big", Route::ok(RSS, " ".repeat(150_000)));
    server.route("/bomb", gzipped(RSS, bomb()));
    server.route(
        "/bad-gzip",
        gzipped(RSS, b"this is not gzip at all".to_vec()),
    );
    server.route("/loop/a", redirect("/loop/b"));
    server.route("/loop/b", redirect("/loop/a"));
    chain(&server, "long", 11, Route::ok(RSS, good.clone()));
    // Ten hops are allowed; this chain ends in a feed with a third article.
    chain(
        &server,
        "ten",
        10,
        Route::ok(RSS, rss(&b, &[("g3", "Ten hops away")])),
    );
    server.route(
        "/png",
        Route::ok(
            "image/png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe".to_vec(),
        ),
    );
    server.route(
        "/html",
        Route::ok(HTML, "<!DOCTYPE html><html><body><p>Home</p></body></html>"),
    );
    server.route("/empty", Route::ok(RSS, ""));
    server.route("/no-location", Route::status(301));
    // Tolerated: a feed served as text/html, and one that claims UTF-8 but is not.
    server.route(
        "/wrong-type",
        Route::ok(HTML, rss(&b, &[("w1", "Served as HTML")])),
    );
    let latin = rss(&b, &[("l1", "Caf\u{e9} TITLE")]).replace('\u{e9}', "\u{1}");
    let latin = latin
        .into_bytes()
        .into_iter()
        .map(|c| if c == 1 { 0xe9 } else { c });
    server.route("/latin", Route::ok(RSS, latin.collect::<Vec<u8>>()));

    let mut site = TestSite::with_server(server.clone());
    configure(&mut site, &[("victim", "/victim")]);
    let run = fetch(&site);
    assert!(run.ok, "{run}");
    assert_eq!(stored(site.path()).len(), 1);

    let failing = [
        ("victim", "/victim", "cannot read the body: end of file"),
        ("reset", "/reset", "reset by peer"),
        ("hang", "/hang", "timed out"),
        ("drip", "/drip", "timed out"),
        (
            "truncated",
            "/truncated",
            "cannot read the body: end of file",
        ),
        ("big", "/big", "100000-byte limit"),
        ("bomb", "/bomb", "100000-byte limit"),
        (
            "badgzip",
            "/bad-gzip",
            "cannot read the body: invalid gzip data",
        ),
        ("loop", "/loop/a", "more than 10 redirects"),
        ("long", "/long/0", "more than 10 redirects"),
        ("png", "/png", "not a readable feed"),
        ("html", "/html", "HTML page"),
        ("empty", "/empty", "empty document"),
        ("nolocation", "/no-location", "without a Location header"),
    ];
    let mut feeds: Vec<(&str, &str)> = failing
        .iter()
        .map(|(name, path, _)| (*name, *path))
        .collect();
    feeds.push(("good", "/good"));
    feeds.push(("ten", "/ten/0"));
    feeds.push(("wrongtype", "/wrong-type"));
    feeds.push(("latin", "/latin"));
    configure(&mut site, &feeds);
    let run = fetch(&site);
    let err = &run.stderr;
    assert!(!run.ok, "failed feeds make a non-zero exit: {run}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(run.summary().counts(), (4, failing.len(), 5, 5), "{run}");
    let wrong: Vec<String> = failing
        .iter()
        .filter_map(|(name, path, cause)| {
            let line = error_line(err, name);
            let named = line.contains(&server.url(path)) || line.contains(&server.base);
            (!named || !line.contains(cause)).then(|| format!("{name}: want `{cause}` in {line}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing stored was lost: the broken feed's article and file are still there.
    let urls: Vec<String> = stored(site.path()).into_iter().map(|(u, _)| u).collect();
    let want: Vec<String> = ["g1", "g2", "g3", "l1", "v1", "w1"]
        .iter()
        .map(|s| format!("{b}/a/{s}"))
        .collect();
    assert_eq!(urls, want);
    assert_eq!(check_files(&site.posts_dir()), 6);
    let title: String = db(site.path())
        .query_row(
            "SELECT title FROM articles WHERE url LIKE '%/l1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        title, "Café TITLE",
        "a mislabelled feed is read as Windows-1252"
    );
    let errors: i64 = db(site.path())
        .query_row(
            "SELECT COUNT(*) FROM feeds WHERE error_count = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(errors as usize, failing.len());
}

#[test]
fn article_page_faults_fall_back_to_the_feed_text_one_by_one() {
    let server = Server::start();
    let b = server.base.clone();
    let faults: Vec<(&str, Route)> = vec![
        ("ok", Route::ok(HTML, page("ok"))),
        ("reset", Route::reset()),
        (
            "hang",
            Route::ok(HTML, page("hang")).delayed(Duration::from_secs(6)),
        ),
        ("drip", drip(HTML, page("drip"))),
        ("truncated", truncated(HTML, page("truncated"))),
        ("big", Route::ok(HTML, page(&"big ".repeat(30_000)))),
        ("bomb", gzipped(HTML, bomb())),
        ("loop", redirect("/a/loop")),
        ("empty", Route::ok(HTML, "")),
        (
            "png",
            Route::ok("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".repeat(200)),
        ),
        ("status", Route::status(500)),
    ];
    let items: Vec<(&str, &str)> = faults.iter().map(|(s, _)| (*s, *s)).collect();
    server.route("/feed", Route::ok(RSS, rss(&b, &items)));
    for (slug, route) in faults.clone() {
        server.route(&format!("/a/{slug}"), route);
    }
    // Invalid UTF-8 in a page that claims UTF-8: read (as Windows-1252), not a failure.
    let latin = page("latin");
    let (head, tail) = latin.split_at(latin.find("</article>").unwrap());
    let mut bad_utf8 = head.as_bytes().to_vec();
    bad_utf8.extend_from_slice(b"<p>A caf\xe9 \xff\xfe na\xefve sentence in the article.</p>");
    bad_utf8.extend_from_slice(tail.as_bytes());
    server.route("/a/latin", Route::ok(HTML, bad_utf8));

    let mut all = items.clone();
    all.push(("latin", "latin"));
    server.route("/feed", Route::ok(RSS, rss(&b, &all)));
    let mut site = TestSite::with_server(server.clone());
    configure(&mut site, &[("site", "/feed")]);
    let run = fetch(&site);
    let err = &run.stderr;
    assert!(run.ok, "a broken page never fails its feed: {run}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(run.summary().new_articles, all.len(), "{run}");
    let methods: std::collections::HashMap<String, String> = stored(site.path())
        .into_iter()
        .map(|(u, m)| (u.rsplit('/').next().unwrap().to_string(), m))
        .collect();
    assert_eq!(methods["ok"], "generic");
    assert_eq!(methods["latin"], "generic");
    for (slug, _) in &faults[1..] {
        assert_eq!(methods[*slug], "feed", "{slug} falls back to the feed text");
        let url = format!("{b}/a/{slug}");
        assert!(
            err.lines()
                .any(|l| l.contains("feed site: article") && l.contains(&url)),
            "a warning names {url}:\n{err}"
        );
    }
    assert_eq!(check_files(&site.posts_dir()), all.len());
    let latin = site
        .posts()
        .into_iter()
        .find(|p| p.to_string_lossy().contains("latin"))
        .unwrap();
    assert!(std::fs::read_to_string(latin).unwrap().contains("café"));
}

#[test]
fn inputs_that_once_crashed_fetch_now_fail_only_their_feed() {
    let server = Server::start();
    let b = server.base.clone();
    server.route("/good", Route::ok(RSS, rss(&b, &[("g1", "Good one")])));
    server.route("/a/g1", Route::ok(HTML, page("g1")));
    let mut feeds = vec![("good".to_string(), "/good".to_string())];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut inputs: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    inputs.sort_by_key(std::fs::DirEntry::path);
    for (i, entry) in inputs.iter().enumerate() {
        let path = format!("/fuzz/{i}");
        server.route(&path, Route::ok(RSS, std::fs::read(entry.path()).unwrap()));
        feeds.push((format!("fuzz{i}"), path));
    }
    let mut site = TestSite::with_server(server);
    let named: Vec<(&str, &str)> = feeds
        .iter()
        .map(|(n, p)| (n.as_str(), p.as_str()))
        .collect();
    configure(&mut site, &named);
    let run = fetch(&site);
    let (out, err) = (&run.stdout, &run.stderr);
    let tmp = &site.dir;
    assert!(
        run.summary.is_some(),
        "the run finished with its summary:\n{run}"
    );
    assert!(
        !err.contains("panicked"),
        "a caught parser panic prints nothing: {err}"
    );
    assert!(
        stored(tmp.path()).iter().any(|(u, _)| u.ends_with("/a/g1")),
        "{out}{err}"
    );
}
