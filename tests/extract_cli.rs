//! `feedmark extract`: one saved page in, only its body out, no network.

mod common;

use common::{RunResult, feedmark_bare, fixture};

fn extract(url: &str, file: &str, format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    // In an empty folder: no feedmark.toml is found there, and none is needed.
    let run = RunResult::of(
        feedmark_bare()
            .current_dir(dir.path())
            .args(["extract", "--url", url, "--html"])
            .arg(fixture(file))
            .args(["--format", format]),
    );
    assert!(run.ok, "{run}");
    run.stdout
}

#[test]
fn thehill_rule_gives_the_reference_body() {
    let reference = std::fs::read_to_string(fixture("reference/thehill-hegseth.md")).unwrap();
    let body = reference
        .split("---\n")
        .nth(2)
        .unwrap()
        .trim_start_matches('\n');
    let body = &body[..body.rfind("\n\n[thehill]").unwrap()];
    let got = extract(
        "https://thehill.com/policy/defense/5143068-hegseth-us-ukraine-russia/",
        "thehill/hegseth.html",
        "markdown",
    );
    assert_eq!(got, format!("{body}\n"));
}

#[test]
fn text_format_has_no_markdown() {
    let got = extract(
        "https://thehill.com/policy/defense/5143068-hegseth-us-ukraine-russia/",
        "thehill/hegseth.html",
        "text",
    );
    assert!(got.starts_with("Defense Secretary Pete Hegseth said there’s “no betrayal”"));
    assert!(got.contains("Hegseth defended his comments from a day earlier"));
    assert!(!got.contains("]("));
    assert!(!got.contains("Sign up"), "newsletter box stripped");
    assert!(!got.contains("Advertisement"));
}

#[test]
fn reads_the_page_from_stdin() {
    let html = std::fs::read(fixture("thehill/senate.html")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = feedmark_bare()
        .current_dir(dir.path())
        .args([
            "extract",
            "--url",
            "https://thehill.com/homenews/senate/5142999-x/",
        ])
        .write_stdin(html)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(text);
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
