//! Adds and removes `[[feeds]]` in the config file, keeping its comments and layout.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::config::{Config, validate_name};
use crate::error::{Error, Result};

/// The config file as an editable document.
pub struct ConfigFile {
    path: PathBuf,
    doc: DocumentMut,
}

/// A feed as listed in the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedFeed {
    pub name: String,
    pub url: String,
}

impl ConfigFile {
    /// Reads `path`. A missing file is refused with a pointer to `feedmark init`: a config
    /// made of `[[feeds]]` alone would put its database beside it, wherever that is.
    pub fn open(path: &Path) -> Result<ConfigFile> {
        let text = crate::smallfile::read_to_string(path, crate::smallfile::CONFIG_LIMIT)
            .map_err(|e| Error::config(path, crate::config::describe_read_error(path, &e)))?;
        let doc: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| Error::config(path, one_line(&e.to_string())))?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// The configured feeds, in file order.
    pub fn feeds(&self) -> Vec<ListedFeed> {
        let Some(feeds) = self.doc.get("feeds").and_then(Item::as_array_of_tables) else {
            return Vec::new();
        };
        feeds
            .iter()
            .map(|t| ListedFeed {
                name: str_of(t, "name"),
                url: str_of(t, "url"),
            })
            .collect()
    }

    /// True when a configured feed has this URL (compared after URL normalisation).
    pub fn has_url(&self, url: &str) -> bool {
        let wanted = normalise(url);
        self.feeds().iter().any(|f| normalise(&f.url) == wanted)
    }

    /// `base` made into a valid feed name no configured feed uses (case-insensitively).
    pub fn unique_name(&self, base: &str) -> String {
        let taken: HashSet<String> = self
            .feeds()
            .iter()
            .map(|f| f.name.to_ascii_lowercase())
            .collect();
        let stem = slug(base);
        let stem = if stem.is_empty() { "feed".into() } else { stem };
        let mut name = stem.clone();
        let mut n = 2;
        while taken.contains(&name) {
            let suffix = format!("-{n}");
            let keep = stem.len().min(64 - suffix.len());
            name = format!("{}{suffix}", stem[..keep].trim_end_matches(['-', '.']));
            n += 1;
        }
        name
    }

    /// Appends a `[[feeds]]` table. The caller checks the name is unique ([`Self::unique_name`]).
    pub fn add_feed(&mut self, name: &str, url: &str) -> Result<()> {
        validate_name(name).map_err(|m| Error::config(&self.path, m))?;
        let feeds = self
            .doc
            .entry("feeds")
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        let Some(feeds) = feeds.as_array_of_tables_mut() else {
            return Err(Error::config(
                &self.path,
                "`feeds` is not written as [[feeds]] tables; edit it by hand",
            ));
        };
        let mut table = Table::new();
        table["name"] = value(name);
        table["url"] = value(url);
        table.decor_mut().set_prefix("\n");
        feeds.push(table);
        Ok(())
    }

    /// Removes the feed called `name`; false when there is none.
    pub fn remove_feed(&mut self, name: &str) -> bool {
        let Some(feeds) = self
            .doc
            .get_mut("feeds")
            .and_then(Item::as_array_of_tables_mut)
        else {
            return false;
        };
        let Some(index) = feeds.iter().position(|t| str_of(t, "name") == name) else {
            return false;
        };
        feeds.remove(index);
        true
    }

    /// Checks the edited text is a valid config, then replaces the file atomically (same
    /// permissions). Nothing is written when the result would not load.
    pub fn save(&self) -> Result<()> {
        let text = self.doc.to_string();
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::parse(&text, dir).map_err(|m| Error::config(&self.path, m))?;
        let io = |e| Error::io(&self.path, e);
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io)?;
        if let Ok(meta) = std::fs::metadata(&self.path) {
            std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?;
        }
        tmp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

fn str_of(t: &Table, key: &str) -> String {
    t.get(key)
        .and_then(Item::as_str)
        .unwrap_or_default()
        .to_string()
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A URL compared loosely: parsed (host lowercased, default port dropped), no fragment.
fn normalise(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut u) => {
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.trim().to_string(),
    }
}

/// A feed name from a title: ASCII letters and digits lowercased, everything else one `-`,
/// at most 64 characters, never starting with `.` (see `validate_name`). The same slug rule
/// as file names.
pub fn slug(title: &str) -> String {
    crate::text::slugify(title, 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_names() {
        assert_eq!(
            slug("Ars Technica – All content"),
            "ars-technica-all-content"
        );
        assert_eq!(
            slug("  Le Monde.fr : Actualités "),
            "le-monde-fr-actualites"
        );
        assert_eq!(slug("日本語"), "");
        assert_eq!(slug(&"x".repeat(100)).len(), 64);
        for s in ["Ars Technica", ".hidden", "a/../b", &"y ".repeat(80)] {
            assert!(validate_name(&slug(s)).is_ok(), "{s}");
        }
    }

    #[test]
    fn edits_keep_comments_and_validate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let text = "# top comment\ndatabase = \"x.db\" # trailing\n\n# the feeds\n[[feeds]]\nname = \"a\"\nurl = \"https://a.example/feed\"\n\n# rules below\n[[rules]]\nname = \"r\"\nhosts = [\"a.example\"]\nbody = [\"article\"]\n";
        std::fs::write(&path, text).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        assert!(file.has_url("https://A.example/feed#x"));
        assert_eq!(file.unique_name("A"), "a-2");
        file.add_feed("b", "https://b.example/feed").unwrap();
        file.save().unwrap();
        let saved = std::fs::read_to_string(&path).unwrap();
        assert!(
            saved.starts_with("# top comment\ndatabase = \"x.db\" # trailing\n"),
            "{saved}"
        );
        assert!(saved.contains("# rules below\n[[rules]]"), "{saved}");
        let config = Config::load(&path).unwrap();
        let names: Vec<_> = config.feeds.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(config.rules.len(), 1);

        let mut file = ConfigFile::open(&path).unwrap();
        assert!(file.remove_feed("a"));
        assert!(!file.remove_feed("zzz"));
        file.save().unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.feeds.len(), 1);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("# rules below")
        );

        // An edit that would not load is refused and the file is left as it was.
        let before = std::fs::read_to_string(&path).unwrap();
        let mut file = ConfigFile::open(&path).unwrap();
        file.add_feed("c", "ftp://c.example/").unwrap();
        assert!(
            file.save()
                .unwrap_err()
                .to_string()
                .contains("ftp://c.example/")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }
}
