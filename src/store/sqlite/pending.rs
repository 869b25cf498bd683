//! Article pages waiting for another try: marking, finding the due ones, clearing.

use rusqlite::params;

use super::Sqlite;
use crate::error::Result;

/// An article whose page is to be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPage {
    pub article_id: i64,
    /// The page's URL (the item's link).
    pub url: String,
    /// The feed the article was first stored for.
    pub feed: String,
    /// Failed tries so far, the first download included.
    pub attempts: u32,
    /// When the page first failed (Unix seconds).
    pub first_failed_at: i64,
}

/// One failed try of a page, as [`crate::store::Store::mark_pending`] records it (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Failed tries so far, this one included.
    pub attempts: u32,
    pub first_failed_at: i64,
    pub tried_at: i64,
    pub next_try_at: i64,
}

impl Sqlite {
    /// Marks article `id`'s page pending after a failed try (replacing what was recorded).
    pub fn mark_pending(&self, id: i64, at: &Attempt, error: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO pending_pages (article_id, attempts, first_failed_at, last_tried_at,
                     next_try_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(article_id) DO UPDATE SET attempts = excluded.attempts,
                     first_failed_at = excluded.first_failed_at,
                     last_tried_at = excluded.last_tried_at, next_try_at = excluded.next_try_at,
                     last_error = excluded.last_error",
            )?
            .execute(params![
                id,
                at.attempts,
                at.first_failed_at,
                at.tried_at,
                at.next_try_at,
                error
            ])?;
        Ok(())
    }

    /// Article `id`'s page is no longer pending (it loaded, or was given up); true when it was.
    pub fn clear_pending(&self, id: i64) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM pending_pages WHERE article_id = ?1")?
            .execute([id])?;
        Ok(n > 0)
    }

    /// The pending pages of articles first stored for one of `feeds` that are due at `now`,
    /// the longest waiting first.
    pub fn due_pages(&self, feeds: &[&str], now: i64) -> Result<Vec<PendingPage>> {
        let names = serde_json::to_string(feeds).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare(
            "SELECT p.article_id, a.url, f.name, p.attempts, p.first_failed_at
             FROM pending_pages p JOIN articles a ON a.id = p.article_id
                 JOIN feeds f ON f.id = a.feed_id
             WHERE p.next_try_at <= ?2 AND f.name IN (SELECT value FROM json_each(?1))
             ORDER BY p.next_try_at, p.article_id",
        )?;
        let rows = stmt.query_map(params![names, now], |r| {
            Ok(PendingPage {
                article_id: r.get(0)?,
                url: r.get(1)?,
                feed: r.get(2)?,
                attempts: r.get(3)?,
                first_failed_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The earliest time a page of `feeds` waits for, among pages given a wait: those due "at
    /// the next poll" (`page_retry_secs = 0`) go with their feed's next poll, and must not
    /// wake the daemon on their own.
    pub fn next_page_retry(&self, feeds: &[&str]) -> Result<Option<i64>> {
        let names = serde_json::to_string(feeds).unwrap_or_else(|_| "[]".into());
        Ok(self.conn.query_row(
            "SELECT MIN(p.next_try_at)
             FROM pending_pages p JOIN articles a ON a.id = p.article_id
                 JOIN feeds f ON f.id = a.feed_id
             WHERE p.next_try_at > p.last_tried_at
                 AND f.name IN (SELECT value FROM json_each(?1))",
            [names],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Method;
    use crate::store::Article;
    use crate::store::Store;
    use crate::store::sqlite::tests::NOW;

    fn article(s: &mut Store, feed: &str, n: u32) -> i64 {
        let f = s
            .upsert_feed(feed, &format!("https://{feed}/"), NOW)
            .unwrap();
        let a = Article {
            url: format!("https://{feed}/{n}"),
            title: "t".into(),
            lang: "en".into(),
            extraction_method: Method::Feed,
            file_name: format!("{feed}-{n}.md"),
            feed_id: f.id,
            ..Article::default()
        };
        s.insert_article(&a, &[&a.url], &[], NOW).unwrap()
    }

    fn attempt(attempts: u32, next: i64) -> Attempt {
        Attempt {
            attempts,
            first_failed_at: NOW,
            tried_at: NOW,
            next_try_at: next,
        }
    }

    #[test]
    fn due_pages_of_the_named_feeds_only_and_cleared_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        let (a1, a2, b1) = (
            article(&mut s, "a", 1),
            article(&mut s, "a", 2),
            article(&mut s, "b", 1),
        );
        s.mark_pending(a1, &attempt(1, NOW + 600), "HTTP 503")
            .unwrap();
        s.mark_pending(a2, &attempt(1, NOW), "timed out").unwrap();
        s.mark_pending(b1, &attempt(1, NOW + 60), "HTTP 503")
            .unwrap();
        let due = |feeds: &[&str], at| -> Vec<i64> {
            s.due_pages(feeds, at)
                .unwrap()
                .iter()
                .map(|p| p.article_id)
                .collect()
        };
        assert_eq!(due(&["a"], NOW), [a2]);
        assert_eq!(due(&["a", "b"], NOW + 600), [a2, b1, a1]);
        assert!(due(&[], NOW + 600).is_empty());
        // A page due "at the next poll" does not set the daemon's wake.
        assert_eq!(s.next_page_retry(&["a"]).unwrap(), Some(NOW + 600));
        assert_eq!(s.next_page_retry(&["a", "b"]).unwrap(), Some(NOW + 60));
        s.mark_pending(a1, &attempt(2, NOW + 1200), "HTTP 503")
            .unwrap();
        let page = &s.due_pages(&["a"], NOW + 1200).unwrap()[1];
        assert_eq!((page.attempts, page.url.as_str()), (2, "https://a/1"));
        assert!(s.clear_pending(a1).unwrap());
        assert!(!s.clear_pending(a1).unwrap());
        assert_eq!(s.next_page_retry(&["a"]).unwrap(), None);
    }
}
