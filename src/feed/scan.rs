//! A forgiving side-reading of an XML feed's raw elements (quick-xml, mismatched and bare markup allowed), for what feed-rs drops or refuses.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One element as written: its name (lowercased, prefix kept), attributes and the source
/// between its tags (markup, CDATA and references untouched).
#[derive(Debug, Clone, Default)]
pub(super) struct RawElement {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub inner: String,
}

impl RawElement {
    /// The attribute `name` (lowercase), references decoded.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The name without its prefix.
    pub fn local(&self) -> &str {
        local(&self.name)
    }
}

/// One `<item>` / `<entry>`: its own attributes and its direct children in order.
#[derive(Debug, Clone, Default)]
pub(super) struct RawItem {
    /// An Atom `<entry>` (whose text constructs default to plain text), not an RSS `<item>`.
    pub atom: bool,
    /// The item element's own prefix (`r` for `<r:item>`), empty when it has none.
    pub prefix: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<RawElement>,
}

/// The elements of the feed outside its items (channel / feed level), and its items.
#[derive(Debug, Clone, Default)]
pub(super) struct RawFeed {
    pub head: Vec<RawElement>,
    pub items: Vec<RawItem>,
    /// Some element carries `xml:base` (relative links then resolve against it, which
    /// only feed-rs does).
    pub xml_base: bool,
    /// Why the reading ended early (the complete items before that point are kept).
    pub stopped: Option<String>,
}

struct Frame {
    name: String,
    attrs: Vec<(String, String)>,
    inner_start: usize,
}

/// Reads `text`'s items and feed-level elements, tolerating what a strict parser refuses:
/// mismatched or unclosed tags, bare `&`, undeclared entities, HTML left unescaped.
pub(super) fn scan(text: &str) -> RawFeed {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.check_comments = false;
    let mut out = RawFeed::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut item: Option<(usize, RawItem)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(e) => e,
            Err(e) => {
                out.stopped = Some(format!("{e} at byte {}", reader.error_position()));
                break;
            }
        };
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let frame = frame(&e, after);
                out.xml_base |= frame.attrs.iter().any(|(k, _)| k == "xml:base");
                if item.is_none() && is_item(&frame.name) {
                    item = Some((
                        stack.len(),
                        RawItem {
                            atom: local(&frame.name) == "entry",
                            prefix: frame
                                .name
                                .rsplit_once(':')
                                .map(|(p, _)| p.to_string())
                                .unwrap_or_default(),
                            attrs: frame.attrs.clone(),
                            ..RawItem::default()
                        },
                    ));
                }
                stack.push(frame);
            }
            Event::Empty(e) => {
                let frame = frame(&e, after);
                let element = RawElement {
                    name: frame.name,
                    attrs: frame.attrs,
                    inner: String::new(),
                };
                place(element, stack.len(), &stack, &mut item, &mut out);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_ascii_lowercase();
                let Some(at) = stack.iter().rposition(|f| f.name == name) else {
                    continue; // a closing tag nothing opened: ignored, as browsers do
                };
                stack.truncate(at + 1);
                let Some(f) = stack.pop() else { continue };
                let inner = text
                    .get(f.inner_start..before)
                    .unwrap_or_default()
                    .to_string();
                if item.as_ref().is_some_and(|(depth, _)| *depth == at) {
                    if let Some((_, done)) = item.take() {
                        out.items.push(done);
                    }
                    continue;
                }
                let element = RawElement {
                    name: f.name,
                    attrs: f.attrs,
                    inner,
                };
                place(element, at, &stack, &mut item, &mut out);
            }
            _ => {}
        }
    }
    // An item whose end never came is a cut-off download: taking it would publish half an
    // article for good. The complete items before it are kept.
    if item.is_some() {
        out.stopped
            .get_or_insert_with(|| "the document ends inside an item".into());
    }
    out
}

/// Files a finished element at `depth` under the open item (direct children only) or the
/// feed's head (children of the channel or the root).
fn place(
    element: RawElement,
    depth: usize,
    stack: &[Frame],
    item: &mut Option<(usize, RawItem)>,
    out: &mut RawFeed,
) {
    if let Some((item_depth, raw)) = item {
        // media:group only bundles media elements: its children count as the item's.
        let in_group = depth == *item_depth + 2
            && stack
                .get(depth - 1)
                .is_some_and(|p| p.name == "media:group");
        if depth == *item_depth + 1 || in_group {
            raw.children.push(element);
        }
        return;
    }
    let parent = depth.checked_sub(1).and_then(|d| stack.get(d));
    let at_top = parent.is_none_or(|p| {
        matches!(
            local(&p.name),
            "channel" | "feed" | "rss" | "rdf" | "scriptingnews"
        )
    });
    if at_top && depth <= 2 {
        out.head.push(element);
    }
}

fn frame(e: &BytesStart<'_>, inner_start: usize) -> Frame {
    let name = e.name().as_ref().to_ascii_lowercase();
    let attrs = e
        .html_attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let key = a.key.as_ref().to_ascii_lowercase();
            let value = crate::text::decode_entities(&a.value);
            (key, value)
        })
        .collect();
    Frame {
        name,
        attrs,
        inner_start,
    }
}

fn is_item(name: &str) -> bool {
    matches!(local(name), "item" | "entry")
}

/// `dc:creator` → `creator`.
pub(super) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The text of raw element content: CDATA kept verbatim, comments dropped, character and
/// entity references elsewhere decoded (HTML's named entities too).
pub(super) fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    loop {
        let cdata = rest.find("<![CDATA[");
        let comment = rest.find("<!--");
        let next = match (cdata, comment) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        out.push_str(&crate::text::decode_entities(&rest[..next]));
        let tail = &rest[next..];
        if let Some(body) = tail.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 3..).unwrap_or_default();
        } else {
            let end = tail.find("-->").map_or(tail.len(), |e| e + 3);
            rest = &tail[end..];
        }
    }
    out.push_str(&crate::text::decode_entities(rest));
    windows_1252_controls(out)
}

/// C1 control characters (`&#146;`) read as the Windows-1252 characters their writers
/// meant, as HTML5 does for such references: `don&#146;t` is "don’t".
fn windows_1252_controls(text: String) -> String {
    if !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return text;
    }
    text.chars()
        .map(|c| {
            if ('\u{80}'..='\u{9f}').contains(&c) {
                let byte = [c as u32 as u8];
                let (mapped, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                mapped.chars().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Whether raw content holds markup written unescaped (not inside CDATA): the case a
/// strict reader cuts at the first tag.
pub(super) fn has_raw_markup(inner: &str) -> bool {
    let outside_cdata = inner.split("<![CDATA[").enumerate().map(|(i, part)| {
        if i == 0 {
            part
        } else {
            part.split_once("]]>").map_or("", |(_, after)| after)
        }
    });
    outside_cdata.into_iter().any(|part| {
        part.match_indices('<').any(|(at, _)| {
            part[at + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_items_through_broken_markup() {
        let raw = scan(
            "<rss><channel><title>Fish & Chips</title><item><title>A <b>bold</b> move</title>\
             <description><p>one<br></description><pubDate>March 14, 2021</pubDate></item>\
             <item><title>&eacute;t&eacute;</foo></title></item></channel></rss>",
        );
        assert_eq!(raw.items.len(), 2);
        assert_eq!(raw.head[0].inner, "Fish & Chips");
        let first = &raw.items[0].children;
        assert_eq!(first[0].inner, "A <b>bold</b> move");
        assert_eq!(first[1].inner, "<p>one<br>");
        assert_eq!(first[2].local(), "pubdate");
        assert!(unescape(&raw.items[1].children[0].inner).starts_with("été"));
    }

    proptest::proptest! {
        #[test]
        fn any_document_is_read_without_panic(doc in "(<item>|</item>|<title>|</title>|<link href=\"x\"/>|<!\\[CDATA\\[|\\]\\]>|<!--|-->|&|&amp;|<|>|é|[a-z ]{0,8}){0,40}") {
            let raw = scan(&doc);
            for item in &raw.items {
                let _ = crate::feed::raw_item::read(item, None);
            }
            let _ = crate::feed::parse(doc.as_bytes(), None, Some("https://x.invalid/f"));
        }
    }

    #[test]
    fn unescape_keeps_cdata_and_drops_comments() {
        assert_eq!(
            unescape("a &amp; <![CDATA[<b>&amp;</b>]]><!-- x -->z"),
            "a & <b>&amp;</b>z"
        );
        assert_eq!(unescape("don&#146;t"), "don\u{2019}t");
        assert!(has_raw_markup("a <b>b</b>"));
        assert!(!has_raw_markup("<![CDATA[<b>b</b>]]> a < b"));
    }
}
