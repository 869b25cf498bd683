//! Prunes page furniture (bylines, captions, link lists, sign-up lines) from a candidate body.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::{ElementRef, Html};

/// Words in a class or id that mark an element as furniture around the article text.
/// Matched against whole words of the name split on `-` and `_`.
const FURNITURE_WORDS: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "adunit",
    "dfp",
    "sponsor",
    "sponsored",
    "promo",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "share",
    "sharing",
    "social",
    "related",
    "recirc",
    "outbrain",
    "taboola",
    "popular",
    "trending",
    "comments",
    "disqus",
    "byline",
    "dateline",
    "timestamp",
    "caption",
    "credit",
    "credits",
    "breadcrumb",
    "breadcrumbs",
    "toolbar",
    "tags",
    "copyright",
    "disclaimer",
    "recommended",
    "readmore",
    "nav",
    "menu",
    "footer",
    "author",
    "bio",
    "meta",
    "published",
    "updated",
];

/// Elements that never carry article text in a pruned body.
const FURNITURE_TAGS: &[&str] = &["nav", "aside", "footer", "figcaption", "button"];

/// Opening words of lines that are calls to action or labels, not article text.
const FURNITURE_PREFIXES: &[&str] = &[
    "advertisement",
    "also read",
    "click here",
    "continue reading",
    "copyright",
    "credit:",
    "don't miss",
    "don’t miss",
    "follow us",
    "image:",
    "more:",
    "photo:",
    "posted",
    "published",
    "read more",
    "related:",
    "see also",
    "see more",
    "sign up",
    "story continues",
    "subscribe",
    "updated",
    "you may also like",
    "©",
];

/// Removes furniture from the subtree under `root` of `doc`. Nothing that holds most of the
/// text is ever removed, so a misnamed wrapper cannot empty the body.
pub fn prune(doc: &mut Html, root: NodeId) {
    let Some(total) = doc
        .tree
        .get(root)
        .and_then(ElementRef::wrap)
        .map(|e| text_len(&e))
    else {
        return;
    };
    let doomed = {
        let Some(root_el) = doc.tree.get(root).and_then(ElementRef::wrap) else {
            return;
        };
        let mut doomed = Vec::new();
        let mut seen = HashSet::new();
        collect(root_el, total, &mut doomed, &mut seen, false);
        doomed
    };
    for id in doomed {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

/// Walks the tree, marking furniture; does not descend into what it marks.
fn collect(
    el: ElementRef<'_>,
    total: usize,
    doomed: &mut Vec<NodeId>,
    seen: &mut HashSet<String>,
    in_quote: bool,
) {
    for child in el.children().filter_map(ElementRef::wrap) {
        let len = text_len(&child);
        // Guard: a node with most of the body's text is the body, whatever its name says.
        let small = len * 10 < total * 4;
        if small && let Some(why) = furniture(&child, in_quote, seen) {
            tracing::debug!(why, tag = child.value().name(), class = child.value().attr("class"),
                text = %snippet(&child), "pruned");
            doomed.push(child.id());
            continue;
        }
        let quote = in_quote || child.value().name() == "blockquote";
        collect(child, total, doomed, seen, quote);
    }
}

/// Why `el` is furniture, or `None` when it is not.
fn furniture(
    el: &ElementRef<'_>,
    in_quote: bool,
    seen: &mut HashSet<String>,
) -> Option<&'static str> {
    let name = el.value().name();
    if FURNITURE_TAGS.contains(&name) {
        return Some("tag");
    }
    if named_as_furniture(el) {
        return Some("name");
    }
    if in_quote || name == "blockquote" {
        return None; // quotes and embedded posts are text even when they are all links
    }
    if is_leaf_block(el) {
        let text = crate::text::squash_whitespace(&el.text().collect::<String>());
        if text.is_empty() {
            return None;
        }
        if is_call_to_action(&text) {
            return Some("call to action");
        }
        // A paragraph repeated word for word is a caption or a teaser shown twice.
        if text.split_whitespace().count() >= 8 && !seen.insert(text.clone()) {
            return Some("repeated");
        }
    }
    link_dense(el).then_some("links")
}

fn snippet(el: &ElementRef<'_>) -> String {
    crate::text::squash_whitespace(&el.text().collect::<String>())
        .chars()
        .take(80)
        .collect()
}

/// True when the class or id names boilerplate by one of its words.
fn named_as_furniture(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    v.attr("class")
        .into_iter()
        .chain(v.attr("id"))
        .flat_map(str::split_whitespace)
        .flat_map(|n| n.split(['-', '_']))
        .any(|w| FURNITURE_WORDS.contains(&w.to_ascii_lowercase().as_str()))
}

fn is_call_to_action(text: &str) -> bool {
    let lower = text.to_lowercase();
    let short = text.split_whitespace().count() <= 25;
    let shouting = text.chars().filter(|c| c.is_alphabetic()).count() > 8
        && !text.chars().any(char::is_lowercase)
        && lower.contains("click");
    short && (FURNITURE_PREFIXES.iter().any(|p| lower.starts_with(p)) || shouting)
}

/// Lists and boxes made mostly of links (related stories, tag clouds, menus).
fn link_dense(el: &ElementRef<'_>) -> bool {
    let name = el.value().name();
    if !matches!(
        name,
        "ul" | "ol" | "div" | "section" | "p" | "table" | "dl" | "span" | "li"
    ) {
        return false;
    }
    let total = text_len(el);
    if total == 0 {
        return false;
    }
    let linked: usize = el
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "a")
        .map(|a| text_len(&a))
        .sum();
    let density = linked as f64 / total as f64;
    match name {
        "p" | "span" | "li" => false,
        _ => density > 0.5,
    }
}

/// A block whose children are inline only (a paragraph, a heading, a text-only div).
fn is_leaf_block(el: &ElementRef<'_>) -> bool {
    matches!(
        el.value().name(),
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li"
    ) && !el.children().filter_map(ElementRef::wrap).any(|c| {
        matches!(
            c.value().name(),
            "p" | "div" | "ul" | "ol" | "table" | "blockquote" | "figure" | "section"
        )
    })
}

/// Characters of visible text, whitespace excluded.
fn text_len(el: &ElementRef<'_>) -> usize {
    el.text()
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}
