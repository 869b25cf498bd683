//! Loads and validates the TOML configuration file: plain data, checked on load.
//!
//! Config describes and checks; the stages compile what it describes (filters, site rules,
//! schedules) once, in their constructors. It depends on no other module of the crate but
//! `error`, so that every stage can depend on it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

mod filters;
pub mod locate;
mod sections;
mod site_rules;
pub mod smallfile;
mod template;
mod timing;
pub use filters::{CompiledFilters, FilterPatterns, FilterRuleSpec, parse_age};
pub use locate::{locate, locate_optional};
pub use sections::{DEFAULT_USER_AGENT, DaemonConfig, HttpConfig, HugoConfig};
pub use site_rules::{SiteRuleFile, SiteRuleSpec};
pub use template::{DEFAULT_TEMPLATE, PathTemplate, Piece, Var};
pub use timing::{parse_cron, parse_timezone};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// SQLite database file (relative paths are relative to the config file's folder), or
    /// a PostgreSQL database as a `postgres://` / `postgresql://` URL.
    #[serde(default = "default_database")]
    pub database: PathBuf,
    /// PostgreSQL only: seconds after which a worker not heard from (killed, cut off) loses
    /// its feed leases and item claims to the other workers. It refreshes them every third.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
    /// PostgreSQL only: the most feeds a `run` worker leases at a time; it takes more as it
    /// finishes these, so that the due feeds are shared out among the workers.
    #[serde(default = "default_lease_batch")]
    pub lease_batch: usize,
    /// Folder that receives one Markdown file per article; same path rule.
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// Where each article's file goes under `output_dir` (see [`PathTemplate`]).
    #[serde(default)]
    pub path_template: PathTemplate,
    /// What to do when a stored item changes in its feed; a feed's own `update` overrides it.
    #[serde(default)]
    pub update: UpdatePolicy,
    /// HTTP client settings shared by feeds and article pages.
    #[serde(default)]
    pub http: HttpConfig,
    /// Values written into every file's front matter (Mainroad page parameters).
    #[serde(default)]
    pub hugo: HugoConfig,
    /// Settings of the `run` daemon: default schedule, time zone, backoff, signals.
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// The feeds to poll.
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
    /// Site extraction rules; they take precedence over the built-in ones.
    #[serde(default)]
    pub rules: Vec<SiteRuleSpec>,
    /// Front-matter `thumbnail` for every feed that does not set its own: see [`Thumbnail`].
    #[serde(default)]
    pub thumbnail: Thumbnail,
    /// Days a downloaded article page is kept for `reextract` (0: none is kept). Older pages
    /// are dropped at the end of each poll; their articles and files stay.
    #[serde(default = "default_keep_pages_days")]
    pub keep_pages_days: u32,
    /// Milliseconds one page's extraction may take (0: no limit). A page past it is stored
    /// with the feed's text, with a warning naming it.
    #[serde(default = "default_extract_budget_ms")]
    pub extract_budget_ms: u64,
    /// Folder of rule files (`*.toml`, each with `[[rules]]` tables) read at every start, so
    /// rules change without recompiling; same path rule. After `rules`, before the built-in ones.
    #[serde(default)]
    pub rules_dir: Option<PathBuf>,
    /// Folder the config was read from; relative paths were resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file the config was read from, named by its errors ([`Config::error`]). Set by
    /// [`Config::load`]; [`Config::parse`] alone, which has no file, sets `base_dir`.
    #[serde(skip)]
    pub file: PathBuf,
    /// The rules of `rules_dir`'s files, read and checked once, on load.
    #[serde(skip)]
    dir_rules: Vec<SiteRuleSpec>,
}

/// What happens when an item already stored shows up changed (its feed data hash differs).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UpdatePolicy {
    /// Download the page again; when the article changed, update it and rewrite its file
    /// under the same name and date, with `lastmod`.
    #[default]
    Rewrite,
    /// Leave stored articles and their files as first written.
    Keep,
}

/// One feed to poll.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Short name: used for categories, tags and the source-link text.
    pub name: String,
    /// Feed URL (http or https).
    pub url: String,
    /// Language written to front matter; else the feed's own, else `hugo.lang`.
    #[serde(default)]
    pub lang: Option<String>,
    /// Cron line for the daemon; `None` uses the daemon's default.
    #[serde(default)]
    pub schedule: Option<String>,
    /// This feed's update policy; `None` follows the top-level `update`.
    #[serde(default)]
    pub update: Option<UpdatePolicy>,
    /// Items must match one of these rules (when there are any) to be stored.
    #[serde(default)]
    pub keep: Vec<FilterRuleSpec>,
    /// Items matching any of these rules are skipped.
    #[serde(default)]
    pub block: Vec<FilterRuleSpec>,
    /// On the feed's first poll, items older than this (`30d`, `12h`, `2w`) are remembered
    /// as seen instead of downloaded; `None` (the default) accepts every item.
    #[serde(default)]
    pub max_age: Option<String>,
    /// This feed's `thumbnail` source; `None` follows the global `thumbnail`.
    #[serde(default)]
    pub thumbnail: Option<Thumbnail>,
    /// Whether this feed's item categories go into `tags`; `None` follows
    /// `hugo.categories_as_tags`.
    #[serde(default)]
    pub categories_as_tags: Option<bool>,
}

impl FeedConfig {
    /// Compiles the feed's `keep`, `block` and `max_age` (the filter stage's constructor, and
    /// the check on load); the error names the feed and the key (`block[0]`).
    pub fn compile_filters(&self) -> std::result::Result<CompiledFilters, String> {
        filters::compile(&self.name, &self.keep, &self.block, self.max_age.as_deref())
    }
}

/// Where the front matter's `thumbnail` comes from.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Thumbnail {
    /// Left empty, as in the reference output.
    #[default]
    None,
    /// The item's enclosure image or media:thumbnail.
    Feed,
    /// The article page's lead image (og:image, else its JSON-LD image).
    Page,
}

fn default_database() -> PathBuf {
    PathBuf::from("data/feedmark.db")
}

fn default_lease_batch() -> usize {
    25
}

fn default_lease_secs() -> u64 {
    60
}

fn default_keep_pages_days() -> u32 {
    30
}

fn default_extract_budget_ms() -> u64 {
    10_000
}

fn default_output_dir() -> PathBuf {
    PathBuf::from("data/content/posts")
}

impl Config {
    /// Reads, parses and validates the file at `path`, resolving relative paths against it.
    pub fn load(path: &Path) -> Result<Config> {
        let text = smallfile::read_to_string(path, smallfile::CONFIG_LIMIT)
            .map_err(|e| Error::config(path, describe_read_error(path, &e)))?;
        let base = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut config = Config::parse(&text, &base).map_err(|m| Error::config(path, m))?;
        config.file = path.to_path_buf();
        Ok(config)
    }

    /// An error about this config: it names the config file.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::config(&self.file, message)
    }

    /// Parses config text; `base_dir` anchors relative paths. Errors are one-line messages.
    pub fn parse(text: &str, base_dir: &Path) -> std::result::Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| describe_toml_error(&e))?;
        config.base_dir = base_dir.to_path_buf();
        config.file = base_dir.to_path_buf();
        config.database = resolve(base_dir, &config.database);
        config.output_dir = resolve(base_dir, &config.output_dir);
        config.rules_dir = config.rules_dir.map(|d| resolve(base_dir, &d));
        config.validate()?;
        if let Some(dir) = &config.rules_dir {
            config.dir_rules = site_rules::read_dir(dir)?;
        }
        Ok(config)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.lease_secs == 0 || self.lease_batch == 0 {
            return Err("lease_secs and lease_batch must be at least 1".into());
        }
        let mut seen = HashSet::new();
        for feed in &self.feeds {
            validate_name(&feed.name)?;
            if !seen.insert(feed.name.to_ascii_lowercase()) {
                return Err(format!("feed name `{}` is used twice", feed.name));
            }
            let url = url::Url::parse(&feed.url)
                .map_err(|e| format!("feed `{}`: url `{}`: {e}", feed.name, feed.url))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "feed `{}`: url `{}`: only http and https are supported",
                    feed.name, feed.url
                ));
            }
        }
        for feed in &self.feeds {
            if let Some(line) = &feed.schedule {
                parse_cron(line).map_err(|e| format!("feed `{}`: {e}", feed.name))?;
            }
            feed.compile_filters()?;
        }
        let d = &self.daemon;
        parse_cron(&d.default_schedule).map_err(|e| format!("daemon.default_schedule: {e}"))?;
        parse_timezone(&d.timezone).map_err(|e| format!("daemon.{e}"))?;
        if d.backoff_base_secs == 0 || d.max_delay_secs < d.backoff_base_secs {
            return Err("daemon: backoff_base_secs must be ≥ 1 and ≤ max_delay_secs".into());
        }
        if self.http.per_host_concurrency == 0 {
            return Err("http: per_host_concurrency must be ≥ 1".into());
        }
        if self.http.max_redirects > 50 || self.http.concurrency == 0 {
            return Err("http: max_redirects must be ≤ 50 and concurrency ≥ 1".into());
        }
        if self.http.page_retry_max_secs < self.http.page_retry_secs {
            return Err("http: page_retry_max_secs must be ≥ page_retry_secs".into());
        }
        // The rules of `rules_dir` are checked as their files are read, after this.
        self.rules.iter().try_for_each(SiteRuleSpec::validate)
    }

    /// The cron line of `feed`: its own, else the daemon's default (both checked on load).
    pub fn schedule_line<'a>(&'a self, feed: &'a FeedConfig) -> &'a str {
        feed.schedule
            .as_deref()
            .unwrap_or(&self.daemon.default_schedule)
    }

    /// The update policy in force for `feed`.
    pub fn update_policy(&self, feed: &FeedConfig) -> UpdatePolicy {
        feed.update.unwrap_or(self.update)
    }

    /// The user's rules: the config's `[[rules]]`, then those of `rules_dir`'s files in name
    /// order (read on load, where an unreadable file or a bad rule was an error naming it).
    pub fn all_rules(&self) -> Vec<SiteRuleSpec> {
        self.rules.iter().chain(&self.dir_rules).cloned().collect()
    }

    /// The thumbnail source in force for `feed`: its own setting, else the global one.
    pub fn thumbnail_for(&self, feed: &FeedConfig) -> Thumbnail {
        feed.thumbnail.unwrap_or(self.thumbnail)
    }

    /// Whether the articles of the feed called `name` get their item's categories as tags.
    /// A feed no longer configured follows `hugo.categories_as_tags`.
    pub fn categories_as_tags_for(&self, name: &str) -> bool {
        self.feed(name)
            .and_then(|f| f.categories_as_tags)
            .unwrap_or(self.hugo.categories_as_tags)
    }

    /// The feed called `name`, if configured.
    pub fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.name == name)
    }
}

/// Why the config file at `path` could not be read; a missing one points at `feedmark init`
/// (the lookup only names a file that does not exist when it was given by name).
pub fn describe_read_error(path: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!(
            "no such file; run `feedmark --config {} init` to write a starter config there",
            path.display()
        )
    } else {
        smallfile::describe(e)
    }
}

/// A feed name becomes a taxonomy term and part of paths: keep it to a safe alphabet.
pub fn validate_name(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "feed name `{name}`: use 1-64 letters, digits, `-`, `_` or `.` (not leading)"
        ))
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    // A PostgreSQL URL (`database = "postgres://…"`) is not a path: it stays as written.
    let url = p
        .to_str()
        .is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"));
    if p.is_absolute() || url {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Turns toml's multi-line report into one line that still names the line, column and key.
fn describe_toml_error(e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{message} (at {})", line_col(e, span.start)),
        None => message,
    }
}

fn line_col(e: &toml::de::Error, _offset: usize) -> String {
    // toml's Display starts with "TOML parse error at line L, column C"; reuse its numbers.
    let full = e.to_string();
    full.lines()
        .next()
        .and_then(|l| l.strip_prefix("TOML parse error at "))
        .unwrap_or("unknown position")
        .to_string()
}

#[cfg(test)]
mod tests;
