//! The library's error type: what failed, for which feed or URL, and whether a retry may help.

use std::path::PathBuf;

use crate::redact;

/// Everything that can go wrong inside feedmark's library.
///
/// Each variant carries enough context (file, URL, feed name) for a one-line message that a
/// user can act on; [`Error::failure`] tells a scheduler whether trying later may succeed.
/// Messages show URLs without their credentials ([`crate::redact::urls`]): they reach logs
/// and the database's `last_error`.
///
/// Each message is complete on its own, its cause included, and no variant exposes that
/// cause again as [`std::error::Error::source`]: a caller printing the whole chain (the
/// binary's `{:#}`) would otherwise show it twice, or three times for SQLite errors, whose
/// own source repeats their message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read or is invalid.
    #[error("config {path}: {}", redact::urls(.message))]
    Config { path: PathBuf, message: String },

    /// A URL was refused before any request was made (scheme, private address, syntax).
    #[error("{}: refused: {}", redact::urls(.url), redact::urls(.reason))]
    Refused { url: String, reason: String },

    /// The connection failed or timed out.
    #[error("{}: {}", redact::urls(.url), redact::urls(.message))]
    Network {
        url: String,
        /// What failed, the deepest cause's words included.
        message: String,
        timeout: bool,
        /// The HTTP client's own error, for a caller that inspects it (`is_connect`, ...).
        /// Not a `source()`: `message` already says it, and a chain printer would repeat it.
        cause: Option<reqwest::Error>,
    },

    /// A page not tried: its host failed at connection level several times in a row in
    /// this poll (see [`crate::politeness::DeadHosts`]).
    #[error("{}: not tried: host {host} failed to connect {failures} times in a row in this poll", redact::urls(.url))]
    HostDown {
        url: String,
        host: String,
        failures: u32,
    },

    /// The server answered with an HTTP error status.
    #[error("{}: HTTP {status}", redact::urls(.url))]
    Status {
        url: String,
        status: u16,
        retry_after: Option<u64>,
    },

    /// The response body was larger than the configured cap.
    #[error("{}: body larger than the {limit}-byte limit", redact::urls(.url))]
    TooLarge { url: String, limit: u64 },

    /// Too many redirects, or a redirect without a usable Location.
    #[error("{}: {}", redact::urls(.url), redact::urls(.message))]
    Redirect { url: String, message: String },

    /// The document at `url` is not a feed feedmark can read; `message` says why.
    #[error("not a readable feed: {}", redact::urls(&located(.url, .message)))]
    Parse { url: String, message: String },

    /// The SQLite store failed.
    #[error("database: {0}")]
    Store(rusqlite::Error),

    /// The PostgreSQL store failed (its message names the server's error, if any).
    #[error("database: {}", pg_detail(.0))]
    Postgres(postgres::Error),

    /// A database file feedmark does not understand (newer schema, broken migration).
    #[error("database {path}: {message}")]
    Schema { path: PathBuf, message: String },

    /// Another feedmark process holds the database.
    #[error(
        "database {database} is in use by another feedmark process{holder} (lock file {lock}); wait for it to finish or stop it"
    )]
    Locked {
        database: PathBuf,
        lock: PathBuf,
        /// ` (pid N)` when the holder wrote its process id, else empty.
        holder: String,
    },
    /// A stored article cannot be written out (a value out of range, a damaged file name).
    #[error("article {name}: {message}")]
    Article { name: String, message: String },

    /// A file could not be written or read.
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    /// A batch of writes that SQLite rolled back on its own (disk full, I/O error): nothing of
    /// it is stored, and the poll that wrote it stops there.
    #[error(
        "database {database}: a batch of writes was lost ({cause}); {free}. Nothing of it was kept: the {removed} new article files it wrote were removed, and the feeds not yet recorded are polled in full again once the database can be written"
    )]
    BatchLost {
        database: PathBuf,
        cause: String,
        /// What is free on the database's file system, said in words.
        free: String,
        removed: usize,
    },

    /// A command refused what it was asked (a feed that is not there, a database not yet
    /// made, a feed added twice); the message says what to do instead.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// What this failure means for the next try; see [`Failure`].
    pub fn failure(&self) -> Failure {
        match self {
            Error::Status { status: 410, .. } => Failure::Gone,
            Error::Status {
                status: 429 | 503,
                retry_after,
                ..
            } => Failure::Transient {
                retry_after: *retry_after,
            },
            // 408 Request Timeout is a timeout, whatever its class.
            Error::Status { status, .. } if *status >= 500 || *status == 408 => {
                Failure::Transient { retry_after: None }
            }
            Error::Network { .. }
            | Error::HostDown { .. }
            | Error::Store(_)
            | Error::Postgres(_)
            | Error::Io { .. }
            | Error::BatchLost { .. }
            | Error::Locked { .. } => Failure::Transient { retry_after: None },
            Error::Status { .. }
            | Error::Config { .. }
            | Error::Refused { .. }
            | Error::TooLarge { .. }
            | Error::Redirect { .. }
            | Error::Parse { .. }
            | Error::Schema { .. }
            | Error::Article { .. }
            | Error::Usage(_) => Failure::Permanent,
        }
    }

    /// The host could not be reached at all: its name did not resolve or the connection
    /// was refused or unroutable (what an offline machine sees). Timeouts and HTTP errors
    /// are not: something answered, or may yet.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Network { timeout: false, cause: Some(c), .. } if c.is_connect())
    }

    /// The host failed at connection level: its name did not resolve, the connection was
    /// refused or unroutable, or the request timed out. A few of these in a row on one host
    /// mark it down for the rest of a poll.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, Error::Network { timeout: true, .. }) || self.is_unreachable()
    }

    /// The host's name did not resolve: no request reached any server, so the politeness
    /// delay owed to the host was not spent. Read from the HTTP client's cause chain, where
    /// hyper names the resolver's failure `dns error` (reqwest, `error resolving DNS`).
    pub fn is_dns(&self) -> bool {
        let Error::Network { cause: Some(c), .. } = self else {
            return false;
        };
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(c);
        while let Some(err) = source {
            let text = err.to_string();
            if text == "dns error" || text == "error resolving DNS" {
                return true;
            }
            source = err.source();
        }
        false
    }

    /// No request reached any server: the name did not resolve, or the guard refused the
    /// addresses it resolved to (or the URL itself). The politeness delay owed to the host
    /// was not spent.
    pub fn reached_no_server(&self) -> bool {
        self.is_dns() || matches!(self, Error::Refused { .. })
    }

    /// For a feed that fails permanently, what to look at: the same request will fail the
    /// same way until someone changes the config (or the site). `None` for other failures.
    pub fn remedy(&self) -> Option<&'static str> {
        if self.failure() != Failure::Permanent {
            return None;
        }
        Some(match self {
            Error::Status {
                status: 401 | 403, ..
            } => "check the feed's url in the config, and whether the site wants credentials",
            Error::Parse { .. } => {
                "check that the feed's url in the config points at a feed, not a web page"
            }
            Error::Refused { .. } => {
                "check the feed's url in the config, or [http] allow_private_networks"
            }
            Error::TooLarge { .. } => {
                "check the feed's url in the config, or raise [http] max_body_bytes"
            }
            _ => "check the feed's url in the config",
        })
    }

    /// An error about the config file at `path` (the file, not its folder).
    pub fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

/// A PostgreSQL error with its cause: the driver's own message is only its kind ("db
/// error"), the server's words are in its source.
fn pg_detail(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        };
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Store(e)
    }
}

/// What a failure means for trying again, so that a scheduler can tell an outage from a
/// mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// May succeed later (connection errors, timeouts, 5xx, 429, the store): retried with
    /// exponential backoff. `retry_after`: seconds the server asked to wait (429/503).
    Transient { retry_after: Option<u64> },
    /// Fails the same way until the config or the site changes (404, 401/403 and other 4xx,
    /// a document that is not a feed, a refused URL, a body over the cap, a redirect loop):
    /// a configuration problem, retried on a slow schedule.
    Permanent,
    /// HTTP 410 Gone: the feed is dead and not polled again until its URL changes.
    Gone,
}

/// `url: message`, or the message alone when the URL is not known.
fn located(url: &str, message: &str) -> String {
    if url.is_empty() {
        message.to_string()
    } else {
        format!("{url}: {message}")
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified() {
        let s = |status| {
            Error::Status {
                url: "u".into(),
                status,
                retry_after: Some(60),
            }
            .failure()
        };
        let transient = Failure::Transient { retry_after: None };
        assert_eq!(
            s(503),
            Failure::Transient {
                retry_after: Some(60)
            }
        );
        assert_eq!(
            s(429),
            Failure::Transient {
                retry_after: Some(60)
            }
        );
        assert_eq!(s(500), transient, "Retry-After counts on 429/503 only");
        assert_eq!(s(408), transient);
        for status in [400, 401, 403, 404, 451] {
            assert_eq!(s(status), Failure::Permanent, "{status}");
        }
        assert_eq!(s(410), Failure::Gone);
        let parse = Error::Parse {
            url: "https://a/feed".into(),
            message: "empty document".into(),
        };
        assert_eq!(parse.failure(), Failure::Permanent);
        assert!(parse.remedy().unwrap().contains("not a web page"));
        let network = Error::Network {
            url: "u".into(),
            message: "timed out".into(),
            timeout: true,
            cause: None,
        };
        assert_eq!(network.failure(), transient);
        assert_eq!(network.remedy(), None);
        let store = Error::Store(rusqlite::Error::InvalidQuery);
        assert_eq!(store.failure(), transient);
    }

    #[test]
    fn a_network_error_keeps_its_cause_but_not_as_a_source() {
        let cause = reqwest::Client::new().get("not a url").build().unwrap_err();
        let e = Error::Network {
            url: "not a url".into(),
            message: format!("cannot connect: {cause}"),
            timeout: false,
            cause: Some(cause),
        };
        assert!(std::error::Error::source(&e).is_none(), "printed once");
        let Error::Network { cause, .. } = &e else {
            unreachable!()
        };
        assert!(cause.as_ref().is_some_and(reqwest::Error::is_builder));
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_a_dns_failure_and_a_refusal_is_not() {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let network = |url: &str, cause| Error::Network {
            url: url.into(),
            message: String::new(),
            timeout: false,
            cause: Some(cause),
        };
        let dns = client.get("http://feedmark-test.invalid/").send().await;
        let dns = network("dns", dns.unwrap_err());
        assert!(dns.is_dns() && dns.is_connection_failure(), "{dns:?}");
        // Port 1 on loopback: nothing listens, the connection is refused.
        let refused = client.get("http://127.0.0.1:1/").send().await;
        let refused = network("refused", refused.unwrap_err());
        assert!(!refused.is_dns() && refused.is_connection_failure());
        assert!(dns.reached_no_server() && !refused.reached_no_server());
        let guarded = Error::Refused {
            url: "http://localhost/".into(),
            reason: "not a public address".into(),
        };
        assert!(guarded.reached_no_server() && !guarded.is_connection_failure());
        let skipped = Error::HostDown {
            url: "u".into(),
            host: "h".into(),
            failures: 3,
        };
        assert!(!skipped.is_connection_failure(), "not tried: no evidence");
        assert_eq!(skipped.failure(), Failure::Transient { retry_after: None });
    }

    #[test]
    fn a_parse_error_names_its_url_once() {
        let e = |url: &str| Error::Parse {
            url: url.into(),
            message: "empty document".into(),
        };
        assert_eq!(
            e("https://a/feed").to_string(),
            "not a readable feed: https://a/feed: empty document"
        );
        assert_eq!(e("").to_string(), "not a readable feed: empty document");
    }
}
