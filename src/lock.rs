//! One writer per SQLite database: an exclusive advisory lock on `<database>.lock`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::store::Store;

/// The database opened for writing, under the lock that keeps every other writer out.
///
/// Only [`open_for_write`] makes one, so code that takes a `Writer` cannot write unlocked.
pub struct Writer {
    store: Store,
    lock: DbLock,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("lock", &self.lock)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// The store, to write to.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The lock and the store apart, for a holder that keeps both for its whole life.
    pub fn into_parts(self) -> (DbLock, Store) {
        (self.lock, self.store)
    }
}

/// Takes the lock beside `database`, then opens it: what every command that writes does first.
///
/// The lock comes first, so a refused process has not touched the database (no migration,
/// no WAL file). Fails with [`Error::Locked`] while another process holds it.
///
/// A PostgreSQL database has no lock file: several processes may write it, and who polls
/// what is decided in the database (leases, see [`Store::lease_feeds`]).
pub fn open_for_write(database: &Path) -> Result<Writer> {
    let lock = if crate::store::is_postgres(database) {
        tracing::debug!("PostgreSQL database: no lock file; workers share feeds through leases");
        DbLock {
            _file: None,
            path: PathBuf::new(),
        }
    } else {
        DbLock::acquire(database)?
    };
    let store = Store::open(database)?;
    Ok(Writer { store, lock })
}

/// Held for as long as a process writes to the database; released on drop or process exit
/// (the kernel drops a `flock` when its holder dies, so a crash never leaves a stale lock).
#[derive(Debug)]
pub struct DbLock {
    /// `None` for a PostgreSQL database, which needs no lock file.
    _file: Option<File>,
    path: PathBuf,
}

impl DbLock {
    /// Takes the lock beside `database`, or fails at once with [`Error::Locked`].
    pub fn acquire(database: &Path) -> Result<DbLock> {
        let path = lock_path(database);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                file.read_to_string(&mut pid).ok();
                let pid = pid.trim();
                return Err(Error::Locked {
                    database: database.to_path_buf(),
                    lock: path,
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
        // The pid is only for the message the next process prints.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(|e| Error::io(&path, e))?;
        Ok(DbLock {
            _file: Some(file),
            path,
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether some process holds the lock beside `database`, without taking it (a probe that
/// took it, even for an instant, could refuse a `fetch` starting at that moment): `None`
/// when free, else the holder's pid as the lock file says it (empty when it says none).
///
/// Reads the kernel's lock table (`/proc/locks`); where there is none, a shared lock is
/// tried and dropped at once instead.
pub fn holder(database: &Path) -> Result<Option<String>> {
    if crate::store::is_postgres(database) {
        return Ok(None);
    }
    let path = lock_path(database);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let held = match std::fs::read_to_string("/proc/locks") {
        Ok(table) => in_lock_table(&table, &file.metadata().map_err(|e| Error::io(&path, e))?),
        Err(_) => match file.try_lock_shared() {
            Ok(()) => false,
            Err(TryLockError::WouldBlock) => true,
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        },
    };
    if !held {
        return Ok(None);
    }
    let mut pid = String::new();
    file.read_to_string(&mut pid).ok();
    Ok(Some(pid.trim().to_string()))
}

/// Whether `/proc/locks` lists a lock on the file of `meta` (`... MAJ:MIN:INODE ...`, the
/// device numbers in hex).
fn in_lock_table(table: &str, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let id = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    table
        .lines()
        .any(|line| line.split_whitespace().any(|field| field == id))
}

/// `<database>.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/f.db");
        let first = DbLock::acquire(&db).unwrap();
        assert_eq!(first.path(), dir.path().join("sub/f.db.lock"));
        let err = DbLock::acquire(&db).unwrap_err().to_string();
        assert!(err.contains("in use by another feedmark process"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        DbLock::acquire(&db).unwrap();
    }

    #[test]
    fn holder_names_the_pid_while_held_and_none_after() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("f.db");
        assert_eq!(holder(&db).unwrap(), None, "no lock file yet");
        let held = DbLock::acquire(&db).unwrap();
        assert_eq!(holder(&db).unwrap(), Some(std::process::id().to_string()));
        // The probe did not take the lock: a writer is still refused, then admitted.
        assert!(DbLock::acquire(&db).is_err());
        drop(held);
        assert_eq!(
            holder(&db).unwrap(),
            None,
            "the pid left in the file is stale"
        );
        DbLock::acquire(&db).unwrap();
    }

    #[test]
    fn open_for_write_is_refused_under_a_held_lock_and_leaves_no_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("f.db");
        let held = DbLock::acquire(&db).unwrap();
        let err = open_for_write(&db).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        assert!(
            !db.exists(),
            "a refused writer must not create the database"
        );
        drop(held);
        let mut writer = open_for_write(&db).unwrap();
        writer
            .store()
            .upsert_feed("a", "https://a/feed", 0)
            .unwrap();
        assert!(matches!(open_for_write(&db), Err(Error::Locked { .. })));
        let (lock, _store) = writer.into_parts();
        assert_eq!(lock.path(), dir.path().join("f.db.lock"));
    }
}
