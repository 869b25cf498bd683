//! `feedmark extract`: one saved page's article, as Markdown, text or JSON; no network.

use std::path::Path;

use url::Url;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::extract::{self, Rules};

/// What `extract` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The body as Markdown.
    Markdown,
    /// The body as plain text.
    Text,
    /// Title, author, date, lead image, both bodies and the method, as one JSON object.
    Json,
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

/// The `--url` value, checked before any input is read.
pub fn page_url(url: &str) -> Result<Url> {
    Url::parse(url).map_err(|e| Error::Usage(format!("--url {}: {e}", crate::redact::urls(url))))
}

/// The article in the page `bytes` downloaded from `page_url`, as text to print (empty when
/// no article was found, except in JSON). The config's rules apply when `config_path`
/// exists; without it, the built-in rules.
pub fn run(config_path: &Path, page_url: &Url, bytes: &[u8], format: Format) -> Result<String> {
    let user_rules = if config_path.exists() {
        Config::load(config_path)?.all_rules()
    } else {
        Vec::new()
    };
    let rules = Rules::new(&user_rules).map_err(Error::Usage)?;
    let html = crate::charset::decode_html(bytes, None);
    let found = extract::extract_page(&html, page_url, &rules);
    if found.is_none() {
        // Empty output alone looks like a crash or a wrong file; the exit code stays 0,
        // since a page without an article is an answer, not a failure.
        tracing::warn!(
            "no article found in the page from {page_url}: nothing to print \
             (a `[[rules]]` entry for the host in the config can name its body)"
        );
    }
    Ok(match (format, found) {
        (Format::Json, found) => json(page_url, &found.unwrap_or_else(extract::Extracted::none))?,
        (Format::Text, Some(found)) => found.text + "\n",
        (Format::Markdown, Some(found)) => found.markdown + "\n",
        (_, None) => String::new(),
    })
}

fn json(page_url: &Url, found: &extract::Extracted) -> Result<String> {
    let article = JsonArticle {
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
    // Serialising strings and options cannot fail; should it, it is said, not hidden.
    serde_json::to_string_pretty(&article)
        .map(|s| s + "\n")
        .map_err(|e| Error::Usage(format!("rendering JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><head><title>T</title></head><body><article><p>A paragraph \
        long enough to be the article's text, and then some more words so it counts.</p>\
        <p>And a second paragraph, also long enough to be kept by the extractor.</p>\
        </article></body></html>";

    #[test]
    fn json_is_printed_even_without_an_article() {
        let dir = tempfile::tempdir().unwrap();
        let none = dir.path().join("none.toml");
        let url = page_url("https://example.org/a").unwrap();
        let out = run(&none, &url, b"<html></html>", Format::Json).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["url"], "https://example.org/a");
        assert_eq!(
            run(&none, &url, b"<html></html>", Format::Text).unwrap(),
            ""
        );
    }

    #[test]
    fn text_ends_in_one_newline() {
        let dir = tempfile::tempdir().unwrap();
        let url = page_url("https://example.org/a").unwrap();
        let out = run(
            &dir.path().join("c.toml"),
            &url,
            PAGE.as_bytes(),
            Format::Text,
        )
        .unwrap();
        assert!(
            out.contains("second paragraph") && out.ends_with(".\n"),
            "{out}"
        );
    }

    #[test]
    fn a_bad_url_is_named() {
        let err = page_url("nope").unwrap_err().to_string();
        assert!(err.starts_with("--url nope: "), "{err}");
    }
}
