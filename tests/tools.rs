//! `import-opml`, `export-opml` and `feeds list|add|remove|test`, run through the real binary.

mod common;

use std::path::Path;

use common::{HEGSETH, Route, feedmark_cmd as feedmark, fixture, run, thehill_server};

const COMMENTED: &str = "# My feedmark setup.\n# Keep this comment!\ndatabase = \"feedmark.db\" # beside the config\noutput_dir = \"posts\"\n\n[http]\n# loopback for tests\nallow_private_networks = true\nper_host_delay_ms = 0\n\n# --- feeds ---\n[[feeds]]\nname = \"thehill\"\nurl = \"https://thehill.com/policy/defense/feed/\" # defense section\n\n# --- rules stay below the feeds ---\n[[rules]]\nname = \"example-blog\"\nhosts = [\"blog.example.com\"]\nbody = [\"article .post-content\"]\n";

fn commented_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("feedmark.toml");
    std::fs::write(&path, COMMENTED).unwrap();
    path
}

/// (name, url) of every feed `feeds list` prints.
fn listed(config: &Path) -> Vec<(String, String)> {
    let (ok, out, err) = run(feedmark(config).args(["feeds", "list"]));
    assert!(ok, "{err}");
    out.lines()
        .map(|l| {
            let (n, u) = l.split_once('\t').unwrap();
            (n.to_string(), u.to_string())
        })
        .collect()
}

fn assert_layout_kept(config: &Path) {
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.starts_with("# My feedmark setup.\n# Keep this comment!\ndatabase = \"feedmark.db\" # beside the config\n"), "{text}");
    assert!(
        text.contains("url = \"https://thehill.com/policy/defense/feed/\" # defense section"),
        "{text}"
    );
    assert!(
        text.contains("# --- rules stay below the feeds ---\n[[rules]]"),
        "{text}"
    );
}

#[test]
fn miniflux_export_imports_with_names_from_titles() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) = run(feedmark(&config)
        .arg("import-opml")
        .arg(fixture("opml/miniflux.opml")));
    assert!(ok, "{out}{err}");
    assert!(
        out.ends_with("feeds added: 4; already configured: 1; invalid: 0\n"),
        "{out}"
    );
    assert_eq!(
        listed(&config),
        [
            ("thehill", "https://thehill.com/policy/defense/feed/"),
            (
                "ars-technica-all-content",
                "https://feeds.arstechnica.com/arstechnica/index"
            ),
            ("lwn-net", "https://lwn.net/headlines/rss"),
            ("theguardian-com", "https://www.theguardian.com/world/rss"),
            (
                "le-monde-fr-actualites-et-infos-en-france-et-dans-le-monde",
                "https://www.lemonde.fr/rss/une.xml"
            ),
        ]
        .map(|(n, u)| (n.to_string(), u.to_string()))
    );
    assert_layout_kept(&config);
    // Importing again adds nothing and leaves the file byte for byte.
    let before = std::fs::read(&config).unwrap();
    let (ok, out, _) = run(feedmark(&config)
        .arg("import-opml")
        .arg(fixture("opml/miniflux.opml")));
    assert!(ok);
    assert!(
        out.contains("feeds added: 0; already configured: 5"),
        "{out}"
    );
    assert_eq!(std::fs::read(&config).unwrap(), before);
}

#[test]
fn freshrss_export_with_duplicate_titles_and_bad_urls() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) = run(feedmark(&config)
        .arg("import-opml")
        .arg(fixture("opml/freshrss.opml")));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("invalid\tgopher://example.org/1/feed\tonly http and https"),
        "{out}"
    );
    assert!(
        out.ends_with("feeds added: 4; already configured: 1; invalid: 1\n"),
        "{out}"
    );
    let names: Vec<String> = listed(&config).into_iter().map(|f| f.0).collect();
    assert_eq!(
        names,
        [
            "thehill",
            "lwn-net",
            "hacker-news-front-page",
            "the-hill-defense",
            "feeds-speeds"
        ]
    );
    let urls: Vec<String> = listed(&config).into_iter().map(|f| f.1).collect();
    assert!(urls.contains(&"https://hnrss.org/frontpage?points=100&comments=25".to_string()));
    assert_layout_kept(&config);
}

#[test]
fn feedly_export_with_nesting_and_missing_titles() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) = run(feedmark(&config)
        .arg("import-opml")
        .arg(fixture("opml/feedly.opml")));
    assert!(ok, "{out}{err}");
    assert!(
        out.ends_with("feeds added: 5; already configured: 0; invalid: 0\n"),
        "{out}"
    );
    let names: Vec<String> = listed(&config).into_iter().skip(1).map(|f| f.0).collect();
    // No title: the site's host; a title with no Latin letters: the site's host too.
    assert_eq!(
        names,
        [
            "ars-technica",
            "planet-debian",
            "blog-rust-lang-org",
            "www3-nhk-or-jp",
            "xkcd-com"
        ]
    );
}

#[test]
fn opml_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    for file in ["miniflux", "freshrss", "feedly"] {
        let (ok, _, err) = run(feedmark(&config)
            .arg("import-opml")
            .arg(fixture(&format!("opml/{file}.opml"))));
        assert!(ok, "{err}");
    }
    let all = listed(&config);
    // LWN is in both the Miniflux and the FreshRSS file.
    assert_eq!(all.len(), 1 + 4 + 3 + 5, "{all:?}");
    let opml = dir.path().join("out.opml");
    let (ok, _, err) = run(feedmark(&config).args(["export-opml", "--out"]).arg(&opml));
    assert!(ok, "{err}");
    // The same document on stdout.
    let (ok, stdout, _) = run(feedmark(&config).arg("export-opml"));
    assert!(ok);
    assert_eq!(stdout, std::fs::read_to_string(&opml).unwrap());

    let other = tempfile::tempdir().unwrap();
    let empty = other.path().join("feedmark.toml");
    std::fs::write(&empty, "").unwrap();
    let (ok, out, err) = run(feedmark(&empty).arg("import-opml").arg(&opml));
    assert!(ok, "{out}{err}");
    assert_eq!(
        listed(&empty),
        all,
        "names and URLs survive export and import"
    );
}

#[test]
fn a_broken_opml_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let bad = dir.path().join("bad.opml");
    std::fs::write(
        &bad,
        "<opml><body><outline text=\"x\" xmlUrl=\"https://a/\"",
    )
    .unwrap();
    let (ok, _, err) = run(feedmark(&config).arg("import-opml").arg(&bad));
    assert!(!ok);
    assert!(err.contains("bad.opml") && err.contains("XML"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), COMMENTED);
}

#[test]
fn feeds_add_and_remove_edit_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) =
        run(feedmark(&config).args(["feeds", "add", "https://www.example.org/feed.xml"]));
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "added\texample-org\thttps://www.example.org/feed.xml\n"
    );
    let (ok, out, _) =
        run(feedmark(&config).args(["feeds", "add", "https://example.org/other.xml"]));
    assert!(ok);
    assert!(out.starts_with("added\texample-org-2\t"), "{out}");
    let (ok, _, err) =
        run(feedmark(&config).args(["feeds", "add", "https://www.example.org/feed.xml"]));
    assert!(!ok && err.contains("already in"), "{err}");
    let (ok, _, err) =
        run(feedmark(&config).args(["feeds", "add", "https://x.example/", "--name", "THEHILL"]));
    assert!(!ok && err.contains("`THEHILL` is already"), "{err}");
    let (ok, _, err) =
        run(feedmark(&config).args(["feeds", "add", "https://x.example/", "--name", "../x"]));
    assert!(!ok && err.contains("feed name `../x`"), "{err}");
    let (ok, _, err) =
        run(feedmark(&config).args(["feeds", "add", "file:///etc/passwd", "--name", "x"]));
    assert!(!ok && err.contains("only http and https"), "{err}");
    assert_eq!(listed(&config).len(), 3);

    let (ok, out, _) = run(feedmark(&config).args(["feeds", "remove", "example-org"]));
    assert!(ok);
    assert_eq!(out, "removed\texample-org\n");
    let (ok, _, err) = run(feedmark(&config).args(["feeds", "remove", "example-org"]));
    assert!(!ok && err.contains("no feed named `example-org`"), "{err}");
    let names: Vec<String> = listed(&config).into_iter().map(|f| f.0).collect();
    assert_eq!(names, ["thehill", "example-org-2"]);
    assert_layout_kept(&config);
}

#[test]
fn feeds_test_shows_items_and_stores_nothing() {
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) = run(feedmark(&config).args([
        "feeds",
        "test",
        &server.url("/policy/defense/feed/"),
        "--items",
        "1",
    ]));
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with(&format!(
            "feed: {}\ntitle: Defense News | The Hill\nitems: 2 (showing 1)\n",
            server.url("/policy/defense/feed/")
        )),
        "{out}"
    );
    assert!(out.contains("1. Hegseth: ‘No betrayal’ in US position on Russia, Ukraine\n   date: 2025-02-14 00:31:02 UTC\n"), "{out}");
    assert!(
        out.contains("   method: rule:thehill\n   | Defense Secretary Pete Hegseth"),
        "{out}"
    );
    assert_eq!(server.hits(HEGSETH), 1);
    assert!(!dir.path().join("feedmark.db").exists());
    assert!(!dir.path().join("posts").exists());
    assert_eq!(std::fs::read_to_string(&config).unwrap(), COMMENTED);
}

#[test]
fn feeds_test_discovers_the_feed_of_a_home_page() {
    let server = thehill_server();
    server.route(
        "/",
        Route::ok(
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>The Hill</title>\
             <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Defense\" href=\"/policy/defense/feed/\">\
             </head><body>Home</body></html>",
        ),
    );
    server.route(
        "/plain/",
        Route::ok("text/html", "<html><body>No feed here</body></html>"),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = commented_config(dir.path());
    let (ok, out, err) =
        run(feedmark(&config).args(["feeds", "test", &server.url("/"), "--items", "2"]));
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!(
            "found through <link rel=\"alternate\"> on {}/\n",
            server.base
        )),
        "{out}"
    );
    assert!(
        out.contains("items: 2 (showing 2)") && out.contains("2. Pentagon orders review"),
        "{out}"
    );

    let (ok, _, err) = run(feedmark(&config).args(["feeds", "test", &server.url("/plain/")]));
    assert!(!ok);
    assert!(
        err.contains("/plain/") && err.contains("no <link rel=\"alternate\">"),
        "{err}"
    );
}

#[test]
fn export_after_dry_run_has_nothing() {
    // A dry run leaves no database behind, so there is nothing to export.
    let server = thehill_server();
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &[("thehill", server.url("/policy/defense/feed/"))],
        "",
    );
    let (ok, _, _) = run(feedmark(&config).args(["fetch", "--dry-run"]));
    assert!(ok);
    let (ok, _, err) = run(feedmark(&config)
        .args(["export", "--out"])
        .arg(dir.path().join("x")));
    assert!(!ok && err.contains("does not exist"), "{err}");
}

#[test]
fn version_completions_and_man_pages() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("none.toml");
    let (ok, out, _) = run(feedmark(&config).arg("--version"));
    assert!(ok);
    let version = out.trim_end().strip_prefix("feedmark ").unwrap();
    let (semver, rev) = version.split_once(' ').unwrap_or((version, ""));
    assert_eq!(semver, env!("CARGO_PKG_VERSION"));
    // In a git checkout: " (abc1234)"; elsewhere nothing.
    if !rev.is_empty() {
        let rev = rev.trim_start_matches('(').trim_end_matches(')');
        assert!(
            rev.len() >= 7 && rev.chars().all(|c| c.is_ascii_hexdigit()),
            "{out}"
        );
    }
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef feedmark"),
        ("fish", "complete -c feedmark"),
    ] {
        let (ok, out, err) = run(feedmark(&config).args(["completions", shell]));
        assert!(ok, "{err}");
        assert!(
            out.contains(marker) && out.contains("import-opml") && out.contains("catch-up"),
            "{shell}"
        );
    }
    let (ok, out, _) = run(feedmark(&config).arg("man"));
    assert!(ok);
    assert!(
        out.contains(".TH feedmark 1") && out.contains("export\\-opml"),
        "{out}"
    );
    let pages = dir.path().join("man");
    let (ok, _, err) = run(feedmark(&config).args(["man", "--out"]).arg(&pages));
    assert!(ok, "{err}");
    let fetch = std::fs::read_to_string(pages.join("feedmark-fetch.1")).unwrap();
    assert!(
        fetch.contains("\\-\\-dry\\-run") && fetch.contains("\\-\\-catch\\-up"),
        "{fetch}"
    );
    assert!(pages.join("feedmark-feeds.1").exists());
}
