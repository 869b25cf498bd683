//! Fuzzes front-matter writing: whatever the title and body, the file's front matter is valid
//! YAML that reads back the title, and the body cannot reach Hugo as a shortcode.
#![no_main]

use chrono::TimeZone;
use feedmark::config::HugoConfig;
use feedmark::render::{Page, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let mut parts = s.splitn(3, '\u{1}');
    let title = parts.next().unwrap_or_default();
    let text = parts.next().unwrap_or_default();
    let markdown = parts.next().unwrap_or_default();
    let hugo = HugoConfig::default();
    let date = chrono::Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap();
    let file = render(&Page {
        title,
        date,
        lastmod: None,
        text,
        markdown,
        feed_name: "fuzz",
        lang: "en",
        thumbnail: "",
        url: "https://example.com/a",
        hugo: &hugo,
    });
    let rest = file.strip_prefix("---\n").expect("front matter first");
    let end = rest.find("\n---\n").expect("front matter ends");
    let docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end]).expect("valid YAML");
    let got = docs[0]["title"].as_str().expect("title is a string");
    assert_eq!(got.chars().count(), title.chars().count(), "{title:?} → {got:?}");
    let body = &rest[end + 5..];
    assert!(!body.contains("{{<") && !body.contains("{{%") && !body.contains("<!--more-->"));
    let name = feedmark::render::file_name(date, title, "0123456789abcdef");
    assert!(name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.'));
});
