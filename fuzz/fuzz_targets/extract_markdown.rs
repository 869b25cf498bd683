//! Fuzzes article extraction and the HTML → Markdown/text walker on any page.
#![no_main]

use std::sync::OnceLock;

use feedmark::extract::{self, Rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static RULES: OnceLock<Rules> = OnceLock::new();
    let rules = RULES.get_or_init(|| Rules::new(&[]).expect("built-in rules"));
    let html = feedmark::charset::decode_html(data, Some("text/html"));
    let url = url::Url::parse("https://thehill.com/policy/defense/1-x/").expect("url");
    if let Some(e) = extract::extract_page(&html, &url, rules) {
        assert!(!e.text.trim().is_empty());
    }
    if let Some(e) = extract::from_feed(Some(&html), Some(&url)) {
        assert_eq!(e.method, "feed");
    }
});
