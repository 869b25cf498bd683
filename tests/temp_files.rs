//! Temporary files are owned: exports sharing a folder, and a killed export's leftovers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{RunResult, Server, SiteConfig, posts};

/// Enough articles that an export spends a while writing, so a second one overlaps it.
const ARTICLES: usize = 300;

/// One feed of `ARTICLES` stories, all fetched once into a database in `dir`.
fn fetched_config(dir: &Path) -> PathBuf {
    let server = Server::start();
    common::serve_stories(&server, ARTICLES, None);
    let mut config = SiteConfig::new();
    config.feed("many", server.url("/feed"));
    let config = config.write(dir);
    let run = RunResult::of(common::feedmark_cmd(&config).arg("fetch"));
    assert!(run.ok, "{run}");
    assert_eq!(posts(&dir.join("posts")).len(), ARTICLES);
    config
}

fn spawn(config: &Path, args: &[&std::ffi::OsStr]) -> Child {
    common::feedmark_process(config)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn export_to(config: &Path, dir: &Path) -> Child {
    spawn(
        config,
        &["export".as_ref(), "--out".as_ref(), dir.as_os_str()],
    )
}

/// Waits for `child`; panics with its output unless it succeeded.
fn succeeds(child: Child, who: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{who} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The pid of a process that has exited and been reaped: nobody owns its files any more.
/// Linux hands out pids in increasing order, so it is not reused within a test's lifetime.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn two_concurrent_exports_into_one_folder_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let config = fetched_config(dir.path());
    let expected = common::tree(&dir.path().join("posts"));
    for round in 0..10 {
        let out = dir.path().join(format!("out-{round}"));
        // The second export starts once the first is writing, so that its start-up cleaning
        // runs while the first one's temporary files come and go.
        let mut first = export_to(&config, &out);
        while posts(&out).is_empty() && first.try_wait().unwrap().is_none() {
            std::thread::yield_now();
        }
        let second = export_to(&config, &out);
        succeeds(first, &format!("round {round}: first export"));
        succeeds(second, &format!("round {round}: second export"));
        // The tree holds dot files too: equality also says no temporary file is left.
        assert!(
            common::tree(&out) == expected,
            "round {round}: files differ"
        );
    }
}

#[test]
fn export_keeps_a_live_process_temp_file_and_removes_a_dead_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = fetched_config(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("many")).unwrap();
    // This test process is alive and not the export: its file is another writer's, in flight.
    let live = out.join(format!("many/.feedmark-{}-abc123.tmp", std::process::id()));
    let dead = out.join(format!("many/.feedmark-{}-abc123.tmp", dead_pid()));
    std::fs::write(&live, "in flight").unwrap();
    std::fs::write(&dead, "partial").unwrap();
    succeeds(export_to(&config, &out), "export");
    assert!(live.exists(), "a live process's temporary file is kept");
    assert!(!dead.exists(), "a dead process's temporary file is removed");
    std::fs::remove_file(&live).unwrap();
    assert!(common::tree(&out) == common::tree(&dir.path().join("posts")));
}

#[test]
fn a_killed_archive_export_leaves_nothing_after_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = fetched_config(dir.path());
    let folder = dir.path().join("archives");
    std::fs::create_dir_all(&folder).unwrap();
    // What a SIGKILLed `export --archive` leaves: its half-written archive under a temp name.
    let leftover = folder.join(format!(".feedmark-{}-Xy12Zq.tmp", dead_pid()));
    std::fs::write(&leftover, b"\x1f\x8b half a gzip stream").unwrap();
    let archive = folder.join("site.tar.gz");
    let args = ["export".as_ref(), "--archive".as_ref(), archive.as_os_str()];
    succeeds(spawn(&config, &args), "export --archive");
    let names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["site.tar.gz"], "the leftover is gone");
}
