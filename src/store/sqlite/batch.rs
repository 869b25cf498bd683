//! Batches of writes: many small writes committed in one transaction.

use super::Sqlite;
use crate::error::Result;

impl Sqlite {
    /// Starts a batch: the writes that follow are committed together by
    /// [`Sqlite::commit_batch`]. One commit per few hundred writes instead of one per write
    /// spares SQLite most of its per-transaction work (locking, WAL frames, page rewrites).
    /// Multi-statement writes inside use savepoints, so each stays all-or-nothing. Holds the
    /// database's write lock until committed: callers keep batches short.
    pub fn begin_batch(&mut self) -> Result<()> {
        if self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        Ok(())
    }

    /// Commits the open batch, if any. When the commit fails, the batch is rolled back so
    /// that the connection stays usable; nothing of it is kept.
    pub fn commit_batch(&mut self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            if !self.conn.is_autocommit() {
                // Best effort: the commit's error is the one worth reporting.
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Rolls back the open batch, if any: none of its writes is kept.
    pub fn rollback_batch(&mut self) {
        if !self.conn.is_autocommit() {
            // Fails only when SQLite already rolled back on its own; either way none is kept.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Whether a batch is open (writes not yet committed).
    pub fn in_batch(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// What is free on the database's file system, in words ("12.5 MB free on its file
    /// system"), for the message of a write that failed for room.
    pub fn free_space(&self) -> String {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        match free_bytes(dir) {
            Some(bytes) => format!(
                "{:.1} MB free on its file system",
                bytes as f64 / 1_000_000.0
            ),
            None => "free space on its file system unknown".into(),
        }
    }
}

#[cfg(target_os = "linux")]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(not(target_os = "linux"))]
fn free_bytes(_dir: &std::path::Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use crate::extract::Method;
    use crate::store::Article;
    use crate::store::sqlite::Sqlite;
    use crate::store::sqlite::tests::NOW;

    fn article(feed_id: i64, file: &str) -> Article {
        Article {
            url: format!("https://a/{file}"),
            title: "t".into(),
            lang: "en".into(),
            extraction_method: Method::Feed,
            file_name: file.into(),
            feed_id,
            ..Article::default()
        }
    }

    /// A store in a fresh `b.db` with one feed.
    fn store_with_feed() -> (tempfile::TempDir, Sqlite, crate::store::FeedRow) {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(&dir.path().join("b.db")).unwrap();
        let feed = s.upsert_feed("a", "https://a/feed", NOW).unwrap();
        (dir, s, feed)
    }

    #[test]
    fn a_batch_is_invisible_to_others_until_committed() {
        let (dir, mut s, feed) = store_with_feed();
        let path = dir.path().join("b.db");
        s.begin_batch().unwrap();
        assert!(s.in_batch());
        s.begin_batch().unwrap(); // already open: no nested BEGIN error
        let id = s
            .insert_article(&article(feed.id, "1.md"), &["k1"], &[], NOW)
            .unwrap();
        s.link(feed.id, id, &["k1b"], &[], NOW).unwrap();
        // Our own connection sees its writes (dedup within a batch works) ...
        assert_eq!(s.find_article(&["k1b"], &[]).unwrap(), Some(id));
        // ... another one does not, yet.
        let other = Sqlite::open(&path).unwrap();
        assert_eq!(other.article_count().unwrap(), 0);
        s.commit_batch().unwrap();
        assert!(!s.in_batch());
        assert_eq!(other.article_count().unwrap(), 1);
        s.commit_batch().unwrap(); // nothing open: a no-op
    }

    #[test]
    fn a_failed_write_inside_a_batch_keeps_the_others() {
        let (_dir, mut s, feed) = store_with_feed();
        s.begin_batch().unwrap();
        s.insert_article(&article(feed.id, "1.md"), &["k1"], &[], NOW)
            .unwrap();
        // A feed that does not exist breaks the foreign key: this insert fails whole ...
        assert!(
            s.insert_article(&article(999, "2.md"), &["k2"], &[], NOW)
                .is_err()
        );
        s.insert_article(&article(feed.id, "3.md"), &["k3"], &[], NOW)
            .unwrap();
        s.commit_batch().unwrap();
        // ... and leaves neither its row nor its keys, while the batch around it commits.
        assert_eq!(s.article_count().unwrap(), 2);
        assert_eq!(s.find_article(&["k2"], &[]).unwrap(), None);
        assert!(s.find_article(&["k3"], &[]).unwrap().is_some());
    }

    #[test]
    fn an_uncommitted_batch_is_lost_whole_when_the_process_ends() {
        let (dir, mut s, feed) = store_with_feed();
        s.begin_batch().unwrap();
        s.insert_article(&article(feed.id, "1.md"), &["k1"], &[], NOW)
            .unwrap();
        drop(s); // closes the connection, as the end of the process would
        let s = Sqlite::open(&dir.path().join("b.db")).unwrap();
        assert_eq!(s.article_count().unwrap(), 0);
        assert_eq!(s.find_article(&["k1"], &[]).unwrap(), None);
    }
}
