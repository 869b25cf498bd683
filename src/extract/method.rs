//! How an article's text was obtained, and the exact words that name it in logs and the database.

use std::fmt;
use std::str::FromStr;

/// What produced an article's text. It is stored (column `articles.extraction_method`),
/// logged, counted in metrics and printed under the names [`Method::as_str`] gives; those
/// names are a stable format and [`Method::from_str`] reads every one of them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Method {
    /// A site rule of this name found the body in the page (`rule:NAME`).
    Rule(String),
    /// The generic extractor found the body in the page (`generic`).
    Generic,
    /// The page has no article the generic extractor could find; its main text block (the
    /// element whose paragraphs hold the most text, furniture removed) stands in
    /// (`page-text`): blog home pages, product pages, forum threads, bare documents.
    PageText,
    /// The page gave nothing usable: the feed's own content stands in (`feed`).
    Feed,
    /// Neither the page nor the feed had any text (`none`).
    #[default]
    None,
    /// Remembered without its page, by `fetch --catch-up` or because it was older than the
    /// feed's `max_age` on its first poll (`catch-up`). Such articles have no file, later
    /// polls never download them, and `export` leaves them out.
    CaughtUp,
}

/// Prefix of a site rule's method name.
const RULE_PREFIX: &str = "rule:";

impl Method {
    /// The method's name, exactly as stored and shown: `rule:NAME`, `generic`, `page-text`,
    /// `feed`, `none` or `catch-up`.
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Method::Rule(name) => format!("{RULE_PREFIX}{name}").into(),
            Method::Generic => "generic".into(),
            Method::PageText => "page-text".into(),
            Method::Feed => "feed".into(),
            Method::None => "none".into(),
            Method::CaughtUp => "catch-up".into(),
        }
    }

    /// Whether the text came from the page itself, as opposed to the feed's excerpt or
    /// nothing. A caught-up article counts as from its page: no page was read, but its stored
    /// text is not a failed download's fallback either.
    pub fn from_page(&self) -> bool {
        !matches!(self, Method::Feed | Method::None)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// A stored method name that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown extraction method `{0}`")]
pub struct UnknownMethod(pub String);

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(s: &str) -> Result<Method, UnknownMethod> {
        Ok(match s {
            "generic" => Method::Generic,
            "page-text" => Method::PageText,
            "feed" => Method::Feed,
            "none" => Method::None,
            "catch-up" => Method::CaughtUp,
            _ => match s.strip_prefix(RULE_PREFIX) {
                Some(name) => Method::Rule(name.to_string()),
                None => return Err(UnknownMethod(s.to_string())),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name that databases hold, with its method: reading them must never change.
    fn stored() -> Vec<(&'static str, Method)> {
        vec![
            ("generic", Method::Generic),
            ("page-text", Method::PageText),
            ("feed", Method::Feed),
            ("none", Method::None),
            ("catch-up", Method::CaughtUp),
            ("rule:thehill", Method::Rule("thehill".into())),
            ("rule:my-site.v2", Method::Rule("my-site.v2".into())),
        ]
    }

    #[test]
    fn every_stored_name_reads_back_as_written() {
        for (name, method) in stored() {
            let parsed: Method = name.parse().unwrap();
            assert_eq!(parsed, method, "{name}");
            assert_eq!(parsed.as_str(), name);
            assert_eq!(parsed.to_string(), name);
        }
    }

    #[test]
    fn only_feed_and_none_are_not_from_the_page() {
        let from_page: Vec<bool> = stored().iter().map(|(_, m)| m.from_page()).collect();
        assert_eq!(from_page, [true, true, false, false, true, true, true]);
    }

    #[test]
    fn an_unknown_name_is_refused_by_name() {
        let err = "readability".parse::<Method>().unwrap_err();
        assert_eq!(err.to_string(), "unknown extraction method `readability`");
        assert!("Generic".parse::<Method>().is_err());
    }
}
