//! Reads a page's own metadata: title, author, date and lead image (JSON-LD, Open Graph, meta).

use scraper::{ElementRef, Html};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::markdown::attr;

/// What a page says about its article, each field from the most reliable source present.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PageMeta {
    pub title: Option<String>,
    pub author: Option<String>,
    /// Publication time: RFC 3339 in UTC when the page's value parses, else as the page wrote it.
    pub date: Option<String>,
    /// Absolute URL of the lead image (`og:image`, else JSON-LD `image`).
    pub image: Option<String>,
}

/// The schema.org article object a page embeds as JSON-LD, if any.
#[derive(Debug, Default)]
struct LdArticle {
    headline: Option<String>,
    author: Option<String>,
    date: Option<String>,
    image: Option<String>,
}

/// Metadata of `doc`, downloaded from `url`. Sources, best first: JSON-LD, Open Graph and
/// article meta tags, then the document's own `<title>`, `<time>` and `<h1>`.
pub fn read(doc: &Html, url: &Url) -> PageMeta {
    let found = Found::walk(doc);
    let ld = json_ld(&found.ld_scripts);
    let [
        og_title,
        twitter_title,
        author,
        article_author,
        published,
        date_published,
        og_image,
        twitter_image,
    ] = found.meta;
    let title = ld
        .headline
        .or(og_title)
        .or(twitter_title)
        .or_else(|| page_title(found.title, found.h1));
    let author = ld
        .author
        .or(author)
        .or(article_author.filter(|a| !a.contains("://")))
        .or(found.rel_author);
    let date = ld
        .date
        .or(published)
        .or(date_published)
        .or(found.time)
        .map(|d| normalise_date(&d));
    let image = og_image
        .or(ld.image)
        .or(twitter_image)
        .and_then(|i| absolute(url, &i));
    PageMeta {
        title,
        author,
        date,
        image,
    }
}

/// The `<meta>` tags read, as (attribute, value) naming them; their `content` is the value.
const META_TAGS: [(&str, &str); 8] = [
    ("property", "og:title"),
    ("name", "twitter:title"),
    ("name", "author"),
    ("property", "article:author"),
    ("property", "article:published_time"),
    ("itemprop", "datePublished"),
    ("property", "og:image"),
    ("name", "twitter:image"),
];

/// Each source's first non-empty value in document order, gathered in one walk over the
/// document (a selector per source walked it once each: ~14 walks of every element).
#[derive(Default)]
struct Found<'a> {
    meta: [Option<String>; META_TAGS.len()],
    /// `<title>`, `<h1>`, an element with `rel~=author`: their text.
    title: Option<String>,
    h1: Option<String>,
    rel_author: Option<String>,
    /// `<time datetime>`.
    time: Option<String>,
    ld_scripts: Vec<ElementRef<'a>>,
}

impl<'a> Found<'a> {
    fn walk(doc: &'a Html) -> Found<'a> {
        let mut found = Found::default();
        for el in doc
            .root_element()
            .descendants()
            .filter_map(ElementRef::wrap)
        {
            let v = el.value();
            match v.name() {
                "meta" => found.read_meta(v),
                "title" => fill(&mut found.title, || text_of(el)),
                "h1" => fill(&mut found.h1, || text_of(el)),
                "time" => fill(&mut found.time, || {
                    attr(v, "datetime").map(squash).unwrap_or_default()
                }),
                "script"
                    if attr(v, "type")
                        .is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json")) =>
                {
                    found.ld_scripts.push(el);
                }
                _ => {}
            }
            // Browsers match `rel` tokens without regard to case.
            if attr(v, "rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("author"))
            }) {
                fill(&mut found.rel_author, || text_of(el));
            }
        }
        found
    }

    fn read_meta(&mut self, v: &scraper::node::Element) {
        for (slot, (name, value)) in self.meta.iter_mut().zip(META_TAGS) {
            if attr(v, name) == Some(value) {
                fill(slot, || attr(v, "content").map(squash).unwrap_or_default());
            }
        }
    }
}

/// Sets an empty `slot` to `value()` unless that is empty too (the next candidate may do).
fn fill(slot: &mut Option<String>, value: impl FnOnce() -> String) {
    if slot.is_none() {
        let v = value();
        if !v.is_empty() {
            *slot = Some(v);
        }
    }
}

fn squash(s: &str) -> String {
    crate::text::squash_whitespace(s)
}

fn text_of(el: ElementRef<'_>) -> String {
    squash(&el.text().collect::<String>())
}

/// `<title>` usually appends the site's name ("Headline | Site"): the page's `<h1>` is the
/// headline alone when the title starts with it.
fn page_title(title: Option<String>, h1: Option<String>) -> Option<String> {
    match (title, h1) {
        (Some(t), Some(h)) if t.starts_with(&h) => Some(h),
        (Some(t), _) => Some(t),
        (None, h) => h,
    }
}

/// RFC 3339 in UTC when `raw` is a date-time chrono understands; `raw` trimmed otherwise.
pub fn normalise_date(raw: &str) -> String {
    let raw = raw.trim();
    chrono::DateTime::parse_from_rfc3339(raw)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(raw))
        .or_else(|_| chrono::DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%z"))
        .map_or_else(
            |_| raw.to_string(),
            |d| d.with_timezone(&chrono::Utc).to_rfc3339(),
        )
}

fn absolute(url: &Url, href: &str) -> Option<String> {
    let u = url.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// The first schema.org Article-like object in the page's JSON-LD scripts.
fn json_ld(scripts: &[ElementRef<'_>]) -> LdArticle {
    scripts
        .iter()
        .filter_map(|s| serde_json::from_str::<Value>(s.text().collect::<String>().trim()).ok())
        .find_map(|v| {
            find_article(&v).map(|a| LdArticle {
                headline: string(a.get("headline")),
                author: names(a.get("author")),
                date: string(a.get("datePublished")),
                image: image(a.get("image")),
            })
        })
        .unwrap_or_default()
}

fn find_article(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.iter().find_map(find_article),
        Value::Object(map) => {
            if map.get("@type").is_some_and(is_article_type) {
                return Some(v);
            }
            map.get("@graph").and_then(find_article)
        }
        _ => None,
    }
}

fn is_article_type(t: &Value) -> bool {
    match t {
        Value::String(s) => s.ends_with("Article") || s.ends_with("Posting") || s == "Report",
        Value::Array(ts) => ts.iter().any(is_article_type),
        _ => false,
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    let s = crate::text::squash_whitespace(&crate::text::decode_entities(v?.as_str()?));
    (!s.is_empty()).then_some(s)
}

/// Author names from a string, a Person/Organization object or a list of either.
fn names(v: Option<&Value>) -> Option<String> {
    let list: Vec<String> = match v? {
        Value::Array(items) => items.iter().filter_map(|i| names(Some(i))).collect(),
        Value::Object(map) => string(map.get("name")).into_iter().collect(),
        other => string(Some(other)).into_iter().collect(),
    };
    (!list.is_empty()).then(|| list.join(", "))
}

fn image(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Array(items) => items.iter().find_map(|i| image(Some(i))),
        Value::Object(map) => string(map.get("url")),
        other => string(Some(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_wins_then_open_graph() {
        let page = r#"<html><head><title>Page | Site</title>
            <meta property="og:title" content="OG title"><meta property="og:image" content="/lead.jpg">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebPage"},{"@type":"NewsArticle","headline":"LD &amp; title",
               "author":[{"@type":"Person","name":"Ann"},{"name":"Bo"}],
               "datePublished":"2019-11-18T20:19:00-05:00"}]}</script></head><body></body></html>"#;
        let url = Url::parse("https://example.com/a/b").unwrap();
        let m = read(&Html::parse_document(page), &url);
        assert_eq!(m.title.as_deref(), Some("LD & title"));
        assert_eq!(m.author.as_deref(), Some("Ann, Bo"));
        assert_eq!(m.date.as_deref(), Some("2019-11-19T01:19:00+00:00"));
        assert_eq!(m.image.as_deref(), Some("https://example.com/lead.jpg"));
    }

    #[test]
    fn plain_pages_fall_back_to_title_and_time() {
        let page = r#"<html><head><title> Just a page </title><meta name="author" content="Cy"></head>
            <body><time datetime="yesterday-ish">then</time></body></html>"#;
        let url = Url::parse("https://example.com/").unwrap();
        let m = read(&Html::parse_document(page), &url);
        assert_eq!(m.title.as_deref(), Some("Just a page"));
        assert_eq!(m.author.as_deref(), Some("Cy"));
        assert_eq!(m.date.as_deref(), Some("yesterday-ish"));
        assert_eq!(m.image, None);
    }

    #[test]
    fn the_first_non_empty_value_of_each_source_counts() {
        let page = r#"<html><head><title> </title><meta property="og:title" content="  ">
            <meta property="og:title" content="Second og"><meta name="og:title" content="wrong attr">
            <meta property="article:author" content="https://example.com/ann"></head>
            <body><h1>Head</h1><time datetime=" ">x</time><time datetime="2020-01-02">y</time>
            <a rel="nofollow Author" href="/bo"> Bo  Bee </a><a rel="author">Cy</a></body></html>"#;
        let url = Url::parse("https://example.com/").unwrap();
        let m = read(&Html::parse_document(page), &url);
        assert_eq!(m.title.as_deref(), Some("Second og"));
        // An author given as a URL is no name: the first rel=author link's text is.
        assert_eq!(m.author.as_deref(), Some("Bo Bee"));
        assert_eq!(m.date.as_deref(), Some("2020-01-02"));
        let untitled = read(
            &Html::parse_document("<title></title><h1> Only h1 </h1>"),
            &url,
        );
        assert_eq!(untitled.title.as_deref(), Some("Only h1"));
    }
}
