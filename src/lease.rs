//! Which of the feeds due now this process polls, when several share one database.
//!
//! The store decides ([`Store::lease_feeds`]): on PostgreSQL a feed is leased to one worker
//! at a time, and one whose holder died is taken over after `lease_secs`; on SQLite the
//! database's lock already makes this process the only writer, so every feed is granted.

use crate::config::{Config, FeedConfig};
use crate::error::Result;
use crate::store::Store;

/// `feeds` split into those leased to this process (at most `limit`) and those another
/// worker polls now or polled already for this round; the rest (free, over the limit) are
/// in neither and stay due. `due_by`: only feeds whose stored next poll is at or before it
/// (the daemon's due feeds); `None` takes any (a `fetch` polls everything now).
pub fn take(
    store: &Store,
    feeds: &[FeedConfig],
    due_by: Option<i64>,
    at: i64,
    config: &Config,
    limit: Option<usize>,
) -> Result<(Vec<FeedConfig>, Vec<FeedConfig>)> {
    let wanted: Vec<(&str, &str)> = feeds
        .iter()
        .map(|f| (f.name.as_str(), f.url.as_str()))
        .collect();
    let leased = store.lease_feeds(&wanted, due_by, at, config.lease_secs, limit)?;
    let pick = |names: &[String]| -> Vec<FeedConfig> {
        feeds
            .iter()
            .filter(|f| names.contains(&f.name))
            .cloned()
            .collect()
    };
    let (mine, elsewhere) = (pick(&leased.granted), pick(&leased.busy));
    for f in &elsewhere {
        tracing::info!(feed = %f.name, "feed {}: polled by another worker now (or already this round); skipped", f.name);
    }
    Ok((mine, elsewhere))
}

/// Gives the leases on `feeds` back once their polls are recorded; a failure only delays
/// the others until the lease runs out, so it is logged, not returned.
pub fn release(store: &Store, feeds: &[FeedConfig]) {
    let names: Vec<String> = feeds.iter().map(|f| f.name.clone()).collect();
    if let Err(e) = store.release_leases(&names) {
        tracing::warn!(
            "cannot release the leases of {} feeds (they expire on their own): {e}",
            names.len()
        );
    }
}
