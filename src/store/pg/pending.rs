//! Article pages waiting for another try, on PostgreSQL: marking, claiming the due ones, clearing.

use super::Pg;
use super::coord::alive;
use crate::error::Result;
use crate::store::{Attempt, PendingPage};

impl Pg {
    /// See [`crate::store::Store::mark_pending`]. A new try is recorded, so any claim on the
    /// page ends: whoever finds it due next may take it.
    pub fn mark_pending(&self, id: i64, at: &Attempt, error: &str) -> Result<()> {
        let (attempts, error) = (i64::from(at.attempts), error.to_string());
        let (first, tried, next) = (at.first_failed_at, at.tried_at, at.next_try_at);
        self.write(move |c| {
            c.execute(
                "INSERT INTO pending_pages (article_id, attempts, first_failed_at, last_tried_at,
                     next_try_at, last_error) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (article_id) DO UPDATE SET attempts = excluded.attempts,
                     first_failed_at = excluded.first_failed_at,
                     last_tried_at = excluded.last_tried_at, next_try_at = excluded.next_try_at,
                     last_error = excluded.last_error, claim_worker = NULL",
                &[&id, &attempts, &first, &tried, &next, &error],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::clear_pending`].
    pub fn clear_pending(&self, id: i64) -> Result<bool> {
        self.write(move |c| {
            let n = c.execute("DELETE FROM pending_pages WHERE article_id = $1", &[&id])?;
            Ok(n > 0)
        })
    }

    /// See [`crate::store::Store::due_pages`]: the due pages nobody alive has claimed (or
    /// this worker has), claimed for this worker in the same statement. `SKIP LOCKED` lets two
    /// workers asking at the same moment split the pages instead of waiting for each other.
    pub fn due_pages(&self, feeds: &[&str], now: i64) -> Result<Vec<PendingPage>> {
        let feeds: Vec<String> = feeds.iter().map(|f| (*f).to_string()).collect();
        let worker = self.worker.id();
        if worker.is_none() {
            // Only a process that never leased a feed gets here (tests, one-off tools):
            // nobody to claim for, so the pages are read unclaimed.
            tracing::debug!("not registered as a worker: pending pages read without a claim");
        }
        let mut pages = self.write(move |c| {
            let rows = c.query(
                &format!(
                    "WITH due AS (
                         SELECT p.article_id FROM pending_pages p
                             JOIN articles a ON a.id = p.article_id
                             JOIN feeds f ON f.id = a.feed_id
                         WHERE p.next_try_at <= $2 AND f.name = ANY($1::text[])
                             AND (p.claim_worker IS NULL OR p.claim_worker = $3
                                  OR NOT {})
                         FOR UPDATE OF p SKIP LOCKED)
                     UPDATE pending_pages p SET claim_worker = $3
                     FROM due, articles a, feeds f
                     WHERE p.article_id = due.article_id AND a.id = p.article_id
                         AND f.id = a.feed_id
                     RETURNING p.article_id, a.url, f.name, p.attempts, p.first_failed_at,
                         p.next_try_at",
                    alive("p.claim_worker")
                ),
                &[&feeds, &now, &worker],
            )?;
            rows.iter()
                .map(|r| {
                    let attempts: i64 = r.get(3);
                    let page = PendingPage {
                        article_id: r.get(0),
                        url: r.get(1),
                        feed: r.get(2),
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        first_failed_at: r.get(4),
                    };
                    Ok((r.get::<_, i64>(5), page))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        // RETURNING has no order: the longest waiting first, as on SQLite.
        pages.sort_by_key(|(next, p)| (*next, p.article_id));
        Ok(pages.into_iter().map(|(_, p)| p).collect())
    }

    /// See [`crate::store::Store::next_page_retry`].
    pub fn next_page_retry(&self, feeds: &[&str]) -> Result<Option<i64>> {
        let feeds: Vec<String> = feeds.iter().map(|f| (*f).to_string()).collect();
        self.run(move |s| {
            let row = s.main.query_one(
                "SELECT MIN(p.next_try_at)
                 FROM pending_pages p JOIN articles a ON a.id = p.article_id
                     JOIN feeds f ON f.id = a.feed_id
                 WHERE p.next_try_at > p.last_tried_at AND f.name = ANY($1::text[])",
                &[&feeds],
            )?;
            Ok(row.get(0))
        })
    }
}
