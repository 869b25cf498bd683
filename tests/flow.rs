//! A poll of many feeds through few connections: stories shared by feeds far apart in the
//! config are one article owned by the first such feed, each page is read once, and every
//! feed's poll is recorded (the flow of src/pipeline/flow.rs, end to end).

mod common;

use std::time::Duration;

use common::{Route, Server, TestSite, db_count, posts};

const FEEDS: usize = 12;
const OWN: usize = 3;

fn item(base: &str, path: &str, title: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>\
         <pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><description>{title} in short.</description></item>"
    )
}

fn page(title: &str) -> Vec<u8> {
    let body = format!("<p>{title} is told here in full, with enough words to be an article. </p>")
        .repeat(8);
    format!(
        "<html><head><title>{title}</title></head><body><nav>Home | World</nav>\
         <article><h1>{title}</h1><div class=\"article-body\">{body}</div></article></body></html>"
    )
    .into_bytes()
}

/// Feed `i` carries its own stories, the story every feed carries, and feeds 5 and 11 share
/// one more. Feed 0 answers last (slow), pages take a little while: items of later feeds meet
/// candidates still in flight as well as ones already stored.
fn farm() -> Server {
    let server = Server::start();
    let base = server.base.clone();
    let html = "text/html; charset=utf-8";
    let add_page = |path: &str, title: &str| {
        server.route(
            path,
            Route::ok(html, page(title)).delayed(Duration::from_millis(40)),
        );
    };
    add_page("/shared/everywhere", "Everywhere story");
    add_page("/shared/pair", "Pair story");
    for i in 0..FEEDS {
        let mut items = String::new();
        for j in 0..OWN {
            let path = format!("/f{i}/story-{j}");
            add_page(&path, &format!("Story {j} of feed {i}"));
            items.push_str(&item(&base, &path, &format!("Story {j} of feed {i}")));
        }
        items.push_str(&item(&base, "/shared/everywhere", "Everywhere story"));
        if i == 5 || i == 11 {
            items.push_str(&item(&base, "/shared/pair", "Pair story"));
        }
        let rss = format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {i}</title>\
             <link>{base}/</link>{items}</channel></rss>"
        );
        let delay = if i == 0 { 600 } else { 0 };
        server.route(
            &format!("/feed/{i}.xml"),
            Route::ok("application/rss+xml", rss).delayed(Duration::from_millis(delay)),
        );
    }
    server
}

fn poll_with_concurrency(concurrency: usize) {
    let mut site = TestSite::with_server(farm());
    for i in 0..FEEDS {
        site.feed(&format!("feed{i:02}"), &format!("/feed/{i}.xml"));
    }
    site.config.http("concurrency", concurrency as i64);
    let server = &site.server;
    let dir = &site.dir;

    let run = site.fetch(&[]);
    let articles = FEEDS * OWN + 2;
    assert_eq!(
        run.ok_summary().counts(),
        (FEEDS, 0, articles, articles),
        "{run}"
    );
    for path in [
        "/shared/everywhere",
        "/shared/pair",
        "/f0/story-0",
        "/f11/story-2",
    ] {
        assert_eq!(server.hits(path), 1, "{path} is read once");
    }
    let files = posts(&dir.path().join("posts"));
    assert_eq!(files.len(), articles, "{files:?}");
    // The first feed in the config owns a shared story, though it answered last.
    let owner = |slug: &str| {
        let file = files
            .iter()
            .find(|f| f.to_string_lossy().contains(slug))
            .unwrap_or_else(|| panic!("no file for {slug}: {files:?}"));
        file.strip_prefix(dir.path().join("posts"))
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned()
    };
    assert_eq!(owner("everywhere-story"), "feed00");
    assert_eq!(owner("pair-story"), "feed05");

    let db = dir.path().join("feedmark.db");
    let links = FEEDS * OWN + FEEDS + 2;
    assert_eq!(
        db_count(&db, "SELECT COUNT(*) FROM feed_articles") as usize,
        links
    );
    assert_eq!(
        db_count(
            &db,
            "SELECT COUNT(*) FROM feeds WHERE last_success_at IS NOT NULL AND error_count = 0"
        ) as usize,
        FEEDS
    );

    let run = site.fetch(&[]);
    let again = run.ok_summary();
    assert_eq!((again.new_articles, again.files_written), (0, 0), "{run}");
    assert_eq!(server.hits("/shared/everywhere"), 1);
}

#[test]
fn one_connection_many_feeds_shared_stories() {
    poll_with_concurrency(1);
}

#[test]
fn few_connections_many_feeds_shared_stories() {
    poll_with_concurrency(3);
}

#[test]
fn as_many_connections_as_feeds_shared_stories() {
    poll_with_concurrency(FEEDS * 2);
}
