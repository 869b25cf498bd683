//! Feed fidelity (issue 18): each broken or unusual feed form read as a forgiving reader
//! reads it, checked through `feedmark parse` and end to end through `fetch`.

mod common;

use common::{RunResult, feedmark_bare, fixture};

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
