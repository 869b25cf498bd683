//! End-to-end runs of the real `feedmark run` daemon against a scripted server on 127.0.0.1.
//! The daemon's clock is scaled (FEEDMARK_TIME_SCALE), so hours of schedule pass in seconds;
//! assertions are on the request log, the database and the log lines, never on upper time bounds.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{Route, Server, SiteConfig, fixture, posts};

const HEGSETH: &str = "/policy/defense/5143068-hegseth-us-ukraine-russia/";
const PENTAGON: &str =
    "/policy/defense/5143001-pentagon-readiness-review/?utm_source=rss&utm_medium=feed";
const EMPTY_RSS: &str =
    "<rss version=\"2.0\"><channel><title>t</title><link>http://x/</link></channel></rss>";
const RSS: &str = "application/rss+xml";

/// A running `feedmark run`, its log file, killed on drop.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &Path, scale: f64) -> Daemon {
        Daemon::start_limited(config, scale, None)
    }

    /// Starts the daemon, with at most `nofile` open file descriptors when given.
    fn start_limited(config: &Path, scale: f64, nofile: Option<u64>) -> Daemon {
        let log = config.with_file_name(format!("daemon-{}.log", fastrand::u32(..)));
        let mut cmd = common::feedmark_process(config);
        cmd.arg("run")
            .env("FEEDMARK_TIME_SCALE", scale.to_string())
            .env("FEEDMARK_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap());
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            let limit = libc::rlimit {
                rlim_cur: n,
                rlim_max: n,
            };
            // SAFETY: setrlimit(2) is async-signal-safe, and only the child about to exec is
            // changed.
            #[allow(unsafe_code)]
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let child = cmd.spawn().unwrap();
        let d = Daemon { child, log };
        d.wait_log("feedmark run: ready");
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (at most 30 s) for a log line containing `needle`.
    fn wait_log(&self, needle: &str) -> String {
        wait_for(
            &format!("log line `{needle}`"),
            || self.log().contains(needle),
            || self.log(),
        );
        self.log()
    }

    fn signal(&self, name: &str) {
        send_signal(self.child.id(), name);
    }

    /// Waits (at most 30 s) for the process to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not exit:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_exit()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// Sends SIGTERM, SIGINT or SIGHUP to `pid`.
fn send_signal(pid: u32, name: &str) {
    let sig = match name {
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "HUP" => libc::SIGHUP,
        other => panic!("unknown signal {other}"),
    };
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill {pid} SIG{name}");
}

/// Polls `cond` every 20 ms for at most 30 s; fails with `context()` otherwise.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            context()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A config in `dir`: feeds `(name, url, schedule)`, then `daemon` lines in `[daemon]`.
fn config(dir: &Path, feeds: &[(&str, String, &str)], daemon: &str) -> PathBuf {
    daemon_config(feeds, daemon).write(dir)
}

/// The daemon tests' config, to change further before writing: a long timeout, no jitter,
/// a short shutdown grace, feeds `(name, url, schedule)` and `daemon` lines in `[daemon]`.
fn daemon_config(feeds: &[(&str, String, &str)], daemon: &str) -> SiteConfig {
    let mut config = SiteConfig::new();
    config
        .http("timeout_secs", 60)
        .daemon("jitter_secs", 0)
        .daemon("shutdown_grace_secs", 1)
        .merge(&format!("[daemon]\n{daemon}"));
    for (name, url, schedule) in feeds {
        config
            .feed(name, url.as_str())
            .feed_key(name, "schedule", *schedule);
    }
    config
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("feedmark.db")).unwrap()
}

fn feed_value<T: rusqlite::types::FromSql>(dir: &Path, name: &str, column: &str) -> T {
    db(dir)
        .query_row(
            &format!("SELECT {column} FROM feeds WHERE name = ?1"),
            [name],
            |r| r.get(0),
        )
        .unwrap()
}

/// `feedmark status --json` as parsed JSON.
fn status_json(config: &Path) -> serde_json::Value {
    let out = common::feedmark_process(config)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Delays the daemon logged for `feed`, in order: `(seconds, reason)`.
fn logged_delays(log: &str, feed: &str) -> Vec<(i64, String)> {
    let prefix = format!("feed {feed}: next poll at ");
    log.lines()
        .filter_map(|l| l.split_once(&prefix).map(|(_, rest)| rest))
        .filter_map(|rest| {
            let (_, tail) = rest.split_once(", in ")?;
            let (secs, reason) = tail.split_once("s (")?;
            let reason = reason.split(')').next()?;
            Some((secs.parse().ok()?, reason.to_string()))
        })
        .collect()
}

fn thehill(server: &Server) {
    let feed = std::fs::read_to_string(fixture("thehill/defense-feed.xml"))
        .unwrap()
        .replace("{BASE}", &server.base);
    server.route(
        "/policy/defense/feed/",
        Route::ok(RSS, feed).header("ETag", "\"v1\""),
    );
    let page = |file: &str| Route::ok("text/html", std::fs::read(fixture(file)).unwrap());
    server.route(HEGSETH, page("thehill/hegseth.html"));
    server.route(PENTAGON, page("thehill/pentagon.html"));
}

#[test]
fn second_poll_is_conditional_and_downloads_no_body() {
    let server = Server::start();
    thehill(&server);
    let dir = tempfile::tempdir().unwrap();
    let feeds = [(
        "thehill",
        server.url("/policy/defense/feed/"),
        "*/5 * * * *",
    )];
    let config = config(dir.path(), &feeds, "");
    let mut daemon = Daemon::start(&config, 1200.0);
    wait_for(
        "three polls",
        || server.hits("/policy/defense/feed/") >= 3,
        || daemon.log(),
    );
    assert!(daemon.stop().success(), "{}", daemon.log());

    let polls = server.log_of("/policy/defense/feed/");
    assert_eq!(
        (polls[0].status, polls[0].headers.get("if-none-match")),
        (200, None)
    );
    for later in &polls[1..] {
        assert_eq!(
            later.headers.get("if-none-match").map(String::as_str),
            Some("\"v1\"")
        );
        assert_eq!(
            (later.status, later.body_len),
            (304, 0),
            "no body after the first poll"
        );
    }
    assert_eq!(server.hits(HEGSETH), 1);
    assert_eq!(server.hits(PENTAGON), 1);
    assert_eq!(posts(&dir.path().join("posts")).len(), 2);
}

#[test]
fn backoff_after_failures_then_recovery() {
    let server = Server::start();
    let fail = || Route::status(500);
    server.route_seq(
        "/flaky/",
        vec![fail(), fail(), fail(), Route::ok(RSS, EMPTY_RSS)],
    );
    let dir = tempfile::tempdir().unwrap();
    let feeds = [("flaky", server.url("/flaky/"), "*/5 * * * *")];
    let config = config(dir.path(), &feeds, "backoff_base_secs = 600");
    let scale = 1200.0;
    let mut daemon = Daemon::start(&config, scale);
    wait_for(
        "recovery",
        || daemon.log().contains("errors=0"),
        || daemon.log(),
    );
    let status = status_json(&config);
    assert!(daemon.stop().success());

    let log = daemon.log();
    let delays = logged_delays(&log, "flaky");
    assert!(delays.len() >= 4, "{log}");
    // 600 s, 1200 s, 2400 s of backoff (each rounded up to the 5-minute schedule)…
    for (i, min) in [600, 1200, 2400].into_iter().enumerate() {
        let (secs, reason) = &delays[i];
        assert_eq!(reason, "backoff", "{log}");
        assert!(
            *secs >= min && *secs < min + 300,
            "poll {i}: {secs}s\n{log}"
        );
    }
    // …then back on schedule.
    assert_eq!(delays[3].1, "schedule", "{log}");
    assert!(delays[3].0 <= 300, "{log}");
    // The polls really were that far apart (lower bounds only: the daemon may be late).
    let polls = server.log_of("/flaky/");
    for (i, min) in [600.0, 1200.0, 2400.0].into_iter().enumerate() {
        let gap = polls[i + 1].at - polls[i].at;
        assert!(gap.as_secs_f64() >= min / scale * 0.99, "gap {i}: {gap:?}");
    }
    assert_eq!(feed_value::<i64>(dir.path(), "flaky", "error_count"), 0);
    assert!(feed_value::<Option<i64>>(dir.path(), "flaky", "last_success_at").is_some());
    assert_eq!(status[0]["name"], "flaky");
    assert_eq!(status[0]["error_count"], 0);
    assert_eq!(status[0]["state"], "ok");
    assert!(status[0]["next_poll_at"].is_i64());
}

#[test]
fn retry_after_is_a_lower_bound() {
    let server = Server::start();
    let busy = Route::status(429).header("Retry-After", "1800");
    server.route_seq("/busy/", vec![busy, Route::ok(RSS, EMPTY_RSS)]);
    let dir = tempfile::tempdir().unwrap();
    let feeds = [("busy", server.url("/busy/"), "*/5 * * * *")];
    let config = config(dir.path(), &feeds, "backoff_base_secs = 60");
    let scale = 1200.0;
    let mut daemon = Daemon::start(&config, scale);
    wait_for(
        "second poll",
        || server.hits("/busy/") >= 2,
        || daemon.log(),
    );
    assert!(daemon.stop().success());
    let log = daemon.log();
    let (secs, reason) = logged_delays(&log, "busy")[0].clone();
    assert_eq!(reason, "Retry-After", "{log}");
    assert!((1800..2100).contains(&secs), "{secs}\n{log}");
    let polls = server.log_of("/busy/");
    let gap = polls[1].at - polls[0].at;
    assert!(gap.as_secs_f64() >= 1800.0 / scale * 0.99, "{gap:?}");
    assert!(
        log.contains("feed busy: ") && log.contains("HTTP 429"),
        "{log}"
    );
}

/// A feed that answers 404 is a configuration problem: it waits `max_delay_secs` (a day by
/// default) and says what to check, while a feed that times out backs off from the base.
#[test]
fn a_404_waits_a_day_while_a_timeout_backs_off() {
    let server = Server::start();
    server.route("/missing/", Route::status(404));
    let slow = Route::ok(RSS, EMPTY_RSS).delayed(Duration::from_secs(3));
    server.route("/slow/", slow);
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("missing", server.url("/missing/"), "*/5 * * * *"),
        ("slow", server.url("/slow/"), "*/5 * * * *"),
    ];
    let mut site = daemon_config(&feeds, "backoff_base_secs = 600");
    // HTTP timeouts stay real: one second, well under the route's delay.
    site.http("timeout_secs", 1);
    let config = site.write(dir.path());
    let mut daemon = Daemon::start(&config, 1200.0);
    wait_for(
        "two timeouts",
        || logged_delays(&daemon.log(), "slow").len() >= 2,
        || daemon.log(),
    );
    let status = status_json(&config);
    assert!(daemon.stop().success());
    let log = daemon.log();

    let missing = logged_delays(&log, "missing");
    let (secs, reason) = &missing[0];
    assert_eq!(reason, "configuration problem", "{log}");
    assert!((86_400..86_700).contains(secs), "{secs}\n{log}");
    assert!(
        log.contains("/missing/: HTTP 404 (a configuration problem: check the feed's url"),
        "{log}"
    );
    assert_eq!(server.hits("/missing/"), 1, "{log}");
    let slow = logged_delays(&log, "slow");
    for (i, min) in [600, 1200].into_iter().enumerate() {
        let (secs, reason) = &slow[i];
        assert_eq!(reason, "backoff", "{log}");
        assert!((min..min + 300).contains(secs), "poll {i}: {secs}s\n{log}");
    }
    assert!(log.contains("/slow/: timed out"), "{log}");
    let row = |name: &str| {
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let last_error = row("missing")["last_error"].as_str().unwrap().to_string();
    assert!(
        last_error.contains("a configuration problem"),
        "{last_error}"
    );
    assert_eq!(row("missing")["state"], "failing");
}

#[test]
fn permanent_redirect_moves_the_feed_and_gone_marks_it_dead() {
    let server = Server::start();
    server.route("/old/", Route::status(301).header("Location", "/new/"));
    server.route("/new/", Route::ok(RSS, EMPTY_RSS));
    server.route("/gone/", Route::status(410));
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("moved", server.url("/old/"), "*/5 * * * *"),
        ("gone", server.url("/gone/"), "*/5 * * * *"),
    ];
    let config = config(dir.path(), &feeds, "redirect_polls = 3");
    let mut daemon = Daemon::start(&config, 1200.0);
    wait_for(
        "polls of the new URL",
        || server.hits("/new/") >= 6,
        || daemon.log(),
    );
    let status = status_json(&config);
    assert!(daemon.stop().success());
    let log = daemon.log();

    assert_eq!(
        server.hits("/old/"),
        3,
        "the old URL is left after 3 polls in a row"
    );
    let url: String = feed_value(dir.path(), "moved", "url");
    assert_eq!(url, server.url("/new/"));
    assert!(
        log.contains(&format!(
            "feed moved: moved permanently to {}",
            server.url("/new/")
        )),
        "{log}"
    );

    assert_eq!(server.hits("/gone/"), 1, "a dead feed is not polled again");
    assert!(
        log.contains("feed gone: ") && log.contains("410 Gone: the feed is dead"),
        "{log}"
    );
    let gone = status
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "gone")
        .unwrap();
    assert_eq!(gone["state"], "dead");

    // A restart says so again and still leaves it alone.
    let mut again = Daemon::start(&config, 1200.0);
    again.wait_log("feed gone: dead since");
    assert!(again.stop().success());
    assert_eq!(server.hits("/gone/"), 1);
}

#[test]
fn sigterm_during_a_slow_article_download_leaves_nothing_half_done() {
    let server = Server::start();
    thehill(&server);
    let slow = Route::ok(
        "text/html",
        std::fs::read(fixture("thehill/hegseth.html")).unwrap(),
    );
    server.route(HEGSETH, slow.delayed(Duration::from_secs(40)));
    let dir = tempfile::tempdir().unwrap();
    let feeds = [(
        "thehill",
        server.url("/policy/defense/feed/"),
        "*/30 * * * *",
    )];
    let config = config(dir.path(), &feeds, "");
    let mut daemon = Daemon::start(&config, 1.0);
    let out = dir.path().join("posts");
    wait_for(
        "the fast article",
        || posts(&out).len() == 1,
        || daemon.log(),
    );
    wait_for(
        "the slow download",
        || server.hits(HEGSETH) == 1,
        || daemon.log(),
    );
    let status = daemon.stop();
    let log = daemon.log();
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("abandoned in-flight work"), "{log}");

    let files = posts(&out);
    assert_eq!(files.len(), 1, "only the finished article: {files:?}");
    assert!(files[0].to_string_lossy().contains("pentagon"), "{files:?}");
    let conn = db(dir.path());
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let stored: Vec<String> = conn
        .prepare("SELECT file_name FROM articles")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored.len(), 1, "one row per file");
    // Default layout {feed}/{yyyy}/{mm}/{slug}.md: the file is the stored name less its date.
    let slug = &stored[0][11..];
    assert!(files[0].ends_with(slug), "{files:?} vs {stored:?}");
    drop(conn);

    // The abandoned feed is due again on the next start, and its article is completed.
    thehill(&server);
    let mut again = Daemon::start(&config, 1.0);
    wait_for(
        "the second article",
        || posts(&out).len() == 2,
        || again.log(),
    );
    assert!(again.stop().success());
    assert_eq!(
        server.hits(PENTAGON),
        1,
        "the finished article is not downloaded again"
    );
    let rows: i64 = db(dir.path())
        .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2);
}

#[test]
fn sighup_reloads_and_a_bad_config_keeps_the_old_one() {
    let server = Server::start();
    server.route("/a/", Route::ok(RSS, EMPTY_RSS));
    server.route("/b/", Route::ok(RSS, EMPTY_RSS));
    let dir = tempfile::tempdir().unwrap();
    let a = ("a", server.url("/a/"), "*/5 * * * *");
    let b = ("b", server.url("/b/"), "*/5 * * * *");
    let path = config(dir.path(), std::slice::from_ref(&a), "");
    let mut daemon = Daemon::start(&path, 1200.0);
    wait_for(
        "first poll of a",
        || server.hits("/a/") >= 1,
        || daemon.log(),
    );

    config(dir.path(), &[a.clone(), b.clone()], "");
    daemon.signal("HUP");
    daemon.wait_log("configuration reloaded; 2 feeds scheduled");
    wait_for("polls of b", || server.hits("/b/") >= 2, || daemon.log());

    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{good}\nbogus_key = 1\n")).unwrap();
    daemon.signal("HUP");
    let log = daemon.wait_log("configuration reload failed, keeping the previous configuration");
    assert!(log.contains("bogus_key"), "{log}");
    let seen = server.hits("/b/");
    wait_for(
        "b still polled",
        || server.hits("/b/") >= seen + 2,
        || daemon.log(),
    );
    assert!(daemon.stop().success());
}

#[test]
fn sighup_on_a_config_cut_short_keeps_the_feeds_in_use() {
    let server = Server::start();
    server.route("/a/", Route::ok(RSS, EMPTY_RSS));
    server.route("/b/", Route::ok(RSS, EMPTY_RSS));
    let dir = tempfile::tempdir().unwrap();
    let a = ("a", server.url("/a/"), "*/5 * * * *");
    let b = ("b", server.url("/b/"), "*/5 * * * *");
    let path = config(dir.path(), &[a, b], "");
    let mut daemon = Daemon::start(&path, 1200.0);
    wait_for(
        "first poll of b",
        || server.hits("/b/") >= 1,
        || daemon.log(),
    );

    // What a reader sees of a file rewritten in place: everything before the feeds.
    let whole = std::fs::read_to_string(&path).unwrap();
    let cut = &whole[..whole.find("[[feeds]]").unwrap()];
    std::fs::write(&path, cut).unwrap();
    daemon.signal("HUP");
    let log = daemon.wait_log("keeping the previous configuration and its 2 feeds");
    let refusal = format!(
        "config {}: reload refused: the file lists no feeds",
        path.display()
    );
    assert!(log.contains(&refusal), "{log}");
    assert!(!log.contains("configuration reloaded"), "{log}");
    let seen = server.hits("/b/");
    wait_for(
        "b still polled",
        || server.hits("/b/") >= seen + 2,
        || daemon.log(),
    );
    assert!(daemon.stop().success());
}

#[test]
fn the_lock_refuses_a_second_process() {
    let server = Server::start();
    server.route("/a/", Route::ok(RSS, EMPTY_RSS));
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &[("a", server.url("/a/"), "@hourly")], "");
    let mut daemon = Daemon::start(&path, 1.0);
    for command in ["fetch", "run"] {
        let out = common::feedmark_process(&path)
            .arg(command)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command}: {err}");
        assert!(
            err.contains("is in use by another feedmark process"),
            "{command}: {err}"
        );
        assert!(
            err.contains(&format!("pid {}", daemon.child.id())),
            "{command}: {err}"
        );
    }
    // SIGINT (Ctrl-C) stops it as SIGTERM does, and the lock goes with it.
    daemon.signal("INT");
    assert!(daemon.wait_exit().success());
    assert!(daemon.log().contains("SIGINT received"));
    let out = common::feedmark_process(&path)
        .arg("fetch")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn requests_to_one_host_are_spaced_and_limited() {
    let server = Server::start();
    thehill(&server);
    let dir = tempfile::tempdir().unwrap();
    let feeds = [("thehill", server.url("/policy/defense/feed/"), "@hourly")];
    let path = daemon_config(&feeds, "")
        .http("per_host_delay_ms", 600)
        .http("per_host_concurrency", 1)
        .write(dir.path());
    let out = common::feedmark_process(&path)
        .arg("fetch")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = server.requests();
    assert_eq!(log.len(), 3, "the feed and two pages");
    assert_spaced(&log.iter().collect::<Vec<_>>());
}

/// Requests configured 600 ms apart arrived at least 400 ms apart: arrivals differ from
/// starts by the connection time, which on 127.0.0.1 is far below the 200 ms of slack.
fn assert_spaced(log: &[&common::Logged]) {
    for pair in log.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(400),
            "{gap:?} between {} and {}",
            pair[0].path,
            pair[1].path
        );
    }
}

/// A redirect to another host waits for that host's turn: the pages below are linked on
/// `localhost` and redirect to `127.0.0.1`, the feed's host, whose requests must stay spaced.
#[test]
fn a_redirect_hop_waits_for_its_own_hosts_turn() {
    let server = Server::start();
    let elsewhere = server.base.replace("127.0.0.1", "localhost");
    server.route(
        "/feed",
        Route::ok(
            RSS,
            common::rss(&elsewhere, &[("x", "X story"), ("y", "Y story")]),
        ),
    );
    for slug in ["x", "y"] {
        let target = server.url(&format!("/p/{slug}"));
        server.route(
            &format!("/a/{slug}"),
            Route::status(302).header("Location", &target),
        );
        let page = format!(
            "<html><body><article><p>Story {slug} has enough words to be a body.</p></article></body></html>"
        );
        server.route(&format!("/p/{slug}"), Route::ok("text/html", page));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = daemon_config(&[("f", server.url("/feed"), "@hourly")], "")
        .http("per_host_delay_ms", 600)
        .http("per_host_concurrency", 1)
        .write(dir.path());
    let out = common::feedmark_process(&path)
        .arg("fetch")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let log = server.requests();
    assert_eq!(
        log.iter().filter(|r| r.path.starts_with("/a/")).count(),
        2,
        "{log:?}"
    );
    let to_feed_host: Vec<_> = log.iter().filter(|r| !r.path.starts_with("/a/")).collect();
    assert_eq!(
        to_feed_host.len(),
        3,
        "the feed and the two pages it redirects to"
    );
    assert_spaced(&to_feed_host);
}

#[test]
fn tells_systemd_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let server = Server::start();
    server.route("/a/", Route::ok(RSS, EMPTY_RSS));
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path(), &[("a", server.url("/a/"), "@hourly")], "");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let log = dir.path().join("daemon.log");
    let mut child = common::feedmark_process(&path)
        .arg("run")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "200000")
        .stderr(File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !(seen.contains("READY=1") && seen.contains("WATCHDOG=1")) {
        let n = socket.recv(&mut buf).expect("a notification within 30 s");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        seen.push('\n');
    }
    send_signal(child.id(), "TERM");
    while !seen.contains("STOPPING=1") {
        let n = socket.recv(&mut buf).expect("STOPPING within 30 s");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        child.wait().unwrap().success(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    assert!(seen.contains("STATUS="), "{seen}");
}

/// GETs `path` from the daemon's endpoint at `addr`: (status line, body).
fn http_get(addr: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

/// The address the daemon's endpoint logged it listens on.
fn endpoint(daemon: &Daemon) -> String {
    let log = daemon.wait_log("serving /healthz and /metrics on http://");
    let addr = log
        .split("serving /healthz and /metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    addr
}

#[test]
fn health_and_metrics_endpoint_on_loopback() {
    let server = Server::start();
    thehill(&server);
    let dir = tempfile::tempdir().unwrap();
    let feeds = [(
        "thehill",
        server.url("/policy/defense/feed/"),
        "*/5 * * * *",
    )];
    let path = config(dir.path(), &feeds, "listen = \"127.0.0.1:0\"");
    let mut daemon = Daemon::start(&path, 1200.0);
    let addr = endpoint(&daemon);
    wait_for(
        "two polls",
        || server.hits("/policy/defense/feed/") >= 2,
        || daemon.log(),
    );
    wait_for(
        "metrics of the second poll",
        || {
            http_get(&addr, "/metrics")
                .1
                .contains("result=\"not_modified\"} ")
        },
        || http_get(&addr, "/metrics").1,
    );
    let (status, body) = http_get(&addr, "/healthz");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );
    let (_, metrics) = http_get(&addr, "/metrics");
    assert!(
        metrics.contains("feedmark_polls_total{feed=\"thehill\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("feedmark_new_articles_total{feed=\"thehill\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE feedmark_extractions_total counter"),
        "{metrics}"
    );
    assert!(
        metrics.contains("feedmark_feed_consecutive_errors{feed=\"thehill\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("feedmark_feed_fetch_seconds_count{feed=\"thehill\"}"),
        "{metrics}"
    );
    let methods: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("feedmark_extractions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(methods, 2, "{metrics}");
    assert_eq!(http_get(&addr, "/nope").0, "HTTP/1.1 404 Not Found");
    assert!(daemon.stop().success());
}

/// The descriptor limit of the flooded daemon: room for its own files and the poll's
/// connections, not for the flood on top (issue 23: 1,100 connections against 1,024).
const FLOOD_NOFILE: u64 = 96;

#[test]
fn the_listener_flood_leaves_descriptors_for_the_poll() {
    let server = Server::start();
    let feed = "/policy/defense/feed/";
    server.route(feed, Route::ok(RSS, EMPTY_RSS));
    let dir = tempfile::tempdir().unwrap();
    let feeds = [("thehill", server.url(feed), "*/5 * * * *")];
    let path = config(dir.path(), &feeds, "listen = \"127.0.0.1:0\"");
    let mut daemon = Daemon::start_limited(&path, 1200.0, Some(FLOOD_NOFILE));
    let addr = endpoint(&daemon);
    wait_for("a first poll", || server.hits(feed) >= 1, || daemon.log());
    // More idle connections than the daemon has descriptors to spare; fewer than the 16
    // served plus the 129 the kernel queues, so that each connect() completes at once.
    let flood: Vec<std::net::TcpStream> = (0..140)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    // The next polls find two articles, while the flood holds (5 s idle deadline).
    thehill(&server);
    wait_for(
        "both articles stored",
        || {
            db(dir.path())
                .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0))
                .unwrap()
                == 2
        },
        || daemon.log(),
    );
    drop(flood);
    let (status, body) = http_get(&addr, "/healthz");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("HTTP/1.1 200 OK", "ok\n")
    );
    let (_, metrics) = http_get(&addr, "/metrics");
    assert!(!metrics.contains("result=\"error\""), "{metrics}");
    let log = daemon.log();
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(daemon.stop().success());
}

#[test]
fn status_table_before_and_after_a_fetch() {
    let server = Server::start();
    server.route("/a/", Route::ok(RSS, EMPTY_RSS));
    server.route("/down/", Route::status(500));
    let dir = tempfile::tempdir().unwrap();
    let feeds = [
        ("a", server.url("/a/"), "@hourly"),
        ("down", server.url("/down/"), "@daily"),
    ];
    let path = config(dir.path(), &feeds, "timezone = \"Europe/Berlin\"");
    let status = || {
        let out = common::feedmark_process(&path)
            .arg("status")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let before = status();
    assert!(before.starts_with("FEED"), "{before}");
    assert!(
        before.lines().nth(1).unwrap().starts_with("a ") && before.contains(" new "),
        "{before}"
    );
    assert!(
        !dir.path().join("feedmark.db").exists(),
        "status never creates the database"
    );

    let fetched = common::feedmark_process(&path)
        .arg("fetch")
        .output()
        .unwrap();
    assert!(!fetched.status.success(), "one feed failed");
    let shm = dir.path().join("feedmark.db-shm");
    assert!(!shm.exists(), "fetch closed the database cleanly");
    let after = status();
    assert!(!shm.exists(), "status created no file beside the database");
    let row = |name: &str| {
        after
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        row("a").contains(" ok ") && row("a").contains(" CE"),
        "{after}"
    );
    assert!(
        row("down").contains(" failing ") && row("down").contains("HTTP 500"),
        "{after}"
    );
}
