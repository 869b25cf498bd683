//! Dispatches each store call to the backend that holds the database.
//!
//! Every method of [`Store`] is listed once here; both backends implement it under the same
//! name and signature, so a method missing from one of them fails to compile.

use std::path::Path;

use super::pg::Pg;
use super::pg::coord::{Leased, Worker};
use super::sqlite::Sqlite;
use super::{
    Article, ArticleFilter, ArticleSource, Attempt, FeedRow, FeedState, ItemState, KeptPage,
    PendingPage, Store, StoredArticle,
};
use crate::error::Result;
use crate::http::Validators;

/// The database behind a [`Store`].
pub(super) enum Backend {
    Sqlite(Sqlite),
    Postgres(Pg),
}

/// Writes `impl Store` methods that forward to the backend's method of the same name.
macro_rules! dispatch {
    (shared: $( $(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Store { $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                match &self.backend {
                    Backend::Sqlite(s) => s.$name($($arg),*),
                    Backend::Postgres(p) => p.$name($($arg),*),
                }
            }
        )* }
    };
    (exclusive: $( $(#[$doc:meta])* fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        impl Store { $(
            $(#[$doc])*
            pub fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                match &mut self.backend {
                    Backend::Sqlite(s) => s.$name($($arg),*),
                    Backend::Postgres(p) => p.$name($($arg),*),
                }
            }
        )* }
    };
}

impl Store {
    /// Opens (creating if needed) the database `database` names and brings its schema up to
    /// date: a PostgreSQL server for a `postgres://` URL, else a SQLite file at that path.
    pub fn open(database: &Path) -> Result<Store> {
        let backend = if super::is_postgres(database) {
            Backend::Postgres(Pg::open(database)?)
        } else {
            Backend::Sqlite(Sqlite::open(database)?)
        };
        Ok(Store { backend })
    }

    /// An in-memory copy of the database (empty when there is none yet), brought up to date:
    /// a dry run polls against it and the database is never written. SQLite only for now:
    /// on PostgreSQL this is refused with a message saying so.
    pub fn snapshot(database: &Path) -> Result<Store> {
        if super::is_postgres(database) {
            return Err(crate::error::Error::Usage(
                "fetch --dry-run works on a SQLite database only (for now); \
                 `feedmark migrate-db` has no reverse, so try it on a SQLite copy"
                    .into(),
            ));
        }
        Ok(Store {
            backend: Backend::Sqlite(Sqlite::snapshot(database)?),
        })
    }

    /// Opens the database for reading: no lock, no write, no migration, so it works while
    /// `run` is active. Refuses a schema other than this feedmark's.
    pub fn open_read_only(database: &Path) -> Result<Store> {
        let backend = if super::is_postgres(database) {
            Backend::Postgres(Pg::open_read_only(database)?)
        } else {
            Backend::Sqlite(Sqlite::open_read_only(database)?)
        };
        Ok(Store { backend })
    }

    /// Leases to this process up to `limit` of `feeds` (name, URL) that are due at
    /// `due_by` (any, when `None`) and that no live worker holds. Other processes on the
    /// same PostgreSQL database skip a leased feed until it is released, or until its
    /// holder has not been seen for `lease_secs`. With SQLite the database's lock already
    /// keeps every other writer out, so every feed is granted.
    pub fn lease_feeds(
        &self,
        feeds: &[(&str, &str)],
        due_by: Option<i64>,
        at: i64,
        lease_secs: u64,
        limit: Option<usize>,
    ) -> Result<Leased> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Leased {
                granted: feeds.iter().map(|f| f.0.to_string()).collect(),
                busy: Vec::new(),
            }),
            Backend::Postgres(p) => p.lease_feeds(feeds, due_by, at, lease_secs, limit),
        }
    }

    /// Gives back this process's leases on `names` (after their poll is recorded).
    pub fn release_leases(&self, names: &[String]) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(()),
            Backend::Postgres(p) => p.release_leases(names),
        }
    }

    /// Claims a new item's `keys` (and URLs) for this process before its page is
    /// downloaded; false when another live process holds one of them (it stores the item).
    /// Claims end when the item is stored, or with their holder (`lease_secs`).
    pub fn claim(&self, keys: &[&str], lease_secs: u64) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            Backend::Postgres(p) => p.claim(keys, lease_secs),
        }
    }

    /// The processes that have shared this database, with their leases (none for SQLite,
    /// where the lock file names the one writer).
    pub fn workers(&self) -> Result<Vec<Worker>> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Vec::new()),
            Backend::Postgres(p) => p.workers(),
        }
    }

    /// Every stored article, oldest first (then by id), with its feed's name.
    pub fn articles(&self) -> Result<Vec<StoredArticle>> {
        let mut all = Vec::new();
        self.each_article(&ArticleFilter::default(), |a| {
            all.push(a);
            Ok(())
        })?;
        Ok(all)
    }

    /// Calls `f` on each article `filter` selects, oldest first (then by id), one row in
    /// memory at a time; the first error stops the walk.
    pub fn each_article(
        &self,
        filter: &ArticleFilter,
        mut f: impl FnMut(StoredArticle) -> Result<()>,
    ) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.each_article(filter, &mut f),
            Backend::Postgres(p) => p.each_article(filter, &mut f),
        }
    }

    /// Rolls back the open batch, if any: none of its writes is kept.
    pub fn rollback_batch(&mut self) {
        match &mut self.backend {
            Backend::Sqlite(s) => s.rollback_batch(),
            Backend::Postgres(p) => p.rollback_batch(),
        }
    }

    /// Whether a batch is open (writes not yet committed).
    pub fn in_batch(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(s) => s.in_batch(),
            Backend::Postgres(p) => p.in_batch(),
        }
    }

    /// The database as configured (a file path, or a server's URL).
    pub fn path(&self) -> &Path {
        match &self.backend {
            Backend::Sqlite(s) => s.path(),
            Backend::Postgres(p) => p.path(),
        }
    }

    /// What is free where the database keeps its data, in words, for the message of a
    /// write that failed for room.
    pub fn free_space(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.free_space(),
            Backend::Postgres(p) => p.free_space(),
        }
    }
}

dispatch! { shared:
    /// The feed row for `name`, created at `at` (Unix seconds) if new. When the configured
    /// URL changed, the feed starts afresh (URL, validators, error and redirect state);
    /// otherwise the stored URL, which may follow a permanent redirect, is kept.
    fn upsert_feed(&self, name: &str, url: &str, at: i64) -> Result<FeedRow>;
    /// The stored state of feed `name`.
    fn feed(&self, name: &str) -> Result<Option<FeedRow>>;
    /// Records a successful poll at `t`: validators for the next conditional GET, errors
    /// cleared.
    fn record_success(&self, feed_id: i64, validators: &Validators, title: Option<&str>, t: i64) -> Result<()>;
    /// Records a failed poll at `t`; the error count grows until the next success.
    fn record_error(&self, feed_id: i64, message: &str, t: i64) -> Result<()>;
    /// The article known under any of `keys` or `urls`, if one is.
    fn find_article(&self, keys: &[&str], urls: &[&str]) -> Result<Option<i64>>;
    /// Number of stored articles.
    fn article_count(&self) -> Result<i64>;
    /// How many articles `filter` selects.
    fn count_articles(&self, filter: &ArticleFilter) -> Result<u64>;
    /// The stored article `id`.
    fn article(&self, id: i64) -> Result<Option<StoredArticle>>;
    /// Replaces what a changed article says (title, text, dates, hashes, categories); its
    /// file name, URL, publication date and feed stay as first stored.
    fn update_article(&self, id: i64, a: &Article) -> Result<()>;
    /// What a later poll compares an article's item against (see [`ItemState`]).
    fn item_state(&self, id: i64) -> Result<Option<ItemState>>;
    /// Records the date the feed gave later to an article dated by when it was first seen
    /// (its own date stays, see [`super::DateSource::FirstSeen`]).
    fn set_feed_date_later(&self, id: i64, at: i64) -> Result<()>;
    /// Records the item hash of an article whose item changed without changing the article.
    fn set_item_hash(&self, id: i64, item_hash: &str) -> Result<()>;
    /// Records the downloaded page (if any) and the thumbnail written of a stored article,
    /// kept at `at` (Unix seconds).
    fn save_page(&self, article_id: i64, page: Option<&KeptPage>, thumbnail: &str, at: i64) -> Result<()>;
    /// Drops the bodies of pages kept more than `days` days before `now`; returns how many.
    fn expire_pages(&self, days: u32, now: i64) -> Result<usize>;
    /// Every stored article's id (of `feed`, published at or after `since`), oldest first.
    fn article_ids(&self, feed: Option<&str>, since: Option<i64>) -> Result<Vec<i64>>;
    /// Article `id` with its kept page read back, if the article is stored.
    fn article_source(&self, id: i64) -> Result<Option<ArticleSource>>;
    /// Replaces an article's extraction and its page's thumbnail with those of `a`.
    fn set_extraction(&self, id: i64, a: &Article) -> Result<()>;
    /// Stores when the feed is polled next, computed under `schedule` (schedule and zone).
    fn set_next_poll(&self, feed_id: i64, at: i64, schedule: &str) -> Result<()>;
    /// Marks the feed dead (410 Gone) at `at`.
    fn mark_dead(&self, feed_id: i64, at: i64) -> Result<()>;
    /// Notes the permanent redirect target seen on this successful poll; after `threshold`
    /// polls in a row with the same target, the stored URL becomes it and it is returned.
    fn note_redirect(&self, feed_id: i64, target: Option<&str>, threshold: u32) -> Result<Option<String>>;
    /// Every stored feed's state, by name.
    fn feed_states(&self) -> Result<Vec<FeedState>>;
    /// The state of feed `name`, if stored.
    fn feed_state(&self, name: &str) -> Result<Option<FeedState>>;
    /// The stored URL of feed `name`, if stored.
    fn feed_url(&self, name: &str) -> Result<Option<String>>;
    /// Marks article `id`'s page pending after a failed try (replacing what was recorded).
    fn mark_pending(&self, id: i64, at: &Attempt, error: &str) -> Result<()>;
    /// Article `id`'s page is no longer pending (it loaded, or was given up); true when it was.
    fn clear_pending(&self, id: i64) -> Result<bool>;
    /// The pending pages of articles first stored for one of `feeds` that are due at `now`,
    /// the longest waiting first. On PostgreSQL they are claimed for this worker, so that
    /// another worker does not try the same page while this one lives.
    fn due_pages(&self, feeds: &[&str], now: i64) -> Result<Vec<PendingPage>>;
    /// The earliest time a page of `feeds` waits for, among pages given a wait (those due
    /// "at the next poll" go with their feed's poll and wake nobody).
    fn next_page_retry(&self, feeds: &[&str]) -> Result<Option<i64>>;
}

dispatch! { exclusive:
    /// Notes that `feed_id` carried article `article_id` under `keys` and `urls`; returns
    /// true when this feed had not carried it before.
    fn link(&mut self, feed_id: i64, article_id: i64, keys: &[&str], urls: &[&str], at: i64) -> Result<bool>;
    /// Stores a new article, first seen at `at`, with its keys, URLs and feed link, all or
    /// nothing.
    fn insert_article(&mut self, a: &Article, keys: &[&str], urls: &[&str], at: i64) -> Result<i64>;
    /// Starts a batch: the writes that follow are committed together by `commit_batch`.
    fn begin_batch(&mut self) -> Result<()>;
    /// Commits the open batch, if any; when that fails, nothing of it is kept.
    fn commit_batch(&mut self) -> Result<()>;
}
