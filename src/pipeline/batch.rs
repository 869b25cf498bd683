//! The poll's batches of writes: opened, committed with their files flushed, or lost whole.

use std::path::Path;
use std::time::Duration;

use tokio::time::Instant;

use super::flow::Flow;
use crate::error::{Error, Result};
use crate::output;
use crate::store::Store;

/// Writes committed together at most (see [`Store::begin_batch`]).
const BATCH_WRITES: usize = 200;
/// How long a batch may stay open: the database's write lock is never held for long, and a
/// crash loses at most this much of finished work (whose files are rewritten on the next run).
/// `FEEDMARK_BATCH_MS` overrides it: the crash test commits often, so that runs it kills
/// have stored part of their work, as a long poll killed in production would have.
fn batch_age() -> Duration {
    static AGE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *AGE.get_or_init(|| {
        let ms = std::env::var("FEEDMARK_BATCH_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(250);
        Duration::from_millis(ms)
    })
}

impl Flow {
    /// Opens a batch of writes unless one is open; counts the event about to write.
    pub(super) fn write(&mut self, store: &mut Store) -> Result<()> {
        if self.batch.is_none() {
            store.begin_batch()?;
            self.batch = Some((Instant::now(), 0));
        }
        if let Some((_, n)) = &mut self.batch {
            *n += 1;
        }
        Ok(())
    }

    /// Whether SQLite rolled back the open batch on its own: a statement failed for room
    /// (SQLITE_FULL) or with an I/O error, and every write of the batch went with it.
    pub(super) fn lost(&self, store: &Store) -> bool {
        self.batch.is_some() && !store.in_batch()
    }

    /// Ends a lost batch: the files of the articles it held are removed (their rows are
    /// gone), and the error that ends the poll says so. Nothing written after this point
    /// could be trusted (the rows it would refer to may be gone), so the poll stops.
    pub(super) fn give_up(&mut self, store: &mut Store, output_dir: &Path, cause: String) -> Error {
        store.rollback_batch();
        self.batch = None;
        self.unsynced = false;
        let mut removed = 0;
        for path in self.new_files.drain(..) {
            match std::fs::remove_file(output_dir.join(&path)) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("cannot remove {} of a lost batch: {e}", path.display()),
            }
        }
        Error::BatchLost {
            database: store.path().to_path_buf(),
            cause,
            free: store.free_space(),
            removed,
        }
    }

    /// When the open batch must be committed at the latest.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.batch.map(|(opened, _)| opened + batch_age())
    }

    /// Whether the open batch is big or old enough to commit.
    pub(super) fn due(&self) -> bool {
        self.batch
            .is_some_and(|(opened, n)| n >= BATCH_WRITES || opened.elapsed() >= batch_age())
    }

    /// Commits the open batch, after flushing the files it wrote to disk: a stored row
    /// always has its file. When the flush or the commit fails, the batch is lost whole
    /// (the next poll downloads those articles again and writes their files).
    pub(super) fn commit(&mut self, store: &mut Store, output_dir: &Path) -> Result<()> {
        if self.batch.is_none() {
            return Ok(());
        }
        let synced = if std::mem::take(&mut self.unsynced) {
            output::sync_files(output_dir)
        } else {
            Ok(())
        };
        match synced.and_then(|()| store.commit_batch()) {
            Ok(()) => {
                self.batch = None;
                self.new_files.clear();
                Ok(())
            }
            Err(e) => Err(self.give_up(store, output_dir, e.to_string())),
        }
    }
}
