//! The generic extractor for pages no site rule covers: the page's named body, else
//! readability's candidate; either way pruned of furniture.

use scraper::Html;
use url::Url;

use super::{Extracted, Method, container, prune};
use crate::dom::{Budget, OverBudget};
use crate::markdown::{self, Mode};

/// Extracts the body of `doc` (parsed from `html`, downloaded from `url`), within `budget`.
pub fn extract(
    doc: &mut Html,
    html: &str,
    url: &Url,
    budget: &Budget,
) -> Result<Option<Extracted>, OverBudget> {
    if let Some(id) = container::find(doc) {
        tracing::debug!("using the body container the page names");
        prune::prune(doc, id);
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
    let found = readability(html, url);
    budget.check("running readability")?;
    Ok(found)
}

/// Runs readability on the page, prunes furniture from what it keeps, and renders the rest.
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
    render(doc.root_element(), url)
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
