//! Markdown snapshots of the extraction of a dozen varied pages (tests/fixtures/pages/).
//! Review changes with `cargo insta review` (or INSTA_UPDATE=always, then read the diff).

use feedmark::extract::{Rules, extract_page};
use url::Url;

/// Renders a page as the snapshot records it: method and metadata, then the Markdown body.
fn snapshot_of(file: &str, url: &str) -> String {
    let path = format!("{}/tests/fixtures/pages/{file}", env!("CARGO_MANIFEST_DIR"));
    let html = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rules = Rules::new(&[]).unwrap();
    let found = extract_page(&html, &Url::parse(url).unwrap(), &rules)
        .unwrap_or_else(|| panic!("{file}: nothing extracted"));
    let m = &found.meta;
    format!(
        "method: {}\ntitle: {:?}\nauthor: {:?}\ndate: {:?}\nimage: {:?}\n---\n{}\n",
        found.method, m.title, m.author, m.date, m.image, found.markdown
    )
}

macro_rules! page {
    ($name:ident, $file:expr, $url:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), snapshot_of($file, $url));
        }
    };
}

page!(
    news,
    "news.html",
    "https://gazette.example/local/2026/03/council-approves-bridge"
);
page!(
    blog_with_code,
    "blog-code.html",
    "https://blog.example/2025/11/02/parsing-dates/"
);
page!(
    listicle,
    "listicle.html",
    "https://devweekly.example/lists/seven-habits"
);
page!(
    tables,
    "tables.html",
    "https://transit.example/news/punctuality-2025"
);
page!(
    lazy_images,
    "lazy-images.html",
    "https://travel.example/islands/"
);
page!(
    paywall_teaser,
    "paywall.html",
    "https://ledger.example/tech/chips-second-act"
);
page!(
    nested_lists,
    "nested-lists.html",
    "https://hikes.example/winter-packing-list"
);
page!(
    quotes_and_embeds,
    "quotes-embeds.html",
    "https://eastside.example/library-closure"
);
page!(
    json_ld_article,
    "jsonld-article.html",
    "https://sky.example/news/new-comet"
);
page!(
    typography,
    "typography.html",
    "https://words.example/semicolon"
);
page!(
    div_soup,
    "div-soup.html",
    "https://village.example/news/harvest"
);
page!(
    site_rule_thehill,
    "thehill-current.html",
    "https://thehill.com/homenews/senate/1-stopgap/"
);
