//! The generic extractor for pages no site rule covers: the page's named body, else
//! readability's candidate; either way pruned of furniture.

use scraper::Html;
use url::Url;

use super::{Extracted, Method, container, prune};
use crate::dom::{Budget, OverBudget};
use crate::markdown::{self, Mode};

/// Extracts the body of `doc` (parsed from `html`, downloaded from `url`), within `budget`.
/// `title` is the page's own title: a first block that only repeats it is dropped.
pub fn extract(
    doc: &mut Html,
    html: &str,
    url: &Url,
    budget: &Budget,
    title: Option<&str>,
) -> Result<Option<Extracted>, OverBudget> {
    if let Some(id) = container::find(doc) {
        tracing::debug!("using the body container the page names");
        prune::prune(doc, id);
        drop_leading_title(doc, id, title);
        budget.check("pruning the page's body")?;
        let found = doc
            .tree
            .get(id)
            .and_then(scraper::ElementRef::wrap)
            .and_then(|root| render(root, url));
        if found.is_some() {
            return Ok(found);
        }
        budget.check("rendering the page's body")?;
    }
    let found = readability(html, url, title);
    budget.check("running readability")?;
    Ok(found)
}

/// Runs readability on the page, prunes furniture from what it keeps, and renders the rest.
fn readability(html: &str, url: &Url, title: Option<&str>) -> Option<Extracted> {
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
    drop_leading_title(&mut doc, root, title);
    render(doc.root_element(), url)
}

/// Removes the body's first block when its whole text is the page's title: pages that set
/// the headline in a plain `div` (readability only drops headings) would show it twice,
/// once as the title and again as the first paragraph.
fn drop_leading_title(doc: &mut Html, root: ego_tree::NodeId, title: Option<&str>) {
    let Some(title) = title.map(squashed).filter(|t| !t.is_empty()) else {
        return;
    };
    let Some(node) = doc.tree.get(root) else {
        return;
    };
    let first_text = node
        .descendants()
        .find(|n| n.value().as_text().is_some_and(|t| !t.trim().is_empty()));
    let Some(first_text) = first_text else {
        return;
    };
    // The outermost element below the root that holds that text and nothing else.
    let mut block = None;
    for ancestor in first_text.ancestors() {
        if ancestor.id() == root {
            break;
        }
        let Some(el) = scraper::ElementRef::wrap(ancestor) else {
            continue;
        };
        if squashed(&el.text().collect::<String>()) == title {
            block = Some(ancestor.id());
        } else {
            break;
        }
    }
    if let Some(mut node) = block.and_then(|id| doc.tree.get_mut(id)) {
        node.detach();
    }
}

/// Lowercased words of `s`, one space apart: a title as compared with the body's text.
fn squashed(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Fewest words a generic extraction must have: less is a menu or a button, and the feed's
/// own content serves the reader better.
const MIN_WORDS: usize = 5;

fn render(root: scraper::ElementRef<'_>, url: &Url) -> Option<Extracted> {
    let text = markdown::render(root, Some(url), Mode::Text);
    if text.split_whitespace().count() < MIN_WORDS {
        return None;
    }
    let md = markdown::render(root, Some(url), Mode::Markdown);
    Extracted::new(md, text, Method::Generic)
}

#[cfg(test)]
mod tests {
    use crate::extract::{Rules, extract_page};

    fn body(title: &str, first: &str) -> String {
        let url = url::Url::parse("https://village.example/news/a").unwrap();
        let rest = "<p>The harvest festival returns to the village green this Saturday, after \
                    two years in which bad weather kept it from going ahead.</p>";
        let html = format!(
            "<html><head><title>{title}</title></head><body><div class=\"article-body\">\
             <div>{first}</div>{rest}</div></body></html>"
        );
        extract_page(&html, &url, &Rules::default())
            .unwrap()
            .markdown
    }

    #[test]
    fn a_first_block_repeating_the_title_is_dropped() {
        let md = body(
            "Harvest festival returns",
            "Harvest  festival <b>returns</b>",
        );
        assert!(md.starts_with("The harvest festival"), "{md}");
        // Different, or longer, text is the body's own.
        for first in ["Harvest festival returns today", "Something else"] {
            let md = body("Harvest festival returns", first);
            assert!(md.starts_with(first), "{md}");
        }
    }
}
