//! What a poll does with new items: write them, only show them (dry run), or only remember them.

use std::path::PathBuf;

use crate::extract::Method;

/// How a poll treats new and changed items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Download, extract, store and write files (the normal `fetch`).
    #[default]
    Write,
    /// Download and extract as usual but write no file; the caller gives a throw-away store.
    DryRun,
    /// Download nothing and write nothing: store new items (from the feed's own text, marked
    /// [`Method::CaughtUp`]) so that later polls skip them, and accept changed items as they
    /// are.
    CatchUp,
}

/// A file a poll wrote, or would have written in a dry run.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub feed: String,
    /// Relative to `output_dir`.
    pub path: PathBuf,
    pub title: String,
    /// How the text was obtained (`rule:thehill`, `generic`, `feed`, ...).
    pub method: Method,
    /// An update of a stored article rather than a new one.
    pub update: bool,
}

impl std::fmt::Display for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.update { "update" } else { "new" };
        write!(
            f,
            "{verb}\t{}\t{}\t{}\t{}",
            self.feed,
            self.method,
            self.path.display(),
            self.title
        )
    }
}
