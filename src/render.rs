//! Renders one stored article to its file: the path (from the layout template) and the bytes.
//!
//! `fetch`, the update of a changed article and `export` all go through [`file_for`], so the
//! three can never disagree about where a file lives or what it holds.

use std::path::{Component, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::{Config, Piece, Var};
use crate::error::{Error, Result};
mod front_matter;
use crate::store::Article;
pub use front_matter::{Page, file_name, render, yaml_quote};

/// The layout, described and checked by the config; expanded here.
pub use crate::config::{DEFAULT_TEMPLATE, PathTemplate};

// Expansion is an inherent method of the config's type so that callers keep writing
// `template.expand(..)`; it lives here because it needs an article's values.
impl PathTemplate {
    /// The path, relative to the output folder, of the article stored as `file_name`.
    pub fn expand(&self, feed: &str, date: DateTime<Utc>, file_name: &str) -> Result<PathBuf> {
        let name = stem(file_name).ok_or_else(|| Error::Article {
            name: file_name.to_string(),
            message: "stored file name is not `YYYY-MM-DD-<slug>.md`".into(),
        })?;
        let feed = safe_feed(feed);
        let mut path = PathBuf::new();
        for segment in self.segments() {
            let mut part = String::new();
            for piece in segment {
                match piece {
                    Piece::Lit(l) => part.push_str(l),
                    Piece::Var(Var::Feed) => part.push_str(&feed),
                    Piece::Var(Var::Yyyy) => part.push_str(&date.format("%Y").to_string()),
                    Piece::Var(Var::Mm) => part.push_str(&date.format("%m").to_string()),
                    Piece::Var(Var::Dd) => part.push_str(&date.format("%d").to_string()),
                    Piece::Var(Var::Slug) => part.push_str(&name[11..]),
                    Piece::Var(Var::Name) => part.push_str(name),
                }
            }
            path.push(part);
        }
        // Belt and braces: whatever the values were, the result stays inside the folder.
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(Error::Article {
                name: file_name.to_string(),
                message: format!("path `{}` would leave the output folder", path.display()),
            });
        }
        Ok(path)
    }
}

/// `YYYY-MM-DD-<slug>` of a stored `YYYY-MM-DD-<slug>.md` name, when it has exactly that shape.
fn stem(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix(".md")?;
    let b = stem.as_bytes();
    if b.len() <= 11 {
        return None;
    }
    let date_ok = b[..10].iter().enumerate().all(|(i, c)| {
        if i == 4 || i == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    }) && b[10] == b'-';
    let slug_ok = b[11..]
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    (date_ok && slug_ok).then_some(stem)
}

/// The feed's name as a path part. Config names are already safe; a name from an edited
/// database that is not gets slugged instead of trusted.
fn safe_feed(feed: &str) -> String {
    let safe = !feed.is_empty()
        && !feed.starts_with('.')
        && feed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if safe {
        feed.to_string()
    } else {
        let slug = crate::text::slugify(feed, 64);
        if slug.is_empty() { "feed".into() } else { slug }
    }
}

/// A Unix time as a UTC date, or an error naming the article.
fn utc(secs: i64, file_name: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| Error::Article {
        name: file_name.to_string(),
        message: format!("time {secs} is out of range"),
    })
}

/// Where `article` (first stored for feed `feed_name`) lives under the output folder, and the
/// exact bytes of its file. The one rendering function behind fetch, update and export.
pub fn file_for(article: &Article, feed_name: &str, config: &Config) -> Result<(PathBuf, String)> {
    let date = utc(article.published_at, &article.file_name)?;
    let lastmod = article
        .modified_at
        .map(|t| utc(t, &article.file_name))
        .transpose()?;
    let path = config
        .path_template
        .expand(feed_name, date, &article.file_name)?;
    let page = Page {
        title: &article.title,
        date,
        lastmod,
        text: &article.text,
        markdown: &article.markdown,
        feed_name,
        lang: &article.lang,
        thumbnail: &article.thumbnail,
        url: &article.url,
        hugo: &config.hugo,
        categories: if config.categories_as_tags_for(feed_name) {
            &article.categories
        } else {
            &[]
        },
    };
    Ok((path, render(&page)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn day() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap()
    }

    #[test]
    fn default_layout() {
        let t = PathTemplate::default();
        let p = t
            .expand("thehill", day(), "2025-02-14-hegseth-abcdef0123.md")
            .unwrap();
        assert_eq!(p, PathBuf::from("thehill/2025/02/hegseth-abcdef0123.md"));
        let flat = PathTemplate::parse("{name}.md").unwrap();
        let p = flat.expand("x", day(), "2025-02-14-abcdef0123.md").unwrap();
        assert_eq!(p, PathBuf::from("2025-02-14-abcdef0123.md"));
    }

    #[test]
    fn hostile_stored_values_stay_inside() {
        let t = PathTemplate::default();
        let p = t.expand("../../etc", day(), "2025-02-14-x-00.md").unwrap();
        assert_eq!(p, PathBuf::from("etc/2025/02/x-00.md"));
        assert!(t.expand("a", day(), "../../x.md").is_err());
        assert!(t.expand("a", day(), "2025-02-14-/x.md").is_err());
    }

    proptest! {
        #[test]
        fn no_accepted_template_escapes(
            template in "[a-z{}./_-]{0,12}(\\{slug\\}|\\{name\\})[a-z.{}]{0,4}\\.md",
            feed in "\\PC{0,20}",
            name in "\\PC{0,30}",
        ) {
            if let Ok(t) = PathTemplate::parse(&template)
                && let Ok(p) = t.expand(&feed, day(), &name) {
                    prop_assert!(p.components().all(|c| matches!(c, Component::Normal(_))));
                    prop_assert!(p.components().all(|c| !c.as_os_str().to_string_lossy().starts_with('.')));
                }
        }
    }
}
