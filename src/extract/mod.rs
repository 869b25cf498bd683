//! Finds an article's body in its page: a site rule first, then the generic extractor.

mod block;
mod clean;
mod container;
mod furniture;
mod generic;
pub mod meta;
mod method;
mod prefilter;
mod prune;
pub mod rules;
mod structure;

use std::borrow::Cow;

use scraper::Html;
use url::Url;

use crate::dom::{self, Budget, OverBudget};
use crate::markdown::{self, Mode};
pub use meta::PageMeta;
pub use method::{Method, UnknownMethod};
pub use rules::Rules;

/// An extracted article body.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub markdown: String,
    pub text: String,
    /// What produced it.
    pub method: Method,
    /// The URL the page declares as its own (`<link rel="canonical">`, else `og:url`).
    pub canonical: Option<String>,
    /// Title, author, date and lead image as the page states them (empty for feed content).
    pub meta: PageMeta,
}

impl Extracted {
    fn new(markdown: String, text: String, method: Method) -> Option<Extracted> {
        (!text.trim().is_empty()).then(|| Extracted {
            markdown,
            text,
            method,
            canonical: None,
            meta: PageMeta::default(),
        })
    }

    /// Whether `feed` (the item's text from its feed) serves the reader better than this
    /// extraction: this is only the page's main text block, not an article found in it
    /// ([`Method::PageText`]), and the feed's text is longer. A script-built page whose only
    /// text is "Loading…" must not displace the feed's summary.
    pub fn yields_to_feed(&self, feed: &Extracted) -> bool {
        self.yields_to_text(&feed.text)
    }

    /// [`Extracted::yields_to_feed`] for a text already stored (a healed page's article).
    pub fn yields_to_text(&self, text: &str) -> bool {
        let words = |s: &str| s.split_whitespace().count();
        self.method == Method::PageText && words(text) > words(&self.text)
    }

    /// An empty body, for items with neither a usable page nor feed content.
    pub fn none() -> Extracted {
        Extracted {
            markdown: String::new(),
            text: String::new(),
            method: Method::None,
            canonical: None,
            meta: PageMeta::default(),
        }
    }
}

/// Extracts the body of `html`, downloaded from `url`, with no time limit. `None` when
/// nothing usable was found.
pub fn extract_page(html: &str, url: &Url, rules: &Rules) -> Option<Extracted> {
    extract_page_within(html, url, rules, &Budget::unlimited()).unwrap_or(None)
}

/// Extracts the body of `html`, downloaded from `url`, giving up once `budget` is spent.
/// `Ok(None)` when nothing usable was found.
///
/// A site rule is chosen by the page's host, or else by the host of the URL the page declares
/// as canonical: a page served through a mirror or proxy still gets its site's rule.
pub fn extract_page_within(
    html: &str,
    url: &Url,
    rules: &Rules,
    budget: &Budget,
) -> Result<Option<Extracted>, OverBudget> {
    let html = &*prefilter::strip(html);
    let dom::Parsed { mut doc, flattened } = dom::document(html, budget)?;
    if flattened > 0 {
        let url = crate::redact::urls(url.as_str());
        tracing::warn!(%url, flattened, "page nests deeper than {} levels; its deepest elements were replaced by their text", dom::MAX_DEPTH);
    }
    // Readability parses the page again: give it the bounded tree, not the hostile markup.
    let source: Cow<'_, str> = if flattened > 0 {
        Cow::Owned(doc.html())
    } else {
        Cow::Borrowed(html)
    };
    let canonical = declared_url(&doc, url);
    let rule = url.host_str().and_then(|h| rules.for_host(h)).or_else(|| {
        let host = canonical.as_ref()?.host_str()?.to_string();
        rules.for_host(&host)
    });
    let mut page_meta = meta::read(&doc, url);
    if let Some(rule) = rule {
        rule.override_meta(&doc, &mut page_meta);
    }
    budget.check("reading the page's metadata")?;
    let by_rule = rule.and_then(|rule| apply_rule(&mut doc, url, rule));
    let found = match (by_rule, rule) {
        (Some(found), _) => Some(found),
        (None, rule) => {
            if let Some(rule) = rule {
                let shown = crate::redact::urls(url.as_str());
                tracing::warn!(rule = %rule.name, url = %shown, "site rule matched no content; using the generic extractor");
            }
            generic::extract(&mut doc, &source, url, budget)?
        }
    };
    Ok(found.map(|mut e| {
        drop_repeated_headline(&mut e, page_meta.title.as_deref());
        e.canonical = canonical.map(String::from);
        e.meta = page_meta;
        e
    }))
}

/// Removes the body's first block when it only repeats the page's title: the front matter
/// carries the title, and Hugo themes show it above the body, so readers saw it twice.
/// The title may carry the site's name after the headline (`Headline | Site`).
fn drop_repeated_headline(e: &mut Extracted, title: Option<&str>) {
    let Some(title) = title.map(words).filter(|t| !t.is_empty()) else {
        return;
    };
    let Some((first_md, rest_md)) = e.markdown.split_once("\n\n") else {
        return;
    };
    let Some((first_text, rest_text)) = e.text.split_once("\n\n") else {
        return;
    };
    let first = words(first_text);
    let headline = !first.is_empty()
        && first.split(' ').count() <= 30
        && (title == first || title.starts_with(&format!("{first} ")));
    if !headline || words(first_md.trim_start_matches('#')) != first {
        return;
    }
    tracing::debug!(headline = %first_text, "dropped the body's first block: it repeats the title");
    e.markdown = rest_md.trim_start_matches('\n').to_string();
    e.text = rest_text.trim_start_matches('\n').to_string();
}

/// `s` lowercased, as words of letters and digits joined by single spaces.
fn words(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page's own idea of its URL, resolved against where it was downloaded from.
fn declared_url(doc: &Html, url: &Url) -> Option<Url> {
    static SELECTORS: std::sync::OnceLock<Option<(scraper::Selector, scraper::Selector)>> =
        std::sync::OnceLock::new();
    let (canonical, og) = SELECTORS
        .get_or_init(|| {
            let canonical = scraper::Selector::parse("link[rel~='canonical'][href]").ok()?;
            let og = scraper::Selector::parse("meta[property='og:url'][content]").ok()?;
            Some((canonical, og))
        })
        .as_ref()?;
    let href = doc
        .select(canonical)
        .find_map(|e| e.value().attr("href"))
        .or_else(|| doc.select(og).find_map(|e| e.value().attr("content")))?;
    let resolved = url.join(href.trim()).ok()?;
    matches!(resolved.scheme(), "http" | "https").then_some(resolved)
}

/// The body from the feed's own content or description (the fallback when the page fails).
pub fn from_feed(content_html: Option<&str>, base: Option<&Url>) -> Option<Extracted> {
    let html = content_html?;
    let md = markdown::render_fragment(html, base, Mode::Markdown);
    let text = markdown::render_fragment(html, base, Mode::Text);
    Extracted::new(md, text, Method::Feed)
}

fn apply_rule(doc: &mut Html, url: &Url, rule: &rules::SiteRule) -> Option<Extracted> {
    let bodies = rule.body.iter().find_map(|sel| {
        let ids: Vec<_> = doc.select(sel).map(|e| e.id()).collect();
        (!ids.is_empty()).then_some(ids)
    })?;
    let bodies = clean::outermost(doc, &bodies);
    clean::remove_matching(doc, &bodies, &rule.strip);
    clean::remove_boilerplate(doc, &bodies);
    let render = |mode| {
        bodies
            .iter()
            .filter_map(|id| doc.tree.get(*id).and_then(scraper::ElementRef::wrap))
            .map(|el| markdown::render(el, Some(url), mode))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    Extracted::new(
        render(Mode::Markdown),
        render(Mode::Text),
        Method::Rule(rule.name.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><nav>Menu</nav><div class="article__text">
        <p>First <a href="/x">link</a>.</p><div class="ad-unit">BUY</div>
        <div class="newsletter-signup"><p>Sign up for our newsletter</p></div>
        <p>Second.</p></div><footer>Copyright</footer></body></html>"#;

    #[test]
    fn site_rule_takes_the_body_and_strips_boxes() {
        let rules = Rules::new(&[]).unwrap();
        let url = Url::parse("https://thehill.com/policy/1-x/").unwrap();
        let e = extract_page(PAGE, &url, &rules).unwrap();
        assert_eq!(e.method.as_str(), "rule:thehill");
        assert_eq!(
            e.markdown,
            "First [link](https://thehill.com/x).\n\nSecond."
        );
        assert_eq!(e.text, "First link.\n\nSecond.");
    }

    #[test]
    fn rule_follows_the_declared_canonical_host() {
        let rules = Rules::new(&[]).unwrap();
        let page = PAGE.replace(
            "<html>",
            "<html><head><link rel=\"canonical\" href=\"https://thehill.com/a/\"></head>",
        );
        let mirror = Url::parse("http://127.0.0.1:8080/a/").unwrap();
        let e = extract_page(&page, &mirror, &rules).unwrap();
        assert_eq!(e.method.as_str(), "rule:thehill");
        assert_eq!(e.canonical.as_deref(), Some("https://thehill.com/a/"));
    }

    #[test]
    fn falls_back_to_generic_when_rule_misses() {
        let rules = Rules::new(&[]).unwrap();
        let url = Url::parse("https://thehill.com/redesigned/").unwrap();
        let para = "This is a long enough paragraph of real article text, with commas, and more words to count. ".repeat(6);
        let page = format!(
            "<html><body><nav><a href='/'>Home</a></nav><article><h1>T</h1><p>{para}</p><p>{para}</p></article></body></html>"
        );
        let e = extract_page(&page, &url, &rules).unwrap();
        assert_eq!(e.method, Method::Generic);
        assert!(e.text.contains("long enough paragraph"));
    }

    #[test]
    fn a_first_block_that_repeats_the_title_goes() {
        let body = |md: &str, text: &str| {
            let mut e = Extracted::new(md.into(), text.into(), Method::Generic).unwrap();
            drop_repeated_headline(&mut e, Some("Harvest festival returns | Village News"));
            (e.markdown, e.text)
        };
        let (md, text) = body(
            "# Harvest *festival* returns\n\nBody words.",
            "Harvest festival returns\n\nBody words.",
        );
        assert_eq!((md.as_str(), text.as_str()), ("Body words.", "Body words."));
        // A first paragraph that only starts like the title stays, as does a lone block.
        let (md, _) = body(
            "Harvest festival returns to the green.\n\nMore.",
            "Harvest festival returns to the green.\n\nMore.",
        );
        assert!(md.starts_with("Harvest"));
        let (md, _) = body("Harvest festival returns", "Harvest festival returns");
        assert_eq!(md, "Harvest festival returns");
    }

    #[test]
    fn page_text_yields_to_a_longer_feed_text() {
        let page = |method| Extracted::new("Loading".into(), "Loading".into(), method).unwrap();
        let feed = from_feed(Some("<p>The summary from the feed.</p>"), None).unwrap();
        assert!(page(Method::PageText).yields_to_feed(&feed));
        assert!(!page(Method::Generic).yields_to_feed(&feed));
        assert!(!page(Method::PageText).yields_to_feed(&Extracted::none()));
    }

    #[test]
    fn a_page_without_an_article_gives_its_text() {
        let rules = Rules::new(&[]).unwrap();
        let url = Url::parse("https://example.org/").unwrap();
        let e = extract_page("<html><body>Hello</body></html>", &url, &rules).unwrap();
        assert_eq!((e.text.as_str(), e.method), ("Hello", Method::PageText));
        let js = "<body><nav><a href='/'>Home</a></nav><a href='javascript:go()'><p>One.</p>\
                  <p>Two.</p></a></body>";
        let e = extract_page(js, &url, &rules).unwrap();
        assert_eq!(e.text, "One. Two.");
        assert!(extract_page("<body><nav>Menu</nav></body>", &url, &rules).is_none());
    }

    #[test]
    fn feed_fallback() {
        assert_eq!(
            from_feed(Some("<p>Hi &amp; bye</p>"), None).unwrap().text,
            "Hi & bye"
        );
        assert!(from_feed(Some("  "), None).is_none());
        assert!(from_feed(None, None).is_none());
    }
}
