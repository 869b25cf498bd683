//! The feedmark command line: parses arguments, sets up logging, calls the library.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use feedmark::export::Target;
use feedmark::extract::{self, Rules};
use feedmark::pipeline::Mode;

#[path = "cli/tools.rs"]
mod tools;
use feedmark::store::ArticleFilter;
use feedmark::{Config, Pipeline, Store};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "feedmark",
    version = concat!(env!("CARGO_PKG_VERSION"), env!("FEEDMARK_GIT_SUFFIX")),
    about = "Feeds to full-text Hugo Markdown, deduplicated in SQLite"
)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "FEEDMARK_CONFIG",
        default_value = "config/feedmark.toml"
    )]
    config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum BodyFormat {
    Markdown,
    Text,
    /// Title, author, date, lead image, both bodies and the method, as one JSON object.
    Json,
}

#[derive(Subcommand)]
enum Command {
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
    /// Show each feed's last success, last error, error count, next poll and articles stored.
    Status {
        /// Print JSON (an array of feed objects, times in Unix seconds) for scripts.
        #[arg(long)]
        json: bool,
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
}

#[derive(Subcommand)]
enum FeedsCommand {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A progress bar replaces fetch's and export's per-item info lines on a terminal (they
    // would tear it); warnings and errors still show, and FEEDMARK_LOG still rules.
    let bar_shown = std::io::stderr().is_terminal()
        && matches!(cli.command, Command::Fetch { .. } | Command::Export { .. });
    init_logging(cli.log_format, bar_shown);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(format: LogFormat, quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FEEDMARK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Fetch {
            feed,
            dry_run,
            catch_up,
        } => {
            let mode = match (dry_run, catch_up) {
                (true, _) => Mode::DryRun,
                (_, true) => Mode::CatchUp,
                _ => Mode::Write,
            };
            fetch(&cli.config, feed.as_deref(), mode)
        }
        Command::Run => run_daemon(cli.config),
        Command::Status { json } => status(&cli.config, json),
        Command::Export {
            out,
            archive,
            feed,
            since,
            until,
        } => {
            let target = match (out, archive) {
                (_, Some(file)) => Target::Archive(file),
                (Some(dir), None) => Target::Dir(dir),
                (None, None) => anyhow::bail!("give --out DIR or --archive FILE.tar.gz"),
            };
            let bound = |s: Option<String>, end| {
                s.map(|s| feedmark::export::parse_bound(&s, end))
                    .transpose()
                    .map_err(anyhow::Error::msg)
            };
            let filter = ArticleFilter {
                feed,
                since: bound(since, false).context("--since")?,
                until: bound(until, true).context("--until")?,
            };
            export(&cli.config, &filter, &target)
        }
        Command::Reextract { feed, since } => reextract(&cli.config, feed.as_deref(), since),
        Command::ImportOpml { file } => tools::import_opml(&cli.config, &file),
        Command::ExportOpml { out } => tools::export_opml(&cli.config, out.as_deref()),
        Command::Feeds { command } => tools::feeds(&cli.config, command),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "feedmark", &mut out);
            write_stdout(&String::from_utf8_lossy(&out))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => tools::man(out.as_deref()),
        Command::Extract { url, html, format } => {
            extract_one(&cli.config, &url, html.as_deref(), format)
        }
    }
}

fn fetch(config_path: &Path, feed: Option<&str>, mode: Mode) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    // A dry run reads a copy of the database: it needs no lock and changes nothing.
    let (_lock, mut store) = if mode == Mode::DryRun {
        let store = Store::snapshot(&config.database)
            .with_context(|| format!("reading database {}", config.database.display()))?;
        (None, store)
    } else {
        let lock = feedmark::lock::DbLock::acquire(&config.database)?;
        let store = Store::open(&config.database)
            .with_context(|| format!("opening database {}", config.database.display()))?;
        (Some(lock), store)
    };
    let bar = progress_bar("{spinner} {msg:8} {bar:40} {pos}/{len} {elapsed}");
    let pipeline = Pipeline::new(config)?
        .with_mode(mode)
        .with_progress(bar.clone());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let summary = runtime.block_on(pipeline.fetch(&mut store, feed));
    bar.finish_and_clear();
    let summary = summary?;
    let mut text = String::new();
    if mode == Mode::DryRun {
        for planned in &summary.planned {
            text.push_str(&format!("{planned}\n"));
        }
    }
    text.push_str(&format!("{summary}\n"));
    write_stdout(&text)?;
    Ok(if summary.feeds_failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_daemon(config_path: PathBuf) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let result = runtime.block_on(async {
        let clock = feedmark::clock::from_env();
        let daemon = feedmark::daemon::Daemon::start(config_path, clock)?;
        daemon.run().await
    });
    // An extraction still running on a blocking thread must not hold up the exit: its result
    // would be discarded anyway.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result?;
    Ok(ExitCode::SUCCESS)
}

fn status(config_path: &Path, json: bool) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let rows = feedmark::status::states(&config)?;
    let text = if json {
        feedmark::status::to_json(&rows) + "\n"
    } else {
        let tz = config.timing().map_err(anyhow::Error::msg)?.timezone;
        feedmark::status::to_table(&rows, tz)
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a reader that went away (`status | head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing to standard output")
        }
        _ => Ok(()),
    }
}

fn export(config_path: &Path, filter: &ArticleFilter, target: &Target) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    if !config.database.exists() {
        anyhow::bail!(
            "database {} does not exist: nothing to export (run `feedmark fetch` first)",
            config.database.display()
        );
    }
    let store = Store::open(&config.database)
        .with_context(|| format!("opening database {}", config.database.display()))?;
    if let Some(name) = &filter.feed
        && store.feed(name)?.is_none()
    {
        anyhow::bail!("no feed named `{name}` in {}", config.database.display());
    }
    let bar = progress_bar("{bar:40} {pos}/{len} articles {eta}");
    bar.set_length(store.count_articles(filter)?);
    let summary = feedmark::export::export(&store, &config, filter, target, &mut || bar.inc(1))?;
    bar.finish_and_clear();
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
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

fn reextract(config_path: &Path, feed: Option<&str>, since: Option<i64>) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let mut store = Store::open(&config.database)
        .with_context(|| format!("opening database {}", config.database.display()))?;
    let summary = feedmark::reextract::run(&config, &mut store, feed, since)?;
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// `extract --format json` output, fields in reading order.
#[derive(serde::Serialize)]
struct JsonArticle<'a> {
    url: &'a str,
    canonical: Option<&'a str>,
    title: Option<&'a str>,
    author: Option<&'a str>,
    date: Option<&'a str>,
    image: Option<&'a str>,
    method: &'a str,
    markdown: &'a str,
    text: &'a str,
}

/// A bar only for a person watching (stderr is a terminal); logs and pipes get plain log
/// lines and the summary alone.
fn progress_bar(template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn extract_one(
    config_path: &Path,
    url: &str,
    html: Option<&Path>,
    format: BodyFormat,
) -> Result<ExitCode> {
    let page_url = url::Url::parse(url).with_context(|| format!("--url {url}"))?;
    let bytes = match html {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            buf
        }
    };
    // The config's own rules apply when there is a config; without one, the built-in rules.
    let user_rules = if config_path.exists() {
        Config::load(config_path)?
            .all_rules()
            .map_err(anyhow::Error::msg)?
    } else {
        Vec::new()
    };
    let rules = Rules::new(&user_rules).map_err(anyhow::Error::msg)?;
    let html = feedmark::charset::decode_html(&bytes, None);
    let found = extract::extract_page(&html, &page_url, &rules);
    match (format, found) {
        (BodyFormat::Json, found) => {
            let found = found.unwrap_or_else(extract::Extracted::none);
            let json = JsonArticle {
                url: page_url.as_str(),
                canonical: found.canonical.as_deref(),
                title: found.meta.title.as_deref(),
                author: found.meta.author.as_deref(),
                date: found.meta.date.as_deref(),
                image: found.meta.image.as_deref(),
                method: &found.method,
                markdown: &found.markdown,
                text: &found.text,
            };
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        (BodyFormat::Text, Some(found)) => println!("{}", found.text),
        (BodyFormat::Markdown, Some(found)) => println!("{}", found.markdown),
        (_, None) => {}
    }
    Ok(ExitCode::SUCCESS)
}
