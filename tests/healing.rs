//! Pages that fail for a passing reason are stored with the feed's text, marked pending and
//! healed on later polls; pages that fail for good are not retried; a dead host costs a poll
//! seconds, not minutes. The real binary against a server on 127.0.0.1 that fails, then recovers.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Route, Server, TestSite, tree};

const RSS: &str = "application/rss+xml";

/// An article page of story `i`: six paragraphs the generic extractor finds.
fn page(i: usize) -> Route {
    let body = format!(
        "<html><body><article><h1>Story {i}</h1>{}</article></body></html>",
        format!("<p>Paragraph of story {i}, long enough to be the article text. </p>").repeat(6)
    );
    Route::ok("text/html", body)
}

/// Routes `/feed` with `n` stories linking to `{base}/a/<i>`, each a minute apart.
fn feed(server: &Server, base: &str, n: usize) {
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Many</title>");
    for i in 0..n {
        let link = format!("{base}/a/{i}");
        rss.push_str(&format!(
            "<item><title>Story number {i}</title><link>{link}</link><guid>{link}</guid>\
             <pubDate>Fri, 14 Feb 2025 {:02}:{:02}:00 +0000</pubDate>\
             <description>Feed text {i}.</description></item>",
            i / 60,
            i % 60
        ));
    }
    server.route("/feed", Route::ok(RSS, rss + "</channel></rss>"));
}

/// A site with one feed `news` of `n` stories whose pages answer `first`, then the page.
fn failing_site(n: usize, first: impl Fn(usize) -> Route) -> TestSite {
    let server = Server::start();
    feed(&server, &server.base.clone(), n);
    for i in 0..n {
        server.route_seq(&format!("/a/{i}"), vec![first(i), page(i)]);
    }
    let mut site = TestSite::with_server(server);
    site.feed("news", "/feed");
    site
}

/// `(extraction method, pending?)` of every article, by its page's path.
fn methods(site: &TestSite) -> Vec<(String, String, bool)> {
    let conn = rusqlite::Connection::open(site.db()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT a.url, a.extraction_method, p.article_id IS NOT NULL FROM articles a
             LEFT JOIN pending_pages p ON p.article_id = a.id ORDER BY a.id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .map(|(url, m, p): (String, String, bool)| {
            (url.rsplit_once("/a/").unwrap().1.to_string(), m, p)
        })
        .collect()
}

/// The `date:` line of a file's front matter.
fn date_line(text: &str) -> &str {
    text.lines().find(|l| l.starts_with("date:")).unwrap()
}

fn status_json(site: &TestSite) -> serde_json::Value {
    let run = site.run(&["status", "--json"]);
    assert!(run.ok, "{run}");
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn twenty_articles_stored_with_feed_text_are_rewritten_with_full_text_on_the_next_fetch() {
    let mut site = failing_site(20, |i| match i % 4 {
        0 => Route::status(503),
        1 => Route::reset(),
        2 => Route::status(500),
        _ => Route::status(429),
    });
    site.config.http("page_retry_secs", 0);
    let first = site.fetch(&[]);
    let s = first.ok_summary();
    assert_eq!((s.new_articles, s.pages_pending), (20, 20), "{first}");
    assert!(methods(&site).iter().all(|(_, m, p)| m == "feed" && *p));
    let before = tree(&site.posts_dir());
    assert_eq!(before.len(), 20);
    for text in before.values() {
        let text = String::from_utf8_lossy(text);
        assert!(
            text.contains("Feed text") && !text.contains("lastmod"),
            "{text}"
        );
    }
    // `status` shows them, and the feed is not failing for it.
    let status = status_json(&site);
    assert_eq!(status[0]["pending_pages"], 20, "{status}");
    assert_eq!(status[0]["state"], "ok");
    let table = site.run(&["status"]).stdout;
    let header = table.lines().next().unwrap();
    assert!(header.contains("PENDING"), "{table}");
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert!(
        row.ends_with(&["20", "0", "20", "-"]),
        "articles, undated and pending: {table}"
    );

    let second = site.fetch(&[]);
    let s = second.ok_summary();
    assert_eq!(
        (s.new_articles, s.pages_retried, s.pages_healed),
        (0, 20, 20),
        "{second}"
    );
    assert_eq!(s.files_written, 20);
    assert!(methods(&site).iter().all(|(_, m, p)| m == "generic" && !*p));
    let after = tree(&site.posts_dir());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "same paths"
    );
    for (path, text) in &after {
        let (text, old) = (
            String::from_utf8_lossy(text),
            String::from_utf8_lossy(&before[path]),
        );
        assert!(text.contains("Paragraph of story"), "{text}");
        assert!(text.contains("\nlastmod: "), "{text}");
        assert_eq!(date_line(&text), date_line(&old), "same date");
    }
    assert_eq!(status_json(&site)[0]["pending_pages"], 0);
    // Healed pages are not fetched again.
    let third = site.fetch(&[]);
    assert_eq!(third.ok_summary().pages_retried, 0, "{third}");
    assert_eq!(site.server.hits("/a/0"), 2);
}

#[test]
fn pages_that_fail_for_good_are_not_retried() {
    let server = Server::start();
    let b = server.base.clone();
    feed(&server, &b, 3);
    let png = Route::ok("image/png", b"\x89PNG\r\n\x1a\n".repeat(50));
    for (i, first) in [Route::status(404), Route::status(410), png]
        .into_iter()
        .enumerate()
    {
        server.route_seq(&format!("/a/{i}"), vec![first, page(i)]);
    }
    let mut site = TestSite::with_server(server);
    site.feed("news", "/feed");
    site.config.http("page_retry_secs", 0);
    let first = site.fetch(&[]);
    assert_eq!(first.ok_summary().pages_pending, 0, "{first}");
    assert!(first.stderr.contains("not tried again"), "{first}");
    let second = site.fetch(&[]);
    assert_eq!(second.ok_summary().pages_retried, 0, "{second}");
    for i in 0..3 {
        assert_eq!(site.server.hits(&format!("/a/{i}")), 1, "page {i}");
    }
    assert!(methods(&site).iter().all(|(_, m, p)| m == "feed" && !*p));
}

#[test]
fn caught_up_articles_are_never_pending() {
    let mut site = failing_site(4, |_| Route::status(503));
    site.config.http("page_retry_secs", 0);
    let caught = site.fetch(&["--catch-up"]);
    let s = caught.ok_summary();
    assert_eq!((s.caught_up, s.pages_pending), (4, 0), "{caught}");
    let next = site.fetch(&[]);
    assert_eq!(next.ok_summary().pages_retried, 0, "{next}");
    assert_eq!(site.server.hits("/a/0"), 0, "no page was ever asked for");
}

/// `(attempts, next_try_at - last_tried_at)` of the pending page of story `i`.
fn pending_row(site: &TestSite, i: usize) -> Option<(i64, i64)> {
    let conn = rusqlite::Connection::open(site.db()).unwrap();
    conn.query_row(
        "SELECT p.attempts, p.next_try_at - p.last_tried_at FROM pending_pages p
         JOIN articles a ON a.id = p.article_id WHERE a.url LIKE '%/a/' || ?1",
        [i.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

/// Makes every pending page due now, as if its wait had passed.
fn make_due(site: &TestSite) {
    rusqlite::Connection::open(site.db())
        .unwrap()
        .execute("UPDATE pending_pages SET next_try_at = 0", [])
        .unwrap();
}

#[test]
fn a_retry_that_fails_again_backs_off_honours_retry_after_and_gives_up() {
    let server = Server::start();
    let b = server.base.clone();
    feed(&server, &b, 2);
    server.route("/a/0", Route::status(503));
    server.route("/a/1", Route::status(503).header("Retry-After", "7200"));
    let mut site = TestSite::with_server(server);
    site.feed("news", "/feed");
    site.config
        .http("page_retry_secs", 600)
        .http("page_retry_attempts", 3);
    assert_eq!(site.fetch(&[]).ok_summary().pages_pending, 2);
    assert_eq!(pending_row(&site, 0), Some((1, 600)));
    assert_eq!(
        pending_row(&site, 1),
        Some((1, 7200)),
        "Retry-After honoured"
    );
    // Not due yet: not tried.
    let early = site.fetch(&[]);
    assert_eq!(early.ok_summary().pages_retried, 0, "{early}");
    assert_eq!(site.server.hits("/a/0"), 1);
    make_due(&site);
    let again = site.fetch(&[]);
    assert_eq!(again.ok_summary().pages_retried, 2, "{again}");
    assert_eq!(pending_row(&site, 0), Some((2, 1200)), "the wait doubled");
    assert_eq!(pending_row(&site, 1), Some((2, 7200)));
    make_due(&site);
    let last = site.fetch(&[]);
    assert_eq!(last.ok_summary().pages_given_up, 2, "{last}");
    assert!(last.stderr.contains("given up (3 tries"), "{last}");
    assert_eq!(pending_row(&site, 0), None);
    assert_eq!(site.server.hits("/a/0"), 3);
    assert!(methods(&site).iter().all(|(_, m, _)| m == "feed"));
}

#[test]
fn three_hundred_pages_on_a_host_that_does_not_resolve_are_pending_at_once() {
    // `.invalid` never resolves (RFC 6761); this sandbox answers such lookups in ~2 ms.
    let server = Server::start();
    feed(&server, "http://news.feedmark-test.invalid", 300);
    let mut site = TestSite::with_server(server);
    site.feed("news", "/feed");
    // The default politeness and timeouts, not the tests' quick ones.
    site.config
        .http("per_host_delay_ms", 500)
        .http("per_host_concurrency", 2)
        .http("connect_timeout_secs", 10)
        .http("timeout_secs", 30);
    let run = site.fetch(&[]);
    let s = run.ok_summary();
    assert_eq!(
        (s.feeds_ok, s.new_articles, s.pages_pending),
        (1, 300, 300),
        "{run}"
    );
    let all = methods(&site);
    assert_eq!(all.len(), 300);
    assert!(all.iter().all(|(_, m, p)| m == "feed" && *p));
    assert!(
        run.stderr
            .contains("host news.feedmark-test.invalid was down in this poll"),
        "{run}"
    );
    assert_eq!(status_json(&site)[0]["pending_pages"], 300);
}

/// A small deterministic generator (xorshift64*), so a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Articles whose page is no longer pending.
fn all_healed(site: &TestSite) -> usize {
    methods(site).iter().filter(|(_, _, p)| !*p).count()
}

#[test]
fn sigkill_during_retries_loses_nothing() {
    const N: usize = 150;
    let mut site = failing_site(N, |_| Route::status(503));
    site.config
        .http("page_retry_secs", 0)
        .set("path_template", "{name}.md");
    assert_eq!(site.fetch(&[]).ok_summary().pages_pending, N);
    let before = tree(&site.posts_dir());
    // The pages load now, slowly enough for the retries to be killed in their middle.
    for i in 0..N {
        site.server.route(
            &format!("/a/{i}"),
            page(i).delayed(Duration::from_millis(40)),
        );
    }
    let config = site.write();
    let retry = || {
        common::feedmark_process(&config)
            .arg("fetch")
            // Commit every 10 ms: killed runs leave part of their healing committed.
            .env("FEEDMARK_BATCH_MS", "10")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let hits = |s: &TestSite| {
        (0..N)
            .map(|i| s.server.hits(&format!("/a/{i}")))
            .sum::<usize>()
    };
    let mut rng = Rng(0x5eed_f00d);
    let mut killed = 0;
    for _ in 0..6 {
        let seen = hits(&site);
        let mut child = retry();
        let deadline = Instant::now() + Duration::from_secs(20);
        while hits(&site) == seen && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(rng.below(200)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert!(killed >= 4, "most runs were killed mid-way ({killed})");
    let healed_by_killed = all_healed(&site);
    assert!(
        healed_by_killed > 0 && healed_by_killed < N,
        "killed runs committed part of the healing ({healed_by_killed} of {N})"
    );
    assert!(
        retry().wait().unwrap().success(),
        "a fetch completes after the kills"
    );
    let conn = rusqlite::Connection::open(site.db()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let all = methods(&site);
    assert_eq!(all.len(), N, "each article stored once");
    assert!(all.iter().all(|(_, m, p)| m == "generic" && !*p), "{all:?}");
    let after = tree(&site.posts_dir());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the same files, no temporary ones left"
    );
    for (path, text) in &after {
        let text = String::from_utf8_lossy(text);
        assert!(
            text.starts_with("---\n") && text.ends_with(")\n") && text.contains("Paragraph"),
            "{path} is complete and healed:\n{text}"
        );
    }
}

#[test]
fn the_daemon_heals_a_pending_page_without_its_feed_being_polled_again() {
    let mut site = failing_site(3, |_| Route::status(503));
    // The feed is polled once a day; its pages are due again 300 s after failing.
    site.config
        .http("page_retry_secs", 300)
        .daemon("jitter_secs", 0)
        .daemon("shutdown_grace_secs", 1)
        .feed_key("news", "schedule", "@daily");
    let log = site.path().join("daemon.log");
    let mut child = site
        .process()
        .arg("run")
        // 300 s of the daemon's clock pass in 3 real seconds.
        .env("FEEDMARK_TIME_SCALE", "100")
        .env("FEEDMARK_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while all_healed_or_none(&site) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) with a child's pid and SIGTERM has no memory effects.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    let log = read_log();
    assert!(status.success(), "{log}");
    assert_eq!(all_healed_or_none(&site), 3, "{log}");
    assert!(
        methods(&site).iter().all(|(_, m, p)| m == "generic" && !*p),
        "{log}"
    );
    assert_eq!(
        site.server.hits("/feed"),
        1,
        "healed without polling the feed again"
    );
    // The first poll stored every article with its feed's text, and the feed did not fail.
    assert!(
        log.contains("feeds: 1 ok, 0 failed; new articles: 3") && log.contains("pages pending: 3"),
        "{log}"
    );
    assert!(log.contains("healed article"), "{log}");
    assert_eq!(status_json(&site)[0]["error_count"], 0);
}

/// Articles stored whose page is no longer pending (0 while none is stored).
fn all_healed_or_none(site: &TestSite) -> usize {
    if !site.db().exists() {
        return 0;
    }
    rusqlite::Connection::open(site.db())
        .and_then(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM articles a WHERE NOT EXISTS
                 (SELECT 1 FROM pending_pages p WHERE p.article_id = a.id)",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
        .map_or(0, |n| usize::try_from(n).unwrap_or(0))
}
