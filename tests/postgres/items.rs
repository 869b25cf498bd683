//! The fixture feed of schema version 8's item fields, served for tests/postgres.rs.

use crate::common::{Route, Server, fixture};

/// Serves `feeds/pg-items.xml` at `/items/feed/` (its `{LATER}` replaced by `later`) and a
/// small page for each of its items.
pub fn serve_items(server: &Server, later: &str) {
    let text = std::fs::read_to_string(fixture("feeds/pg-items.xml"))
        .unwrap()
        .replace("{BASE}", &server.base)
        .replace("{LATER}", later);
    server.route("/items/feed/", Route::ok("application/rss+xml", text));
    for slug in ["no-date", "bad-date", "tagged"] {
        let text = format!("<p>The article text of {slug}, long enough to be its body. </p>");
        let body = format!(
            "<html><head><title>{slug}</title></head><body><article><h1>{slug}</h1>{}</article></body></html>",
            text.repeat(4)
        );
        server.route(&format!("/a/{slug}"), Route::ok("text/html", body));
    }
}
