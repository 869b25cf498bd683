//! Combines feed-rs's reading of a document with the forgiving side-reading: each value from whichever read it right.

use super::raw_item::{self, RawFacts};
use super::scan::{RawElement, RawFeed, local, unescape};
use super::{ContentKind, Item, ParsedFeed};

/// Completes `parsed` (feed-rs's items) from `raw` (the same document read forgivingly):
/// item by item when both found the same items; all of `raw`'s when feed-rs found none.
pub(super) fn overlay(parsed: &mut ParsedFeed, raw: &RawFeed, base: Option<&url::Url>) {
    // The lenient reading decodes base64 titles and drops script bodies.
    if let Some(title) = head(raw, "title").map(|t| raw_item::text_of(t, is_atom(raw)))
        && (!title.is_empty() || parsed.title.is_none())
    {
        parsed.title = Some(title);
    }
    if parsed.link.is_none() {
        parsed.link = site_link(raw, base);
    }
    if raw.items.len() == parsed.items.len() {
        let items = std::mem::take(&mut parsed.items);
        parsed.items = items
            .into_iter()
            .zip(&raw.items)
            .map(|(strict, r)| {
                let (lenient, mut facts) = raw_item::read(r, base);
                facts.absolute_link |= !raw.xml_base;
                merge(strict, lenient, &facts)
            })
            .collect();
    } else if parsed.items.is_empty() {
        parsed.items = raw
            .items
            .iter()
            .map(|r| finish(raw_item::read(r, base).0))
            .collect();
        parsed.repairs.push(format!(
            "{} items read by the lenient reader (the strict parser found none)",
            parsed.items.len()
        ));
    } else {
        // Not silent: the lenient reading may have seen items feed-rs dropped.
        tracing::warn!(
            feed = %crate::redact::urls(base.map_or("", url::Url::as_str)),
            strict = parsed.items.len(),
            lenient = raw.items.len(),
            "the two readings of the feed disagree on its items: feed-rs's kept as they are"
        );
        parsed.repairs.push(format!(
            "feed-rs read {} items where the lenient reader saw {}; feed-rs's kept",
            parsed.items.len(),
            raw.items.len()
        ));
    }
}

/// A feed read by the lenient reader alone (the strict parser refused the document).
pub(super) fn from_raw(raw: &RawFeed, base: Option<&url::Url>) -> ParsedFeed {
    let mut parsed = ParsedFeed {
        language: head(raw, "language")
            .and_then(|l| super::convert::primary_language(&unescape(&l.inner))),
        ttl: head(raw, "ttl").and_then(|t| unescape(&t.inner).trim().parse().ok()),
        ..ParsedFeed::default()
    };
    overlay(&mut parsed, raw, base);
    parsed.repairs.clear();
    parsed
}

fn is_atom(raw: &RawFeed) -> bool {
    raw.items.first().is_some_and(|i| i.atom)
}

fn head<'a>(raw: &'a RawFeed, name: &str) -> Option<&'a RawElement> {
    raw.head
        .iter()
        .find(|e| e.local() == name && !e.inner.trim().is_empty())
}

fn site_link(raw: &RawFeed, base: Option<&url::Url>) -> Option<String> {
    raw.head
        .iter()
        .filter(|e| local(&e.name) == "link")
        .find_map(|l| match l.attr("href") {
            Some(href) => l
                .attr("rel")
                .is_none_or(|r| r == "alternate")
                .then(|| href.to_string()),
            None => Some(unescape(&l.inner).trim().to_string()).filter(|t| !t.is_empty()),
        })
        .and_then(|l| super::convert::absolute(&l, base))
}

/// One item from both readings. feed-rs keeps the id, the link it resolved against
/// `xml:base`, its categories and image; the lenient reading gives the dates it could not
/// parse, titles and bodies it cut at unescaped markup (or kept script bodies of), the
/// content exactly as written (by its declared type), every `dc:creator` and the enclosures.
fn merge(strict: Item, lenient: Item, facts: &RawFacts) -> Item {
    let title = if lenient.title.is_empty() {
        strict.title
    } else {
        lenient.title
    };
    let (content_html, content_kind, summary_html) = if lenient.content_html.is_some() {
        (
            lenient.content_html,
            lenient.content_kind,
            lenient.summary_html,
        )
    } else if facts.skipped_content {
        (None, ContentKind::Html, None)
    } else {
        (
            strict.content_html,
            strict.content_kind,
            strict.summary_html,
        )
    };
    finish(Item {
        guid: strict.guid.or(lenient.guid),
        // feed-rs may take a link of another rel (comments); its reading wins only for a
        // relative link in a document with xml:base, which it resolves and this does not.
        link: if facts.absolute_link {
            lenient.link
        } else {
            strict.link.or(lenient.link)
        },
        title,
        published: lenient.published.or(strict.published),
        updated: lenient.updated.or(strict.updated),
        unparsed_date: lenient.unparsed_date,
        authors: if lenient.authors.len() > strict.authors.len() {
            lenient.authors
        } else {
            strict.authors
        },
        content_html,
        content_kind,
        summary_html,
        categories: if strict.categories.is_empty() {
            lenient.categories
        } else {
            strict.categories
        },
        enclosures: if lenient.enclosures.is_empty() {
            strict.enclosures
        } else {
            lenient.enclosures
        },
        image: strict.image.or(lenient.image),
    })
}

/// An item with only an update time was published then; the date string is kept only
/// when no date could be read from it.
fn finish(mut item: Item) -> Item {
    item.published = item.published.or(item.updated);
    if item.published.is_some() {
        item.unparsed_date = None;
    } else if let Some(raw) = &item.unparsed_date {
        tracing::debug!(title = %item.title, date = %raw, "unreadable item date");
    }
    item
}
