//! The daemon's timetable: which feed is due when, kept in memory and derived from the store.

use chrono::{DateTime, TimeZone, Utc};

use crate::config::{Config, FeedConfig};
use crate::error::Failure;
use crate::pipeline::FeedOutcome;
use crate::schedule::{Bounds, Reason, Schedule, Timing};
use crate::store::FeedState;

/// One configured feed and when it is polled next.
#[derive(Debug, Clone)]
pub struct Entry {
    pub feed: FeedConfig,
    pub schedule: Schedule,
    /// The schedule and zone, as stored beside the next poll time.
    pub key: String,
    pub next: DateTime<Utc>,
    /// 410 Gone: not polled until the feed's URL changes in the config.
    pub dead_since: Option<i64>,
    /// The feed's RSS `<ttl>` in seconds, remembered across 304s (which carry no body).
    pub ttl_secs: Option<u64>,
    /// The last poll failed permanently (a configuration problem): the feed waits
    /// `max_delay_secs`, except that a reload, which may carry the fix, polls it at once.
    pub misconfigured: bool,
}

/// Every configured feed's next poll. Pure: all times come from the caller's clock.
#[derive(Debug, Clone)]
pub struct Plan {
    entries: Vec<Entry>,
    timing: Timing,
}

impl Plan {
    /// Builds the timetable from the config and the stored state. A feed never polled (or
    /// whose configured URL changed) is due at `now`, as is one whose stored time has passed.
    /// A stored time computed under another schedule or zone gives way to the new schedule's
    /// next time when that is sooner, unless the feed is backing off after errors.
    pub fn new(config: &Config, states: &[FeedState], now: DateTime<Utc>) -> Result<Plan, String> {
        let timing = Timing::from_config(&config.daemon)?;
        let mut entries = Vec::new();
        for feed in &config.feeds {
            let schedule = Schedule::of_feed(config, feed)?;
            let key = schedule_key(&schedule, &timing);
            // State recorded for another URL is stale: the feed starts afresh on its next poll.
            let state = states
                .iter()
                .find(|s| s.name == feed.name)
                .filter(|s| s.config_url.as_deref() == Some(feed.url.as_str()));
            let stored = state
                .and_then(|s| s.next_poll_at)
                .and_then(|t| Utc.timestamp_opt(t, 0).single());
            let next = match (state, stored) {
                (Some(s), Some(t))
                    if s.next_poll_schedule.as_deref() != Some(key.as_str())
                        && s.error_count == 0 =>
                {
                    let jitter = timing.random_jitter();
                    t.min(
                        timing
                            .next_poll(&schedule, now, Bounds::default(), jitter)
                            .0,
                    )
                }
                (_, Some(t)) => t,
                _ => now,
            };
            entries.push(Entry {
                feed: feed.clone(),
                schedule,
                key,
                next,
                dead_since: state.and_then(|s| s.dead_at),
                ttl_secs: None,
                misconfigured: false,
            });
        }
        Ok(Plan { entries, timing })
    }

    /// Replaces the timetable with one for a reloaded config (see [`Plan::new`]), keeping
    /// what was learnt from the feeds (their ttl). A feed waiting after a configuration
    /// problem is polled at once: the reload may be its fix, and else it waits again.
    pub fn reload(
        &mut self,
        config: &Config,
        states: &[FeedState],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let mut fresh = Plan::new(config, states, now)?;
        for entry in &mut fresh.entries {
            let old = self.entries.iter().find(|e| e.feed.name == entry.feed.name);
            entry.ttl_secs = old.and_then(|o| o.ttl_secs);
            if old.is_some_and(|o| o.misconfigured) {
                entry.next = entry.next.min(now);
            }
        }
        *self = fresh;
        Ok(())
    }

    /// The schedule key (schedule and zone) of feed `name`, stored with its next poll time.
    pub fn schedule_key(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.feed.name == name)
            .map(|e| e.key.as_str())
    }

    /// Feeds due at `now` (dead ones never are), in config order.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<FeedConfig> {
        self.entries
            .iter()
            .filter(|e| e.dead_since.is_none() && e.next <= now)
            .map(|e| e.feed.clone())
            .collect()
    }

    /// The earliest next poll of a live feed.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.live().map(|e| e.next).min()
    }

    /// Feeds not dead.
    pub fn live(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.dead_since.is_none())
    }

    /// Feeds marked dead, with the time they were.
    pub fn dead(&self) -> impl Iterator<Item = (&str, i64)> {
        self.entries
            .iter()
            .filter_map(|e| e.dead_since.map(|t| (e.feed.name.as_str(), t)))
    }

    /// Schedules the feed's next poll after `outcome`, given its consecutive `errors`; returns
    /// the time and why (None when the feed is now dead or not in the plan). A transient
    /// failure backs off exponentially from `backoff_base_secs`; a permanent one (404, not a
    /// feed, ...) waits `max_delay_secs`, since retrying sooner only repeats the mistake.
    pub fn after_poll(
        &mut self,
        outcome: &FeedOutcome,
        errors: i64,
        now: DateTime<Utc>,
        jitter: u64,
    ) -> Option<(DateTime<Utc>, Reason)> {
        let timing = &self.timing;
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.feed.name == outcome.name)?;
        // An error without a classification (an article that could not be stored) is
        // retried like a transient failure.
        let failure = outcome.error.as_ref().map(|_| {
            outcome
                .failure
                .unwrap_or(Failure::Transient { retry_after: None })
        });
        if failure == Some(Failure::Gone) {
            entry.dead_since = Some(now.timestamp());
            return None;
        }
        if failure.is_none() && !outcome.not_modified {
            entry.ttl_secs = outcome.ttl_secs;
        }
        entry.misconfigured = failure == Some(Failure::Permanent);
        let bounds = Bounds {
            errors: if failure.is_some() { errors.max(1) } else { 0 },
            fresh_secs: outcome.max_age_secs.max(entry.ttl_secs),
            retry_after_secs: match failure {
                Some(Failure::Transient { retry_after }) => retry_after,
                _ => None,
            },
            permanent: entry.misconfigured,
        };
        let (next, reason) = timing.next_poll(&entry.schedule, now, bounds, jitter);
        entry.next = next;
        Some((next, reason))
    }

    /// The time zone schedules are read in.
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.timing.timezone
    }

    /// A random jitter within the configured bound.
    pub fn jitter(&self) -> u64 {
        self.timing.random_jitter()
    }
}

/// `schedule` and zone in one string, e.g. `*/30 * * * * @ Europe/Berlin`.
fn schedule_key(schedule: &Schedule, timing: &Timing) -> String {
    format!("{} @ {}", schedule.as_str(), timing.timezone.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn config(extra: &str) -> Config {
        let text = format!(
            "[daemon]\njitter_secs = 0\nbackoff_base_secs = 600\n{extra}\n\
             [[feeds]]\nname = \"a\"\nurl = \"https://a/\"\nschedule = \"*/15 * * * *\"\n\
             [[feeds]]\nname = \"b\"\nurl = \"https://b/\"\n"
        );
        Config::parse(&text, Path::new(".")).unwrap()
    }

    fn outcome(name: &str) -> FeedOutcome {
        FeedOutcome {
            name: name.into(),
            ..FeedOutcome::default()
        }
    }

    #[test]
    fn everything_due_at_start_then_on_schedule_with_backoff() {
        let now = utc("2026-01-05T10:01:00Z");
        let mut plan = Plan::new(&config(""), &[], now).unwrap();
        assert_eq!(
            plan.due(now).len(),
            2,
            "never-polled feeds are due at start-up"
        );
        let (a, _) = plan.after_poll(&outcome("a"), 0, now, 0).unwrap();
        assert_eq!(a, utc("2026-01-05T10:15:00Z"));
        // b uses the default schedule (every 30 minutes).
        let failed = FeedOutcome {
            error: Some("HTTP 500".into()),
            failure: Some(Failure::Transient { retry_after: None }),
            ..outcome("b")
        };
        let (b, reason) = plan.after_poll(&failed, 2, now, 0).unwrap();
        assert_eq!((b, reason), (utc("2026-01-05T10:30:00Z"), Reason::Backoff));
        assert!(plan.due(now).is_empty());
        assert_eq!(plan.next_wake(), Some(a));
        assert_eq!(plan.due(a).len(), 1);
        let gone = FeedOutcome {
            failure: Some(Failure::Gone),
            error: Some("410".into()),
            ..outcome("a")
        };
        assert_eq!(plan.after_poll(&gone, 1, a, 0), None);
        assert_eq!(plan.dead().count(), 1);
        assert_eq!(
            plan.next_wake(),
            Some(b),
            "dead feeds never wake the daemon"
        );
    }

    #[test]
    fn a_404_waits_the_cap_and_a_timeout_backs_off() {
        let now = utc("2026-01-05T10:01:00Z");
        let mut plan = Plan::new(&config("max_delay_secs = 43200"), &[], now).unwrap();
        let failed = |name: &str, failure| FeedOutcome {
            error: Some("failed".into()),
            failure: Some(failure),
            ..outcome(name)
        };
        let missing = failed("a", Failure::Permanent);
        let slow = failed("b", Failure::Transient { retry_after: None });
        // The first error of each: 12 h (the cap) for the 404, 600 s (the base) for the timeout.
        let (a, reason) = plan.after_poll(&missing, 1, now, 0).unwrap();
        assert_eq!(
            (a, reason),
            (utc("2026-01-05T22:15:00Z"), Reason::Misconfigured)
        );
        assert_eq!(reason.to_string(), "configuration problem");
        let (b, reason) = plan.after_poll(&slow, 1, now, 0).unwrap();
        assert_eq!((b, reason), (utc("2026-01-05T10:30:00Z"), Reason::Backoff));
        // A 404 on a feed already backing off still waits the cap, no more.
        let (a, _) = plan.after_poll(&missing, 7, now, 0).unwrap();
        assert_eq!(a, utc("2026-01-05T22:15:00Z"));
        // Retry-After stays a lower bound on a transient failure.
        let busy = failed(
            "b",
            Failure::Transient {
                retry_after: Some(7200),
            },
        );
        let (b, reason) = plan.after_poll(&busy, 1, now, 0).unwrap();
        assert_eq!(
            (b, reason),
            (utc("2026-01-05T12:30:00Z"), Reason::RetryAfter)
        );
        // An article that could not be stored (no classification) backs off as before.
        let unstored = FeedOutcome {
            error: Some("database: disk I/O error".into()),
            ..outcome("b")
        };
        let (_, reason) = plan.after_poll(&unstored, 1, now, 0).unwrap();
        assert_eq!(reason, Reason::Backoff);
    }

    #[test]
    fn a_reload_polls_a_misconfigured_feed_at_once() {
        let now = utc("2026-01-05T10:01:00Z");
        let mut plan = Plan::new(&config(""), &[], now).unwrap();
        let missing = FeedOutcome {
            error: Some("HTTP 404".into()),
            failure: Some(Failure::Permanent),
            ..outcome("a")
        };
        plan.after_poll(&missing, 1, now, 0).unwrap();
        plan.after_poll(&outcome("b"), 0, now, 0).unwrap();
        let later = utc("2026-01-05T10:05:00Z");
        assert!(plan.due(later).is_empty());
        // The times the daemon stored, as a reload reads them back.
        let states: Vec<FeedState> = plan
            .live()
            .map(|e| FeedState {
                name: e.feed.name.clone(),
                config_url: Some(e.feed.url.clone()),
                next_poll_at: Some(e.next.timestamp()),
                next_poll_schedule: Some(e.key.clone()),
                error_count: i64::from(e.misconfigured),
                ..FeedState::default()
            })
            .collect();
        plan.reload(&config(""), &states, later).unwrap();
        let due: Vec<String> = plan.due(later).into_iter().map(|f| f.name).collect();
        assert_eq!(due, ["a"], "b keeps its time; a may have been fixed");
    }

    #[test]
    fn rss_ttl_still_holds_after_a_304() {
        let now = utc("2026-01-05T10:01:00Z");
        let mut plan = Plan::new(&config(""), &[], now).unwrap();
        let fresh = FeedOutcome {
            ttl_secs: Some(3600),
            ..outcome("a")
        };
        let (t, reason) = plan.after_poll(&fresh, 0, now, 0).unwrap();
        assert_eq!(
            (t, reason),
            (utc("2026-01-05T11:15:00Z"), Reason::Freshness)
        );
        let not_modified = FeedOutcome {
            not_modified: true,
            ..outcome("a")
        };
        let (t2, reason) = plan.after_poll(&not_modified, 0, t, 0).unwrap();
        assert_eq!(
            (t2, reason),
            (utc("2026-01-05T12:15:00Z"), Reason::Freshness)
        );
        // A new body without <ttl> drops it.
        let (t3, reason) = plan.after_poll(&outcome("a"), 0, t2, 0).unwrap();
        assert_eq!(
            (t3, reason),
            (utc("2026-01-05T12:30:00Z"), Reason::Schedule)
        );
    }

    #[test]
    fn stored_times_survive_a_restart_unless_the_url_changed() {
        let now = utc("2026-01-05T10:01:00Z");
        let later = utc("2026-01-05T12:00:00Z").timestamp();
        let state = |name: &str, url: &str, schedule: &str| FeedState {
            name: name.into(),
            url: url.into(),
            config_url: Some(url.into()),
            next_poll_at: Some(later),
            next_poll_schedule: Some(schedule.into()),
            ..FeedState::default()
        };
        let states = [
            state("a", "https://a/", "*/15 * * * * @ UTC"),
            state("b", "https://old-b/", "*/30 * * * * @ UTC"),
        ];
        let plan = Plan::new(&config(""), &states, now).unwrap();
        let due: Vec<String> = plan.due(now).into_iter().map(|f| f.name).collect();
        assert_eq!(due, ["b"], "a keeps its stored time; b's URL changed");
        let a = plan.live().find(|e| e.feed.name == "a").unwrap();
        assert_eq!(a.next.timestamp(), later);
        // Restarted with another schedule: the new one's next time (10:15) is sooner.
        let moved = [state("a", "https://a/", "@daily @ UTC")];
        let plan = Plan::new(&config(""), &moved, now).unwrap();
        let a = plan.live().find(|e| e.feed.name == "a").unwrap();
        assert_eq!(a.next, utc("2026-01-05T10:15:00Z"));
        // …but not while the feed backs off after errors.
        let failing = [FeedState {
            error_count: 2,
            ..moved[0].clone()
        }];
        let plan = Plan::new(&config(""), &failing, now).unwrap();
        let a = plan.live().find(|e| e.feed.name == "a").unwrap();
        assert_eq!(a.next.timestamp(), later);
    }

    #[test]
    fn reload_moves_a_changed_schedule() {
        let now = utc("2026-01-05T10:01:00Z");
        let mut plan = Plan::new(&config(""), &[], now).unwrap();
        plan.after_poll(&outcome("b"), 0, now, 0);
        let mut c = config("");
        c.feeds[1].schedule = Some("5 * * * *".into());
        let states = [FeedState {
            name: "b".into(),
            config_url: Some("https://b/".into()),
            next_poll_at: Some(utc("2026-01-05T10:30:00Z").timestamp()),
            ..FeedState::default()
        }];
        plan.reload(&c, &states, now).unwrap();
        let b = plan.live().find(|e| e.feed.name == "b").unwrap();
        assert_eq!(b.next, utc("2026-01-05T10:05:00Z"));
    }
}
