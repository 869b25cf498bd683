//! Finds a page's main text block: the element whose own paragraphs hold the most prose.
//!
//! It is the yardstick for the other steps (a named body or readability's candidate that
//! holds far less is the wrong element) and the last fallback when they find nothing: blog
//! home pages, product pages, forum threads and bare documents have no article container,
//! but their text still sits in paragraphs under one parent.

use std::collections::HashMap;

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use crate::markdown::{attr, hidden};

/// Elements whose text is never the page's prose: navigation, page chrome, controls.
const CHROME: &[&str] = &[
    "nav", "aside", "footer", "header", "form", "button", "select", "option", "label", "textarea",
    "script", "style", "noscript", "template", "head", "svg", "iframe",
];

/// Elements that start a block of their own: anything else is inline (text flows through it).
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "body",
    "ul",
    "ol",
    "li",
    "table",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dl",
    "dd",
    "dt",
    "figure",
    "figcaption",
    "center",
    "font",
    "details",
];

/// Blocks that are one paragraph: their text is credited to the element that holds them,
/// so that a column of paragraphs scores as one block.
const PARAGRAPH_TAGS: &[&str] = &[
    "p",
    "pre",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dd",
    "dt",
    "figcaption",
];

/// The page's main text block and its score: characters (whitespace excluded) of the text
/// it holds directly or in its paragraphs, link text not counted. `None` for a page with no
/// text outside links and chrome.
pub fn main_block(doc: &Html) -> Option<(NodeId, usize)> {
    let mut scores: HashMap<NodeId, usize> = HashMap::new();
    let body = doc
        .root_element()
        .children()
        .find(|n| matches!(n.value(), Node::Element(e) if e.name() == "body"))?;
    walk(body, body.id(), false, &mut scores);
    scores
        .into_iter()
        .filter(|(_, score)| *score > 0)
        // Ties go to the earlier node id, so the choice does not depend on hash order.
        .max_by_key(|(id, score)| (*score, std::cmp::Reverse(*id)))
}

/// Credits the text under `node` to `owner` (the block its paragraphs belong to), skipping
/// chrome and, when `in_link`, link text.
fn walk(
    node: NodeRef<'_, Node>,
    owner: NodeId,
    in_link: bool,
    scores: &mut HashMap<NodeId, usize>,
) {
    for child in node.children() {
        match child.value() {
            Node::Text(t) if !in_link => {
                let chars = t.chars().filter(|c| !c.is_whitespace()).count();
                if chars > 0 {
                    *scores.entry(owner).or_default() += chars;
                }
            }
            Node::Element(e) => {
                let name = e.name();
                if CHROME.contains(&name) || hidden(e) {
                    continue;
                }
                let link = in_link || (name == "a" && is_real_link(e));
                // Inline elements and single paragraphs credit their text to the block that
                // holds them, so that a column of paragraphs scores as one block.
                let paragraph = !BLOCK_TAGS.contains(&name)
                    || PARAGRAPH_TAGS.contains(&name)
                    || is_leaf_block(child);
                let owner = if paragraph { owner } else { child.id() };
                walk(child, owner, link, scores);
            }
            _ => {}
        }
    }
}

/// Whether an `<a>` leads somewhere: a `javascript:` or missing target makes it a script's
/// click handler around text, which reads as the text (as Readability treats it).
pub fn is_real_link(e: &scraper::node::Element) -> bool {
    attr(e, "href").is_some_and(|h| {
        !h.trim_start()
            .get(..11)
            .is_some_and(|s| s.eq_ignore_ascii_case("javascript:"))
    })
}

/// A `div`-like block with no block inside it: a paragraph written as a `div`.
fn is_leaf_block(node: NodeRef<'_, Node>) -> bool {
    !node
        .children()
        .any(|c| matches!(c.value(), Node::Element(e) if BLOCK_TAGS.contains(&e.name())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::ElementRef;

    fn chosen(page: &str) -> Option<(String, usize)> {
        let doc = Html::parse_document(page);
        let (id, score) = main_block(&doc)?;
        let el = doc.tree.get(id).and_then(ElementRef::wrap)?;
        let name = attr(el.value(), "id")
            .unwrap_or(el.value().name())
            .to_string();
        Some((name, score))
    }

    const PARA: &str = "<p>A paragraph of prose that says something about the subject.</p>";

    #[test]
    fn the_column_of_paragraphs_wins_over_menus_and_link_lists() {
        let links = "<li><a href='/a'>A headline that is long but only a link</a></li>".repeat(9);
        let page = format!(
            "<body><nav>{PARA}{PARA}{PARA}</nav><div id='side'><ul>{links}</ul></div>\
             <div id='outer'><div id='text'>{PARA}{PARA}<div>A div used as a paragraph.</div></div>\
             <footer>{PARA}{PARA}{PARA}{PARA}</footer></div></body>"
        );
        assert_eq!(chosen(&page).map(|c| c.0).as_deref(), Some("text"));
    }

    #[test]
    fn bare_text_and_script_links_count() {
        assert_eq!(chosen("<body>Test</body>"), Some(("body".into(), 4)));
        let page = "<body><a href='javascript:void(0)'><p>abc</p><p>def</p>ghi</a>\
                    <a href='/x'>elsewhere</a></body>";
        assert_eq!(chosen(page), Some(("body".into(), 9)));
        assert!(chosen("<body><nav>Menu</nav><a href='/'>Home</a></body>").is_none());
        let hidden = "<body><div id='shown'><p>Seen.</p></div><div style='display: none'><p>Long hidden text.</p></div></body>";
        assert_eq!(chosen(hidden).map(|c| c.0).as_deref(), Some("shown"));
    }
}
