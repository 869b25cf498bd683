//! The test harness itself: the config builder writes the TOML feedmark reads, and the
//! summary parser reads the line `feedmark fetch` prints.

mod common;

use common::{HEGSETH, SiteConfig, Summary, TestSite, thehill_server};

#[test]
fn top_level_keys_set_after_the_feeds_stay_top_level() {
    let mut config = SiteConfig::new();
    config
        .feed("a", "http://127.0.0.1:9/a")
        .feed("b", "http://127.0.0.1:9/b")
        .set("keep_pages_days", 0)
        .http("max_body_bytes", 100_000)
        .feed_key("a", "thumbnail", "feed");
    let text = config.to_toml();
    let parsed: toml::Table = text.parse().unwrap();
    assert_eq!(parsed["keep_pages_days"].as_integer(), Some(0), "{text}");
    assert_eq!(
        parsed["http"]["max_body_bytes"].as_integer(),
        Some(100_000),
        "{text}"
    );
    let feeds = parsed["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 2);
    assert_eq!(feeds[0]["thumbnail"].as_str(), Some("feed"), "{text}");
    assert!(feeds[1].get("keep_pages_days").is_none(), "{text}");
}

#[test]
fn fragments_merge_into_their_tables() {
    let mut config = SiteConfig::new();
    config
        .feed("a", "http://127.0.0.1:9/a")
        .merge("budget = 1\n[http]\nconcurrency = 3\n[[feeds]]\nname = \"b\"\nurl = \"http://127.0.0.1:9/b\"\n");
    let parsed: toml::Table = config.to_toml().parse().unwrap();
    assert_eq!(parsed["budget"].as_integer(), Some(1));
    assert_eq!(parsed["http"]["concurrency"].as_integer(), Some(3));
    assert_eq!(parsed["http"]["per_host_delay_ms"].as_integer(), Some(0));
    assert_eq!(parsed["feeds"].as_array().unwrap().len(), 2);
}

#[test]
fn summary_lines_parse_into_fields() {
    let line = "feeds: 2 ok, 1 failed; new articles: 3; files written: 4; updated articles: 5; \
                caught up (no file): 6; filtered out: 7; duplicate items: 8; pages pending: 9; \
                pages retried: 10; pages healed: 11; pages given up: 12";
    assert_eq!(
        Summary::parse(line),
        Some(Summary {
            dry_run: false,
            feeds_ok: 2,
            feeds_failed: 1,
            new_articles: 3,
            files_written: 4,
            updated_articles: 5,
            caught_up: 6,
            filtered: 7,
            duplicates: 8,
            pages_pending: 9,
            pages_retried: 10,
            pages_healed: 11,
            pages_given_up: 12,
        })
    );
    let dry = "dry run: feeds: 1 ok, 0 failed; new articles: 2; files that would be written: 2; \
               updated articles: 0; nothing was stored or written";
    let dry = Summary::parse(dry).unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.counts(), (1, 0, 2, 2));
    assert_eq!(
        Summary::parse("articles checked: 2; files rewritten: 0"),
        None
    );
    assert_eq!(Summary::parse("feeds: x ok, 0 failed"), None);
}

/// Users read the summary sentence, so its wording is checked here once, as printed; the
/// other tests compare its parsed fields.
#[test]
fn the_summary_sentence_reads_as_documented() {
    let mut site = TestSite::with_server(thehill_server());
    site.feed("thehill", "/policy/defense/feed/");
    let first = site.fetch(&[]);
    assert!(first.ok, "{first}");
    assert_eq!(
        first.stdout.trim_end().lines().last(),
        Some("feeds: 1 ok, 0 failed; new articles: 2; files written: 2; updated articles: 0"),
        "{first}"
    );
    let dry = site.fetch(&["--dry-run"]);
    assert_eq!(
        dry.stdout.trim_end().lines().last(),
        Some(
            "dry run: feeds: 1 ok, 0 failed; new articles: 0; files that would be written: 0; \
             updated articles: 0; nothing was stored or written"
        ),
        "{dry}"
    );
    assert_eq!(site.server.hits(HEGSETH), 1);
}
