//! Reads a page's own metadata: title, author, date and lead image (JSON-LD, Open Graph, meta).

use scraper::{Html, Selector};
use serde::Serialize;
use serde_json::Value;
use url::Url;

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
    let ld = json_ld(doc);
    let title = ld
        .headline
        .or_else(|| meta(doc, "meta[property='og:title']"))
        .or_else(|| meta(doc, "meta[name='twitter:title']"))
        .or_else(|| page_title(doc));
    let author = ld
        .author
        .or_else(|| meta(doc, "meta[name='author']"))
        .or_else(|| meta(doc, "meta[property='article:author']").filter(|a| !a.contains("://")))
        .or_else(|| first_text(doc, "[rel~='author']"));
    let date = ld
        .date
        .or_else(|| meta(doc, "meta[property='article:published_time']"))
        .or_else(|| meta(doc, "meta[itemprop='datePublished']"))
        .or_else(|| attr(doc, "time[datetime]", "datetime"))
        .map(|d| normalise_date(&d));
    let image = meta(doc, "meta[property='og:image']")
        .or(ld.image)
        .or_else(|| meta(doc, "meta[name='twitter:image']"))
        .and_then(|i| absolute(url, &i));
    PageMeta {
        title,
        author,
        date,
        image,
    }
}

/// `<title>` usually appends the site's name ("Headline | Site"): the page's `<h1>` is the
/// headline alone when the title starts with it.
fn page_title(doc: &Html) -> Option<String> {
    let title = first_text(doc, "title");
    let h1 = first_text(doc, "h1");
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
        .map(|d| d.with_timezone(&chrono::Utc).to_rfc3339())
        .unwrap_or_else(|_| raw.to_string())
}

fn absolute(url: &Url, href: &str) -> Option<String> {
    let u = url.join(href.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

fn select(css: &str) -> Option<Selector> {
    Selector::parse(css).ok()
}

fn attr(doc: &Html, css: &str, name: &str) -> Option<String> {
    let sel = select(css)?;
    doc.select(&sel)
        .filter_map(|e| e.value().attr(name))
        .map(crate::text::squash_whitespace)
        .find(|v| !v.is_empty())
}

fn meta(doc: &Html, css: &str) -> Option<String> {
    attr(doc, css, "content")
}

fn first_text(doc: &Html, css: &str) -> Option<String> {
    let sel = select(css)?;
    doc.select(&sel)
        .map(|e| crate::text::squash_whitespace(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// The first schema.org Article-like object in the page's JSON-LD scripts.
fn json_ld(doc: &Html) -> LdArticle {
    let Some(sel) = select("script[type='application/ld+json']") else {
        return LdArticle::default();
    };
    doc.select(&sel)
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
}
