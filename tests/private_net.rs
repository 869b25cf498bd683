//! Private networks through the real binary: every spelling of a local address (and a name
//! that resolves to one) is refused before a byte is sent, unless allowed; other schemes never.

mod common;

use common::{Route, TestSite};

#[test]
fn local_addresses_in_any_spelling_are_refused_unless_allowed() {
    let mut site = TestSite::new();
    let server = site.server.clone();
    let rss = "<rss version=\"2.0\"><channel><title>L</title></channel></rss>";
    server.route("/feed", Route::ok("application/rss+xml", rss));
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let spellings = [
        ("dotted", format!("http://127.0.0.1:{port}/feed")),
        ("decimal", format!("http://2130706433:{port}/feed")),
        ("hex", format!("http://0x7f.0.0.1:{port}/feed")),
        ("octal", format!("http://0177.0.0.01:{port}/feed")),
        ("short", format!("http://127.1:{port}/feed")),
        ("mapped", format!("http://[::ffff:127.0.0.1]:{port}/feed")),
        ("unspecified", format!("http://0.0.0.0:{port}/feed")),
        // A name, not an address: refused after resolution (/etc/hosts, no DNS traffic).
        ("name", format!("http://localhost:{port}/feed")),
    ];
    for (name, url) in &spellings {
        site.feed(name, url);
    }
    site.config.http("allow_private_networks", false);
    let run = site.fetch(&[]);
    assert!(!run.ok);
    let summary = run.summary();
    assert_eq!(
        (summary.feeds_ok, summary.feeds_failed),
        (0, spellings.len()),
        "{run}"
    );
    let err = &run.stderr;
    for (name, _) in &spellings {
        let line = err
            .lines()
            .find(|l| l.contains("ERROR") && l.contains(&format!("feed {name}:")))
            .unwrap_or_else(|| panic!("no error line for {name}:\n{err}"));
        assert!(
            line.contains("not a public address") || line.contains("non-public address"),
            "{line}"
        );
    }
    assert_eq!(server.requests().len(), 0, "no request reached the server");

    // Allowed: every spelling that names this machine reaches the server.
    site.config.http("allow_private_networks", true);
    let run = site.fetch(&[]);
    assert!(run.ok, "{run}");
    assert_eq!(server.hits("/feed"), spellings.len());
}

#[test]
fn other_schemes_are_refused_even_when_private_networks_are_allowed() {
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        secret.path(),
        "<rss version=\"2.0\"><channel><title>SECRET</title></channel></rss>",
    )
    .unwrap();
    let mut site = TestSite::new();
    let server = site.server.clone();
    // A feed on loopback (allowed here) that redirects to a file: URL.
    server.route(
        "/to-file",
        Route::status(302).header("Location", &format!("file://{}", secret.path().display())),
    );
    // In the config: refused when the config is read, before any fetch.
    site.feed("file", &format!("file://{}", secret.path().display()));
    let run = site.fetch(&[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("feed `file`") && run.stderr.contains("only http and https"),
        "{run}"
    );
    assert!(!site.db().exists());
    // Through a redirect: refused at the hop.
    site.config = common::SiteConfig::new();
    site.feed("redirect", "/to-file");
    let run = site.fetch(&[]);
    assert!(!run.ok, "{run}");
    let (out, err) = (&run.stdout, &run.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("feed redirect:"))
        .unwrap_or_else(|| panic!("no line for the redirect:\n{err}"));
    assert!(line.contains("scheme `file` is not allowed"), "{line}");
    assert!(!out.contains("SECRET") && !err.contains("SECRET"));
}
