//! The commands apart from the stages: each opens what it needs, drives its stage and returns what to print.
//!
//! The binary (`main.rs`) parses arguments, opens databases with context for its messages,
//! shows progress bars, prints and maps the result to an exit code; everything else a
//! command does is here, testable without a process.

pub mod export;
pub mod extract;
pub mod feeds;
pub mod fetch;
pub mod init;
pub mod migrate_db;
pub mod opml;
pub mod parse;
pub mod reextract;
pub mod run;
pub mod status;

pub use crate::lock::{Writer, open_for_write};

/// What a command prints on standard output and whether everything it tried succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The text for standard output, ending in a newline when it is not empty.
    pub text: String,
    /// False when some of the work failed (a feed that could not be polled): exit code 1.
    pub complete: bool,
}

impl Output {
    /// Text printed by a command that did all it was asked.
    pub fn done(text: impl Into<String>) -> Output {
        Output {
            text: text.into(),
            complete: true,
        }
    }
}
