//! The command line's arguments and subcommands (clap definitions; `main.rs` acts on them).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "feedmark",
    version = concat!(env!("CARGO_PKG_VERSION"), env!("FEEDMARK_GIT_SUFFIX")),
    about = "Feeds to full-text Hugo Markdown, deduplicated in SQLite"
)]
pub(crate) struct Cli {
    /// Configuration file. Without it (or FEEDMARK_CONFIG), the first that exists of:
    /// config/feedmark.toml in the current folder, $XDG_CONFIG_HOME/feedmark/feedmark.toml
    /// (default ~/.config/feedmark/feedmark.toml), /etc/feedmark/feedmark.toml.
    /// `feedmark init` writes one.
    #[arg(long, global = true, env = "FEEDMARK_CONFIG", value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum BodyFormat {
    Markdown,
    Text,
    /// Title, author, date, lead image, both bodies and the method, as one JSON object.
    Json,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Write a commented starter config with one example feed; never overwrites a file.
    ///
    /// The config goes to $XDG_CONFIG_HOME/feedmark/feedmark.toml (default
    /// ~/.config/feedmark/feedmark.toml), or to --config PATH; its database and output
    /// folder are under $XDG_DATA_HOME/feedmark (default ~/.local/share/feedmark).
    Init,
    /// Poll every feed (or one) once, store new articles, write their files, exit.
    Fetch {
        /// Only this feed (its `name` in the config).
        #[arg(long)]
        feed: Option<String>,
        /// Poll and extract as usual, print what would be written; store and write nothing.
        #[arg(long, conflicts_with = "catch_up")]
        dry_run: bool,
        /// Mark every current item as seen without downloading pages or writing files, so
        /// that later polls skip them (the first run on a big feed). `export` leaves them out.
        #[arg(long)]
        catch_up: bool,
    },
    /// Run as a daemon: poll each feed on its schedule until SIGTERM/SIGINT; SIGHUP reloads.
    Run,
    /// Show each feed's last success, last error, error count, next poll and articles stored,
    /// and whether a feedmark process (daemon or fetch) holds the database.
    Status {
        /// Print JSON (an array of feed objects, times in Unix seconds) for scripts.
        #[arg(long)]
        json: bool,
        /// For monitoring: exit with status 1 when a configured feed is failing or dead
        /// (the table or JSON is printed all the same).
        #[arg(long)]
        check: bool,
    },
    /// Write the archive from the database (no network): the same files `fetch` wrote.
    #[command(group(clap::ArgGroup::new("target").required(true).args(["out", "archive"])))]
    Export {
        /// Folder to write the files into (created if needed; unchanged files are not touched).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Write one gzip-compressed tar file instead of a folder.
        #[arg(long, value_name = "FILE.tar.gz")]
        archive: Option<PathBuf>,
        /// Only articles this feed carried.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Only articles published on or after DATE (YYYY-MM-DD, `YYYY-MM-DD HH:MM:SS` UTC, or RFC 3339).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only articles published on or before DATE (a bare day includes the whole day).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
    },
    /// Copy the SQLite database (articles, pages, feed state) into an empty PostgreSQL
    /// database; then point `database` at it. The SQLite file is left as it was.
    MigrateDb {
        /// The PostgreSQL database: `postgres://user:password@host/dbname` (or `postgresql://`;
        /// `?host=/run/postgresql` for a Unix socket).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Run extraction again on stored articles (after rules changed); rewrite changed files only.
    Reextract {
        /// Only articles this feed carried (its `name` in the config).
        #[arg(long)]
        feed: Option<String>,
        /// Only articles published on or after this date (YYYY-MM-DD, UTC, or RFC 3339).
        #[arg(long, value_parser = parse_since)]
        since: Option<i64>,
    },
    /// Add the feeds of an OPML file (Miniflux, FreshRSS, Feedly exports) to the config file,
    /// keeping its comments; feeds whose URL is already configured are skipped.
    ImportOpml {
        /// The OPML file.
        file: PathBuf,
    },
    /// Print the configured feeds as OPML (or write them to a file).
    ExportOpml {
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List, add, remove or try out feeds.
    Feeds {
        #[command(subcommand)]
        command: FeedsCommand,
    },
    /// Print a shell completion script (e.g. `feedmark completions bash > /etc/bash_completion.d/feedmark`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a folder.
    Man {
        /// Write feedmark.1 and feedmark-COMMAND.1 into this folder instead.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Extract the article body of one saved page; never touches the network.
    Extract {
        /// The URL the page was downloaded from (for site rules and absolute links).
        #[arg(long)]
        url: String,
        /// The saved page; standard input when absent.
        #[arg(long)]
        html: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = BodyFormat::Markdown)]
        format: BodyFormat,
    },
    /// Show a saved feed file as feedmark reads it (items, dates, links, content, repairs);
    /// never touches the network or the database.
    Parse {
        /// The feed file; `-` for standard input.
        file: PathBuf,
        /// Print one JSON object (dates in RFC 3339 UTC, absent values null).
        #[arg(long)]
        json: bool,
        /// The URL the feed was downloaded from, to resolve relative links.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum FeedsCommand {
    /// Print each configured feed: name and URL.
    List,
    /// Add a feed to the config file (its comments and layout are kept).
    Add {
        /// The feed's URL.
        url: String,
        /// Its name; by default derived from the URL's host, made unique.
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a feed from the config file; its stored articles and files stay.
    Remove {
        /// The feed's name.
        name: String,
    },
    /// Fetch a feed (or a site's home page that links one) once and show what would be
    /// written for its first items; nothing is stored.
    Test {
        /// Feed URL, or the URL of a page with <link rel="alternate"> to a feed.
        url: String,
        /// How many items to download and extract.
        #[arg(long, default_value_t = 3)]
        items: usize,
    },
}

/// `--since`: a day (midnight UTC) or an RFC 3339 time, as Unix seconds.
fn parse_since(s: &str) -> std::result::Result<i64, String> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(day
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|_| format!("`{s}` is neither YYYY-MM-DD nor an RFC 3339 time"))
}
