//! A full disk under the database and the output folder (a small tmpfs, mounted by the test):
//! `fetch` fails with one clear message, leaves no file without its row, claims nothing it
//! did not store, and stores every article once space returns.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Route, Server, feedmark_cmd, posts, run};

const ARTICLES: usize = 40;

/// A tmpfs of `size` at `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` where this process may not mount (not root, or no mount namespace rights).
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A feed of [`ARTICLES`] articles whose pages carry ~12 KB of text each.
fn serve() -> Server {
    let server = Server::start();
    let items: Vec<(String, String)> = (0..ARTICLES)
        .map(|i| (format!("story-{i}"), format!("Story {i}")))
        .collect();
    let refs: Vec<(&str, &str)> = items
        .iter()
        .map(|(s, t)| (s.as_str(), t.as_str()))
        .collect();
    server.route(
        "/feed.xml",
        Route::ok("application/rss+xml", common::rss(&server.base, &refs)),
    );
    for (i, (slug, _)) in items.iter().enumerate() {
        let para = format!(
            "<p>Paragraph of story {i} with its own words, {}.</p>",
            "x".repeat(i)
        );
        let body = format!(
            "<html><body><article>{}</article></body></html>",
            (0..120)
                .map(|n| para.replace("words", &format!("words {n}")))
                .collect::<String>()
        );
        server.route(&format!("/a/{slug}"), Route::ok("text/html", body));
    }
    server
}

fn config(dir: &Path, server: &Server) -> PathBuf {
    let text = format!(
        "database = \"disk/feedmark.db\"\noutput_dir = \"disk/posts\"\n\n[http]\n\
         allow_private_networks = true\nper_host_delay_ms = 0\nper_host_concurrency = 8\n\n\
         [[feeds]]\nname = \"n\"\nurl = \"{}\"\n",
        server.url("/feed.xml")
    );
    let path = dir.join("feedmark.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Slugs (`story-7`) of the stored articles' titles (none before the database exists).
fn stored_files(db: &Path) -> HashSet<String> {
    if !db.exists() {
        return HashSet::new();
    }
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT title FROM articles").unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|t| t.unwrap().to_lowercase().replace(' ', "-"))
        .collect()
}

/// Every article file on disk has its row, and the other way round; no temporary file.
fn assert_consistent(disk: &Path) -> usize {
    let rows = stored_files(&disk.join("feedmark.db"));
    let files: Vec<PathBuf> = posts(&disk.join("posts"));
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            f.extension().is_none_or(|e| e != "tmp"),
            "temporary file left: {}",
            f.display()
        );
        // `story-7-<hash>.md`: the slug of its title, then a hash of its key.
        let slug = name.rsplit_once('-').map_or(name.as_str(), |(s, _)| s);
        assert!(
            rows.contains(slug),
            "orphan file without its row: {} ({} files, {} rows)",
            f.display(),
            files.len(),
            rows.len()
        );
    }
    assert_eq!(files.len(), rows.len(), "rows without their file");
    rows.len()
}

#[test]
fn a_full_disk_loses_nothing_and_everything_is_stored_once_space_returns() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    let Some(_mount) = Tmpfs::mount(&disk, "3m") else {
        // CI runs as root and must run this test; elsewhere it says why it did not.
        assert!(!common::optional::required(), "CI cannot mount a tmpfs");
        common::optional::skipped(
            "a_full_disk_loses_nothing_and_everything_is_stored_once_space_returns",
            "cannot mount a tmpfs here (run as root to include this test)",
        );
        return;
    };
    let config = config(dir.path(), &server);
    // Leave room for the schema and a few articles, not for all of them.
    let filler = disk.join("filler");
    std::fs::write(&filler, vec![0u8; 2_600_000]).unwrap();
    let (ok, out, err) = run(feedmark_cmd(&config).arg("fetch"));
    assert!(!ok, "fetch succeeded on a full disk:\n{out}\n{err}");
    let stored = assert_consistent(&disk);
    assert!(
        stored < ARTICLES,
        "everything fit: the test's disk is too large"
    );
    // The error names the database and what is free; no summary claims more than stored.
    assert!(err.contains("feedmark.db"), "{err}");
    let told = err.contains("free on its file system") || err.contains("No space left");
    assert!(told, "{err}");
    assert!(!err.contains("FOREIGN KEY"), "{err}");
    if let Some(summary) = common::Summary::find(&out) {
        let claimed = summary.new_articles;
        assert!(
            claimed <= stored,
            "claimed {claimed}, stored {stored}:\n{out}"
        );
    }
    // Space returns: the next fetch stores every article, each once, each with its file.
    std::fs::remove_file(&filler).unwrap();
    let (ok, out, err) = run(feedmark_cmd(&config).arg("fetch"));
    assert!(ok, "{out}\n{err}");
    assert_eq!(assert_consistent(&disk), ARTICLES);
}
