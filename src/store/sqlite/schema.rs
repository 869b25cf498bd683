//! Brings a database's schema up to date: the migrations, applied in order and recorded.

use std::path::Path;

use rusqlite::{Connection, params};

use super::Sqlite;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};

/// The schema migrations, applied in order; each is recorded in `schema_migrations`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "0001_initial",
        include_str!("../../../migrations/0001_initial.sql"),
    ),
    (
        2,
        "0002_updates",
        include_str!("../../../migrations/0002_updates.sql"),
    ),
    (
        3,
        "0003_daemon",
        include_str!("../../../migrations/0003_daemon.sql"),
    ),
    (
        4,
        "0004_article_pages",
        include_str!("../../../migrations/0004_article_pages.sql"),
    ),
    (
        5,
        "0005_pages_as_served",
        include_str!("../../../migrations/0005_pages_as_served.sql"),
    ),
    (
        6,
        "0006_kept_pages_index",
        include_str!("../../../migrations/0006_kept_pages_index.sql"),
    ),
    (
        7,
        "0007_pending_pages",
        include_str!("../../../migrations/0007_pending_pages.sql"),
    ),
    (
        8,
        "0008_item_fidelity",
        include_str!("../../../migrations/0008_item_fidelity.sql"),
    ),
];

/// Refuses a database that holds tables but no `schema_migrations`: another program's
/// file, given as `database` by mistake. Only reads, so such a file is left exactly as it
/// was; it must run before anything is written (even the journal mode changes the header).
pub(super) fn refuse_foreign(conn: &Connection, path: &Path) -> Result<()> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if tables.is_empty() || tables.iter().any(|t| t == "schema_migrations") {
        return Ok(());
    }
    let mut shown = tables
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if tables.len() > 5 {
        shown.push_str(", ...");
    }
    Err(Error::Schema {
        path: path.to_path_buf(),
        message: format!(
            "not a feedmark database (it has other tables: {shown}); left unchanged, point `database` at a new file"
        ),
    })
}

/// The schema version a database records: the highest of its `user_version` and of the
/// migrations in `schema_migrations` (a newer feedmark may have set either). Only reads.
pub(super) fn recorded_version(conn: &Connection) -> Result<i64> {
    let user_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    let migrated: i64 = if has_table {
        conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?
    } else {
        0
    };
    Ok(user_version.max(migrated))
}

/// Refuses a database whose schema `version` is newer than this feedmark's migrations: it
/// was written by a later feedmark, and reading or changing it could misread or damage it.
pub(super) fn refuse_newer(path: &Path, version: i64) -> Result<()> {
    let newest = newest();
    if version > newest {
        return Err(Error::Schema {
            path: path.to_path_buf(),
            message: format!(
                "schema version {version} is newer than this feedmark knows ({newest}); upgrade feedmark"
            ),
        });
    }
    Ok(())
}

/// The version of the last migration this feedmark has.
pub(super) fn newest() -> i64 {
    MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0)
}

impl Sqlite {
    /// Applies every migration the database has not recorded; refuses a newer schema.
    pub(super) fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )?;
        let applied: Vec<i64> = self
            .conn
            .prepare("SELECT version FROM schema_migrations")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let current = applied.iter().copied().max().unwrap_or(0);
        refuse_newer(&self.path, recorded_version(&self.conn)?)?;
        // Every migration not yet recorded runs, in order: a migration numbered below one already
        // applied (branches merged in another order) is not skipped.
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql).map_err(|e| Error::Schema {
                path: self.path.clone(),
                message: format!("migration {name} failed: {e}"),
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                // A schema change happens in real time, whoever opens the database.
                params![version, name, SystemClock.now().timestamp()],
            )?;
            tx.pragma_update(None, "user_version", (*version).max(current))?;
            tx.commit()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn migrations_match_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sql")
                    .to_string()
            })
            .collect();
        files.sort();
        let names: Vec<String> = MIGRATIONS.iter().map(|m| m.1.to_string()).collect();
        assert_eq!(files, names);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let s = Sqlite::open(&path).unwrap();
        s.conn
            .execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)", [])
            .unwrap();
        drop(s);
        assert!(matches!(Sqlite::open(&path), Err(Error::Schema { .. })));
    }
}
