//! Articles and kept pages in PostgreSQL: export walks, updates, reextract's reads.

use postgres::Row;

use super::{Pg, date_source, method};
use crate::error::Result;
use crate::extract::Method;
use crate::store::sqlite::item_record::{categories_from_json, categories_json};
use crate::store::sqlite::pages::read_page;
use crate::store::{Article, ArticleFilter, ArticleSource, ItemState, KeptPage, StoredArticle};

/// Columns of `articles a` joined with `feeds f`, in the order [`stored_article`] reads them.
const ARTICLE_COLUMNS: &str = "a.id, f.name, a.url, a.title, a.author, a.published_at,
    a.updated_at, a.lang, a.feed_content, a.text, a.markdown, a.extraction_method,
    a.content_hash, a.file_name, a.feed_id, a.item_hash, a.modified_at, COALESCE(p.thumbnail, ''),
    a.date_source, a.date_text, a.categories";

const ARTICLE_TABLES: &str = "articles a JOIN feeds f ON f.id = a.feed_id
    LEFT JOIN article_pages p ON p.article_id = a.id";

/// The filter of [`ArticleFilter`], on parameters $1..$4.
const FILTER: &str = "($1::text IS NULL OR EXISTS (SELECT 1 FROM feed_articles fa
        JOIN feeds g ON g.id = fa.feed_id WHERE fa.article_id = a.id AND g.name = $1))
    AND ($2::bigint IS NULL OR a.published_at >= $2)
    AND ($3::bigint IS NULL OR a.published_at <= $3)
    AND a.extraction_method <> $4";

/// Rows read per round trip by [`Pg::each_article`]: bounded memory, few round trips.
const PAGE: i64 = 500;

impl Pg {
    /// See [`crate::store::Store::each_article`]: read in pages of [`PAGE`] rows, in order.
    pub fn each_article(
        &self,
        filter: &ArticleFilter,
        mut f: impl FnMut(StoredArticle) -> Result<()>,
    ) -> Result<()> {
        let mut after: Option<(i64, i64)> = None;
        loop {
            let filter = filter.clone();
            let rows: Vec<StoredArticle> = self.run(move |s| {
                let (p, id) = after.unwrap_or((i64::MIN, i64::MIN));
                let rows = s.main.query(
                    &format!(
                        "SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_TABLES} WHERE {FILTER}
                           AND (a.published_at, a.id) > ($5, $6)
                         ORDER BY a.published_at, a.id LIMIT $7"
                    ),
                    &[
                        &filter.feed,
                        &filter.since,
                        &filter.until,
                        &Method::CaughtUp.to_string(),
                        &p,
                        &id,
                        &PAGE,
                    ],
                )?;
                rows.iter().map(stored_article).collect()
            })?;
            let full = rows.len() as i64 == PAGE;
            after = rows.last().map(|a| (a.article.published_at, a.id));
            for a in rows {
                f(a)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// See [`crate::store::Store::count_articles`].
    pub fn count_articles(&self, filter: &ArticleFilter) -> Result<u64> {
        let filter = filter.clone();
        self.run(move |s| {
            let n: i64 = s
                .main
                .query_one(
                    &format!("SELECT COUNT(*) FROM articles a WHERE {FILTER}"),
                    &[
                        &filter.feed,
                        &filter.since,
                        &filter.until,
                        &Method::CaughtUp.to_string(),
                    ],
                )?
                .get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// See [`crate::store::Store::article`].
    pub fn article(&self, id: i64) -> Result<Option<StoredArticle>> {
        self.run(move |s| {
            let row = s.main.query_opt(
                &format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_TABLES} WHERE a.id = $1"),
                &[&id],
            )?;
            row.as_ref().map(stored_article).transpose()
        })
    }

    /// See [`crate::store::Store::update_article`].
    pub fn update_article(&self, id: i64, a: &Article) -> Result<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                "UPDATE articles SET title = $2, author = $3, updated_at = $4, feed_content = $5,
                     text = $6, markdown = $7, extraction_method = $8, content_hash = $9,
                     item_hash = $10, modified_at = $11, categories = $12
                 WHERE id = $1",
                &[
                    &id,
                    &a.title,
                    &a.author,
                    &a.updated_at,
                    &a.feed_content,
                    &a.text,
                    &a.markdown,
                    &a.extraction_method.to_string(),
                    &a.content_hash,
                    &a.item_hash,
                    &a.modified_at,
                    &categories_json(&a.categories),
                ],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::item_state`].
    pub fn item_state(&self, id: i64) -> Result<Option<ItemState>> {
        self.run(move |s| {
            // SQLite's `IS 'first-seen'` is `IS NOT DISTINCT FROM` here.
            let row = s.main.query_opt(
                "SELECT feed_id, item_hash, extraction_method,
                        CASE WHEN date_source IS NOT DISTINCT FROM 'first-seen'
                                  AND feed_date_later IS NULL
                             THEN published_at END
                 FROM articles WHERE id = $1",
                &[&id],
            )?;
            row.map(|r| {
                Ok(ItemState {
                    feed_id: r.get(0),
                    item_hash: r.get(1),
                    method: method(r.get(2))?,
                    awaits_date: r.get(3),
                })
            })
            .transpose()
        })
    }

    /// See [`crate::store::Store::set_feed_date_later`].
    pub fn set_feed_date_later(&self, id: i64, at: i64) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE articles SET feed_date_later = $2 WHERE id = $1",
                &[&id, &at],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::set_item_hash`].
    pub fn set_item_hash(&self, id: i64, item_hash: &str) -> Result<()> {
        let item_hash = item_hash.to_string();
        self.write(move |c| {
            c.execute(
                "UPDATE articles SET item_hash = $2 WHERE id = $1",
                &[&id, &item_hash],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::save_page`].
    pub fn save_page(
        &self,
        article_id: i64,
        page: Option<&KeptPage>,
        thumbnail: &str,
        at: i64,
    ) -> Result<()> {
        let url = page.map(|p| p.url.clone());
        let body = page.and_then(|p| p.body.as_ref());
        let bytes = body.map(|b| b.bytes.clone());
        let coding = body.and_then(|b| b.coding.name()).map(str::to_string);
        let content_type = body.and_then(|b| b.content_type.clone());
        let thumbnail = thumbnail.to_string();
        self.write(move |c| {
            c.execute(
                "INSERT INTO article_pages
                     (article_id, url, body, coding, content_type, thumbnail, kept_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (article_id) DO UPDATE SET url = excluded.url,
                     body = excluded.body, coding = excluded.coding,
                     content_type = excluded.content_type, thumbnail = excluded.thumbnail,
                     kept_at = excluded.kept_at",
                &[
                    &article_id,
                    &url,
                    &bytes,
                    &coding,
                    &content_type,
                    &thumbnail,
                    &at,
                ],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::expire_pages`].
    pub fn expire_pages(&self, days: u32, now: i64) -> Result<usize> {
        let cutoff = now - i64::from(days) * 86_400;
        self.write(move |c| {
            let n = c.execute(
                "UPDATE article_pages SET body = NULL, coding = NULL, content_type = NULL
                 WHERE body IS NOT NULL AND kept_at < $1",
                &[&cutoff],
            )?;
            Ok(n as usize)
        })
    }

    /// See [`crate::store::Store::article_ids`].
    pub fn article_ids(&self, feed: Option<&str>, since: Option<i64>) -> Result<Vec<i64>> {
        let feed = feed.map(str::to_string);
        self.run(move |s| {
            let rows = s.main.query(
                "SELECT a.id FROM articles a
                 WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM feed_articles fa
                         JOIN feeds g ON g.id = fa.feed_id
                         WHERE fa.article_id = a.id AND g.name = $1))
                   AND ($2::bigint IS NULL OR a.published_at >= $2)
                 ORDER BY a.published_at, a.id",
                &[&feed, &since],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// See [`crate::store::Store::article_source`].
    pub fn article_source(&self, id: i64) -> Result<Option<ArticleSource>> {
        self.run(move |s| {
            let row = s.main.query_opt(
                "SELECT a.id, f.name, a.url, a.feed_content, a.content_hash, a.file_name,
                        p.url, p.body, COALESCE(p.thumbnail, ''), p.coding, p.content_type
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 LEFT JOIN article_pages p ON p.article_id = a.id
                 WHERE a.id = $1",
                &[&id],
            )?;
            Ok(row.map(|r| {
                let body: Option<Vec<u8>> = r.get(7);
                let coding: Option<String> = r.get(9);
                let content_type: Option<String> = r.get(10);
                let page_html = body
                    .and_then(|b| read_page(&b, coding.as_deref(), content_type.as_deref(), id));
                let page_url: Option<String> = r.get(6);
                ArticleSource {
                    id: r.get(0),
                    feed_name: r.get(1),
                    url: r.get(2),
                    feed_content: r.get(3),
                    content_hash: r.get(4),
                    file_name: r.get(5),
                    page_gone: page_url.is_some() && page_html.is_none(),
                    page_url,
                    page_html,
                    thumbnail: r.get(8),
                }
            }))
        })
    }

    /// See [`crate::store::Store::set_extraction`].
    pub fn set_extraction(&self, id: i64, a: &Article) -> Result<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                "UPDATE articles SET text = $1, markdown = $2, extraction_method = $3,
                     content_hash = $4 WHERE id = $5",
                &[
                    &a.text,
                    &a.markdown,
                    &a.extraction_method.to_string(),
                    &a.content_hash,
                    &id,
                ],
            )?;
            c.execute(
                "UPDATE article_pages SET thumbnail = $1 WHERE article_id = $2",
                &[&a.thumbnail, &id],
            )?;
            Ok(())
        })
    }
}

fn stored_article(r: &Row) -> Result<StoredArticle> {
    Ok(StoredArticle {
        id: r.get(0),
        feed_name: r.get(1),
        article: Article {
            url: r.get(2),
            title: r.get(3),
            author: r.get(4),
            published_at: r.get(5),
            updated_at: r.get(6),
            lang: r.get(7),
            feed_content: r.get(8),
            text: r.get(9),
            markdown: r.get(10),
            extraction_method: method(r.get(11))?,
            content_hash: r.get(12),
            file_name: r.get(13),
            feed_id: r.get(14),
            item_hash: r.get(15),
            modified_at: r.get(16),
            thumbnail: r.get(17),
            date_source: r.get::<_, Option<&str>>(18).map(date_source).transpose()?,
            date_text: r.get(19),
            categories: categories_from_json(r.get(20)),
        },
    })
}
