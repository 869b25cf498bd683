//! Reading one article page: download (unless its host is down), extract, and what a miss means.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::article::join_failure;
use super::heal::{Miss, Passing};
use super::{KeptPage, Pipeline, is_html};
use crate::dom::Budget;
use crate::error::{Error, Failure};
use crate::extract::{self, Extracted, Rules};
use crate::http::HttpClient;
use crate::politeness::DeadHosts;
use crate::task::AbortOnDrop;

impl Pipeline {
    /// Reads the page at `link` in a task of its own, so that its download and extraction go
    /// on while the loop that drives the poll is busy storing other articles.
    pub(super) async fn read_page(
        &self,
        feed_name: &str,
        link: &str,
        dead: &Arc<DeadHosts>,
    ) -> Result<PageRead, Miss> {
        let reader = PageReader {
            client: self.client.clone(),
            rules: Arc::clone(&self.rules),
            slots: Arc::clone(&self.extract_slots),
            dead: Arc::clone(dead),
            keep: self.config.keep_pages_days > 0,
            budget_ms: self.config.extract_budget_ms,
            feed: feed_name.to_owned(),
            link: link.to_owned(),
        };
        match AbortOnDrop(tokio::spawn(reader.read())).await {
            Ok(read) => read,
            Err(e) => {
                let shown = crate::redact::urls(link);
                tracing::warn!(feed = %feed_name, "feed {feed_name}: article {shown}: reading the page failed ({e}); using the feed's content");
                Err(Miss::Final)
            }
        }
    }
}

/// What reading a page needs, owned, so that it runs as a task of its own.
struct PageReader {
    client: HttpClient,
    rules: Arc<Rules>,
    slots: Arc<Semaphore>,
    /// Hosts found down in this poll: their pages are not asked for.
    dead: Arc<DeadHosts>,
    keep: bool,
    /// `extract_budget_ms`: 0 sets no limit.
    budget_ms: u64,
    feed: String,
    link: String,
}

/// A page read: the text found in it (if any), its final URL, the page kept.
pub(super) type PageRead = (Option<Extracted>, String, Option<KeptPage>);

impl PageReader {
    /// Downloads and extracts the page. A page that cannot be used says whether another try
    /// may give it ([`Miss`], from [`Error::failure`]); a final miss is logged here, a
    /// passing one by the caller, who knows whether it was a first try.
    async fn read(self) -> Result<PageRead, Miss> {
        let PageReader { feed, link, .. } = &self;
        let shown = crate::redact::urls(link);
        let page = match self.client.get_page(link, &self.dead).await {
            Ok(page) if !is_html(page.content_type.as_deref()) => {
                let kind = page.content_type.as_deref().unwrap_or_default();
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: not an HTML page (Content-Type {kind}); using the feed's content");
                return Err(Miss::Final);
            }
            Ok(page) => page,
            Err(e) => return Err(miss(feed, &e)),
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
            Ok::<_, Error>((found, Some(KeptPage::from_download(page, keep))))
        })
        .await;
        match done {
            Ok(Ok((Ok(found), kept))) => Ok((found, final_url, kept)),
            Ok(Ok((Err(over), _))) => {
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: {over}; using the feed's content");
                Err(Miss::Final)
            }
            Ok(Err(e)) => Err(miss(feed, &e)),
            Err(e) => {
                // A bug, not the page's fault: say so, rather than "no article text found".
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: extraction failed ({}); using the feed's content", join_failure(e));
                Err(Miss::Final)
            }
        }
    }
}

/// What a page's failure means for trying it again: [`Error::failure`] decides, as it
/// does for feeds. A final one is logged here.
fn miss(feed: &str, e: &Error) -> Miss {
    match e.failure() {
        Failure::Transient { retry_after } => Miss::Passing(Passing {
            retry_after,
            reason: e.to_string(),
            not_tried: matches!(e, Error::HostDown { .. }),
        }),
        Failure::Permanent | Failure::Gone => {
            tracing::warn!(feed = %feed, "feed {feed}: article {e}; using the feed's content (not tried again)");
            Miss::Final
        }
    }
}
