//! Feed fidelity (issue 18): each broken or unusual feed form read as a forgiving reader
//! reads it, checked through `feedmark parse` and end to end through `fetch`.

mod common;

use common::{Route, RunResult, TestSite, feedmark_bare, fixture};

/// `feedmark parse --json FILE` in an empty folder (no config is needed), as JSON.
fn parse_json(file: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let run = RunResult::of(
        feedmark_bare()
            .current_dir(dir.path())
            .args(["parse", "--json"])
            .arg(fixture(file)),
    );
    assert!(run.ok, "{run}");
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn parse_shows_the_feed_as_feedmark_reads_it() {
    let feed = parse_json("feeds/parse-basic.xml");
    assert_eq!(feed["title"], "Basic");
    assert_eq!(feed["link"], "https://example.org/");
    assert_eq!(feed["item_count"], 1);
    let item = &feed["items"][0];
    assert_eq!(item["title"], "First");
    assert_eq!(item["guid"], "urn:1");
    assert_eq!(item["published"], "2021-03-14T09:00:00Z");
    assert_eq!(item["content"]["kind"], "html");
    assert_eq!(item["content"]["value"], "<p>Hello</p>");
    assert_eq!(item["categories"][0], "news");
}

#[test]
fn parse_without_json_is_a_readable_summary_and_a_bad_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let run = RunResult::of(
        feedmark_bare()
            .current_dir(dir.path())
            .arg("parse")
            .arg(fixture("feeds/parse-basic.xml")),
    );
    assert!(run.ok, "{run}");
    assert!(run.stdout.contains("[1] First"), "{run}");
    assert!(
        run.stdout.contains("published: 2021-03-14T09:00:00Z"),
        "{run}"
    );
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<html><body>not a feed</body></html>").unwrap();
    let run = RunResult::of(feedmark_bare().arg("parse").arg(&bad));
    assert!(!run.ok, "{run}");
}

/// One fixture feed fetched end to end: served on 127.0.0.1 (its item pages 404, so each
/// file holds the feed's own text), with what `fetch` wrote and stored.
struct Fetched {
    site: TestSite,
    run: RunResult,
    /// Each written file's text, sorted by path.
    files: Vec<String>,
    /// Each stored article's title, `published_at` (Unix seconds) and author, by title.
    stored: Vec<(String, i64, String)>,
}

impl Fetched {
    /// The file whose front matter has this title.
    fn file(&self, title: &str) -> &str {
        let line = format!("title: \"{title}\"");
        self.files
            .iter()
            .find(|f| f.contains(&line))
            .unwrap_or_else(|| panic!("no file titled {title}: {:#?}\n{}", self.files, self.run))
    }

    /// The stored publication time of the article with this title, as RFC 3339 UTC.
    fn date(&self, title: &str) -> String {
        let (_, at, _) = self
            .stored
            .iter()
            .find(|(t, _, _)| t == title)
            .unwrap_or_else(|| {
                panic!("no article titled {title}: {:?}\n{}", self.stored, self.run)
            });
        chrono::DateTime::from_timestamp(*at, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

fn fetch(file: &str) -> Fetched {
    let mut site = TestSite::new();
    let text = std::fs::read_to_string(fixture(&format!("feeds/{file}"))).unwrap();
    // Absolute links in a fixture name `http://SERVER`: this test's server.
    let base = site.server.url("");
    let text = text.replace("http://SERVER", base.trim_end_matches('/'));
    let kind = if std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e == "json")
    {
        "application/feed+json"
    } else {
        "application/rss+xml"
    };
    site.server.route("/feed", Route::ok(kind, text));
    site.feed("fid", "/feed");
    let run = site.fetch(&[]);
    let files = site
        .posts()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let stored = if site.db().exists() {
        let db = rusqlite::Connection::open(site.db()).unwrap();
        let mut q = db
            .prepare(
                "SELECT title, published_at, COALESCE(author, '') FROM articles ORDER BY title",
            )
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    } else {
        Vec::new()
    };
    Fetched {
        site,
        run,
        files,
        stored,
    }
}

/// `fetch` of `file` succeeded with `n` new articles.
fn fetched(file: &str, n: usize) -> Fetched {
    let f = fetch(file);
    let summary = f.run.ok_summary();
    assert_eq!(
        (summary.feeds_ok, summary.new_articles),
        (1, n),
        "{}",
        f.run
    );
    assert_eq!(f.files.len(), n, "{}", f.run);
    f
}

#[test]
fn rfc822_dates_with_named_zones_and_none() {
    let f = fetched("date-rfc822-named-zone.xml", 10);
    for (title, utc) in [
        ("Zone CET", "2021-03-14T09:00:00Z"),
        ("Zone CEST", "2021-06-14T08:00:00Z"),
        ("Zone BST", "2021-06-14T09:00:00Z"),
        ("Zone EEST", "2021-06-14T07:00:00Z"),
        ("Zone MSK", "2021-06-14T07:00:00Z"),
        ("Zone IST", "2021-06-14T04:30:00Z"),
        ("Zone JST", "2021-06-14T01:00:00Z"),
        ("Zone AEST", "2021-06-14T00:00:00Z"),
        ("Zone PDT", "2021-06-14T17:00:00Z"),
        ("Zone EET", "2021-03-14T08:00:00Z"),
    ] {
        assert_eq!(f.date(title), utc, "{title}");
        let front = format!("date: \"{} {}\"", &utc[..10], &utc[11..19]);
        assert!(f.file(title).contains(&front), "{title}: {front}");
    }
    let f = fetched("date-rfc822-no-zone.xml", 1);
    assert_eq!(f.date("No zone"), "2021-03-14T10:00:00Z");
}

#[test]
fn iso8601_variants_in_dc_date() {
    let f = fetched("date-iso8601-variants.xml", 4);
    assert_eq!(f.date("ISO space"), "2021-03-14T10:00:00Z");
    assert_eq!(f.date("ISO no seconds"), "2021-03-14T09:00:00Z");
    assert_eq!(f.date("ISO no zone"), "2021-03-14T10:00:00Z");
    assert_eq!(f.date("ISO Z after minutes"), "2021-03-14T10:00:00Z");
}

#[test]
fn rfc850_ansic_words_and_partial_dates_in_dcterms() {
    let f = fetched("date-rfc850-ansic-words.xml", 6);
    assert_eq!(f.date("RFC 850"), "2021-03-14T10:00:00Z");
    assert_eq!(f.date("ANSIC"), "2021-03-14T10:00:00Z");
    assert_eq!(f.date("Words"), "2021-03-14T00:00:00Z");
    assert_eq!(f.date("W3C-DTF month"), "2021-03-01T00:00:00Z");
    assert_eq!(f.date("W3C-DTF year"), "2021-01-01T00:00:00Z");
    assert_eq!(f.date("dcterms modified"), "2021-03-14T10:00:00Z");
}

#[test]
fn atom_and_json_feed_dates() {
    let f = fetched("date-atom-published-updated.xml", 2);
    assert_eq!(f.date("Atom published"), "2021-03-14T09:00:00Z");
    assert_eq!(f.date("Atom updated only"), "2021-03-14T10:00:00Z");
    let f = fetched("date-jsonfeed.json", 2);
    assert_eq!(f.date("JSON date with a space"), "2021-03-14T10:00:00Z");
    assert_eq!(f.date("JSON date RFC 822"), "2021-03-14T09:00:00Z");
}

#[test]
fn atom_03_rss_094_channelless_and_rdf_items_are_read() {
    let f = fetched("format-atom03.xml", 1);
    assert!(
        f.file("Atom 0.3 entry")
            .contains("Text of the Atom 0.3 entry.")
    );
    assert_eq!(f.date("Atom 0.3 entry"), "2021-03-14T10:00:00Z");
    let f = fetched("format-rss-091-094.xml", 1);
    assert!(
        f.file("RSS 0.94 item")
            .contains("Text of the RSS 0.94 item.")
    );
    let f = fetched("format-items-without-channel.xml", 1);
    assert_eq!(f.date("Item without channel"), "2021-03-14T10:00:00Z");
    let f = fetched("format-rdf-about-link.xml", 1);
    let file = f.file("RDF item linked by rdf:about");
    assert!(
        file.contains("/a/1)"),
        "the source line links rdf:about: {file}"
    );
}

#[test]
fn items_no_reader_can_take_fail_the_feed_instead_of_an_empty_ok() {
    let f = fetch("format-zero-items-error.xml");
    assert!(!f.run.ok, "{}", f.run);
    assert_eq!(f.run.summary().counts().1, 1, "one feed failed: {}", f.run);
    assert!(f.run.stderr.contains("no item could be read"), "{}", f.run);
}

#[test]
fn broken_xml_is_read_as_forgiving_readers_read_it() {
    let f = fetched("broken-bare-ampersand.xml", 1);
    assert!(f.file("Fish & Chips").contains("Text of Fish & Chips."));
    let f = fetched("broken-unescaped-html.xml", 1);
    let file = f.file("A bold move");
    assert!(
        file.contains("First paragraph.") && file.contains("Second paragraph."),
        "{file}"
    );
    let f = fetched("broken-undeclared-entity.xml", 1);
    assert!(
        f.files[0].contains("title: \"Café & crème &unknownentity;\""),
        "{}",
        f.files[0]
    );
    let f = fetched("broken-mismatched-tags.xml", 1);
    assert!(
        f.file("Mismatched tags").contains("mismatched"),
        "{}",
        f.files[0]
    );
}

#[test]
fn content_kinds_are_honoured() {
    let f = fetched("content-atom-text-html-xhtml.xml", 3);
    let text = f.file("Plain text content");
    assert!(
        text.contains("Vec<String>") || text.contains("Vec\\<String\\>"),
        "{text}"
    );
    assert!(text.contains("<p>") || text.contains("\\<p\\>"), "{text}");
    assert!(f.file("HTML content").contains("An *escaped* paragraph."));
    let xhtml = f.file("XHTML content");
    assert!(xhtml.contains("**inline**"), "{xhtml}");
    let f = fetched("content-base64-and-binary.xml", 2);
    assert!(f.file("Base64 content").contains("Decoded from base64."));
    let binary = f.file("Binary content");
    assert!(
        binary.contains("The summary stands in.") && !binary.contains("iVBOR"),
        "{binary}"
    );
    let f = fetched("content-json-text.json", 1);
    let json = f.file("JSON plain text");
    assert!(
        json.contains("Vec<String>") || json.contains("Vec\\<String\\>"),
        "{json}"
    );
    let f = fetched("content-encoded-preferred.xml", 1);
    let both = f.file("Both bodies");
    assert!(
        both.contains("The full body of the article.") && !both.contains("teaser"),
        "{both}"
    );
}

#[test]
fn extension_elements_stand_in_for_missing_core_ones() {
    let f = fetched("content-extension-fallbacks.xml", 4);
    assert!(
        f.file("Title from dc:title")
            .contains("Text from dc:description.")
    );
    assert!(
        f.file("itunes fallbacks")
            .contains("Text from itunes:summary.")
    );
    assert!(
        f.file("media fallback")
            .contains("Text from media:description.")
    );
    assert!(
        f.file("Title from atom:title")
            .contains("Text from atom:summary.")
    );
    let (dc, itunes) = (
        author_of(&f, "Title from dc:title"),
        author_of(&f, "itunes fallbacks"),
    );
    assert_eq!((dc.as_str(), itunes.as_str()), ("Dee Creator", "Ivy Tunes"));
}

/// The stored author of the article with this title.
fn author_of(f: &Fetched, title: &str) -> String {
    f.stored.iter().find(|(t, _, _)| t == title).map_or_else(
        || panic!("no article titled {title}: {:?}", f.stored),
        |(_, _, a)| a.clone(),
    )
}

#[test]
fn links_are_alternate_then_permalink_guid() {
    let f = fetched("links-alternate-only.xml", 2);
    let file = f.file("Alternate link only");
    assert!(
        file.contains("/a/1)") && !file.contains("/comments/1"),
        "{file}"
    );
    let file = f.file("Permalink guid");
    assert!(file.contains("/a/2)"), "{file}");
}

#[test]
fn enclosure_only_items_stay_three_items() {
    let f = fetched("identity-enclosure-only.xml", 3);
    assert_eq!(f.stored.len(), 3);
    // Polled again, they are recognised: nothing new.
    let again = f.site.fetch(&[]);
    assert_eq!(again.ok_summary().new_articles, 0, "{again}");
}

#[test]
fn authors_from_email_form_and_every_creator() {
    let f = fetched("authors-email-name-and-creators.xml", 2);
    assert_eq!(author_of(&f, "Email author"), "Jane Doe");
    let both = author_of(&f, "Two creators");
    assert!(
        both.contains("Ann One") && both.contains("Bob Two"),
        "{both}"
    );
}

#[test]
fn json_feed_with_bare_version_and_no_title_is_read_with_warnings() {
    let f = fetched("json-bare-version-no-title.json", 1);
    assert!(
        f.file("Bare version, no feed title")
            .contains("Text of the loose JSON feed.")
    );
    assert!(f.run.stderr.contains("JSON Feed version"), "{}", f.run);
    assert!(f.run.stderr.contains("no top-level title"), "{}", f.run);
}
