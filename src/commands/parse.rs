//! `feedmark parse`: one saved feed file as feedmark reads it; no network, no database.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::Result;
use crate::feed::{self, ContentKind, Item, ParsedFeed};

/// The feed in `bytes` as text (one block per item) or, with `json`, as one JSON object.
/// `base_url` resolves relative links, as the feed's own URL would.
pub fn run(bytes: &[u8], base_url: Option<&str>, json: bool) -> Result<String> {
    let parsed = feed::parse(bytes, None, base_url)?;
    if json {
        let view = JsonFeed::from(&parsed);
        let mut out = serde_json::to_string_pretty(&view).unwrap_or_default();
        out.push('\n');
        return Ok(out);
    }
    Ok(text(&parsed))
}

/// `parse --json`: the feed's fields, then each item's; absent values are `null`.
#[derive(serde::Serialize)]
struct JsonFeed<'a> {
    title: Option<&'a str>,
    link: Option<&'a str>,
    language: Option<&'a str>,
    ttl: Option<u32>,
    item_count: usize,
    repairs: &'a [String],
    items: Vec<JsonItem<'a>>,
}

#[derive(serde::Serialize)]
struct JsonItem<'a> {
    guid: Option<&'a str>,
    link: Option<&'a str>,
    title: &'a str,
    /// RFC 3339 in UTC.
    published: Option<String>,
    updated: Option<String>,
    /// The item's date string when none could be read.
    unparsed_date: Option<&'a str>,
    authors: &'a [String],
    content: Option<JsonContent<'a>>,
    summary: Option<&'a str>,
    categories: &'a [String],
    enclosures: &'a [String],
    image: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct JsonContent<'a> {
    /// What the feed said the content was; `value` is HTML in every case.
    kind: ContentKind,
    value: &'a str,
}

impl<'a> From<&'a ParsedFeed> for JsonFeed<'a> {
    fn from(f: &'a ParsedFeed) -> Self {
        JsonFeed {
            title: f.title.as_deref(),
            link: f.link.as_deref(),
            language: f.language.as_deref(),
            ttl: f.ttl,
            item_count: f.items.len(),
            repairs: &f.repairs,
            items: f.items.iter().map(JsonItem::from).collect(),
        }
    }
}

impl<'a> From<&'a Item> for JsonItem<'a> {
    fn from(i: &'a Item) -> Self {
        JsonItem {
            guid: i.guid.as_deref(),
            link: i.link.as_deref(),
            title: &i.title,
            published: i.published.map(rfc3339),
            updated: i.updated.map(rfc3339),
            unparsed_date: i.unparsed_date.as_deref(),
            authors: &i.authors,
            content: i.content_html.as_deref().map(|value| JsonContent {
                kind: i.content_kind,
                value,
            }),
            summary: i.summary_html.as_deref(),
            categories: &i.categories,
            enclosures: &i.enclosures,
            image: i.image.as_deref(),
        }
    }
}

fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The human view: the feed's header, then a few lines per item.
fn text(f: &ParsedFeed) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "feed: {}\nlink: {}\nitems: {}\n",
        f.title.as_deref().unwrap_or("(no title)"),
        f.link.as_deref().unwrap_or("(none)"),
        f.items.len()
    ));
    for r in &f.repairs {
        out.push_str(&format!("repaired: {r}\n"));
    }
    for (n, i) in f.items.iter().enumerate() {
        out.push_str(&format!("\n[{}] {}\n", n + 1, non_empty(&i.title)));
        let date = |d: Option<DateTime<Utc>>| d.map_or_else(|| "(none)".to_string(), rfc3339);
        let lines = [
            ("link", i.link.clone().unwrap_or_else(|| "(none)".into())),
            ("guid", i.guid.clone().unwrap_or_else(|| "(none)".into())),
            ("published", date(i.published)),
            ("updated", date(i.updated)),
            (
                "unreadable date",
                i.unparsed_date.clone().unwrap_or_default(),
            ),
            ("authors", i.authors.join(", ")),
            ("categories", i.categories.join(", ")),
            ("enclosures", i.enclosures.join(" ")),
        ];
        for (name, value) in lines.iter().filter(|(_, v)| !v.is_empty()) {
            out.push_str(&format!("  {name}: {value}\n"));
        }
        if let Some(html) = &i.content_html {
            let text = crate::text::squash_whitespace(&crate::text::strip_tags(html));
            let head: String = text.chars().take(160).collect();
            out.push_str(&format!("  content ({:?}): {head}\n", i.content_kind));
        }
    }
    out
}

fn non_empty(s: &str) -> &str {
    if s.is_empty() { "(no title)" } else { s }
}
