//! The generic extractor for pages no site rule covers: readability's candidate, then pruned.

use url::Url;

use super::{Extracted, prune};
use crate::markdown::{self, Mode};

/// Runs readability on the page, prunes furniture from what it keeps, and renders the rest.
pub fn extract(html: &str, url: &Url) -> Option<Extracted> {
    let config = dom_smoothie::Config {
        // Class and id names are the pruning step's best evidence: keep them.
        keep_classes: true,
        ..Default::default()
    };
    let mut readability =
        dom_smoothie::Readability::new(html, Some(url.as_str()), Some(config)).ok()?;
    let article = readability.parse().ok()?;
    tracing::trace!(content = %article.content, "readability candidate");
    let mut doc = scraper::Html::parse_fragment(&article.content);
    let root = doc.root_element().id();
    prune::prune(&mut doc, root);
    let root = doc.root_element();
    let md = markdown::render(root, Some(url), Mode::Markdown);
    let text = markdown::render(root, Some(url), Mode::Text);
    Extracted::new(md, text, "generic")
}
