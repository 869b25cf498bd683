//! The keep/block rules and `max_age` of a feed, as written, and their checked form.

use chrono::Duration;
use regex::Regex;
use serde::Deserialize;

/// One keep or block rule as written in the config. Every field given must match (a rule
/// with `title` and `url` needs both); a rule with no field is refused on load.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FilterRuleSpec {
    /// Regex searched in the item's title.
    pub title: Option<String>,
    /// Regex searched in the item's link, as the feed gives it.
    pub url: Option<String>,
    /// Regex that at least one of the item's categories must match.
    pub category: Option<String>,
}

/// A rule's patterns compiled, for the filter stage to match items with.
#[derive(Debug, Clone)]
pub struct FilterPatterns {
    pub title: Option<Regex>,
    pub url: Option<Regex>,
    pub category: Option<Regex>,
}

/// A feed's keep and block rules compiled, with its `max_age`: what a filter is built from.
#[derive(Debug, Clone, Default)]
pub struct CompiledFilters {
    pub keep: Vec<FilterPatterns>,
    pub block: Vec<FilterPatterns>,
    pub max_age: Option<Duration>,
}

impl FilterRuleSpec {
    /// Compiles the rule's patterns; the error names the field and the pattern, or says the
    /// rule is empty.
    pub fn compile(&self) -> Result<FilterPatterns, String> {
        if self.title.is_none() && self.url.is_none() && self.category.is_none() {
            return Err("give at least one of title, url, category".into());
        }
        let re = |field: &str, p: &Option<String>| {
            p.as_deref()
                .map(|p| Regex::new(p).map_err(|e| format!("{field} `{p}`: {}", one_line(&e))))
                .transpose()
        };
        Ok(FilterPatterns {
            title: re("title", &self.title)?,
            url: re("url", &self.url)?,
            category: re("category", &self.category)?,
        })
    }
}

/// Compiles a feed's `keep`, `block` and `max_age`; the error names the feed and the key
/// (`block[0]`, `max_age`).
pub fn compile(
    feed: &str,
    keep: &[FilterRuleSpec],
    block: &[FilterRuleSpec],
    max_age: Option<&str>,
) -> Result<CompiledFilters, String> {
    let rules = |specs: &[FilterRuleSpec], key: &str| -> Result<Vec<FilterPatterns>, String> {
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.compile()
                    .map_err(|e| format!("feed `{feed}`: {key}[{i}]: {e}"))
            })
            .collect()
    };
    let max_age = max_age
        .map(parse_age)
        .transpose()
        .map_err(|e| format!("feed `{feed}`: max_age: {e}"))?;
    Ok(CompiledFilters {
        keep: rules(keep, "keep")?,
        block: rules(block, "block")?,
        max_age,
    })
}

/// regex's error text spans several lines (a caret under the pattern); keep the last one.
fn one_line(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid regex")
        .trim()
        .to_string()
}

/// Parses `30d`, `12h`, `2w`, `90m`, `45s` (a whole number and one unit).
pub fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: expected a number and a unit, like \"30d\""))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("`{s}`: the unit must be s, m, h, d or w")),
    };
    n.checked_mul(secs)
        .filter(|t| *t > 0 && *t < 100 * 365 * 86_400)
        .map(Duration::seconds)
        .ok_or_else(|| format!("`{s}`: must be more than zero and under 100 years"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_max_age_names_the_feed_and_key() {
        let err = compile("f", &[], &[], Some("30y")).unwrap_err();
        assert!(err.starts_with("feed `f`: max_age: `30y`"), "{err}");
    }
}
