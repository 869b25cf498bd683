//! The daemon's per-feed state in PostgreSQL: next poll, dead feeds, moved feeds, status rows.

use super::Pg;
use crate::error::Result;
use crate::store::FeedState;

impl Pg {
    /// See [`crate::store::Store::set_next_poll`].
    pub fn set_next_poll(&self, feed_id: i64, at: i64, schedule: &str) -> Result<()> {
        let schedule = schedule.to_string();
        self.write(move |c| {
            c.execute(
                "UPDATE feeds SET next_poll_at = $2, next_poll_schedule = $3 WHERE id = $1",
                &[&feed_id, &at, &schedule],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::mark_dead`].
    pub fn mark_dead(&self, feed_id: i64, at: i64) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE feeds SET dead_at = $2, next_poll_at = NULL WHERE id = $1",
                &[&feed_id, &at],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::note_redirect`].
    pub fn note_redirect(
        &self,
        feed_id: i64,
        target: Option<&str>,
        threshold: u32,
    ) -> Result<Option<String>> {
        let target = target.map(str::to_string);
        let threshold = i64::from(threshold.max(1));
        self.write(move |c| {
            let Some(target) = target else {
                c.execute(
                    "UPDATE feeds SET moved_to = NULL, moved_count = 0 WHERE id = $1",
                    &[&feed_id],
                )?;
                return Ok(None);
            };
            let count: i64 = c
                .query_one(
                    "UPDATE feeds SET moved_count = CASE WHEN moved_to IS NOT DISTINCT FROM $2
                         THEN moved_count + 1 ELSE 1 END, moved_to = $2
                     WHERE id = $1 RETURNING moved_count",
                    &[&feed_id, &target],
                )?
                .get(0);
            if count < threshold {
                return Ok(None);
            }
            c.execute(
                "UPDATE feeds SET url = $2, moved_to = NULL, moved_count = 0 WHERE id = $1",
                &[&feed_id, &target],
            )?;
            Ok(Some(target))
        })
    }

    /// See [`crate::store::Store::feed_states`].
    pub fn feed_states(&self) -> Result<Vec<FeedState>> {
        self.run(|s| {
            let rows = s.main.query(
                "SELECT f.name, f.url, f.last_checked_at, f.last_success_at, f.last_error,
                        f.last_error_at, f.error_count, f.next_poll_at, f.dead_at, f.config_url,
                        f.next_poll_schedule,
                        (SELECT COUNT(*) FROM feed_articles fa WHERE fa.feed_id = f.id),
                        -- Read from the partial index articles_first_seen, as on SQLite.
                        (SELECT COUNT(*) FROM articles a
                         WHERE a.feed_id = f.id AND a.date_source = 'first-seen'),
                        (SELECT COUNT(*) FROM pending_pages p JOIN articles a ON a.id = p.article_id
                         WHERE a.feed_id = f.id)
                 FROM feeds f ORDER BY f.name COLLATE \"C\"",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| FeedState {
                    name: r.get(0),
                    url: r.get(1),
                    last_checked_at: r.get(2),
                    last_success_at: r.get(3),
                    last_error: r.get(4),
                    last_error_at: r.get(5),
                    error_count: r.get(6),
                    next_poll_at: r.get(7),
                    dead_at: r.get(8),
                    config_url: r.get(9),
                    next_poll_schedule: r.get(10),
                    articles: r.get(11),
                    undated_items: r.get(12),
                    pending_pages: r.get(13),
                })
                .collect())
        })
    }

    /// See [`crate::store::Store::feed_state`].
    pub fn feed_state(&self, name: &str) -> Result<Option<FeedState>> {
        Ok(self.feed_states()?.into_iter().find(|s| s.name == name))
    }

    /// See [`crate::store::Store::feed_url`].
    pub fn feed_url(&self, name: &str) -> Result<Option<String>> {
        let name = name.to_string();
        self.run(move |s| {
            let row = s
                .main
                .query_opt("SELECT url FROM feeds WHERE name = $1", &[&name])?;
            Ok(row.map(|r| r.get(0)))
        })
    }
}
