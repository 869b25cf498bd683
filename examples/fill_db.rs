//! Fills a feedmark database with N synthetic articles through the library, for benchmarks.
//!
//! cargo run --release --example fill_db -- CONFIG N
//!
//! The articles look like news: ~900 words in 9 paragraphs with two links each, spread over
//! five feeds and two years. Deterministic: the same N gives the same database content.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use feedmark::store::Article;
use feedmark::{Config, Store};

const WORDS: &[&str] = &[
    "the",
    "defense",
    "secretary",
    "said",
    "on",
    "thursday",
    "that",
    "negotiations",
    "between",
    "russia",
    "and",
    "ukraine",
    "would",
    "require",
    "both",
    "sides",
    "to",
    "recognize",
    "things",
    "they",
    "do",
    "not",
    "want",
    "senate",
    "passed",
    "a",
    "stopgap",
    "funding",
    "bill",
    "late",
    "night",
    "pentagon",
    "ordered",
    "review",
    "of",
    "readiness",
    "programs",
    "administration",
    "officials",
    "told",
    "reporters",
    "in",
    "brussels",
    "after",
    "meeting",
    "allies",
    "budget",
    "committee",
    "hearing",
    "lawmakers",
    "questioned",
    "plan",
    "is",
    "unrealistic",
    "objective",
];

/// A small deterministic generator (no dependency needed for synthetic text).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.next() % WORDS.len()]
    }
}

fn article(i: usize, feed_id: i64, rng: &mut Lcg) -> Article {
    let title: Vec<&str> = (0..8 + rng.next() % 6).map(|_| rng.word()).collect();
    let title = format!("{} {i}", title.join(" "));
    let mut markdown = Vec::new();
    let mut text = Vec::new();
    for p in 0..9 {
        let words: Vec<&str> = (0..100).map(|_| rng.word()).collect();
        let (a, b) = words.split_at(40);
        let link = format!("https://news.example.com/{i}/{p}/");
        markdown.push(format!(
            "{} [{} {}]({link}) {}.",
            a.join(" "),
            b[0],
            b[1],
            b[2..].join(" ")
        ));
        text.push(format!("{}.", words.join(" ")));
    }
    let (markdown, text) = (markdown.join("\n\n"), text.join("\n\n"));
    // Two years of articles, one every ~105 minutes, on whole seconds.
    let published_at = FIRST_PUBLISHED + (i as i64) * 6_311;
    let date = DateTime::<Utc>::from_timestamp(published_at, 0).unwrap_or_default();
    let key = feedmark::text::sha256_hex(&format!("bench-{i}"));
    Article {
        url: format!("https://news.example.com/{i}/"),
        file_name: feedmark::render::file_name(date, &title, &key),
        title,
        author: Some("Staff".into()),
        published_at,
        updated_at: None,
        lang: "en".into(),
        feed_content: Some(format!("<p>{}</p>", &text[..200.min(text.len())])),
        content_hash: feedmark::text::sha256_hex(&markdown),
        text,
        markdown,
        extraction_method: feedmark::extract::Method::Generic,
        feed_id,
        item_hash: Some(key.clone()),
        modified_at: None,
        thumbnail: String::new(),
        date_source: Some(feedmark::store::DateSource::Feed),
        ..Article::default()
    }
}

/// When the first article was published (2023-01-01, Unix seconds).
const FIRST_PUBLISHED: i64 = 1_672_531_200;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let config = PathBuf::from(args.next().context("usage: fill_db CONFIG N")?);
    let n: usize = args.next().context("usage: fill_db CONFIG N")?.parse()?;
    let config = Config::load(&config)?;
    let mut store = Store::open(&config.database)?;
    let mut feeds = Vec::new();
    for f in 0..5 {
        feeds.push(
            store
                .upsert_feed(
                    &format!("bench{f}"),
                    &format!("https://news.example.com/{f}/feed/"),
                    FIRST_PUBLISHED,
                )?
                .id,
        );
    }
    let mut rng = Lcg(42);
    for i in 0..n {
        let a = article(i, feeds[i % feeds.len()], &mut rng);
        let key = feedmark::text::sha256_hex(&format!("bench-{i}"));
        // Stored when published: the bench's database is the same on every run.
        store.insert_article(&a, &[&key], &[&a.url], a.published_at)?;
    }
    println!(
        "{} articles in {}",
        store.article_count()?,
        config.database.display()
    );
    Ok(())
}
