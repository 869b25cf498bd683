//! Reads OPML subscription lists (Miniflux, FreshRSS, Feedly, ...) and writes the feeds as OPML.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::config_edit::ConfigFile;

/// One feed found in an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    /// `title`, else `text`; `None` when both are missing or blank.
    pub title: Option<String>,
    /// `xmlUrl`.
    pub url: String,
    /// `htmlUrl`, the site's home page.
    pub html_url: Option<String>,
    /// Titles of the enclosing category outlines, outermost first.
    pub categories: Vec<String>,
}

/// Every outline with an `xmlUrl`, at any depth, in document order. Outlines without one are
/// categories (Feedly, FreshRSS and Miniflux nest feeds one level under them).
pub fn parse(text: &str) -> Result<Vec<Outline>, String> {
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut found = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == "opml" => {
                saw_opml = true;
            }
            Event::Start(e) if is_outline(&e) => {
                let (outline, title) = read_outline(&e, &stack)?;
                found.extend(outline);
                stack.push(title);
            }
            Event::Empty(e) if is_outline(&e) => found.extend(read_outline(&e, &stack)?.0),
            Event::End(e) if e.local_name().into_inner() == "outline" => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err("not an OPML document (no <opml> element)".into());
    }
    Ok(found)
}

fn is_outline(e: &BytesStart) -> bool {
    e.local_name().into_inner() == "outline"
}

/// The feed this outline describes (if it has an `xmlUrl`), and its title for nested ones.
fn read_outline(
    e: &BytesStart,
    stack: &[Option<String>],
) -> Result<(Option<Outline>, Option<String>), String> {
    let (mut title, mut text, mut url, mut html_url) = (None, None, None, None);
    for attr in e.attributes() {
        let attr = attr.map_err(|e| format!("bad outline attribute: {e}"))?;
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad outline attribute: {e}"))?;
        let value = value.trim().to_string();
        let value = (!value.is_empty()).then_some(value);
        // Attribute names differ in case between exporters (xmlUrl, xmlurl, XMLURL).
        match attr.key.0.to_ascii_lowercase().as_str() {
            "title" => title = value,
            "text" => text = value,
            "xmlurl" => url = value,
            "htmlurl" => html_url = value,
            _ => {}
        }
    }
    let name = title.or(text);
    let outline = url.map(|url| Outline {
        title: name.clone(),
        url,
        html_url,
        categories: stack.iter().flatten().cloned().collect(),
    });
    Ok((outline, name))
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    /// `(name, url)` of each feed added.
    pub added: Vec<(String, String)>,
    /// URLs already configured (or listed twice in the file).
    pub known: Vec<String>,
    /// `(url, reason)` of outlines that cannot be feeds.
    pub invalid: Vec<(String, String)>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "feeds added: {}; already configured: {}; invalid: {}",
            self.added.len(),
            self.known.len(),
            self.invalid.len()
        )
    }
}

/// Adds the outlines' feeds to `file` (not saved): names come from titles (else the site's
/// host), made unique and valid; URLs already configured are skipped.
pub fn import(file: &mut ConfigFile, outlines: &[Outline]) -> ImportReport {
    let mut report = ImportReport::default();
    for o in outlines {
        let parsed = match url::Url::parse(&o.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(_) => {
                report
                    .invalid
                    .push((o.url.clone(), "only http and https are supported".into()));
                continue;
            }
            Err(e) => {
                report.invalid.push((o.url.clone(), e.to_string()));
                continue;
            }
        };
        if file.has_url(parsed.as_str()) {
            report.known.push(o.url.clone());
            continue;
        }
        let host = |u: &str| {
            url::Url::parse(u).ok().and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
        };
        let base = o
            .title
            .clone()
            .filter(|t| !crate::config_edit::slug(t).is_empty())
            .or_else(|| o.html_url.as_deref().and_then(host))
            .or_else(|| host(parsed.as_str()))
            .unwrap_or_default();
        let name = file.unique_name(&base);
        match file.add_feed(&name, parsed.as_str()) {
            Ok(()) => report.added.push((name, parsed.to_string())),
            Err(e) => report.invalid.push((o.url.clone(), e.to_string())),
        }
    }
    report
}

/// The feeds as an OPML 2.0 document: `(name, url)` pairs, the name as title and text.
pub fn render(feeds: &[(String, String)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>feedmark feeds</title>\n  </head>\n  <body>\n",
    );
    for (name, url) in feeds {
        let name = html_escape::encode_double_quoted_attribute(name);
        let url = html_escape::encode_double_quoted_attribute(url);
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{url}\"/>\n"
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_categories_and_missing_titles() {
        let text = "\u{feff}<?xml version=\"1.0\"?><opml version=\"1.0\"><head/><body>\
            <outline text=\"Tech\"><outline text=\"Inner\">\
            <outline type=\"rss\" xmlUrl=\"https://a.example/feed?x=1&amp;y=2\" htmlUrl=\"https://a.example/\"/>\
            </outline></outline>\
            <outline title=\"\" text=\"B &amp; C\" XMLURL=\"https://b.example/rss\"></outline>\
            </body></opml>";
        let found = parse(text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].url, "https://a.example/feed?x=1&y=2");
        assert_eq!(found[0].title, None);
        assert_eq!(found[0].categories, ["Tech", "Inner"]);
        assert_eq!(found[1].title.as_deref(), Some("B & C"));
        assert!(found[1].categories.is_empty());
    }

    #[test]
    fn broken_documents_are_errors() {
        assert!(parse("<opml><body><outline text=\"x\"").is_err());
        assert!(
            parse("<rss><channel/></rss>")
                .unwrap_err()
                .contains("not an OPML")
        );
    }

    #[test]
    fn render_escapes() {
        let out = render(&[("a".into(), "https://x/?a=1&b=\"2\"".into())]);
        assert!(
            out.contains("xmlUrl=\"https://x/?a=1&amp;b=&quot;2&quot;\""),
            "{out}"
        );
        assert_eq!(parse(&out).unwrap()[0].url, "https://x/?a=1&b=\"2\"");
    }
}
