//! The PostgreSQL backend: the same tables as SQLite, shared by several workers.
//!
//! Chosen when `database` is a `postgres://` or `postgresql://` URL. Writes that other
//! workers may race (an article's keys and URLs, a feed's link) use the tables' unique
//! constraints with `ON CONFLICT`, never a check-then-write; leases and claims
//! ([`coord`]) decide who polls a feed and who downloads a new item.

use std::path::{Path, PathBuf};

use postgres::Client;

use super::sqlite::item_record::categories_json;
use super::{Article, DateSource, FeedRow};
use crate::error::{Error, Result};
use crate::extract::Method;
use crate::http::Validators;

mod articles;
pub mod coord;
mod copy;
mod pending;

mod schema;
mod session;
mod state;

use session::{Conn, Session};

/// An open PostgreSQL database.
pub struct Pg {
    conn: Conn,
    /// The URL as configured, to connect with (the heartbeat's own connection).
    url: String,
    /// The URL without its password, for messages.
    path: PathBuf,
    worker: coord::Membership,
}

impl Pg {
    /// Connects to the server `url` names and brings the schema up to date.
    pub fn open(url: &Path) -> Result<Pg> {
        let pg = Pg::connect(url)?;
        let text = url_text(url);
        pg.conn.run(move |s| schema::migrate(&mut s.main, &text))?;
        Ok(pg)
    }

    /// Connects for reading; refuses a schema other than this feedmark's.
    pub fn open_read_only(url: &Path) -> Result<Pg> {
        let pg = Pg::connect(url)?;
        if !pg.conn.run(|s| schema::is_current(&mut s.main))? {
            return Err(Error::Schema {
                path: shown(url),
                message: "its schema is not this feedmark's; run `feedmark fetch` or `feedmark run` once to upgrade it".into(),
            });
        }
        Ok(pg)
    }

    fn connect(url: &Path) -> Result<Pg> {
        let text = url_text(url);
        Ok(Pg {
            conn: Conn::connect(&text)?,
            url: text,
            path: shown(url),
            worker: coord::Membership::default(),
        })
    }

    /// The URL as configured, without its password (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A PostgreSQL server's free space is not visible from here; said so.
    pub fn free_space(&self) -> String {
        "free space on the database server unknown".into()
    }

    /// Runs `f` with the connections.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.conn.run(f)
    }

    /// Runs a write on the main connection, all or nothing: inside the open batch as a
    /// savepoint (a failed statement would otherwise abort the whole batch's transaction,
    /// where SQLite keeps the others), else as a transaction of its own.
    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.run(move |s| {
            let (open, keep, undo) = if s.in_batch {
                (
                    "SAVEPOINT w",
                    "RELEASE SAVEPOINT w",
                    "ROLLBACK TO SAVEPOINT w",
                )
            } else {
                ("BEGIN", "COMMIT", "ROLLBACK")
            };
            s.main.batch_execute(open)?;
            match f(&mut s.main) {
                Ok(v) => {
                    s.main.batch_execute(keep)?;
                    Ok(v)
                }
                Err(e) => {
                    // The write's own error is the one to report.
                    let _ = s.main.batch_execute(undo);
                    Err(e)
                }
            }
        })
    }

    /// See [`super::Store::upsert_feed`].
    pub fn upsert_feed(&self, name: &str, url: &str, at: i64) -> Result<FeedRow> {
        let (name, url) = (name.to_string(), url.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO feeds (name, url, config_url, created_at) VALUES ($1, $2, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url, config_url = excluded.url,
                     etag = NULL, last_modified = NULL, error_count = 0, dead_at = NULL,
                     moved_to = NULL, moved_count = 0, next_poll_at = NULL
                 WHERE feeds.config_url IS DISTINCT FROM excluded.config_url",
                &[&name, &url, &at],
            )?;
            feed_row(c, &name)?.ok_or_else(|| Error::Usage(format!("feed {name} vanished")))
        })
    }

    /// See [`super::Store::feed`].
    pub fn feed(&self, name: &str) -> Result<Option<FeedRow>> {
        let name = name.to_string();
        self.run(move |s| feed_row(&mut s.main, &name))
    }

    /// See [`super::Store::record_success`].
    pub fn record_success(
        &self,
        feed_id: i64,
        validators: &Validators,
        title: Option<&str>,
        t: i64,
    ) -> Result<()> {
        let (etag, modified) = (validators.etag.clone(), validators.last_modified.clone());
        let title = title.map(str::to_string);
        self.write(move |c| {
            c.execute(
                "UPDATE feeds SET etag = $2, last_modified = $3, title = COALESCE($4, title),
                     last_checked_at = $5, last_success_at = $5, error_count = 0,
                     last_error = NULL, dead_at = NULL
                 WHERE id = $1",
                &[&feed_id, &etag, &modified, &title, &t],
            )?;
            Ok(())
        })
    }

    /// See [`super::Store::record_error`].
    pub fn record_error(&self, feed_id: i64, message: &str, t: i64) -> Result<()> {
        let message = message.to_string();
        self.write(move |c| {
            c.execute(
                "UPDATE feeds SET last_checked_at = $2, last_error = $3, last_error_at = $2,
                     error_count = error_count + 1 WHERE id = $1",
                &[&feed_id, &t, &message],
            )?;
            Ok(())
        })
    }

    /// See [`super::Store::find_article`].
    pub fn find_article(&self, keys: &[&str], urls: &[&str]) -> Result<Option<i64>> {
        let keys = owned(keys);
        let urls = owned(urls);
        self.run(move |s| {
            let row = s.main.query_opt(
                "SELECT article_id FROM (
                     SELECT article_id, 0 AS o FROM article_keys WHERE key = ANY($1)
                     UNION ALL
                     SELECT article_id, 1 FROM article_urls WHERE url = ANY($2)) found
                 ORDER BY o LIMIT 1",
                &[&keys, &urls],
            )?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// See [`super::Store::link`].
    pub fn link(
        &mut self,
        feed_id: i64,
        article_id: i64,
        keys: &[&str],
        urls: &[&str],
        at: i64,
    ) -> Result<bool> {
        let (keys, urls) = (owned(keys), owned(urls));
        self.write(move |c| link_in(c, feed_id, article_id, &keys, &urls, at))
    }

    /// See [`super::Store::insert_article`]. The article row, its keys, URLs and feed link
    /// go in together; a key or URL another worker stored meanwhile is left to it.
    pub fn insert_article(
        &mut self,
        a: &Article,
        keys: &[&str],
        urls: &[&str],
        at: i64,
    ) -> Result<i64> {
        let a = a.clone();
        let (keys, urls) = (owned(keys), owned(urls));
        self.write(move |c| {
            let id: i64 = c
                .query_one(
                    "INSERT INTO articles (url, title, author, published_at, updated_at, lang,
                         feed_content, text, markdown, extraction_method, content_hash,
                         file_name, feed_id, created_at, item_hash, modified_at, date_source,
                         date_text, categories)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18, $19)
                     RETURNING id",
                    &[
                        &a.url,
                        &a.title,
                        &a.author,
                        &a.published_at,
                        &a.updated_at,
                        &a.lang,
                        &a.feed_content,
                        &a.text,
                        &a.markdown,
                        &a.extraction_method.to_string(),
                        &a.content_hash,
                        &a.file_name,
                        &a.feed_id,
                        &at,
                        &a.item_hash,
                        &a.modified_at,
                        &a.date_source.map(DateSource::as_str),
                        &a.date_text,
                        &categories_json(&a.categories),
                    ],
                )?
                .get(0);
            link_in(c, a.feed_id, id, &keys, &urls, at)?;
            Ok(id)
        })
    }

    /// See [`super::Store::article_count`].
    pub fn article_count(&self) -> Result<i64> {
        self.run(|s| {
            Ok(s.main
                .query_one("SELECT COUNT(*) FROM articles", &[])?
                .get(0))
        })
    }

    /// See [`super::Store::begin_batch`]: one transaction for many writes.
    pub fn begin_batch(&mut self) -> Result<()> {
        self.run(|s| {
            if !s.in_batch {
                s.main.batch_execute("BEGIN")?;
                s.in_batch = true;
            }
            Ok(())
        })
    }

    /// See [`super::Store::commit_batch`]. The worker's claims on what the batch stored
    /// are dropped with it: those items are now found as stored.
    pub fn commit_batch(&mut self) -> Result<()> {
        let worker = self.worker.id();
        self.run(move |s| {
            if !s.in_batch {
                return Ok(());
            }
            s.in_batch = false;
            if let Err(e) = s.main.batch_execute("COMMIT") {
                let _ = s.main.batch_execute("ROLLBACK");
                return Err(e.into());
            }
            if let Some(worker) = worker {
                coord::drop_stored_claims(&mut s.side, &worker)?;
            }
            Ok(())
        })
    }

    /// See [`super::Store::rollback_batch`].
    pub fn rollback_batch(&mut self) {
        let done = self.run(|s| {
            if s.in_batch {
                s.in_batch = false;
                s.main.batch_execute("ROLLBACK")?;
            }
            Ok(())
        });
        if let Err(e) = done {
            tracing::warn!("rolling back a batch: {e}");
        }
    }

    /// See [`super::Store::in_batch`].
    pub fn in_batch(&self) -> bool {
        self.run(|s| Ok(s.in_batch)).unwrap_or(false)
    }
}

fn feed_row(c: &mut Client, name: &str) -> Result<Option<FeedRow>> {
    let row = c.query_opt(
        "SELECT id, name, url, etag, last_modified, error_count, last_error, last_success_at,
                dead_at, next_poll_at
         FROM feeds WHERE name = $1",
        &[&name],
    )?;
    Ok(row.map(|r| FeedRow {
        id: r.get(0),
        name: r.get(1),
        url: r.get(2),
        validators: Validators {
            etag: r.get(3),
            last_modified: r.get(4),
        },
        error_count: r.get(5),
        last_error: r.get(6),
        last_success_at: r.get(7),
        dead_at: r.get(8),
        next_poll_at: r.get(9),
    }))
}

/// Records keys, URLs and the feed link; a key or URL already taken (by this article or,
/// from another worker, by another) is left as it is, like SQLite's `INSERT OR IGNORE`.
fn link_in(
    c: &mut Client,
    feed_id: i64,
    article_id: i64,
    keys: &[String],
    urls: &[String],
    at: i64,
) -> Result<bool> {
    c.execute(
        "INSERT INTO article_keys (key, article_id) SELECT k, $2 FROM unnest($1::text[]) k
         ON CONFLICT DO NOTHING",
        &[&keys, &article_id],
    )?;
    c.execute(
        "INSERT INTO article_urls (url, article_id) SELECT u, $2 FROM unnest($1::text[]) u
         ON CONFLICT DO NOTHING",
        &[&urls, &article_id],
    )?;
    let added = c.execute(
        "INSERT INTO feed_articles (feed_id, article_id, first_seen_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&feed_id, &article_id, &at],
    )?;
    Ok(added > 0)
}

fn owned(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_string()).collect()
}

/// A stored extraction method's name read back; one feedmark never wrote is an error.
fn method(name: &str) -> Result<Method> {
    name.parse()
        .map_err(|e| Error::Usage(format!("database: {e}")))
}

/// A stored date source read back; one feedmark never wrote is an error naming it.
fn date_source(name: &str) -> Result<DateSource> {
    DateSource::from_stored(name).map_err(|e| Error::Usage(format!("database: {e}")))
}

fn url_text(url: &Path) -> String {
    url.to_string_lossy().into_owned()
}

/// The URL for messages, without its password.
fn shown(url: &Path) -> PathBuf {
    PathBuf::from(crate::redact::urls(&url_text(url)).into_owned())
}
