//! Puts files in place atomically: temporary file, rename, batched flushes.

use std::io::Write;
use std::path::Path;

use super::temp::temp_file_in;
use crate::error::{Error, Result};

/// Writes `contents` to `root/rel` through a temporary file and a rename, so a crash never
/// leaves a half-written file; folders are created as needed. Returns false (and writes
/// nothing) when the file already holds exactly these bytes.
pub fn write_atomic(root: &Path, rel: &Path, contents: &str) -> Result<bool> {
    write_file(root, rel, contents, true)
}

/// Like [`write_atomic`], but on Linux leaves flushing the bytes to disk to one later
/// [`sync_files`] for many files: one journal commit instead of one per file. Until then a
/// crash may leave such a file empty, so nothing may depend on it before that call (the
/// poll commits an article's row only after it; a rerun rewrites the file).
pub fn write_atomic_unsynced(root: &Path, rel: &Path, contents: &str) -> Result<bool> {
    write_file(root, rel, contents, !cfg!(target_os = "linux"))
}

fn write_file(root: &Path, rel: &Path, contents: &str, sync: bool) -> Result<bool> {
    let path = root.join(rel);
    if std::fs::read(&path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = temp_file_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(contents.as_bytes())
        .and_then(|_| {
            if sync {
                tmp.as_file().sync_all()
            } else {
                Ok(())
            }
        })
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    Ok(true)
}

/// Flushes to disk every file written under `root` by [`write_atomic_unsynced`], with their
/// names (Linux `syncfs` of the file system holding `root`; elsewhere those writes were
/// already synced one by one).
pub fn sync_files(root: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let dir = std::fs::File::open(root).map_err(|e| Error::io(root, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io(root, e.into()))?;
    }
    let _ = root;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsynced_writes_are_whole_files_flushed_together() {
        let dir = tempfile::tempdir().unwrap();
        let a = Path::new("f/2026/11/a.md");
        assert!(write_atomic_unsynced(dir.path(), a, "x").unwrap());
        assert!(!write_atomic_unsynced(dir.path(), a, "x").unwrap());
        assert!(write_atomic_unsynced(dir.path(), a, "yy").unwrap());
        sync_files(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(a)).unwrap(), "yy");
        assert_eq!(
            crate::output::remove_leftovers(dir.path()),
            0,
            "no temporary file is left"
        );
        #[cfg(target_os = "linux")]
        {
            let missing = dir.path().join("missing");
            let e = sync_files(&missing).unwrap_err().to_string();
            assert!(e.contains("missing"), "the error names the folder: {e}");
        }
    }

    #[test]
    fn atomic_write_is_idempotent_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let a = Path::new("a.md");
        assert!(write_atomic(dir.path(), a, "x").unwrap());
        assert!(!write_atomic(dir.path(), a, "x").unwrap());
        assert!(write_atomic(dir.path(), a, "y").unwrap());
        assert!(write_atomic(dir.path(), Path::new("s/b.md"), "z").unwrap());
        #[cfg(unix)]
        {
            // Same permissions as any file this process creates (the umask decides).
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(dir.path().join("plain"), "p").unwrap();
            let mode = |p: &str| {
                std::fs::metadata(dir.path().join(p))
                    .unwrap()
                    .permissions()
                    .mode()
            };
            assert_eq!(mode("a.md"), mode("plain"));
            std::fs::remove_file(dir.path().join("plain")).unwrap();
        }
        std::fs::remove_dir_all(dir.path().join("s")).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["a.md"]);
    }
}
