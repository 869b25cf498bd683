//! Per-feed item filters: keep/block rules by regex on title, URL and category, and `max_age`.

use chrono::{DateTime, Duration, Utc};

use crate::config::{FeedConfig, FilterPatterns};
use crate::feed::Item;

/// A compiled keep or block rule.
#[derive(Debug, Clone)]
struct Rule(FilterPatterns);

impl Rule {
    fn matches(&self, item: &Item) -> bool {
        let p = &self.0;
        let title = p.title.as_ref().is_none_or(|r| r.is_match(&item.title));
        let url = p
            .url
            .as_ref()
            .is_none_or(|r| item.link.as_deref().is_some_and(|l| r.is_match(l)));
        let category = p
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
        let compiled = feed.compile_filters()?;
        let rules = |patterns: Vec<FilterPatterns>| patterns.into_iter().map(Rule).collect();
        Ok(Filter {
            keep: rules(compiled.keep),
            block: rules(compiled.block),
            max_age: compiled.max_age,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FilterRuleSpec as RuleSpec, parse_age};

    fn item(title: &str, link: &str, cats: &[&str]) -> Item {
        Item {
            title: title.into(),
            link: Some(link.into()),
            categories: cats.iter().map(std::string::ToString::to_string).collect(),
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
            categories_as_tags: None,
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
        let now = DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let mut old = item("x", "https://a/1", &[]);
        old.published = Some(now - Duration::days(8));
        let mut fresh = old.clone();
        fresh.published = Some(now - Duration::days(6));
        assert!(f.too_old(&old, now));
        assert!(!f.too_old(&fresh, now));
        assert!(!f.too_old(&item("undated", "https://a/2", &[]), now));
    }
}
