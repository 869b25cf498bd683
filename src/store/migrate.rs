//! `migrate-db`: a SQLite database copied whole into an empty PostgreSQL one.

use std::path::Path;

use super::pg::Pg;
use super::sqlite::Sqlite;
use crate::error::{Error, Result};

/// Rows copied per round trip.
const CHUNK: usize = 500;

/// What was copied: each table with its number of rows.
#[derive(Debug, Default)]
pub struct Copied {
    pub tables: Vec<(String, u64)>,
}

/// Copies every table of the SQLite database at `from` (upgraded to this feedmark's schema
/// first) into the PostgreSQL database `to`, which must hold no feed and no article yet.
/// All in one transaction: a failed copy leaves `to` as empty as it was.
pub fn sqlite_to_postgres(from: &Path, to: &Path) -> Result<Copied> {
    if !from.exists() {
        return Err(Error::Usage(format!(
            "database {} does not exist: nothing to migrate",
            from.display()
        )));
    }
    let source = Sqlite::open(from)?;
    let mut target = Pg::open(to)?;
    if !target.is_empty()? {
        return Err(Error::Usage(
            "migrate-db: the PostgreSQL database already holds feeds or articles; \
             copy into an empty one"
                .into(),
        ));
    }
    target.begin_batch()?;
    let copied = copy_tables(&source, &target);
    match copied {
        Ok(copied) => {
            target.reset_ids()?;
            target.commit_batch()?;
            Ok(copied)
        }
        Err(e) => {
            target.rollback_batch();
            Err(e)
        }
    }
}

fn copy_tables(source: &Sqlite, target: &Pg) -> Result<Copied> {
    let mut copied = Copied::default();
    for (table, columns) in source.tables()? {
        let types = target.column_types(&table, &columns)?;
        let n = source.each_chunk(&table, &columns, CHUNK, |rows| {
            target.insert_rows(&table, &columns, &types, rows)
        })?;
        tracing::info!(table = %table, rows = n, "copied {table}: {n} rows");
        copied.tables.push((table, n));
    }
    Ok(copied)
}
