//! `feedmark extract` as users run it: the real binary on saved pages, every output format.

use assert_cmd::Command;

fn page(name: &str) -> String {
    format!("{}/tests/fixtures/pages/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn extract(url: &str, file: &str, format: &str) -> String {
    let out = Command::cargo_bin("feedmark")
        .unwrap()
        .args([
            "--config",
            "/nonexistent/feedmark.toml",
            "extract",
            "--url",
            url,
        ])
        .args(["--html", &page(file), "--format", format])
        .env_remove("FEEDMARK_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn json_carries_metadata_bodies_and_method() {
    let url = "https://ledger.example/tech/chips-second-act";
    let out = extract(url, "paywall.html", "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["url"], url);
    assert_eq!(v["title"], "Inside the chip shortage's second act");
    assert_eq!(v["author"], "R. Patel, J. Moreau");
    assert_eq!(v["date"], "2026-01-15T11:00:00+00:00");
    assert_eq!(v["image"], serde_json::Value::Null);
    assert_eq!(v["method"], "generic");
    let text = v["text"].as_str().unwrap();
    assert!(
        text.starts_with("When the first wave of shortages eased in 2023"),
        "{text}"
    );
    assert!(!text.contains("Subscribe"), "{text}");
    assert_eq!(v["markdown"].as_str().unwrap().lines().count(), 3);
}

#[test]
fn text_and_markdown_print_only_the_body() {
    let url = "https://blog.example/2025/11/02/parsing-dates/";
    let md = extract(url, "blog-code.html", "markdown");
    assert!(md.contains("```rust\nfn parse(raw: &str)"), "{md}");
    assert!(
        !md.contains("Archives") && !md.contains("Great post"),
        "{md}"
    );
    let text = extract(url, "blog-code.html", "text");
    assert!(
        text.contains("Two things matter: try the strict format first"),
        "{text}"
    );
    assert!(!text.contains("**") && !text.contains("```rust"), "{text}");
}

#[test]
fn json_for_a_page_with_no_body_says_none() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.html");
    std::fs::write(
        &empty,
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    )
    .unwrap();
    let out = Command::cargo_bin("feedmark")
        .unwrap()
        .args(["--config", "/nonexistent/feedmark.toml", "extract"])
        .args(["--url", "https://e.example/", "--format", "json", "--html"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "none");
    assert_eq!(v["text"], "");
}

#[test]
fn a_site_rule_that_stops_matching_falls_back_to_generic_and_says_so() {
    // The Hill after a redesign: no div.article__text any more, but a named body.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("redesigned.html");
    let para =
        "<p>The Senate passed the bill on Friday after a long debate over spending levels.</p>";
    std::fs::write(
        &page,
        format!(
            "<html><body><div class='story-body'>{}</div></body></html>",
            para.repeat(6)
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("feedmark")
        .unwrap()
        .args(["--config", "/nonexistent/feedmark.toml", "extract"])
        .args([
            "--url",
            "https://thehill.com/homenews/senate/1-bill/",
            "--format",
            "json",
            "--html",
        ])
        .arg(&page)
        .env("FEEDMARK_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "generic");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("site rule matched no content") && stderr.contains("thehill"),
        "{stderr}"
    );
}

mod hostile_html {
    use feedmark::extract::{Rules, extract_page};
    use proptest::prelude::*;

    /// Fragments that real pages combine in odd ways: unclosed tags, nested furniture names,
    /// captions, lists with bad `start`, empty links, images without sources.
    const PIECES: &[&str] = &[
        "<div class='article-body'>",
        "<div class='share'>",
        "</div>",
        "<p>",
        "</p>",
        "<figure><img src=''>",
        "<figcaption>",
        "</figure>",
        "<ol start='-9999999999'>",
        "<li>",
        "<a href='javascript:x'>",
        "<a href=''>",
        "</a>",
        "<table><tr><td>",
        "<pre><code>",
        "<blockquote>",
        "<h1>",
        "<script>",
        "</script>",
        "Word, ",
        "the quick brown fox. ",
        "[/",
        "`",
        "{{",
        "\u{0}",
        "é",
        "&amp;",
        "&#xD800;",
        "<br>",
        "<meta property='og:image' content='::'>",
        "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"author\":[[[]]]}</script>",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn never_panics_and_never_returns_blank_bodies(idx in proptest::collection::vec(0..PIECES.len(), 0..120)) {
            let html: String = idx.iter().map(|&i| PIECES[i]).collect();
            let rules = Rules::new(&[]).unwrap();
            for url in ["https://example.org/a/", "https://thehill.com/x/"] {
                let url = url::Url::parse(url).unwrap();
                if let Some(found) = extract_page(&html, &url, &rules) {
                    prop_assert!(!found.text.trim().is_empty());
                }
            }
        }
    }
}
