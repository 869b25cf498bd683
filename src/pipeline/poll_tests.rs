//! Unit tests of a poll's steps (dedup, claim, join, record) on a real SQLite file, no network.

use url::Url;

use super::flow::{Done, Job, Poll};
use super::heal::Read;
use super::{Pipeline, Polled};
use crate::config::{Config, FeedConfig};
use crate::extract::Extracted;
use crate::feed::{Item, ParsedFeed};
use crate::http::Fetched;
use crate::store::Store;

const CONFIG: &str = r#"
database = "feedmark.db"
output_dir = "posts"
[[feeds]]
name = "a"
url = "https://a.example/feed"
[[feeds]]
name = "b"
url = "https://b.example/feed"
"#;

fn setup() -> (tempfile::TempDir, Pipeline, Store) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(CONFIG, dir.path()).unwrap();
    let store = Store::open(&dir.path().join("feedmark.db")).unwrap();
    (dir, Pipeline::new(config).unwrap(), store)
}

fn item(link: &str) -> Item {
    Item {
        guid: Some(link.to_string()),
        link: Some(link.to_string()),
        title: format!("Title of {link}"),
        content_html: Some("<p>Feed text.</p>".into()),
        ..Item::default()
    }
}

/// Feed number `index` of the config, answered with `links` as its items.
fn answered(feeds: &[FeedConfig], index: usize, feed_id: i64, links: &[&str]) -> Polled {
    let feed = feeds[index].clone();
    let url = Url::parse(&feed.url).unwrap();
    Polled {
        feed,
        feed_id,
        fetched: Fetched::from_body(url, Vec::new()),
        parsed: ParsedFeed {
            items: links.iter().map(|l| item(l)).collect(),
            ..ParsedFeed::default()
        },
        index,
        first_poll: false,
    }
}

fn new_jobs(poll: &Poll<'_>) -> Vec<(usize, String)> {
    poll.flow
        .queue
        .iter()
        .filter_map(|j| match j {
            Job::New(c) => Some((c.feed, c.item.link.clone().unwrap_or_default())),
            Job::Update(_) | Job::Retry(_) => None,
        })
        .collect()
}

#[test]
fn new_items_are_claimed_and_the_same_story_in_another_feed_joins_it() {
    let (_dir, pipe, mut store) = setup();
    let feeds = pipe.config.feeds.clone();
    let mut poll = Poll::new(&pipe, &mut store, &feeds);
    let rows = poll.feed_rows(&feeds).unwrap();
    poll.take_in(answered(
        &feeds,
        0,
        rows[0].id,
        &["https://s/1", "https://s/2"],
    ))
    .unwrap();
    poll.take_in(answered(
        &feeds,
        1,
        rows[1].id,
        &["https://s/2?utm_source=x", "https://s/3"],
    ))
    .unwrap();
    // Three downloads, not four: feed b's copy of story 2 (same canonical URL) joined a's.
    assert_eq!(
        new_jobs(&poll),
        vec![
            (0, "https://s/1".to_string()),
            (0, "https://s/2".to_string()),
            (1, "https://s/3".to_string())
        ]
    );
    assert_eq!(poll.flow.pending, vec![2, 2]);
    let joined: Vec<_> = poll.flow.joined.values().map(|j| j.feeds.clone()).collect();
    assert_eq!(joined, vec![vec![1]]);
    // No feed is recorded while its items are in flight.
    assert_eq!(poll.summary.feeds_ok, 0);
}

#[test]
fn a_finished_job_stores_one_article_for_both_feeds_and_records_them() {
    let (dir, pipe, mut store) = setup();
    let feeds = pipe.config.feeds.clone();
    {
        let mut poll = Poll::new(&pipe, &mut store, &feeds);
        poll.write().unwrap();
        let rows = poll.feed_rows(&feeds).unwrap();
        poll.take_in(answered(&feeds, 0, rows[0].id, &["https://s/1"]))
            .unwrap();
        poll.take_in(answered(&feeds, 1, rows[1].id, &["https://s/1"]))
            .unwrap();
        let Some(Job::New(c)) = poll.flow.queue.pop_front() else {
            panic!("no job queued");
        };
        let body = Extracted::none();
        poll.on_done(Done::New((c, Read::text(body)))).unwrap();
        // Both feeds waited only for that story: both are recorded now.
        assert_eq!(poll.summary.new_articles, 1);
        assert_eq!(poll.summary.feeds_ok, 2);
        assert_eq!(poll.flow.new_files.len(), 1);
        poll.flow
            .commit(poll.store, &pipe.config.output_dir)
            .unwrap();
    }
    assert_eq!(store.article_count().unwrap(), 1);
    let found = store.find_article(&[], &["https://s/1"]).unwrap();
    assert!(found.is_some());
    assert_eq!(
        crate::output::remove_leftovers(&dir.path().join("posts")),
        0
    );
}

#[test]
fn known_items_are_linked_without_a_download_and_the_feed_is_recorded_at_once() {
    let (_dir, pipe, mut store) = setup();
    let feeds = pipe.config.feeds.clone();
    let first = {
        let mut poll = Poll::new(&pipe, &mut store, &feeds);
        poll.write().unwrap();
        let rows = poll.feed_rows(&feeds).unwrap();
        poll.take_in(answered(&feeds, 0, rows[0].id, &["https://s/1"]))
            .unwrap();
        let Some(Job::New(c)) = poll.flow.queue.pop_front() else {
            panic!("no job queued");
        };
        poll.on_done(Done::New((c, Read::text(Extracted::none()))))
            .unwrap();
        poll.flow
            .commit(poll.store, &pipe.config.output_dir)
            .unwrap();
        rows
    };
    let mut poll = Poll::new(&pipe, &mut store, &feeds);
    poll.write().unwrap();
    poll.take_in(answered(&feeds, 1, first[1].id, &["https://s/1"]))
        .unwrap();
    assert!(
        poll.flow.queue.is_empty(),
        "a known story is downloaded again"
    );
    assert_eq!(poll.summary.feeds_ok, 1);
}

#[test]
fn storing_work_runs_off_the_loop_on_either_kind_of_runtime() {
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let on_worker = multi.block_on(async { tokio::spawn(async { super::blocking(|| 7) }).await });
    assert_eq!(on_worker.unwrap(), 7);
    // block_in_place would panic here: a current-thread runtime runs the work as is.
    let single = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(single.block_on(async { super::blocking(|| 8) }), 8);
    assert_eq!(super::blocking(|| 9), 9);
}

/// A clock stopped at one instant: what a poll records must come from it alone.
struct Stopped(chrono::DateTime<chrono::Utc>);

impl crate::clock::Clock for Stopped {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }

    fn real_until(&self, _: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

#[test]
fn an_undated_item_is_dated_by_the_poll_clock() {
    let (_dir, pipe, mut store) = setup();
    let at = chrono::DateTime::parse_from_rfc3339("2021-03-04T05:06:07.890Z")
        .unwrap()
        .to_utc();
    let pipe = pipe.with_clock(std::sync::Arc::new(Stopped(at)));
    let feeds = pipe.config.feeds.clone();
    {
        let mut poll = Poll::new(&pipe, &mut store, &feeds);
        poll.write().unwrap();
        let rows = poll.feed_rows(&feeds).unwrap();
        poll.take_in(answered(&feeds, 0, rows[0].id, &["https://s/1"]))
            .unwrap();
        let Some(Job::New(c)) = poll.flow.queue.pop_front() else {
            panic!("no job queued");
        };
        assert_eq!(c.item.published, None, "the item is undated");
        poll.on_done(Done::New((c, Read::text(Extracted::none()))))
            .unwrap();
        poll.flow
            .commit(poll.store, &pipe.config.output_dir)
            .unwrap();
    }
    let stored = store.articles().unwrap();
    assert_eq!(stored.len(), 1);
    // Whole seconds, like the dates feeds give.
    assert_eq!(stored[0].article.published_at, 1_614_834_367);
    assert!(
        stored[0].article.file_name.starts_with("2021-03-04-"),
        "{}",
        stored[0].article.file_name
    );
    let feed = store.feed("a").unwrap().unwrap();
    assert_eq!(feed.last_success_at, Some(1_614_834_367));
}
