//! A scriptable HTTP/1.1 server on 127.0.0.1 for end-to-end tests, with a request log.
#![allow(dead_code, unused_imports)]

mod config;
pub mod hugo_syntax;
pub mod optional;
mod site;

pub use config::SiteConfig;
pub use site::{RunResult, Summary, TestSite};

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sleep this long before answering (to provoke timeouts).
    pub delay: Option<Duration>,
    /// Misbehave instead of answering normally (`None`: a well-formed answer).
    pub fault: Option<Fault>,
}

/// Ways a route can misbehave at the transport level.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Read the request, then reset the connection (RST) without a byte of answer.
    Reset,
    /// Send the head (with the full Content-Length), then the body `chunk` bytes at a time,
    /// sleeping `every` between chunks.
    Drip { chunk: usize, every: Duration },
    /// Announce the full Content-Length but send only the first `n` body bytes, then close.
    Truncate(usize),
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delay: None,
            fault: None,
        }
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            headers: vec![],
            body: b"error".to_vec(),
            delay: None,
            fault: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Route {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn delayed(mut self, d: Duration) -> Route {
        self.delay = Some(d);
        self
    }

    /// Misbehaves as `fault` says.
    pub fn faulty(mut self, fault: Fault) -> Route {
        self.fault = Some(fault);
        self
    }

    /// A connection reset right after the request.
    pub fn reset() -> Route {
        Route::status(200).faulty(Fault::Reset)
    }
}

/// One logged request.
#[derive(Clone, Debug)]
pub struct Logged {
    pub path: String,
    pub headers: HashMap<String, String>,
    /// The status answered (304 when the request's If-None-Match matched the route's ETag).
    pub status: u16,
    /// Bytes of body answered.
    pub body_len: usize,
    /// When the request arrived.
    pub at: std::time::Instant,
}

/// The server; it lives until the test process ends.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    /// Per path, the answers in order; the last one repeats.
    routes: Arc<Mutex<HashMap<String, Vec<Route>>>>,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = Server {
            base,
            routes: Arc::default(),
            log: Arc::default(),
        };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.handle(stream));
            }
        });
        server
    }

    pub fn route(&self, path: &str, route: Route) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), vec![route]);
    }

    /// Answers the n-th request on `path` with `routes[n]`; the last one repeats after that.
    pub fn route_seq(&self, path: &str, routes: Vec<Route>) {
        assert!(!routes.is_empty());
        self.routes.lock().unwrap().insert(path.to_string(), routes);
    }

    /// The requests for `path`, in order.
    pub fn log_of(&self, path: &str) -> Vec<Logged> {
        self.requests()
            .into_iter()
            .filter(|l| l.path == path)
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.path == path)
            .count()
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }

    fn handle(&self, stream: TcpStream) {
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut sink = vec![0; len];
        reader.read_exact(&mut sink).ok();
        let route = {
            let routes = self.routes.lock().unwrap();
            let seen = self.hits(&path);
            routes
                .get(&path)
                .map(|seq| seq[seen.min(seq.len() - 1)].clone())
        };
        let route = route.unwrap_or_else(|| Route::status(404));
        let (status, body) = answer(&route, &headers);
        self.log.lock().unwrap().push(Logged {
            path: path.clone(),
            headers: headers.clone(),
            status,
            body_len: body.len(),
            at: std::time::Instant::now(),
        });
        if let Some(d) = route.delay {
            std::thread::sleep(d);
        }
        respond(stream, &route, status, body);
    }
}

/// The status and body for `route`: 304 and no body when the request's If-None-Match holds
/// the route's ETag.
fn answer<'a>(route: &'a Route, request: &HashMap<String, String>) -> (u16, &'a [u8]) {
    let etag = route
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
        .map(|(_, v)| v);
    let not_modified = etag.is_some() && request.get("if-none-match") == etag;
    if not_modified {
        (304, b"")
    } else {
        (route.status, &route.body)
    }
}

fn respond(mut stream: TcpStream, route: &Route, status: u16, body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in &route.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    match &route.fault {
        None => {
            stream.write_all(head.as_bytes()).ok();
            stream.write_all(body).ok();
        }
        Some(Fault::Reset) => reset(&stream),
        Some(Fault::Truncate(n)) => {
            stream.write_all(head.as_bytes()).ok();
            stream.write_all(&body[..(*n).min(body.len())]).ok();
        }
        Some(Fault::Drip { chunk, every }) => {
            stream.write_all(head.as_bytes()).ok();
            for part in body.chunks((*chunk).max(1)) {
                if stream
                    .write_all(part)
                    .and_then(|()| stream.flush())
                    .is_err()
                {
                    break;
                }
                std::thread::sleep(*every);
            }
        }
    }
    stream.flush().ok();
}

/// Closes `stream` with an RST instead of a FIN: SO_LINGER on with a zero timeout.
fn reset(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized, initialised option value.
    #[allow(unsafe_code)]
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// The crate's fixture folder.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// A path in the shared data folder (`../shared`, or `FEEDMARK_SHARED`). Optional data: a test
/// that needs it should find it with [`optional::data_dir`], which skips without it.
pub fn shared(rel: &str) -> PathBuf {
    optional::shared_root().join(rel)
}

/// A config file in `dir` (`SiteConfig::new()` with `feeds`) that stores into `dir` and
/// allows 127.0.0.1. `extra` is appended as text after the last feed, so a bare key in it
/// belongs to that feed; for top-level or `[http]` keys use `SiteConfig` or `TestSite`.
pub fn write_config(dir: &Path, feeds: &[(&str, String)], extra: &str) -> PathBuf {
    let mut config = SiteConfig::new();
    for (name, url) in feeds {
        config.feed(name, url.as_str());
    }
    let text = config.to_toml() + "\n" + extra;
    let path = dir.join("feedmark.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Files under `dir` (any depth: the default layout nests `feed/yyyy/mm/`), sorted.
pub fn posts(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Article paths of the The Hill fixtures, as the feeds link them.
pub const HEGSETH: &str = "/policy/defense/5143068-hegseth-us-ukraine-russia/";
pub const PENTAGON: &str =
    "/policy/defense/5143001-pentagon-readiness-review/?utm_source=rss&utm_medium=feed";
pub const SENATE: &str = "/homenews/senate/5142999-senate-stopgap-funding/";

/// Serves The Hill-style fixtures: `/policy/defense/feed/` and `/homenews/feed/` (sharing
/// the Hegseth story) and the three article pages.
pub fn thehill_server() -> Server {
    let server = Server::start();
    let feed = |file: &str| {
        std::fs::read_to_string(fixture(file))
            .unwrap()
            .replace("{BASE}", &server.base)
    };
    let rss = "application/rss+xml; charset=UTF-8";
    server.route(
        "/policy/defense/feed/",
        Route::ok(rss, feed("thehill/defense-feed.xml")),
    );
    server.route(
        "/homenews/feed/",
        Route::ok(rss, feed("thehill/news-feed.xml")),
    );
    let html = |file: &str| std::fs::read(fixture(file)).unwrap();
    let page = "text/html; charset=UTF-8";
    server.route(HEGSETH, Route::ok(page, html("thehill/hegseth.html")));
    server.route(PENTAGON, Route::ok(page, html("thehill/pentagon.html")));
    server.route(SENATE, Route::ok(page, html("thehill/senate.html")));
    server
}

/// `feedmark --config CONFIG` with a timeout, ignoring any FEEDMARK_CONFIG of the caller.
pub fn feedmark_cmd(config: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("feedmark").unwrap();
    cmd.arg("--config")
        .arg(config)
        .env_remove("FEEDMARK_CONFIG")
        .timeout(Duration::from_secs(60));
    cmd
}

/// `feedmark` with no `--config` (commands such as `extract` need none), with a timeout,
/// ignoring any FEEDMARK_CONFIG of the caller.
pub fn feedmark_bare() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("feedmark").unwrap();
    cmd.env_remove("FEEDMARK_CONFIG")
        .timeout(Duration::from_secs(60));
    cmd
}

/// `feedmark --config CONFIG` as a plain process, for tests that spawn, signal or kill it;
/// any FEEDMARK_CONFIG of the caller is ignored.
pub fn feedmark_process(config: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("feedmark"));
    cmd.arg("--config")
        .arg(config)
        .env_remove("FEEDMARK_CONFIG");
    cmd
}

/// Runs `cmd`: (success, stdout, stderr).
pub fn run(cmd: &mut assert_cmd::Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One number from the database at `db`.
pub fn db_count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// An RSS document with one item per `(slug, title)`, linking to `/a/<slug>` on `base`.
pub fn rss(base: &str, items: &[(&str, &str)]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>");
    for (i, (slug, title)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><title>{title}</title><link>{base}/a/{slug}</link><guid>{base}/a/{slug}</guid>\
             <pubDate>Fri, 14 Feb 2025 00:{i:02}:00 +0000</pubDate>\
             <description>Feed text of {slug}.</description></item>"
        ));
    }
    out + "</channel></rss>"
}

/// Every file under `root`, by path relative to it, with its bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    posts(root)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Routes `/feed` on `server`: `n` stories a minute apart, each linking to an article page
/// `/a/<i>` of six paragraphs, answered after `delay` when given.
pub fn serve_stories(server: &Server, n: usize, delay: Option<Duration>) {
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Many</title>");
    for i in 0..n {
        let link = server.url(&format!("/a/{i}"));
        rss.push_str(&format!(
            "<item><title>Story number {i}</title><link>{link}</link><guid>{link}</guid>\
             <pubDate>Fri, 14 Feb 2025 {:02}:{:02}:00 +0000</pubDate>\
             <description>Feed text {i}.</description></item>",
            i / 60,
            i % 60
        ));
        let body = format!(
            "<html><body><article><h1>Story {i}</h1>{}</article></body></html>",
            format!("<p>Paragraph of story {i}, long enough to be the article text. </p>")
                .repeat(6)
        );
        let page = Route::ok("text/html", body);
        let page = match delay {
            Some(d) => page.delayed(d),
            None => page,
        };
        server.route(&format!("/a/{i}"), page);
    }
    rss.push_str("</channel></rss>");
    server.route("/feed", Route::ok("application/rss+xml", rss));
}
