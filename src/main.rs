//! The feedmark command line: parses arguments, sets up logging, calls the library's commands.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use feedmark::commands::{self, Output, fetch::Database};
use feedmark::export::Target;
use feedmark::pipeline::Mode;
use feedmark::store::ArticleFilter;
use feedmark::{Config, Pipeline, Store};
use indicatif::{ProgressBar, ProgressStyle};

#[path = "cli/args.rs"]
mod args;
#[path = "cli/tools.rs"]
mod tools;
use args::{BodyFormat, Cli, Command, FeedsCommand, LogFormat};

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
    let spec = std::env::var("FEEDMARK_LOG").unwrap_or_else(|_| default.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(log_directives(&spec))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(log_directives(default)));
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

/// `FEEDMARK_LOG` as an `EnvFilter` directive list: a bare level (`debug`) is feedmark's
/// own, and every other crate stays at `warn` unless named (`debug,html5ever=trace`), since
/// a parser's or HTTP stack's debug output buries feedmark's in thousands of lines.
fn log_directives(spec: &str) -> String {
    let mut out = vec!["warn".to_string()];
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part
            .parse::<tracing_subscriber::filter::LevelFilter>()
            .is_ok()
        {
            out.push(format!("feedmark={part}"));
        } else {
            out.push(part.to_string());
        }
    }
    out.join(",")
}

fn run(cli: Cli) -> Result<ExitCode> {
    let explicit = cli.config.as_deref();
    // Looked up only by the commands that read a config: `man`, `init`... need none.
    let located = || feedmark::config::locate(explicit);
    let output = match cli.command {
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
            fetch(&located()?, feed.as_deref(), mode)?
        }
        Command::Run => {
            commands::run::run(runtime()?, located()?)?;
            Output::done("")
        }
        Command::Status { json, check } => commands::status::run(&located()?, json, check)?,
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
            let filter = ArticleFilter {
                feed,
                since: commands::export::bound("--since", since.as_deref(), false)?,
                until: commands::export::bound("--until", until.as_deref(), true)?,
            };
            export(&located()?, &filter, &target)?
        }
        Command::MigrateDb { to } => commands::migrate_db::run(&located()?, &to)?,
        Command::Reextract { feed, since } => reextract(&located()?, feed.as_deref(), since)?,
        Command::ImportOpml { file } => commands::opml::import(&located()?, &file)?,
        Command::ExportOpml { out } => export_opml(&located()?, out.as_deref())?,
        Command::Feeds { command } => feeds(explicit, command)?,
        Command::Completions { shell } => Output::done(tools::completions(shell)),
        Command::Man { out } => Output::done(tools::man(out.as_deref())?),
        Command::Init => commands::init::run(explicit)?,
        Command::Extract { url, html, format } => extract(explicit, &url, html.as_deref(), format)?,
        Command::Parse { file, json, url } => parse(&file, json, url.as_deref())?,
    };
    write_stdout(&output.text)?;
    Ok(if output.complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    feedmark::runtime().context("starting the async runtime")
}

/// The database for a message: a path, or a PostgreSQL URL without its password.
fn shown(database: &Path) -> String {
    feedmark::redact::urls(&database.to_string_lossy()).into_owned()
}

/// Opens `database` for writing; a failure to open names the database (the lock's refusal
/// names it already).
fn open_for_write(database: &Path) -> Result<commands::Writer> {
    commands::open_for_write(database).map_err(|e| match e {
        feedmark::Error::Locked { .. } => e.into(),
        e => anyhow::Error::new(e).context(format!("opening database {}", shown(database))),
    })
}

fn fetch(config_path: &Path, feed: Option<&str>, mode: Mode) -> Result<Output> {
    let config = Config::load(config_path)?;
    let database = config.database.clone();
    let mut db = if mode == Mode::DryRun {
        Database::copy(&database)
            .with_context(|| format!("reading database {}", shown(&database)))?
    } else {
        Database::Locked(open_for_write(&database)?)
    };
    let bar = progress_bar(FETCH_BAR);
    let pipeline = Pipeline::new(config)?
        .with_mode(mode)
        .with_progress(bar.clone());
    let output = runtime()?.block_on(commands::fetch::run(&pipeline, &mut db, feed));
    bar.finish_and_clear();
    Ok(output?)
}

/// `fetch`'s bar: one count for both, since feeds are polled and pages downloaded at the
/// same time; the total grows as feeds answer with new items.
const FETCH_BAR: &str = "{spinner} {bar:40} {pos}/{len} feeds and pages {elapsed}";

fn export(config_path: &Path, filter: &ArticleFilter, target: &Target) -> Result<Output> {
    let config = Config::load(config_path)?;
    commands::export::require_database(&config)?;
    let store = Store::open(&config.database)
        .with_context(|| format!("opening database {}", shown(&config.database)))?;
    let bar = progress_bar("{bar:40} {pos}/{len} articles {eta}");
    let output = commands::export::run(&config, &store, filter, target, &bar);
    bar.finish_and_clear();
    Ok(output?)
}

fn reextract(config_path: &Path, feed: Option<&str>, since: Option<i64>) -> Result<Output> {
    let config = Config::load(config_path)?;
    let mut writer = open_for_write(&config.database)?;
    Ok(commands::reextract::run(&config, &mut writer, feed, since)?)
}

fn export_opml(config_path: &Path, out: Option<&Path>) -> Result<Output> {
    let text = commands::opml::export(config_path)?;
    let Some(path) = out else {
        return Ok(Output::done(text));
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(Output::done(""))
}

fn feeds(explicit: Option<&Path>, command: FeedsCommand) -> Result<Output> {
    let located = || feedmark::config::locate(explicit);
    Ok(match command {
        FeedsCommand::List => Output::done(commands::feeds::list(&located()?)?),
        FeedsCommand::Add { url, name } => commands::feeds::add(&located()?, &url, name)?,
        FeedsCommand::Remove { name } => commands::feeds::remove(&located()?, &name)?,
        FeedsCommand::Test { url, items } => {
            let pipeline = commands::feeds::test_pipeline(&optional_config(explicit))?;
            let preview = runtime()?.block_on(commands::feeds::test(&pipeline, &url, items))?;
            Output::done(preview)
        }
    })
}

fn extract(
    explicit: Option<&Path>,
    url: &str,
    html: Option<&Path>,
    format: BodyFormat,
) -> Result<Output> {
    let page_url = commands::extract::page_url(url)?;
    let bytes = if let Some(path) = html {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
    } else {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    };
    let format = match format {
        BodyFormat::Markdown => commands::extract::Format::Markdown,
        BodyFormat::Text => commands::extract::Format::Text,
        BodyFormat::Json => commands::extract::Format::Json,
    };
    let text = commands::extract::run(&optional_config(explicit), &page_url, &bytes, format)?;
    Ok(Output::done(text))
}

fn parse(file: &Path, json: bool, url: Option<&str>) -> Result<Output> {
    let bytes = if file == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    } else {
        std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
    };
    Ok(Output::done(commands::parse::run(&bytes, url, json)?))
}

/// The config of a command that also works without one (`extract`, `feeds test`): the one
/// found, else a path that does not exist, which those commands read as "no config" (the
/// built-in rules and default settings).
fn optional_config(explicit: Option<&Path>) -> PathBuf {
    feedmark::config::locate_optional(explicit).unwrap_or_default()
}

/// Writes to standard output; a reader that went away (`status | head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing to standard output")
        }
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::{FETCH_BAR, log_directives};

    #[test]
    fn the_fetch_bar_template_is_valid() {
        assert!(indicatif::ProgressStyle::with_template(FETCH_BAR).is_ok());
    }

    #[test]
    fn a_bare_level_is_feedmarks_own_and_named_crates_keep_theirs() {
        assert_eq!(log_directives("debug"), "warn,feedmark=debug");
        assert_eq!(
            log_directives("debug, html5ever=trace"),
            "warn,feedmark=debug,html5ever=trace"
        );
        assert_eq!(log_directives("reqwest=info"), "warn,reqwest=info");
    }
}
