//! `feedmark fetch`: one poll of the feeds, on the locked database or, for a dry run, a copy.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::lock::Writer;
use crate::pipeline::{Pipeline, Summary};
use crate::store::Store;

use super::Output;

/// The database a fetch works on.
pub enum Database {
    /// A private copy in memory: a dry run changes nothing, so it needs no lock.
    Copy(Store),
    /// The database itself, under its lock.
    Locked(Writer),
}

impl Database {
    /// A copy of the database at `path` (an empty one when there is no file yet).
    pub fn copy(path: &Path) -> Result<Database> {
        Ok(Database::Copy(Store::snapshot(path)?))
    }

    fn store(&mut self) -> &mut Store {
        match self {
            Database::Copy(store) => store,
            Database::Locked(writer) => writer.store(),
        }
    }
}

/// Polls every feed (or the one named `feed`) once with `pipeline`, storing into `db`.
///
/// A config without feeds is an error (exit code 2, as for any config mistake): an
/// all-zero summary would look like a poll that found nothing new.
pub async fn run(pipeline: &Pipeline, db: &mut Database, feed: Option<&str>) -> Result<Output> {
    let config = pipeline.config();
    if feed.is_none() && config.feeds.is_empty() {
        return Err(config.error(
            "no feeds configured: add one with `feedmark feeds add URL` \
             (or `feedmark import-opml FILE`)",
        ));
    }
    let summary = pipeline.fetch(db.store(), feed).await?;
    if looks_offline(&summary) {
        tracing::warn!("{OFFLINE_HINT}");
    }
    Ok(output(&summary))
}

/// Said when no feed could even be reached: a newcomer without network can still try
/// feedmark on the bundled loopback site.
pub const OFFLINE_HINT: &str = "no feed could be reached (name lookup or connection failed): \
    is this machine offline? The README's \"Offline try-out\" fetches a bundled site on \
    127.0.0.1 (examples/offline)";

/// Every feed failed, and each before any server answered: the network, not the feeds, is
/// the likely problem. One feed that answered (even with an error) rules that out.
pub fn looks_offline(summary: &Summary) -> bool {
    summary.feeds_ok == 0
        && summary.feeds_failed > 0
        && summary.feeds_unreachable == summary.feeds_failed
}

/// What a fetch prints: a dry run's planned files first, then the summary line; it is
/// incomplete when a feed failed.
pub fn output(summary: &Summary) -> Output {
    let mut text = String::new();
    if summary.dry_run {
        for planned in &summary.planned {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{planned}");
        }
    }
    let _ = writeln!(text, "{summary}");
    Output {
        text,
        complete: summary.feeds_failed == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_feed_makes_the_output_incomplete() {
        let ok = output(&Summary {
            feeds_ok: 2,
            ..Summary::default()
        });
        assert!(ok.complete);
        assert!(ok.text.ends_with('\n') && ok.text.lines().count() == 1);
        let failed = output(&Summary {
            feeds_ok: 1,
            feeds_failed: 1,
            ..Summary::default()
        });
        assert!(!failed.complete);
    }

    #[test]
    fn only_a_poll_where_no_feed_was_reached_looks_offline() {
        let all = Summary {
            feeds_failed: 2,
            feeds_unreachable: 2,
            ..Summary::default()
        };
        assert!(looks_offline(&all));
        let one_answered = Summary {
            feeds_unreachable: 1,
            ..all.clone()
        };
        assert!(!looks_offline(&one_answered));
        let one_ok = Summary {
            feeds_ok: 1,
            ..all.clone()
        };
        assert!(!looks_offline(&one_ok));
        assert!(!looks_offline(&Summary::default()));
    }

    #[test]
    fn a_dry_run_lists_its_planned_files_before_the_summary() {
        let planned = crate::pipeline::Planned {
            feed: "a".into(),
            path: "a/one.md".into(),
            title: "One".into(),
            method: crate::extract::Method::Generic,
            update: false,
        };
        let summary = Summary {
            feeds_ok: 1,
            planned: vec![planned.clone()],
            dry_run: true,
            ..Summary::default()
        };
        let text = output(&summary).text;
        assert_eq!(text, format!("{planned}\n{summary}\n"));
    }

    #[test]
    fn a_dry_run_on_a_copy_leaves_no_database_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let mut db = Database::copy(&path).unwrap();
        db.store().upsert_feed("a", "https://a/feed", 0).unwrap();
        assert!(!path.exists());
    }
}
