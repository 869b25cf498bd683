//! `feedmark status`: each feed's state, as a table for people or JSON for scripts.

use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};

use super::Output;

/// The status of the feeds configured in `config_path`, as text to print; the table ends
/// with whether a feedmark process holds the database. With `check`, the output is
/// incomplete (exit code 1) when a configured feed is failing or dead, for monitoring.
pub fn run(config_path: &Path, json: bool, check: bool) -> Result<Output> {
    let config = Config::load(config_path)?;
    let rows = crate::status::states(&config)?;
    let healthy = !rows
        .iter()
        .any(|(s, configured)| *configured && crate::status::is_unhealthy(s));
    let text = if json {
        crate::status::to_json(&rows) + "\n"
    } else {
        let tz = crate::schedule::Timing::from_config(&config.daemon)
            .map_err(|message| Error::config(config_path, message))?
            .timezone;
        let held = if crate::store::is_postgres(&config.database) {
            let workers = crate::store::Store::open_read_only(&config.database)?.workers()?;
            crate::status::workers_lines(&workers, tz)
        } else {
            let holder = crate::lock::holder(&config.database)?;
            crate::status::holder_line(&config.database, holder.as_deref())
        };
        crate::status::to_table(&rows, tz) + &held
    };
    Ok(Output {
        text,
        complete: healthy || !check,
    })
}
