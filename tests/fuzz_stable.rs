//! A stable-toolchain stand-in for the cargo-fuzz targets in fuzz/: seeded random mutations of
//! the corpus and fixtures go through feed parsing, extraction + Markdown and front-matter
//! writing. CI runs a fixed, short pass; `FEEDMARK_FUZZ_SECS=N` runs each target for N seconds
//! (`FEEDMARK_FUZZ_SEED` picks another seed).

#[path = "common/hugo_syntax.rs"]
mod hugo_syntax;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::TimeZone;
use feedmark::config::HugoConfig;
use feedmark::extract::{self, Rules};
use feedmark::render::{self, Page};

#[path = "common/optional.rs"]
#[allow(dead_code)]
mod optional;

/// xorshift64*: deterministic, so a failing input can be regenerated from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that tend to break parsers, renderers and YAML.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&lol;",
    "]]>",
    "<![CDATA[",
    "<!--",
    "-->",
    "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    "<!DOCTYPE x [<!ENTITY e \"&e;\">]>",
    "\u{feff}",
    "\0",
    "\u{2028}",
    "\r\n",
    "\n---\n",
    "\"",
    "\\",
    ": ",
    "#",
    "{{<",
    "{{%",
    "<!--more-->",
    "<script>",
    "</p>",
    "<p>",
    "<a href=\"javascript:x\">",
    "<table><tr><td>",
    "<pre><code>",
    "</item>",
    "<item>",
    "</entry>",
    "<entry>",
    "\u{1f389}",
    "\u{fffd}",
    "\u{ff}",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            1 if !out.is_empty() => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 if at < out.len() => out[at] = rng.next() as u8,
            3 => out.truncate(at),
            _ => {
                // Repeat a slice: deep nesting, long runs.
                let end = (at + rng.below(32)).min(out.len());
                let piece = out[at.min(end)..end].to_vec();
                for _ in 0..rng.below(50) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
        }
    }
    out.truncate(256 * 1024);
    out
}

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/thehill"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    // The full corpus when it is there, else the vendored slice, which holds every real
    // capture and every RSS 2.0 feed of feed-rs (not all its expected models).
    let full = std::env::var_os("FEEDMARK_CORPUS")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || optional::shared_root().join("feeds/corpus"),
            PathBuf::from,
        );
    let corpus = if full.is_dir() {
        full
    } else {
        root.join("tests/fixtures/corpus")
    };
    for sub in [
        "real/thehill",
        "real/hnrss",
        "real/geekwire",
        "feed-rs/feed-rs/fixture/rss2",
    ] {
        let dir = corpus.join(sub);
        paths.extend(
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path()),
        );
    }
    paths.sort();
    let mut out: Vec<Vec<u8>> = paths
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    out.push(Vec::new());
    out
}

fn feed_parse(data: &[u8]) {
    if let Ok(feed) = feedmark::feed::parse(data, None, Some("https://example.com/feed/")) {
        for item in &feed.items {
            feedmark::identity::item_key(item, "https://example.com/feed/");
            front_matter(&item.title, "", item.content_html.as_deref().unwrap_or(""));
        }
    }
}

fn extract_markdown(data: &[u8], rules: &Rules) {
    let html = feedmark::charset::decode_html(data, Some("text/html"));
    let url = url::Url::parse("https://thehill.com/policy/defense/1-x/").unwrap();
    if let Some(e) = extract::extract_page(&html, &url, rules) {
        assert!(!e.text.trim().is_empty());
        front_matter("t", &e.text, &e.markdown);
    }
    extract::from_feed(Some(&html), Some(&url));
}

fn front_matter(title: &str, text: &str, markdown: &str) {
    let hugo = HugoConfig::default();
    let date = chrono::Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap();
    let file = render::render(&Page {
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
        categories: &[],
    });
    let rest = file.strip_prefix("---\n").unwrap();
    let end = rest.find("\n---\n").unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end]).unwrap();
    let got = docs[0]["title"].as_str().unwrap();
    assert_eq!(got.chars().count(), title.chars().count(), "{title:?}");
    let body = &rest[end + 5..];
    assert!(hugo_syntax::hugo_reads_no_syntax(body), "{body}");
}

/// Runs `target` on mutated seeds for `budget` (or `min_runs` inputs, whichever is more);
/// a panic names the seed and the input's number so it can be replayed.
fn run(name: &str, budget: Duration, min_runs: usize, mut target: impl FnMut(&[u8])) {
    let seed = std::env::var("FEEDMARK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00f0_0d5e_ed00_u64);
    let mut rng = Rng(seed ^ name.len() as u64);
    let pool = seeds();
    let started = Instant::now();
    let mut runs = 0;
    while runs < min_runs || started.elapsed() < budget {
        let pick = rng.below(pool.len());
        let input = mutate(&mut rng, &pool[pick]);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(&input)));
        if result.is_err() {
            let path = std::env::temp_dir().join(format!("feedmark-fuzz-{name}-{runs}.bin"));
            std::fs::write(&path, &input).ok();
            panic!(
                "{name}: input {runs} of seed {seed:#x} failed; saved to {}",
                path.display()
            );
        }
        runs += 1;
    }
    println!(
        "{name}: {runs} inputs in {:.1} s, no failure",
        started.elapsed().as_secs_f64()
    );
}

fn budget() -> Duration {
    Duration::from_secs(
        std::env::var("FEEDMARK_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    )
}

/// Inputs the fuzzers found, kept as regression tests: each goes through every target.
#[test]
fn past_findings_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let rules = Rules::new(&[]).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let data = std::fs::read(entry.path()).unwrap();
        feed_parse(&data);
        extract_markdown(&data, &rules);
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn fuzz_feed_parse() {
    run("feed_parse", budget(), 150, feed_parse);
}

#[test]
fn fuzz_extract_markdown() {
    let rules = Rules::new(&[]).unwrap();
    run("extract_markdown", budget(), 60, |d| {
        extract_markdown(d, &rules);
    });
}

#[test]
fn fuzz_front_matter() {
    run("front_matter", budget(), 2000, |d| {
        let s = String::from_utf8_lossy(d);
        let mut parts = s.splitn(3, '\u{1}');
        let (t, x, m) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        front_matter(&t.chars().take(300).collect::<String>(), x, m);
    });
}
