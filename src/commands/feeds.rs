//! `feedmark feeds`: list, add, remove or try out feeds in the config file.

use std::path::Path;

use crate::config::Config;
use crate::config_edit::ConfigFile;
use crate::error::{Error, Result};
use crate::pipeline::Pipeline;

use super::Output;

/// Each configured feed, one `name<TAB>url` line.
pub fn list(config_path: &Path) -> Result<String> {
    let config = Config::load(config_path)?;
    let mut out = String::new();
    for f in &config.feeds {
        out.push_str(&f.name);
        out.push('\t');
        out.push_str(&f.url);
        out.push('\n');
    }
    Ok(out)
}

/// Adds the feed at `url` to the config file, named `name` or after its host (made unique).
pub fn add(config_path: &Path, url: &str, name: Option<String>) -> Result<Output> {
    let mut file = ConfigFile::open(config_path)?;
    if file.has_url(url) {
        let shown = crate::redact::urls(url);
        return Err(Error::Usage(format!(
            "{shown} is already in {}",
            config_path.display()
        )));
    }
    let name = match name {
        Some(n) => n,
        None => file.unique_name(&host_of(url)?),
    };
    if file
        .feeds()
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(&name))
    {
        return Err(Error::Usage(format!(
            "a feed named `{name}` is already in {}",
            config_path.display()
        )));
    }
    file.add_feed(&name, url)?;
    file.save()?;
    Ok(Output::done(format!("added\t{name}\t{url}\n")))
}

/// The host a feed is named after, without `www.`.
fn host_of(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url)
        .map_err(|e| Error::Usage(format!("feed url `{}`: {e}", crate::redact::urls(url))))?;
    Ok(parsed
        .host_str()
        .map(|h| h.trim_start_matches("www.").to_string())
        .unwrap_or_default())
}

/// Removes the feed named `name` from the config file; its articles and files stay.
pub fn remove(config_path: &Path, name: &str) -> Result<Output> {
    let mut file = ConfigFile::open(config_path)?;
    if !file.remove_feed(name) {
        return Err(Error::Usage(format!(
            "no feed named `{name}` in {}",
            config_path.display()
        )));
    }
    file.save()?;
    Ok(Output::done(format!("removed\t{name}\n")))
}

/// The pipeline `feeds test` previews with: the config's `[http]` settings and rules when
/// there is a config file, the defaults otherwise.
pub fn test_pipeline(config_path: &Path) -> Result<Pipeline> {
    let config = if config_path.exists() {
        Config::load(config_path)?
    } else {
        Config::parse("", Path::new(".")).map_err(|message| Error::Config {
            path: config_path.to_path_buf(),
            message,
        })?
    };
    Pipeline::new(config)
}

/// What `pipeline` would write for the first `items` items of the feed at `url` (or of the
/// feed a page at `url` links); nothing is stored.
pub async fn test(pipeline: &Pipeline, url: &str, items: usize) -> Result<String> {
    Ok(pipeline.preview(url, items).await?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_names_after_the_host_and_refuses_twice() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("feedmark.toml");
        std::fs::write(&config, "").unwrap();
        let out = add(&config, "https://www.example.org/feed", None).unwrap();
        assert_eq!(
            out.text,
            "added\texample-org\thttps://www.example.org/feed\n"
        );
        let again = add(&config, "https://www.example.org/feed", None).unwrap_err();
        assert!(again.to_string().contains("is already in"), "{again}");
        let named = add(
            &config,
            "https://other.example/feed",
            Some("EXAMPLE-ORG".into()),
        );
        let err = named.unwrap_err().to_string();
        assert!(
            err.starts_with("a feed named `EXAMPLE-ORG` is already in"),
            "{err}"
        );
        assert_eq!(
            list(&config).unwrap(),
            "example-org\thttps://www.example.org/feed\n"
        );
    }

    #[test]
    fn remove_refuses_an_unknown_name_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("feedmark.toml");
        std::fs::write(&config, "").unwrap();
        add(&config, "https://example.org/feed", Some("ex".into())).unwrap();
        let err = remove(&config, "nope").unwrap_err().to_string();
        assert!(err.starts_with("no feed named `nope` in "), "{err}");
        assert_eq!(remove(&config, "ex").unwrap().text, "removed\tex\n");
        assert_eq!(list(&config).unwrap(), "");
    }

    #[test]
    fn a_missing_config_is_not_created_but_points_at_init() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("no/such/feedmark.toml");
        let err = add(&config, "https://example.org/feed", None)
            .unwrap_err()
            .to_string();
        let init = format!("run `feedmark --config {} init`", config.display());
        assert!(err.contains(&init), "{err}");
        assert!(!dir.path().join("no").exists());
    }

    #[test]
    fn a_url_that_does_not_parse_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, "").unwrap();
        let err = add(&config, "not a url", None).unwrap_err();
        assert!(
            err.to_string().starts_with("feed url `not a url`: "),
            "{err}"
        );
    }
}
