//! Opens a database for reading only, beside a daemon that may be writing it (`status`).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Sqlite, schema};
use crate::error::{Error, Result};

impl Sqlite {
    /// Opens the database at `path` for reading: no lock, no write, no migration, so it works
    /// while `run` is active. Refuses a foreign file and a schema other than this feedmark's
    /// (a newer one could be misread; an older one lacks columns until `fetch` upgrades it).
    pub fn open_read_only(path: &Path) -> Result<Sqlite> {
        let conn = connect_read_only(path)?;
        // The daemon may be writing (or checkpointing) right now: wait for it rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::refuse_foreign(&conn, path)?;
        let version = schema::recorded_version(&conn)?;
        schema::refuse_newer(path, version)?;
        let newest = schema::newest();
        if version < newest {
            return Err(Error::Schema {
                path: path.to_path_buf(),
                message: format!(
                    "schema version {version} is older than {newest}; run `feedmark fetch` or `feedmark run` once to upgrade it"
                ),
            });
        }
        Ok(Sqlite {
            conn,
            path: path.to_path_buf(),
        })
    }
}

/// Opens the database for reading without creating anything beside it. A read-only SQLite
/// connection still creates the `-shm`/`-wal` files of a WAL database when they are missing,
/// owned by whoever runs `status` (root, say), which the service's user then cannot write.
/// They are missing only when no process has the database open, so nothing can change under
/// an `immutable` open then.
fn connect_read_only(path: &Path) -> Result<Connection> {
    let mut shm = path.as_os_str().to_os_string();
    shm.push("-shm");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
    if Path::new(&shm).exists() {
        return Ok(Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?);
    }
    let absolute = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
    let uri = url::Url::from_file_path(&absolute).map_err(|()| Error::Schema {
        path: path.to_path_buf(),
        message: "cannot express the path as a file: URI".into(),
    })?;
    Ok(Connection::open_with_flags(
        format!("{uri}?immutable=1"),
        flags,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::tests::NOW;

    /// Every file in `dir` with its bytes, sorted by name.
    fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn reads_a_closed_database_without_writing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        Sqlite::open(&path)
            .unwrap()
            .upsert_feed("a", "https://a/", NOW)
            .unwrap();
        let before = files(dir.path());
        let s = Sqlite::open_read_only(&path).unwrap();
        assert_eq!(s.feed_states().unwrap()[0].name, "a");
        assert!(s.upsert_feed("b", "https://b/", NOW).is_err(), "read only");
        drop(s);
        assert_eq!(files(dir.path()), before);
    }

    #[test]
    fn reads_beside_an_open_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let writer = Sqlite::open(&path).unwrap();
        writer.upsert_feed("a", "https://a/", NOW).unwrap();
        let s = Sqlite::open_read_only(&path).unwrap();
        writer.upsert_feed("b", "https://b/", NOW).unwrap();
        assert_eq!(s.feed_states().unwrap().len(), 2);
    }

    #[test]
    fn refuses_an_older_or_newer_schema_and_a_foreign_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let s = Sqlite::open(&path).unwrap();
        s.conn
            .execute("INSERT INTO schema_migrations VALUES (99, 'future', 0)", [])
            .unwrap();
        drop(s);
        let newer = Sqlite::open_read_only(&path).err().unwrap().to_string();
        assert!(newer.contains("newer"), "{newer}");

        let old = dir.path().join("old.db");
        let conn = Connection::open(&old).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0].2).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                 applied_at INTEGER NOT NULL);
             INSERT INTO schema_migrations VALUES (1, '0001_initial', 0);",
        )
        .unwrap();
        drop(conn);
        let older = Sqlite::open_read_only(&old).err().unwrap().to_string();
        assert!(older.contains("older"), "{older}");

        let foreign = dir.path().join("other.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE notes (x)")
            .unwrap();
        let before = std::fs::read(&foreign).unwrap();
        assert!(matches!(
            Sqlite::open_read_only(&foreign),
            Err(Error::Schema { .. })
        ));
        assert_eq!(std::fs::read(&foreign).unwrap(), before);
    }
}
