//! Runs extraction again on stored articles (after a rule change), rewriting changed files only.

use std::fmt;

use url::Url;

use crate::config::{Config, Thumbnail};
use crate::dom::Budget;
use crate::error::Result;
use crate::extract::{self, Extracted, Rules};
use crate::output;
// The type lives in store; pipeline still imports it from here.
pub use crate::store::KeptPage;
use crate::store::{Article, ArticleSource, Store};

/// What a `reextract` run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub checked: usize,
    pub rewritten: usize,
    pub unchanged: usize,
    /// Articles whose page is no longer kept (`keep_pages_days`): left as they are.
    pub skipped: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "articles checked: {}; files rewritten: {}; unchanged: {}",
            self.checked, self.rewritten, self.unchanged
        )?;
        if self.skipped > 0 {
            write!(
                f,
                "; left as they are (page no longer kept): {}",
                self.skipped
            )?;
        }
        Ok(())
    }
}

/// Re-extracts every stored article (of `feed`, published at or after `since`, when given)
/// with the rules now in force, and rewrites the files whose content changed.
pub fn run(
    config: &Config,
    store: &mut Store,
    feed: Option<&str>,
    since: Option<i64>,
) -> Result<Summary> {
    if let Some(name) = feed.filter(|n| config.feed(n).is_none()) {
        return Err(crate::suggest::unknown_feed(config, name));
    }
    let rules = Rules::new(&config.all_rules()).map_err(|m| config.error(m))?;
    let mut summary = Summary::default();
    for id in store.article_ids(feed, since)? {
        let Some(row) = store.article_source(id)? else {
            continue;
        };
        summary.checked += 1;
        if row.page_gone {
            summary.skipped += 1;
            continue;
        }
        if refresh(config, store, &rules, &row)? {
            summary.rewritten += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    Ok(summary)
}

/// Extracts `row` again; stores and writes the result when it differs. True when the file
/// was rewritten.
fn refresh(config: &Config, store: &Store, rules: &Rules, row: &ArticleSource) -> Result<bool> {
    let body = extract_again(rules, row, config.extract_budget_ms);
    let thumbnail = match config.feed(&row.feed_name).map(|f| config.thumbnail_for(f)) {
        Some(Thumbnail::Page) if row.page_html.is_some() => {
            body.meta.image.clone().unwrap_or_default()
        }
        _ => row.thumbnail.clone(),
    };
    let hash = crate::text::sha256_hex(&body.markdown);
    let Some(stored) = store.article(row.id)? else {
        return Ok(false);
    };
    // The same rendering as fetch and export: path template, lastmod, front matter.
    let article = Article {
        text: body.text.clone(),
        markdown: body.markdown.clone(),
        extraction_method: body.method.clone(),
        content_hash: hash.clone(),
        thumbnail: thumbnail.clone(),
        ..stored.article
    };
    let (path, contents) = crate::render::file_for(&article, &stored.feed_name, config)?;
    // write_atomic leaves a file whose bytes are already right untouched.
    let written = output::write_atomic(&config.output_dir, &path, &contents)?;
    if hash != row.content_hash || thumbnail != row.thumbnail {
        store.set_extraction(row.id, &article)?;
    }
    if written {
        tracing::info!(feed = %row.feed_name, method = %body.method, "rewrote {}", row.file_name);
    }
    Ok(written)
}

/// The stored page through the current rules, within `budget_ms` (0: no limit); else the
/// feed's content, as `fetch` does.
fn extract_again(rules: &Rules, row: &ArticleSource, budget_ms: u64) -> Extracted {
    let page = row.page_html.as_deref().zip(row.page_url.as_deref());
    let budget = Budget::from_config_ms(budget_ms);
    let from_page = page.and_then(|(html, url)| {
        let url = Url::parse(url).ok()?;
        extract::extract_page_within(html, &url, rules, &budget)
            .inspect_err(|over| {
                let shown = crate::redact::urls(url.as_str());
                tracing::warn!(feed = %row.feed_name, "article {shown}: {over}; using the feed's content");
            })
            .ok()?
    });
    let from_feed = || {
        let base = Url::parse(&row.url).ok();
        extract::from_feed(row.feed_content.as_deref(), base.as_ref())
    };
    match from_page {
        Some(page)
            if page.method == extract::Method::PageText
                && from_feed().is_some_and(|feed| page.yields_to_feed(&feed)) =>
        {
            tracing::info!(feed = %row.feed_name, "article {}: the page has no article, only a short text block; using the feed's longer content", crate::redact::urls(&row.url));
            from_feed().unwrap_or(page)
        }
        Some(page) => page,
        None => from_feed().unwrap_or_else(Extracted::none),
    }
}
