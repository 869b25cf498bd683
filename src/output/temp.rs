//! Temporary files named after the process that owns them, and the removal of dead ones'.
//!
//! A name is `.feedmark-<pid>-<random>.tmp`. Several processes may write into one folder at
//! once (two exports, an export and the daemon's poll), so a cleaner must tell another live
//! writer's file from a killed one's. It removes a temporary file only when
//! - it bears this process's own pid: cleaning runs at the start of a run, before this
//!   process has a temporary file of its own, so such a file was left by an earlier process
//!   that had the same pid (a container often gives the daemon the same pid every start);
//! - or its pid is not a live process;
//! - or nobody has written it for an hour ([`STALE_AFTER`]), whatever its name says. A live
//!   writer's file is always fresh (an article's exists for a few milliseconds between create
//!   and rename; an archive's grows steadily until its rename), so this only catches files
//!   whose pid was reused by an unrelated process, and those of the older
//!   `.feedmark-<random>.tmp` format, which name no owner.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// Start of every temporary file's name.
const TEMP_PREFIX: &str = ".feedmark-";
/// End of every temporary file's name.
const TEMP_SUFFIX: &str = ".tmp";

/// Age (since the last write) after which a temporary file is stale whoever owns it. An hour
/// is far beyond any write feedmark makes, and short enough that a leftover whose pid was
/// reused does not linger for long.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// A temporary file in `dir`, named after this process (so [`remove_leftovers`] leaves it
/// alone while the process lives), that once renamed is an ordinary file: mode 0666 less the
/// umask, as any program's new file. tempfile's own 0600 would hide the archive from a web
/// server or a Hugo run as another user.
pub fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Removes the temporary files of dead processes (and those unwritten for an hour) in
/// `dir` and its sub-folders (symbolic links are not followed); returns how many. Call it
/// only while this process has no temporary file in flight, as its own are removed too.
pub fn remove_leftovers(dir: &Path) -> usize {
    clean(dir, true, SystemTime::now())
}

/// [`remove_leftovers`] in `dir` alone, not its sub-folders: for the folder an archive is
/// written to, which may be any folder of the user's.
pub fn remove_leftovers_flat(dir: &Path) -> usize {
    clean(dir, false, SystemTime::now())
}

fn clean(dir: &Path, recurse: bool, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            if recurse {
                removed += clean(&path, true, now);
            }
        } else if kind.is_file()
            && entry.file_name().to_str().is_some_and(|name| {
                let modified = entry.metadata().and_then(|m| m.modified()).ok();
                is_leftover(name, modified, now)
            })
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// True when a file called `name`, last written at `modified`, is a temporary file that no
/// live process is writing.
fn is_leftover(name: &str, modified: Option<SystemTime>, now: SystemTime) -> bool {
    let Some(inner) = name
        .strip_prefix(TEMP_PREFIX)
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    // A time in the future (a clock set back) is not evidence of age.
    let stale = modified
        .and_then(|m| now.duration_since(m).ok())
        .is_some_and(|age| age >= STALE_AFTER);
    match owner(inner) {
        Some(pid) => stale || pid == std::process::id() || !alive(pid),
        None => stale,
    }
}

/// The pid in `<pid>-<random>`; None for the older `<random>` names, which hold no `-`.
fn owner(inner: &str) -> Option<u32> {
    let (pid, _) = inner.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok().filter(|&pid| pid > 0)
}

/// Whether a process `pid` exists. `kill(pid, 0)` sends nothing: it fails with ESRCH when
/// there is no such process, and with EPERM when there is one of another user.
#[cfg(target_os = "linux")]
fn alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Without a cheap check every owner counts as alive: only age removes its files.
#[cfg(not(target_os = "linux"))]
fn alive(_pid: u32) -> bool {
    true
}

// The tests need Linux's liveness check and its increasing pids.
#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    use std::fs::File;

    /// The pid of a process that has exited and been reaped. Linux hands out pids in
    /// increasing order, so it is not reused while a test runs.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    /// A live process that is not this one: the one that started the tests.
    fn live_foreign_pid() -> u32 {
        std::os::unix::process::parent_id()
    }

    /// Creates `dir/name`, last written `age` ago.
    fn file_aged(dir: &Path, name: &str, age: Duration) {
        let file = File::create(dir.join(name)).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn temp_files_name_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_file_in(dir.path()).unwrap();
        let name = tmp.path().file_name().unwrap().to_str().unwrap();
        let inner = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
            .unwrap();
        assert_eq!(owner(inner), Some(std::process::id()), "{name}");
    }

    #[test]
    fn only_dead_own_and_stale_temp_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = Duration::ZERO;
        let old = STALE_AFTER + Duration::from_secs(60);
        let (me, live, dead) = (std::process::id(), live_foreign_pid(), dead_pid());
        assert_ne!(me, live);
        assert!(alive(live) && !alive(dead));
        file_aged(dir.path(), &format!(".feedmark-{live}-aaaaaa.tmp"), fresh);
        file_aged(dir.path(), &format!(".feedmark-{live}-bbbbbb.tmp"), old);
        file_aged(dir.path(), &format!(".feedmark-{dead}-cccccc.tmp"), fresh);
        file_aged(dir.path(), &format!(".feedmark-{me}-dddddd.tmp"), fresh);
        file_aged(dir.path(), ".feedmark-Ab12Cd.tmp", fresh);
        file_aged(dir.path(), ".feedmark-Ef34Gh.tmp", old);
        // Not temporary files of feedmark's, however old.
        file_aged(dir.path(), ".feedmark-1-x.md", old);
        file_aged(dir.path(), "feedmark-1-x.tmp", old);
        assert_eq!(remove_leftovers(dir.path()), 4);
        let mut kept = vec![
            format!(".feedmark-{live}-aaaaaa.tmp"),
            ".feedmark-1-x.md".to_string(),
            ".feedmark-Ab12Cd.tmp".to_string(),
            "feedmark-1-x.tmp".to_string(),
        ];
        kept.sort();
        assert_eq!(
            names(dir.path()),
            kept,
            "kept: a live process's fresh file, a fresh old-format one, other files"
        );
    }

    #[test]
    fn owners_are_read_from_names() {
        assert_eq!(owner("123-Ab12Cd"), Some(123));
        assert_eq!(owner("Ab12Cd"), None, "older format");
        assert_eq!(
            owner("0-Ab12Cd"),
            None,
            "kill(0, 0) would ask about our own group"
        );
        assert_eq!(owner("+5-Ab12Cd"), None);
        assert_eq!(owner("-Ab12Cd"), None);
        assert_eq!(owner("99999999999-Ab12Cd"), None);
        assert!(!alive(u32::MAX), "not a valid pid");
        let now = SystemTime::now();
        let ahead = Some(now + STALE_AFTER * 2);
        assert!(
            !is_leftover(".feedmark-Ab12Cd.tmp", ahead, now),
            "clock set back"
        );
        assert!(
            !is_leftover(".feedmark-Ab12Cd.tmp", None, now),
            "no time known"
        );
    }

    #[test]
    fn sub_folders_are_cleaned_unless_flat() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("s");
        std::fs::create_dir(&sub).unwrap();
        let name = format!(".feedmark-{}-zzzzzz.tmp", dead_pid());
        file_aged(dir.path(), &name, Duration::ZERO);
        file_aged(&sub, &name, Duration::ZERO);
        assert_eq!(remove_leftovers_flat(dir.path()), 1);
        assert_eq!(names(&sub), vec![name]);
        assert_eq!(remove_leftovers(dir.path()), 1);
        assert!(names(&sub).is_empty());
    }
}
