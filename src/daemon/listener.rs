//! The optional HTTP endpoint (off by default, loopback by default): `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::metrics::Shared;
use crate::error::{Error, Result};

/// The largest request head read: the endpoint only looks at the request line.
const MAX_HEAD: usize = 8192;
/// The sleep after the first failed accept of a streak; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
/// The longest sleep between failed accepts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// At most one accept-failure warning this often, however many accepts fail.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// How many connections the endpoint serves at once and how long each may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; later ones wait in the kernel's accept queue.
    pub connections: usize,
    /// Deadline for receiving the whole request head, counted from the accept.
    pub read: Duration,
    /// Deadline for sending the whole response.
    pub write: Duration,
}

impl Default for Limits {
    /// 16 connections: a Prometheus scraper uses one, a health check another; 5 s each way.
    fn default() -> Self {
        Limits {
            connections: 16,
            read: Duration::from_secs(5),
            write: Duration::from_secs(5),
        }
    }
}

/// Binds `listen`: `HOST:PORT`, or a bare port on 127.0.0.1.
pub async fn bind(listen: &str) -> Result<TcpListener> {
    let addr = if listen.chars().all(|c| c.is_ascii_digit()) {
        format!("127.0.0.1:{listen}")
    } else {
        listen.to_string()
    };
    let parsed: SocketAddr = addr.parse().map_err(|e| Error::Config {
        path: "daemon.listen".into(),
        message: format!("`{listen}`: {e} (use HOST:PORT, e.g. 127.0.0.1:9717)"),
    })?;
    if !parsed.ip().is_loopback() {
        tracing::warn!(
            "metrics endpoint on non-loopback address {parsed}: anyone who can reach it can read it"
        );
    }
    TcpListener::bind(parsed)
        .await
        .map_err(|e| Error::io(format!("daemon.listen {parsed}"), e))
}

/// Answers requests until the task is dropped, within [`Limits::default`].
pub async fn serve(listener: TcpListener, metrics: Shared) {
    serve_with(listener, metrics, Limits::default(), Arc::default()).await;
}

/// Connections accepted so far, open now and open at most at once (read by the tests).
#[derive(Debug, Default)]
struct Counts {
    accepted: AtomicUsize,
    open: AtomicUsize,
    peak: AtomicUsize,
}

/// One accepted connection's share of the cap; dropping it frees the slot.
struct Slot {
    _permit: OwnedSemaphorePermit,
    counts: Arc<Counts>,
}

impl Slot {
    fn take(permit: OwnedSemaphorePermit, counts: &Arc<Counts>) -> Slot {
        counts.accepted.fetch_add(1, Ordering::SeqCst);
        let open = counts.open.fetch_add(1, Ordering::SeqCst) + 1;
        counts.peak.fetch_max(open, Ordering::SeqCst);
        Slot {
            _permit: permit,
            counts: Arc::clone(counts),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counts.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// [`serve`] with explicit limits, counting connections into `counts`.
async fn serve_with(listener: TcpListener, metrics: Shared, limits: Limits, counts: Arc<Counts>) {
    // The slot is taken *before* accept(): at the cap the loop stops accepting, and further
    // connections wait in the kernel's accept queue, where they cost the daemon no file
    // descriptor. Accepting them to hold or refuse would spend one descriptor each, and an
    // unbounded number of those starved the poll ("Too many open files", issue 23). When
    // the queue (backlog 128) is full too, the kernel drops SYNs and clients retry later.
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let mut backoff = AcceptBackoff::default();
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return; // unreachable: the semaphore is never closed
        };
        match listener.accept().await {
            Ok((stream, _)) => {
                if let Some(failed) = backoff.succeeded() {
                    tracing::info!(
                        "metrics endpoint: accepting connections again after {failed} failed accepts"
                    );
                }
                let slot = Slot::take(permit, &counts);
                let metrics = Arc::clone(&metrics);
                tokio::spawn(async move {
                    // Errors are the client's (gone, too slow): nothing to report or retry.
                    let _ = answer(stream, &metrics, limits).await;
                    drop(slot);
                });
            }
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS... retrying at once fails again and spins a core;
                // ECONNABORTED and the like only cost the short first delay.
                drop(permit);
                let (delay, warn) = backoff.failed(Instant::now());
                if let Some(failed) = warn {
                    tracing::warn!(
                        "metrics endpoint: accept failed: {e} ({failed} failed accepts since the last warning); retrying in {} ms",
                        delay.as_millis()
                    );
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// The sleep after a failed accept that follows one slept for `previous`.
fn next_backoff(previous: Duration) -> Duration {
    (previous * 2).min(MAX_BACKOFF)
}

/// Growing sleeps between failed accepts, and warnings about them at most every [`WARN_EVERY`].
#[derive(Debug, Default)]
struct AcceptBackoff {
    /// The last sleep of the current streak of failures; `None` after a success.
    delay: Option<Duration>,
    /// Failures in the current streak.
    streak: u64,
    /// Failures not yet counted in a warning (across streaks, so flapping is not spammed).
    unreported: u64,
    last_warning: Option<Instant>,
    /// Whether the current streak was warned about, so its end is worth a line too.
    warned: bool,
}

impl AcceptBackoff {
    /// Counts a failed accept at `now`: how long to sleep, and the number of failures to
    /// report when a warning is due.
    fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
        let delay = self.delay.map_or(FIRST_BACKOFF, next_backoff);
        self.delay = Some(delay);
        self.streak += 1;
        self.unreported += 1;
        let due = self
            .last_warning
            .is_none_or(|t| now.saturating_duration_since(t) >= WARN_EVERY);
        if !due {
            return (delay, None);
        }
        self.last_warning = Some(now);
        self.warned = true;
        (delay, Some(std::mem::take(&mut self.unreported)))
    }

    /// Counts a successful accept: the length of the streak it ends, if that was warned about.
    fn succeeded(&mut self) -> Option<u64> {
        self.delay = None;
        let streak = std::mem::take(&mut self.streak);
        std::mem::take(&mut self.warned).then_some(streak)
    }
}

async fn answer(mut stream: TcpStream, metrics: &Shared, limits: Limits) -> std::io::Result<()> {
    // One deadline for the whole head, not one per read: a client sending a byte now and
    // then, or nothing at all, would otherwise keep its slot and descriptor for ever.
    let head = tokio::time::timeout(limits.read, read_head(&mut stream))
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)??;
    let response = respond(&head, metrics);
    // A client that stops reading would otherwise stall write_all once the buffers fill.
    tokio::time::timeout(limits.write, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| std::io::ErrorKind::TimedOut)?
}

/// Reads until the blank line ending the head, the end of the stream or [`MAX_HEAD`] bytes.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = vec![0u8; MAX_HEAD];
    let mut len = 0;
    while len < buf.len() && !buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            break;
        }
        len += n;
    }
    Ok(String::from_utf8_lossy(&buf[..len]).into_owned())
}

/// The whole HTTP response to a request with this head.
fn respond(head: &str, metrics: &Shared) -> String {
    let mut parts = head.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, kind, body) = match (method, path) {
        ("GET", "/healthz") => ("200 OK", "text/plain", "ok\n".to_string()),
        ("GET", "/metrics") => {
            let text = metrics.lock().map(|m| m.render()).unwrap_or_default();
            ("200 OK", "text/plain; version=0.0.4", text)
        }
        ("GET", _) => ("404 Not Found", "text/plain", "not found\n".into()),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound on every wait: these tests assert what happens, never how fast.
    const PATIENCE: Duration = Duration::from_secs(30);

    /// Serves on 127.0.0.1 within `limits`: the address and the connection counts.
    fn start(listener: TcpListener, limits: Limits) -> Arc<Counts> {
        let counts = Arc::<Counts>::default();
        tokio::spawn(serve_with(
            listener,
            Shared::default(),
            limits,
            Arc::clone(&counts),
        ));
        counts
    }

    /// GETs `path` on a new connection: the whole response.
    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut text = String::new();
        tokio::time::timeout(PATIENCE, s.read_to_string(&mut text))
            .await
            .expect("no answer in time")
            .unwrap();
        text
    }

    /// Reads until the server closes the connection: what it sent before.
    async fn until_closed(s: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
        let mut got = Vec::new();
        match tokio::time::timeout(PATIENCE, s.read_to_end(&mut got)).await {
            Err(tokio::time::error::Elapsed { .. }) => {
                panic!("the server kept the connection open")
            }
            // Closing with unread bytes makes the kernel reset the connection instead.
            Ok(Err(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
            Ok(Ok(_)) => {}
        }
        got
    }

    /// A listener on 127.0.0.1 whose accept queue holds the whole flood: `bind` keeps the
    /// usual backlog of 128, beyond which the kernel drops SYNs and connect() waits to retry.
    fn roomy_listener() -> TcpListener {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
        socket.listen(1024).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_listener_flood() {
        let listener = roomy_listener();
        let addr = listener.local_addr().unwrap();
        // They all connect before the server runs: the kernel completes the handshakes and
        // queues them, so an accept loop without the cap would take all 200 at once.
        let mut idle = Vec::new();
        for _ in 0..200 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
        let limits = Limits {
            connections: 16,
            read: Duration::from_millis(200),
            write: PATIENCE,
        };
        let counts = start(listener, limits);
        // Queued behind the 200: answered once they have timed out, at most 16 at a time.
        let response = get(addr, "/healthz").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nok\n"), "{response}");
        let peak = counts.peak.load(Ordering::SeqCst);
        assert!((1..=16).contains(&peak), "{peak} connections open at once");
        assert!(counts.accepted.load(Ordering::SeqCst) >= 201);
        // Every idle connection was closed by the server, unanswered.
        for s in &mut idle {
            assert_eq!(until_closed(s).await, b"");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_trickling_its_request_is_cut_off_and_frees_its_slot() {
        let listener = bind("0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limits = Limits {
            connections: 1,
            read: Duration::from_millis(300),
            write: PATIENCE,
        };
        start(listener, limits);
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        // A byte every 20 ms and never the blank line: only a deadline on the whole head
        // ends this (8 KiB at this pace would take minutes).
        let trickle = tokio::spawn(async move {
            let head = b"GET /healthz HTTP/1.1\r\nX-Slow: ".iter();
            for b in head.chain(std::iter::repeat(&b'a')) {
                if w.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        assert_eq!(until_closed(&mut r).await, b"");
        trickle.abort();
        // The only slot is free again.
        let response = get(addr, "/healthz").await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    }

    #[test]
    fn accept_backoff_doubles_to_a_second_and_starts_over_after_a_success() {
        let mut b = AcceptBackoff::default();
        let now = Instant::now();
        let delays: Vec<u128> = (0..10).map(|_| b.failed(now).0.as_millis()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        b.succeeded();
        assert_eq!(b.failed(now).0, FIRST_BACKOFF);
    }

    #[test]
    fn accept_failures_are_warned_about_once_a_minute_with_their_count() {
        let mut b = AcceptBackoff::default();
        let t0 = Instant::now();
        assert_eq!(b.failed(t0).1, Some(1));
        for ms in 1..500 {
            assert_eq!(b.failed(t0 + Duration::from_millis(ms)).1, None);
        }
        // The end of a warned-about streak is logged, with its length.
        assert_eq!(b.succeeded(), Some(500));
        // A new streak within the minute (flapping) is neither warned about nor its end.
        assert_eq!(b.failed(t0 + Duration::from_secs(10)).1, None);
        assert_eq!(b.succeeded(), None);
        // The next warning counts every failure since the last one.
        assert_eq!(b.failed(t0 + WARN_EVERY).1, Some(501));
    }
}
