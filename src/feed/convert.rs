//! Turns feed-rs's model of a feed into feedmark's items.

use feed_rs::model;

use super::{ContentKind, Item, ParsedFeed};
use crate::text::{decode_entities, squash_whitespace};

pub(super) fn convert(feed: model::Feed, base_url: Option<&str>) -> ParsedFeed {
    let base = base_url.and_then(|b| url::Url::parse(b).ok());
    ParsedFeed {
        title: feed.title.map(|t| text_value(&t)),
        language: feed.language.as_deref().and_then(primary_language),
        ttl: feed.ttl,
        link: site_link(&feed.links, base.as_ref()),
        items: feed
            .entries
            .into_iter()
            .map(|e| convert_entry(e, base.as_ref()))
            .collect(),
        repairs: Vec::new(),
    }
}

/// The feed's home page: its alternate link (RSS `<link>`, Atom `rel="alternate"`).
fn site_link(links: &[model::Link], base: Option<&url::Url>) -> Option<String> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| absolute(&l.href, base))
}

fn convert_entry(entry: model::Entry, base: Option<&url::Url>) -> Item {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| absolute(&l.href, base));
    let full = entry.content.and_then(|c| {
        let kind = kind_of(&c.content_type);
        c.body
            .filter(|b| !b.trim().is_empty())
            .map(|b| as_html(b, kind))
    });
    let summary = entry
        .summary
        .filter(|s| !s.content.trim().is_empty())
        .map(|s| as_html(s.content, kind_of(&s.content_type)));
    let (content_html, content_kind, summary_html) = match (full, summary) {
        (Some((c, kind)), summary) => (Some(c), kind, summary.map(|s| s.0)),
        (None, Some((s, kind))) => (Some(s), kind, None),
        (None, None) => (None, ContentKind::Html, None),
    };
    let enclosures = entry
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| c.url.as_ref().map(std::string::ToString::to_string))
        .collect();
    let image = entry.media.iter().find_map(|m| {
        m.thumbnails
            .first()
            .map(|t| t.image.uri.clone())
            .or_else(|| {
                m.content
                    .iter()
                    .find_map(|c| c.url.as_ref().map(std::string::ToString::to_string))
            })
    });
    Item {
        guid: Some(entry.id.trim().to_string()).filter(|id| !id.is_empty()),
        link,
        title: entry.title.map(|t| text_value(&t)).unwrap_or_default(),
        published: entry.published.or(entry.updated),
        updated: entry.updated,
        unparsed_date: None,
        authors: entry
            .authors
            .into_iter()
            .filter_map(|p| p.name)
            .map(|n| super::raw_item::person_name(&squash_whitespace(&n)))
            .filter(|n| !n.is_empty())
            .collect(),
        content_html,
        content_kind,
        summary_html,
        categories: entry.categories.into_iter().map(|c| c.term).collect(),
        image,
        enclosures,
    }
}

/// The kind of a feed-rs media type (`text/plain`, `text/html`, `application/xhtml+xml`).
fn kind_of(media: &impl std::fmt::Display) -> ContentKind {
    let media = media.to_string();
    if media.starts_with("text/plain") {
        ContentKind::Text
    } else if media.contains("xhtml") {
        ContentKind::Xhtml
    } else {
        ContentKind::Html
    }
}

/// Content as HTML: plain text is escaped so that `Vec<String>` and `<p>` stay characters.
fn as_html(body: String, kind: ContentKind) -> (String, ContentKind) {
    match kind {
        ContentKind::Text => (html_escape::encode_text(body.trim()).into_owned(), kind),
        _ => (body, kind),
    }
}

/// Plain text of a feed Text: HTML entities (which CDATA leaves undecoded) decoded, tags of
/// HTML titles removed, whitespace squashed. A plain-text title that still holds inline tags
/// once decoded (`&lt;b&gt;Bold&lt;/b&gt;` in RSS, which has no type for it) meant them as
/// markup: they go too, or readers see `<b>` on the page.
fn text_value(t: &model::Text) -> String {
    let raw = if t.content_type.to_string().contains("html") {
        crate::text::visible_text(&t.content)
    } else {
        crate::text::strip_inline_tags(&decode_entities(&t.content))
    };
    squash_whitespace(&raw)
}

pub(super) fn absolute(href: &str, base: Option<&url::Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match url::Url::parse(href) {
        Ok(u) => Some(u.to_string()),
        Err(_) => base.and_then(|b| b.join(href).ok()).map(|u| u.to_string()),
    }
}

pub(super) fn primary_language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let valid =
        (2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    valid.then_some(primary)
}
