//! The generic extractor for pages no site rule covers (readability scoring via dom_smoothie).

use url::Url;

use super::Extracted;
use crate::markdown::{self, Mode};

/// Runs readability on the page and renders the content it keeps.
pub fn extract(html: &str, url: &Url) -> Option<Extracted> {
    let mut readability = dom_smoothie::Readability::new(html, Some(url.as_str()), None).ok()?;
    let article = readability.parse().ok()?;
    let content: &str = &article.content;
    let md = markdown::render_fragment(content, Some(url), Mode::Markdown);
    let text = markdown::render_fragment(content, Some(url), Mode::Text);
    Extracted::new(md, text, "generic")
}
