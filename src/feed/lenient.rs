//! Repairs before parsing that feed-rs needs (Atom 0.3's namespace, JSON Feed's loose version and title) and the JSON Feed values it drops.

use serde_json::Value;

use super::{ContentKind, ParsedFeed, dates::parse_date};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// Atom 0.3 documents read as Atom 1.0 (feed-rs knows only the latter's namespace and
/// would find no entries); the 0.3-only elements (`issued`, `modified`, `mode`) are read
/// by the lenient side-reading. Atom 0.3's MIME types for text constructs
/// (`type="text/plain"`), which feed-rs refuses outright, become 1.0's names.
pub(super) fn namespaces(text: String, repairs: &mut Vec<String>) -> String {
    if text.starts_with('{') || crate::feed_repair::find_root_tag(&text, "feed").is_none() {
        return text;
    }
    let mut text = text;
    if text.contains(ATOM_03) {
        repairs.push("Atom 0.3 namespace read as Atom 1.0".into());
        text = text.replace(ATOM_03, ATOM_10);
    }
    for (mime, name) in [
        ("text/plain", "text"),
        ("text/html", "html"),
        ("application/xhtml+xml", "xhtml"),
    ] {
        for quote in ['"', '\''] {
            let from = format!("type={quote}{mime}{quote}");
            if text.contains(&from) {
                repairs.push(format!("Atom type `{mime}` read as `{name}`"));
                text = text.replace(&from, &format!("type={quote}{name}{quote}"));
            }
        }
    }
    text
}

/// JSON Feed as found in the wild: `"version": "1.1"` (not the spec's URL) or no version,
/// and no top-level `title`. Both are accepted with a warning.
pub(super) fn json_feed(text: String, repairs: &mut Vec<String>, url: Option<&str>) -> String {
    if !text.starts_with('{') {
        return text;
    }
    let Ok(Value::Object(mut doc)) = serde_json::from_str::<Value>(&text) else {
        return text;
    };
    if !doc.contains_key("items") {
        return text;
    }
    let mut changed = false;
    let feed = crate::redact::urls(url.unwrap_or_default());
    let version = doc.get("version").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("https://jsonfeed.org/version/") {
        let bare = version.trim_start_matches('v');
        let spec = if bare.starts_with('1') && bare.len() <= 4 {
            bare
        } else {
            "1.1"
        };
        tracing::warn!(
            version,
            "JSON Feed version is not the spec's URL; read as {spec}"
        );
        repairs.push(format!("JSON Feed version `{version}` read as {spec}"));
        let url = format!(
            "https://jsonfeed.org/version/{}",
            spec.trim_end_matches(".0")
        );
        doc.insert("version".into(), Value::String(url));
        changed = true;
    }
    if !doc.get("title").is_some_and(Value::is_string) {
        tracing::warn!(%feed, "JSON Feed has no top-level title; read with an empty one");
        repairs.push("JSON Feed without a title accepted".into());
        doc.insert("title".into(), Value::String(String::new()));
        changed = true;
    }
    if changed {
        serde_json::to_string(&Value::Object(doc)).unwrap_or(text)
    } else {
        text
    }
}

/// JSON Feed values feed-rs drops or misreads: dates in the forms [`parse_date`] reads, and
/// `content_text` (plain text, escaped so that `<p>` stays characters) when there is no
/// `content_html`.
pub(super) fn json_items(parsed: &mut ParsedFeed, text: &str) {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let Some(items) = doc.get("items").and_then(Value::as_array) else {
        return;
    };
    if items.len() != parsed.items.len() {
        return;
    }
    for (item, raw) in parsed.items.iter_mut().zip(items) {
        let date = |key: &str| raw.get(key).and_then(Value::as_str).and_then(parse_date);
        item.published = date("date_published").or(item.published);
        item.updated = date("date_modified").or(item.updated);
        item.published = item.published.or(item.updated);
        if item.published.is_none() {
            item.unparsed_date = ["date_published", "date_modified"]
                .iter()
                .find_map(|k| raw.get(*k).and_then(Value::as_str))
                .map(str::to_string);
        }
        let html = raw.get("content_html").and_then(Value::as_str);
        let plain = raw.get("content_text").and_then(Value::as_str);
        if let (None, Some(plain)) = (html.filter(|h| !h.trim().is_empty()), plain) {
            item.content_html = Some(html_escape::encode_text(plain.trim()).into_owned());
            item.content_kind = ContentKind::Text;
        }
    }
}

/// Whether the document holds `<item>` or `<entry>` elements.
pub(super) fn holds_items(text: &str) -> bool {
    crate::feed_repair::find_root_tag(text, "item").is_some()
        || crate::feed_repair::find_root_tag(text, "entry").is_some()
}
