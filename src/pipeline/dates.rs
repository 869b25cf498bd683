//! An item's date: the feed's own, else the time feedmark first saw it, never silently.

use chrono::{DateTime, TimeZone, Utc};

use crate::feed::Item;
use crate::store::DateSource;

/// The date the feed gives the item: its publication time, else its update time.
pub(super) fn feed_date(item: &Item) -> Option<DateTime<Utc>> {
    item.published.or(item.updated)
}

/// The item's date, as `feeds test` shows it: the feed's, else `now` (when it is seen).
pub(super) fn item_date(item: &Item, now: DateTime<Utc>) -> DateTime<Utc> {
    feed_date(item).unwrap_or_else(|| to_the_second(now))
}

/// The date a new article is stored with, and where it came from. An item without a date
/// feedmark can read is dated by `now`, when the poll first saw it, with a warning naming
/// the feed, the item and the string the feed wrote (when there was one). The date is
/// stored once: later polls, updates, `export` and `reextract` keep it.
pub(super) fn date_to_store(
    feed: &str,
    item: &Item,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateSource) {
    if let Some(date) = feed_date(item) {
        return (date, DateSource::Feed);
    }
    let date = to_the_second(now);
    let why = match item.unparsed_date.as_deref() {
        Some(text) => format!("its date `{}` could not be read", shown_text(text)),
        None => "it has no date".to_string(),
    };
    let when = date.format("%Y-%m-%d %H:%M:%S");
    tracing::warn!(feed = %feed, "feed {feed}: item {}: {why}; dated {when} UTC, when it was first seen (kept from now on)", super::describe(item));
    (date, DateSource::FirstSeen)
}

/// Says that an article dated by when it was first seen now has a date in its feed, which is
/// not taken: the date decides the file's path, and an archive's files must not move.
pub(super) fn note_late_date(feed: &str, item: &Item, stored_at: i64) {
    let Some(date) = feed_date(item) else {
        return;
    };
    let kept = DateTime::from_timestamp(stored_at, 0).unwrap_or_default();
    tracing::info!(feed = %feed, "feed {feed}: item {}: the feed now dates it {}; the first-seen date {} is kept, so that its file does not move", super::describe(item), date.format("%Y-%m-%d %H:%M:%S"), kept.format("%Y-%m-%d %H:%M:%S"));
}

/// A feed's date string for a log line: at most 80 characters, on one line.
fn shown_text(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(80)
        .collect()
}

/// `t` without its fraction of a second, like the dates feeds give.
fn to_the_second(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(t.timestamp(), 0)
        .single()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undated_item_is_dated_by_the_poll_to_the_second_and_flagged() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
            + chrono::Duration::milliseconds(700);
        let item = Item {
            title: "t".into(),
            unparsed_date: Some("sometime\n soon".into()),
            ..Item::default()
        };
        let (date, source) = date_to_store("f", &item, now);
        assert_eq!(date.to_rfc3339(), "2026-03-01T10:00:00+00:00");
        assert_eq!(source, DateSource::FirstSeen);
        assert_eq!(shown_text("sometime\n soon"), "sometime soon");
        let dated = Item {
            updated: Some(Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap()),
            ..item
        };
        let (date, source) = date_to_store("f", &dated, now);
        assert_eq!(
            (date.timestamp(), source),
            (1_735_787_045, DateSource::Feed)
        );
    }
}
