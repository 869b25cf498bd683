//! Random deeply nested HTML through extraction and the feed-text renderer, each on a thread
//! with tokio's default 2 MiB stack: no input may overflow it or run past a time bound.

use std::time::Duration;

use feedmark::dom::Budget;
use feedmark::extract::{self, Rules};
use proptest::prelude::*;
use url::Url;

/// Tags the walkers treat differently: blocks, lists, tables, emphasis, links, code, quotes.
const TAGS: &[&str] = &[
    "div",
    "p",
    "b",
    "i",
    "span",
    "a",
    "ul",
    "li",
    "ol",
    "table",
    "tr",
    "td",
    "blockquote",
    "pre",
    "code",
    "h2",
    "section",
    "em",
    "strong",
    "figure",
    "dl",
    "dd",
    "font",
    "svg",
];

/// A page nested `depth` deep by cycling through `pattern` (indices into [`TAGS`]), closed
/// (or not) at the end, with text at several levels.
fn nested_page(pattern: &[usize], depth: usize, close: bool) -> String {
    let mut html = String::from("<html><body><article><p>Opening words of the article.</p>");
    let mut open = Vec::with_capacity(depth);
    for level in 0..depth {
        let tag = TAGS[pattern[level % pattern.len()]];
        html.push_str(&format!("<{tag}>"));
        if level % 997 == 0 {
            html.push_str(&format!("words at level {level} "));
        }
        open.push(tag);
    }
    html.push_str("the deepest words");
    if close {
        for tag in open.iter().rev() {
            html.push_str(&format!("</{tag}>"));
        }
    }
    html + "</article></body></html>"
}

/// Runs `f` on a thread with a 2 MiB stack, as tokio's blocking pool would.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn deep_random_nesting_is_extracted_within_bounds(
        pattern in prop::collection::vec(0..TAGS.len(), 1..6),
        depth in 1_000usize..30_000,
        close in any::<bool>(),
    ) {
        let page = nested_page(&pattern, depth, close);
        // Quadratic work on 40,000 levels takes minutes in a debug build; the bound is
        // generous so that a slow machine never fails the test, only super-linear work does.
        let found = on_small_stack(move || {
            let rules = Rules::new(&[]).unwrap();
            let url = Url::parse("https://example.com/a").unwrap();
            let budget = Budget::new(Duration::from_secs(60));
            let page_result = extract::extract_page_within(&page, &url, &rules, &budget);
            let feed_result = extract::from_feed(Some(&page), Some(&url));
            (page_result, feed_result)
        });
        let (page_result, feed_result) = found;
        prop_assert!(page_result.is_ok(), "{:?}", page_result.err());
        // The feed renderer keeps all text but what it skips (SVG) and what stands loose in
        // a container of rows or items (invalid HTML): cut or not, the deepest text stays.
        let feed_text = feed_result.map(|e| e.text).unwrap_or_default();
        let loose = ["svg", "ul", "ol", "table", "tr", "dl"];
        let skipped = pattern.iter().any(|&t| loose.contains(&TAGS[t]));
        let shown = &feed_text[..feed_text.len().min(300)];
        prop_assert!(skipped || feed_text.contains("the deepest words"), "{}", shown);
    }
}
