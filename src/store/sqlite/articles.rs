//! Reads and rewrites stored articles for export and updates, one row in memory at a time.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, params};

use super::item_record::{categories_from_json, categories_json};
use super::{Article, Sqlite, StoredArticle};
use crate::error::Result;
use crate::extract::Method;

/// Columns of `articles a` joined with `feeds f`, in the order [`stored_article`] reads them.
const ARTICLE_COLUMNS: &str = "a.id, f.name, a.url, a.title, a.author, a.published_at,
    a.updated_at, a.lang, a.feed_content, a.text, a.markdown, a.extraction_method,
    a.content_hash, a.file_name, a.feed_id, a.item_hash, a.modified_at, COALESCE(p.thumbnail, ''),
    a.date_source, a.date_text, a.categories";

/// The tables [`ARTICLE_COLUMNS`] reads from.
const ARTICLE_TABLES: &str = "articles a JOIN feeds f ON f.id = a.feed_id
    LEFT JOIN article_pages p ON p.article_id = a.id";

/// Which stored articles an export wants. `None` fields do not filter. Caught-up articles
/// (remembered without their page, see [`Method::CaughtUp`]) are never selected:
/// `fetch` wrote no file for them, and `export` writes the files `fetch` wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    /// Only articles this feed carried (whichever feed they were first stored for).
    pub feed: Option<String>,
    /// Published at or after this Unix time.
    pub since: Option<i64>,
    /// Published at or before this Unix time.
    pub until: Option<i64>,
}

impl ArticleFilter {
    const WHERE: &str = "WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM feed_articles fa
            JOIN feeds g ON g.id = fa.feed_id WHERE fa.article_id = a.id AND g.name = ?1))
        AND (?2 IS NULL OR a.published_at >= ?2) AND (?3 IS NULL OR a.published_at <= ?3)
        AND a.extraction_method <> ?4";
}

impl Sqlite {
    /// Every stored article, oldest first (then by id), with its feed's name.
    #[cfg(test)]
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
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_TABLES} {}
             ORDER BY a.published_at, a.id",
            ArticleFilter::WHERE
        ))?;
        let mut rows = stmt.query(params![
            filter.feed,
            filter.since,
            filter.until,
            Method::CaughtUp
        ])?;
        while let Some(row) = rows.next()? {
            f(stored_article(row)?)?;
        }
        Ok(())
    }

    /// How many articles `filter` selects.
    pub fn count_articles(&self, filter: &ArticleFilter) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM articles a {}", ArticleFilter::WHERE),
            params![filter.feed, filter.since, filter.until, Method::CaughtUp],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The stored article `id`.
    pub fn article(&self, id: i64) -> Result<Option<StoredArticle>> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_TABLES} WHERE a.id = ?1"),
                [id],
                stored_article,
            )
            .optional()?;
        Ok(row)
    }

    /// Replaces what a changed article says (title, text, dates, hashes, categories); its
    /// file name, URL, publication date and feed stay as first stored.
    pub fn update_article(&self, id: i64, a: &Article) -> Result<()> {
        self.conn.execute(
            "UPDATE articles SET title = ?2, author = ?3, updated_at = ?4, feed_content = ?5,
                 text = ?6, markdown = ?7, extraction_method = ?8, content_hash = ?9,
                 item_hash = ?10, modified_at = ?11, categories = ?12
             WHERE id = ?1",
            params![
                id,
                a.title,
                a.author,
                a.updated_at,
                a.feed_content,
                a.text,
                a.markdown,
                a.extraction_method,
                a.content_hash,
                a.item_hash,
                a.modified_at,
                categories_json(&a.categories)
            ],
        )?;
        Ok(())
    }

    /// What a later poll compares an article's item against (see [`ItemState`]).
    pub fn item_state(&self, id: i64) -> Result<Option<ItemState>> {
        let row = self
            .conn
            .query_row(
                "SELECT feed_id, item_hash, extraction_method,
                        CASE WHEN date_source IS 'first-seen' AND feed_date_later IS NULL
                             THEN published_at END
                 FROM articles WHERE id = ?1",
                [id],
                |r| {
                    Ok(ItemState {
                        feed_id: r.get(0)?,
                        item_hash: r.get(1)?,
                        method: r.get(2)?,
                        awaits_date: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Records the date the feed gave later to an article dated by when it was first seen
    /// (its own date stays, see [`DateSource::FirstSeen`]).
    pub fn set_feed_date_later(&self, id: i64, at: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE articles SET feed_date_later = ?2 WHERE id = ?1",
            params![id, at],
        )?;
        Ok(())
    }

    /// Records the item hash of an article whose item changed without changing the article
    /// (or that was stored before item hashes existed).
    pub fn set_item_hash(&self, id: i64, item_hash: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE articles SET item_hash = ?2 WHERE id = ?1",
            params![id, item_hash],
        )?;
        Ok(())
    }
}

/// What a later poll needs to know about a stored article's item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemState {
    /// The feed the article was first stored for.
    pub feed_id: i64,
    /// The item hash stored with it.
    pub item_hash: Option<String>,
    /// How its text was obtained.
    pub method: Method,
    /// Its date (Unix seconds) when that is the time it was first seen and its feed has not
    /// given it a date since; `None` otherwise.
    pub awaits_date: Option<i64>,
}

/// Binds a method as its stored name: the column keeps the names older databases hold.
impl ToSql for Method {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_string()))
    }
}

/// Reads a stored method name; one feedmark never wrote is an error naming it.
impl FromSql for Method {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Method> {
        value
            .as_str()?
            .parse()
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

fn stored_article(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredArticle> {
    Ok(StoredArticle {
        id: r.get(0)?,
        feed_name: r.get(1)?,
        article: Article {
            url: r.get(2)?,
            title: r.get(3)?,
            author: r.get(4)?,
            published_at: r.get(5)?,
            updated_at: r.get(6)?,
            lang: r.get(7)?,
            feed_content: r.get(8)?,
            text: r.get(9)?,
            markdown: r.get(10)?,
            extraction_method: r.get(11)?,
            content_hash: r.get(12)?,
            file_name: r.get(13)?,
            feed_id: r.get(14)?,
            item_hash: r.get(15)?,
            modified_at: r.get(16)?,
            thumbnail: r.get(17)?,
            date_source: r.get(18)?,
            date_text: r.get(19)?,
            categories: categories_from_json(r.get::<_, Option<String>>(20)?.as_deref()),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::tests::NOW;

    fn article(feed_id: i64, n: i64) -> Article {
        Article {
            url: format!("https://a/{n}"),
            title: format!("t{n}"),
            published_at: n * 100,
            lang: "en".into(),
            text: "x".into(),
            markdown: "x".into(),
            extraction_method: Method::Feed,
            content_hash: "h".into(),
            file_name: format!("f{n}.md"),
            feed_id,
            ..Article::default()
        }
    }

    #[test]
    fn filters_stream_in_date_order_and_updates_keep_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sqlite::open(&dir.path().join("f.db")).unwrap();
        let a = s.upsert_feed("a", "https://a/feed", NOW).unwrap().id;
        let b = s.upsert_feed("b", "https://b/feed", NOW).unwrap().id;
        for n in [3, 1, 2] {
            let art = article(a, n);
            s.insert_article(&art, &[&art.url], &[], NOW).unwrap();
        }
        let id = s.find_article(&["https://a/2"], &[]).unwrap().unwrap();
        s.link(b, id, &[], &[], NOW).unwrap();
        let titles = |f: ArticleFilter| {
            let mut got = Vec::new();
            s.each_article(&f, |x| {
                got.push(x.article.title);
                Ok(())
            })
            .unwrap();
            assert_eq!(s.count_articles(&f).unwrap(), got.len() as u64);
            got
        };
        assert_eq!(titles(ArticleFilter::default()), ["t1", "t2", "t3"]);
        let only_b = ArticleFilter {
            feed: Some("b".into()),
            ..ArticleFilter::default()
        };
        assert_eq!(titles(only_b), ["t2"]);
        let window = ArticleFilter {
            since: Some(200),
            until: Some(300),
            ..ArticleFilter::default()
        };
        assert_eq!(titles(window), ["t2", "t3"]);

        let mut changed = s.article(id).unwrap().unwrap().article;
        changed.title = "new".into();
        changed.file_name = "ignored.md".into();
        changed.modified_at = Some(999);
        s.update_article(id, &changed).unwrap();
        let after = s.article(id).unwrap().unwrap();
        assert_eq!(after.article.title, "new");
        assert_eq!(after.article.file_name, "f2.md");
        assert_eq!(after.article.modified_at, Some(999));
        assert_eq!(after.feed_name, "a");
    }

    #[test]
    fn date_sources_and_categories_read_back_and_old_rows_read_as_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sqlite::open(&dir.path().join("f.db")).unwrap();
        let feed = s.upsert_feed("a", "https://a/feed", NOW).unwrap().id;
        let art = Article {
            date_source: Some(crate::store::DateSource::FirstSeen),
            date_text: Some("soon".into()),
            categories: vec!["B".into(), "a \"q\"".into()],
            ..article(feed, 1)
        };
        let id = s.insert_article(&art, &[&art.url], &[], NOW).unwrap();
        assert_eq!(s.article(id).unwrap().unwrap().article, art);
        let state = s.item_state(id).unwrap().unwrap();
        assert_eq!(state.awaits_date, Some(100));
        s.set_feed_date_later(id, 5).unwrap();
        assert_eq!(s.item_state(id).unwrap().unwrap().awaits_date, None);
        // Rows from before schema version 8, and a hand-edited column.
        s.conn
            .execute(
                "UPDATE articles SET date_source = NULL, categories = NULL",
                [],
            )
            .unwrap();
        let old = s.article(id).unwrap().unwrap().article;
        assert_eq!((old.date_source, old.categories.len()), (None, 0));
        s.conn
            .execute("UPDATE articles SET categories = 'not json'", [])
            .unwrap();
        assert!(
            s.article(id)
                .unwrap()
                .unwrap()
                .article
                .categories
                .is_empty()
        );
        s.conn
            .execute("UPDATE articles SET date_source = 'guessed'", [])
            .unwrap();
        let err = s.article(id).unwrap_err().to_string();
        assert!(err.contains("unknown date source `guessed`"), "{err}");
    }

    #[test]
    fn methods_are_stored_under_their_names_and_caught_up_ones_are_not_exported() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sqlite::open(&dir.path().join("f.db")).unwrap();
        let feed = s.upsert_feed("a", "https://a/feed", NOW).unwrap().id;
        let methods = [Method::Rule("thehill".into()), Method::CaughtUp];
        for (n, method) in (1..).zip(&methods) {
            let art = Article {
                extraction_method: method.clone(),
                ..article(feed, n)
            };
            s.insert_article(&art, &[&art.url], &[], NOW).unwrap();
        }
        let stored: Vec<String> = s
            .conn
            .prepare("SELECT extraction_method FROM articles ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(stored, ["rule:thehill", "catch-up"]);
        let listed = s.articles().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].article.extraction_method, methods[0]);
        assert_eq!(s.count_articles(&ArticleFilter::default()).unwrap(), 1);
        assert_eq!(s.item_state(2).unwrap().unwrap().method, Method::CaughtUp);

        s.conn
            .execute("UPDATE articles SET extraction_method = 'readability'", [])
            .unwrap();
        let err = s.article(1).unwrap_err().to_string();
        assert!(
            err.contains("unknown extraction method `readability`"),
            "{err}"
        );
    }
}
