//! feedmark: polls RSS/Atom/JSON feeds, extracts full article text, deduplicates into SQLite
//! and writes Hugo Markdown. The binary in `main.rs` is a thin command-line edge over this.

pub mod charset;
pub mod clock;
pub mod commands;
pub mod config;
pub mod config_edit;
pub mod daemon;
pub mod dom;
pub mod error;
pub mod export;
pub mod extract;
pub mod feed;
pub mod feed_repair;
pub mod filter;
pub mod http;
pub mod identity;
pub mod lease;
pub mod lock;
pub mod markdown;
pub mod netguard;
pub mod opml;
pub mod output;
pub mod pipeline;
pub mod politeness;
pub mod redact;
pub mod reextract;
pub mod render;
pub mod schedule;
pub mod status;
pub mod store;
pub mod suggest;
pub mod task;
pub mod text;

pub use config::Config;
/// Size-capped reading of small files; it lives in `config`, whose files it reads first.
pub use config::smallfile;
pub use error::{Error, Result};
pub use pipeline::{Pipeline, Summary};
pub use store::Store;

/// The async runtime every command runs on: tokio's, with 8 MiB thread stacks instead of 2.
/// Page trees are bounded in depth ([`dom`]), so no walk needs more than a fraction of 2 MiB;
/// the margin is for what no test has met, since a stack overflow aborts the whole process.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
}

// The integration tests' optional-data lookup (`../shared`, skip or fail in CI), shared with
// the unit tests so both look in the same places and skip the same way.
#[cfg(test)]
#[path = "../tests/common/optional.rs"]
mod optional_data;

/// The test suite's check that Hugo reads no shortcode in a body, for the render tests.
#[cfg(test)]
#[path = "../tests/common/hugo_syntax.rs"]
mod hugo_syntax;
