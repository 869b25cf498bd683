//! The library's error type: what failed, for which feed or URL, and whether a retry may help.

use std::path::PathBuf;

use crate::redact;

/// Everything that can go wrong inside feedmark's library.
///
/// Each variant carries enough context (file, URL, feed name) for a one-line message that a
/// user can act on; [`Error::is_retryable`] tells a scheduler whether trying later may succeed.
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
        message: String,
        timeout: bool,
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

    /// The document is not a feed feedmark can read.
    #[error("not a readable feed: {}", redact::urls(.0))]
    Parse(String),

    /// The SQLite store failed.
    #[error("database: {0}")]
    Store(rusqlite::Error),

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
    /// True when the same operation may succeed later (timeouts, 5xx, 429, connection errors).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } => true,
            Error::Status { status, .. } => *status == 429 || *status >= 500,
            Error::Store(_) | Error::Io { .. } | Error::BatchLost { .. } => true,
            Error::Config { .. }
            | Error::Refused { .. }
            | Error::TooLarge { .. }
            | Error::Redirect { .. }
            | Error::Parse(_)
            | Error::Schema { .. }
            | Error::Locked { .. }
            | Error::Article { .. }
            | Error::Usage(_) => false,
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

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Store(e)
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_classification() {
        let s = |status| Error::Status {
            url: "u".into(),
            status,
            retry_after: None,
        };
        assert!(s(503).is_retryable());
        assert!(s(429).is_retryable());
        assert!(!s(404).is_retryable());
        assert!(!Error::Parse("x".into()).is_retryable());
    }
}
