//! Keeps downloaded article pages in the store for `reextract`: saving, expiring, reading back.

use rusqlite::{OptionalExtension, params};

use super::{Article, Sqlite};
use crate::error::Result;
use crate::http::coding::{self, DecodeError};
use crate::http::{Coding, Encoded, Fetched};

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

/// A stored article with what extracting it again needs: its feed's content and kept page.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSource {
    pub id: i64,
    pub feed_name: String,
    pub url: String,
    pub feed_content: Option<String>,
    pub content_hash: String,
    pub file_name: String,
    /// The URL the page was downloaded from; `None` when no page was downloaded.
    pub page_url: Option<String>,
    /// The kept page's HTML, decoded.
    pub page_html: Option<String>,
    /// A page was downloaded but is no longer kept (expired, or unreadable): extracting
    /// from the feed's content instead would make the file worse, so the article is left.
    pub page_gone: bool,
    pub thumbnail: String,
}

/// Drops the bodies kept before `?1` (unix seconds).
const EXPIRE: &str = "UPDATE article_pages SET body = NULL, coding = NULL, content_type = NULL
     WHERE body IS NOT NULL AND kept_at < ?1";

impl Sqlite {
    /// Records the downloaded page (if any) and the thumbnail written of a stored article,
    /// kept at `at` (Unix seconds): [`Sqlite::expire_pages`] counts its age from then.
    pub fn save_page(
        &self,
        article_id: i64,
        page: Option<&KeptPage>,
        thumbnail: &str,
        at: i64,
    ) -> Result<()> {
        let body = page.and_then(|p| p.body.as_ref());
        self.conn
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
                at,
            ])?;
        Ok(())
    }

    /// Drops the bodies of pages kept more than `days` days before `now` (Unix seconds); the
    /// rows stay, with their URL and thumbnail. Returns how many. Runs after every poll, so it
    /// reads only the index of rows still holding a body (migration 6), never the table.
    pub fn expire_pages(&self, days: u32, now: i64) -> Result<usize> {
        let cutoff = now - i64::from(days) * 86_400;
        Ok(self.conn.execute(EXPIRE, [cutoff])?)
    }

    /// Every stored article's id (of `feed`, published at or after `since`, when given),
    /// oldest first; caught-up articles included.
    pub fn article_ids(&self, feed: Option<&str>, since: Option<i64>) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id FROM articles a
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM feed_articles fa JOIN feeds g ON g.id = fa.feed_id
                                          WHERE fa.article_id = a.id AND g.name = ?1))
               AND (?2 IS NULL OR a.published_at >= ?2)
             ORDER BY a.published_at, a.id",
        )?;
        let ids = stmt.query_map(params![feed, since], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<Vec<i64>>>()?)
    }

    /// Article `id` with its kept page read back, if the article is stored.
    pub fn article_source(&self, id: i64) -> Result<Option<ArticleSource>> {
        let row = self
            .conn
            .query_row(
                "SELECT a.id, f.name, a.url, a.feed_content,
                        a.content_hash, a.file_name, p.url, p.body, COALESCE(p.thumbnail, ''),
                        p.coding, p.content_type
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 LEFT JOIN article_pages p ON p.article_id = a.id
                 WHERE a.id = ?1",
                [id],
                |r| {
                    Ok(ArticleSource {
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

    /// Replaces an article's extraction (text, Markdown, method, content hash) and its
    /// page's thumbnail with those of `a`, after `reextract`.
    pub fn set_extraction(&self, id: i64, a: &Article) -> Result<()> {
        self.conn.execute(
            "UPDATE articles SET text = ?1, markdown = ?2, extraction_method = ?3, content_hash = ?4
             WHERE id = ?5",
            params![a.text, a.markdown, a.extraction_method, a.content_hash, id],
        )?;
        self.conn.execute(
            "UPDATE article_pages SET thumbnail = ?1 WHERE article_id = ?2",
            params![a.thumbnail, id],
        )?;
        Ok(())
    }
}

/// A kept page's HTML, or `None` (with a warning) when it cannot be read back. `coding` is
/// NULL for pages kept by schema version 4: UTF-8 HTML, gzipped.
pub(in crate::store) fn read_page(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Method;
    use crate::store::sqlite::tests::NOW;

    /// A store in a fresh file with feeds `f` and `g` and article 1 (`f`, published at 100).
    fn store_with_article() -> (tempfile::TempDir, Sqlite, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sqlite::open(&dir.path().join("p.db")).unwrap();
        let feed = s.upsert_feed("f", "https://f/feed", NOW).unwrap().id;
        s.upsert_feed("g", "https://g/feed", NOW).unwrap();
        let a = Article {
            url: "https://f/a".into(),
            title: "A".into(),
            published_at: 100,
            lang: "en".into(),
            extraction_method: Method::Feed,
            content_hash: "h".into(),
            file_name: "a.md".into(),
            feed_id: feed,
            ..Article::default()
        };
        let id = s.insert_article(&a, &["k"], &[], NOW).unwrap();
        (dir, s, id)
    }

    fn kept(html: &str) -> KeptPage {
        KeptPage {
            url: "https://f/a?final".into(),
            body: Some(PageBody {
                coding: Coding::Gzip,
                bytes: coding::gzip(html.as_bytes()).unwrap(),
                content_type: Some("text/html; charset=utf-8".into()),
            }),
        }
    }

    #[test]
    fn a_saved_page_reads_back_until_it_expires_and_then_is_gone() {
        let (_dir, s, id) = store_with_article();
        s.save_page(id, Some(&kept("<p>héllo</p>")), "https://f/t.png", NOW)
            .unwrap();
        let src = s.article_source(id).unwrap().unwrap();
        assert_eq!(src.page_html.as_deref(), Some("<p>héllo</p>"));
        assert_eq!(src.page_url.as_deref(), Some("https://f/a?final"));
        assert_eq!(
            (src.thumbnail.as_str(), src.page_gone),
            ("https://f/t.png", false)
        );
        assert_eq!(
            (src.feed_name.as_str(), src.file_name.as_str()),
            ("f", "a.md")
        );

        assert_eq!(s.expire_pages(30, NOW).unwrap(), 0, "kept just now");
        s.conn
            .execute(
                "UPDATE article_pages SET kept_at = kept_at - 40 * 86400",
                [],
            )
            .unwrap();
        assert_eq!(s.expire_pages(30, NOW).unwrap(), 1);
        let src = s.article_source(id).unwrap().unwrap();
        assert_eq!((src.page_html, src.page_gone), (None, true));
        assert_eq!(src.page_url.as_deref(), Some("https://f/a?final"));
        assert_eq!(src.thumbnail, "https://f/t.png", "the row stays");
        assert_eq!(s.article_source(id + 1).unwrap(), None);
    }

    #[test]
    fn no_page_or_an_unreadable_one() {
        let (_dir, s, id) = store_with_article();
        s.save_page(id, None, "", NOW).unwrap();
        let src = s.article_source(id).unwrap().unwrap();
        assert_eq!(
            (src.page_url, src.page_html, src.page_gone),
            (None, None, false)
        );
        let mut damaged = kept("<p>x</p>");
        damaged.body.as_mut().unwrap().bytes = b"not gzip".to_vec();
        s.save_page(id, Some(&damaged), "", NOW).unwrap();
        let src = s.article_source(id).unwrap().unwrap();
        assert_eq!((src.page_html, src.page_gone), (None, true));
    }

    #[test]
    fn ids_filter_by_feed_and_date_and_extraction_is_replaced() {
        let (_dir, s, id) = store_with_article();
        assert_eq!(s.article_ids(None, None).unwrap(), [id]);
        assert_eq!(s.article_ids(Some("f"), Some(100)).unwrap(), [id]);
        assert!(s.article_ids(Some("g"), None).unwrap().is_empty());
        assert!(s.article_ids(None, Some(101)).unwrap().is_empty());

        s.save_page(id, None, "old.png", NOW).unwrap();
        let mut a = s.article(id).unwrap().unwrap().article;
        a.text = "t2".into();
        a.markdown = "m2".into();
        a.extraction_method = Method::Generic;
        a.content_hash = "h2".into();
        a.thumbnail = "new.png".into();
        a.title = "not written".into();
        s.set_extraction(id, &a).unwrap();
        let after = s.article(id).unwrap().unwrap().article;
        assert_eq!(
            (after.text, after.markdown, after.extraction_method),
            ("t2".into(), "m2".into(), Method::Generic)
        );
        assert_eq!(
            (after.content_hash, after.thumbnail),
            ("h2".into(), "new.png".into())
        );
        assert_eq!(after.title, "A");
    }

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
        let forty_days_ago = NOW - 40 * 86_400;
        version_5_database(&path, forty_days_ago);
        let store = Sqlite::open(&path).unwrap();
        let kept_at: i64 = store
            .conn
            .query_row("SELECT kept_at FROM article_pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept_at, forty_days_ago, "migration 6 dates the old row");
        assert_eq!(store.expire_pages(50, NOW).unwrap(), 0);
        assert_eq!(store.expire_pages(30, NOW).unwrap(), 1);
        assert_eq!(
            store.expire_pages(30, NOW).unwrap(),
            0,
            "a dropped body counts once"
        );

        let plan: Vec<String> = store
            .conn
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
