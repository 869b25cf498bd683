//! A typed builder for test configs, written as real TOML (top-level keys stay above tables).

use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

/// A `feedmark.toml` under construction. Every key goes where TOML puts it: a top-level key
/// set after `[[feeds]]` still lands above the tables, not inside the last feed (the trap of
/// appending text).
#[derive(Clone, Debug)]
pub struct SiteConfig {
    doc: DocumentMut,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig::new()
    }
}

impl SiteConfig {
    /// The tests' usual config: database and posts in the config's folder, 127.0.0.1
    /// allowed, short timeouts, no politeness delay.
    pub fn new() -> SiteConfig {
        let mut config = SiteConfig::empty();
        config
            .set("database", "feedmark.db")
            .set("output_dir", "posts")
            .http("allow_private_networks", true)
            .http("timeout_secs", 2)
            .http("connect_timeout_secs", 2)
            .http("per_host_delay_ms", 0)
            .http("per_host_concurrency", 8);
        config
    }

    /// A config with no key at all.
    pub fn empty() -> SiteConfig {
        SiteConfig {
            doc: DocumentMut::new(),
        }
    }

    /// Sets a top-level key (`extract_budget_ms`, `keep_pages_days`, `path_template`, …).
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.doc.insert(key, Item::Value(value.into()));
        self
    }

    /// Removes a top-level key.
    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.doc.remove(key);
        self
    }

    /// Sets `key` in the `[http]` table.
    pub fn http(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.in_table("http", key, value)
    }

    /// Sets `key` in the `[daemon]` table.
    pub fn daemon(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.in_table("daemon", key, value)
    }

    /// Sets `key` in the table `[table]`, made when missing.
    pub fn in_table(&mut self, table: &str, key: &str, value: impl Into<Value>) -> &mut Self {
        let entry = self
            .doc
            .entry(table)
            .or_insert_with(|| Item::Table(Table::new()));
        let table = entry.as_table_mut().expect("a table");
        table.insert(key, Item::Value(value.into()));
        self
    }

    /// Adds a `[[feeds]]` entry (`lang = "en"`, as most fixtures are English).
    pub fn feed(&mut self, name: &str, url: impl Into<String>) -> &mut Self {
        let mut table = Table::new();
        table.insert("name", toml_edit::value(name));
        table.insert("url", toml_edit::value(url.into()));
        table.insert("lang", toml_edit::value("en"));
        self.feeds().push(table);
        self
    }

    /// Sets `key` on the feed named `name`.
    pub fn feed_key(&mut self, name: &str, key: &str, value: impl Into<Value>) -> &mut Self {
        let feed = self
            .feeds()
            .iter_mut()
            .find(|t| t.get("name").and_then(Item::as_str) == Some(name))
            .unwrap_or_else(|| panic!("no feed named {name}"));
        feed.insert(key, Item::Value(value.into()));
        self
    }

    /// Sets `key` on every feed.
    pub fn every_feed(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        for feed in self.feeds().iter_mut() {
            feed.insert(key, Item::Value(value.clone()));
        }
        self
    }

    /// Merges a TOML fragment (say a `[[rules]]` entry or a `[hugo]` table) into the config:
    /// its top-level keys become top-level keys, its tables merge with tables of that name.
    pub fn merge(&mut self, fragment: &str) -> &mut Self {
        let extra: DocumentMut = fragment.parse().expect("a TOML fragment");
        for (key, item) in extra.as_table() {
            match (self.doc.get_mut(key), item) {
                (Some(Item::Table(mine)), Item::Table(theirs)) => {
                    for (k, v) in theirs {
                        mine.insert(k, v.clone());
                    }
                }
                (Some(Item::ArrayOfTables(mine)), Item::ArrayOfTables(theirs)) => {
                    for t in theirs {
                        mine.push(t.clone());
                    }
                }
                _ => {
                    self.doc.insert(key, item.clone());
                }
            }
        }
        self
    }

    /// The config as TOML text.
    pub fn to_toml(&self) -> String {
        self.doc.to_string()
    }

    /// Writes the config to `dir/feedmark.toml` and returns that path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join("feedmark.toml");
        std::fs::write(&path, self.to_toml()).unwrap();
        path
    }

    fn feeds(&mut self) -> &mut ArrayOfTables {
        self.doc
            .entry("feeds")
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .expect("feeds is an array of tables")
    }
}
