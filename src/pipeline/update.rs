//! Notices stored items that changed in their feed and rewrites their articles in place.

use std::collections::HashSet;

use super::flow::Poll;
use super::heal::Read;
use super::{KeptPage, Mode, Pipeline, Planned, Polled, authors, item_failed, title_of};
use crate::config::UpdatePolicy;
use crate::error::Result;
use crate::extract::{Extracted, Method};
use crate::feed::Item;
use crate::identity::item_hash;
use crate::store::{Article, Store};

/// A stored article whose item came back different.
pub(super) struct Changed {
    pub id: i64,
    /// Position in the polled list of the article's own feed.
    pub feed: usize,
    pub item: Item,
    pub hash: String,
}

impl Pipeline {
    /// The update article `id` needs when `item`, seen in its own feed `p`, no longer hashes
    /// as stored (once per poll: `queued` holds the articles already queued). Only the
    /// article's own feed counts: section feeds that carry one story may describe it
    /// differently, and must not make it flip back and forth.
    pub(super) fn note_change(
        &self,
        store: &Store,
        (p, feed): (&Polled, usize),
        id: i64,
        item: &Item,
        queued: &mut HashSet<i64>,
    ) -> Result<Option<Changed>> {
        if self.config.update_policy(&p.feed) == UpdatePolicy::Keep || queued.contains(&id) {
            return Ok(None);
        }
        let Some(state) = store.item_state(id)? else {
            return Ok(None);
        };
        if state.feed_id != p.feed_id {
            return Ok(None);
        }
        if let Some(kept) = state.awaits_date
            && let Some(date) = super::dates::feed_date(item)
        {
            super::dates::note_late_date(&p.feed.name, item, kept);
            store.set_feed_date_later(id, date.timestamp())?;
        }
        // A caught-up item was marked seen on purpose: its changes do not make it a download.
        if state.method == Method::CaughtUp {
            return Ok(None);
        }
        let hash = item_hash(item);
        match state.item_hash {
            // Stored before item hashes existed: remember this one, rewrite nothing.
            None => store.set_item_hash(id, &hash)?,
            Some(old) if old != hash => {
                queued.insert(id);
                return Ok(Some(Changed {
                    id,
                    feed,
                    item: item.clone(),
                    hash,
                }));
            }
            Some(_) => {}
        }
        Ok(None)
    }

    /// Updates the article and rewrites its file (same name, same `date`, new `lastmod`).
    /// `Ok(None)` when nothing an article shows changed; `Some(written)` otherwise.
    fn rewrite(
        &self,
        store: &Store,
        c: &Changed,
        body: Extracted,
        page: Option<KeptPage>,
    ) -> Result<Option<(bool, Planned)>> {
        if body.method.from_page() && store.clear_pending(c.id)? {
            tracing::info!("article {}: its page loaded again; no longer pending", c.id);
        }
        let Some(stored) = store.article(c.id)? else {
            return Ok(None);
        };
        let mut a = stored.article;
        if !body.method.from_page() && a.extraction_method.from_page() {
            // Never replace a full text with the feed's excerpt because the page is down;
            // the item hash stays old, so the next poll tries again.
            tracing::warn!(feed = %stored.feed_name, "feed {}: {}: changed, but its page could not be read; keeping the stored text", stored.feed_name, crate::redact::urls(&a.url));
            return Ok(None);
        }
        let title = title_of(&c.item);
        let content_hash = crate::text::sha256_hex(&body.markdown);
        // Categories show in the file only as tags; otherwise they are kept up to date
        // whenever the article is rewritten anyway.
        let tags_changed = self.config.categories_as_tags_for(&stored.feed_name)
            && a.categories != c.item.categories;
        if title == a.title && content_hash == a.content_hash && !tags_changed {
            store.set_item_hash(c.id, &c.hash)?;
            return Ok(None);
        }
        let now = self.clock.now().timestamp();
        let updated = c.item.updated.map(|d| d.timestamp());
        let at = updated
            .filter(|t| *t > a.published_at)
            .unwrap_or(now)
            .max(a.modified_at.unwrap_or(i64::MIN));
        a.title = title;
        a.author = authors(&c.item);
        a.updated_at = updated;
        a.feed_content.clone_from(&c.item.content_html);
        a.categories.clone_from(&c.item.categories);
        a.text = body.text;
        a.markdown = body.markdown;
        a.extraction_method = body.method;
        a.content_hash = content_hash;
        a.item_hash = Some(c.hash.clone());
        a.modified_at = Some(at);
        let written = self.write_back(store, c.id, stored.feed_name, &a, page, now)?;
        tracing::info!(feed = %written.1.feed, "updated article {}", written.1.path.display());
        Ok(Some(written))
    }

    /// Writes stored article `id`, changed to `a`, back: its file rewritten in place through
    /// the render every write uses (none in a dry run), its row, and the page its text came
    /// from (so `reextract` works on the current version).
    pub(super) fn write_back(
        &self,
        store: &Store,
        id: i64,
        feed_name: String,
        a: &Article,
        page: Option<KeptPage>,
        now: i64,
    ) -> Result<(bool, Planned)> {
        let (path, contents) = crate::render::file_for(a, &feed_name, &self.config)?;
        let written = match self.mode {
            Mode::DryRun => true,
            _ => crate::output::write_atomic_unsynced(&self.config.output_dir, &path, &contents)?,
        };
        store.update_article(id, a)?;
        if let Some(page) = page {
            store.save_page(id, Some(&page), &a.thumbnail, now)?;
        }
        let planned = Planned {
            feed: feed_name,
            path,
            title: a.title.clone(),
            method: a.extraction_method.clone(),
            update: true,
        };
        Ok((written, planned))
    }
}
impl Poll<'_> {
    /// Rewrites an article whose changed item's page was read again, counting it in the
    /// summary; a failure is that feed's error.
    pub(super) fn finish_update(&mut self, (c, read): (Changed, Read)) {
        let (body, page) = (read.body, read.page);
        let (pipe, store) = (self.pipe, &*self.store);
        let (summary, tally) = (&mut self.summary, &mut self.tally);
        let polled = &self.flow.polled;
        match super::article::contained(|| pipe.rewrite(store, &c, body, page)) {
            Ok(Some((written, planned))) => {
                summary.updated_articles += 1;
                summary.files_written += usize::from(written);
                if pipe.mode == Mode::DryRun {
                    summary.planned.push(planned);
                }
            }
            Ok(None) => {}
            Err(e) => item_failed(&polled[c.feed], "update", &c.item, &e, summary, tally),
        }
    }
}
