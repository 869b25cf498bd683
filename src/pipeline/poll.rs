//! The feed half of a poll: download and parse each feed, record errors, dead and moved feeds.

use futures_util::StreamExt;

use super::outcome::{Tally, permanent_target};
use super::{Pipeline, Polled, Summary};
use crate::config::FeedConfig;
use crate::error::{Error, Result};
use crate::feed::{self, ParsedFeed};
use crate::http::Fetched;
use crate::store::Store;

impl Pipeline {
    /// Counts a permanent redirect towards moving the stored URL, and says so when it moves.
    pub(super) fn follow_redirects(&self, store: &Store, p: &Polled) -> Result<()> {
        let target = permanent_target(&p.fetched.redirects);
        let polls = self.config.daemon.redirect_polls;
        if let Some(url) = store.note_redirect(p.feed_id, target, polls)? {
            let name = &p.feed.name;
            tracing::warn!(feed = %name, "feed {name}: moved permanently to {url} ({polls} polls in a row); the stored URL is updated; update the config too");
        }
        Ok(())
    }

    /// Downloads and parses the feeds concurrently; failures are recorded and reported.
    pub(super) async fn poll_all(
        &self,
        store: &mut Store,
        feeds: &[FeedConfig],
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<Vec<Polled>> {
        let mut rows = Vec::new();
        for (i, f) in feeds.iter().enumerate() {
            let row = store.upsert_feed(&f.name, &f.url)?;
            tally.outcomes[i].feed_id = row.id;
            rows.push(row);
        }
        // The stored URL: it follows a permanent redirect seen on several polls.
        let results: Vec<_> = futures_util::stream::iter(feeds.iter().zip(&rows))
            .map(|(f, row)| async move {
                let started = std::time::Instant::now();
                let result = self.poll_one(&row.url, &row.validators).await;
                (f.clone(), row, result, started.elapsed())
            })
            .buffered(self.config.http.concurrency)
            .inspect(|_| self.progress.inc(1))
            .collect()
            .await;
        let mut polled = Vec::new();
        for (index, (feed, row, result, took)) in results.into_iter().enumerate() {
            tally.outcomes[index].fetch_secs = took.as_secs_f64();
            match result {
                Ok((mut fetched, parsed)) => {
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
                        v.last_modified =
                            v.last_modified.take().or_else(|| old.last_modified.clone());
                    }
                    tally.polled(index, &fetched, &parsed);
                    polled.push(Polled {
                        feed,
                        feed_id: row.id,
                        fetched,
                        parsed,
                        index,
                        first_poll: row.last_success_at.is_none(),
                    });
                }
                Err(e) => {
                    let gone = matches!(e, Error::Status { status: 410, .. });
                    let message = if gone {
                        format!(
                            "{e} Gone: the feed is dead; it is not polled again until its url changes in the config"
                        )
                    } else {
                        e.to_string()
                    };
                    tracing::error!(feed = %feed.name, "feed {}: {message}", feed.name);
                    let now = self.clock.now().timestamp();
                    store.record_error(row.id, &message, now)?;
                    if gone {
                        store.mark_dead(row.id, now)?;
                    }
                    tally.failed(index, &e, message.clone());
                    summary.feeds_failed += 1;
                    summary.failures.push((feed.name.clone(), message));
                }
            }
        }
        Ok(polled)
    }

    async fn poll_one(
        &self,
        url: &str,
        validators: &crate::http::Validators,
    ) -> Result<(Fetched, ParsedFeed)> {
        let mut fetched = self.client.get(url, Some(validators)).await?;
        if fetched.not_modified {
            return Ok((fetched, ParsedFeed::default()));
        }
        let parsed = feed::parse(
            &fetched.body,
            fetched.content_type.as_deref(),
            Some(fetched.url.as_str()),
        )
        .map_err(|e| match e {
            Error::Parse(m) => Error::Parse(format!("{}: {m}", fetched.url)),
            other => other,
        })?;
        // Only the parsed items are used from here on; keeping every feed's raw body until
        // the end of the poll costs ~20 MB with 1,000 feeds.
        fetched.body = Vec::new();
        Ok((fetched, parsed))
    }
}
