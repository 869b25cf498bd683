//! Kept article pages: a compressed page is stored exactly as the server sent it, a plain one
//! gzipped; `reextract` reads every kind back (and rows of the older UTF-8 gzip format).

mod common;

use std::io::Write;
use std::path::Path;

use common::{Route, Server, TestSite, feedmark_cmd, posts, rss, run};

const RSS: &str = "application/rss+xml; charset=UTF-8";

/// The feed of `slugs`, each titled "Story <slug>".
fn feed(base: &str, slugs: &[&str]) -> String {
    let titles: Vec<String> = slugs.iter().map(|s| format!("Story {s}")).collect();
    let items: Vec<(&str, &str)> = slugs
        .iter()
        .copied()
        .zip(titles.iter().map(String::as_str))
        .collect();
    rss(base, &items)
}

fn page(slug: &str) -> String {
    let para = format!("<p>The page of {slug} has café prices and the whole article text. </p>");
    format!(
        "<html><head><title>{slug}</title></head><body><nav><a href=\"/\">Home</a></nav>\
         <article><h1>{slug}</h1>{}</article></body></html>",
        para.repeat(8)
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliCompress(
        &mut &bytes[..],
        &mut out,
        &brotli::enc::BrotliEncoderParams::default(),
    )
    .unwrap();
    out
}

/// The kept page of the article whose URL ends in `/a/<slug>`: (coding, body, content type).
fn kept(db: &Path, slug: &str) -> (Option<String>, Vec<u8>, Option<String>) {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT p.coding, COALESCE(p.body, x''), p.content_type FROM article_pages p
             JOIN articles a ON a.id = p.article_id WHERE a.url LIKE ?1",
            [format!("%/a/{slug}")],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

#[test]
fn pages_are_kept_as_served_and_read_back_by_reextract() {
    let server = Server::start();
    let html = "text/html; charset=UTF-8";
    let served_gz = gzip(page("gz").as_bytes());
    let served_br = brotli(page("br").as_bytes());
    let served_zlib = zlib(page("zlib").as_bytes());
    let latin_page = page("latin");
    let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&latin_page);
    let encoded =
        |body: Vec<u8>, coding: &str| Route::ok(html, body).header("Content-Encoding", coding);
    server.route("/a/gz", encoded(served_gz.clone(), "gzip"));
    server.route("/a/br", encoded(served_br.clone(), "br"));
    server.route("/a/zlib", encoded(served_zlib.clone(), "deflate"));
    server.route(
        "/a/latin",
        Route::ok("text/html; charset=windows-1252", latin.into_owned()),
    );
    let slugs = ["gz", "br", "zlib", "latin"];
    server.route("/feed", Route::ok(RSS, feed(&server.base, &slugs)));

    let mut site = TestSite::with_server(server.clone());
    site.feed("site", "/feed");
    let dir = &site.dir;
    let config = site.write();
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().new_articles, 4, "{fetched}");
    let files = posts(&dir.path().join("posts"));
    for slug in slugs {
        let file = files
            .iter()
            .find(|p| p.to_string_lossy().contains(&format!("story-{slug}")));
        let text = std::fs::read_to_string(file.unwrap()).unwrap();
        assert!(
            text.contains(&format!("The page of {slug} has café prices")),
            "{slug}: {text}"
        );
    }

    let db = dir.path().join("feedmark.db");
    assert_eq!(
        kept(&db, "gz"),
        (Some("gzip".into()), served_gz, Some(html.into()))
    );
    assert_eq!(
        kept(&db, "br"),
        (Some("br".into()), served_br, Some(html.into()))
    );
    assert_eq!(
        kept(&db, "zlib"),
        (Some("deflate".into()), served_zlib, Some(html.into()))
    );
    let (coding, body, content_type) = kept(&db, "latin");
    assert_eq!(
        coding.as_deref(),
        Some("gzip"),
        "a plain page is gzipped for keeping"
    );
    assert_eq!(
        content_type.as_deref(),
        Some("text/html; charset=windows-1252")
    );
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain).unwrap();
    assert!(plain.contains(&0xe9), "kept as served, in windows-1252");

    // A row as schema version 4 kept it: UTF-8 HTML, gzipped, no coding.
    let old = page("latin").replace("whole article text", "whole older text");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE article_pages SET coding = NULL, content_type = NULL, body = ?1
             WHERE article_id = (SELECT id FROM articles WHERE url LIKE '%/a/latin')",
            [gzip(old.as_bytes())],
        )
        .unwrap();

    drop(server);
    let (ok, out, err) = run(feedmark_cmd(&config).arg("reextract"));
    assert!(ok, "{out}{err}");
    // Every page was read back: were one not, its file would fall back to the feed's text.
    assert!(
        out.contains("articles checked: 4; files rewritten: 1; unchanged: 3"),
        "{out}{err}"
    );
    assert!(!err.contains("unreadable"), "{err}");
    let latin = posts(&dir.path().join("posts"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("story-latin"))
        .unwrap();
    let text = std::fs::read_to_string(latin).unwrap();
    assert!(
        text.contains("café prices and the whole older text"),
        "{text}"
    );
}

/// Bodies of pages kept longer than `keep_pages_days` are dropped at the end of a poll; the
/// rows keep the URL, and `reextract` leaves those articles alone rather than falling back
/// to the feed's shorter text.
#[test]
fn old_pages_expire_and_reextract_leaves_their_articles() {
    let server = Server::start();
    let html = "text/html; charset=UTF-8";
    for slug in ["old", "new"] {
        server.route(&format!("/a/{slug}"), Route::ok(html, page(slug)));
    }
    server.route("/feed", Route::ok(RSS, feed(&server.base, &["old", "new"])));
    let mut site = TestSite::with_server(server.clone());
    site.feed("site", "/feed");
    let dir = &site.dir;
    let config = site.write();
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().new_articles, 2, "{fetched}");
    let db = dir.path().join("feedmark.db");
    let before: Vec<String> = posts(&dir.path().join("posts"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();

    // The "old" page was kept 31 days ago; the default keeps 30.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE article_pages SET kept_at = kept_at - 31 * 86400
             WHERE article_id = (SELECT id FROM articles WHERE url LIKE '%/a/old')",
            [],
        )
        .unwrap();
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().new_articles, 0, "{fetched}");
    let err = &fetched.stderr;
    assert!(
        err.contains("dropped 1 kept article pages older than 30 days"),
        "{err}"
    );
    let (coding, body, _) = kept(&db, "old");
    assert!(coding.is_none() && body.is_empty(), "the old body is gone");
    assert!(!kept(&db, "new").1.is_empty(), "the recent page stays");
    let urls = common::db_count(
        &db,
        "SELECT COUNT(*) FROM article_pages WHERE url IS NOT NULL",
    );
    assert_eq!(urls, 2, "rows and their URLs stay");

    drop(server);
    let (ok, out, err) = run(feedmark_cmd(&config).arg("reextract"));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "articles checked: 2; files rewritten: 0; unchanged: 1; \
             left as they are (page no longer kept): 1"
        ),
        "{out}{err}"
    );
    let after: Vec<String> = posts(&dir.path().join("posts"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(before, after, "no file fell back to the feed's text");
}

#[test]
fn keep_pages_days_zero_keeps_no_page() {
    let server = Server::start();
    server.route("/a/one", Route::ok("text/html", page("one")));
    server.route("/feed", Route::ok(RSS, feed(&server.base, &["one"])));
    let mut site = TestSite::with_server(server.clone());
    site.feed("site", "/feed");
    site.config.set("keep_pages_days", 0);
    let dir = &site.dir;
    let config = site.write();
    let fetched = site.fetch(&[]);
    assert_eq!(fetched.ok_summary().new_articles, 1, "{fetched}");
    let db = dir.path().join("feedmark.db");
    let (coding, body, _) = kept(&db, "one");
    assert!(coding.is_none() && body.is_empty(), "{coding:?}");
    let (ok, out, err) = run(feedmark_cmd(&config).arg("reextract"));
    assert!(
        ok && out.contains("left as they are (page no longer kept): 1"),
        "{out}{err}"
    );
}
