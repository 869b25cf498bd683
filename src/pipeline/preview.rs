//! `feeds test`: fetch one feed (found through a home page if need be), extract a few items,
//! store nothing.

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use url::Url;

use super::dates::{feed_date, item_date};
use super::{Pipeline, title_of};
use crate::error::{Error, Result};
use crate::extract::Method;
use crate::feed;

/// What `feeds test` shows.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The feed's URL after redirects.
    pub feed_url: String,
    /// The page the feed was discovered on, when the URL given was not a feed.
    pub found_on: Option<String>,
    pub title: Option<String>,
    /// Items in the feed.
    pub total: usize,
    pub items: Vec<PreviewItem>,
}

/// One item as `fetch` would write it.
#[derive(Debug, Clone)]
pub struct PreviewItem {
    pub title: String,
    pub link: Option<String>,
    pub date: DateTime<Utc>,
    /// The feed gave `date`; else it is the time of the preview, as `fetch` would date the
    /// item by when it first saw it.
    pub date_given: bool,
    /// How the text was obtained (`rule:NAME`, `generic`, `feed`, `none`).
    pub method: Method,
    /// The first non-empty lines of the extracted text.
    pub lines: Vec<String>,
}

impl Pipeline {
    /// Fetches `url` once and extracts its first `limit` items; nothing is stored or written.
    /// When `url` is an HTML page, the first feed it links with `<link rel="alternate">` is
    /// used.
    pub async fn preview(&self, url: &str, limit: usize) -> Result<Preview> {
        let fetched = self.client.get(url, None).await?;
        let (fetched, parsed, found_on) = match feed::parse(
            &fetched.body,
            fetched.content_type.as_deref(),
            Some(fetched.url.as_str()),
        ) {
            Ok(parsed) => (fetched, parsed, None),
            Err(e) => {
                let html =
                    crate::charset::decode_html(&fetched.body, fetched.content_type.as_deref());
                let Some(feed_url) = discover(&html, &fetched.url).into_iter().next() else {
                    return Err(match e {
                        Error::Parse { url, message } => Error::Parse {
                            url,
                            message: format!(
                                "{message}; no <link rel=\"alternate\"> to a feed either"
                            ),
                        },
                        other => other,
                    });
                };
                let page = fetched.url.to_string();
                let feed_doc = self.client.get(&feed_url, None).await?;
                let parsed = feed::parse(
                    &feed_doc.body,
                    feed_doc.content_type.as_deref(),
                    Some(feed_doc.url.as_str()),
                )
                .map_err(|e| match e {
                    Error::Parse { url, message } => Error::Parse {
                        url,
                        message: format!("{message} (linked from {page})"),
                    },
                    other => other,
                })?;
                (feed_doc, parsed, Some(page))
            }
        };
        let mut items = Vec::new();
        let dead = std::sync::Arc::default();
        for item in parsed.items.iter().take(limit) {
            let body = self.article_body("test", item, &dead).await.body;
            let lines = body
                .text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(3)
                .map(str::to_string)
                .collect();
            items.push(PreviewItem {
                title: title_of(item),
                link: item.link.clone(),
                date: item_date(item, self.clock.now()),
                date_given: feed_date(item).is_some(),
                method: body.method,
                lines,
            });
        }
        Ok(Preview {
            feed_url: fetched.url.to_string(),
            found_on,
            title: parsed.title,
            total: parsed.items.len(),
            items,
        })
    }
}

/// Feed URLs an HTML page announces (`<link rel="alternate" type="application/rss+xml">`,
/// Atom or JSON Feed), absolute, in page order.
pub fn discover(html: &str, base: &Url) -> Vec<String> {
    let Ok(selector) = Selector::parse("link[href]") else {
        return Vec::new();
    };
    let doc = Html::parse_document(html);
    doc.select(&selector)
        .filter(|l| {
            let rel = l
                .value()
                .attr("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let kind = l
                .value()
                .attr("type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            rel.split_whitespace().any(|r| r == "alternate")
                && ["rss+xml", "atom+xml", "feed+json", "/json"]
                    .iter()
                    .any(|k| kind.contains(k))
        })
        .filter_map(|l| base.join(l.value().attr("href")?.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string())
        .collect()
}

impl std::fmt::Display for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "feed: {}", self.feed_url)?;
        if let Some(page) = &self.found_on {
            writeln!(f, "found through <link rel=\"alternate\"> on {page}")?;
        }
        writeln!(f, "title: {}", self.title.as_deref().unwrap_or("(none)"))?;
        writeln!(f, "items: {} (showing {})", self.total, self.items.len())?;
        for (i, item) in self.items.iter().enumerate() {
            writeln!(f, "\n{}. {}", i + 1, item.title)?;
            let date = item.date.format("%Y-%m-%d %H:%M:%S UTC");
            if item.date_given {
                writeln!(f, "   date: {date}")?;
            } else {
                writeln!(
                    f,
                    "   date: {date} (no date the feed gives: when first seen)"
                )?;
            }
            writeln!(f, "   link: {}", item.link.as_deref().unwrap_or("(none)"))?;
            writeln!(f, "   method: {}", item.method)?;
            for line in &item.lines {
                writeln!(f, "   | {line}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_alternate_feed_links() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" hreflang="fr" href="/fr/">
            <link rel="Alternate" type="application/rss+xml" title="RSS" href="/feed/">
            <link rel="alternate" type="application/atom+xml" href="https://x.example/atom.xml">
            <link rel="alternate" type="application/feed+json" href="javascript:alert(1)">
            </head></html>"#;
        let base = Url::parse("https://site.example/blog/").unwrap();
        assert_eq!(
            discover(html, &base),
            ["https://site.example/feed/", "https://x.example/atom.xml"]
        );
    }
}
