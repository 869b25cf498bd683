//! Runs one poll of the feeds: fetch → parse → dedup → download and extract → write → store.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use url::Url;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, FeedConfig};
use crate::error::{Error, Result};
use crate::extract::{self, Extracted, Rules};
use crate::feed::{Item, ParsedFeed};
use crate::http::{Fetched, HttpClient};
use crate::identity::{canonical_url, item_hash, item_key};
use crate::output;
use crate::store::{NewArticle, Store};

mod outcome;
mod poll;
pub use outcome::FeedOutcome;
use outcome::Tally;
mod update;
use update::Changed;

/// What one poll did, for the closing summary line and the exit code.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Summary {
    pub feeds_ok: usize,
    pub feeds_failed: usize,
    pub new_articles: usize,
    pub files_written: usize,
    /// Stored articles that changed in their feed and were updated (files rewritten).
    pub updated_articles: usize,
    /// `(feed name, message)` for every failed feed.
    pub failures: Vec<(String, String)>,
    /// How each polled feed's poll ended, in the order the feeds were given.
    pub outcomes: Vec<FeedOutcome>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "feeds: {} ok, {} failed; new articles: {}; files written: {}; updated articles: {}",
            self.feeds_ok,
            self.feeds_failed,
            self.new_articles,
            self.files_written,
            self.updated_articles
        )
    }
}

/// Everything a poll needs, built once from the config.
pub struct Pipeline {
    config: Config,
    client: HttpClient,
    rules: Arc<Rules>,
    clock: Arc<dyn Clock>,
    /// Page extractions running at once: one per core. Extraction is CPU-bound, so more
    /// only adds parsed pages held in memory (and blocking threads), not throughput.
    extract_slots: Arc<tokio::sync::Semaphore>,
}

/// A feed that answered, with its items, waiting for them to be stored.
struct Polled {
    feed: FeedConfig,
    feed_id: i64,
    fetched: Fetched,
    parsed: ParsedFeed,
    /// Index of the feed in the list given to `fetch_feeds`.
    index: usize,
}

/// A new item whose page is to be downloaded.
struct Candidate {
    feed: usize,
    item: Item,
    keys: Vec<String>,
    urls: Vec<String>,
    /// Other feeds (indexes into the polled list) that carried the same item in this poll.
    also_in: Vec<usize>,
}

impl Pipeline {
    /// Prepares the HTTP client and extraction rules for `config`.
    pub fn new(config: Config) -> Result<Pipeline> {
        let client = HttpClient::new(&config.http)?;
        let rules = Rules::new(&config.rules).map_err(|message| Error::Config {
            path: config.base_dir.clone(),
            message,
        })?;
        Ok(Pipeline {
            config,
            client,
            rules: Arc::new(rules),
            clock: Arc::new(SystemClock),
            extract_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        })
    }

    /// Uses `clock` for the times recorded on feeds (the daemon's, possibly scaled, clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Pipeline {
        self.clock = clock;
        self
    }

    /// The configuration this pipeline was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Polls every configured feed (or only `only`) once and stores what is new.
    pub async fn fetch(&self, store: &mut Store, only: Option<&str>) -> Result<Summary> {
        let feeds: Vec<FeedConfig> = match only {
            Some(name) => vec![
                self.config
                    .feed(name)
                    .cloned()
                    .ok_or_else(|| Error::Config {
                        path: self.config.base_dir.clone(),
                        message: format!("no feed named `{name}` in the config"),
                    })?,
            ],
            None => self.config.feeds.clone(),
        };
        self.fetch_feeds(store, &feeds).await
    }

    /// Polls exactly `feeds` once (the daemon's due feeds) and stores what is new; the
    /// summary's `outcomes` say how each feed's poll ended.
    pub async fn fetch_feeds(&self, store: &mut Store, feeds: &[FeedConfig]) -> Result<Summary> {
        let removed = output::remove_leftovers(&self.config.output_dir);
        if removed > 0 {
            tracing::warn!("removed {removed} temporary files left by an interrupted run");
        }
        let mut summary = Summary::default();
        let mut tally = Tally::new(feeds);
        let polled = self
            .poll_all(store, feeds, &mut summary, &mut tally)
            .await?;
        let (candidates, changed) = self.dedup(store, &polled)?;
        self.download_and_store(store, &polled, candidates, &mut summary, &mut tally)
            .await;
        self.apply_updates(store, &polled, changed, &mut summary, &mut tally)
            .await;
        let now = self.clock.now().timestamp();
        for p in &polled {
            if let Some(message) = tally.outcomes[p.index].error.clone() {
                store.record_error(p.feed_id, &message, now)?;
                summary.feeds_failed += 1;
                continue;
            }
            store.record_success(
                p.feed_id,
                &p.fetched.validators,
                p.parsed.title.as_deref(),
                now,
            )?;
            self.follow_redirects(store, p)?;
            summary.feeds_ok += 1;
        }
        summary.outcomes = tally.outcomes;
        Ok(summary)
    }

    /// Splits items into known (linked now, no download unless changed) and new candidates,
    /// merging items that several feeds carry in this same poll.
    fn dedup(
        &self,
        store: &mut Store,
        polled: &[Polled],
    ) -> Result<(Vec<Candidate>, Vec<Changed>)> {
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut changed: Vec<Changed> = Vec::new();
        let mut claimed: HashMap<String, usize> = HashMap::new();
        for (fi, p) in polled.iter().enumerate() {
            for item in &p.parsed.items {
                let key = item_key(item, p.fetched.url.as_str());
                let urls: Vec<String> = item
                    .link
                    .as_deref()
                    .and_then(canonical_url)
                    .into_iter()
                    .collect();
                let key_refs = [key.as_str()];
                let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
                if let Some(id) = store.find_article(&key_refs, &url_refs)? {
                    store.link(p.feed_id, id, &key_refs, &url_refs)?;
                    self.note_change(store, p, fi, id, item, &mut changed)?;
                    continue;
                }
                let seen = std::iter::once(&key)
                    .chain(&urls)
                    .find_map(|k| claimed.get(k).copied());
                if let Some(ci) = seen {
                    let c = &mut candidates[ci];
                    if c.feed != fi && !c.also_in.contains(&fi) {
                        c.also_in.push(fi);
                    }
                    c.keys.push(key.clone());
                    c.keys.dedup();
                    continue;
                }
                for k in std::iter::once(&key).chain(&urls) {
                    claimed.insert(k.clone(), candidates.len());
                }
                candidates.push(Candidate {
                    feed: fi,
                    item: item.clone(),
                    keys: vec![key],
                    urls,
                    also_in: vec![],
                });
            }
        }
        Ok((candidates, changed))
    }

    async fn download_and_store(
        &self,
        store: &mut Store,
        polled: &[Polled],
        candidates: Vec<Candidate>,
        summary: &mut Summary,
        tally: &mut Tally,
    ) {
        let mut stream = futures_util::stream::iter(candidates)
            .map(|c| async move {
                let name = &polled[c.feed].feed.name;
                let (body, final_url) = self.article_body(name, &c.item).await;
                (c, body, final_url)
            })
            .buffer_unordered(self.config.http.concurrency);
        while let Some((mut c, body, final_url)) = stream.next().await {
            for u in page_urls(final_url.as_deref(), body.canonical.as_deref()) {
                if !c.urls.contains(&u) {
                    c.urls.push(u);
                }
            }
            let method = body.method.clone();
            match self.store_article(store, polled, &c, body) {
                Ok(Some(written)) => {
                    summary.new_articles += 1;
                    let outcome = &mut tally.outcomes[polled[c.feed].index];
                    outcome.new_articles += 1;
                    outcome.extraction_methods.push(method);
                    summary.files_written += usize::from(written);
                }
                Ok(None) => {}
                Err(e) => {
                    let name = &polled[c.feed].feed.name;
                    tracing::error!(feed = %name, "feed {name}: cannot store {}: {e}", c.item.link.as_deref().unwrap_or(&c.item.title));
                    let outcome = &mut tally.outcomes[polled[c.feed].index];
                    outcome.error.get_or_insert_with(|| e.to_string());
                    summary.failures.push((name.clone(), e.to_string()));
                }
            }
        }
    }

    /// Downloads and extracts the item's page; falls back to the feed's own content.
    async fn article_body(&self, feed_name: &str, item: &Item) -> (Extracted, Option<String>) {
        let base = item.link.as_deref().and_then(|l| Url::parse(l).ok());
        if let Some(link) = &item.link {
            match self.client.get(link, None).await {
                Ok(page) => {
                    let final_url = page.url.to_string();
                    let rules = Arc::clone(&self.rules);
                    // Closed never happens (the semaphore lives as long as the pipeline).
                    let _slot = self.extract_slots.acquire().await.ok();
                    let extracted = tokio::task::spawn_blocking(move || {
                        let html =
                            crate::charset::decode_html(&page.body, page.content_type.as_deref());
                        extract::extract_page(&html, &page.url, &rules)
                    })
                    .await
                    .ok()
                    .flatten();
                    if let Some(found) = extracted {
                        return (found, Some(final_url));
                    }
                    tracing::warn!(feed = %feed_name, "feed {feed_name}: article {link}: no article text found in the page; using the feed's content");
                }
                Err(e) => {
                    tracing::warn!(feed = %feed_name, "feed {feed_name}: article {e}; using the feed's content")
                }
            }
        }
        let body = extract::from_feed(item.content_html.as_deref(), base.as_ref())
            .unwrap_or_else(Extracted::none);
        (body, None)
    }

    /// Writes the file, then stores the article. `Ok(None)` when the page turned out to be an
    /// article already stored (reached through a redirect).
    fn store_article(
        &self,
        store: &mut Store,
        polled: &[Polled],
        c: &Candidate,
        body: Extracted,
    ) -> Result<Option<bool>> {
        let p = &polled[c.feed];
        let key_refs: Vec<&str> = c.keys.iter().map(String::as_str).collect();
        let url_refs: Vec<&str> = c.urls.iter().map(String::as_str).collect();
        if let Some(id) = store.find_article(&key_refs, &url_refs)? {
            for fi in std::iter::once(c.feed).chain(c.also_in.iter().copied()) {
                store.link(polled[fi].feed_id, id, &key_refs, &url_refs)?;
            }
            return Ok(None);
        }
        let date = item_date(&c.item);
        let lang = p
            .feed
            .lang
            .clone()
            .or_else(|| p.parsed.language.clone())
            .unwrap_or_else(|| self.config.hugo.lang.clone());
        let title = title_of(&c.item);
        let article = NewArticle {
            url: c.item.link.clone().unwrap_or_default(),
            file_name: output::file_name(date, &title, &c.keys[0]),
            title,
            author: authors(&c.item),
            published_at: date.timestamp(),
            updated_at: c.item.updated.map(|d| d.timestamp()),
            lang,
            feed_content: c.item.content_html.clone(),
            content_hash: crate::text::sha256_hex(&body.markdown),
            text: body.text,
            markdown: body.markdown,
            extraction_method: body.method,
            feed_id: p.feed_id,
            item_hash: Some(item_hash(&c.item)),
            modified_at: None,
        };
        let (path, contents) = crate::archive::file_for(&article, &p.feed.name, &self.config)?;
        let written = output::write_atomic(&self.config.output_dir, &path, &contents)?;
        let id = store.insert_article(&article, &key_refs, &url_refs)?;
        for fi in &c.also_in {
            store.link(polled[*fi].feed_id, id, &key_refs, &url_refs)?;
        }
        tracing::info!(feed = %p.feed.name, method = %article.extraction_method, "new article {}", path.display());
        Ok(Some(written))
    }
}

/// Canonical forms of the URL a page was finally served from and of the URL it declares as
/// its own. The declared one counts only on the same host and off the site root: some sites
/// declare their home page as every page's canonical, which would merge every article.
fn page_urls(final_url: Option<&str>, declared: Option<&str>) -> Vec<String> {
    let Some(final_url) = final_url.and_then(|u| Url::parse(u).ok()) else {
        return Vec::new();
    };
    let mut urls: Vec<String> = canonical_url(final_url.as_str()).into_iter().collect();
    let bare = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    if let Some(d) = declared.and_then(|d| Url::parse(d).ok())
        && bare(&d) == bare(&final_url)
        && !d.path().trim_matches('/').is_empty()
    {
        urls.extend(canonical_url(d.as_str()));
    }
    urls
}

/// The title to store and show; an item without one still needs a readable title.
fn title_of(item: &Item) -> String {
    if item.title.is_empty() {
        "(untitled)".to_string()
    } else {
        item.title.clone()
    }
}

fn authors(item: &Item) -> Option<String> {
    (!item.authors.is_empty()).then(|| item.authors.join(", "))
}

/// The item's publication time; else its update time; else now (first seen).
fn item_date(item: &Item) -> DateTime<Utc> {
    item.published.or(item.updated).unwrap_or_else(|| {
        Utc.timestamp_opt(Utc::now().timestamp(), 0)
            .single()
            .unwrap_or_default()
    })
}
