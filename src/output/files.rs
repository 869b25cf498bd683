//! Puts files in place atomically: temporary file, rename, batched flushes.

use std::io::Write;
use std::path::{Component, Path};

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
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    prepare_below(root, rel)?;
    if std::fs::read(&path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    let mut tmp = temp_file_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(contents.as_bytes())
        .and_then(|()| {
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

/// Creates the folders of `rel` below `root` one at a time, refusing any component that is
/// a symbolic link (the file's own name included). `root` itself may be a link: pointing
/// `output_dir` elsewhere is a deliberate choice. A link *inside* it would make feedmark
/// write files wherever the link points, which nobody chose when setting `output_dir`.
fn prepare_below(root: &Path, rel: &Path) -> Result<()> {
    let parts: Vec<_> = rel.components().collect();
    let mut path = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(Error::io(
                root.join(rel),
                refusal("is not a plain relative path"),
            ));
        };
        path.push(name);
        let last = i + 1 == parts.len();
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::io(&path, refusal(LINK_INSIDE)));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !last => {
                create_dir_here(&path)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Ok(())
}

const LINK_INSIDE: &str = "is a symbolic link inside the output folder; feedmark writes nothing \
     through one (make it a real folder, or point output_dir itself elsewhere)";

fn refusal(why: &str) -> std::io::Error {
    std::io::Error::other(why.to_string())
}

/// Creates one folder; one that appeared meanwhile is fine unless it is a link.
fn create_dir_here(path: &Path) -> Result<()> {
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => Err(Error::io(path, refusal(LINK_INSIDE))),
                Ok(_) => Ok(()),
                Err(e) => Err(Error::io(path, e)),
            }
        }
        Err(e) => Err(Error::io(path, e)),
    }
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

    #[cfg(unix)]
    #[test]
    fn links_inside_the_output_folder_are_not_written_through() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        symlink(elsewhere.path(), out.join("posts")).unwrap();
        let e = write_atomic(&out, Path::new("posts/2026/a.md"), "x").unwrap_err();
        let e = e.to_string();
        assert!(e.contains("posts") && e.contains("symbolic link"), "{e}");
        // A link as the file itself: the file it points at stays as it was.
        let target = elsewhere.path().join("t.md");
        std::fs::write(&target, "mine").unwrap();
        std::fs::create_dir(out.join("real")).unwrap();
        symlink(&target, out.join("real/b.md")).unwrap();
        assert!(write_atomic(&out, Path::new("real/b.md"), "x").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");
        let names: Vec<_> = std::fs::read_dir(elsewhere.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["t.md"], "nothing was created outside");
        // The output folder itself may be a link: users point it elsewhere on purpose.
        let linked = dir.path().join("linked");
        symlink(elsewhere.path(), &linked).unwrap();
        assert!(write_atomic(&linked, Path::new("f/c.md"), "z").unwrap());
        assert_eq!(
            std::fs::read_to_string(elsewhere.path().join("f/c.md")).unwrap(),
            "z"
        );
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
