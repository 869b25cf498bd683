//! Pages and feed texts nested thousands deep, among ordinary articles, through the real
//! binary: nothing crashes, every ordinary article is stored, the deep ones keep their text.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Route, Server, TestSite, db_count, feedmark_cmd, posts, run, write_config};

const RSS: &str = "application/rss+xml; charset=UTF-8";
const HTML: &str = "text/html; charset=UTF-8";
const ORDINARY: usize = 9;

fn nested(open: &str, close: &str, n: usize, text: &str) -> String {
    format!("{}{text}{}", open.repeat(n), close.repeat(n))
}

/// The hostile shapes of the report: (slug, body inside `<article>`).
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        ("bold", nested("<b>", "</b>", 3_000, "deep bold words")),
        ("bold30k", nested("<b>", "</b>", 30_000, "deep bold words")),
        (
            "list",
            nested("<ul><li>", "</li></ul>", 3_000, "deep list words"),
        ),
        ("divs", nested("<div>", "</div>", 30_000, "deep div words")),
        (
            "quotes",
            nested("<blockquote>", "</blockquote>", 5_000, "deep quote words"),
        ),
    ]
}

fn page(body: &str) -> String {
    format!(
        "<html><head><title>T</title></head><body><article><p>An opening paragraph of \
         this article, long enough to be read as its text by the extractor.</p>{body}\
         </article></body></html>"
    )
}

/// A feed of 9 ordinary articles, the hostile pages, and one item whose page is gone and
/// whose own description is nested 3,000 deep: the feed's text must be rendered too.
fn serve() -> Server {
    let server = Server::start();
    let mut items = String::new();
    let mut item = |slug: &str, description: &str| {
        items.push_str(&format!(
            "<item><title>Story {slug}</title><link>{base}/a/{slug}</link>\
             <guid>{base}/a/{slug}</guid><pubDate>Fri, 14 Feb 2025 10:00:00 +0000</pubDate>\
             <description><![CDATA[{description}]]></description></item>",
            base = server.base
        ));
    };
    for i in 0..ORDINARY {
        let slug = format!("ordinary-{i}");
        item(&slug, "Feed text.");
        let text = format!(
            "<p>Ordinary article {i} has words enough, in sentences, to be the article.</p>"
        );
        server.route(&format!("/a/{slug}"), Route::ok(HTML, page(&text)));
    }
    for (slug, body) in hostile() {
        item(slug, "Feed text.");
        server.route(&format!("/a/{slug}"), Route::ok(HTML, page(&body)));
    }
    item(
        "gone",
        &nested("<b><ul><li>", "</li></ul></b>", 3_000, "deep feed words"),
    );
    server.route("/a/gone", Route::status(404));
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>N</title>{items}</channel></rss>"
    );
    server.route("/feed.xml", Route::ok(RSS, feed));
    server
}

/// Every stored article's file holds its deep words; the ordinary ones come from the page.
fn check_store(dir: &Path) {
    let db = dir.join("feedmark.db");
    let total = ORDINARY + hostile().len() + 1;
    assert_eq!(db_count(&db, "SELECT COUNT(*) FROM articles"), total as i64);
    let from_pages = db_count(
        &db,
        "SELECT COUNT(*) FROM articles WHERE title LIKE 'Story ordinary-%' AND extraction_method != 'feed'",
    );
    assert_eq!(from_pages, ORDINARY as i64);
    let files: Vec<String> = posts(&dir.join("posts"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(files.len(), total);
    // Whether the deep list or quote is kept as article text is the extractor's call; the
    // deep text of plain nesting must survive the cut.
    for words in ["deep bold words", "deep div words"] {
        assert!(
            files.iter().any(|f| f.contains(words)),
            "no file holds {words}"
        );
    }
    assert!(files.iter().any(|f| f.contains("deep feed words")));
}

#[test]
fn fetch_survives_nested_pages_and_stores_the_rest() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("n", server.url("/feed.xml"))], "");
    let (ok, _out, err) = run(feedmark_cmd(&config).arg("fetch"));
    assert!(ok, "{err}");
    check_store(dir.path());
    assert!(
        err.contains("/a/divs") && err.contains("nests deeper than"),
        "{err}"
    );
}

#[test]
fn run_survives_nested_pages_and_stores_the_rest() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &[("n", server.url("/feed.xml"))], "");
    let log = dir.path().join("run.log");
    let mut child = common::feedmark_process(&config)
        .arg("run")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let db = dir.path().join("feedmark.db");
    let total = (ORDINARY + hostile().len() + 1) as i64;
    let deadline = Instant::now() + Duration::from_secs(60);
    // The daemon may be creating the database, or holding a write: ask again until it answers.
    let stored = || {
        rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0)))
            .is_ok_and(|n| n == total)
    };
    while !stored() {
        let exited = child.try_wait().unwrap();
        let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            exited.is_none(),
            "the daemon exited: {exited:?}\n{}",
            log_text()
        );
        assert!(
            Instant::now() < deadline,
            "not stored in time:\n{}",
            log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) with our child's pid and a valid signal number has no memory effects.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    check_store(dir.path());
}

#[test]
fn a_page_past_the_extraction_budget_gets_the_feed_text_with_a_warning() {
    let server = Server::start();
    let feed = common::rss(&server.base, &[("huge", "Huge"), ("fine", "Fine")]);
    server.route("/feed.xml", Route::ok(RSS, feed));
    // 3.3 MB of nesting: even cutting it takes longer than 1 ms.
    let huge = page(&nested("<div>", "</div>", 600_000, "deep div words"));
    server.route("/a/huge", Route::ok(HTML, huge));
    let fine = page("<p>A fine article with words enough, in sentences, to be read.</p>");
    server.route("/a/fine", Route::ok(HTML, fine));
    let mut site = TestSite::with_server(server);
    site.feed("n", "/feed.xml");
    site.config.set("extract_budget_ms", 1);
    let dir = &site.dir;
    let run = site.fetch(&[]);
    let err = &run.stderr;
    assert!(run.ok, "{run}");
    assert!(
        err.contains("/a/huge: extraction took longer than its 1 ms budget"),
        "{err}"
    );
    let db = dir.path().join("feedmark.db");
    let method = |title: &str| -> String {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT extraction_method FROM articles WHERE title = ?1",
                [title],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(method("Huge"), "feed");
    // The other article is stored too (how, depends on how fast this machine is at 1 ms).
    assert!(!method("Fine").is_empty());
}
