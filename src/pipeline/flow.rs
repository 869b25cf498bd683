//! Runs one poll as a flow: each feed is deduplicated as it arrives and its new pages are read
//! while later feeds download, so memory holds the work in flight, not every feed's items.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use tokio::time::Instant;

use super::outcome::Tally;
use super::update::Changed;
use super::{Candidate, KeptPage, Mode, Pipeline, Polled, Summary, item_failed};
use crate::config::FeedConfig;
use crate::error::{Error, Result};
use crate::extract::Extracted;
use crate::filter::Filter;
use crate::identity::{canonical_url, item_key};
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

/// Page jobs per request slot (`[http] concurrency`). Jobs past the slots hold pages already
/// downloaded (compressed, ~15 KB on the bench's farm) that wait for a core or for the loop
/// to store them; with twice the slots, a moment of extraction backlog or a commit's flush
/// left request slots idle (as few as 29.4 of 32 in hand on average, up to +9.8% over the
/// latency floor); with four the farm stays at 31.1-31.3 of 32 (docs/benchmarks.md, change
/// 17). Worst case, every waiting page is as big as `max_body_bytes` allows
/// (config/example.toml).
const JOBS_PER_SLOT: usize = 4;

/// A page to read: a new item's, or a changed item's.
pub(super) enum Job {
    New(Candidate),
    Update(Changed),
}

/// A new item back from its job: the text found, the final page URL, the page kept.
pub(super) type NewDone = (Candidate, Extracted, Option<String>, Option<KeptPage>);

/// A job done.
pub(super) enum Done {
    New(NewDone),
    Update((Changed, Extracted, Option<KeptPage>)),
}

/// Feeds and keys that joined a candidate while its page was being read.
#[derive(Default)]
struct Joined {
    feeds: Vec<usize>,
    keys: Vec<String>,
}

/// What a poll in progress keeps between events.
#[derive(Default)]
struct Flow {
    /// Feeds that answered, in config order; jobs refer to them by position. Their items are
    /// moved out into jobs when they are deduplicated.
    polled: Vec<Polled>,
    /// Unfinished jobs each polled feed takes part in; at zero its poll is recorded.
    pending: Vec<usize>,
    /// Keys and URLs of candidates in flight: the candidate's number and its feed.
    claimed: HashMap<String, (u64, usize)>,
    joined: HashMap<u64, Joined>,
    /// Articles queued for an update in this poll.
    updating: HashSet<i64>,
    queue: VecDeque<Job>,
    next_id: u64,
    /// When the open batch of writes began, and how many events it holds.
    batch: Option<(Instant, usize)>,
    /// Files were written (not yet flushed) since the batch began.
    unsynced: bool,
    /// New articles' files written since the batch began (relative to the output folder):
    /// removed if the batch is lost, since their rows go with it.
    new_files: Vec<PathBuf>,
}

impl Flow {
    /// Opens a batch of writes unless one is open; counts the event about to write.
    fn write(&mut self, store: &mut Store) -> Result<()> {
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
    fn lost(&self, store: &Store) -> bool {
        self.batch.is_some() && !store.in_batch()
    }

    /// Ends a lost batch: the files of the articles it held are removed (their rows are
    /// gone), and the error that ends the poll says so. Nothing written after this point
    /// could be trusted (the rows it would refer to may be gone), so the poll stops.
    fn give_up(&mut self, store: &mut Store, output_dir: &Path, cause: String) -> Error {
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
    fn deadline(&self) -> Option<Instant> {
        self.batch.map(|(opened, _)| opened + batch_age())
    }

    /// Whether the open batch is big or old enough to commit.
    fn due(&self) -> bool {
        self.batch
            .is_some_and(|(opened, n)| n >= BATCH_WRITES || opened.elapsed() >= batch_age())
    }

    /// Commits the open batch, after flushing the files it wrote to disk: a stored row
    /// always has its file. When the flush or the commit fails, the batch is lost whole
    /// (the next poll downloads those articles again and writes their files).
    fn commit(&mut self, store: &mut Store, output_dir: &Path) -> Result<()> {
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

impl Pipeline {
    /// Polls `feeds`: at most `[http] concurrency` feed downloads and [`JOBS_PER_SLOT`] times
    /// as many page jobs in flight (the client still lets only `concurrency` requests out at
    /// once: the extra jobs are pages downloaded and waiting for an extraction slot or to be
    /// stored, so that downloads go on while both cores extract); a new feed starts only while
    /// few pages wait, since waiting pages are what holds memory. Feeds are taken in and
    /// deduplicated in config order (the first feed carrying a story owns it, whatever the
    /// network's timing).
    pub(super) async fn run_flow(
        &self,
        store: &mut Store,
        feeds: &[FeedConfig],
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<()> {
        // A batch left open by a poll abandoned half-way: its files may not be on disk.
        store.rollback_batch();
        let mut flow = Flow::default();
        let ran = self.flow(store, &mut flow, feeds, summary, tally).await;
        let output_dir = &self.config.output_dir;
        if flow.lost(store) {
            // A statement's failure (one feed's, say) rolled back the whole batch.
            let cause = match &ran {
                Err(e) => e.to_string(),
                Ok(()) => last_failure(summary),
            };
            return Err(flow.give_up(store, output_dir, cause));
        }
        // Whatever stopped the poll, what was stored before is sound and its files exist.
        let kept = flow.commit(store, output_dir);
        ran.and(kept)
    }

    async fn flow(
        &self,
        store: &mut Store,
        flow: &mut Flow,
        feeds: &[FeedConfig],
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<()> {
        self.write(store, flow, summary)?;
        let rows = self.feed_rows(store, feeds, tally)?;
        let limit = self.config.http.concurrency.max(1);
        // Page jobs at once, and queued jobs above which no new feed starts.
        let job_limit = JOBS_PER_SLOT * limit;
        let mut next = 0;
        let mut polls = FuturesOrdered::new();
        let mut jobs = FuturesUnordered::new();
        loop {
            while next < feeds.len() && polls.len() < limit && flow.queue.len() < job_limit {
                polls.push_back(self.poll_feed(next, &rows[next]));
                next += 1;
            }
            while jobs.len() < job_limit
                && let Some(job) = flow.queue.pop_front()
            {
                let fi = match &job {
                    Job::New(c) => c.feed,
                    Job::Update(c) => c.feed,
                };
                let name = feeds[flow.polled[fi].index].name.as_str();
                jobs.push(self.run_job(job, name));
            }
            if polls.is_empty() && jobs.is_empty() {
                return Ok(());
            }
            let deadline = flow.deadline();
            let written = summary.files_written;
            tokio::select! {
                Some(answer) = polls.next(), if !polls.is_empty() => {
                    self.write(store, flow, summary)?;
                    let i = answer.0;
                    if let Some(p) = self.accept(store, (&feeds[i], &rows[i]), answer, summary, tally)? {
                        self.take_in(store, flow, p, summary, tally)?;
                    }
                }
                Some(done) = jobs.next(), if !jobs.is_empty() => {
                    self.write(store, flow, summary)?;
                    self.on_done(store, flow, done, summary, tally)?;
                }
                () = sleep_until(deadline), if deadline.is_some() => {}
            }
            flow.unsynced |= summary.files_written > written && self.mode != Mode::DryRun;
            if flow.due() {
                flow.commit(store, &self.config.output_dir)?;
            }
        }
    }

    /// Opens (or goes on with) the batch for the event about to write; ends the poll if
    /// SQLite rolled the batch back since (a failure that was only logged, say).
    fn write(&self, store: &mut Store, flow: &mut Flow, summary: &Summary) -> Result<()> {
        if flow.lost(store) {
            let cause = last_failure(summary);
            return Err(flow.give_up(store, &self.config.output_dir, cause));
        }
        flow.write(store)
    }

    /// Deduplicates a feed that answered and queues its jobs; records it when it has none.
    fn take_in(
        &self,
        store: &mut Store,
        flow: &mut Flow,
        p: Polled,
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<()> {
        let fi = flow.polled.len();
        flow.polled.push(p);
        flow.pending.push(0);
        self.dedup(store, flow, fi, summary, tally)?;
        self.progress.inc_length(flow.pending[fi] as u64);
        if flow.pending[fi] == 0 {
            self.finish_feed(store, &flow.polled[fi], summary, tally)?;
        }
        Ok(())
    }

    /// Splits a feed's items into known ones (linked now, queued for an update when they
    /// changed) and new ones, queued for download unless a candidate in flight is the same
    /// item, which they join.
    fn dedup(
        &self,
        store: &mut Store,
        flow: &mut Flow,
        fi: usize,
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<()> {
        let items = std::mem::take(&mut flow.polled[fi].parsed.items);
        let Flow {
            polled,
            pending,
            claimed,
            joined,
            updating,
            queue,
            next_id,
            ..
        } = flow;
        let p = &polled[fi];
        let no_filter = Filter::default();
        let filter = self.filters.get(&p.feed.name).unwrap_or(&no_filter);
        let now = self.clock.now();
        for item in items {
            // A filtered item is not remembered: a changed rule applies to it next time.
            if !filter.accepts(&item) {
                tracing::debug!(feed = %p.feed.name, "filtered out: {}", item.title);
                summary.filtered += 1;
                continue;
            }
            let key = item_key(&item, p.fetched.url.as_str());
            let urls: Vec<String> = item
                .link
                .as_deref()
                .and_then(canonical_url)
                .into_iter()
                .collect();
            let key_refs = [key.as_str()];
            let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
            if let Some(id) = store.find_article(&key_refs, &url_refs)? {
                store.link(p.feed_id, id, &key_refs, &url_refs)?;
                let Some(change) = self.note_change(store, (p, fi), id, &item, updating)? else {
                    continue;
                };
                if self.mode == Mode::CatchUp {
                    // Catching up accepts every item as it stands now, changed ones included.
                    if let Err(e) = store.set_item_hash(change.id, &change.hash) {
                        item_failed(p, "update", &item, &e, summary, tally);
                    }
                } else {
                    pending[fi] += 1;
                    queue.push_back(Job::Update(change));
                }
                continue;
            }
            let seen = std::iter::once(&key)
                .chain(&urls)
                .find_map(|k| claimed.get(k).copied());
            if let Some((id, owner)) = seen {
                let j = joined.entry(id).or_default();
                if owner != fi && !j.feeds.contains(&fi) {
                    j.feeds.push(fi);
                    pending[fi] += 1;
                }
                j.keys.push(key);
                continue;
            }
            *next_id += 1;
            for k in std::iter::once(&key).chain(&urls) {
                claimed.insert(k.clone(), (*next_id, fi));
            }
            pending[fi] += 1;
            let catch_up = p.first_poll && filter.too_old(&item, now);
            queue.push_back(Job::New(Candidate {
                id: *next_id,
                feed: fi,
                item,
                keys: vec![key],
                urls,
                also_in: vec![],
                catch_up,
            }));
        }
        Ok(())
    }

    /// Stores what a job found, then records every feed that was waiting only for it.
    fn on_done(
        &self,
        store: &mut Store,
        flow: &mut Flow,
        done: Done,
        summary: &mut Summary,
        tally: &mut Tally,
    ) -> Result<()> {
        self.progress.inc(1);
        let feeds = match done {
            Done::New((mut c, body, final_url, page)) => {
                for k in c.keys.iter().chain(&c.urls) {
                    if flow.claimed.get(k).is_some_and(|(id, _)| *id == c.id) {
                        flow.claimed.remove(k);
                    }
                }
                if let Some(j) = flow.joined.remove(&c.id) {
                    c.also_in = j.feeds;
                    for k in j.keys {
                        if !c.keys.contains(&k) {
                            c.keys.push(k);
                        }
                    }
                }
                let feeds: Vec<usize> = std::iter::once(c.feed).chain(c.also_in.clone()).collect();
                let done = (c, body, final_url, page);
                let written = self.finish_new(store, &flow.polled, done, summary, tally);
                flow.new_files.extend(written);
                feeds
            }
            Done::Update(done) => {
                let feeds = vec![done.0.feed];
                self.finish_update(store, &flow.polled, done, summary, tally);
                feeds
            }
        };
        if flow.lost(store) {
            // Recording the feeds now would commit their state without the articles.
            let cause = last_failure(summary);
            return Err(flow.give_up(store, &self.config.output_dir, cause));
        }
        for fi in feeds {
            flow.pending[fi] = flow.pending[fi].saturating_sub(1);
            if flow.pending[fi] == 0 {
                self.finish_feed(store, &flow.polled[fi], summary, tally)?;
            }
        }
        Ok(())
    }
}

/// The message of the poll's last failure: what SQLite said when it rolled a batch back.
fn last_failure(summary: &Summary) -> String {
    summary.failures.last().map_or_else(
        || "the open transaction was rolled back".into(),
        |(_, m)| m.clone(),
    )
}

/// Sleeps until `deadline`; forever without one (the caller then disables the branch).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
