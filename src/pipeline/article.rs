//! The article half of a poll: download and extract each new item's page, write, store.

use std::sync::Arc;

use url::Url;

use super::flow::{Done, Job, NewDone, Poll};
use super::heal::{Miss, Read};
use super::{Candidate, KeptPage, Mode, Pipeline, Planned, Polled, authors, item_failed, title_of};
use crate::config::Thumbnail;
use crate::error::Result;
use crate::extract::{self, Extracted, Method};
use crate::feed::Item;
use crate::identity::{canonical_url, item_hash};
use crate::output;
use crate::politeness::DeadHosts;
use crate::store::{Article, DateSource, Store};

impl Pipeline {
    /// Reads a job's page (none for an item only remembered). `feed_name` names the feed of
    /// a new or changed item; a retried page names its own.
    pub(super) async fn run_job(&self, job: Job, feed_name: &str, dead: &Arc<DeadHosts>) -> Done {
        match job {
            Job::New(c) => {
                let read = if self.mode == Mode::CatchUp || c.catch_up {
                    Read::text(caught_up_body(feed_name, &c.item))
                } else {
                    self.article_body(feed_name, &c.item, dead).await
                };
                Done::New((c, read))
            }
            Job::Update(c) => {
                let read = self.article_body(feed_name, &c.item, dead).await;
                Done::Update((c, read))
            }
            Job::Retry(due) => {
                let read = self.read_page(&due.feed, &due.url, dead).await;
                Done::Retry((due, read))
            }
        }
    }

    /// Downloads and extracts the item's page; falls back to the feed's own content, and
    /// says when the page is worth another try. The decoded page is handed back too, kept so
    /// that `reextract` can work without the network.
    pub(super) async fn article_body(
        &self,
        feed_name: &str,
        item: &Item,
        dead: &Arc<DeadHosts>,
    ) -> Read {
        let from_feed = || feed_body(feed_name, item);
        let Some(link) = &item.link else {
            return Read::text(from_feed());
        };
        let shown = crate::redact::urls(link);
        match self.read_page(feed_name, link, dead).await {
            Ok((Some(found), _, page)) if found.yields_to_feed(&from_feed()) => {
                tracing::info!(feed = %feed_name, "feed {feed_name}: article {shown}: the page has no article, only a short text block; using the feed's longer content");
                Read {
                    page,
                    ..Read::text(from_feed())
                }
            }
            Ok((Some(found), final_url, page)) => Read {
                body: found,
                final_url: Some(final_url),
                page,
                retry: None,
            },
            Ok((None, _, page)) => {
                tracing::warn!(feed = %feed_name, "feed {feed_name}: article {shown}: no article text found in the page; using the feed's content");
                Read {
                    page,
                    ..Read::text(from_feed())
                }
            }
            Err(Miss::Final) => Read::text(from_feed()),
            Err(Miss::Passing(passing)) => {
                let reason = &passing.reason;
                if passing.not_tried {
                    tracing::debug!(feed = %feed_name, "feed {feed_name}: article {reason}; using the feed's content until the page loads");
                } else {
                    tracing::warn!(feed = %feed_name, "feed {feed_name}: article {reason}; using the feed's content until the page loads (tried again on later polls)");
                }
                Read {
                    retry: Some(passing),
                    ..Read::text(from_feed())
                }
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
    ) -> Result<Option<(bool, Planned, i64)>> {
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
                .unparsed_date
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
        Ok(Some((written, planned, id)))
    }
}

impl Poll<'_> {
    /// Stores a new item whose page was read (or not), counting it in the summary; a failure
    /// to store is that feed's error. Returns the file written, if one was (relative to the
    /// output folder): it goes if the batch holding its row is lost.
    pub(super) fn finish_new(&mut self, (mut c, read): NewDone) -> Option<std::path::PathBuf> {
        let Read {
            body,
            final_url,
            page,
            retry,
        } = read;
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
            Ok(Some((written, planned, id))) => {
                if let Some(passing) = retry {
                    let name = &polled[c.feed].feed.name;
                    let url = c.item.link.as_deref().unwrap_or_default();
                    super::heal::first_failure(
                        pipe,
                        self.store,
                        summary,
                        (name, url, id),
                        &passing,
                    );
                }
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
