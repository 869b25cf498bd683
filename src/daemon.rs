//! `feedmark run`: polls each feed on its schedule until SIGTERM/SIGINT; SIGHUP reloads the config.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::clock::Clock;
use crate::config::{Config, FeedConfig};
use crate::error::{Error, Result};
use crate::lock::DbLock;
use crate::pipeline::{Pipeline, Summary};
use crate::store::Store;
use crate::task::AbortOnDrop;

mod listener;
mod metrics;
mod pages;
mod plan;
mod systemd;
pub use plan::Plan;

/// The longest the daemon sleeps before looking at its clock again (guards against the
/// wall clock jumping, e.g. after a suspend).
const MAX_IDLE: Duration = Duration::from_secs(60);

/// How long a reload waits before reading the config a second time when the first read was
/// refused: an editor or deploy tool that rewrites the file in place may be halfway through.
const RELOAD_RETRY: Duration = Duration::from_millis(200);

/// A running daemon: its config, store, lock and timetable.
pub struct Daemon {
    config_path: PathBuf,
    pipeline: Pipeline,
    store: Store,
    clock: Arc<dyn Clock>,
    plan: Plan,
    /// Consecutive polls that failed as a whole (database trouble), for backoff.
    batch_errors: i64,
    /// When a pending article page of a live feed is next due, if one waits: the daemon
    /// wakes then to try it, even if no feed is due.
    retry_wake: Option<DateTime<Utc>>,
    metrics: metrics::Shared,
    _lock: DbLock,
}

/// The signals the daemon listens to.
struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    fn new() -> Result<Signals> {
        let make = |kind| signal(kind).map_err(|e| Error::io("signal handler", e));
        Ok(Signals {
            term: make(SignalKind::terminate())?,
            int: make(SignalKind::interrupt())?,
            hup: make(SignalKind::hangup())?,
        })
    }

    /// The next signal: true for SIGTERM/SIGINT (stop), false for SIGHUP (reload).
    async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.term.recv() => { tracing::info!("SIGTERM received"); true }
            _ = self.int.recv() => { tracing::info!("SIGINT received"); true }
            _ = self.hup.recv() => false,
        }
    }

    /// The next SIGTERM or SIGINT (a SIGHUP meanwhile is ignored: shutdown has begun).
    async fn stop(&mut self) {
        while !self.next().await {}
    }
}

impl Daemon {
    /// Loads the config, takes the database lock and builds the timetable.
    pub fn start(config_path: PathBuf, clock: Arc<dyn Clock>) -> Result<Daemon> {
        let config = Config::load(&config_path)?;
        let (lock, store) = crate::lock::open_for_write(&config.database)?.into_parts();
        let plan = Plan::new(&config, &store.feed_states()?, clock.now())
            .map_err(|message| Error::config(&config_path, message))?;
        let pipeline = Pipeline::new(config)?.with_clock(Arc::clone(&clock));
        Ok(Daemon {
            config_path,
            pipeline,
            store,
            clock,
            plan,
            batch_errors: 0,
            retry_wake: None,
            metrics: metrics::Shared::default(),
            _lock: lock,
        })
    }

    /// Runs until SIGTERM or SIGINT. In-flight work gets `shutdown_grace_secs` to finish; a
    /// second signal or the end of the grace abandons it (files are written atomically, rows
    /// committed in batches only after their files are on disk, so nothing half-done remains).
    pub async fn run(mut self) -> Result<()> {
        let mut signals = Signals::new()?;
        let mut watchdog = systemd::Watchdog::new();
        let listen = self.pipeline.config().daemon.listen.clone();
        let _endpoint = if listen.is_empty() {
            None
        } else {
            let listener = listener::bind(&listen).await?;
            if let Ok(addr) = listener.local_addr() {
                tracing::info!("serving /healthz and /metrics on http://{addr}");
            }
            let task = tokio::spawn(listener::serve(listener, Arc::clone(&self.metrics)));
            // Held until `run` returns: the endpoint stops with the daemon.
            Some(AbortOnDrop(task))
        };
        self.publish_states();
        self.announce_dead();
        self.retry_wake = self.next_retry(self.clock.now());
        let feeds = self.plan.live().count();
        tracing::info!(feeds, "feedmark run: ready; {feeds} feeds scheduled");
        systemd::ready(&format!("{feeds} feeds scheduled"));
        loop {
            let now = self.clock.now();
            let due = self.plan.due(now);
            let retrying = self.retry_wake.is_some_and(|t| t <= now);
            if !due.is_empty() || retrying {
                if self.poll(due, &mut signals, &mut watchdog).await? {
                    break;
                }
                continue;
            }
            let wait = [self.plan.next_wake(), self.retry_wake]
                .into_iter()
                .flatten()
                .min()
                .map_or(MAX_IDLE, |t| self.clock.real_until(t))
                .min(MAX_IDLE);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                stop = signals.next() => if stop { break } else { self.reload().await },
                () = watchdog.tick() => {}
            }
        }
        systemd::stopping();
        tracing::info!("feedmark run: stopped");
        Ok(())
    }

    /// Polls the due feeds; returns true when a stop signal arrived meanwhile.
    async fn poll(
        &mut self,
        due: Vec<FeedConfig>,
        signals: &mut Signals,
        watchdog: &mut systemd::Watchdog,
    ) -> Result<bool> {
        // A wake for pending pages alone has no feed to lease; its retries still run.
        let retrying = self.retry_wake.is_some_and(|t| t <= self.clock.now());
        let due = if due.is_empty() {
            due
        } else {
            match self.lease(&due) {
                Some(mine) => mine,
                None if retrying => Vec::new(),
                None => return Ok(false),
            }
        };
        let names: Vec<&str> = due.iter().map(|f| f.name.as_str()).collect();
        tracing::debug!("polling {}", names.join(", "));
        let grace = Duration::from_secs(self.pipeline.config().daemon.shutdown_grace_secs);
        let (mut stop, mut reload) = (false, false);
        let started = std::time::Instant::now();
        let polled_at = self.clock.now();
        // Every live feed's due pending pages are tried, whether or not the feed is due.
        let live: Vec<FeedConfig> = self.plan.live().map(|e| e.feed.clone()).collect();
        let result = {
            let batch = self.pipeline.poll(&mut self.store, &due, &live);
            tokio::pin!(batch);
            loop {
                tokio::select! {
                    r = &mut batch => break Some(r),
                    got_stop = signals.next() => {
                        if !got_stop {
                            reload = true;
                            continue;
                        }
                        stop = true;
                        tracing::info!("stopping: in-flight work has {}s to finish", grace.as_secs());
                        systemd::stopping();
                        let finished = tokio::select! {
                            r = tokio::time::timeout(grace, &mut batch) => r.ok(),
                            () = signals.stop() => None,
                        };
                        if finished.is_none() {
                            tracing::warn!("abandoned in-flight work; nothing half-written was kept and those feeds are polled again on the next start");
                        }
                        break finished;
                    }
                    () = watchdog.tick() => {}
                }
            }
        };
        if let Some(result) = result {
            if let Ok(mut m) = self.metrics.lock() {
                m.record_batch(started.elapsed().as_secs_f64());
            }
            // Storing next poll times is SQLite work: off the async loop, as the poll's own.
            crate::pipeline::blocking(|| {
                self.reschedule(&due, result);
                self.retry_wake = self.next_retry(polled_at);
            });
            crate::lease::release(&self.store, &due);
        }
        if reload && !stop {
            self.reload().await;
        }
        Ok(stop)
    }

    /// The due feeds this worker polls (all of them unless other workers share a PostgreSQL
    /// database); those another worker has move on to their next scheduled time, as if
    /// polled. `None` when there is none left, or leasing failed (then all back off).
    fn lease(&mut self, due: &[FeedConfig]) -> Option<Vec<FeedConfig>> {
        let now = self.clock.now();
        let config = self.pipeline.config();
        let limit = Some(config.lease_batch);
        let taken = crate::pipeline::blocking(|| {
            let at = now.timestamp();
            crate::lease::take(&self.store, due, Some(at), at, config, limit)
        });
        let (mine, elsewhere) = match taken {
            Ok(split) => split,
            Err(e) => {
                crate::pipeline::blocking(|| self.reschedule(due, Err(e)));
                return None;
            }
        };
        for f in &elsewhere {
            let outcome = crate::pipeline::FeedOutcome {
                name: f.name.clone(),
                ..Default::default()
            };
            let jitter = self.plan.jitter();
            self.plan.after_poll(&outcome, 0, now, jitter);
        }
        (!mine.is_empty()).then_some(mine)
    }

    /// Stores each polled feed's next poll time and logs it. The timetable in memory moves on
    /// even when the database cannot be written, so a broken disk never makes a busy loop.
    fn reschedule(&mut self, due: &[FeedConfig], result: Result<Summary>) {
        let now = self.clock.now();
        let summary = match result {
            Ok(summary) => {
                self.batch_errors = 0;
                summary
            }
            Err(e) => {
                // The store itself failed: every due feed waits and is retried with backoff,
                // whatever the error's class, since no feed of the batch is at fault.
                self.batch_errors += 1;
                tracing::error!("poll failed: {e}");
                let outcomes = due
                    .iter()
                    .map(|f| crate::pipeline::FeedOutcome {
                        name: f.name.clone(),
                        error: Some(e.to_string()),
                        failure: Some(crate::error::Failure::Transient { retry_after: None }),
                        ..Default::default()
                    })
                    .collect();
                Summary {
                    outcomes,
                    ..Summary::default()
                }
            }
        };
        if let Ok(mut m) = self.metrics.lock() {
            summary.outcomes.iter().for_each(|o| m.record(o));
        }
        for outcome in &summary.outcomes {
            let name = &outcome.name;
            let errors = match self.store.feed(name) {
                Ok(Some(row)) => row.error_count.max(self.batch_errors),
                _ => self.batch_errors.max(1),
            };
            let jitter = self.plan.jitter();
            let Some((next, reason)) = self.plan.after_poll(outcome, errors, now, jitter) else {
                continue;
            };
            let key = self.plan.schedule_key(name).unwrap_or_default();
            if outcome.feed_id > 0
                && let Err(e) = self
                    .store
                    .set_next_poll(outcome.feed_id, next.timestamp(), key)
            {
                tracing::error!(feed = %name, "feed {name}: cannot store the next poll time: {e}");
            }
            let secs = (next - now).num_seconds();
            let when = crate::status::format_time(next.timestamp(), self.plan.timezone());
            tracing::info!(feed = %name, errors, next_in_secs = secs, reason = %reason, new_articles = outcome.new_articles, "feed {name}: next poll at {when}, in {secs}s ({reason})");
        }
        self.publish_states();
        if summary.outcomes.len() > 1 || summary.new_articles > 0 || summary.pages_retried > 0 {
            tracing::info!("{summary}");
        }
        systemd::status(&format!("last poll {}: {summary}", fmt_utc(now)));
    }

    /// Re-reads the config file; a bad one (or one without feeds while some are in use) is
    /// read once more after a moment, then reported and the running one kept.
    async fn reload(&mut self) {
        tracing::info!("SIGHUP: reloading {}", self.config_path.display());
        systemd::reloading();
        let in_use = self.pipeline.config().feeds.len();
        let mut result = self.try_reload(in_use);
        if result.is_err() {
            tokio::time::sleep(RELOAD_RETRY).await;
            result = self.try_reload(in_use);
        }
        match result {
            Ok(feeds) => tracing::info!(feeds, "configuration reloaded; {feeds} feeds scheduled"),
            Err(e) => tracing::error!(
                "configuration reload failed, keeping the previous configuration and its {in_use} feeds: {e}"
            ),
        }
        self.announce_dead();
        systemd::ready("configuration reloaded");
    }

    fn try_reload(&mut self, in_use: usize) -> Result<usize> {
        let mut config = Config::load(&self.config_path)?;
        refuse_no_feeds(&config, in_use).map_err(|m| Error::config(&self.config_path, m))?;
        let database = &self.pipeline.config().database;
        if &config.database != database {
            tracing::warn!(
                "a new database path takes a restart; still using {}",
                database.display()
            );
            config.database.clone_from(database);
        }
        let mut plan = self.plan.clone();
        plan.reload(&config, &self.store.feed_states()?, self.clock.now())
            .map_err(|message| Error::config(&self.config_path, message))?;
        self.pipeline = Pipeline::new(config)?.with_clock(Arc::clone(&self.clock));
        self.plan = plan;
        self.retry_wake = self.next_retry(self.clock.now());
        Ok(self.plan.live().count())
    }

    /// When the daemon next wakes for a pending page of a live feed, after a poll that
    /// started at `polled_at` (see [`pages::retry_wake`]). A store that cannot say is logged
    /// and asked again a while later.
    fn next_retry(&self, polled_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let names: Vec<&str> = self.plan.live().map(|e| e.feed.name.as_str()).collect();
        match self.store.next_page_retry(&names) {
            Ok(at) => at.map(|t| pages::retry_wake(t, polled_at)),
            Err(e) => {
                tracing::warn!(
                    "cannot read when pending article pages are due: {e}; asking again later"
                );
                Some(pages::retry_wake(i64::MIN, polled_at))
            }
        }
    }

    /// Copies every feed's stored state into the metrics gauges.
    fn publish_states(&self) {
        let Ok(states) = self.store.feed_states() else {
            return;
        };
        if let Ok(mut m) = self.metrics.lock() {
            for s in states
                .iter()
                .filter(|s| self.pipeline.config().feed(&s.name).is_some())
            {
                let next = s.next_poll_at.filter(|_| s.dead_at.is_none());
                m.set_feed(
                    &s.name,
                    s.error_count,
                    next,
                    s.last_success_at,
                    s.dead_at.is_some(),
                );
            }
        }
    }

    fn announce_dead(&self) {
        for (name, since) in self.plan.dead() {
            let when = crate::status::format_time(since, self.plan.timezone());
            tracing::warn!(feed = %name, "feed {name}: dead since {when} (HTTP 410 Gone); not polled until its url changes in the config");
        }
    }
}

/// A config without feeds replaces one with feeds only by a restart: on a reload it is far
/// more likely a file caught empty or cut short while being written than a wish to stop
/// polling everything, and taking it would quietly stop the daemon's work.
fn refuse_no_feeds(new: &Config, in_use: usize) -> std::result::Result<(), String> {
    if new.feeds.is_empty() && in_use > 0 {
        return Err(
            "reload refused: the file lists no feeds (empty, or cut short while being written?); \
             restart feedmark to run without feeds"
                .into(),
        );
    }
    Ok(())
}

fn fmt_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
