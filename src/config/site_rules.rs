//! Site extraction rules as written (`[[rules]]`, `rules_dir` files): their shape and selectors.

use std::path::{Path, PathBuf};

use scraper::Selector;
use serde::Deserialize;

use super::smallfile;

/// A rule as written in TOML (built in, or in the config's `[[rules]]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteRuleSpec {
    /// Name used in logs and in the recorded extraction method (`rule:<name>`).
    pub name: String,
    /// Hosts the rule applies to; each also matches its subdomains.
    pub hosts: Vec<String>,
    /// Selectors for the article body, tried in order; the first that matches wins.
    pub body: Vec<String>,
    /// Selectors removed from inside the body (ads, share bars, related links).
    #[serde(default)]
    pub strip: Vec<String>,
    /// Optional selector of the headline; overrides what the page's metadata says.
    #[serde(default)]
    pub title: Option<String>,
    /// Optional selector of the publication date (its `datetime` or `content`, else its text).
    #[serde(default)]
    pub date: Option<String>,
    /// Optional selector of the author name(s); several matches are joined with ", ".
    #[serde(default)]
    pub author: Option<String>,
}

/// A file of rules: `[[rules]]` tables and nothing else.
#[derive(Debug, Deserialize)]
pub struct SiteRuleFile {
    pub rules: Vec<SiteRuleSpec>,
}

impl SiteRuleSpec {
    /// Refuses a rule that could never apply: no host, or no body selector.
    pub fn check_shape(&self) -> Result<(), String> {
        if self.body.is_empty() || self.hosts.is_empty() {
            return Err(format!(
                "rule `{}`: needs at least one host and one body selector",
                self.name
            ));
        }
        Ok(())
    }

    /// Parses one of this rule's selectors; the error names the rule and the selector.
    pub fn selector(&self, s: &str) -> Result<Selector, String> {
        Selector::parse(s).map_err(|e| format!("rule `{}`: bad selector `{s}`: {e}", self.name))
    }

    /// Checks the rule's shape and that every selector parses, keeping none of them: the
    /// config is checked on load, and the extraction stage compiles the rule once.
    pub fn validate(&self) -> Result<(), String> {
        self.check_shape()?;
        let optional = [&self.title, &self.date, &self.author];
        self.body
            .iter()
            .chain(&self.strip)
            .chain(optional.into_iter().flatten())
            .try_for_each(|s| self.selector(s).map(|_| ()))
    }
}

/// Reads every `*.toml` file of `dir` (in name order), each holding `[[rules]]` tables, and
/// validates each rule. The error names the file.
pub fn read_dir(dir: &Path) -> Result<Vec<SiteRuleSpec>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("rules_dir {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    let mut rules = Vec::new();
    for file in files {
        let text = smallfile::read_to_string(&file, smallfile::CONFIG_LIMIT)
            .map_err(|e| format!("rule file {}: {e}", file.display()))?;
        let parsed: SiteRuleFile = toml::from_str(&text)
            .map_err(|e| format!("rule file {}: {}", file.display(), e.message().trim()))?;
        for rule in &parsed.rules {
            rule.validate()
                .map_err(|e| format!("rule file {}: {e}", file.display()))?;
        }
        rules.extend(parsed.rules);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SiteRuleSpec {
        SiteRuleSpec {
            name: "mine".into(),
            hosts: vec!["thehill.com".into()],
            body: vec!["main".into()],
            strip: vec![],
            title: None,
            date: None,
            author: None,
        }
    }

    #[test]
    fn bad_selectors_are_named_wherever_they_are() {
        assert!(spec().validate().is_ok());
        let bad = SiteRuleSpec {
            body: vec!["div[".into()],
            ..spec()
        };
        assert!(bad.validate().unwrap_err().contains("div["));
        let bad_author = SiteRuleSpec {
            author: Some("a[".into()),
            ..spec()
        };
        let err = bad_author.validate().unwrap_err();
        assert!(err.starts_with("rule `mine`: bad selector `a[`"), "{err}");
        let no_body = SiteRuleSpec {
            body: vec![],
            ..spec()
        };
        assert!(
            no_body
                .validate()
                .unwrap_err()
                .contains("at least one host")
        );
    }
}
