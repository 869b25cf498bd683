//! Parses feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into plain items, repairing common breakage.

use chrono::{DateTime, Utc};
use feed_rs::model;

use crate::error::{Error, Result};
use crate::feed_repair::{self, repair};

mod convert;
pub mod dates;
mod lenient;
mod merge;
mod raw_item;
mod scan;

use convert::convert;

/// A parsed feed: its own metadata and its items, in document order.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// Primary language subtag (`en` for `en-US`), lowercased.
    pub language: Option<String>,
    /// RSS `<ttl>` in minutes.
    pub ttl: Option<u32>,
    /// The site's home page (the channel's or feed's alternate link), absolute.
    pub link: Option<String>,
    pub items: Vec<Item>,
    /// What was repaired before the document could be read (empty for a valid feed).
    pub repairs: Vec<String>,
}

/// What the feed said its content was, before feedmark turned it into HTML.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    /// HTML (RSS description, `content:encoded`, Atom `type="html"`, JSON `content_html`).
    #[default]
    Html,
    /// Plain text (Atom `type="text"`, JSON `content_text`): escaped, so `<p>` stays characters.
    Text,
    /// Atom `type="xhtml"`: markup inline in the feed.
    Xhtml,
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
    /// The date string the item gave when none of its dates could be read (`published` is
    /// then `None`), for the warning that names it.
    pub unparsed_date: Option<String>,
    pub authors: Vec<String>,
    /// Full content (HTML) when the feed carries it, else the description / summary.
    pub content_html: Option<String>,
    /// What `content_html` was in the feed.
    pub content_kind: ContentKind,
    /// The description / summary as HTML when the feed also has full content apart from it.
    pub summary_html: Option<String>,
    pub categories: Vec<String>,
    /// Enclosure URLs (podcast audio, images), absolute, in document order.
    pub enclosures: Vec<String>,
    /// An image from the item's enclosure or media:thumbnail.
    pub image: Option<String>,
}

/// Parses a downloaded feed. `content_type` supplies the HTTP charset; `base_url` resolves
/// relative links and is the URL a parse error names.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&str>,
) -> Result<ParsedFeed> {
    let text = crate::charset::decode_xml(bytes, content_type);
    let mut repairs = Vec::new();
    let repaired = lenient::namespaces(repair(&text), &mut repairs);
    let repaired = lenient::json_feed(repaired, &mut repairs, base_url);
    let base = base_url.and_then(|b| url::Url::parse(b).ok());
    let first_error = match guarded_parse(base_url, &repaired) {
        Ok(feed) => {
            let parsed = convert(feed, base_url);
            return finish(
                parsed,
                &repaired,
                Reading::Strict(base.as_ref()),
                repairs,
                base_url,
            );
        }
        Err(e) => e,
    };
    // Deeper repairs only for documents that failed as they were: a valid feed is never altered.
    for (why, candidate) in feed_repair::second_chances(&text) {
        let candidate = lenient::namespaces(repair(&candidate), &mut Vec::new());
        if let Ok(feed) = guarded_parse(base_url, &candidate) {
            repairs.push(why.to_string());
            let parsed = convert(feed, base_url);
            return finish(
                parsed,
                &candidate,
                Reading::Strict(base.as_ref()),
                repairs,
                base_url,
            );
        }
    }
    // Last, the forgiving reading (bare `&`, mismatched tags, unescaped markup...).
    if !repaired.starts_with('{') {
        let raw = scan::scan(&repaired);
        if !raw.items.is_empty() {
            repairs.push(format!(
                "read leniently; the strict parser said: {first_error}"
            ));
            if let Some(why) = &raw.stopped {
                repairs.push(format!("lenient reading stopped early: {why}"));
            }
            let parsed = merge::from_raw(&raw, base.as_ref());
            return finish(parsed, &repaired, Reading::Lenient, repairs, base_url);
        }
    }
    // feed-rs reads a document as JSON when a `{` comes before the first `<`: an XML
    // declaration followed by junk would be reported as broken JSON.
    let message = if repaired.starts_with('{') && !starts_with(&text, '{') {
        xml_problem(&text, &repaired)
    } else {
        first_error
    };
    Err(Error::Parse {
        url: base_url.unwrap_or_default().to_string(),
        message,
    })
}

/// Which reader produced a [`ParsedFeed`].
#[derive(Clone, Copy)]
enum Reading<'a> {
    /// feed-rs, with the base URL for the lenient reading that completes it.
    Strict(Option<&'a url::Url>),
    /// The lenient reader alone: nothing to complete.
    Lenient,
}

/// The last checks on a read feed: the forgiving reading fills what feed-rs missed,
/// repairs are logged, and a document that holds items but yielded none is an error.
fn finish(
    mut parsed: ParsedFeed,
    text: &str,
    reading: Reading<'_>,
    repairs: Vec<String>,
    url: Option<&str>,
) -> Result<ParsedFeed> {
    let is_json = text.starts_with('{');
    parsed.repairs.splice(0..0, repairs);
    if let Reading::Strict(base) = reading
        && !is_json
    {
        merge::overlay(&mut parsed, &scan::scan(text), base);
    }
    if is_json {
        lenient::json_items(&mut parsed, text);
    }
    if parsed.items.is_empty() && !is_json && lenient::holds_items(text) {
        return Err(Error::Parse {
            url: url.unwrap_or_default().to_string(),
            message: "no item could be read, although the document holds <item> or <entry> \
                      elements"
                .into(),
        });
    }
    if !parsed.repairs.is_empty() {
        let feed = crate::redact::urls(url.unwrap_or_default());
        tracing::debug!(feed = %feed, repairs = ?parsed.repairs, "feed repaired");
    }
    Ok(parsed)
}

/// Whether `text` begins with `c` once a byte-order mark and whitespace are skipped.
fn starts_with(text: &str, c: char) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(c)
}

/// Why `text`, which does not open as JSON, is not a readable XML feed: the XML reader's
/// first error with its position, else the text that stands where the root element should.
fn xml_problem(text: &str, repaired: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return format!(
                    "unable to parse XML: {e} (at byte {})",
                    reader.error_position()
                );
            }
        }
    }
    let junk = repaired.split('<').next().unwrap_or_default().trim_end();
    let junk: String = junk.chars().take(40).collect();
    format!("unable to parse XML: text `{junk}` where the root element should be")
}

/// feed-rs asserts on some malformed input; a crash in the parser must fail this one feed,
/// not the process (the daemon polls other feeds in the same process).
///
/// A fresh parser each time: feed-rs keeps per-parse state that a failed parse leaves behind.
fn guarded_parse(base_url: Option<&str>, text: &str) -> std::result::Result<model::Feed, String> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base_url)
        // An empty id marks "no id of its own": feedmark derives a stable key instead of the
        // random UUID feed-rs would invent (which would duplicate the item on every poll).
        .id_generator(|_, _, _| String::new())
        .build();
    quiet_panics_in_parser();
    PARSING.with(|p| p.set(true));
    let run = std::panic::AssertUnwindSafe(|| parser.parse(text.as_bytes()));
    let result = std::panic::catch_unwind(run);
    PARSING.with(|p| p.set(false));
    match result {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(describe(&e, text)),
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            let why: String = why.chars().take(160).collect();
            Err(format!("the feed parser crashed on this document ({why})"))
        }
    }
}

thread_local! {
    /// True while this thread runs feed-rs inside [`guarded_parse`].
    static PARSING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A panic inside the guarded parser becomes that feed's error message; without this the
/// default hook would also print a `panicked at` block that looks like feedmark crashing.
/// Panics anywhere else still reach the previous hook.
fn quiet_panics_in_parser() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PARSING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_declaration_mid_feed_is_repaired_not_a_crash() {
        // A second XML declaration naming an encoding makes quick-xml 0.42 panic.
        let items = "<item><title>x</title><guid>x</guid></item>".repeat(300);
        let feed = format!(
            "<rss version=\"2.0\"><channel><title>t</title>{items}\
             <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></channel></rss>"
        );
        let parsed = super::parse(feed.as_bytes(), None, None).unwrap();
        assert_eq!(parsed.items.len(), 300);
        let crash = super::guarded_parse(None, &feed).unwrap_err();
        assert!(
            crash.contains("crashed") && crash.contains("set_encoding"),
            "{crash}"
        );
    }

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
    fn tags_in_a_plain_title_are_dropped_and_comparisons_kept() {
        let rss = "<rss version=\"2.0\"><channel><item><title>&lt;b&gt;Bold&lt;/b&gt; a &lt; b Vec&lt;T&gt;</title><guid>1</guid></item></channel></rss>";
        let f = parse(rss.as_bytes(), None, None).unwrap();
        assert_eq!(f.items[0].title, "Bold a < b Vec<T>");
    }

    #[test]
    fn an_unreadable_date_is_kept_for_the_warning_and_a_readable_one_is_not() {
        let rss = "<rss version=\"2.0\"><channel><item><title>a</title><pubDate>someday soon</pubDate>\
                   </item><item><title>b</title><pubDate>Sun, 14 Mar 2021 10:00:00 CET</pubDate>\
                   </item></channel></rss>";
        let f = parse(rss.as_bytes(), None, None).unwrap();
        assert_eq!(f.items[0].published, None);
        assert_eq!(f.items[0].unparsed_date.as_deref(), Some("someday soon"));
        assert_eq!(f.items[1].unparsed_date, None);
        assert_eq!(
            f.items[1].published.unwrap().to_rfc3339(),
            "2021-03-14T09:00:00+00:00"
        );
    }

    #[test]
    fn html_is_not_a_feed() {
        let e = parse(b"<!DOCTYPE html><html><body>hi</body></html>", None, None).unwrap_err();
        assert!(e.to_string().contains("HTML page"), "{e}");
    }

    #[test]
    fn broken_xml_is_reported_as_xml_not_json() {
        for doc in [
            "<?xml version=\"1.0\"?>{oops <rss></rss>",
            "\u{feff}<?xml version=\"1.0\"?>\n{\"a\":1}",
            "Notice: {x} in file\n<rss version=\"2.0\"><channel><item></channel>",
        ] {
            let e = parse(doc.as_bytes(), None, None).unwrap_err().to_string();
            assert!(
                e.contains("unable to parse XML") && !e.contains("JSON"),
                "{e}"
            );
        }
        let e = parse(b"<?xml version=\"1.0\"?>\n{oops", None, None).unwrap_err();
        assert!(e.to_string().contains("text `{oops`"), "{e}");
        let e = parse(b"{\"version\": 1", None, None).unwrap_err();
        assert!(e.to_string().contains("unable to parse JSON"), "{e}");
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
