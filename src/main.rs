//! The feedmark command line: parses arguments, sets up logging, calls the library.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};
use feedmark::export::Target;
use feedmark::extract::{self, Rules};
use feedmark::pipeline::Mode;

#[path = "cli/args.rs"]
mod args;
#[path = "cli/tools.rs"]
mod tools;
use args::{BodyFormat, Cli, Command, LogFormat};
use feedmark::store::ArticleFilter;
use feedmark::{Config, Pipeline, Store};
use indicatif::{ProgressBar, ProgressStyle};

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
    let runtime = feedmark::runtime().context("starting the async runtime")?;
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
    let runtime = feedmark::runtime().context("starting the async runtime")?;
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
        let tz = feedmark::schedule::Timing::from_config(&config.daemon)
            .map_err(anyhow::Error::msg)?
            .timezone;
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
    method: std::borrow::Cow<'a, str>,
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
    let page_url =
        url::Url::parse(url).with_context(|| format!("--url {}", feedmark::redact::urls(url)))?;
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
        Config::load(config_path)?.all_rules()
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
                method: found.method.as_str(),
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
