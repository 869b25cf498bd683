//! `feedmark status`: each feed's last success, last error, error count, next poll, articles, pending pages.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::error::Result;
use crate::store::{FeedState, Store};

/// A time in `tz` as `YYYY-MM-DD HH:MM:SS ZONE`.
pub fn format_time(t: i64, tz: Tz) -> String {
    Utc.timestamp_opt(t, 0).single().map_or_else(
        || t.to_string(),
        |d| {
            d.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        },
    )
}

/// Every configured feed's state (a feed never polled has an empty one), then stored feeds
/// no longer in the config. Reads the database without taking the lock or writing to it, so
/// it works while `run` is active.
pub fn states(config: &Config) -> Result<Vec<(FeedState, bool)>> {
    let stored = if crate::store::exists(&config.database) {
        Store::open_read_only(&config.database)?.feed_states()?
    } else {
        Vec::new()
    };
    let mut out: Vec<(FeedState, bool)> = config
        .feeds
        .iter()
        .map(|f| {
            let state = stored.iter().find(|s| s.name == f.name).cloned();
            let state = state.unwrap_or_else(|| FeedState {
                name: f.name.clone(),
                url: f.url.clone(),
                ..FeedState::default()
            });
            (state, true)
        })
        .collect();
    for s in stored {
        if config.feed(&s.name).is_none() {
            out.push((s, false));
        }
    }
    Ok(out)
}

/// The JSON document `status --json` prints: an array of feed objects, times in Unix seconds.
pub fn to_json(rows: &[(FeedState, bool)]) -> String {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|(s, configured)| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("configured".into(), (*configured).into());
                map.insert("state".into(), state_word(s).into());
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".into())
}

/// Whether a monitoring script should hear about this feed: it is dead (410 Gone) or its
/// last poll failed. A feed never polled yet is not.
pub fn is_unhealthy(s: &FeedState) -> bool {
    matches!(state_word(s), "dead" | "failing")
}

/// The line under the table saying whether a feedmark process holds the database.
pub fn holder_line(database: &std::path::Path, holder: Option<&str>) -> String {
    let db = database.display();
    match holder {
        None => format!("database {db}: not held (no feedmark daemon or fetch is writing it)\n"),
        Some("") => format!("database {db}: held by a feedmark process (daemon or fetch)\n"),
        Some(pid) => {
            format!("database {db}: held by feedmark process {pid} (daemon or fetch)\n")
        }
    }
}

/// The lines under the table for a shared (PostgreSQL) database: each worker, whether it is
/// alive, when it was last seen and the feeds it holds a lease on.
pub fn workers_lines(workers: &[crate::store::Worker], tz: Tz) -> String {
    if workers.is_empty() {
        return "workers: none yet (no `feedmark run` or `fetch` has used this database)\n".into();
    }
    let mut out = format!("workers: {}\n", workers.len());
    for w in workers {
        let state = match (w.alive, w.stopped_at) {
            (true, _) => "running",
            (false, Some(_)) => "stopped",
            (false, None) => "lost (not seen within its lease)",
        };
        let leases = if w.leases.is_empty() {
            "-".to_string()
        } else {
            w.leases.join(", ")
        };
        out.push_str(&format!(
            "  worker {} (pid {} on {}): {state}, last seen {}, leases: {leases}\n",
            w.id,
            w.pid,
            w.host,
            format_time(w.last_seen_at, tz)
        ));
    }
    out
}

fn state_word(s: &FeedState) -> &'static str {
    if s.dead_at.is_some() {
        "dead"
    } else if s.last_checked_at.is_none() {
        "new"
    } else if s.error_count > 0 {
        "failing"
    } else {
        "ok"
    }
}

/// A readable table, one feed per line, times in `tz`.
pub fn to_table(rows: &[(FeedState, bool)], tz: Tz) -> String {
    let time = |t: Option<i64>| t.map_or_else(|| "-".to_string(), |t| format_time(t, tz));
    let mut lines = vec![[
        "FEED".to_string(),
        "STATE".into(),
        "LAST SUCCESS".into(),
        "ERRORS".into(),
        "NEXT POLL".into(),
        "ARTICLES".into(),
        "UNDATED".into(),
        "PENDING".into(),
        "LAST ERROR".into(),
    ]];
    for (s, configured) in rows {
        let state = if *configured {
            state_word(s).to_string()
        } else {
            format!("{} (not in config)", state_word(s))
        };
        let error = match (&s.last_error, s.last_error_at) {
            (Some(e), Some(at)) if s.error_count > 0 || s.dead_at.is_some() => {
                format!("{} at {}", e, format_time(at, tz))
            }
            _ => "-".into(),
        };
        let next = if s.dead_at.is_some() {
            "never (410 Gone)".into()
        } else {
            time(s.next_poll_at)
        };
        lines.push([
            s.name.clone(),
            state,
            time(s.last_success_at),
            s.error_count.to_string(),
            next,
            s.articles.to_string(),
            s.undated_items.to_string(),
            s.pending_pages.to_string(),
            error,
        ]);
    }
    // Sized from the header, so that a new column cannot silently drop the last one.
    let mut widths = vec![0usize; lines[0].len()];
    let last = widths.len() - 1;
    for l in &lines {
        for (w, cell) in widths.iter_mut().zip(l) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == last {
                    c.clone()
                } else {
                    format!("{c:w$}", w = *w)
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
