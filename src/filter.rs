//! Per-feed item filters: keep/block rules by regex on title, URL and category, and `max_age`.

use chrono::{DateTime, Duration, Utc};
use regex::Regex;
use serde::Deserialize;

use crate::config::FeedConfig;
use crate::feed::Item;

/// One keep or block rule as written in the config. Every field given must match (a rule
/// with `title` and `url` needs both); a rule with no field is refused on load.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Regex searched in the item's title.
    pub title: Option<String>,
    /// Regex searched in the item's link, as the feed gives it.
    pub url: Option<String>,
    /// Regex that at least one of the item's categories must match.
    pub category: Option<String>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
struct Rule {
    title: Option<Regex>,
    url: Option<Regex>,
    category: Option<Regex>,
}

impl Rule {
    fn matches(&self, item: &Item) -> bool {
        let title = self.title.as_ref().is_none_or(|r| r.is_match(&item.title));
        let url = self
            .url
            .as_ref()
            .is_none_or(|r| item.link.as_deref().is_some_and(|l| r.is_match(l)));
        let category = self
            .category
            .as_ref()
            .is_none_or(|r| item.categories.iter().any(|c| r.is_match(c)));
        title && url && category
    }
}

/// The compiled filters of one feed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    keep: Vec<Rule>,
    block: Vec<Rule>,
    /// Items older than this are not downloaded on a feed's first poll (only remembered).
    pub max_age: Option<Duration>,
}

impl Filter {
    /// Compiles `feed`'s `keep`, `block` and `max_age`; the error names the feed and the key.
    pub fn compile(feed: &FeedConfig) -> Result<Filter, String> {
        let rules = |specs: &[RuleSpec], key: &str| -> Result<Vec<Rule>, String> {
            specs
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    compile_rule(s).map_err(|e| format!("feed `{}`: {key}[{i}]: {e}", feed.name))
                })
                .collect()
        };
        let max_age = feed
            .max_age
            .as_deref()
            .map(parse_age)
            .transpose()
            .map_err(|e| format!("feed `{}`: max_age: {e}", feed.name))?;
        Ok(Filter {
            keep: rules(&feed.keep, "keep")?,
            block: rules(&feed.block, "block")?,
            max_age,
        })
    }

    /// True when the item passes: no block rule matches, and, when there are keep rules, one
    /// of them matches.
    pub fn accepts(&self, item: &Item) -> bool {
        !self.block.iter().any(|r| r.matches(item))
            && (self.keep.is_empty() || self.keep.iter().any(|r| r.matches(item)))
    }

    /// True when `max_age` is set and the item's date is older than it at `now`. Undated
    /// items are never too old: there is no telling.
    pub fn too_old(&self, item: &Item, now: DateTime<Utc>) -> bool {
        match (self.max_age, item.published.or(item.updated)) {
            (Some(age), Some(date)) => date < now - age,
            _ => false,
        }
    }
}

fn compile_rule(spec: &RuleSpec) -> Result<Rule, String> {
    if spec.title.is_none() && spec.url.is_none() && spec.category.is_none() {
        return Err("give at least one of title, url, category".into());
    }
    let re = |field: &str, p: &Option<String>| {
        p.as_deref()
            .map(|p| Regex::new(p).map_err(|e| format!("{field} `{p}`: {}", one_line(&e))))
            .transpose()
    };
    Ok(Rule {
        title: re("title", &spec.title)?,
        url: re("url", &spec.url)?,
        category: re("category", &spec.category)?,
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

    fn item(title: &str, link: &str, cats: &[&str]) -> Item {
        Item {
            title: title.into(),
            link: Some(link.into()),
            categories: cats.iter().map(|c| c.to_string()).collect(),
            ..Item::default()
        }
    }

    fn feed(keep: Vec<RuleSpec>, block: Vec<RuleSpec>) -> FeedConfig {
        FeedConfig {
            name: "f".into(),
            url: "https://a/".into(),
            lang: None,
            schedule: None,
            update: None,
            keep,
            block,
            max_age: None,
            thumbnail: None,
        }
    }

    fn spec(title: Option<&str>, url: Option<&str>, category: Option<&str>) -> RuleSpec {
        RuleSpec {
            title: title.map(Into::into),
            url: url.map(Into::into),
            category: category.map(Into::into),
        }
    }

    #[test]
    fn block_wins_and_keep_narrows() {
        let f = Filter::compile(&feed(
            vec![
                spec(Some("(?i)ukraine"), None, None),
                spec(None, None, Some("^Defense$")),
            ],
            vec![spec(None, Some("/video/"), None)],
        ))
        .unwrap();
        assert!(f.accepts(&item("Ukraine talks", "https://a/news/1", &[])));
        assert!(f.accepts(&item("Budget", "https://a/news/2", &["Defense"])));
        assert!(!f.accepts(&item("Budget", "https://a/news/3", &["Defense policy"])));
        assert!(!f.accepts(&item("Ukraine talks", "https://a/video/4", &[])));
        assert!(!f.accepts(&item("Sports", "https://a/news/5", &["Sports"])));
        let none = Filter::compile(&feed(vec![], vec![])).unwrap();
        assert!(none.accepts(&item("anything", "https://a/x", &[])));
    }

    #[test]
    fn every_field_of_a_rule_must_match() {
        let f = Filter::compile(&feed(
            vec![],
            vec![spec(Some("Opinion"), Some("/op/"), None)],
        ))
        .unwrap();
        assert!(f.accepts(&item("Opinion: x", "https://a/news/1", &[])));
        assert!(!f.accepts(&item("Opinion: x", "https://a/op/1", &[])));
    }

    #[test]
    fn bad_rules_name_the_feed_and_key() {
        let err =
            Filter::compile(&feed(vec![], vec![spec(Some("(unclosed"), None, None)])).unwrap_err();
        assert!(
            err.starts_with("feed `f`: block[0]: title `(unclosed`"),
            "{err}"
        );
        let err = Filter::compile(&feed(vec![RuleSpec::default()], vec![])).unwrap_err();
        assert!(
            err.contains("keep[0]") && err.contains("at least one"),
            "{err}"
        );
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_age("2w").unwrap(), Duration::days(14));
        assert_eq!(parse_age("12h").unwrap(), Duration::hours(12));
        for bad in ["", "d", "30", "30y", "0d", "-1d", "99999999999999w"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        let mut fc = feed(vec![], vec![]);
        fc.max_age = Some("7d".into());
        let f = Filter::compile(&fc).unwrap();
        let now = Utc::now();
        let mut old = item("x", "https://a/1", &[]);
        old.published = Some(now - Duration::days(8));
        let mut fresh = old.clone();
        fresh.published = Some(now - Duration::days(6));
        assert!(f.too_old(&old, now));
        assert!(!f.too_old(&fresh, now));
        assert!(!f.too_old(&item("undated", "https://a/2", &[]), now));
    }
}
