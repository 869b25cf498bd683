//! Any title or body gives front matter that a real YAML parser reads back as written.

use chrono::{TimeZone, Utc};
use feedmark::config::HugoConfig;
use feedmark::render::{Page, render};
use proptest::prelude::*;
use yaml_rust2::{Yaml, YamlLoader};

/// What the writer promises to keep: everything except non-printable characters and line
/// breaks, which become spaces.
fn expected(s: &str) -> String {
    s.chars()
        .map(|c| {
            let printable = matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
                && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}');
            if printable { c } else { ' ' }
        })
        .collect()
}

fn front_matter(file: &str) -> (Yaml, &str) {
    let rest = file.strip_prefix("---\n").expect("opens with ---");
    // Hugo ends the front matter at the first line that is exactly `---`.
    let end = rest.find("\n---\n").expect("closing ---");
    let docs = YamlLoader::load_from_str(&rest[..end]).expect("valid YAML");
    (
        docs.into_iter().next().expect("one document"),
        &rest[end + 5..],
    )
}

fn page<'a>(title: &'a str, text: &'a str, hugo: &'a HugoConfig) -> Page<'a> {
    Page {
        title,
        date: Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap(),
        lastmod: None,
        text,
        markdown: text,
        feed_name: "thehill",
        lang: "en",
        thumbnail: "",
        url: "https://thehill.com/a/",
        hugo,
        categories: &[],
    }
}

fn check(title: &str, text: &str) {
    let hugo = HugoConfig::default();
    let file = render(&page(title, text, &hugo));
    let (yaml, _body) = front_matter(&file);
    assert_eq!(
        yaml["title"].as_str(),
        Some(expected(title).as_str()),
        "file:\n{file}"
    );
    assert_eq!(yaml["date"].as_str(), Some("2025-02-14 00:31:02"));
    let summary = yaml["summary"].as_str().expect("summary is a string");
    let words: Vec<String> = text.split_whitespace().take(50).map(expected).collect();
    // The summary is Markdown-escaped for Hugo: compare without the escapes.
    let bare = |s: &str| s.replace('\\', "");
    let first = words.first().map(|w| bare(w.trim())).unwrap_or_default();
    assert!(bare(summary).starts_with(&first), "{summary:?}");
    assert_eq!(yaml["categories"][0].as_str(), Some("thehill"));
    assert_eq!(yaml["comments"].as_bool(), Some(false));
    assert_eq!(yaml["widgets"][2].as_str(), Some("taglist"));
    assert!(file.ends_with("[thehill](https://thehill.com/a/)\n"));
}

#[test]
fn hostile_titles_read_back() {
    for title in [
        "Hegseth: ‘No betrayal’ in US position",
        "quote \" backslash \\ colon: hash # dash -",
        "line one\n---\nline two",
        "\n---\ntitle: injected\n---\n",
        "yes",
        "no",
        "N",
        "on",
        "2024-01-01",
        "null",
        "~",
        "123",
        "1e3",
        "0x1F",
        ".inf",
        "- item",
        "? key",
        "& anchor",
        "* alias",
        "! tag",
        "| block",
        "> folded",
        "%YAML",
        "@at",
        "`tick`",
        "emoji 🦀🇺🇦 and \u{200d} joiner",
        "tab\tand\rcarriage\u{85}nel\u{2028}ls\u{7}bell\u{feff}bom",
        "{{< shortcode >}} <!--more-->",
        "",
    ] {
        check(title, "body text");
    }
    check(&"long title ".repeat(1000), &"word ".repeat(60));
}

/// Renders with `categories` as tags and checks that a YAML reader gets back the feed's
/// name, then each category once (spacing squashed, case-insensitive repeats and empty
/// ones left out), in order.
fn check_tags(categories: &[String]) {
    let hugo = HugoConfig::default();
    let file = render(&Page {
        categories,
        ..page("t", "x", &hugo)
    });
    let (yaml, _body) = front_matter(&file);
    let read: Vec<&str> = yaml["tags"]
        .as_vec()
        .expect("tags is a list")
        .iter()
        .map(|t| t.as_str().expect("each tag is a string"))
        .collect();
    let mut want = vec!["thehill".to_string()];
    for c in categories {
        let tag = expected(c).split_whitespace().collect::<Vec<_>>().join(" ");
        if !tag.is_empty() && !want.iter().any(|w| w.to_lowercase() == tag.to_lowercase()) {
            want.push(tag);
        }
    }
    assert_eq!(read, want, "file:\n{file}");
    assert_eq!(yaml["categories"].as_vec().map(Vec::len), Some(1));
}

#[test]
fn hostile_categories_read_back_as_tags() {
    let hostile = [
        "Politics",
        "politics",
        " Politics ",
        "THEHILL",
        "yes",
        "- item",
        "quote \" back \\",
        "line\n---\ntags: [x]",
        "",
        " ",
        "2024-01-01",
        "{{< x >}}",
        "tab\tand\u{2028}ls",
    ];
    check_tags(&hostile.map(String::from));
    check_tags(&[]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_categories_read_back_as_tags(categories in proptest::collection::vec(any::<String>(), 0..6)) {
        check_tags(&categories);
    }

    #[test]
    fn any_title_reads_back(title in any::<String>(), text in any::<String>()) {
        check(&title, &text);
    }

    #[test]
    fn yaml_looking_titles_read_back(title in r#"[ -~\n\t"'\\:#\-{}\[\],&*!|>%@`]{0,80}"#) {
        check(&title, "x");
    }
}
