//! Runs one poll as a flow: each feed is deduplicated as it arrives and its new pages are read
//! while later feeds download, so memory holds the work in flight, not every feed's items.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use tokio::time::Instant;

use super::heal::{Read, RetryDone};
use super::outcome::Tally;
use super::update::Changed;
use super::{Candidate, Mode, Pipeline, Polled, Summary, item_failed};
use crate::config::FeedConfig;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::identity::{canonical_url, item_key};
use crate::politeness::DeadHosts;
use crate::store::{PendingPage, Store};

/// Page jobs per request slot (`[http] concurrency`). Jobs past the slots hold pages already
/// downloaded (compressed, ~15 KB on the bench's farm) that wait for a core or for the loop
/// to store them; with twice the slots, a moment of extraction backlog or a commit's flush
/// left request slots idle (as few as 29.4 of 32 in hand on average, up to +9.8% over the
/// latency floor); with four the farm stays at 31.1-31.3 of 32 (docs/benchmarks.md, change
/// 17). Worst case, every waiting page is as big as `max_body_bytes` allows
/// (config/example.toml).
const JOBS_PER_SLOT: usize = 4;

/// A page to read: a new item's, a changed item's, or a pending page's another try.
pub(super) enum Job {
    New(Candidate),
    Update(Changed),
    Retry(PendingPage),
}

/// A new item back from its job: what its page gave.
pub(super) type NewDone = (Candidate, Read);

/// A job done.
pub(super) enum Done {
    New(NewDone),
    Update((Changed, Read)),
    Retry(RetryDone),
}

/// Feeds and keys that joined a candidate while its page was being read.
#[derive(Default)]
pub(super) struct Joined {
    pub(super) feeds: Vec<usize>,
    keys: Vec<String>,
}

/// What a poll in progress keeps between events.
#[derive(Default)]
pub(super) struct Flow {
    /// Feeds that answered, in config order; jobs refer to them by position. Their items are
    /// moved out into jobs when they are deduplicated.
    pub(super) polled: Vec<Polled>,
    /// Unfinished jobs each polled feed takes part in; at zero its poll is recorded.
    pub(super) pending: Vec<usize>,
    /// Keys and URLs of candidates in flight: the candidate's number and its feed.
    claimed: HashMap<String, (u64, usize)>,
    pub(super) joined: HashMap<u64, Joined>,
    /// Articles queued for an update or another try of their page in this poll.
    pub(super) updating: HashSet<i64>,
    pub(super) queue: VecDeque<Job>,
    /// Pending pages due for another try: started when no page of the poll's feeds waits.
    pub(super) retries: VecDeque<Job>,
    next_id: u64,
    /// When the open batch of writes began, and how many events it holds.
    pub(super) batch: Option<(Instant, usize)>,
    /// Files were written (not yet flushed) since the batch began.
    pub(super) unsynced: bool,
    /// New articles' files written since the batch began (relative to the output folder):
    /// removed if the batch is lost, since their rows go with it.
    pub(super) new_files: Vec<PathBuf>,
}

/// One poll in progress: the pipeline it runs on (immutable), its store handle, the flow's
/// bookkeeping and what it has done so far. Its methods are the poll's steps: take a feed
/// in, deduplicate and claim its items, join jobs that meet the same story, store what the
/// pages gave, record each feed once its articles are stored.
pub(super) struct Poll<'p> {
    pub(super) pipe: &'p Pipeline,
    pub(super) store: &'p mut Store,
    pub(super) flow: Flow,
    pub(super) summary: Summary,
    pub(super) tally: Tally,
    /// Hosts found down in this poll.
    pub(super) dead: Arc<DeadHosts>,
}

impl<'p> Poll<'p> {
    /// A poll of `feeds` on `pipe`, storing into `store`.
    pub(super) fn new(pipe: &'p Pipeline, store: &'p mut Store, feeds: &[FeedConfig]) -> Self {
        Poll {
            pipe,
            store,
            flow: Flow::default(),
            summary: Summary {
                dry_run: pipe.mode == Mode::DryRun,
                ..Summary::default()
            },
            tally: Tally::new(feeds),
            dead: Arc::default(),
        }
    }

    /// Polls `feeds`: at most `[http] concurrency` feed downloads and [`JOBS_PER_SLOT`] times
    /// as many page jobs in flight (the client still lets only `concurrency` requests out at
    /// once: the extra jobs are pages downloaded and waiting for an extraction slot or to be
    /// stored, so that downloads go on while both cores extract); a new feed starts only while
    /// few pages wait, since waiting pages are what holds memory. Feeds are taken in and
    /// deduplicated in config order (the first feed carrying a story owns it, whatever the
    /// network's timing). The pending pages of `retry_of` that are due are tried again once
    /// the feeds' own pages are under way. Returns the summary, each feed's outcome in it.
    pub(super) async fn run(
        mut self,
        feeds: &[FeedConfig],
        retry_of: &[FeedConfig],
    ) -> Result<Summary> {
        // A batch left open by a poll abandoned half-way: its files may not be on disk.
        self.store.rollback_batch();
        let ran = self.flow(feeds, retry_of).await;
        for (host, skipped) in self.dead.down() {
            tracing::warn!(host = %host, "host {host} was down in this poll: {skipped} of its pages were not tried; they stay pending");
        }
        blocking(|| self.close(ran))?;
        let mut summary = self.summary;
        summary.outcomes = self.tally.outcomes;
        Ok(summary)
    }

    /// Ends the poll's writing: commits the open batch, or gives it up when it was lost.
    fn close(&mut self, ran: Result<()>) -> Result<()> {
        let output_dir = &self.pipe.config.output_dir;
        if self.flow.lost(self.store) {
            // A statement's failure (one feed's, say) rolled back the whole batch.
            let cause = match &ran {
                Err(e) => e.to_string(),
                Ok(()) => last_failure(&self.summary),
            };
            return Err(self.flow.give_up(self.store, output_dir, cause));
        }
        // Whatever stopped the poll, what was stored before is sound and its files exist.
        let kept = self.flow.commit(self.store, output_dir);
        ran.and(kept)
    }

    async fn flow(&mut self, feeds: &[FeedConfig], retry_of: &[FeedConfig]) -> Result<()> {
        let rows = blocking(|| {
            self.write()?;
            let rows = self.feed_rows(feeds)?;
            self.queue_retries(retry_of)?;
            Ok::<_, Error>(rows)
        })?;
        let dead = Arc::clone(&self.dead);
        let pipe = self.pipe;
        let limit = pipe.config.http.concurrency.max(1);
        // Page jobs at once, and queued jobs above which no new feed starts.
        let job_limit = JOBS_PER_SLOT * limit;
        let mut next = 0;
        let mut polls = FuturesOrdered::new();
        let mut jobs = FuturesUnordered::new();
        loop {
            while next < feeds.len() && polls.len() < limit && self.flow.queue.len() < job_limit {
                polls.push_back(pipe.poll_feed(next, &rows[next]));
                next += 1;
            }
            while jobs.len() < job_limit
                && let Some(job) = self
                    .flow
                    .queue
                    .pop_front()
                    .or_else(|| self.flow.retries.pop_front())
            {
                let fi = match &job {
                    Job::New(c) => Some(c.feed),
                    Job::Update(c) => Some(c.feed),
                    Job::Retry(_) => None,
                };
                let name = fi.map_or("", |fi| feeds[self.flow.polled[fi].index].name.as_str());
                jobs.push(pipe.run_job(job, name, &dead));
            }
            if polls.is_empty() && jobs.is_empty() {
                return Ok(());
            }
            let deadline = self.flow.deadline();
            let written = self.summary.files_written;
            tokio::select! {
                Some(answer) = polls.next(), if !polls.is_empty() => {
                    self.write()?;
                    let i = answer.0;
                    if let Some(p) = self.accept((&feeds[i], &rows[i]), answer)? {
                        self.take_in(p)?;
                    }
                }
                Some(done) = jobs.next(), if !jobs.is_empty() => {
                    self.write()?;
                    self.on_done(done)?;
                }
                () = sleep_until(deadline), if deadline.is_some() => {}
            }
            self.flow.unsynced |= self.summary.files_written > written && pipe.mode != Mode::DryRun;
            if self.flow.due() {
                self.flow.commit(self.store, &pipe.config.output_dir)?;
            }
        }
    }

    /// Opens (or goes on with) the batch for the event about to write; ends the poll if
    /// SQLite rolled the batch back since (a failure that was only logged, say).
    pub(super) fn write(&mut self) -> Result<()> {
        if self.flow.lost(self.store) {
            let cause = last_failure(&self.summary);
            return Err(self.lose_batch(cause));
        }
        self.flow.write(self.store)
    }

    /// Gives the open batch up (see [`Flow::give_up`]): the error that ends the poll.
    fn lose_batch(&mut self, cause: String) -> Error {
        self.flow
            .give_up(self.store, &self.pipe.config.output_dir, cause)
    }

    /// Deduplicates a feed that answered and queues its jobs; records it when it has none.
    pub(super) fn take_in(&mut self, p: Polled) -> Result<()> {
        let fi = self.flow.polled.len();
        self.flow.polled.push(p);
        self.flow.pending.push(0);
        self.dedup(fi)?;
        self.pipe.progress.inc_length(self.flow.pending[fi] as u64);
        if self.flow.pending[fi] == 0 {
            self.finish_feed(fi)?;
        }
        Ok(())
    }

    /// Splits a feed's items into known ones (linked now, queued for an update when they
    /// changed) and new ones, queued for download (claimed: their keys and URLs point at
    /// the candidate) unless a candidate in flight is the same item, which they join.
    fn dedup(&mut self, fi: usize) -> Result<()> {
        let Poll {
            pipe,
            store,
            flow,
            summary,
            tally,
            ..
        } = self;
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
        let filter = pipe.filters.get(&p.feed.name).unwrap_or(&no_filter);
        let now = pipe.clock.now();
        // Stored articles an item of this feed already stood for in this poll.
        let mut matched = HashSet::new();
        for item in items {
            // A filtered item is not remembered: a changed rule applies to it next time.
            if !filter.accepts(&item) {
                let which = super::describe(&item);
                tracing::debug!(feed = %p.feed.name, "feed {}: item {which}: filtered out by the feed's keep/block rules", p.feed.name);
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
                store.link(p.feed_id, id, &key_refs, &url_refs, now.timestamp())?;
                if !matched.insert(id) {
                    // The feed says it twice: only its first telling is compared with the
                    // stored article, or the two would rewrite it in turn on every poll.
                    let which = super::describe(&item);
                    tracing::info!(feed = %p.feed.name, "feed {}: item {which}: an article already stored for an earlier item of this feed; not compared", p.feed.name);
                    summary.duplicates += 1;
                    if withdraw_update(store, queue, updating, id, &item)? {
                        pending[fi] -= 1;
                    }
                    continue;
                }
                let Some(change) = pipe.note_change(store, (p, fi), id, &item, updating)? else {
                    continue;
                };
                if pipe.mode == Mode::CatchUp {
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
                if owner == fi || j.feeds.contains(&fi) {
                    // Not a story carried by several feeds: this feed says it twice.
                    let which = super::describe(&item);
                    tracing::warn!(feed = %p.feed.name, "feed {}: item {which}: same guid, link or text as an earlier item of this feed; kept as that one article", p.feed.name);
                    summary.duplicates += 1;
                } else {
                    j.feeds.push(fi);
                    pending[fi] += 1;
                }
                j.keys.push(key);
                continue;
            }
            // Another worker on a shared database may have met this story at the same moment
            // (in another feed): only the one holding the claim downloads and stores it.
            let claim: Vec<&str> = std::iter::once(key.as_str())
                .chain(url_refs.iter().copied())
                .collect();
            if !store.claim(&claim, pipe.config.lease_secs)? {
                tracing::info!(feed = %p.feed.name, "another worker is storing {}; skipped here", item.title);
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
    pub(super) fn on_done(&mut self, done: Done) -> Result<()> {
        self.pipe.progress.inc(1);
        let feeds = match done {
            Done::New((mut c, read)) => {
                let flow = &mut self.flow;
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
                let written = self.finish_new((c, read));
                self.flow.new_files.extend(written);
                feeds
            }
            Done::Update(done) => {
                let feeds = vec![done.0.feed];
                self.finish_update(done);
                feeds
            }
            Done::Retry(done) => {
                self.finish_retry(done);
                Vec::new()
            }
        };
        if self.flow.lost(self.store) {
            // Recording the feeds now would commit their state without the articles.
            let cause = last_failure(&self.summary);
            return Err(self.lose_batch(cause));
        }
        for fi in feeds {
            self.flow.pending[fi] = self.flow.pending[fi].saturating_sub(1);
            if self.flow.pending[fi] == 0 {
                self.finish_feed(fi)?;
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

/// Runs `f`, which reads and writes the database and flushes files, telling a multi-threaded
/// runtime that this worker blocks meanwhile, so that its other tasks (downloads, the
/// daemon's listener) move to other workers. On a current-thread runtime it runs as is.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Sleeps until `deadline`; forever without one (the caller then disables the branch).
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Withdraws the update an earlier telling of article `id` queued in this poll when this
/// telling is the one stored: which of two tellings was stored first can depend on which
/// page loaded first, and comparing the other would rewrite the article on every poll.
fn withdraw_update(
    store: &Store,
    queue: &mut VecDeque<Job>,
    updating: &mut HashSet<i64>,
    id: i64,
    item: &crate::feed::Item,
) -> Result<bool> {
    let queued = |j: &Job| matches!(j, Job::Update(c) if c.id == id);
    if !queue.iter().any(queued) {
        return Ok(false);
    }
    let stored = store.item_state(id)?.and_then(|s| s.item_hash);
    if stored.as_deref() != Some(crate::identity::item_hash(item).as_str()) {
        return Ok(false);
    }
    queue.retain(|j| !queued(j));
    updating.remove(&id);
    Ok(true)
}
