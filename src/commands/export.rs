//! `feedmark export`: the archive written again from the database, into a folder or a tarball.

use indicatif::ProgressBar;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::export::Target;
use crate::store::{ArticleFilter, Store};

use super::Output;

/// Refuses a database that does not exist yet: opening it would make an empty one.
pub fn require_database(config: &Config) -> Result<()> {
    if crate::store::exists(&config.database) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "database {} does not exist: nothing to export (run `feedmark fetch` first)",
        config.database.display()
    )))
}

/// Writes the articles `filter` selects from `store` to `target`, counting them on `bar`.
pub fn run(
    config: &Config,
    store: &Store,
    filter: &ArticleFilter,
    target: &Target,
    bar: &ProgressBar,
) -> Result<Output> {
    if let Some(name) = &filter.feed
        && store.feed(name)?.is_none()
    {
        return Err(Error::Usage(format!(
            "no feed named `{name}` in {}",
            config.database.display()
        )));
    }
    bar.set_length(store.count_articles(filter)?);
    let summary = crate::export::export(store, config, filter, target, &mut || bar.inc(1))?;
    Ok(Output::done(format!("{summary}\n")))
}

/// A `--since` or `--until` value as Unix seconds; `end_of_day` takes a bare day's last second.
pub fn bound(flag: &str, value: Option<&str>, end_of_day: bool) -> Result<Option<i64>> {
    value
        .map(|s| crate::export::parse_bound(s, end_of_day))
        .transpose()
        .map_err(|message| Error::Usage(format!("{flag}: {message}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_database_is_refused_before_it_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse("", dir.path()).unwrap();
        let err = require_database(&config).unwrap_err().to_string();
        assert!(err.contains("does not exist: nothing to export"), "{err}");
        assert!(!config.database.exists());
    }

    #[test]
    fn an_unknown_feed_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse("", dir.path()).unwrap();
        let store = Store::open(&config.database).unwrap();
        let filter = ArticleFilter {
            feed: Some("nope".into()),
            ..ArticleFilter::default()
        };
        let target = Target::Dir(dir.path().join("out"));
        let err = run(&config, &store, &filter, &target, &ProgressBar::hidden()).unwrap_err();
        assert!(
            err.to_string().starts_with("no feed named `nope` in "),
            "{err}"
        );
        assert!(!dir.path().join("out").exists());
    }

    #[test]
    fn bounds_name_their_flag() {
        assert_eq!(bound("--since", None, false).unwrap(), None);
        assert!(
            bound("--until", Some("2025-02-13"), true)
                .unwrap()
                .is_some()
        );
        let err = bound("--since", Some("yesterday"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--since: ") && err.contains("yesterday"),
            "{err}"
        );
    }
}
