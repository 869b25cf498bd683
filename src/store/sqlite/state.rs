//! The daemon's per-feed state in the store: next poll, dead feeds, moved feeds, status rows.

use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use crate::error::Result;

/// One feed's state as `feedmark status` shows it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FeedState {
    pub name: String,
    /// The URL polled now (after a permanent redirect, the new one).
    pub url: String,
    /// The URL as last configured.
    #[serde(skip)]
    pub config_url: Option<String>,
    pub last_checked_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
    pub error_count: i64,
    pub next_poll_at: Option<i64>,
    /// The schedule (and zone) `next_poll_at` was computed under.
    #[serde(skip)]
    pub next_poll_schedule: Option<String>,
    /// When the feed answered 410 Gone.
    pub dead_at: Option<i64>,
    /// Articles this feed has carried.
    pub articles: i64,
    /// Articles first stored from this feed whose item had no date feedmark could read:
    /// dated by when feedmark first saw them.
    pub undated_items: i64,
    /// Articles first stored for this feed whose page is to be tried again (stored with
    /// the feed's text meanwhile).
    pub pending_pages: i64,
}

impl Sqlite {
    /// Stores when the feed is polled next, computed under `schedule` (schedule and zone).
    pub fn set_next_poll(&self, feed_id: i64, at: i64, schedule: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE feeds SET next_poll_at = ?2, next_poll_schedule = ?3 WHERE id = ?1",
            params![feed_id, at, schedule],
        )?;
        Ok(())
    }

    /// Marks the feed dead (410 Gone) at `at`.
    pub fn mark_dead(&self, feed_id: i64, at: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE feeds SET dead_at = ?2, next_poll_at = NULL WHERE id = ?1",
            params![feed_id, at],
        )?;
        Ok(())
    }

    /// Notes the permanent redirect target seen on this successful poll (`None`: none). When
    /// the same target has been seen on `threshold` polls in a row, the stored URL becomes it
    /// and it is returned.
    pub fn note_redirect(
        &self,
        feed_id: i64,
        target: Option<&str>,
        threshold: u32,
    ) -> Result<Option<String>> {
        let Some(target) = target else {
            self.conn.execute(
                "UPDATE feeds SET moved_to = NULL, moved_count = 0 WHERE id = ?1",
                [feed_id],
            )?;
            return Ok(None);
        };
        self.conn.execute(
            "UPDATE feeds SET moved_count = CASE WHEN moved_to IS ?2 THEN moved_count + 1 ELSE 1 END,
                 moved_to = ?2 WHERE id = ?1",
            params![feed_id, target],
        )?;
        let count: i64 = self.conn.query_row(
            "SELECT moved_count FROM feeds WHERE id = ?1",
            [feed_id],
            |r| r.get(0),
        )?;
        if count < i64::from(threshold.max(1)) {
            return Ok(None);
        }
        self.conn.execute(
            "UPDATE feeds SET url = ?2, moved_to = NULL, moved_count = 0 WHERE id = ?1",
            params![feed_id, target],
        )?;
        Ok(Some(target.to_string()))
    }

    /// Every stored feed's state, by name.
    pub fn feed_states(&self) -> Result<Vec<FeedState>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.name, f.url, f.last_checked_at, f.last_success_at, f.last_error,
                    f.last_error_at, f.error_count, f.next_poll_at, f.dead_at, f.config_url,
                    f.next_poll_schedule, (SELECT COUNT(*) FROM feed_articles fa WHERE fa.feed_id = f.id),
                    -- Read from the partial index articles_first_seen, not the articles.
                    (SELECT COUNT(*) FROM articles a
                     WHERE a.feed_id = f.id AND a.date_source = 'first-seen'),
                    (SELECT COUNT(*) FROM pending_pages p JOIN articles a ON a.id = p.article_id
                     WHERE a.feed_id = f.id)
             FROM feeds f ORDER BY f.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(FeedState {
                name: r.get(0)?,
                url: r.get(1)?,
                last_checked_at: r.get(2)?,
                last_success_at: r.get(3)?,
                last_error: r.get(4)?,
                last_error_at: r.get(5)?,
                error_count: r.get(6)?,
                next_poll_at: r.get(7)?,
                dead_at: r.get(8)?,
                config_url: r.get(9)?,
                next_poll_schedule: r.get(10)?,
                articles: r.get(11)?,
                undated_items: r.get(12)?,
                pending_pages: r.get(13)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The state of feed `name`, if stored.
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>> {
        Ok(self.feed_states()?.into_iter().find(|s| s.name == name))
    }

    /// The stored URL of feed `name`, if stored.
    pub fn feed_url(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT url FROM feeds WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::tests::NOW;

    #[test]
    fn upgrading_a_version_1_database_keeps_feeds_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            // A database as feedmark with only migration 0001 left it.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(crate::store::MIGRATIONS[0].2).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                     applied_at INTEGER NOT NULL);
                 INSERT INTO schema_migrations VALUES (1, '0001_initial', 0);
                 PRAGMA user_version = 1;
                 INSERT INTO feeds (name, url, etag, created_at) VALUES ('a', 'https://a/', '\"e\"', 0);",
            )
            .unwrap();
        }
        let s = Sqlite::open(&path).unwrap();
        let row = s.upsert_feed("a", "https://a/", NOW).unwrap();
        assert_eq!(
            row.validators.etag.as_deref(),
            Some("\"e\""),
            "same URL: nothing reset"
        );
        let v: i64 = s
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, crate::store::MIGRATIONS.last().unwrap().0);
    }

    #[test]
    fn redirect_needs_several_polls_in_a_row_and_config_change_resets() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(&dir.path().join("f.db")).unwrap();
        let f = s.upsert_feed("a", "https://old/feed", NOW).unwrap();
        assert_eq!(
            s.note_redirect(f.id, Some("https://new/feed"), 3).unwrap(),
            None
        );
        // An interruption starts the count again.
        assert_eq!(s.note_redirect(f.id, None, 3).unwrap(), None);
        assert_eq!(
            s.note_redirect(f.id, Some("https://new/feed"), 3).unwrap(),
            None
        );
        assert_eq!(
            s.note_redirect(f.id, Some("https://new/feed"), 3).unwrap(),
            None
        );
        assert_eq!(
            s.note_redirect(f.id, Some("https://new/feed"), 3).unwrap(),
            Some("https://new/feed".into())
        );
        // The same config URL keeps the moved URL…
        assert_eq!(
            s.upsert_feed("a", "https://old/feed", NOW).unwrap().url,
            "https://new/feed"
        );
        // …a new one in the config wins and revives a dead feed.
        s.mark_dead(f.id, 5).unwrap();
        s.record_error(f.id, "HTTP 410", 5).unwrap();
        let row = s.upsert_feed("a", "https://other/feed", NOW).unwrap();
        assert_eq!(row.url, "https://other/feed");
        assert_eq!((row.dead_at, row.error_count), (None, 0));
        let state = s.feed_state("a").unwrap().unwrap();
        assert_eq!(state.articles, 0);
    }
}
