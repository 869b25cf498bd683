//! Fuzzes feed parsing (charset sniffing, repairs, feed-rs): any bytes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // feed::parse catches panics inside feed-rs/quick-xml on purpose (the feed fails, the
    // process goes on). libfuzzer-sys's hook would abort on those caught panics too; a quiet
    // hook leaves them caught, while a panic that escapes parse() still ends the run as a
    // finding (libfuzzer-sys aborts on any panic leaving this closure).
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    // The first byte picks the Content-Type the bytes arrive with.
    let (kind, body) = data.split_first().map_or((0, data), |(k, b)| (*k, b));
    let content_type = match kind % 4 {
        0 => None,
        1 => Some("application/rss+xml; charset=utf-8"),
        2 => Some("text/xml; charset=iso-8859-1"),
        _ => Some("application/feed+json"),
    };
    if let Ok(feed) = feedmark::feed::parse(body, content_type, Some("https://example.com/feed/")) {
        for item in &feed.items {
            feedmark::identity::item_key(item, "https://example.com/feed/");
            feedmark::identity::item_hash(item);
        }
    }
});
