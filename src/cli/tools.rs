//! The command-line edge of the feed-management commands: OPML, `feeds`, man pages.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use feedmark::config_edit::ConfigFile;
use feedmark::{Config, Pipeline};

use crate::args::{Cli, FeedsCommand};
use crate::write_stdout;

pub fn import_opml(config_path: &Path, file: &Path) -> Result<ExitCode> {
    let bytes = feedmark::smallfile::read(file, feedmark::smallfile::OPML_LIMIT)
        .with_context(|| format!("reading {}", file.display()))?;
    let outlines = feedmark::opml::parse(&String::from_utf8_lossy(&bytes))
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("OPML file {}", file.display()))?;
    let mut config = ConfigFile::open(config_path)?;
    let report = feedmark::opml::import(&mut config, &outlines);
    if !report.added.is_empty() {
        config.save()?;
    }
    let mut text = String::new();
    for (name, url) in &report.added {
        text.push_str(&format!("added\t{name}\t{url}\n"));
    }
    for url in &report.known {
        text.push_str(&format!("known\t{url}\n"));
    }
    for (url, why) in &report.invalid {
        text.push_str(&format!("invalid\t{url}\t{why}\n"));
    }
    text.push_str(&format!("{report}\n"));
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn export_opml(config_path: &Path, out: Option<&Path>) -> Result<ExitCode> {
    let config = Config::load(config_path)?;
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.url.clone()))
        .collect();
    let text = feedmark::opml::render(&feeds);
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => write_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn feeds(config_path: &Path, command: FeedsCommand) -> Result<ExitCode> {
    match command {
        FeedsCommand::List => {
            let config = Config::load(config_path)?;
            let text: String = config
                .feeds
                .iter()
                .map(|f| format!("{}\t{}\n", f.name, f.url))
                .collect();
            write_stdout(&text)?;
        }
        FeedsCommand::Add { url, name } => {
            let mut file = ConfigFile::open(config_path)?;
            if file.has_url(&url) {
                let shown = feedmark::redact::urls(&url);
                anyhow::bail!("{shown} is already in {}", config_path.display());
            }
            let name = match name {
                Some(n) => n,
                None => {
                    let host = url::Url::parse(&url)
                        .with_context(|| format!("feed url `{}`", feedmark::redact::urls(&url)))?
                        .host_str()
                        .map(|h| h.trim_start_matches("www.").to_string())
                        .unwrap_or_default();
                    file.unique_name(&host)
                }
            };
            if file
                .feeds()
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(&name))
            {
                anyhow::bail!(
                    "a feed named `{name}` is already in {}",
                    config_path.display()
                );
            }
            file.add_feed(&name, &url)?;
            file.save()?;
            println!("added\t{name}\t{url}");
        }
        FeedsCommand::Remove { name } => {
            let mut file = ConfigFile::open(config_path)?;
            if !file.remove_feed(&name) {
                anyhow::bail!("no feed named `{name}` in {}", config_path.display());
            }
            file.save()?;
            println!("removed\t{name}");
        }
        FeedsCommand::Test { url, items } => {
            // The config's [http] settings and rules apply when there is one.
            let config = if config_path.exists() {
                Config::load(config_path)?
            } else {
                Config::parse("", Path::new(".")).map_err(anyhow::Error::msg)?
            };
            let pipeline = Pipeline::new(config)?;
            let runtime = feedmark::runtime().context("starting the async runtime")?;
            let preview = runtime.block_on(pipeline.preview(&url, items))?;
            write_stdout(&preview.to_string())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn man(out: Option<&Path>) -> Result<ExitCode> {
    let cmd = Cli::command();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .context("rendering the man page")?;
        write_stdout(&String::from_utf8_lossy(&page))?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    // One page for feedmark, one per command (what `man feedmark-fetch` looks for).
    let mut pages = vec![("feedmark".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("feedmark-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, page_cmd) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(page_cmd)
            .render(&mut page)
            .with_context(|| format!("rendering {name}.1"))?;
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        written.push(path.display().to_string());
    }
    write_stdout(&(written.join("\n") + "\n"))?;
    Ok(ExitCode::SUCCESS)
}
