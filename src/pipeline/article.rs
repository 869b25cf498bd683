//! The article half of a poll: download and extract each new item's page, write, store.

use std::sync::Arc;

use tokio::sync::Semaphore;

use url::Url;

use super::flow::{Done, Job, NewDone, Poll};
use super::{
    Candidate, KeptPage, Mode, Pipeline, Planned, Polled, authors, is_html, item_failed, title_of,
};
use crate::config::Thumbnail;
use crate::dom::Budget;
use crate::error::Result;
use crate::extract::{self, Extracted, Method, Rules};
use crate::feed::Item;
use crate::http::HttpClient;
use crate::identity::{canonical_url, item_hash};
use crate::output;
use crate::store::{Article, DateSource, Store};
use crate::task::AbortOnDrop;

impl Pipeline {
    /// Reads a job's page (none for an item only remembered).
    pub(super) async fn run_job(&self, job: Job, feed_name: &str) -> Done {
        match job {
            Job::New(c) => {
                let (body, final_url, page) = if self.mode == Mode::CatchUp || c.catch_up {
                    (caught_up_body(feed_name, &c.item), None, None)
                } else {
                    self.article_body(feed_name, &c.item).await
                };
                Done::New((c, body, final_url, page))
            }
            Job::Update(c) => {
                let (body, _, page) = self.article_body(feed_name, &c.item).await;
                Done::Update((c, body, page))
            }
        }
    }

    /// Downloads and extracts the item's page; falls back to the feed's own content. The
    /// decoded page is handed back too, kept so that `reextract` can work without the network.
    pub(super) async fn article_body(
        &self,
        feed_name: &str,
        item: &Item,
    ) -> (Extracted, Option<String>, Option<KeptPage>) {
        let from_feed = || feed_body(feed_name, item);
        let Some(link) = &item.link else {
            return (from_feed(), None, None);
        };
        let reader = PageReader {
            client: self.client.clone(),
            rules: Arc::clone(&self.rules),
            slots: Arc::clone(&self.extract_slots),
            keep: self.config.keep_pages_days > 0,
            budget_ms: self.config.extract_budget_ms,
            feed: feed_name.to_owned(),
            link: link.clone(),
        };
        // The page is read in a task of its own, so that its download and extraction go on
        // while the loop that drives the poll is busy storing other articles.
        let shown = crate::redact::urls(link);
        let read = match AbortOnDrop(tokio::spawn(reader.read())).await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(feed = %feed_name, "feed {feed_name}: article {shown}: reading the page failed ({e}); using the feed's content");
                None
            }
        };
        match read {
            None => (from_feed(), None, None),
            Some((Some(found), final_url, kept)) => (found, Some(final_url), kept),
            Some((None, _, kept)) => {
                tracing::warn!(feed = %feed_name, "feed {feed_name}: article {shown}: no article text found in the page; using the feed's content");
                (from_feed(), None, kept)
            }
        }
    }

    /// Writes the file (none for a caught-up item or in a dry run), then stores the article.
    /// `Ok(None)` when the page turned out to be an article already stored (reached through
    /// a redirect); else whether a file was (or would be) written, and what.
    fn store_article(
        &self,
        store: &mut Store,
        polled: &[Polled],
        c: &Candidate,
        body: Extracted,
        downloaded: Option<&KeptPage>,
    ) -> Result<Option<(bool, Planned)>> {
        let p = &polled[c.feed];
        let now = self.clock.now();
        let at = now.timestamp();
        let key_refs: Vec<&str> = c.keys.iter().map(String::as_str).collect();
        let url_refs: Vec<&str> = c.urls.iter().map(String::as_str).collect();
        if let Some(id) = store.find_article(&key_refs, &url_refs)? {
            for fi in std::iter::once(c.feed).chain(c.also_in.iter().copied()) {
                store.link(polled[fi].feed_id, id, &key_refs, &url_refs, at)?;
            }
            return Ok(None);
        }
        let (date, date_source) = super::dates::date_to_store(&p.feed.name, &c.item, now);
        let lang = p
            .feed
            .lang
            .clone()
            .or_else(|| p.parsed.language.clone())
            .unwrap_or_else(|| self.config.hugo.lang.clone());
        let title = title_of(&c.item);
        let thumbnail = match self.config.thumbnail_for(&p.feed) {
            Thumbnail::None => None,
            Thumbnail::Feed => c.item.image.clone(),
            Thumbnail::Page => body.meta.image.clone(),
        }
        .unwrap_or_default();
        let article = Article {
            url: c.item.link.clone().unwrap_or_default(),
            file_name: crate::render::file_name(date, &title, &c.keys[0]),
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
            thumbnail,
            date_source: Some(date_source),
            categories: c.item.categories.clone(),
            date_text: c
                .item
                .date_text
                .clone()
                .filter(|_| date_source == DateSource::FirstSeen),
        };
        let (path, contents) = crate::render::file_for(&article, &p.feed.name, &self.config)?;
        let written = match self.mode {
            _ if article.extraction_method == Method::CaughtUp => false,
            Mode::DryRun => true,
            _ => output::write_atomic_unsynced(&self.config.output_dir, &path, &contents)?,
        };
        let id = store.insert_article(&article, &key_refs, &url_refs, at)?;
        store.save_page(id, downloaded, &article.thumbnail, at)?;
        for fi in &c.also_in {
            store.link(polled[*fi].feed_id, id, &key_refs, &url_refs, at)?;
        }
        if article.extraction_method != Method::CaughtUp {
            let what = if self.mode == Mode::DryRun {
                "would write new article"
            } else {
                "new article"
            };
            tracing::info!(feed = %p.feed.name, method = %article.extraction_method, "{what} {}", path.display());
        }
        let planned = Planned {
            feed: p.feed.name.clone(),
            path,
            title: article.title,
            method: article.extraction_method,
            update: false,
        };
        Ok(Some((written, planned)))
    }
}

impl Poll<'_> {
    /// Stores a new item whose page was read (or not), counting it in the summary; a failure
    /// to store is that feed's error. Returns the file written, if one was (relative to the
    /// output folder): it goes if the batch holding its row is lost.
    pub(super) fn finish_new(
        &mut self,
        (mut c, body, final_url, page): NewDone,
    ) -> Option<std::path::PathBuf> {
        for u in page_urls(final_url.as_deref(), body.canonical.as_deref()) {
            if !c.urls.contains(&u) {
                c.urls.push(u);
            }
        }
        let method = body.method.clone();
        let (pipe, polled) = (self.pipe, &self.flow.polled);
        let stored = contained(|| pipe.store_article(self.store, polled, &c, body, page.as_ref()));
        let (summary, tally) = (&mut self.summary, &mut self.tally);
        match stored {
            Ok(Some(_)) if method == Method::CaughtUp => summary.caught_up += 1,
            Ok(Some((written, planned))) => {
                summary.new_articles += 1;
                let outcome = &mut tally.outcomes[polled[c.feed].index];
                outcome.new_articles += 1;
                outcome.extraction_methods.push(method);
                summary.files_written += usize::from(written);
                if pipe.mode == Mode::DryRun {
                    summary.planned.push(planned);
                } else if written {
                    return Some(planned.path);
                }
            }
            Ok(None) => {
                let name = &polled[c.feed].feed.name;
                let which = super::describe(&c.item);
                tracing::info!(feed = %name, "feed {name}: item {which}: its page is an article already stored; linked to it, no new file");
                summary.duplicates += 1;
            }
            Err(e) => item_failed(&polled[c.feed], "store", &c.item, &e, summary, tally),
        }
        None
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

/// The stored body of an item remembered without its page: the feed's own text, if any.
fn caught_up_body(feed: &str, item: &Item) -> Extracted {
    let mut body = feed_body(feed, item);
    body.method = Method::CaughtUp;
    body
}

/// The item's own text from its feed (empty when it has none). It is rendered on the task
/// that drives the poll: a panic there (a bug) would end the poll, so it is contained, logged,
/// and the item gets an empty body.
fn feed_body(feed: &str, item: &Item) -> Extracted {
    let render = || {
        let base = item.link.as_deref().and_then(|l| Url::parse(l).ok());
        extract::from_feed(item.content_html.as_deref(), base.as_ref())
            .unwrap_or_else(Extracted::none)
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(render)).unwrap_or_else(|payload| {
        let which = crate::redact::urls(item.link.as_deref().unwrap_or(&item.title));
        tracing::error!(feed = %feed, "feed {feed}: article {which}: rendering the feed's text panicked ({}); stored without text", panic_message(&*payload));
        Extracted::none()
    })
}

/// Runs one article's step of the poll (storing, rewriting), turning a panic in it (a bug)
/// into that article's error, so that the poll goes on with the others.
pub(super) fn contained<T>(step: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).unwrap_or_else(|payload| {
        Err(crate::error::Error::Article {
            name: "in this poll".into(),
            message: format!("panicked: {}", panic_message(&*payload)),
        })
    })
}

/// A panic's message, when it carries one.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// What reading a page needs, owned, so that it runs as a task of its own.
struct PageReader {
    client: HttpClient,
    rules: Arc<Rules>,
    slots: Arc<Semaphore>,
    keep: bool,
    /// `extract_budget_ms`: 0 sets no limit.
    budget_ms: u64,
    feed: String,
    link: String,
}

/// A page read: the text found in it (if any), its final URL, the page kept.
type PageRead = (Option<Extracted>, String, Option<KeptPage>);

impl PageReader {
    /// Downloads and extracts the page; `None` (with a warning logged) when there is no
    /// usable page, so the feed's content stands in.
    async fn read(self) -> Option<PageRead> {
        let PageReader { feed, link, .. } = &self;
        let shown = crate::redact::urls(link);
        let page = match self.client.get_undecoded(link, None).await {
            Ok(page) if !is_html(page.content_type.as_deref()) => {
                let kind = page.content_type.as_deref().unwrap_or_default();
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: not an HTML page (Content-Type {kind}); using the feed's content");
                return None;
            }
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(feed = %feed, "feed {feed}: article {e}; using the feed's content");
                return None;
            }
        };
        let final_url = page.url.to_string();
        let rules = Arc::clone(&self.rules);
        let limit = self.client.max_body_bytes();
        let keep = self.keep;
        let budget_ms = self.budget_ms;
        // One extraction per core: extraction is CPU-bound, so more at once only holds more
        // parsed pages in memory. Closed never happens (the semaphore lives with the pipeline).
        // The page is decompressed there too: the tasks driving downloads stay free.
        let _slot = self.slots.acquire().await.ok();
        let done = tokio::task::spawn_blocking(move || {
            let mut page = page;
            page.decode(limit)?;
            // The budget starts once a core is ours: waiting for one is not the page's fault.
            let budget = Budget::from_config_ms(budget_ms);
            let html = crate::charset::decode_html(&page.body, page.content_type.as_deref());
            let found = extract::extract_page_within(&html, &page.url, &rules, &budget);
            Ok::<_, crate::error::Error>((found, Some(KeptPage::from_download(page, keep))))
        })
        .await;
        match done {
            Ok(Ok((Ok(found), kept))) => Some((found, final_url, kept)),
            Ok(Ok((Err(over), _))) => {
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: {over}; using the feed's content");
                None
            }
            Ok(Err(e)) => {
                tracing::warn!(feed = %feed, "feed {feed}: article {e}; using the feed's content");
                None
            }
            Err(e) => {
                // A bug, not the page's fault: say so, rather than "no article text found".
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: extraction failed ({}); using the feed's content", join_failure(e));
                None
            }
        }
    }
}

/// What stopped a task: its panic message when it panicked.
pub(super) fn join_failure(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return e.to_string();
    }
    format!("panicked: {}", panic_message(&*e.into_panic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_while_extracting_is_reported_as_one() {
        let failed = tokio::task::spawn_blocking(|| -> () { panic!("index out of range") })
            .await
            .unwrap_err();
        assert_eq!(join_failure(failed), "panicked: index out of range");
        let n = 3;
        let failed = tokio::task::spawn_blocking(move || -> () { panic!("node {n}") })
            .await
            .unwrap_err();
        assert_eq!(join_failure(failed), "panicked: node 3");
    }

    #[test]
    fn a_panic_in_an_article_step_becomes_its_error() {
        let failed = contained(|| -> Result<()> { panic!("index 7 out of range") });
        let message = failed.unwrap_err().to_string();
        assert!(
            message.contains("panicked: index 7 out of range"),
            "{message}"
        );
        assert_eq!(contained(|| Ok(5)).unwrap(), 5);
    }
}
