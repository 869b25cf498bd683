//! The daemon's counters and gauges, rendered in Prometheus' text format for `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use crate::pipeline::FeedOutcome;

/// Per-feed gauges.
#[derive(Debug, Default, Clone)]
struct FeedGauges {
    errors: i64,
    next_poll: Option<i64>,
    last_success: Option<i64>,
    dead: bool,
}

/// Counters and gauges since the daemon started, rendered in Prometheus' text format.
#[derive(Debug, Default)]
pub struct Metrics {
    polls: BTreeMap<(String, &'static str), u64>,
    new_articles: BTreeMap<String, u64>,
    methods: BTreeMap<String, u64>,
    /// Per feed: (sum of seconds, count) of feed downloads.
    fetch: BTreeMap<String, (f64, u64)>,
    /// (sum of seconds, count) of whole polls (feeds, pages, files, rows).
    batches: (f64, u64),
    feeds: BTreeMap<String, FeedGauges>,
}

/// The metrics shared between the scheduler and the endpoint.
pub type Shared = Arc<Mutex<Metrics>>;

impl Metrics {
    /// Counts one feed's poll.
    pub fn record(&mut self, o: &FeedOutcome) {
        let result = if o.error.is_some() {
            "error"
        } else if o.not_modified {
            "not_modified"
        } else {
            "ok"
        };
        *self.polls.entry((o.name.clone(), result)).or_default() += 1;
        *self.new_articles.entry(o.name.clone()).or_default() += o.new_articles as u64;
        for m in &o.extraction_methods {
            *self.methods.entry(m.to_string()).or_default() += 1;
        }
        let f = self.fetch.entry(o.name.clone()).or_default();
        f.0 += o.fetch_secs;
        f.1 += 1;
    }

    /// Sets a feed's state gauges.
    pub fn set_feed(
        &mut self,
        name: &str,
        errors: i64,
        next_poll: Option<i64>,
        last_success: Option<i64>,
        dead: bool,
    ) {
        let g = FeedGauges {
            errors,
            next_poll,
            last_success,
            dead,
        };
        self.feeds.insert(name.to_string(), g);
    }

    /// Counts one whole poll of `secs`.
    pub fn record_batch(&mut self, secs: f64) {
        self.batches.0 += secs;
        self.batches.1 += 1;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in rows {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let feed = |f: &str| format!("{{feed=\"{}\"}}", escape(f));
        family(
            "feedmark_polls_total",
            "counter",
            "Feed polls by result (ok, not_modified, error).",
            self.polls
                .iter()
                .map(|((f, r), n)| {
                    (
                        format!("{{feed=\"{}\",result=\"{r}\"}}", escape(f)),
                        n.to_string(),
                    )
                })
                .collect(),
        );
        family(
            "feedmark_new_articles_total",
            "counter",
            "Articles stored for the first time, by the feed that brought them.",
            self.new_articles
                .iter()
                .map(|(f, n)| (feed(f), n.to_string()))
                .collect(),
        );
        family(
            "feedmark_extractions_total",
            "counter",
            "New articles by extraction method.",
            self.methods
                .iter()
                .map(|(m, n)| (format!("{{method=\"{}\"}}", escape(m)), n.to_string()))
                .collect(),
        );
        family(
            "feedmark_feed_fetch_seconds_sum",
            "counter",
            "Seconds spent downloading and parsing each feed.",
            self.fetch
                .iter()
                .map(|(f, (s, _))| (feed(f), format!("{s:.6}")))
                .collect(),
        );
        family(
            "feedmark_feed_fetch_seconds_count",
            "counter",
            "Feed downloads timed.",
            self.fetch
                .iter()
                .map(|(f, (_, n))| (feed(f), n.to_string()))
                .collect(),
        );
        family(
            "feedmark_poll_seconds_sum",
            "counter",
            "Seconds spent in whole polls (feeds, pages, files, database).",
            vec![(String::new(), format!("{:.6}", self.batches.0))],
        );
        family(
            "feedmark_poll_seconds_count",
            "counter",
            "Whole polls.",
            vec![(String::new(), self.batches.1.to_string())],
        );
        family(
            "feedmark_feed_consecutive_errors",
            "gauge",
            "Consecutive failed polls of each feed.",
            self.feeds
                .iter()
                .map(|(f, g)| (feed(f), g.errors.to_string()))
                .collect(),
        );
        family(
            "feedmark_feed_dead",
            "gauge",
            "1 when the feed answered 410 Gone and is no longer polled.",
            self.feeds
                .iter()
                .map(|(f, g)| (feed(f), u8::from(g.dead).to_string()))
                .collect(),
        );
        family(
            "feedmark_feed_next_poll_timestamp_seconds",
            "gauge",
            "When each feed is polled next (Unix time).",
            self.feeds
                .iter()
                .filter_map(|(f, g)| Some((feed(f), g.next_poll?.to_string())))
                .collect(),
        );
        family(
            "feedmark_feed_last_success_timestamp_seconds",
            "gauge",
            "Each feed's last successful poll (Unix time).",
            self.feeds
                .iter()
                .filter_map(|(f, g)| Some((feed(f), g.last_success?.to_string())))
                .collect(),
        );
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
