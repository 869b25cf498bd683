//! Hostile feeds and pages end to end through the real binary: nothing executes, nothing
//! escapes the output folder, the front matter stays valid YAML, entities are never expanded.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Route, RunResult, Server, TestSite, posts};

const RSS: &str = "application/rss+xml; charset=UTF-8";

/// Markup that must never reach an article file as live HTML or as Hugo syntax.
const HOSTILE_BODY: &str = r#"<article><h1>Head</h1>
<p>First paragraph with enough words to count as the article text, really it has.</p>
<script>alert('script')</script><style>body{display:none}</style>
<iframe src="https://evil.example/frame"></iframe>
<p onclick="alert('click')">Click <a href="javascript:alert('js')">js link</a> and
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a> and
<a href="JaVaScRiPt:alert(2)">mixed case</a> <img src="x" onerror="alert('img')"></p>
<p>Hugo {{< figure src="/etc/passwd" >}} and {{% notice %}} and <!--more--> inside.</p>
<pre><code>{{< code >}} &lt;!--more--&gt;</code></pre>
<p>More ordinary text so that the extractor keeps this article as the main content.</p>
</article>"#;

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

fn item(base: &str, slug: &str, title: &str, guid: &str, body: &str) -> String {
    format!(
        "<item><title>{}</title><link>{base}/a/{slug}</link><guid>{}</guid>\
         <pubDate>Fri, 14 Feb 2025 10:00:00 +0000</pubDate><description>{}</description></item>",
        cdata(title),
        cdata(guid),
        cdata(body)
    )
}

/// `feedmark fetch` on `site`, with room for the 5,000-item feed on a slow machine.
fn fetch(site: &TestSite) -> RunResult {
    RunResult::of(site.cmd().arg("fetch").timeout(Duration::from_secs(120)))
}

/// Every file under `root` (the test's whole folder), relative to it.
fn all_files(root: &Path) -> Vec<PathBuf> {
    posts(root)
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect()
}

/// The front matter of `text` as parsed by a real YAML reader.
fn front_matter(text: &str) -> yaml_rust2::Yaml {
    let rest = text
        .strip_prefix("---\n")
        .expect("starts with front matter");
    let end = rest.find("\n---\n").expect("front matter ends");
    let mut docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end]).expect("valid YAML");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// The body of an article file, after its front matter.
fn body(text: &str) -> &str {
    let rest = &text[4..];
    &rest[rest.find("\n---\n").unwrap() + 5..]
}

/// What a YAML reader gets back for a title: line breaks and other non-printables are spaces.
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[test]
fn hostile_titles_bodies_and_names_stay_inert_and_inside() {
    let server = Server::start();
    let b = server.base.clone();
    let long_title = "Long ".repeat(2_000);
    let titles: Vec<(&str, String, &str)> = vec![
        (
            "yaml",
            "\"quoted\" \\ back: colon\n--- # not a comment\n- list: [x]".into(),
            "g-yaml",
        ),
        ("bool", "yes".into(), "g-bool"),
        (
            "shortcode",
            "{{< shortcode >}} {{% x %}} <!--more-->".into(),
            "g-sc",
        ),
        (
            "traversal",
            "../../../../etc/passwd".into(),
            "../../../../tmp/evil",
        ),
        ("dots", "..".into(), "/etc/shadow%00"),
        ("long", long_title.clone(), "g-long"),
        (
            "script",
            "<script>alert(1)</script>Title".into(),
            "g-script",
        ),
        (
            "unicode",
            "Ünïcödé \u{2028}line\u{feff}sep \u{1f389}".into(),
            "g-uni",
        ),
    ];
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Hostile</title>");
    for (slug, title, guid) in &titles {
        rss.push_str(&item(&b, slug, title, guid, HOSTILE_BODY));
        server.route(
            &format!("/a/{slug}"),
            Route::ok(
                "text/html",
                format!("<html><body>{HOSTILE_BODY}</body></html>"),
            ),
        );
    }
    // An item whose page is down: its hostile feed text is what gets written.
    rss.push_str(&item(&b, "down", "Page down", "g-down", HOSTILE_BODY));
    server.route("/a/down", Route::status(500));
    rss.push_str("</channel></rss>");
    server.route("/feed", Route::ok(RSS, rss));

    let mut site = TestSite::with_server(server);
    site.feed("hostile", "/feed");
    let dir = &site.dir;
    let run = fetch(&site);
    assert_eq!(run.ok_summary().new_articles, titles.len() + 1, "{run}");

    // Nothing outside the output folder but the database, its lock and the config.
    for f in all_files(dir.path()) {
        let s = f.to_string_lossy();
        assert!(
            s.starts_with("posts/") || s.starts_with("feedmark."),
            "unexpected file {s}"
        );
    }
    let files = posts(&dir.path().join("posts"));
    assert_eq!(files.len(), titles.len() + 1);
    let mut seen_titles = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.strip_suffix(".md")
                .unwrap()
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'),
            "{name}"
        );
        assert!(name.len() < 120, "{name}");
        let text = std::fs::read_to_string(f).unwrap();
        let fm = front_matter(&text);
        seen_titles.push(fm["title"].as_str().unwrap().to_string());
        let body = body(&text).to_ascii_lowercase();
        for bad in [
            "<script",
            "<style",
            "<iframe",
            "onclick",
            "onerror",
            "javascript:",
            "data:text",
            "alert(",
            "display:none",
        ] {
            assert!(!body.contains(bad), "{name}: `{bad}` in the body:\n{body}");
        }
        assert!(
            common::hugo_syntax::hugo_reads_no_syntax(&body),
            "{name}: Hugo syntax in the body:\n{body}"
        );
        assert!(
            body.contains("first paragraph"),
            "{name}: the text survives:\n{body}"
        );
    }
    for (_, title, _) in &titles {
        let want = shown(title).replace(['\u{2028}', '\u{feff}'], " ");
        let want = want.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            seen_titles
                .iter()
                .any(|t| t.split_whitespace().collect::<Vec<_>>().join(" ") == want),
            "title {:?} read back from the YAML; have {seen_titles:?}",
            &want[..want.len().min(60)]
        );
    }
    // Running again changes nothing: hostile names are stable.
    let run = fetch(&site);
    let again = run.ok_summary();
    assert_eq!((again.new_articles, again.files_written), (0, 0), "{run}");
}

#[test]
fn entity_expansion_and_external_entities_are_never_resolved() {
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "TOP-SECRET-CONTENT").unwrap();
    let server = Server::start();
    let b = server.base.clone();
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n\
        <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
        <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n\
        <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n\
        <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n\
        <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n\
        <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n\
        <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n\
        <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n]>\n";
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM \"file://{}\">\n\
         <!ENTITY remote SYSTEM \"{b}/dtd\">\n]>\n",
        secret.path().display()
    );
    let channel = |title: &str, slug: &str| {
        format!(
            "<rss version=\"2.0\"><channel><title>E</title><item><title>{title}</title>\
             <link>{b}/a/{slug}</link><guid>{slug}</guid><description>{title} body</description>\
             </item></channel></rss>"
        )
    };
    server.route(
        "/laughs",
        Route::ok(RSS, format!("{laughs}{}", channel("Laugh &lol9;", "laugh"))),
    );
    server.route(
        "/xxe",
        Route::ok(
            RSS,
            format!("{xxe}{}", channel("Secret &xxe; &remote;", "xxe")),
        ),
    );
    server.route("/a/laugh", Route::status(404));
    server.route("/a/xxe", Route::status(404));
    server.route("/dtd", Route::ok("text/plain", "REMOTE-ENTITY"));

    let mut site = TestSite::with_server(server.clone());
    site.feed("laughs", "/laughs").feed("xxe", "/xxe");
    let dir = &site.dir;
    let run = fetch(&site);
    let (out, err) = (&run.stdout, &run.stderr);
    println!("{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(server.hits("/dtd"), 0, "no external entity was fetched");
    // Each feed is either rejected with a clear line or read with its entities left alone.
    for name in ["laughs", "xxe"] {
        let failed = err
            .lines()
            .any(|l| l.contains("ERROR") && l.contains(&format!("feed {name}:")));
        let stored = posts(&dir.path().join("posts"))
            .iter()
            .any(|p| p.to_string_lossy().contains(&format!("/{name}/")));
        assert!(
            failed != stored,
            "{name}: failed {failed}, stored {stored}\n{out}{err}"
        );
    }
    for f in posts(&dir.path().join("posts")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let title = front_matter(&text)["title"].as_str().unwrap().to_string();
        assert!(
            ["Laugh &lol9;", "Secret &xxe; &remote;"].contains(&title.as_str()),
            "entity references stay literal: {title}"
        );
        assert!(
            !text.contains("TOP-SECRET"),
            "{}: the file was read:\n{text}",
            f.display()
        );
        assert!(!text.contains("REMOTE-ENTITY"));
        assert!(
            text.matches("lol").count() < 20,
            "entities expanded:\n{text}"
        );
        assert!(text.len() < 10_000);
    }
}

#[test]
fn a_five_thousand_item_feed_is_stored_whole() {
    const N: usize = 5_000;
    let server = Server::start();
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Big</title>");
    for i in 0..N {
        // No links: the feed's own text is the article, so no page downloads are needed.
        rss.push_str(&format!(
            "<item><title>Item {i} ../{i}</title><guid>urn:big:{i}</guid>\
             <pubDate>Fri, 14 Feb 2025 10:00:00 +0000</pubDate>\
             <description>&lt;p&gt;Text {i} &lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description></item>"
        ));
    }
    rss.push_str("</channel></rss>");
    server.route("/big", Route::ok(RSS, rss));
    // Each file is fsynced before its rename; on tmpfs (when there is one) that costs nothing,
    // which keeps 5,000 of them within a CI budget.
    let dir = tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap());
    let mut site = TestSite::in_dir(dir, server);
    site.feed("big", "/big");
    let run = fetch(&site);
    let summary = run.ok_summary();
    assert_eq!(
        (summary.new_articles, summary.files_written),
        (N, N),
        "{run}"
    );
    let files = site.posts();
    assert_eq!(files.len(), N);
    let sample = std::fs::read_to_string(&files[N / 2]).unwrap();
    front_matter(&sample);
    assert!(!body(&sample).contains("<script"), "{sample}");
    let run = fetch(&site);
    let again = run.ok_summary();
    assert_eq!((again.new_articles, again.files_written), (0, 0), "{run}");
}

/// A link planted inside the output folder (`posts/a -> elsewhere`) is not followed: that
/// feed's articles fail with a message naming the link, nothing lands outside, and the other
/// feed is written as usual.
#[cfg(unix)]
#[test]
fn a_symlinked_folder_inside_the_output_folder_is_not_written_through() {
    let server = Server::start();
    let b = server.base.clone();
    server.route("/fa", Route::ok(RSS, common::rss(&b, &[("one", "One")])));
    server.route("/fb", Route::ok(RSS, common::rss(&b, &[("two", "Two")])));
    let mut site = TestSite::with_server(server);
    site.feed("a", "/fa").feed("b", "/fb");
    let dir = &site.dir;
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("posts")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("posts/a")).unwrap();
    let run = fetch(&site);
    let (ok, out, err) = (run.ok, &run.stdout, &run.stderr);
    assert!(!ok, "the feed whose article failed counts as failed: {out}");
    assert!(posts(elsewhere.path()).is_empty(), "written outside: {err}");
    assert!(
        err.contains("posts/a: is a symbolic link inside the output folder"),
        "{err}"
    );
    let written = all_files(&dir.path().join("posts"));
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].starts_with("b"), "{written:?}");
}
