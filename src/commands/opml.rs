//! `feedmark import-opml` and `export-opml`: the config's feeds from and to OPML.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::config_edit::ConfigFile;
use crate::error::{Error, Result};

use super::Output;

/// Adds the feeds of the OPML file `file` to the config file at `config_path` (saved only
/// when something was added) and lists what became of each outline.
pub fn import(config_path: &Path, file: &Path) -> Result<Output> {
    let bytes = crate::smallfile::read(file, crate::smallfile::OPML_LIMIT)
        .map_err(|e| Error::Usage(format!("reading {}: {e}", file.display())))?;
    let outlines = crate::opml::parse(&String::from_utf8_lossy(&bytes))
        .map_err(|message| Error::Usage(format!("OPML file {}: {message}", file.display())))?;
    let mut config = ConfigFile::open(config_path)?;
    let report = crate::opml::import(&mut config, &outlines);
    if !report.added.is_empty() {
        config.save()?;
    }
    // Writing to a String cannot fail.
    let mut text = String::new();
    for (name, url) in &report.added {
        let _ = writeln!(text, "added\t{name}\t{url}");
    }
    for url in &report.known {
        let _ = writeln!(text, "known\t{url}");
    }
    for (url, why) in &report.invalid {
        let _ = writeln!(text, "invalid\t{url}\t{why}");
    }
    let _ = writeln!(text, "{report}");
    Ok(Output::done(text))
}

/// The feeds configured in `config_path` as an OPML document.
pub fn export(config_path: &Path) -> Result<String> {
    let config = Config::load(config_path)?;
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.name.clone(), f.url.clone()))
        .collect();
    Ok(crate::opml::render(&feeds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?><opml version="2.0"><body>
        <outline text="One" type="rss" xmlUrl="https://one.example/feed"/>
        <outline text="Bad" type="rss" xmlUrl="ftp://bad.example/feed"/>
        </body></opml>"#;

    #[test]
    fn import_adds_reports_and_a_second_import_knows_the_feed() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("feedmark.toml");
        std::fs::write(&config, "").unwrap();
        let file = dir.path().join("feeds.opml");
        std::fs::write(&file, OPML).unwrap();
        let first = import(&config, &file).unwrap().text;
        assert!(first.starts_with("added\t"), "{first}");
        assert!(
            first.contains("invalid\tftp://bad.example/feed\t"),
            "{first}"
        );
        let again = import(&config, &file).unwrap().text;
        assert!(
            again.starts_with("known\thttps://one.example/feed\n"),
            "{again}"
        );
        assert!(
            export(&config)
                .unwrap()
                .contains("https://one.example/feed")
        );
    }

    #[test]
    fn an_unreadable_opml_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone.opml");
        let err = import(&dir.path().join("c.toml"), &missing).unwrap_err();
        assert!(err.to_string().starts_with("reading "), "{err}");
        assert!(!dir.path().join("c.toml").exists());
    }
}
