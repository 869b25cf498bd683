//! Pending pages on PostgreSQL: retried and healed as on SQLite, and a page another live
//! worker has claimed for its retry is left to it until that worker stops.

use common::{Route, Server, TestSite};

use super::{common, database, pg_count};

/// An article page of story `i`: paragraphs the generic extractor finds.
fn page(i: usize) -> Route {
    let text = format!("<p>Paragraph of story {i}, long enough to be the article text. </p>");
    Route::ok(
        "text/html",
        format!(
            "<html><body><article><h1>Story {i}</h1>{}</article></body></html>",
            text.repeat(6)
        ),
    )
}

/// A site whose feed `news` carries `n` stories; each page answers 503 once, then loads.
fn flaky_site(n: usize, url: &str) -> TestSite {
    let server = Server::start();
    let base = server.base.clone();
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Flaky</title>");
    for i in 0..n {
        let link = format!("{base}/a/{i}");
        rss.push_str(&format!(
            "<item><title>Story number {i}</title><link>{link}</link><guid>{link}</guid>\
             <pubDate>Fri, 14 Feb 2025 10:{i:02}:00 +0000</pubDate>\
             <description>Feed text {i}.</description></item>"
        ));
        server.route_seq(&format!("/a/{i}"), vec![Route::status(503), page(i)]);
    }
    server.route(
        "/feed",
        Route::ok("application/rss+xml", rss + "</channel></rss>"),
    );
    let mut site = TestSite::with_server(server);
    site.feed("news", "/feed");
    site.config.set("database", url);
    site.config.http("page_retry_secs", 0);
    site
}

fn execute(url: &str, sql: &str) {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(sql).unwrap();
}

#[test]
fn pending_pages_heal_on_postgres_and_a_live_workers_claim_is_left_to_it() {
    let Some(url) = database("pending_pages_heal_on_postgres") else {
        return;
    };
    let site = flaky_site(6, &url);
    let first = site.fetch(&[]);
    let s = first.ok_summary();
    assert_eq!((s.new_articles, s.pages_pending), (6, 6), "{first}");
    let status = site.run(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json[0]["pending_pages"], 6, "{status}");

    // Another worker, alive, has claimed two of the pages for its own retry.
    execute(
        &url,
        "INSERT INTO workers (id, host, pid, lease_secs, started_at, last_seen_at)
             VALUES ('other', 'elsewhere', 1, 86400, EXTRACT(EPOCH FROM now())::bigint,
                     EXTRACT(EPOCH FROM now())::bigint);
         UPDATE pending_pages SET claim_worker = 'other' WHERE article_id IN
             (SELECT article_id FROM pending_pages ORDER BY article_id LIMIT 2)",
    );
    let second = site.fetch(&[]);
    let s = second.ok_summary();
    assert_eq!((s.pages_retried, s.pages_healed), (4, 4), "{second}");
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM pending_pages"), 2);

    // Once that worker is gone, its claims are taken over.
    execute(&url, "UPDATE workers SET stopped_at = 1 WHERE id = 'other'");
    let third = site.fetch(&[]);
    let s = third.ok_summary();
    assert_eq!((s.pages_retried, s.pages_healed), (2, 2), "{third}");
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM pending_pages"), 0);
    assert_eq!(
        pg_count(
            &url,
            "SELECT COUNT(*) FROM articles WHERE extraction_method = 'generic'"
        ),
        6
    );
}
