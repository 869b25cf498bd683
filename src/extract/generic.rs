//! The generic extractor for pages no site rule covers: the page's named body, else
//! readability's candidate, else the page's main text block; each pruned of furniture.
//!
//! Each step is checked against the main text block ([`block::main_block`]): a step that
//! yields nothing, or far less text than that block holds, has found the wrong element
//! (a teaser, one piece of a split body), and the next step is tried. Every fallback is
//! logged at debug level.

use ego_tree::NodeId;
use scraper::{ElementRef, Html};
use url::Url;

use super::{Extracted, Method, block, container, prune};
use crate::dom::{Budget, OverBudget};
use crate::markdown::{self, Mode};

/// Extracts the body of `doc` (parsed from `html`, downloaded from `url`), within `budget`.
pub fn extract(
    doc: &mut Html,
    html: &str,
    url: &Url,
    budget: &Budget,
) -> Result<Option<Extracted>, OverBudget> {
    let main = block::main_block(doc);
    let yardstick = main.map_or(0, |(_, score)| score);
    if let Some(ids) = container::find(doc) {
        tracing::debug!("using the body container the page names");
        for id in &ids {
            prune::prune(doc, *id);
        }
        budget.check("pruning the page's body")?;
        match render_all(doc, &ids, url) {
            Some(found) if holds_enough(&found, yardstick) => return Ok(Some(found)),
            Some(_) => tracing::debug!(
                "fallback: the named body holds far less than the page's main text block; trying readability"
            ),
            None => tracing::debug!("fallback: the named body renders empty; trying readability"),
        }
    }
    let found = readability(html, url);
    budget.check("running readability")?;
    if let Some(found) = found {
        if holds_enough(&found, yardstick) {
            return Ok(Some(found));
        }
        tracing::debug!(
            "fallback: readability's candidate holds far less than the page's main text block"
        );
    }
    let Some((id, _)) = main else {
        return Ok(None);
    };
    tracing::debug!("fallback: using the page's main text block");
    prune::prune(doc, id);
    let found = doc
        .tree
        .get(id)
        .and_then(ElementRef::wrap)
        .and_then(|root| page_text(root, url));
    Ok(found)
}

/// Whether `found` holds at least half the prose of the page's main text block: less means
/// the step picked a part of the body, or something beside it.
fn holds_enough(found: &Extracted, yardstick: usize) -> bool {
    let chars = found.text.chars().filter(|c| !c.is_whitespace()).count();
    chars * 2 >= yardstick
}

/// Runs readability on the page, prunes furniture from what it keeps, and renders the rest;
/// when pruning leaves too little, readability's candidate as it came.
fn readability(html: &str, url: &Url) -> Option<Extracted> {
    let config = dom_smoothie::Config {
        // Class and id names are the pruning step's best evidence: keep them.
        keep_classes: true,
        ..Default::default()
    };
    let mut readability =
        dom_smoothie::Readability::new(html, Some(url.as_str()), Some(config)).ok()?;
    let article = readability.parse().ok()?;
    tracing::trace!(content = %article.content, "readability candidate");
    let mut doc = crate::dom::fragment(&article.content);
    let root = doc.root_element().id();
    prune::prune(&mut doc, root);
    if let Some(found) = render(doc.root_element(), url) {
        return Some(found);
    }
    tracing::debug!("fallback: pruning emptied readability's candidate; using it unpruned");
    let doc = crate::dom::fragment(&article.content);
    render(doc.root_element(), url)
}

/// Fewest words a generic extraction must have: less is a menu or a button, and the feed's
/// own content serves the reader better.
const MIN_WORDS: usize = 5;

/// The elements `ids` of `doc` rendered one after another, when they hold enough words.
fn render_all(doc: &Html, ids: &[NodeId], url: &Url) -> Option<Extracted> {
    let roots: Vec<ElementRef<'_>> = ids
        .iter()
        .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
        .collect();
    let join = |mode| {
        roots
            .iter()
            .map(|root| markdown::render(*root, Some(url), mode))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let text = join(Mode::Text);
    if text.split_whitespace().count() < MIN_WORDS {
        return None;
    }
    Extracted::new(join(Mode::Markdown), text, Method::Generic)
}

fn render(root: ElementRef<'_>, url: &Url) -> Option<Extracted> {
    let text = markdown::render(root, Some(url), Mode::Text);
    if text.split_whitespace().count() < MIN_WORDS {
        return None;
    }
    let md = markdown::render(root, Some(url), Mode::Markdown);
    Extracted::new(md, text, Method::Generic)
}

/// The main text block rendered, however short: the page has no better text to give.
fn page_text(root: ElementRef<'_>, url: &Url) -> Option<Extracted> {
    let text = markdown::render(root, Some(url), Mode::Text);
    let md = markdown::render(root, Some(url), Mode::Markdown);
    Extracted::new(md, text, Method::PageText)
}
