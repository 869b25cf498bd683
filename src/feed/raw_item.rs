//! Reads one raw item (from the forgiving side-reading) into an [`Item`]: the element choices, link rules and extension fallbacks a good reader applies.

use super::scan::{RawElement, RawItem, has_raw_markup, local, unescape};
use super::{ContentKind, Item, dates::parse_date};
use crate::text::{squash_whitespace, strip_inline_tags, strip_tags, visible_text};

/// What the raw reading saw beyond the item's values, for merging with feed-rs's.
#[derive(Debug, Default)]
pub(super) struct RawFacts {
    /// A content element was skipped: base64 or a non-text media type.
    pub skipped_content: bool,
    /// The link was written as an absolute URL, or the document has no `xml:base`: no
    /// base but the feed's URL applies to it.
    pub absolute_link: bool,
}

/// Elements whose text is the item's publication date, most specific first.
const PUBLISHED: &[&str] = &["pubdate", "published", "issued", "created", "date"];
/// Elements whose text is the item's last update.
const UPDATED: &[&str] = &["updated", "modified"];

/// The item as its raw elements say (an Atom entry's text constructs default to plain
/// text, where RSS elements hold HTML).
pub(super) fn read(raw: &RawItem, base: Option<&url::Url>) -> (Item, RawFacts) {
    let atom = raw.atom;
    let mut facts = RawFacts::default();
    let title_el = first(raw, &["title"]);
    let (content, summary) = bodies(raw, atom, &mut facts);
    let (content_html, content_kind, summary_html) = match (content, summary) {
        (Some((c, kind)), summary) => (Some(c), kind, summary.map(|s| s.0)),
        (None, Some((s, kind))) => (Some(s), kind, None),
        (None, None) => (None, ContentKind::Html, None),
    };
    let item = Item {
        guid: first(raw, &["guid", "id"])
            .map(|g| unescape(&g.inner).trim().to_string())
            .filter(|g| !g.is_empty())
            .or_else(|| about(raw)),
        link: link(raw, base, &mut facts),
        title: title_el.map(|t| text_of(t, atom)).unwrap_or_default(),
        published: date(raw, PUBLISHED),
        updated: date(raw, UPDATED),
        unparsed_date: first(raw, PUBLISHED)
            .or_else(|| first(raw, UPDATED))
            .map(|d| squash_whitespace(&unescape(&d.inner))),
        authors: authors(raw),
        content_html,
        content_kind,
        summary_html,
        categories: categories(raw),
        enclosures: enclosures(raw, base),
        image: None,
    };
    (item, facts)
}

/// The first child with one of these local names, in the order the names are given.
fn first<'a>(raw: &'a RawItem, names: &[&str]) -> Option<&'a RawElement> {
    names.iter().find_map(|n| {
        ranked(raw, n)
            .into_iter()
            .find(|c| !c.inner.trim().is_empty())
    })
}

/// The children named `name`, the feed format's own element first (`title`, `atom:title`),
/// then the known extensions' (`dc:title`, `media:title`). An unknown module's element that
/// happens to share a core name (`szf:description`) is not the core element.
fn ranked<'a>(raw: &'a RawItem, name: &str) -> Vec<&'a RawElement> {
    let rank = |c: &RawElement| {
        let prefix = if c.name == name {
            ""
        } else {
            c.name.strip_suffix(name)?.strip_suffix(':')?
        };
        if prefix == raw.prefix {
            return Some(0); // `<r:item>` holds `<r:title>`: RSS in a prefixed namespace
        }
        match prefix {
            "" => Some(0),
            "atom" | "rss" | "xhtml" => Some(1),
            "content" | "dc" | "dcterms" | "itunes" | "media" | "rdf" | "googleplay" => Some(2),
            _ => None,
        }
    };
    let mut found: Vec<(u8, &RawElement)> = raw
        .children
        .iter()
        .filter_map(|c| rank(c).map(|r| (r, c)))
        .collect();
    found.sort_by_key(|(r, _)| *r);
    found.into_iter().map(|(_, c)| c).collect()
}

fn date(raw: &RawItem, names: &[&str]) -> Option<chrono::DateTime<chrono::Utc>> {
    names.iter().find_map(|n| {
        ranked(raw, n)
            .into_iter()
            .find_map(|c| parse_date(&unescape(&c.inner)))
    })
}

/// A title-like element as plain text, by its declared type.
pub(super) fn text_of(el: &RawElement, atom: bool) -> String {
    let kind = el.attr("type").unwrap_or(if atom { "text" } else { "" });
    let escaped = el.attr("mode") == Some("escaped");
    if el.attr("mode") == Some("base64") {
        let decoded = base64(&unescape(&el.inner)).unwrap_or_default();
        let plain = RawElement {
            inner: html_escape::encode_text(&decoded).into_owned(),
            attrs: vec![("type".into(), kind.to_string())],
            name: el.name.clone(),
        };
        return text_of(&plain, atom);
    }
    let text = if kind.contains("xhtml") {
        visible_text(&el.inner)
    } else if kind.contains("html") || escaped || has_raw_markup(&el.inner) {
        visible_text(&unescape(&el.inner))
    } else {
        // As feed-rs's titles are read (text_value): references CDATA left undecoded, or
        // escaped twice by the feed's writer, are decoded once more.
        strip_inline_tags(&crate::text::decode_entities(&unescape(&el.inner)))
    };
    squash_whitespace(&text)
}

/// The full content and the summary, each as HTML with what it was.
type Body = (String, ContentKind);

fn bodies(raw: &RawItem, atom: bool, facts: &mut RawFacts) -> (Option<Body>, Option<Body>) {
    let full = ["encoded", "content", "body", "fullitem"]
        .iter()
        .flat_map(|n| ranked(raw, n))
        .filter(|c| c.name != "media:content")
        .find_map(|c| html_of(c, atom, facts));
    let summary = ["description", "summary", "abstract"]
        .iter()
        .flat_map(|n| ranked(raw, n))
        .find_map(|c| html_of(c, atom, facts));
    (full, summary)
}

/// An element's content as HTML: text escaped, escaped HTML decoded, XHTML as written
/// (its wrapping `<div>` removed). Base64 and non-text media types are skipped: never
/// published as their encoded form.
fn html_of(el: &RawElement, atom: bool, facts: &mut RawFacts) -> Option<Body> {
    if el.inner.trim().is_empty() {
        return None;
    }
    let kind = el.attr("type").map(str::to_ascii_lowercase);
    let textual = kind.as_deref().is_none_or(|k| {
        matches!(k, "text" | "html" | "xhtml") || k.starts_with("text/") || k.contains("xml")
    });
    if !textual {
        facts.skipped_content = true;
        tracing::debug!(element = %el.name, "content of a non-text type skipped");
        return None;
    }
    if el.attr("mode") == Some("base64") {
        let Some(decoded) = base64(&unescape(&el.inner)) else {
            facts.skipped_content = true;
            tracing::debug!(element = %el.name, "undecodable base64 content skipped");
            return None;
        };
        let decoded = RawElement {
            inner: html_escape::encode_text(&decoded).into_owned(),
            attrs: kind.map(|k| ("type".to_string(), k)).into_iter().collect(),
            name: el.name.clone(),
        };
        return html_of(&decoded, atom, facts);
    }
    let default = if atom && !matches!(local(&el.name), "encoded" | "description") {
        "text"
    } else {
        "html"
    };
    let kind = kind.as_deref().unwrap_or(default);
    let body = if kind.contains("xhtml") {
        (unwrap_div(&el.inner), ContentKind::Xhtml)
    } else if local(&el.name) == "body" {
        (el.inner.trim().to_string(), ContentKind::Xhtml)
    } else if kind.contains("html")
        || el.attr("mode") == Some("escaped")
        || has_raw_markup(&el.inner)
    {
        (unescape(&el.inner), ContentKind::Html)
    } else {
        let text = unescape(&el.inner);
        (
            html_escape::encode_text(text.trim()).into_owned(),
            ContentKind::Text,
        )
    };
    Some(body).filter(|(b, _)| !b.trim().is_empty())
}

/// Standard base64 (whitespace ignored) decoded to UTF-8 text; `None` when it is not.
fn base64(s: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for b in s.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=') {
        let v = ALPHABET.iter().position(|a| *a == b)? as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

fn unwrap_div(inner: &str) -> String {
    let t = inner.trim();
    if t.starts_with("<div")
        && let (Some(open), Some(close)) = (t.find('>'), t.rfind("</div>"))
        && open < close
    {
        return t[open + 1..close].trim().to_string();
    }
    t.to_string()
}

/// The article link: an alternate `<link>` (never comments, enclosure, replies or another
/// rel), else a permalink `<guid>`, else the RDF item's `rdf:about`.
fn link(raw: &RawItem, base: Option<&url::Url>, facts: &mut RawFacts) -> Option<String> {
    let alternate = raw
        .children
        .iter()
        .filter(|c| c.local() == "link")
        .find_map(|l| {
            let alternate = l.attr("rel").is_none_or(|r| r == "alternate");
            match l.attr("href") {
                Some(href) => alternate.then(|| href.to_string()),
                None => alternate.then(|| unescape(&l.inner).trim().to_string()),
            }
        });
    let permalink = || {
        let guid = raw.children.iter().find(|c| c.local() == "guid")?;
        let text = unescape(&guid.inner).trim().to_string();
        let is_url = text.starts_with("http://") || text.starts_with("https://");
        (guid.attr("ispermalink") != Some("false") && is_url).then_some(text)
    };
    let written = alternate
        .filter(|l| !l.is_empty())
        .or_else(permalink)
        .or_else(|| about(raw))?;
    facts.absolute_link = url::Url::parse(&written).is_ok();
    super::convert::absolute(&written, base)
}

/// An RSS 1.0 item's `rdf:about`: its URI.
fn about(raw: &RawItem) -> Option<String> {
    raw.attrs
        .iter()
        .find(|(k, _)| k == "rdf:about" || k == "about")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Authors: Atom `<author><name>`, RSS `<author>`, every `dc:creator`, `itunes:author`;
/// `email@example.org (Name)` is Name. Repeats are dropped.
fn authors(raw: &RawItem) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in raw
        .children
        .iter()
        .filter(|c| matches!(c.local(), "author" | "creator"))
    {
        let inner = name_child(&c.inner).unwrap_or(&c.inner);
        let name = person_name(&squash_whitespace(&strip_tags(&unescape(inner))));
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// The inside of a `<name>` child (Atom person constructs).
fn name_child(inner: &str) -> Option<&str> {
    let start = inner.find("<name>")? + "<name>".len();
    let end = inner[start..].find("</name>")? + start;
    Some(&inner[start..end])
}

/// `email@example.org (Name)` and `Name <email@example.org>` are Name.
pub(super) fn person_name(s: &str) -> String {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        return inner.trim().to_string(); // what is left once a parser took the email away
    }
    if let Some(open) = s.find('(')
        && s.ends_with(')')
    {
        let (before, inner) = (s[..open].trim(), s[open + 1..s.len() - 1].trim());
        if before.contains('@') && !inner.is_empty() {
            return inner.to_string();
        }
        if inner.contains('@') && !before.is_empty() {
            return before.to_string(); // `Name (email@example.org)`
        }
    }
    if let Some(open) = s.find('<')
        && s.ends_with('>')
        && s[open..].contains('@')
        && open > 0
    {
        return s[..open].trim().to_string();
    }
    s.to_string()
}

/// Categories: RSS `<category>`, Atom `term`, `dc:subject`, `itunes:category text`.
fn categories(raw: &RawItem) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in raw
        .children
        .iter()
        .filter(|c| matches!(c.local(), "category" | "subject"))
    {
        let value = c
            .attr("term")
            .or(c.attr("text"))
            .map_or_else(|| squash_whitespace(&unescape(&c.inner)), str::to_string);
        if !value.is_empty() && !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// Enclosure URLs: RSS `<enclosure url>`, Atom `<link rel="enclosure">`, `media:content`.
fn enclosures(raw: &RawItem, base: Option<&url::Url>) -> Vec<String> {
    raw.children
        .iter()
        .filter_map(|c| match c.local() {
            "enclosure" => c.attr("url").or(c.attr("href")),
            "link" if c.attr("rel") == Some("enclosure") => c.attr("href"),
            "content" if c.name == "media:content" => c.attr("url"),
            _ => None,
        })
        .filter_map(|u| super::convert::absolute(u, base))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::scan::scan;

    fn item(xml: &str) -> Item {
        let raw = scan(&format!("<rss><channel><item>{xml}</item></channel></rss>"));
        read(&raw.items[0], None).0
    }

    #[test]
    fn links_follow_rel_then_permalink_then_about() {
        let i = item("<atom:link rel=\"replies\" href=\"https://x/c\"/><link>https://x/a</link>");
        assert_eq!(i.link.as_deref(), Some("https://x/a"));
        let i = item("<comments>https://x/c</comments><guid>https://x/g</guid>");
        assert_eq!(i.link.as_deref(), Some("https://x/g"));
        let i = item("<guid isPermaLink=\"false\">https://x/g</guid>");
        assert_eq!(i.link, None);
        let raw =
            scan("<rdf:RDF><item rdf:about=\"https://x/r\"><title>t</title></item></rdf:RDF>");
        assert_eq!(
            read(&raw.items[0], None).0.link.as_deref(),
            Some("https://x/r")
        );
    }

    #[test]
    fn rss_in_a_prefixed_namespace_and_clashing_module_names() {
        let raw = scan(
            "<r:rss><r:channel><r:item><szf:description>wrong</szf:description>\
                        <r:title>T</r:title><r:description>right</r:description></r:item></r:channel></r:rss>",
        );
        let (i, _) = read(&raw.items[0], None);
        assert_eq!(i.title, "T");
        assert_eq!(i.content_html.as_deref(), Some("right"));
    }

    #[test]
    fn authors_and_fallbacks() {
        let i = item(
            "<author>me@example.org (Me Myself)</author><dc:creator>A</dc:creator><dc:creator>B</dc:creator>",
        );
        assert_eq!(i.authors, ["Me Myself", "A", "B"]);
        let i = item(
            "<dc:title>T</dc:title><dc:description>D</dc:description><dc:subject>S</dc:subject>",
        );
        assert_eq!(
            (i.title.as_str(), i.content_html.as_deref()),
            ("T", Some("D"))
        );
        assert_eq!(i.categories, ["S"]);
    }

    #[test]
    fn content_kinds() {
        let raw = scan(
            "<feed><entry><content type=\"text\">Vec&lt;String&gt; &lt;p&gt;</content>\
                        <summary type=\"html\">&lt;p&gt;s&lt;/p&gt;</summary></entry>\
                        <entry><content mode=\"base64\" type=\"text/html\">PGI+</content></entry>\
                        <entry><content type=\"image/png\">iVBORw0</content></entry></feed>",
        );
        let (a, _) = read(&raw.items[0], None);
        assert_eq!(
            a.content_html.as_deref(),
            Some("Vec&lt;String&gt; &lt;p&gt;")
        );
        assert_eq!(a.content_kind, ContentKind::Text);
        assert_eq!(a.summary_html.as_deref(), Some("<p>s</p>"));
        let (b, facts) = read(&raw.items[1], None);
        assert_eq!(b.content_html.as_deref(), Some("<b>"), "base64 decoded");
        assert!(!facts.skipped_content);
        let (c, facts) = read(&raw.items[2], None);
        assert_eq!(c.content_html, None, "never published as base64");
        assert!(facts.skipped_content);
    }
}
