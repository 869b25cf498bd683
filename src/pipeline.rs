//! Runs one poll of the feeds: fetch → parse → dedup → download and extract → write → store.

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, FeedConfig};
use crate::error::{Error, Result};
use crate::extract::Rules;
use crate::feed::{Item, ParsedFeed};
use crate::filter::Filter;
use crate::http::{Fetched, HttpClient};
use crate::output;
use crate::store::Store;

mod article;
mod batch;
mod dates;
mod flow;
mod heal;
mod mode;
mod outcome;
mod page;
mod poll;
#[cfg(test)]
mod poll_tests;
mod preview;
pub(crate) use flow::blocking;
pub use mode::{Mode, Planned};
pub use outcome::FeedOutcome;
use outcome::Tally;
pub use preview::{Preview, PreviewItem, discover};
mod update;

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
    /// Failed feeds whose host could not be reached at all (DNS, connection refused).
    pub feeds_unreachable: usize,
    /// How each polled feed's poll ended, in the order the feeds were given.
    pub outcomes: Vec<FeedOutcome>,
    /// New items remembered without download or file (`--catch-up`, `max_age`).
    pub caught_up: usize,
    /// Items the feeds' keep/block rules left out.
    pub filtered: usize,
    /// New items that were another item already: a repeat of an earlier item of the same
    /// feed in this poll (same key or URL), or one whose page was an article already stored.
    /// Each is linked to that article (no file of its own) and logged.
    pub duplicates: usize,
    /// In a dry run, the files that would have been written, in the order found. Empty
    /// otherwise: a first poll's 20,000 paths and titles are memory nobody reads.
    pub planned: Vec<Planned>,
    /// The poll was a dry run: nothing was stored and no file was written.
    pub dry_run: bool,
    /// New articles stored with their feed's text because their page failed for a passing
    /// reason (or was not tried: its host was down): their page is tried again later.
    pub pages_pending: usize,
    /// Pending pages tried again in this poll.
    pub pages_retried: usize,
    /// Pending pages that loaded at last: their articles were rewritten with the full text.
    pub pages_healed: usize,
    /// Pages not tried again (too many tries, too old, or they failed for good on a retry).
    pub pages_given_up: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (prefix, written) = if self.dry_run {
            ("dry run: ", "files that would be written")
        } else {
            ("", "files written")
        };
        write!(
            f,
            "{prefix}feeds: {} ok, {} failed; new articles: {}; {written}: {}; updated articles: {}",
            self.feeds_ok,
            self.feeds_failed,
            self.new_articles,
            self.files_written,
            self.updated_articles
        )?;
        if self.caught_up > 0 {
            write!(f, "; caught up (no file): {}", self.caught_up)?;
        }
        if self.filtered > 0 {
            write!(f, "; filtered out: {}", self.filtered)?;
        }
        if self.duplicates > 0 {
            write!(f, "; duplicate items: {}", self.duplicates)?;
        }
        for (label, n) in [
            ("pages pending", self.pages_pending),
            ("pages retried", self.pages_retried),
            ("pages healed", self.pages_healed),
            ("pages given up", self.pages_given_up),
        ] {
            if n > 0 {
                write!(f, "; {label}: {n}")?;
            }
        }
        if self.dry_run {
            write!(f, "; nothing was stored or written")?;
        }
        Ok(())
    }
}

/// Everything a poll needs, built once from the config.
pub struct Pipeline {
    config: Config,
    client: HttpClient,
    rules: Arc<Rules>,
    clock: Arc<dyn Clock>,
    mode: Mode,
    /// Each feed's compiled keep/block rules and `max_age`, by feed name.
    filters: HashMap<String, Filter>,
    /// Ticks once per feed polled and per page downloaded; hidden unless a caller shows it.
    progress: indicatif::ProgressBar,
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
    /// The feed had never been polled successfully: `max_age` applies.
    first_poll: bool,
}

/// A new item whose page is to be downloaded.
struct Candidate {
    /// Numbers the candidates of one poll, so that items of other feeds can join one.
    id: u64,
    /// Position of its feed in the poll's list of feeds that answered.
    feed: usize,
    item: Item,
    keys: Vec<String>,
    urls: Vec<String>,
    /// Other feeds (positions in the polled list) that carried the same item in this poll.
    also_in: Vec<usize>,
    /// Remember the item without its page or a file (older than `max_age` on a first poll).
    catch_up: bool,
}

use crate::reextract::KeptPage;

impl Pipeline {
    /// Prepares the HTTP client, and compiles the extraction rules and each feed's filters
    /// (once: the config only checked them on load).
    pub fn new(config: Config) -> Result<Pipeline> {
        let client = HttpClient::new(&config.http)?;
        let rules = Rules::new(&config.all_rules()).map_err(|m| config.error(m))?;
        let filters = config
            .feeds
            .iter()
            .map(|feed| {
                let filter = Filter::compile(feed).map_err(|m| config.error(m))?;
                Ok((feed.name.clone(), filter))
            })
            .collect::<Result<HashMap<_, _>>>()?;
        Ok(Pipeline {
            config,
            client,
            rules: Arc::new(rules),
            clock: Arc::new(SystemClock),
            mode: Mode::Write,
            filters,
            progress: indicatif::ProgressBar::hidden(),
            extract_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            )),
        })
    }

    /// Reports progress on `bar`: its length grows to the feeds plus the pages to download.
    pub fn with_progress(mut self, bar: indicatif::ProgressBar) -> Pipeline {
        self.progress = bar;
        self
    }

    /// Sets what the poll does with new items (see [`Mode`]). A dry run must be given a
    /// throw-away store ([`Store::snapshot`]): it records feed state as usual.
    pub fn with_mode(mut self, mode: Mode) -> Pipeline {
        self.mode = mode;
        self
    }

    /// Uses `clock` for every time the poll records or judges by (the daemon's, possibly
    /// scaled, clock): feed and article rows, undated items, `max_age`, Retry-After dates.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Pipeline {
        self.client = self.client.with_clock(Arc::clone(&clock));
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
                    .ok_or_else(|| crate::suggest::unknown_feed(&self.config, name))?,
            ],
            None => self.config.feeds.clone(),
        };
        // Other workers on a shared database may be polling some of them right now.
        let at = self.clock.now().timestamp();
        let (feeds, _elsewhere) = crate::lease::take(store, &feeds, None, at, &self.config, None)?;
        let summary = self.fetch_feeds(store, &feeds).await;
        crate::lease::release(store, &feeds);
        summary
    }

    /// Polls exactly `feeds` once and stores what is new, trying their due pending pages
    /// again; the summary's `outcomes` say how each feed's poll ended.
    pub async fn fetch_feeds(&self, store: &mut Store, feeds: &[FeedConfig]) -> Result<Summary> {
        self.poll(store, feeds, feeds).await
    }

    /// Polls `feeds` once (the daemon's due feeds, maybe none) and tries again the due
    /// pending pages of `retry_of` (the daemon's live feeds), whether or not their feed is
    /// polled.
    pub async fn poll(
        &self,
        store: &mut Store,
        feeds: &[FeedConfig],
        retry_of: &[FeedConfig],
    ) -> Result<Summary> {
        if self.mode != Mode::DryRun {
            let removed = output::remove_leftovers(&self.config.output_dir);
            if removed > 0 {
                tracing::warn!("removed {removed} temporary files left by an interrupted run");
            }
        }
        self.progress.set_length(feeds.len() as u64);
        self.progress.set_message("feeds");
        let summary = flow::Poll::new(self, store, feeds)
            .run(feeds, retry_of)
            .await?;
        if self.mode != Mode::DryRun {
            self.expire_pages(store);
        }
        Ok(summary)
    }
}

impl Pipeline {
    /// Drops kept pages older than `keep_pages_days`. A failure only costs disk space until
    /// the next poll, so it is logged, not the poll's error.
    fn expire_pages(&self, store: &Store) {
        let days = self.config.keep_pages_days;
        match store.expire_pages(days, self.clock.now().timestamp()) {
            Ok(0) => {}
            Ok(n) => tracing::info!("dropped {n} kept article pages older than {days} days"),
            Err(e) => tracing::warn!("cannot drop kept pages older than {days} days: {e}"),
        }
    }
}

/// Records that an item of feed `p` could not be stored (`what`: "store", "update"): logged
/// with the item, listed among the failures, and the feed's poll counts as failed, so that
/// the feed is polled in full again.
fn item_failed(
    p: &Polled,
    what: &str,
    item: &Item,
    e: &Error,
    summary: &mut Summary,
    tally: &mut Tally,
) {
    let name = &p.feed.name;
    let which = crate::redact::urls(item.link.as_deref().unwrap_or(&item.title));
    tracing::error!(feed = %name, "feed {name}: cannot {what} {which}: {e}");
    tally.outcomes[p.index]
        .error
        .get_or_insert_with(|| e.to_string());
    summary.failures.push((name.clone(), e.to_string()));
}

/// The item as a log line names it: its title, link and id, those it has.
fn describe(item: &Item) -> String {
    let mut parts = vec![format!("\"{}\"", item.title)];
    if let Some(link) = &item.link {
        parts.push(format!("link {}", crate::redact::urls(link)));
    }
    if let Some(id) = item
        .guid
        .as_ref()
        .filter(|g| Some(*g) != item.link.as_ref())
    {
        parts.push(format!("id {}", crate::redact::urls(id)));
    }
    parts.join(", ")
}

/// Whether a page's Content-Type may hold an article: HTML, XHTML, or no type at all (some
/// servers send none). An image or PDF read as HTML would store its bytes as text.
fn is_html(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return true;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim();
    mime.is_empty()
        || mime.eq_ignore_ascii_case("text/html")
        || mime.eq_ignore_ascii_case("application/xhtml+xml")
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

#[cfg(test)]
mod tests {
    use super::{Item, Pipeline, describe, is_html};
    use crate::config::{Config, FilterRuleSpec};

    #[test]
    fn a_filter_that_fails_to_compile_is_a_config_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feedmark.toml");
        std::fs::write(&path, "[[feeds]]\nname = \"a\"\nurl = \"https://a/\"\n").unwrap();
        let mut config = Config::load(&path).unwrap();
        // Only a config changed after its load can reach the stages unchecked.
        config.feeds[0].block.push(FilterRuleSpec::default());
        let Err(err) = Pipeline::new(config) else {
            panic!("an empty rule was compiled");
        };
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("config {}: feed `a`: block[0]", path.display())));
    }

    #[test]
    fn only_html_pages_are_read_as_articles() {
        for ok in [
            None,
            Some("text/html"),
            Some("TEXT/HTML; charset=utf-8"),
            Some("application/xhtml+xml"),
            Some(""),
        ] {
            assert!(is_html(ok), "{ok:?}");
        }
        for not in [
            Some("image/png"),
            Some("application/pdf"),
            Some("application/rss+xml"),
            Some("text/plain"),
        ] {
            assert!(!is_html(not), "{not:?}");
        }
    }

    #[test]
    fn items_are_named_by_title_link_and_a_different_id() {
        let item = Item {
            title: "A".into(),
            link: Some("https://u:p@x.example/a".into()),
            guid: Some("urn:1".into()),
            ..Item::default()
        };
        assert_eq!(
            describe(&item),
            "\"A\", link https://***@x.example/a, id urn:1"
        );
        let same = Item {
            guid: item.link.clone(),
            ..item
        };
        assert_eq!(describe(&same), "\"A\", link https://***@x.example/a");
    }
}
