//! The feed half of a poll: download and parse each feed, record errors, dead and moved feeds.

use super::article::join_failure;
use super::flow::Poll;
use super::outcome::permanent_target;
use super::{Pipeline, Polled};
use crate::config::FeedConfig;
use crate::error::{Error, Failure, Result};
use crate::feed::{self, ParsedFeed};
use crate::http::{Fetched, HttpClient};
use crate::store::{FeedRow, Store};
use crate::task::AbortOnDrop;

/// A feed's answer: its number in the poll, the parsed document (or why not), and the time
/// its download and parse took.
pub(super) type PollResult = (usize, Result<(Fetched, ParsedFeed)>, std::time::Duration);

impl Pipeline {
    /// Counts a permanent redirect towards moving the stored URL, and says so when it moves.
    pub(super) fn follow_redirects(&self, store: &Store, p: &Polled) -> Result<()> {
        let target = permanent_target(&p.fetched.redirects);
        let polls = self.config.daemon.redirect_polls;
        if let Some(url) = store.note_redirect(p.feed_id, target, polls)? {
            let name = &p.feed.name;
            let url = crate::redact::urls(&url);
            tracing::warn!(feed = %name, "feed {name}: moved permanently to {url} ({polls} polls in a row); the stored URL is updated; update the config too");
        }
        Ok(())
    }

    /// Downloads and parses feed number `index`; says how long that took. It runs as a task
    /// of its own: the loop that drives the poll may be busy storing articles, and a feed
    /// driven by it would keep its request slot until the loop came back to read the answer.
    pub(super) async fn poll_feed(&self, index: usize, row: &FeedRow) -> PollResult {
        let (client, url, validators) =
            (self.client.clone(), row.url.clone(), row.validators.clone());
        let task = AbortOnDrop(tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = download_and_parse(&client, &url, &validators).await;
            (result, started.elapsed())
        }));
        let (result, took) = task.await.unwrap_or_else(|e| {
            let message = format!("polling the feed failed ({})", join_failure(e));
            let failed = Error::Network {
                url: row.url.clone(),
                message,
                timeout: false,
                cause: None,
            };
            (Err(failed), std::time::Duration::ZERO)
        });
        self.progress.inc(1);
        (index, result, took)
    }
}

impl Poll<'_> {
    /// The stored row of every feed of the poll (created for new feeds). Its URL is the one
    /// polled: it follows a permanent redirect seen on several polls.
    pub(super) fn feed_rows(&mut self, feeds: &[FeedConfig]) -> Result<Vec<FeedRow>> {
        let mut rows = Vec::with_capacity(feeds.len());
        let at = self.pipe.clock.now().timestamp();
        for (i, f) in feeds.iter().enumerate() {
            let row = self.store.upsert_feed(&f.name, &f.url, at)?;
            self.tally.outcomes[i].feed_id = row.id;
            rows.push(row);
        }
        Ok(rows)
    }

    /// Takes in a feed's answer: the feed, ready for deduplication, or `None` when it failed
    /// (recorded, logged and counted here).
    pub(super) fn accept(
        &mut self,
        (feed, row): (&FeedConfig, &FeedRow),
        (index, result, took): PollResult,
    ) -> Result<Option<Polled>> {
        self.tally.outcomes[index].fetch_secs = took.as_secs_f64();
        let (mut fetched, parsed) = match result {
            Ok(answer) => answer,
            Err(e) => {
                self.failed(feed, row, index, &e)?;
                return Ok(None);
            }
        };
        if let Some(hop) = fetched.redirects.last() {
            let kind = if permanent_target(&fetched.redirects).is_some() {
                "permanently "
            } else {
                ""
            };
            tracing::info!(feed = %feed.name, "feed {}: {kind}redirected to {}", feed.name, hop.to);
        }
        tracing::info!(feed = %feed.name, items = parsed.items.len(), not_modified = fetched.not_modified, "polled");
        if fetched.not_modified {
            // A 304 need not repeat the validators: keep the ones that earned it.
            let old = &row.validators;
            let v = &mut fetched.validators;
            v.etag = v.etag.take().or_else(|| old.etag.clone());
            v.last_modified = v.last_modified.take().or_else(|| old.last_modified.clone());
        }
        self.tally.polled(index, &fetched, &parsed);
        Ok(Some(Polled {
            feed: feed.clone(),
            feed_id: row.id,
            fetched,
            parsed,
            index,
            first_poll: row.last_success_at.is_none(),
        }))
    }

    /// Records, logs and counts a feed whose download or parse failed.
    fn failed(&mut self, feed: &FeedConfig, row: &FeedRow, index: usize, e: &Error) -> Result<()> {
        let gone = e.failure() == Failure::Gone;
        let message = match e.remedy() {
            _ if gone => format!(
                "{e} Gone: the feed is dead; it is not polled again until its url changes in the config"
            ),
            Some(remedy) => format!("{e} (a configuration problem: {remedy})"),
            None => e.to_string(),
        };
        tracing::error!(feed = %feed.name, "feed {}: {message}", feed.name);
        let now = self.pipe.clock.now().timestamp();
        self.store.record_error(row.id, &message, now)?;
        if gone {
            self.store.mark_dead(row.id, now)?;
        }
        self.tally.failed(index, e, message.clone());
        self.summary.feeds_failed += 1;
        self.summary.feeds_unreachable += usize::from(e.is_unreachable());
        self.summary.failures.push((feed.name.clone(), message));
        Ok(())
    }

    /// Records how a feed's poll ended, once all its articles are stored: its validators
    /// only then, so that a feed interrupted half-way is polled in full again.
    pub(super) fn finish_feed(&mut self, fi: usize) -> Result<()> {
        let p = &self.flow.polled[fi];
        let now = self.pipe.clock.now().timestamp();
        if let Some(message) = &self.tally.outcomes[p.index].error {
            self.store.record_error(p.feed_id, message, now)?;
            self.summary.feeds_failed += 1;
            return Ok(());
        }
        self.store.record_success(
            p.feed_id,
            &p.fetched.validators,
            p.parsed.title.as_deref(),
            now,
        )?;
        self.pipe.follow_redirects(self.store, p)?;
        self.summary.feeds_ok += 1;
        Ok(())
    }
}

/// GETs a feed (conditionally) and parses it; the raw body is dropped once parsed.
async fn download_and_parse(
    client: &HttpClient,
    url: &str,
    validators: &crate::http::Validators,
) -> Result<(Fetched, ParsedFeed)> {
    let mut fetched = client.get(url, Some(validators)).await?;
    if fetched.not_modified {
        return Ok((fetched, ParsedFeed::default()));
    }
    let parsed = feed::parse(
        &fetched.body,
        fetched.content_type.as_deref(),
        Some(fetched.url.as_str()),
    )?;
    // Only the parsed items are used from here on; keeping every feed's raw body until
    // the end of the poll costs ~20 MB with 1,000 feeds.
    fetched.body = Vec::new();
    Ok((fetched, parsed))
}
