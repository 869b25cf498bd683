//! Pages that failed for a passing reason: marked pending, retried with backoff, healed in place.

use super::article::contained;
use super::flow::{Job, Poll};
use super::page::PageRead;
use super::{KeptPage, Mode, Pipeline, Planned, Summary};
use crate::config::{FeedConfig, HttpConfig, Thumbnail};
use crate::error::Result;
use crate::extract::Extracted;
use crate::store::{Attempt, PendingPage, Store};

/// Why a page gave no text, as far as trying it again goes.
pub(super) enum Miss {
    /// It may load later (a name lookup, a connection, a timeout, 5xx, 429).
    Passing(Passing),
    /// Trying again would fail the same way (404, 410, not HTML, no text in it), or the
    /// failure was a bug: not retried.
    Final,
}

/// A failure that may pass.
#[derive(Debug, Clone)]
pub(super) struct Passing {
    /// Seconds the server asked to wait (Retry-After on 429/503).
    pub retry_after: Option<u64>,
    /// The error, URL included.
    pub reason: String,
    /// Not even tried: its host was down in this poll.
    pub not_tried: bool,
}

/// What reading an item's page gave: the text to store, and whether to try the page again.
pub(super) struct Read {
    pub body: Extracted,
    /// The URL the page was finally served from, when its text was used.
    pub final_url: Option<String>,
    pub page: Option<KeptPage>,
    /// The page failed for a passing reason: it is marked pending once the article is stored.
    pub retry: Option<Passing>,
}

impl Read {
    /// Text that did not come from the page (the feed's, or none), with nothing to retry.
    pub fn text(body: Extracted) -> Read {
        Read {
            body,
            final_url: None,
            page: None,
            retry: None,
        }
    }
}

/// A retried page back from its job.
pub(super) type RetryDone = (PendingPage, Result<PageRead, Miss>);

/// Seconds to wait after a page's `attempts`-th failed try: `page_retry_secs` doubled for
/// each try before, capped by `page_retry_max_secs`; a Retry-After counts, within the cap.
pub(super) fn next_delay(http: &HttpConfig, attempts: u32, retry_after: Option<u64>) -> u64 {
    let doublings = attempts.saturating_sub(1).min(32);
    let backoff = http
        .page_retry_secs
        .saturating_mul(1 << doublings)
        .min(http.page_retry_max_secs);
    backoff.max(retry_after.unwrap_or(0).min(http.page_retry_max_secs))
}

/// Why a page that failed its `attempts`-th try, first at `first_failed_at`, is given up at
/// `now` (Unix seconds); `None` while it is worth another try.
pub(super) fn give_up(
    http: &HttpConfig,
    attempts: u32,
    first_failed_at: i64,
    now: i64,
) -> Option<String> {
    let max_age = i64::from(http.page_retry_max_age_days) * 86_400;
    if attempts >= http.page_retry_attempts {
        Some(format!("{attempts} tries, page_retry_attempts"))
    } else if now - first_failed_at >= max_age {
        let days = http.page_retry_max_age_days;
        Some(format!(
            "first failed over {days} days ago, page_retry_max_age_days"
        ))
    } else {
        None
    }
}

/// Marks a new article's page pending after its first download failed for a passing reason
/// (`article`: feed name, page URL, article id). A failure to mark it is logged: the article
/// itself is stored, only the retry is lost.
pub(super) fn first_failure(
    pipe: &Pipeline,
    store: &Store,
    summary: &mut Summary,
    (feed, url, id): (&str, &str, i64),
    passing: &Passing,
) {
    let http = &pipe.config.http;
    let now = pipe.clock.now().timestamp();
    let shown = crate::redact::urls(url);
    if let Some(why) = give_up(http, 1, now, now) {
        tracing::warn!(feed = %feed, "feed {feed}: article {shown}: not tried again ({why}); the feed's text stays");
        summary.pages_given_up += 1;
        return;
    }
    let attempt = Attempt {
        attempts: 1,
        first_failed_at: now,
        tried_at: now,
        next_try_at: now + secs(next_delay(http, 1, passing.retry_after)),
    };
    match store.mark_pending(id, &attempt, &passing.reason) {
        Ok(()) => summary.pages_pending += 1,
        Err(e) => {
            tracing::error!(feed = %feed, "feed {feed}: article {shown}: cannot mark the page for another try: {e}");
        }
    }
}

/// Seconds as the store's signed Unix times count them.
fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX / 2)
}

impl Poll<'_> {
    /// Queues the pending pages of `feeds` that are due, behind the poll's own pages; their
    /// articles are not updated from their feeds in this poll (the retry owns them).
    pub(super) fn queue_retries(&mut self, feeds: &[FeedConfig]) -> Result<()> {
        if self.pipe.mode == Mode::CatchUp || feeds.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
        let due = self
            .store
            .due_pages(&names, self.pipe.clock.now().timestamp())?;
        if due.is_empty() {
            return Ok(());
        }
        tracing::info!(
            pages = due.len(),
            "{} pending article pages are due for another try",
            due.len()
        );
        self.pipe.progress.inc_length(due.len() as u64);
        for page in due {
            self.flow.updating.insert(page.article_id);
            self.flow.retries.push_back(Job::Retry(page));
        }
        Ok(())
    }

    /// Stores what another try of a pending page gave: the article healed in place, the page
    /// tried again later, or given up. A failure to store is logged and listed.
    pub(super) fn finish_retry(&mut self, (due, read): RetryDone) {
        self.summary.pages_retried += 1;
        let (pipe, store) = (self.pipe, &*self.store);
        let result = contained(|| match read {
            Ok((Some(found), _, page)) => {
                let healed = pipe.heal(store, &due, found, page)?;
                Ok(Outcome::Healed(healed))
            }
            Ok((None, _, _)) => {
                let shown = crate::redact::urls(&due.url);
                let feed = &due.feed;
                tracing::warn!(feed = %feed, "feed {feed}: article {shown}: the page loads but no article text was found in it; keeping the feed's text (not tried again)");
                store.clear_pending(due.article_id)?;
                Ok(Outcome::GivenUp)
            }
            Err(Miss::Final) => {
                store.clear_pending(due.article_id)?;
                Ok(Outcome::GivenUp)
            }
            Err(Miss::Passing(passing)) => pipe.failed_again(store, &due, &passing),
        });
        let summary = &mut self.summary;
        match result {
            Ok(Outcome::Healed(Some((written, planned)))) => {
                summary.pages_healed += 1;
                summary.files_written += usize::from(written);
                if pipe.mode == Mode::DryRun {
                    summary.planned.push(planned);
                }
            }
            Ok(Outcome::Healed(None) | Outcome::Waits) => {}
            Ok(Outcome::GivenUp) => summary.pages_given_up += 1,
            Err(e) => {
                let (feed, shown) = (&due.feed, crate::redact::urls(&due.url));
                tracing::error!(feed = %feed, "feed {feed}: cannot store the retried page {shown}: {e}");
                summary.failures.push((feed.clone(), e.to_string()));
            }
        }
    }
}

/// How another try of a pending page ended.
enum Outcome {
    /// Its text is stored; the file written (or would be, in a dry run). `None`: the article
    /// is gone.
    Healed(Option<(bool, Planned)>),
    /// Failed again; tried later.
    Waits,
    /// Not tried again.
    GivenUp,
}

impl Pipeline {
    /// Rewrites the article of a pending page that loaded: its page's text, its file in
    /// place (same name and `date`, `lastmod` now), through the render every write uses.
    fn heal(
        &self,
        store: &Store,
        due: &PendingPage,
        body: Extracted,
        page: Option<KeptPage>,
    ) -> Result<Option<(bool, Planned)>> {
        let id = due.article_id;
        let Some(stored) = store.article(id)? else {
            store.clear_pending(id)?;
            return Ok(None);
        };
        let mut a = stored.article;
        // As on the first read: a page holding only a short text block (a script-built
        // shell) does not replace the feed's longer text.
        if body.yields_to_text(&a.text) {
            tracing::info!(feed = %stored.feed_name, "article {}: the retried page has no article, only a short text block; keeping the feed's longer text", crate::redact::urls(&due.url));
            store.clear_pending(id)?;
            return Ok(None);
        }
        let now = self.clock.now().timestamp();
        let page_thumbnail = self
            .config
            .feed(&stored.feed_name)
            .is_some_and(|f| self.config.thumbnail_for(f) == Thumbnail::Page);
        if page_thumbnail && a.thumbnail.is_empty() {
            a.thumbnail = body.meta.image.clone().unwrap_or_default();
        }
        a.content_hash = crate::text::sha256_hex(&body.markdown);
        a.text = body.text;
        a.markdown = body.markdown;
        a.extraction_method = body.method;
        a.modified_at = Some(now.max(a.modified_at.unwrap_or(i64::MIN)));
        let written = self.write_back(store, id, stored.feed_name, &a, page, now)?;
        store.clear_pending(id)?;
        let (feed, tries) = (&written.1.feed, due.attempts + 1);
        tracing::info!(feed = %feed, method = %a.extraction_method, "healed article {}: its page loaded on try {tries}", written.1.path.display());
        Ok(Some(written))
    }

    /// Records another failed try of a pending page: tried again later, or given up.
    fn failed_again(&self, store: &Store, due: &PendingPage, passing: &Passing) -> Result<Outcome> {
        let http = &self.config.http;
        let now = self.clock.now().timestamp();
        let attempts = due.attempts.saturating_add(1);
        let (feed, reason) = (&due.feed, &passing.reason);
        if let Some(why) = give_up(http, attempts, due.first_failed_at, now) {
            tracing::warn!(feed = %feed, "feed {feed}: article {reason}; given up ({why}); the feed's text stays");
            store.clear_pending(due.article_id)?;
            return Ok(Outcome::GivenUp);
        }
        let delay = next_delay(http, attempts, passing.retry_after);
        let attempt = Attempt {
            attempts,
            first_failed_at: due.first_failed_at,
            tried_at: now,
            next_try_at: now + secs(delay),
        };
        store.mark_pending(due.article_id, &attempt, reason)?;
        if passing.not_tried {
            tracing::debug!(feed = %feed, "feed {feed}: article {reason}; tried again in {delay}s");
        } else {
            tracing::info!(feed = %feed, "feed {feed}: article {reason}; try {attempts} failed, tried again in {delay}s");
        }
        Ok(Outcome::Waits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap_and_honour_retry_after() {
        let http = HttpConfig::default();
        let delays: Vec<u64> = (1..=9).map(|n| next_delay(&http, n, None)).collect();
        assert_eq!(
            delays,
            [300, 600, 1200, 2400, 4800, 9600, 19_200, 21_600, 21_600]
        );
        assert_eq!(next_delay(&http, 1, Some(3600)), 3600);
        assert_eq!(next_delay(&http, 1, Some(10_000_000)), 21_600, "capped");
        assert_eq!(next_delay(&http, 40, None), 21_600, "no overflow");
        let now_next_poll = HttpConfig {
            page_retry_secs: 0,
            ..HttpConfig::default()
        };
        assert_eq!(next_delay(&now_next_poll, 5, None), 0);
        assert_eq!(next_delay(&now_next_poll, 5, Some(120)), 120);
        // The documented span of the default tries: about 35 hours.
        let span: u64 = (1..http.page_retry_attempts)
            .map(|n| next_delay(&http, n, None))
            .sum();
        assert_eq!(span / 3600, 34);
    }

    #[test]
    fn pages_are_given_up_after_their_tries_or_their_age() {
        let http = HttpConfig::default();
        let t0 = 1_700_000_000;
        assert_eq!(give_up(&http, 11, t0, t0 + 3600), None);
        assert!(
            give_up(&http, 12, t0, t0)
                .unwrap()
                .contains("page_retry_attempts")
        );
        let old = give_up(&http, 2, t0, t0 + 3 * 86_400).unwrap();
        assert!(old.contains("page_retry_max_age_days"), "{old}");
    }
}
