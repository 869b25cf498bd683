//! A loopback feed farm for benchmarks: N RSS feeds × M items with 50–100 KB article pages.
//!
//! ```sh
//! feed_farm --port 18900 --feeds 1000 --items 20 --latency-ms 50 --new-per-round 1
//! ```
//!
//! Serves on 127.0.0.1 only (HTTP/1.1, keep-alive, one thread per connection):
//! - `/feed/{i}.xml`: RSS 2.0 with the newest M items, `ETag` and `Last-Modified`; a matching
//!   `If-None-Match` (or, without it, `If-Modified-Since`) gets `304` and no body.
//! - `/page/{i}/{j}.html`: a page with navigation, ads, related links and reader comments
//!   around a known article body whose first sentence is `This is story {j} of feed {i}.`
//! - `/advance`: adds `new-per-round` items to every feed (a new ETag), answers the round.
//! - `/stats`: counters as JSON (feed vs page, 200 vs 304, body bytes sent, time spent
//!   answering); `/reset` zeroes them.
//!
//! Bodies are gzip-encoded when the request accepts gzip. Every feed or page request waits
//! `latency-ms` before its answer, like a distant server; `/stats`, `/advance`, `/reset` do not.
//! The gzipped pages of the first M items of every feed are made before the farm listens
//! (~15 KB each: 300 MB for 1,000 × 20), so serving one costs a copy: the farm shares the
//! machine's cores with the aggregator it measures and must take as little CPU as it can.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;

/// Farm settings from the command line.
#[derive(Clone, Copy)]
struct Opts {
    port: u16,
    feeds: u64,
    items: u64,
    latency_ms: u64,
    new_per_round: u64,
}

/// Request counters, read through `/stats`.
#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    feed_200: AtomicU64,
    feed_304: AtomicU64,
    page_200: AtomicU64,
    page_304: AtomicU64,
    other: AtomicU64,
    feed_bytes: AtomicU64,
    page_bytes: AtomicU64,
    /// Microseconds spent answering feed and page requests (request read to answer
    /// written), latency included: divided by the wall time of a poll it is the average
    /// number of requests the farm had in hand (Little's law), to set against the
    /// aggregator's own limit.
    busy_us: AtomicU64,
}

struct Farm {
    opts: Opts,
    round: AtomicU64,
    stats: Stats,
    /// Gzipped page of item j of feed i at `i * items + j`, for j < items.
    pages_gz: Vec<Vec<u8>>,
}

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        port: 18900,
        feeds: 1000,
        items: 20,
        latency_ms: 50,
        new_per_round: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).ok_or(format!("{} needs a value", pair[0]))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{}: not a number: {value}", pair[0]))?;
        match pair[0].as_str() {
            "--port" => o.port = u16::try_from(n).map_err(|_| "port too large")?,
            "--feeds" => o.feeds = n,
            "--items" => o.items = n,
            "--latency-ms" => o.latency_ms = n,
            "--new-per-round" => o.new_per_round = n,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn main() {
    let opts = match parse_opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("feed_farm: {e}");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let pages_gz = prepare_pages(opts);
    println!(
        "feed_farm: {} gzipped pages made in {:.1} s",
        pages_gz.len(),
        started.elapsed().as_secs_f64()
    );
    let listener = match TcpListener::bind(("127.0.0.1", opts.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("feed_farm: cannot listen on 127.0.0.1:{}: {e}", opts.port);
            std::process::exit(1);
        }
    };
    let farm = Arc::new(Farm {
        opts,
        round: AtomicU64::new(0),
        stats: Stats::default(),
        pages_gz,
    });
    println!(
        "feed_farm: http://127.0.0.1:{} ({} feeds × {} items, {} ms latency)",
        opts.port, opts.feeds, opts.items, opts.latency_ms
    );
    for stream in listener.incoming().flatten() {
        let farm = Arc::clone(&farm);
        std::thread::spawn(move || {
            // A broken connection only ends that connection.
            let _ = serve(&farm, stream);
        });
    }
}

/// One parsed request: path and the few headers the farm reads.
struct Request {
    path: String,
    gzip: bool,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    close: bool,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut req = Request {
        path,
        gzip: false,
        if_none_match: None,
        if_modified_since: None,
        close: line.contains("HTTP/1.0"),
    };
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "accept-encoding" => req.gzip = v.contains("gzip"),
            "if-none-match" => req.if_none_match = Some(v),
            "if-modified-since" => req.if_modified_since = Some(v),
            "connection" => req.close = v.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    Ok(Some(req))
}

fn serve(farm: &Farm, stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    while let Some(req) = read_request(&mut reader)? {
        let started = std::time::Instant::now();
        farm.stats.requests.fetch_add(1, Relaxed);
        let response = farm.answer(&req);
        out.write_all(&response)?;
        if req.path.starts_with("/feed/") || req.path.starts_with("/page/") {
            let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            farm.stats.busy_us.fetch_add(us, Relaxed);
        }
        if req.close {
            break;
        }
    }
    Ok(())
}

/// Status, content type, extra headers and body of one answer.
type Answer = (u16, &'static str, Vec<(String, String)>, Vec<u8>);

impl Farm {
    fn answer(&self, req: &Request) -> Vec<u8> {
        let path = req.path.as_str();
        let mut ready_gz = false;
        let (status, ctype, headers, body) = if let Some(rest) = path.strip_prefix("/feed/") {
            std::thread::sleep(Duration::from_millis(self.opts.latency_ms));
            self.feed(rest, req)
        } else if let Some(rest) = path.strip_prefix("/page/") {
            std::thread::sleep(Duration::from_millis(self.opts.latency_ms));
            match self.prepared(rest).filter(|_| req.gzip) {
                Some(gz) => {
                    ready_gz = true;
                    (200, PAGE_TYPE, vec![], gz.clone())
                }
                None => self.page(rest),
            }
        } else {
            self.control(path)
        };
        let gzip = ready_gz || req.gzip && body.len() > 256;
        let body = if gzip && !ready_gz {
            gzip_bytes(&body)
        } else {
            body
        };
        let counters = match (
            path.starts_with("/feed/"),
            path.starts_with("/page/"),
            status,
        ) {
            (true, _, 200) => Some((&self.stats.feed_200, &self.stats.feed_bytes)),
            (true, _, 304) => Some((&self.stats.feed_304, &self.stats.feed_bytes)),
            (_, true, 200) => Some((&self.stats.page_200, &self.stats.page_bytes)),
            (_, true, 304) => Some((&self.stats.page_304, &self.stats.page_bytes)),
            _ => None,
        };
        match counters {
            Some((count, bytes)) => {
                count.fetch_add(1, Relaxed);
                bytes.fetch_add(body.len() as u64, Relaxed);
            }
            None => {
                self.stats.other.fetch_add(1, Relaxed);
            }
        }
        let reason = match status {
            200 => "OK",
            304 => "Not Modified",
            _ => "Not Found",
        };
        let mut head = format!("HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if gzip {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        bytes
    }

    fn control(&self, path: &str) -> Answer {
        let json = "application/json";
        match path {
            "/stats" => (200, json, vec![], self.stats_json().into_bytes()),
            "/advance" => {
                let r = self.round.fetch_add(1, Relaxed) + 1;
                (200, json, vec![], format!("{{\"round\":{r}}}").into_bytes())
            }
            "/reset" => {
                let s = &self.stats;
                for c in [
                    &s.requests,
                    &s.feed_200,
                    &s.feed_304,
                    &s.page_200,
                    &s.page_304,
                    &s.other,
                    &s.feed_bytes,
                    &s.page_bytes,
                    &s.busy_us,
                ] {
                    c.store(0, Relaxed);
                }
                (200, json, vec![], b"{}".to_vec())
            }
            _ => (404, "text/plain", vec![], b"not found".to_vec()),
        }
    }

    fn stats_json(&self) -> String {
        let s = &self.stats;
        let g = |c: &AtomicU64| c.load(Relaxed);
        format!(
            "{{\"requests\":{},\"feed_200\":{},\"feed_304\":{},\"page_200\":{},\"page_304\":{},\"other\":{},\"feed_bytes\":{},\"page_bytes\":{},\"busy_us\":{},\"round\":{}}}",
            g(&s.requests),
            g(&s.feed_200),
            g(&s.feed_304),
            g(&s.page_200),
            g(&s.page_304),
            g(&s.other),
            g(&s.feed_bytes),
            g(&s.page_bytes),
            g(&s.busy_us),
            g(&self.round)
        )
    }

    fn feed(&self, rest: &str, req: &Request) -> Answer {
        let Some(i) = rest
            .strip_suffix(".xml")
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|i| *i < self.opts.feeds)
        else {
            return (404, "text/plain", vec![], b"no such feed".to_vec());
        };
        let round = self.round.load(Relaxed);
        let etag = format!("\"f{i}-r{round}\"");
        let last_modified = http_date(BASE_TIME + round as i64 * 3600);
        let fresh = match (&req.if_none_match, &req.if_modified_since) {
            (Some(inm), _) => *inm == etag,
            (None, Some(ims)) => *ims == last_modified,
            _ => false,
        };
        let headers = vec![
            ("ETag".to_string(), etag),
            ("Last-Modified".to_string(), last_modified),
        ];
        if fresh {
            return (304, "application/rss+xml", headers, Vec::new());
        }
        let total = self.opts.items + round * self.opts.new_per_round;
        let body = rss(self.opts.port, i, total, self.opts.items);
        (200, "application/rss+xml", headers, body.into_bytes())
    }

    fn page(&self, rest: &str) -> Answer {
        match page_numbers(rest) {
            Some((i, j)) if i < self.opts.feeds => {
                let html = article_page(self.opts.port, i, j);
                (200, PAGE_TYPE, vec![], html.into_bytes())
            }
            _ => (404, "text/plain", vec![], b"no such page".to_vec()),
        }
    }

    /// The gzipped page made at start-up for `rest` (`{i}/{j}.html`), if it is one.
    fn prepared(&self, rest: &str) -> Option<&Vec<u8>> {
        let (i, j) = page_numbers(rest)?;
        if i >= self.opts.feeds || j >= self.opts.items {
            return None;
        }
        self.pages_gz
            .get(usize::try_from(i * self.opts.items + j).ok()?)
    }
}

const PAGE_TYPE: &str = "text/html; charset=utf-8";

/// Feed and item numbers of a page path's rest, `{i}/{j}.html`.
fn page_numbers(rest: &str) -> Option<(u64, u64)> {
    let (i, j) = rest.strip_suffix(".html")?.split_once('/')?;
    Some((i.parse().ok()?, j.parse().ok()?))
}

/// Gzipped pages of items 0..items of every feed, made on every core.
fn prepare_pages(o: Opts) -> Vec<Vec<u8>> {
    let total = o.feeds * o.items;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() as u64);
    let per = total.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = (0..total)
            .step_by(per as usize)
            .map(|start| {
                scope.spawn(move || {
                    (start..(start + per).min(total))
                        .map(|k| {
                            gzip_bytes(article_page(o.port, k / o.items, k % o.items).as_bytes())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| {
                p.join().unwrap_or_else(|_| {
                    eprintln!("feed_farm: making the pages failed");
                    std::process::exit(1)
                })
            })
            .collect()
    })
}

/// 2026-01-01T00:00:00Z: item j of every feed is published j hours after it.
const BASE_TIME: i64 = 1_767_225_600;

fn http_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn gzip_bytes(body: &[u8]) -> Vec<u8> {
    // Level 2: zlib-rs's level 1 uses static Huffman codes only, which no common server
    // sends (nginx's default, classic zlib level 1, builds dynamic codes like this).
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::new(2));
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

/// RSS with the newest `shown` of `total` items of feed `i`, newest first.
fn rss(port: u16, i: u64, total: u64, shown: u64) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Farm feed {i}</title><link>http://127.0.0.1:{port}/</link>\
         <description>Benchmark feed {i}</description><language>en</language>\n"
    );
    for j in (total.saturating_sub(shown)..total).rev() {
        let link = format!("http://127.0.0.1:{port}/page/{i}/{j}.html");
        let mut rng = fastrand::Rng::with_seed(i * 1_000_003 + j);
        s.push_str(&format!(
            "<item><title>{}</title><link>{link}</link><guid isPermaLink=\"true\">{link}</guid>\
             <pubDate>{}</pubDate><author>desk{}@farm.example (Farm Desk)</author>\
             <description>{}</description></item>\n",
            title(&mut rng, i, j),
            http_date(BASE_TIME + j as i64 * 3600),
            i % 7,
            sentence(&mut rng, 30)
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

const WORDS: &[&str] = &[
    "council",
    "budget",
    "river",
    "school",
    "market",
    "report",
    "vote",
    "policy",
    "water",
    "energy",
    "court",
    "plan",
    "city",
    "state",
    "union",
    "health",
    "data",
    "price",
    "season",
    "minister",
    "district",
    "bridge",
    "harvest",
    "village",
    "station",
    "research",
    "winter",
    "growth",
    "contract",
    "museum",
    "festival",
    "highway",
    "officials",
    "residents",
    "experts",
    "announced",
    "approved",
    "rejected",
    "delayed",
    "expanded",
    "reviewed",
    "the",
    "a",
    "of",
    "and",
    "in",
    "on",
    "for",
    "with",
    "after",
    "before",
    "during",
    "new",
    "local",
    "national",
];

fn sentence(rng: &mut fastrand::Rng, words: usize) -> String {
    let mut s = String::new();
    for k in 0..words {
        let w = WORDS[rng.usize(..WORDS.len())];
        if k == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

fn title(rng: &mut fastrand::Rng, i: u64, j: u64) -> String {
    let s = sentence(rng, 7);
    format!("{} ({i}-{j})", s.trim_end_matches('.'))
}

/// A 50–100 KB news page: the known body sits among navigation, ads, related links and comments.
fn article_page(port: u16, i: u64, j: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(i * 1_000_003 + j);
    let title = title(&mut rng, i, j);
    let url = format!("http://127.0.0.1:{port}/page/{i}/{j}.html");
    let mut p = String::with_capacity(110_000);
    p.push_str(&format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Farm News</title>\
         <link rel=\"canonical\" href=\"{url}\"><meta property=\"og:title\" content=\"{title}\">\
         <meta name=\"author\" content=\"Farm Desk\"><style>"
    ));
    for k in 0..120 {
        p.push_str(&format!(
            ".c{k}{{margin:{k}px;padding:0 {k}px;color:#{k:03x}}}"
        ));
    }
    p.push_str("</style><script>window.dataLayer=window.dataLayer||[];");
    for k in 0..80 {
        p.push_str(&format!(
            "dataLayer.push({{event:'slot{k}',id:{k},ts:Date.now()}});"
        ));
    }
    p.push_str("</script></head><body><header class=\"site-header\"><nav class=\"main-nav\"><ul>");
    for k in 0..80 {
        p.push_str(&format!(
            "<li><a href=\"/section/{k}\">{}</a></li>",
            WORDS[k % WORDS.len()]
        ));
    }
    p.push_str("</ul></nav></header><div class=\"ad ad-leaderboard\" id=\"ad-top\"><a href=\"/ads/click?id=1\">Advertisement: best deals on winter tyres today</a></div>");
    p.push_str(&format!(
        "<main><article class=\"post\"><h1 class=\"entry-title\">{title}</h1>\
         <p class=\"byline\">By <a href=\"/authors/desk\">Farm Desk</a> · <time datetime=\"2026-01-01\">1 January 2026</time></p>\
         <div class=\"entry-content\"><p>This is story {j} of feed {i}. {}</p>",
        sentence(&mut rng, 25)
    ));
    for k in 0..9 {
        p.push_str("<p>");
        for _ in 0..5 {
            p.push_str(&sentence(&mut rng, 18));
            p.push(' ');
        }
        p.push_str(&format!(
            "See <a href=\"/page/{i}/{}.html\">earlier coverage</a>.</p>",
            (j + k) % 20
        ));
        if k == 4 {
            p.push_str("<div class=\"ad ad-inline\"><a href=\"/ads/click?id=2\">Sponsored: refinance now</a></div>");
        }
    }
    p.push_str("</div></article><aside class=\"related\"><h2>Related</h2><ul>");
    for k in 0..20 {
        p.push_str(&format!(
            "<li><a href=\"/page/{i}/{k}.html\">{}</a></li>",
            sentence(&mut rng, 8)
        ));
    }
    p.push_str("</ul></aside><section class=\"comments\" id=\"comments\"><h2>Comments</h2>");
    // Comments fill the page to its size, 50–100 KB depending on the article.
    let target = 50_000 + ((i * 7919 + j * 104_729) % 50_000) as usize - 4_000;
    let mut n = 0;
    while p.len() < target {
        n += 1;
        p.push_str(&format!(
            "<div class=\"comment\" id=\"c{n}\"><span class=\"who\">reader{n}</span><p>Reader comment: {}</p>\
             <a class=\"reply\" href=\"#c{n}\">Reply</a></div>",
            sentence(&mut rng, 40)
        ));
    }
    p.push_str("</section></main><footer class=\"site-footer\"><ul>");
    for k in 0..40 {
        p.push_str(&format!("<li><a href=\"/about/{k}\">About {k}</a></li>"));
    }
    p.push_str("</ul><p>© 2026 Farm News</p></footer><script src=\"/static/app.js\"></script></body></html>");
    p
}
