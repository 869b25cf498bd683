//! A scriptable HTTP/1.1 server on 127.0.0.1 for end-to-end tests, with a request log.
#![allow(dead_code)]

use std::collections::HashMap;
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
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delay: None,
        }
    }

    pub fn status(status: u16) -> Route {
        Route {
            status,
            headers: vec![],
            body: b"error".to_vec(),
            delay: None,
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
}

/// One logged request.
#[derive(Clone, Debug)]
pub struct Logged {
    pub path: String,
    pub headers: HashMap<String, String>,
}

/// The server; it lives until the test process ends.
#[derive(Clone)]
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
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
        self.routes.lock().unwrap().insert(path.to_string(), route);
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
        self.log.lock().unwrap().push(Logged {
            path: path.clone(),
            headers: headers.clone(),
        });
        let route = self.routes.lock().unwrap().get(&path).cloned();
        let route = route.unwrap_or_else(|| Route::status(404));
        if let Some(d) = route.delay {
            std::thread::sleep(d);
        }
        respond(stream, &route, &headers);
    }
}

fn respond(mut stream: TcpStream, route: &Route, request: &HashMap<String, String>) {
    let etag = route
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
        .map(|(_, v)| v);
    let not_modified = etag.is_some() && request.get("if-none-match") == etag;
    let (status, body): (u16, &[u8]) = if not_modified {
        (304, b"")
    } else {
        (route.status, &route.body)
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in &route.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok();
    stream.write_all(body).ok();
    stream.flush().ok();
}

/// The crate's fixture folder.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The shared data folder beside the repository.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

/// A config file in `dir` that stores into `dir` and allows 127.0.0.1.
pub fn write_config(dir: &Path, feeds: &[(&str, String)], extra: &str) -> PathBuf {
    let mut text = String::from(
        "database = \"feedmark.db\"\noutput_dir = \"posts\"\n\n[http]\nallow_private_networks = true\ntimeout_secs = 2\nconnect_timeout_secs = 2\n\n",
    );
    for (name, url) in feeds {
        text.push_str(&format!(
            "[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\nlang = \"en\"\n\n"
        ));
    }
    text.push_str(extra);
    let path = dir.join("feedmark.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Markdown files in `dir`, sorted.
pub fn posts(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}
