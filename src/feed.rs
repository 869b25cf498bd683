//! Parses feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into plain items, repairing common breakage.

use chrono::{DateTime, Utc};
use feed_rs::model;

use crate::error::{Error, Result};
use crate::text::{decode_entities, squash_whitespace};

/// A parsed feed: its own metadata and its items, in document order.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// Primary language subtag (`en` for `en-US`), lowercased.
    pub language: Option<String>,
    /// RSS `<ttl>` in minutes.
    pub ttl: Option<u32>,
    pub items: Vec<Item>,
}

/// One feed entry, reduced to what feedmark uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    /// The item's own id (guid / Atom id / JSON id), when it has one.
    pub guid: Option<String>,
    /// The article's absolute URL.
    pub link: Option<String>,
    /// Plain-text title, entities decoded, whitespace squashed.
    pub title: String,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    /// Full content (HTML) when the feed carries it, else the description / summary.
    pub content_html: Option<String>,
    pub categories: Vec<String>,
    /// An image from the item's enclosure or media:thumbnail.
    pub image: Option<String>,
}

/// Parses a downloaded feed. `content_type` supplies the HTTP charset; `base_url` resolves
/// relative links.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&str>,
) -> Result<ParsedFeed> {
    let text = crate::charset::decode_xml(bytes, content_type);
    let repaired = repair(&text);
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base_url)
        // An empty id marks "no id of its own": feedmark derives a stable key instead of the
        // random UUID feed-rs would invent (which would duplicate the item on every poll).
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser
        .parse(repaired.as_bytes())
        .map_err(|e| Error::Parse(describe(&e, &repaired)))?;
    Ok(convert(feed, base_url))
}

fn describe(e: &feed_rs::parser::ParseFeedError, text: &str) -> String {
    let head = text
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return "got an HTML page, not a feed".into();
    }
    if text.trim().is_empty() {
        return "empty document".into();
    }
    e.to_string()
}

/// Repairs what feed-rs rejects but a person can read: leading junk before the root,
/// an `<rss>` with no or an unknown `version`, and HTML entities XML does not define.
pub fn repair(text: &str) -> String {
    let start = text.find(['<', '{']).unwrap_or(0);
    let body = &text[start..];
    if body.starts_with('{') {
        return body.to_string();
    }
    let body = strip_xml_declaration(body);
    let body = fix_rss_version(body);
    html_entities_to_numeric(&body)
}

/// The text was transcoded to UTF-8 already, so a declared encoding would now be wrong.
fn strip_xml_declaration(text: &str) -> &str {
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        return text[end + 2..].trim_start();
    }
    text
}

fn fix_rss_version(text: &str) -> String {
    let Some(pos) = find_root_tag(text, "rss") else {
        return text.to_string();
    };
    let Some(close) = text[pos..].find('>') else {
        return text.to_string();
    };
    let tag = &text[pos..pos + close];
    let fixed = match attribute_value(tag, "version") {
        Some("2.0" | "0.91" | "0.92" | "") => return text.to_string(),
        Some(v) => {
            tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1)
                .replacen(&format!("'{v}'"), "'2.0'", 1)
        }
        None => format!("<rss version=\"2.0\"{}", &tag[4..]),
    };
    format!("{}{}{}", &text[..pos], fixed, &text[pos + close..])
}

/// Position of the first `<name` start tag (followed by whitespace, `>` or `/`).
fn find_root_tag(text: &str, name: &str) -> Option<usize> {
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let next = text[at + needle.len()..].chars().next();
        if matches!(next, Some(c) if c.is_whitespace() || c == '>' || c == '/') {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = rest[i + name.len()..].trim_start();
        if matches!(before, Some(c) if c.is_whitespace())
            && let Some(value) = after.strip_prefix('=')
        {
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let inner = &value[1..];
                return inner.find(quote).map(|end| &inner[..end]);
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

/// `&nbsp;` and friends are undefined in XML and make the whole feed invalid: turn every
/// HTML named entity (other than XML's five) into a numeric reference.
fn html_entities_to_numeric(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let name_len = tail[1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len() - 1);
        let is_named = name_len > 0 && tail[1 + name_len..].starts_with(';');
        let name = &tail[1..1 + name_len];
        if is_named && !matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            let entity = &tail[..name_len + 2];
            let decoded = html_escape::decode_html_entities(entity);
            if decoded != entity {
                for c in decoded.chars() {
                    out.push_str(&format!("&#{};", c as u32));
                }
                rest = &tail[name_len + 2..];
                continue;
            }
        }
        out.push('&');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

fn convert(feed: model::Feed, base_url: Option<&str>) -> ParsedFeed {
    let base = base_url.and_then(|b| url::Url::parse(b).ok());
    ParsedFeed {
        title: feed.title.map(|t| text_value(&t)),
        language: feed.language.as_deref().and_then(primary_language),
        ttl: feed.ttl,
        items: feed
            .entries
            .into_iter()
            .map(|e| convert_entry(e, base.as_ref()))
            .collect(),
    }
}

fn convert_entry(entry: model::Entry, base: Option<&url::Url>) -> Item {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(entry.links.first())
        .and_then(|l| absolute(&l.href, base));
    let content_html = entry
        .content
        .and_then(|c| c.body)
        .filter(|b| !b.trim().is_empty())
        .or_else(|| entry.summary.map(|s| s.content))
        .filter(|b| !b.trim().is_empty());
    let image = entry.media.iter().find_map(|m| {
        m.thumbnails
            .first()
            .map(|t| t.image.uri.clone())
            .or_else(|| {
                m.content
                    .iter()
                    .find_map(|c| c.url.as_ref().map(|u| u.to_string()))
            })
    });
    Item {
        guid: Some(entry.id.trim().to_string()).filter(|id| !id.is_empty()),
        link,
        title: entry.title.map(|t| text_value(&t)).unwrap_or_default(),
        published: entry.published.or(entry.updated),
        updated: entry.updated,
        authors: entry
            .authors
            .into_iter()
            .filter_map(|p| p.name)
            .map(|n| squash_whitespace(&n))
            .filter(|n| !n.is_empty())
            .collect(),
        content_html,
        categories: entry.categories.into_iter().map(|c| c.term).collect(),
        image,
    }
}

/// Plain text of a feed Text: HTML entities (which CDATA leaves undecoded) decoded, tags of
/// HTML titles removed, whitespace squashed.
fn text_value(t: &model::Text) -> String {
    let raw = if t.content_type.to_string().contains("html") {
        crate::text::strip_tags(&t.content)
    } else {
        decode_entities(&t.content)
    };
    squash_whitespace(&raw)
}

fn absolute(href: &str, base: Option<&url::Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match url::Url::parse(href) {
        Ok(u) => Some(u.to_string()),
        Err(_) => base.and_then(|b| b.join(href).ok()).map(|u| u.to_string()),
    }
}

fn primary_language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let valid =
        (2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    valid.then_some(primary)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<language>en-US</language><item><title>A &#8216;b&#8217;</title><link>/a?x=1</link>
<guid isPermaLink="false">https://s/?p=1</guid><description><![CDATA[Hi &#8230;]]></description>
<pubDate>Fri, 14 Feb 2025 00:31:02 +0000</pubDate></item></channel></rss>"#;

    #[test]
    fn parses_rss_item() {
        let f = parse(RSS.as_bytes(), None, Some("https://s/feed/")).unwrap();
        assert_eq!(f.language.as_deref(), Some("en"));
        let i = &f.items[0];
        assert_eq!(i.title, "A ‘b’");
        assert_eq!(i.link.as_deref(), Some("https://s/a?x=1"));
        assert_eq!(i.guid.as_deref(), Some("https://s/?p=1"));
        assert_eq!(
            i.published.unwrap().to_rfc3339(),
            "2025-02-14T00:31:02+00:00"
        );
    }

    #[test]
    fn item_without_id_gets_no_random_guid() {
        let rss = "<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>";
        let a = parse(rss.as_bytes(), None, None).unwrap();
        assert_eq!(a.items[0].guid, None);
    }

    #[test]
    fn repairs_versionless_rss_bom_and_entities() {
        let rss = "\u{feff}  \n<?xml version=\"1.0\"?>\n<rss><channel><item><title>a&nbsp;b &amp; c</title><guid>1</guid></item></channel></rss>";
        let f = parse(rss.as_bytes(), None, None).unwrap();
        assert_eq!(f.items[0].title, "a\u{a0}b & c");
        let odd = "<rss version=\"0.93\"><channel><item><title>x</title></item></channel></rss>";
        assert_eq!(parse(odd.as_bytes(), None, None).unwrap().items.len(), 1);
    }

    #[test]
    fn html_is_not_a_feed() {
        let e = parse(b"<!DOCTYPE html><html><body>hi</body></html>", None, None).unwrap_err();
        assert!(e.to_string().contains("HTML page"), "{e}");
    }

    #[test]
    fn parses_atom_and_json() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>urn:1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; t</title><link href="https://x/1"/><updated>2024-01-01T00:00:00Z</updated></entry></feed>"#;
        let f = parse(atom.as_bytes(), None, None).unwrap();
        assert_eq!(f.items[0].title, "Bold t");
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://x/1","title":"J1","content_html":"<p>x</p>"}]}"#;
        let f = parse(json.as_bytes(), None, None).unwrap();
        assert_eq!(f.items[0].content_html.as_deref(), Some("<p>x</p>"));
    }
}
