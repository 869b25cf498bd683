//! The store's interface: one `Store` over either backend (SQLite or PostgreSQL).
//!
//! Everything above this module sees only [`Store`] and the row types below; which database
//! holds them is decided once, by [`Store::open`], from the configured `database`.

use std::path::Path;

use crate::extract::Method;
use crate::http::Validators;

mod backend;
mod migrate;
pub use migrate::{Copied, sqlite_to_postgres};
pub mod pg;
mod sqlite;
pub use pg::coord::{Leased, Worker};
pub use sqlite::{
    ArticleFilter, ArticleSource, Attempt, DateSource, FeedState, ItemState, KeptPage, MIGRATIONS,
    PageBody, PendingPage,
};

use backend::Backend;

/// An open feedmark database.
pub struct Store {
    backend: Backend,
}

/// The stored state of a feed.
#[derive(Debug, Clone, Default)]
pub struct FeedRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub validators: Validators,
    pub error_count: i64,
    pub last_error: Option<String>,
    pub last_success_at: Option<i64>,
    /// Set when the feed answered 410 Gone.
    pub dead_at: Option<i64>,
    pub next_poll_at: Option<i64>,
}

/// An article ready to be stored (its file has already been written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub url: String,
    pub title: String,
    pub author: Option<String>,
    pub published_at: i64,
    pub updated_at: Option<i64>,
    pub lang: String,
    pub feed_content: Option<String>,
    pub text: String,
    pub markdown: String,
    pub extraction_method: Method,
    pub content_hash: String,
    pub file_name: String,
    pub feed_id: i64,
    /// Hash of the item as its feed carried it ([`crate::identity::item_hash`]).
    pub item_hash: Option<String>,
    /// When the article last changed after it was first stored (Unix seconds).
    pub modified_at: Option<i64>,
    /// The front matter's `thumbnail` (kept in `article_pages`; empty for none).
    pub thumbnail: String,
    /// Where `published_at` came from; `None` for articles stored before schema version 8.
    pub date_source: Option<DateSource>,
    /// The item's date as the feed wrote it, when it could not be read.
    pub date_text: Option<String>,
    /// The item's categories as its feed gave them (empty for articles stored before
    /// schema version 8).
    pub categories: Vec<String>,
}

/// A stored article with the feed it was first stored for.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArticle {
    pub id: i64,
    pub feed_name: String,
    pub article: Article,
}

/// Whether `database` names a PostgreSQL server (`postgres://…` or `postgresql://…`)
/// rather than a SQLite file.
pub fn is_postgres(database: &Path) -> bool {
    database
        .to_str()
        .is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// Whether the database exists already: a SQLite file that is there, or any PostgreSQL
/// URL (the server's database is made by its administrator, not by feedmark).
pub fn exists(database: &Path) -> bool {
    is_postgres(database) || database.exists()
}
