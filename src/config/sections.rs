//! The `[http]`, `[daemon]` and `[hugo]` tables of the config, with their defaults.

use serde::Deserialize;

/// The User-Agent sent when the config sets none: feedmark, its version, and what it is.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "feedmark/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted feed aggregator)"
);

/// HTTP client settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Allow URLs that resolve to loopback, private, link-local or unspecified addresses.
    pub allow_private_networks: bool,
    /// User-Agent header; the default names feedmark and its version.
    pub user_agent: String,
    /// Seconds allowed to establish a connection.
    pub connect_timeout_secs: u64,
    /// Seconds allowed for a whole request, body included.
    pub timeout_secs: u64,
    /// Largest response body accepted, after decompression.
    pub max_body_bytes: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Requests in flight at once across all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Milliseconds between the starts of two requests to one host.
    pub per_host_delay_ms: u64,
    /// Seconds before an article page that failed for a passing reason is tried again (0: at
    /// the next poll); the wait doubles with each further failure.
    pub page_retry_secs: u64,
    /// Cap on that wait, and on a page's Retry-After, in seconds.
    pub page_retry_max_secs: u64,
    /// Failed tries of one page (its first download included) after which it is given up.
    pub page_retry_attempts: u32,
    /// Days after a page's first failure past which it is given up, however few its tries.
    pub page_retry_max_age_days: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            allow_private_networks: false,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            connect_timeout_secs: 10,
            timeout_secs: 30,
            max_body_bytes: 15 * 1024 * 1024,
            max_redirects: 10,
            concurrency: 8,
            per_host_concurrency: 2,
            per_host_delay_ms: 500,
            page_retry_secs: 300,
            page_retry_max_secs: 21_600,
            page_retry_attempts: 12,
            page_retry_max_age_days: 3,
        }
    }
}

/// Settings of the `run` daemon.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Cron line (5 fields or `@hourly`-style alias) for feeds without their own `schedule`.
    pub default_schedule: String,
    /// IANA time zone in which schedules are read (`UTC`, `Europe/Berlin`, ...).
    pub timezone: String,
    /// Largest random delay, in seconds, added to each scheduled poll.
    pub jitter_secs: u64,
    /// Wait after the first consecutive error, in seconds; doubles with each further error.
    pub backoff_base_secs: u64,
    /// Cap on backoff and on server-given delays (max-age, ttl, Retry-After), in seconds.
    pub max_delay_secs: u64,
    /// Polls in a row that must see the same permanent redirect before the stored URL moves.
    pub redirect_polls: u32,
    /// Seconds in-flight work may take to finish after SIGTERM/SIGINT before it is abandoned.
    pub shutdown_grace_secs: u64,
    /// `HOST:PORT` (or a bare port, on 127.0.0.1) for `/healthz` and `/metrics`; empty: off.
    pub listen: String,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            default_schedule: "*/30 * * * *".into(),
            timezone: "UTC".into(),
            jitter_secs: 30,
            backoff_base_secs: 300,
            max_delay_secs: 86_400,
            redirect_polls: 3,
            shutdown_grace_secs: 10,
            listen: String::new(),
        }
    }
}

/// Front-matter values that come from configuration rather than from the article.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HugoConfig {
    /// Default language when neither the feed config nor the feed itself gives one.
    pub lang: String,
    pub menu: String,
    /// Whether the `menu` line is written at all. Hugo adds every page with a `menu` line
    /// to that menu, `""` included, and warns `duplicate menu entry` for each repeated
    /// title (an error under `--panicOnWarning`); `false` leaves the line out.
    pub menu_line: bool,
    pub lead: String,
    pub comments: bool,
    pub authorbox: bool,
    pub pager: bool,
    pub toc: bool,
    pub mathjax: bool,
    pub sidebar: String,
    pub widgets: Vec<String>,
    /// Whether the item's categories follow the feed's name in `tags` (a feed's own
    /// `categories_as_tags` overrides it). Off by default: the reference format has only
    /// the feed's name there.
    pub categories_as_tags: bool,
}

impl Default for HugoConfig {
    fn default() -> Self {
        HugoConfig {
            lang: "en".into(),
            menu: String::new(),
            menu_line: true,
            lead: String::new(),
            comments: false,
            authorbox: false,
            pager: true,
            toc: false,
            mathjax: false,
            sidebar: "right".into(),
            widgets: vec!["search".into(), "recent".into(), "taglist".into()],
            categories_as_tags: false,
        }
    }
}
