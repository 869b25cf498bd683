//! Runs extraction again on stored articles (after a rule change), rewriting changed files only.

use std::fmt;

use rusqlite::{OptionalExtension, params};
use url::Url;

use crate::config::{Config, Thumbnail};
use crate::dom::Budget;
use crate::error::Result;
use crate::extract::{self, Extracted, Rules};
use crate::http::coding::{self, DecodeError};
use crate::http::{Coding, Encoded, Fetched};
use crate::output;
use crate::store::NewArticle;
use crate::store::Store;

/// A downloaded article page as recorded for `reextract`: where it came from and, when
/// pages are kept, its bytes as served.
#[derive(Debug)]
pub struct KeptPage {
    /// The URL the page was finally served from.
    pub url: String,
    /// `None` when pages are not kept (`keep_pages_days = 0`) or could not be compressed:
    /// reextract then leaves the article as it is.
    pub body: Option<PageBody>,
}

/// A kept page's bytes, compressed, and what is needed to read them again.
#[derive(Debug)]
pub struct PageBody {
    pub coding: Coding,
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

impl KeptPage {
    /// Records a download; with `keep`, a compressed body exactly as it came (compressing
    /// the page again was an eighth of fetch's CPU), an uncompressed one gzipped. Done on the
    /// worker thread that extracted the page.
    pub fn from_download(page: Fetched, keep: bool) -> KeptPage {
        let url = page.url.to_string();
        let body = keep.then(|| page_body(page)).flatten();
        KeptPage { url, body }
    }
}

fn page_body(page: Fetched) -> Option<PageBody> {
    let (coding, bytes) = match page.encoded {
        Some(Encoded { coding, bytes }) => (coding, bytes),
        None => match coding::gzip(&page.body) {
            Ok(gz) => (Coding::Gzip, gz),
            Err(e) => {
                tracing::warn!(
                    "page {} not kept: {e}",
                    crate::redact::urls(page.url.as_str())
                );
                return None;
            }
        },
    };
    Some(PageBody {
        coding,
        bytes,
        content_type: page.content_type,
    })
}

/// Records the downloaded page (if any) and the thumbnail written of a stored article.
pub fn save_page(
    store: &Store,
    article_id: i64,
    page: Option<&KeptPage>,
    thumbnail: &str,
) -> Result<()> {
    let body = page.and_then(|p| p.body.as_ref());
    store
        .connection()
        .prepare_cached(
            "INSERT OR REPLACE INTO article_pages
                 (article_id, url, body, coding, content_type, thumbnail, kept_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            article_id,
            page.map(|p| &p.url),
            body.map(|b| &b.bytes),
            body.and_then(|b| b.coding.name()),
            body.and_then(|b| b.content_type.as_deref()),
            thumbnail,
            crate::store::now(),
        ])?;
    Ok(())
}

/// Drops the bodies of pages kept more than `days` days; the rows stay, with their URL and
/// thumbnail. Returns how many. Runs after every poll, so it reads only the index of rows
/// still holding a body (migration 6), never the table.
pub fn expire_pages(store: &Store, days: u32) -> Result<usize> {
    let cutoff = crate::store::now() - i64::from(days) * 86_400;
    Ok(store.connection().execute(EXPIRE, [cutoff])?)
}

/// Drops the bodies kept before `?1` (unix seconds).
const EXPIRE: &str = "UPDATE article_pages SET body = NULL, coding = NULL, content_type = NULL
     WHERE body IS NOT NULL AND kept_at < ?1";

/// A kept page's HTML, or `None` (with a warning) when it cannot be read back. `coding` is
/// NULL for pages kept by schema version 4: UTF-8 HTML, gzipped.
fn read_page(
    body: &[u8],
    coding: Option<&str>,
    content_type: Option<&str>,
    article_id: i64,
) -> Option<String> {
    let decoded = match coding {
        None => coding::decode(Coding::Gzip, body, KEPT_PAGE_LIMIT)
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        Some(name) => match Coding::from_name(name) {
            Some(c) => coding::decode(c, body, KEPT_PAGE_LIMIT)
                .map(|b| crate::charset::decode_html(&b, content_type)),
            None => Err(DecodeError::Invalid(format!("unknown coding `{name}`"))),
        },
    };
    decoded
        .inspect_err(|e| {
            tracing::warn!(
                article_id,
                "stored page unreadable ({e:?}); using the feed's content"
            );
        })
        .ok()
}

/// Far above any page's size (pages were capped by `max_body_bytes` when downloaded); only a
/// guard against a damaged row.
const KEPT_PAGE_LIMIT: u64 = 1 << 30;

/// What a `reextract` run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub checked: usize,
    pub rewritten: usize,
    pub unchanged: usize,
    /// Articles whose page is no longer kept (`keep_pages_days`): left as they are.
    pub skipped: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "articles checked: {}; files rewritten: {}; unchanged: {}",
            self.checked, self.rewritten, self.unchanged
        )?;
        if self.skipped > 0 {
            write!(
                f,
                "; left as they are (page no longer kept): {}",
                self.skipped
            )?;
        }
        Ok(())
    }
}

/// One stored article with what extraction needs.
struct Row {
    id: i64,
    feed_name: String,
    url: String,
    feed_content: Option<String>,
    content_hash: String,
    file_name: String,
    page_url: Option<String>,
    page_html: Option<String>,
    /// A page was downloaded but is no longer kept (expired, or unreadable): extracting
    /// from the feed's content instead would make the file worse, so the article is left.
    page_gone: bool,
    thumbnail: String,
}

/// Re-extracts every stored article (of `feed`, published at or after `since`, when given)
/// with the rules now in force, and rewrites the files whose content changed.
pub fn run(
    config: &Config,
    store: &mut Store,
    feed: Option<&str>,
    since: Option<i64>,
) -> Result<Summary> {
    if let Some(name) = feed.filter(|n| config.feed(n).is_none()) {
        return Err(config.error(format!("no feed named `{name}` in the config")));
    }
    let rules = Rules::new(&config.all_rules()).map_err(|m| config.error(m))?;
    let mut summary = Summary::default();
    for id in article_ids(store, feed, since)? {
        let Some(row) = load(store, id)? else {
            continue;
        };
        summary.checked += 1;
        if row.page_gone {
            summary.skipped += 1;
            continue;
        }
        if refresh(config, store, &rules, &row)? {
            summary.rewritten += 1;
        } else {
            summary.unchanged += 1;
        }
    }
    Ok(summary)
}

fn article_ids(store: &Store, feed: Option<&str>, since: Option<i64>) -> Result<Vec<i64>> {
    let mut stmt = store.connection().prepare(
        "SELECT a.id FROM articles a
         WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM feed_articles fa JOIN feeds g ON g.id = fa.feed_id
                                      WHERE fa.article_id = a.id AND g.name = ?1))
           AND (?2 IS NULL OR a.published_at >= ?2)
         ORDER BY a.published_at, a.id",
    )?;
    let ids = stmt.query_map(params![feed, since], |r| r.get(0))?;
    Ok(ids.collect::<rusqlite::Result<Vec<i64>>>()?)
}

fn load(store: &Store, id: i64) -> Result<Option<Row>> {
    let row = store
        .connection()
        .query_row(
            "SELECT a.id, f.name, a.url, a.feed_content,
                    a.content_hash, a.file_name, p.url, p.body, COALESCE(p.thumbnail, ''),
                    p.coding, p.content_type
             FROM articles a JOIN feeds f ON f.id = a.feed_id
             LEFT JOIN article_pages p ON p.article_id = a.id
             WHERE a.id = ?1",
            [id],
            |r| {
                Ok(Row {
                    id: r.get(0)?,
                    feed_name: r.get(1)?,
                    url: r.get(2)?,
                    feed_content: r.get(3)?,
                    content_hash: r.get(4)?,
                    file_name: r.get(5)?,
                    page_url: r.get(6)?,
                    page_html: r.get::<_, Option<Vec<u8>>>(7)?.and_then(|body| {
                        let coding = r.get::<_, Option<String>>(9).ok().flatten();
                        let content_type = r.get::<_, Option<String>>(10).ok().flatten();
                        read_page(&body, coding.as_deref(), content_type.as_deref(), id)
                    }),
                    page_gone: false,
                    thumbnail: r.get(8)?,
                })
            },
        )
        .optional()?;
    Ok(row.map(|mut row| {
        row.page_gone = row.page_url.is_some() && row.page_html.is_none();
        row
    }))
}

/// Extracts `row` again; stores and writes the result when it differs. True when the file
/// was rewritten.
fn refresh(config: &Config, store: &Store, rules: &Rules, row: &Row) -> Result<bool> {
    let body = extract_again(rules, row, config.extract_budget_ms);
    let thumbnail = match config.feed(&row.feed_name).map(|f| config.thumbnail_for(f)) {
        Some(Thumbnail::Page) if row.page_html.is_some() => {
            body.meta.image.clone().unwrap_or_default()
        }
        _ => row.thumbnail.clone(),
    };
    let hash = crate::text::sha256_hex(&body.markdown);
    let Some(stored) = store.article(row.id)? else {
        return Ok(false);
    };
    // The same rendering as fetch and export: path template, lastmod, front matter.
    let article = NewArticle {
        text: body.text.clone(),
        markdown: body.markdown.clone(),
        extraction_method: body.method.clone(),
        content_hash: hash.clone(),
        thumbnail: thumbnail.clone(),
        ..stored.article
    };
    let (path, contents) = crate::archive::file_for(&article, &stored.feed_name, config)?;
    // write_atomic leaves a file whose bytes are already right untouched.
    let written = output::write_atomic(&config.output_dir, &path, &contents)?;
    if hash != row.content_hash || thumbnail != row.thumbnail {
        store.connection().execute(
            "UPDATE articles SET text = ?1, markdown = ?2, extraction_method = ?3, content_hash = ?4
             WHERE id = ?5",
            params![body.text, body.markdown, body.method, hash, row.id],
        )?;
        store.connection().execute(
            "UPDATE article_pages SET thumbnail = ?1 WHERE article_id = ?2",
            params![thumbnail, row.id],
        )?;
    }
    if written {
        tracing::info!(feed = %row.feed_name, method = %body.method, "rewrote {}", row.file_name);
    }
    Ok(written)
}

/// The stored page through the current rules, within `budget_ms` (0: no limit); else the
/// feed's content, as `fetch` does.
fn extract_again(rules: &Rules, row: &Row, budget_ms: u64) -> Extracted {
    let page = row.page_html.as_deref().zip(row.page_url.as_deref());
    let budget = Budget::from_config_ms(budget_ms);
    let from_page = page.and_then(|(html, url)| {
        let url = Url::parse(url).ok()?;
        extract::extract_page_within(html, &url, rules, &budget)
            .inspect_err(|over| {
                let shown = crate::redact::urls(url.as_str());
                tracing::warn!(feed = %row.feed_name, "article {shown}: {over}; using the feed's content");
            })
            .ok()?
    });
    from_page
        .or_else(|| {
            let base = Url::parse(&row.url).ok();
            extract::from_feed(row.feed_content.as_deref(), base.as_ref())
        })
        .unwrap_or_else(Extracted::none)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database of schema version 5 holding one page as version 4 kept it (no kept_at).
    fn version_5_database(path: &std::path::Path, created_at: i64) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_at INTEGER NOT NULL);",
        )
        .unwrap();
        for (version, name, sql) in &crate::store::MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, 0)",
                params![version, name],
            )
            .unwrap();
        }
        conn.execute_batch(&format!(
            "INSERT INTO feeds (id, name, url, created_at) VALUES (1, 'f', 'https://f/', 0);
             INSERT INTO articles (id, url, title, published_at, lang, text, markdown,
                 extraction_method, content_hash, file_name, feed_id, created_at)
             VALUES (1, 'https://f/a', 'A', 0, 'en', 't', 'm', 'generic', 'h', 'a.md', 1, {created_at});
             INSERT INTO article_pages (article_id, url, body, thumbnail)
             VALUES (1, 'https://f/a', x'1f8b', '');"
        ))
        .unwrap();
    }

    #[test]
    fn pages_of_version_4_expire_by_their_article_and_expiry_reads_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v5.db");
        let forty_days_ago = crate::store::now() - 40 * 86_400;
        version_5_database(&path, forty_days_ago);
        let store = Store::open(&path).unwrap();
        let kept_at: i64 = store
            .connection()
            .query_row("SELECT kept_at FROM article_pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept_at, forty_days_ago, "migration 6 dates the old row");
        assert_eq!(expire_pages(&store, 50).unwrap(), 0);
        assert_eq!(expire_pages(&store, 30).unwrap(), 1);
        assert_eq!(
            expire_pages(&store, 30).unwrap(),
            0,
            "a dropped body counts once"
        );

        let plan: Vec<String> = store
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {EXPIRE}"))
            .unwrap()
            .query_map([0], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.contains("USING INDEX article_pages_to_expire")),
            "{plan:?}"
        );
    }
}
