//! feedmark: polls RSS/Atom/JSON feeds, extracts full article text, deduplicates into SQLite
//! and writes Hugo Markdown. The binary in `main.rs` is a thin command-line edge over this.

pub mod charset;
pub mod config;
pub mod error;
pub mod extract;
pub mod feed;
pub mod http;
pub mod identity;
pub mod markdown;
pub mod netguard;
pub mod output;
pub mod pipeline;
pub mod reextract;
pub mod store;
pub mod text;

pub use config::Config;
pub use error::{Error, Result};
pub use pipeline::{Pipeline, Summary};
pub use store::Store;
