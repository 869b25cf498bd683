//! `feedmark status`: each feed's state, as a table for people or JSON for scripts.

use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};

/// The status of the feeds configured in `config_path`, as text to print.
pub fn run(config_path: &Path, json: bool) -> Result<String> {
    let config = Config::load(config_path)?;
    let rows = crate::status::states(&config)?;
    if json {
        return Ok(crate::status::to_json(&rows) + "\n");
    }
    let tz = crate::schedule::Timing::from_config(&config.daemon)
        .map_err(|message| Error::config(config_path, message))?
        .timezone;
    Ok(crate::status::to_table(&rows, tz))
}
