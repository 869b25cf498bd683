//! How each feed's poll ended, gathered while a poll runs, for the scheduler and the summary.

use crate::config::FeedConfig;
use crate::error::{Error, Failure};
use crate::extract::Method;
use crate::feed::ParsedFeed;
use crate::http::{Fetched, Hop};

/// How one feed's poll ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedOutcome {
    pub name: String,
    pub feed_id: i64,
    /// Articles stored for the first time through this feed.
    pub new_articles: usize,
    /// The server answered 304 Not Modified.
    pub not_modified: bool,
    /// Seconds from Cache-Control max-age.
    pub max_age_secs: Option<u64>,
    /// Seconds from the feed's RSS `<ttl>` (only known when a body came: not on a 304).
    pub ttl_secs: Option<u64>,
    /// The error message, when the poll (or storing one of its articles) failed.
    pub error: Option<String>,
    /// What the feed's download or parse failure means for the next try (Retry-After, 410
    /// Gone, a configuration problem). `None` beside an `error` when only storing an article
    /// failed: the feed itself answered, and is retried as after a transient failure.
    pub failure: Option<Failure>,
    /// How each new article's text was obtained.
    pub extraction_methods: Vec<Method>,
    /// Seconds the feed document took to download and parse.
    pub fetch_secs: f64,
}

/// Outcomes of one poll, indexed like the feeds it was given.
pub(super) struct Tally {
    pub outcomes: Vec<FeedOutcome>,
}

impl Tally {
    pub fn new(feeds: &[FeedConfig]) -> Tally {
        Tally {
            outcomes: feeds
                .iter()
                .map(|f| FeedOutcome {
                    name: f.name.clone(),
                    ..FeedOutcome::default()
                })
                .collect(),
        }
    }

    /// Notes a feed that answered.
    pub fn polled(&mut self, index: usize, fetched: &Fetched, parsed: &ParsedFeed) {
        let o = &mut self.outcomes[index];
        o.not_modified = fetched.not_modified;
        o.max_age_secs = fetched.max_age;
        o.ttl_secs = parsed.ttl.map(|minutes| u64::from(minutes) * 60);
    }

    /// Notes a feed whose download or parse failed.
    pub fn failed(&mut self, index: usize, e: &Error, message: String) {
        let o = &mut self.outcomes[index];
        o.failure = Some(e.failure());
        o.error = Some(message);
    }
}

/// Where the leading run of permanent redirects (301/308) from the feed URL ends, if any:
/// a temporary hop after them does not count, a temporary hop first means "not moved".
pub(super) fn permanent_target(hops: &[Hop]) -> Option<&str> {
    hops.iter()
        .take_while(|h| matches!(h.status, 301 | 308))
        .last()
        .map(|h| h.to.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(status: u16, to: &str) -> Hop {
        Hop {
            from: "x".into(),
            to: to.into(),
            status,
        }
    }

    #[test]
    fn only_leading_permanent_hops_move_a_feed() {
        assert_eq!(permanent_target(&[]), None);
        assert_eq!(permanent_target(&[hop(301, "a"), hop(308, "b")]), Some("b"));
        assert_eq!(permanent_target(&[hop(301, "a"), hop(302, "b")]), Some("a"));
        assert_eq!(permanent_target(&[hop(302, "a"), hop(301, "b")]), None);
    }
}
