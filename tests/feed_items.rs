//! What feedmark keeps of each item, end to end through `fetch` against a 127.0.0.1 server:
//! first-seen dates, source lines, categories as tags, and no item dropped without a count.
//! The feeds are `tests/fixtures/feeds/items-*.xml`.

mod common;

use std::path::{Path, PathBuf};

use common::{Route, TestSite, fixture, tree};

/// Serves `tests/fixtures/feeds/<file>` at `/feed` (with `{BASE}` replaced by the server's
/// address) and a small article page at every `/a/<slug>` in `slugs`.
fn site_with(file: &str, slugs: &[&str]) -> TestSite {
    let mut site = TestSite::new();
    serve_feed(&site, file, |text| text);
    for slug in slugs {
        let body = format!(
            "<html><head><title>{slug}</title></head><body><article><h1>{slug}</h1>{}</article></body></html>",
            format!("<p>The article text of {slug}, long enough to be taken as the body. </p>")
                .repeat(4)
        );
        site.server
            .route(&format!("/a/{slug}"), Route::ok("text/html", body));
    }
    site.feed(&feed_name(file), "/feed");
    site
}

/// The feed's name in the config: its file name without `.xml`.
fn feed_name(file: &str) -> String {
    file.trim_end_matches(".xml").to_string()
}

/// (Re)serves the fixture at `/feed`, changed by `edit`.
fn serve_feed(site: &TestSite, file: &str, edit: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(fixture(&format!("feeds/{file}")))
        .unwrap()
        .replace("{BASE}", &site.server.base);
    site.server
        .route("/feed", Route::ok("application/rss+xml", edit(text)));
}

/// `(title, published_at, date_source)` of every stored article, by title.
fn dates(db: &Path) -> Vec<(String, i64, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT title, published_at, date_source FROM articles ORDER BY title")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Waits until the wall clock's second has passed `t`, so that a poll now would date an
/// undated item differently from one at `t`.
fn after_second(t: i64) {
    while chrono::Utc::now().timestamp() <= t {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The one file under `root` whose name contains `part`.
fn file_named(root: &Path, part: &str) -> PathBuf {
    let found: Vec<PathBuf> = common::posts(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(part))
        .collect();
    assert_eq!(found.len(), 1, "{part} in {found:?}");
    found.into_iter().next().unwrap()
}

/// A file's text as its snapshot records it: the server's address (a random port) replaced,
/// and with `first_seen` the `date` too (the time of the test).
fn redacted(site: &TestSite, text: &str, first_seen: bool) -> String {
    text.replace(&site.server.base, "http://[server]")
        .lines()
        .map(|l| {
            if first_seen && l.starts_with("date: ") {
                "date: \"[first seen]\""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn undated_items_keep_their_first_seen_date_through_polls_updates_export_and_reextract() {
    let file = "items-undated.xml";
    let site = site_with(file, &["no-date", "bad-date", "dated"]);
    // `feeds test` says which dates the feed does not give.
    let preview = site.run(&["feeds", "test", &site.server.url("/feed")]);
    assert!(preview.ok, "{preview}");
    let undated_lines = preview
        .stdout
        .lines()
        .filter(|l| l.ends_with("(no date the feed gives: when first seen)"))
        .count();
    assert_eq!(undated_lines, 2, "{preview}");
    assert!(
        preview
            .stdout
            .contains("   date: 2025-02-14 00:31:02 UTC\n"),
        "{preview}"
    );

    let started = chrono::Utc::now().timestamp();
    let first = site.fetch(&[]);
    assert_eq!(first.ok_summary().counts(), (1, 0, 3, 3), "{first}");
    let finished = chrono::Utc::now().timestamp();
    for title in ["No date at all", "A date nobody can read"] {
        let warned = first.stderr.lines().any(|l| {
            l.contains("WARN")
                && l.contains("feed items-undated: item")
                && l.contains(&format!("\"{title}\""))
                && l.contains("/a/")
                && l.contains("when it was first seen")
        });
        assert!(warned, "no warning for {title}:\n{first}");
    }
    assert!(!first.stderr.contains("\"A proper date\""), "{first}");

    let stored = dates(&site.db());
    let first_seen = stored[0].1;
    assert!((started..=finished).contains(&first_seen), "{stored:?}");
    assert_eq!(
        stored,
        [
            (
                "A date nobody can read".into(),
                first_seen,
                Some("first-seen".into())
            ),
            ("A proper date".into(), 1_739_493_062, Some("feed".into())),
            (
                "No date at all".into(),
                stored[2].1,
                Some("first-seen".into())
            ),
        ]
    );
    let posts = site.posts_dir();
    let undated = std::fs::read_to_string(file_named(&posts, "no-date-at-all")).unwrap();
    insta::assert_snapshot!("undated_item", redacted(&site, &undated, true));
    let seen = chrono::DateTime::from_timestamp(stored[2].1, 0).unwrap();
    assert!(undated.contains(&format!("date: \"{}\"", seen.format("%Y-%m-%d %H:%M:%S"))));
    let files = tree(&posts);

    // A later poll sees the same items at another time: nothing moves.
    after_second(finished);
    let second = site.fetch(&[]);
    assert_eq!(second.ok_summary().counts(), (1, 0, 0, 0), "{second}");
    assert!(!second.stderr.contains("first seen"), "{second}");
    assert_eq!(dates(&site.db()), stored);
    assert_eq!(tree(&posts), files);

    // The undated item changes (its file is rewritten in place, with lastmod) and the other
    // one gains a date: both keep their first-seen dates and paths.
    serve_feed(&site, file, |t| {
        t.replace(
            "The feed gives this item no date.",
            "The feed gives this item no date, still.",
        )
        .replace(
            "<pubDate>sometime last week, probably</pubDate>",
            "<pubDate>Mon, 03 Mar 2025 10:00:00 +0000</pubDate>",
        )
    });
    site.server.route(
        "/a/no-date",
        Route::ok(
            "text/html",
            "<html><body><article><h1>no-date</h1><p>A new version of the article, long enough to be taken as the body of the page.</p></article></body></html>",
        ),
    );
    let third = site.fetch(&[]);
    assert_eq!(third.ok_summary().updated_articles, 1, "{third}");
    assert!(
        third
            .stderr
            .contains("the feed now dates it 2025-03-03 10:00:00; the first-seen date"),
        "{third}"
    );
    assert_eq!(dates(&site.db()), stored);
    let after_update = tree(&posts);
    assert_eq!(
        after_update.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    let rewritten = std::fs::read_to_string(file_named(&posts, "no-date-at-all")).unwrap();
    assert!(rewritten.contains("\nlastmod: "), "{rewritten}");
    assert!(rewritten.contains(&format!("date: \"{}\"", seen.format("%Y-%m-%d %H:%M:%S"))));
    let later = site
        .db_count("SELECT feed_date_later FROM articles WHERE title = 'A date nobody can read'");
    assert_eq!(later, 1_740_996_000);

    // Told once: the next poll says nothing more about it.
    let fourth = site.fetch(&[]);
    assert!(!fourth.stderr.contains("now dates it"), "{fourth}");

    // export and reextract render from the store: the same dates, the same bytes.
    let out = site.path().join("exported");
    let exported = site.run(&["export", "--out", out.to_str().unwrap()]);
    assert!(exported.ok, "{exported}");
    assert_eq!(tree(&out), after_update);
    let again = site.run(&["reextract"]);
    assert!(again.ok, "{again}");
    assert!(again.stdout.contains("files rewritten: 0"), "{again}");
    assert_eq!(tree(&posts), after_update);
    assert_eq!(dates(&site.db()), stored);

    // status counts them, as text and as JSON.
    let status = site.run(&["status", "--json"]);
    assert!(status.ok, "{status}");
    let json: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(json[0]["name"], "items-undated");
    assert_eq!(json[0]["undated_items"], 2);
    let table = site.run(&["status"]);
    let header = table.stdout.lines().next().unwrap();
    let row = table.stdout.lines().nth(1).unwrap();
    let column = header.find("UNDATED").expect("an UNDATED column");
    assert_eq!(
        row[column..].split_whitespace().next(),
        Some("2"),
        "{table}"
    );
}

#[test]
fn an_item_without_a_url_gets_no_empty_source_line() {
    let site = site_with("items-no-link.xml", &["linked"]);
    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().counts(), (1, 0, 2, 2), "{run}");
    let posts = site.posts_dir();
    let note = std::fs::read_to_string(file_named(&posts, "a-note-with-no-link")).unwrap();
    assert!(
        !note.contains("]()") && !note.contains("[items-no-link]"),
        "{note}"
    );
    insta::assert_snapshot!("item_without_url", redacted(&site, &note, false));
    let linked = std::fs::read_to_string(file_named(&posts, "a-linked-story")).unwrap();
    let source = format!("\n\n[items-no-link]({}/a/linked)\n", site.server.base);
    assert!(linked.ends_with(&source), "{linked}");

    // export writes the same bytes.
    let out = site.path().join("exported");
    let exported = site.run(&["export", "--out", out.to_str().unwrap()]);
    assert!(exported.ok, "{exported}");
    assert_eq!(tree(&out), tree(&posts));
}

/// The `tags` block of a file's front matter.
fn tags_block(file: &str) -> String {
    let start = file.find("\ntags:\n").expect("a tags list") + 1;
    let end = file[start..].find("\nmenu:").expect("menu after tags") + start;
    file[start..end].to_string()
}

#[test]
fn categories_become_tags_only_when_asked_and_export_and_reextract_reproduce_them() {
    let mut site = site_with("items-categories.xml", &["tagged", "plain"]);
    let run = site.fetch(&[]);
    assert_eq!(run.ok_summary().counts(), (1, 0, 2, 2), "{run}");
    let posts = site.posts_dir();
    let off = tree(&posts);
    let tagged = std::fs::read_to_string(file_named(&posts, "a-story-with-categories")).unwrap();
    // Off (the default): the reference format, the feed's name alone.
    assert_eq!(tags_block(&tagged), "tags:\n  - \"items-categories\"");
    insta::assert_snapshot!("categories_off", redacted(&site, &tagged, false));

    // On: the stored categories reach export, in order, once each.
    site.config.in_table("hugo", "categories_as_tags", true);
    let on_dir = site.path().join("on");
    let exported = site.run(&["export", "--out", on_dir.to_str().unwrap()]);
    assert!(exported.ok, "{exported}");
    let on_file = std::fs::read_to_string(file_named(&on_dir, "a-story-with-categories")).unwrap();
    assert_eq!(
        tags_block(&on_file),
        "tags:\n  - \"items-categories\"\n  - \"Defense\"\n  - \"National Security\"\n  - \"yes\"\n  - \"Quotes \\\"and\\\" \\\\ colons: #1\""
    );
    insta::assert_snapshot!("categories_on", redacted(&site, &on_file, false));
    let plain = std::fs::read_to_string(file_named(&on_dir, "a-story-without-categories")).unwrap();
    assert_eq!(tags_block(&plain), "tags:\n  - \"items-categories\"");
    // Nothing else in the file changes.
    assert_eq!(
        on_file.replace(&tags_block(&on_file), ""),
        tagged.replace(&tags_block(&tagged), "")
    );

    // reextract renders the same way: the fetched files gain the tags.
    let again = site.run(&["reextract"]);
    assert!(
        again.ok && again.stdout.contains("files rewritten: 1"),
        "{again}"
    );
    assert_eq!(tree(&posts), tree(&on_dir));

    // A feed's own `categories_as_tags = false` wins over the global one: today's bytes.
    site.config
        .feed_key("items-categories", "categories_as_tags", false);
    let off_dir = site.path().join("off");
    let exported = site.run(&["export", "--out", off_dir.to_str().unwrap()]);
    assert!(exported.ok, "{exported}");
    assert_eq!(tree(&off_dir), off);
}

#[test]
fn every_item_of_a_feed_is_counted_new_filtered_or_duplicate() {
    let mut site = site_with("items-duplicates.xml", &["one", "two", "five", "ad"]);
    let redirect = Route::status(301).header("Location", &site.server.url("/a/one"));
    site.server.route("/r/one", redirect);
    let block =
        toml_edit::Value::from_iter([toml_edit::Value::from(toml_edit::InlineTable::from_iter([
            ("title", "^Sponsored"),
        ]))]);
    site.config.feed_key("items-duplicates", "block", block);
    let run = site.fetch(&[]);
    let s = run.ok_summary();
    assert_eq!(s.counts(), (1, 0, 2, 2), "{run}");
    assert_eq!((s.filtered, s.duplicates), (1, 2), "{run}");
    // Five items: each is a new article, filtered out, or a duplicate; none unaccounted.
    assert_eq!(s.new_articles + s.filtered + s.duplicates, 5);
    assert!(
        run.stdout.contains("; filtered out: 1; duplicate items: 2"),
        "{run}"
    );
    let repeat = run.stderr.lines().any(|l| {
        l.contains("WARN")
            && l.contains("feed items-duplicates: item \"Second telling\"")
            && l.contains("same guid, link or text as an earlier item of this feed")
    });
    assert!(repeat, "{run}");
    let linked = run
        .stderr
        .lines()
        .any(|l| l.contains("its page is an article already stored; linked to it"));
    assert!(linked, "{run}");
    assert_eq!(site.posts().len(), 2);
    // Every key the feed used now leads to a stored article.
    assert_eq!(site.db_count("SELECT COUNT(*) FROM articles"), 2);

    // The next polls know them all, and still count each item: the repeats stand for the
    // stored article without being compared with it (they would rewrite it in turn).
    let files = tree(&site.posts_dir());
    for _ in 0..2 {
        let again = site.fetch(&[]);
        let s = again.ok_summary();
        assert_eq!(s.counts(), (1, 0, 0, 0), "{again}");
        assert_eq!(
            (s.filtered, s.duplicates, s.updated_articles),
            (1, 2, 0),
            "{again}"
        );
        assert_eq!(tree(&site.posts_dir()), files);
    }
}
