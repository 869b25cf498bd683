//! Private networks through the real binary: every spelling of a local address (and a name
//! that resolves to one) is refused before a byte is sent, unless allowed; other schemes never.

mod common;

use std::time::Duration;

use assert_cmd::Command;
use common::{Route, Server, write_config};

fn fetch(config: &std::path::Path) -> (bool, String, String) {
    let out = Command::cargo_bin("feedmark")
        .unwrap()
        .arg("--config")
        .arg(config)
        .arg("fetch")
        .env_remove("FEEDMARK_CONFIG")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn local_addresses_in_any_spelling_are_refused_unless_allowed() {
    let server = Server::start();
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
    let dir = tempfile::tempdir().unwrap();
    let feeds: Vec<(&str, String)> = spellings.iter().map(|(n, u)| (*n, u.clone())).collect();
    let config = write_config(dir.path(), &feeds, "");
    let strict = std::fs::read_to_string(&config).unwrap().replace(
        "allow_private_networks = true",
        "allow_private_networks = false",
    );
    std::fs::write(&config, &strict).unwrap();
    let (ok, out, err) = fetch(&config);
    assert!(!ok);
    assert!(
        out.contains(&format!("feeds: 0 ok, {} failed", spellings.len())),
        "{out}"
    );
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
    std::fs::write(
        &config,
        strict.replace(
            "allow_private_networks = false",
            "allow_private_networks = true",
        ),
    )
    .unwrap();
    let (ok, out, err) = fetch(&config);
    assert!(ok, "{out}{err}");
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
    let server = Server::start();
    // A feed on loopback (allowed here) that redirects to a file: URL.
    server.route(
        "/to-file",
        Route::status(302).header("Location", &format!("file://{}", secret.path().display())),
    );
    // In the config: refused when the config is read, before any fetch.
    let dir = tempfile::tempdir().unwrap();
    let file_feed = [("file", format!("file://{}", secret.path().display()))];
    let config = write_config(dir.path(), &file_feed, "");
    let (ok, _, err) = fetch(&config);
    assert!(!ok);
    assert!(
        err.contains("feed `file`") && err.contains("only http and https"),
        "{err}"
    );
    assert!(!dir.path().join("feedmark.db").exists());
    // Through a redirect: refused at the hop.
    let config = write_config(dir.path(), &[("redirect", server.url("/to-file"))], "");
    let (ok, out, err) = fetch(&config);
    assert!(!ok, "{out}");
    let line = err
        .lines()
        .find(|l| l.contains("feed redirect:"))
        .unwrap_or_else(|| panic!("no line for the redirect:\n{err}"));
    assert!(line.contains("scheme `file` is not allowed"), "{line}");
    assert!(!out.contains("SECRET") && !err.contains("SECRET"));
}
