//! The SQLite backend: feeds, articles and kept pages in one database file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::{Article, FeedRow, StoredArticle};
use crate::error::{Error, Result};
use crate::http::Validators;

mod schema;
pub use schema::MIGRATIONS;
mod state;
pub use state::FeedState;

mod articles;
mod batch;
pub use articles::{ArticleFilter, ItemState};
pub(super) mod item_record;
pub use item_record::DateSource;
pub(super) mod pages;
pub use pages::{ArticleSource, KeptPage, PageBody};
mod pending;
pub use pending::{Attempt, PendingPage};
mod dump;
mod read_only;

/// An open SQLite database.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Sqlite> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::refuse_foreign(&conn, path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Sqlite {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory copy of the database at `path` (empty when there is none yet), brought
    /// up to date: a dry run polls against it and the file is never written.
    pub fn snapshot(path: &Path) -> Result<Sqlite> {
        let mut conn = Connection::open_in_memory()?;
        if path.exists() {
            let source = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            source.busy_timeout(std::time::Duration::from_secs(10))?;
            let backup = rusqlite::backup::Backup::new(&source, &mut conn)?;
            backup.run_to_completion(1024, std::time::Duration::ZERO, None)?;
        }
        schema::refuse_foreign(&conn, path)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Sqlite {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The feed row for `name`, created at `at` (Unix seconds) if new. When the configured
    /// URL changed, the feed starts afresh (URL, validators, error and redirect state);
    /// otherwise the stored URL, which may follow a permanent redirect, is kept.
    pub fn upsert_feed(&self, name: &str, url: &str, at: i64) -> Result<FeedRow> {
        self.conn.execute(
            "INSERT INTO feeds (name, url, config_url, created_at) VALUES (?1, ?2, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET url = excluded.url, config_url = excluded.url,
                 etag = NULL, last_modified = NULL, error_count = 0, dead_at = NULL,
                 moved_to = NULL, moved_count = 0, next_poll_at = NULL
             WHERE feeds.config_url IS NOT excluded.config_url",
            params![name, url, at],
        )?;
        self.feed(name)?
            .ok_or_else(|| Error::Store(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The stored state of feed `name`.
    pub fn feed(&self, name: &str) -> Result<Option<FeedRow>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, name, url, etag, last_modified, error_count, last_error, last_success_at,
                        dead_at, next_poll_at
                 FROM feeds WHERE name = ?1",
                [name],
                |r| {
                    Ok(FeedRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        url: r.get(2)?,
                        validators: Validators {
                            etag: r.get(3)?,
                            last_modified: r.get(4)?,
                        },
                        error_count: r.get(5)?,
                        last_error: r.get(6)?,
                        last_success_at: r.get(7)?,
                        dead_at: r.get(8)?,
                        next_poll_at: r.get(9)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Records a successful poll at `t`: validators for the next conditional GET, errors
    /// cleared.
    pub fn record_success(
        &self,
        feed_id: i64,
        validators: &Validators,
        title: Option<&str>,
        t: i64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE feeds SET etag = ?2, last_modified = ?3, title = COALESCE(?4, title),
                 last_checked_at = ?5, last_success_at = ?5, error_count = 0, last_error = NULL,
                 dead_at = NULL
             WHERE id = ?1",
            params![feed_id, validators.etag, validators.last_modified, title, t],
        )?;
        Ok(())
    }

    /// Records a failed poll at `t`; the error count grows until the next success.
    pub fn record_error(&self, feed_id: i64, message: &str, t: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE feeds SET last_checked_at = ?2, last_error = ?3, last_error_at = ?2,
                 error_count = error_count + 1 WHERE id = ?1",
            params![feed_id, t, message],
        )?;
        Ok(())
    }

    /// The article known under any of `keys` or `urls`, if one is.
    pub fn find_article(&self, keys: &[&str], urls: &[&str]) -> Result<Option<i64>> {
        let lookups = keys
            .iter()
            .map(|k| ("SELECT article_id FROM article_keys WHERE key = ?1", k))
            .chain(
                urls.iter()
                    .map(|u| ("SELECT article_id FROM article_urls WHERE url = ?1", u)),
            );
        for (sql, value) in lookups {
            let id = self
                .conn
                .prepare_cached(sql)?
                .query_row([value], |r| r.get(0))
                .optional()?;
            if id.is_some() {
                return Ok(id);
            }
        }
        Ok(None)
    }

    /// Notes that `feed_id` carried article `article_id` under `keys` and `urls`, so later polls
    /// find it without a download; `at` (Unix seconds) is when the feed was first seen to carry
    /// it. Returns true when this feed had not carried it before.
    pub fn link(
        &mut self,
        feed_id: i64,
        article_id: i64,
        keys: &[&str],
        urls: &[&str],
        at: i64,
    ) -> Result<bool> {
        let tx = self.conn.savepoint()?;
        let added = link_in(&tx, feed_id, article_id, keys, urls, at)?;
        tx.commit()?;
        Ok(added)
    }

    /// Stores a new article, first seen at `at` (Unix seconds), with its keys, URLs and feed
    /// link, all or nothing (a savepoint, so that it can be part of a batch).
    pub fn insert_article(
        &mut self,
        a: &Article,
        keys: &[&str],
        urls: &[&str],
        at: i64,
    ) -> Result<i64> {
        let tx = self.conn.savepoint()?;
        tx.prepare_cached(
            "INSERT INTO articles (url, title, author, published_at, updated_at, lang, feed_content,
                 text, markdown, extraction_method, content_hash, file_name, feed_id, created_at,
                 item_hash, modified_at, date_source, date_text, categories)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                 ?19)",
        )?
        .execute(params![
                a.url, a.title, a.author, a.published_at, a.updated_at, a.lang, a.feed_content,
                a.text, a.markdown, a.extraction_method, a.content_hash, a.file_name, a.feed_id, at,
                a.item_hash, a.modified_at, a.date_source, a.date_text,
                item_record::categories_json(&a.categories)
            ],
        )?;
        let id = tx.last_insert_rowid();
        link_in(&tx, a.feed_id, id, keys, urls, at)?;
        tx.commit()?;
        Ok(id)
    }

    /// Number of stored articles.
    pub fn article_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?)
    }
}

fn link_in(
    tx: &Connection,
    feed_id: i64,
    article_id: i64,
    keys: &[&str],
    urls: &[&str],
    at: i64,
) -> Result<bool> {
    // Cached statements: these run for every item of every poll.
    let mut insert_key =
        tx.prepare_cached("INSERT OR IGNORE INTO article_keys (key, article_id) VALUES (?1, ?2)")?;
    for key in keys {
        insert_key.execute(params![key, article_id])?;
    }
    let mut insert_url =
        tx.prepare_cached("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?1, ?2)")?;
    for url in urls {
        insert_url.execute(params![url, article_id])?;
    }
    let added = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO feed_articles (feed_id, article_id, first_seen_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![feed_id, article_id, at])?;
    Ok(added > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Method;

    /// The time the store's tests record things at (Unix seconds): fixed, so that nothing
    /// depends on when they run.
    pub(crate) const NOW: i64 = 1_700_000_000;

    fn article(feed_id: i64, file: &str) -> Article {
        Article {
            url: "https://a/1".into(),
            title: "t".into(),
            published_at: 1,
            lang: "en".into(),
            text: "x".into(),
            markdown: "x".into(),
            extraction_method: Method::Feed,
            content_hash: "h".into(),
            file_name: file.into(),
            feed_id,
            ..Article::default()
        }
    }

    #[test]
    fn migrates_once_and_dedups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f.db");
        let mut s = Sqlite::open(&path).unwrap();
        let f1 = s.upsert_feed("a", "https://a/feed", NOW).unwrap();
        let f2 = s.upsert_feed("b", "https://a/feed2", NOW).unwrap();
        let id = s
            .insert_article(&article(f1.id, "x.md"), &["k1"], &["https://a/1"], NOW)
            .unwrap();
        assert_eq!(s.find_article(&["k1"], &[]).unwrap(), Some(id));
        assert_eq!(s.find_article(&["zz"], &["https://a/1"]).unwrap(), Some(id));
        assert!(s.link(f2.id, id, &["k2"], &[], NOW).unwrap());
        assert!(!s.link(f2.id, id, &["k2"], &[], NOW).unwrap());
        assert_eq!(s.find_article(&["k2"], &[]).unwrap(), Some(id));
        drop(s);
        let s = Sqlite::open(&path).unwrap();
        assert_eq!(s.article_count().unwrap(), 1);
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.last().unwrap().0);
        let mode: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
