//! When the daemon wakes for pending article pages, whether or not their feeds are due.

use chrono::{DateTime, TimeZone, Utc};

/// The least time between two wakes for pending article pages: pages that fall due close
/// together are tried in one poll, and a store that cannot record a retry (so that the page
/// stays due) does not make a busy loop.
pub const RETRY_GAP_SECS: i64 = 30;

/// When to wake for a pending page due at `due` (Unix seconds), after a poll that started at
/// `polled_at`: at `due`, but not within [`RETRY_GAP_SECS`] of that poll. Pages due "at the
/// next poll" (`page_retry_secs = 0`) never set a wake: they go with their feeds' polls.
pub fn retry_wake(due: i64, polled_at: DateTime<Utc>) -> DateTime<Utc> {
    let earliest = polled_at + chrono::Duration::seconds(RETRY_GAP_SECS);
    Utc.timestamp_opt(due, 0)
        .single()
        .map_or(earliest, |t| t.max(earliest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_pending_page_wakes_the_daemon_when_due_but_not_in_a_busy_loop() {
        let polled = utc("2026-01-05T10:00:00Z");
        let later = utc("2026-01-05T10:05:00Z");
        assert_eq!(retry_wake(later.timestamp(), polled), later);
        let past = utc("2026-01-05T09:00:00Z").timestamp();
        assert_eq!(retry_wake(past, polled), utc("2026-01-05T10:00:30Z"));
        assert_eq!(retry_wake(i64::MIN, polled), utc("2026-01-05T10:00:30Z"));
    }
}
