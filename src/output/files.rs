//! Puts files in place atomically: temporary file, rename, batched flushes, leftovers removed.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Prefix of temporary files; anything with it in the output folder is a leftover.
const TEMP_PREFIX: &str = ".feedmark-";

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

/// A temporary file in `dir` (named so [`remove_leftovers`] finds it) that, once renamed,
/// is an ordinary file: mode 0666 less the umask, as any program's new file. tempfile's own
/// 0600 would hide the archive from a web server or a Hugo run as another user.
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Removes temporary files a killed process left in `dir` and its sub-folders (symbolic
/// links are not followed); returns how many.
pub fn remove_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            removed += remove_leftovers(&path);
        } else if kind.is_file()
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(".tmp"))
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
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
        assert_eq!(remove_leftovers(dir.path()), 0, "no temporary file is left");
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
        std::fs::write(dir.path().join(".feedmark-zz.tmp"), "partial").unwrap();
        std::fs::write(dir.path().join("s/.feedmark-yy.tmp"), "partial").unwrap();
        assert_eq!(remove_leftovers(dir.path()), 2);
        std::fs::remove_dir_all(dir.path().join("s")).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["a.md"]);
    }
}
