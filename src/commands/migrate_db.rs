//! `feedmark migrate-db --to postgres://…`: the SQLite database copied into PostgreSQL.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::is_postgres;

use super::Output;

/// Copies the configured SQLite database into the empty PostgreSQL database `to`, under the
/// SQLite lock (no fetch or daemon may write meanwhile), and says how to switch over.
pub fn run(config_path: &Path, to: &str) -> Result<Output> {
    let config = Config::load(config_path)?;
    let target = Path::new(to);
    if !is_postgres(target) {
        return Err(Error::Usage(format!(
            "--to must be a postgres:// or postgresql:// URL, not `{}`",
            crate::redact::urls(to)
        )));
    }
    if is_postgres(&config.database) {
        return Err(Error::Usage(
            "the configured database is already PostgreSQL: migrate-db copies a SQLite one".into(),
        ));
    }
    let _lock = crate::lock::DbLock::acquire(&config.database)?;
    let copied = crate::store::sqlite_to_postgres(&config.database, target)?;
    let mut text = String::new();
    for (table, rows) in &copied.tables {
        let _ = writeln!(text, "{table}: {rows} rows");
    }
    let _ = writeln!(
        text,
        "copied {} into PostgreSQL; to use it, set in {}:\n  database = \"{}\"",
        config.database.display(),
        config_path.display(),
        crate::redact::urls(to)
    );
    Ok(Output::done(text))
}
