//! A test site: a temporary folder, a 127.0.0.1 server and a typed config, run through the
//! real binary, with the poll's summary line returned as data.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Server, SiteConfig};

/// One site under test. The folder lives as long as the value.
pub struct TestSite {
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub config: SiteConfig,
}

impl Default for TestSite {
    fn default() -> Self {
        TestSite::new()
    }
}

impl TestSite {
    /// A site with a fresh, empty server and the usual test config.
    pub fn new() -> TestSite {
        TestSite::with_server(Server::start())
    }

    /// A site around `server` (say one already serving fixtures).
    pub fn with_server(server: Server) -> TestSite {
        TestSite::in_dir(tempfile::tempdir().unwrap(), server)
    }

    /// A site in `dir` (say one on tmpfs) around `server`.
    pub fn in_dir(dir: tempfile::TempDir, server: Server) -> TestSite {
        TestSite {
            dir,
            server,
            config: SiteConfig::new(),
        }
    }

    /// The site's folder (config, database and posts live here).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds a feed; a `url` starting with `/` is a path on the site's server.
    pub fn feed(&mut self, name: &str, url: &str) -> &mut Self {
        let url = if url.starts_with('/') {
            self.server.url(url)
        } else {
            url.to_string()
        };
        self.config.feed(name, url);
        self
    }

    /// Writes the config and returns its path.
    pub fn write(&self) -> PathBuf {
        self.config.write(self.path())
    }

    /// `feedmark --config <site config>` (the config written first), to add arguments to.
    pub fn cmd(&self) -> assert_cmd::Command {
        super::feedmark_cmd(&self.write())
    }

    /// `feedmark --config <site config>` as a plain process (the config written first), for
    /// tests that spawn, signal or kill it.
    pub fn process(&self) -> std::process::Command {
        super::feedmark_process(&self.write())
    }

    /// Runs `feedmark <args>` against the site.
    pub fn run(&self, args: &[&str]) -> RunResult {
        RunResult::of(self.cmd().args(args))
    }

    /// Runs `feedmark fetch <args>` against the site.
    pub fn fetch(&self, args: &[&str]) -> RunResult {
        RunResult::of(self.cmd().arg("fetch").args(args))
    }

    /// The site's database.
    pub fn db(&self) -> PathBuf {
        self.path().join("feedmark.db")
    }

    /// One number from the site's database.
    pub fn db_count(&self, sql: &str) -> i64 {
        super::db_count(&self.db(), sql)
    }

    /// The output folder.
    pub fn posts_dir(&self) -> PathBuf {
        self.path().join("posts")
    }

    /// Every file under the output folder, sorted.
    pub fn posts(&self) -> Vec<PathBuf> {
        super::posts(&self.posts_dir())
    }
}

/// How a run of the binary ended.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The exit status was success.
    pub ok: bool,
    /// The exit code (`None` when a signal ended the process).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The poll's summary line, when stdout holds one.
    pub summary: Option<Summary>,
}

impl RunResult {
    /// Runs `cmd` (`TestSite::cmd` gives it a timeout, so a hung binary fails the test).
    pub fn of(cmd: &mut assert_cmd::Command) -> RunResult {
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        RunResult {
            ok: out.status.success(),
            code: out.status.code(),
            summary: Summary::find(&stdout),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The summary; panics with the output when there is none.
    pub fn summary(&self) -> &Summary {
        self.summary
            .as_ref()
            .unwrap_or_else(|| panic!("no summary line in the output:\n{self}"))
    }

    /// The summary of a run that must have succeeded; panics with the output otherwise.
    pub fn ok_summary(&self) -> &Summary {
        assert!(self.ok, "the run failed:\n{self}");
        self.summary()
    }
}

impl fmt::Display for RunResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The counts of `feedmark fetch`'s closing line, e.g. `feeds: 1 ok, 0 failed; new
/// articles: 2; files written: 2; updated articles: 0; caught up (no file): 3`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub dry_run: bool,
    pub feeds_ok: usize,
    pub feeds_failed: usize,
    pub new_articles: usize,
    /// Files written, or in a dry run, files that would be written.
    pub files_written: usize,
    pub updated_articles: usize,
    /// Omitted from the line when 0.
    pub caught_up: usize,
    /// Omitted from the line when 0.
    pub filtered: usize,
    /// Omitted from the line when 0.
    pub duplicates: usize,
    /// New articles whose page is to be tried again (omitted when 0).
    pub pages_pending: usize,
    /// Pending pages tried again (omitted when 0).
    pub pages_retried: usize,
    /// Pending pages that loaded at last (omitted when 0).
    pub pages_healed: usize,
    /// Pages not tried again (omitted when 0).
    pub pages_given_up: usize,
}

impl Summary {
    /// The last summary line in `stdout`.
    pub fn find(stdout: &str) -> Option<Summary> {
        stdout.lines().rev().find_map(Summary::parse)
    }

    /// Parses one summary line; `None` if it is not one.
    pub fn parse(line: &str) -> Option<Summary> {
        let (dry_run, rest) = match line.strip_prefix("dry run: ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let rest = rest.strip_prefix("feeds: ")?;
        let mut summary = Summary {
            dry_run,
            ..Summary::default()
        };
        let mut parts = rest.split("; ");
        let (ok, failed) = parts.next()?.split_once(", ")?;
        summary.feeds_ok = ok.strip_suffix(" ok")?.parse().ok()?;
        summary.feeds_failed = failed.strip_suffix(" failed")?.parse().ok()?;
        for part in parts {
            let Some((label, n)) = part.split_once(": ") else {
                continue; // "nothing was stored or written"
            };
            let n: usize = n.parse().ok()?;
            match label {
                "new articles" => summary.new_articles = n,
                "files written" | "files that would be written" => summary.files_written = n,
                "updated articles" => summary.updated_articles = n,
                "caught up (no file)" => summary.caught_up = n,
                "filtered out" => summary.filtered = n,
                "duplicate items" => summary.duplicates = n,
                "pages pending" => summary.pages_pending = n,
                "pages retried" => summary.pages_retried = n,
                "pages healed" => summary.pages_healed = n,
                "pages given up" => summary.pages_given_up = n,
                _ => return None,
            }
        }
        Some(summary)
    }

    /// `(feeds ok, feeds failed, new articles, files written)`, the counts most tests check.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.feeds_ok,
            self.feeds_failed,
            self.new_articles,
            self.files_written,
        )
    }
}
