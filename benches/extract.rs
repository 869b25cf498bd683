//! Per-page extraction time, in process: the twelve fixture pages, and every page of the
//! extraction benchmark (../shared/extraction/dev) when it is present beside the project.
//!
//! `cargo bench --bench extract` (figures and the exact command in docs/benchmarks.md).

use std::io::Read;
use std::path::{Path, PathBuf};

use divan::{Bencher, black_box};
use feedmark::extract::{Rules, extract_page};
use url::Url;

fn main() {
    divan::main();
}

const FIXTURES: &[&str] = &[
    "news.html",
    "blog-code.html",
    "listicle.html",
    "tables.html",
    "lazy-images.html",
    "paywall.html",
    "nested-lists.html",
    "quotes-embeds.html",
    "jsonld-article.html",
    "typography.html",
    "div-soup.html",
    "thehill-current.html",
];

fn dev_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/extraction/dev")
}

/// Ids of the benchmark's pages (empty when the benchmark is not beside the project).
fn dev_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dev_dir().join("html"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".html.gz").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// The page's HTML and its original URL (from the benchmark's ground truth).
fn dev_page(id: &str) -> (String, Url) {
    let gz = std::fs::read(dev_dir().join("html").join(format!("{id}.html.gz"))).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut bytes)
        .unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev_dir().join("ground-truth.json")).unwrap())
            .unwrap();
    let url = Url::parse(truth[id]["url"].as_str().unwrap()).unwrap();
    (feedmark::charset::decode_html(&bytes, None), url)
}

#[divan::bench(args = FIXTURES, sample_count = 50, sample_size = 1)]
fn fixture_page(bencher: Bencher, file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pages")
        .join(file);
    let html = std::fs::read_to_string(path).unwrap();
    let url = Url::parse("https://example.org/2026/01/article").unwrap();
    let rules = Rules::new(&[]).unwrap();
    bencher.bench_local(|| black_box(extract_page(black_box(&html), &url, &rules)));
}

/// One row per benchmark page: decoding is outside the timing, as it is for score.py's
/// in-process figures; parsing, extraction and both renders are inside.
#[divan::bench(args = dev_ids(), sample_count = 20, sample_size = 1)]
fn dev_page_extract(bencher: Bencher, id: &str) {
    let (html, url) = dev_page(id);
    let rules = Rules::new(&[]).unwrap();
    bencher.bench_local(|| black_box(extract_page(black_box(&html), &url, &rules)));
}
