//! When to poll a feed next: cron lines in a time zone, backoff, server-given lower bounds, jitter.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use croner::Cron;

/// Time zone names are read by the config, which checks them on load.
pub use crate::config::parse_timezone;
use crate::config::{Config, DaemonConfig, FeedConfig};

/// A parsed cron line (5 fields, or an alias such as `@hourly`).
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    text: String,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Schedule {
    /// Parses a standard 5-field cron line (`*/15 * * * *`, Sunday = 0 or 7) or an alias
    /// (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`). Seconds fields are refused:
    /// polling a feed more than once a minute is never polite.
    pub fn parse(text: &str) -> Result<Schedule, String> {
        Ok(Schedule {
            cron: crate::config::parse_cron(text)?,
            text: text.trim().to_string(),
        })
    }

    /// The schedule of `feed`: its own, else the daemon's default; the error names the feed.
    pub fn of_feed(config: &Config, feed: &FeedConfig) -> Result<Schedule, String> {
        Schedule::parse(config.schedule_line(feed))
            .map_err(|e| format!("feed `{}`: {e}", feed.name))
    }

    /// The line as written in the config.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first firing time strictly after `t` (or at `t` when `inclusive`), evaluated on the
    /// wall clock of `tz`: `0 9 * * *` stays at 09:00 local across daylight-saving changes, and a
    /// time skipped by a spring-forward change fires at the first instant after the gap.
    pub fn next_after(&self, t: DateTime<Utc>, tz: Tz, inclusive: bool) -> Option<DateTime<Utc>> {
        // croner drops the fraction of a second: an inclusive search from 10:10:00.5 would
        // return 10:10:00, before `t`. Searching from the next whole second keeps `t` a floor.
        let nanos = i64::from(t.timestamp_subsec_nanos());
        let t = if inclusive && nanos > 0 {
            t + Duration::nanoseconds(1_000_000_000 - nanos)
        } else {
            t
        };
        let local = t.with_timezone(&tz);
        self.cron
            .find_next_occurrence(&local, inclusive)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }
}

/// The knobs that turn a poll's outcome into the next poll time.
#[derive(Debug, Clone)]
pub struct Timing {
    pub timezone: Tz,
    /// Largest random delay added to a scheduled time, in seconds.
    pub jitter_secs: u64,
    /// Wait after the first consecutive error; doubles with each further error.
    pub backoff_base_secs: u64,
    /// Cap on backoff and on server-given lower bounds (max-age, ttl, Retry-After); also the
    /// wait after a permanent failure (a configuration problem).
    pub max_delay_secs: u64,
}

/// Why the next poll is where it is, for the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Schedule,
    Backoff,
    /// Cache-Control max-age or RSS ttl.
    Freshness,
    RetryAfter,
    /// The last poll failed in a way a retry will not fix soon (404, not a feed, ...).
    Misconfigured,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reason::Schedule => "schedule",
            Reason::Backoff => "backoff",
            Reason::Freshness => "cache lifetime",
            Reason::RetryAfter => "Retry-After",
            Reason::Misconfigured => "configuration problem",
        })
    }
}

/// What the last poll of a feed told the scheduler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bounds {
    /// Consecutive errors so far (0 after a success).
    pub errors: i64,
    /// Seconds the content stays fresh (max(max-age, ttl)).
    pub fresh_secs: Option<u64>,
    /// Seconds the server asked us to wait (429/503).
    pub retry_after_secs: Option<u64>,
    /// The last error was permanent: wait the whole `max_delay_secs`, not the backoff.
    pub permanent: bool,
}

/// Backoff after `errors` consecutive errors: base × 2^(errors-1), capped.
pub fn backoff_secs(errors: i64, base: u64, cap: u64) -> u64 {
    if errors <= 0 {
        return 0;
    }
    let shift = u32::try_from(errors - 1).unwrap_or(u32::MAX).min(40);
    base.saturating_mul(1u64 << shift).min(cap)
}

impl Timing {
    /// The scheduler's timing knobs from `[daemon]`.
    pub fn from_config(daemon: &DaemonConfig) -> Result<Timing, String> {
        Ok(Timing {
            timezone: parse_timezone(&daemon.timezone)?,
            jitter_secs: daemon.jitter_secs,
            backoff_base_secs: daemon.backoff_base_secs,
            max_delay_secs: daemon.max_delay_secs,
        })
    }

    /// The next poll after `now`: the first scheduled time no earlier than every lower bound
    /// (backoff, or `max_delay_secs` after a permanent failure; freshness, Retry-After, each
    /// capped at `max_delay_secs`), plus `jitter` seconds.
    pub fn next_poll(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        bounds: Bounds,
        jitter: u64,
    ) -> (DateTime<Utc>, Reason) {
        let cap = self.max_delay_secs;
        let backoff = if bounds.permanent {
            (cap, Reason::Misconfigured)
        } else {
            (
                backoff_secs(bounds.errors, self.backoff_base_secs, cap),
                Reason::Backoff,
            )
        };
        let candidates = [
            backoff,
            (bounds.fresh_secs.unwrap_or(0).min(cap), Reason::Freshness),
            (
                bounds.retry_after_secs.unwrap_or(0).min(cap),
                Reason::RetryAfter,
            ),
        ];
        let (bound, reason) = candidates
            .into_iter()
            .filter(|(secs, _)| *secs > 0)
            .max_by_key(|(secs, _)| *secs)
            .unwrap_or((0, Reason::Schedule));
        let earliest = now + Duration::seconds(i64::try_from(bound).unwrap_or(i64::MAX / 2));
        // A cron line that never fires again (e.g. a date in the past) falls back to the cap.
        let at = schedule
            .next_after(earliest, self.timezone, bound > 0)
            .unwrap_or_else(|| earliest + Duration::seconds(cap as i64));
        let jitter = Duration::seconds(jitter.min(self.jitter_secs) as i64);
        (at + jitter, reason)
    }

    /// A random jitter in `0..=jitter_secs`.
    pub fn random_jitter(&self) -> u64 {
        if self.jitter_secs == 0 {
            0
        } else {
            fastrand::u64(0..=self.jitter_secs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn timing(tz: &str) -> Timing {
        Timing {
            timezone: parse_timezone(tz).unwrap(),
            jitter_secs: 0,
            backoff_base_secs: 300,
            max_delay_secs: 86_400,
        }
    }

    #[test]
    fn an_inclusive_bound_inside_a_second_is_never_undercut() {
        // A backoff of 600 s from 10:00:00.5 must not fire at 10:10:00, half a second early.
        let s = Schedule::parse("* * * * *").unwrap();
        let tz = parse_timezone("UTC").unwrap();
        let earliest = utc("2026-01-05T10:10:00.5Z");
        let at = s.next_after(earliest, tz, true).unwrap();
        assert!(at >= earliest, "{at}");
        assert_eq!(at, utc("2026-01-05T10:11:00Z"));
        let exact = utc("2026-01-05T10:10:00Z");
        assert_eq!(s.next_after(exact, tz, true), Some(exact));
    }

    #[test]
    fn five_fields_and_aliases() {
        let s = Schedule::parse("*/15 * * * *").unwrap();
        let t = utc("2026-01-05T10:07:00Z");
        let tz = parse_timezone("UTC").unwrap();
        assert_eq!(
            s.next_after(t, tz, false),
            Some(utc("2026-01-05T10:15:00Z"))
        );
        let h = Schedule::parse("@hourly").unwrap();
        assert_eq!(
            h.next_after(t, tz, false),
            Some(utc("2026-01-05T11:00:00Z"))
        );
        assert!(
            Schedule::parse("0 */15 * * * *").is_err(),
            "seconds refused"
        );
        assert!(Schedule::parse("every hour").is_err());
        assert!(parse_timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn sunday_is_zero_and_seven() {
        let tz = parse_timezone("UTC").unwrap();
        // 2026-01-05 is a Monday; the next Sunday is the 11th.
        let t = utc("2026-01-05T00:00:00Z");
        for line in ["0 9 * * 0", "0 9 * * 7", "0 9 * * SUN"] {
            let s = Schedule::parse(line).unwrap();
            assert_eq!(
                s.next_after(t, tz, false),
                Some(utc("2026-01-11T09:00:00Z")),
                "{line}"
            );
        }
        let mon = Schedule::parse("0 9 * * 1").unwrap();
        assert_eq!(
            mon.next_after(t, tz, false),
            Some(utc("2026-01-05T09:00:00Z"))
        );
    }

    #[test]
    fn daylight_saving_in_the_configured_zone() {
        let tz = parse_timezone("Europe/Berlin").unwrap();
        let daily = Schedule::parse("0 9 * * *").unwrap();
        // Clocks go forward on 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 UTC after.
        assert_eq!(
            daily.next_after(utc("2026-03-28T08:30:00Z"), tz, false),
            Some(utc("2026-03-29T07:00:00Z"))
        );
        // 02:30 does not exist on that day: the job still runs, right after the gap (03:00 CEST).
        let night = Schedule::parse("30 2 * * *").unwrap();
        let fired = night
            .next_after(utc("2026-03-28T23:00:00Z"), tz, false)
            .unwrap();
        assert_eq!(
            fired.date_naive(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert!(fired <= utc("2026-03-29T01:30:00Z"), "{fired}");
        // Clocks go back on 2026-10-25: 02:30 happens twice; the job runs once.
        let after = night
            .next_after(utc("2026-10-24T23:00:00Z"), tz, false)
            .unwrap();
        let again = night.next_after(after, tz, false).unwrap();
        assert!(again - after >= Duration::hours(23), "{after} then {again}");
        // Hourly jobs keep firing every real hour across the change.
        let hourly = Schedule::parse("0 * * * *").unwrap();
        let a = hourly
            .next_after(utc("2026-10-25T00:10:00Z"), tz, false)
            .unwrap();
        let b = hourly.next_after(a, tz, false).unwrap();
        assert_eq!(b - a, Duration::hours(1));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_secs(0, 300, 3600), 0);
        assert_eq!(backoff_secs(1, 300, 3600), 300);
        assert_eq!(backoff_secs(3, 300, 3600), 1200);
        assert_eq!(backoff_secs(10, 300, 3600), 3600);
        assert_eq!(backoff_secs(10_000, 300, 3600), 3600);
    }

    #[test]
    fn lower_bounds_push_the_schedule() {
        let t = timing("UTC");
        let s = Schedule::parse("*/10 * * * *").unwrap();
        let now = utc("2026-01-05T10:01:00Z");
        assert_eq!(
            t.next_poll(&s, now, Bounds::default(), 0),
            (utc("2026-01-05T10:10:00Z"), Reason::Schedule)
        );
        let errors = Bounds {
            errors: 3,
            ..Bounds::default()
        };
        // 3 errors → 1200 s → not before 10:21 → 10:30.
        assert_eq!(
            t.next_poll(&s, now, errors, 0),
            (utc("2026-01-05T10:30:00Z"), Reason::Backoff)
        );
        let retry = Bounds {
            errors: 1,
            retry_after_secs: Some(3600),
            fresh_secs: Some(60),
            permanent: false,
        };
        assert_eq!(
            t.next_poll(&s, now, retry, 0),
            (utc("2026-01-05T11:10:00Z"), Reason::RetryAfter)
        );
        // A year of max-age is capped at a day.
        let fresh = Bounds {
            fresh_secs: Some(31_536_000),
            ..Bounds::default()
        };
        let (at, reason) = t.next_poll(&s, now, fresh, 0);
        assert_eq!(
            (at, reason),
            (utc("2026-01-06T10:10:00Z"), Reason::Freshness)
        );
        // A bound that lands exactly on a firing time keeps it.
        let exact = Bounds {
            fresh_secs: Some(540),
            ..Bounds::default()
        };
        assert_eq!(
            t.next_poll(&s, now, exact, 0).0,
            utc("2026-01-05T10:10:00Z")
        );
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let mut t = timing("UTC");
        t.jitter_secs = 30;
        let s = Schedule::parse("0 * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 10, 1, 0).unwrap();
        for _ in 0..200 {
            let (at, _) = t.next_poll(&s, now, Bounds::default(), t.random_jitter());
            let base = utc("2026-01-05T11:00:00Z");
            assert!(at >= base && at <= base + Duration::seconds(30), "{at}");
        }
    }
}
