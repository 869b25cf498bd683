//! Every file of the feed corpus goes through the whole offline pipeline without a panic:
//! parse → identity → body from the feed → Markdown → file name, path and front matter → YAML
//! read back. The vendored slice (`tests/fixtures/corpus`) always runs; the full corpus
//! (`../shared/feeds/corpus`, or `FEEDMARK_CORPUS`) when present, and must be in CI.
//! `FEEDMARK_CORPUS_DOC=docs/corpus.md` writes the table of the full corpus's results.

mod common;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use chrono::{TimeZone, Utc};
use feedmark::config::HugoConfig;
use feedmark::render::PathTemplate;
use feedmark::render::{self, Page};

const BASE: &str = "https://example.com/feed/";

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("LICENSE") || n == "README.md" || n == "select.sh")
        {
            out.push(path);
        }
    }
}

/// Runs one item through everything after parsing, as `fetch` does with a page that failed;
/// panics (failing the test, naming the file) on any broken invariant.
fn through_pipeline(item: &feedmark::feed::Item, file: &str) {
    let key = feedmark::identity::item_key(item, BASE);
    feedmark::identity::item_hash(item);
    let base = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let body = feedmark::extract::from_feed(item.content_html.as_deref(), base.as_ref());
    let (markdown, text) = body.map(|b| (b.markdown, b.text)).unwrap_or_default();
    let date = item
        .published
        .or(item.updated)
        .unwrap_or_else(|| Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap());
    let title = if item.title.is_empty() {
        "(untitled)"
    } else {
        &item.title
    };
    let name = render::file_name(date, title, &key);
    let path = PathTemplate::default()
        .expand("corpus", date, &name)
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        path.components().all(|c| matches!(c, Component::Normal(_))),
        "{file}: {}",
        path.display()
    );
    let hugo = HugoConfig::default();
    let rendered = render::render(&Page {
        title,
        date,
        lastmod: None,
        text: &text,
        markdown: &markdown,
        feed_name: "corpus",
        lang: "en",
        thumbnail: "",
        url: item.link.as_deref().unwrap_or(""),
        hugo: &hugo,
        categories: &[],
    });
    let rest = rendered.strip_prefix("---\n").unwrap();
    let end = rest
        .find("\n---\n")
        .unwrap_or_else(|| panic!("{file}: front matter does not end"));
    let docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end])
        .unwrap_or_else(|e| panic!("{file}: front matter is not YAML: {e}"));
    assert!(docs[0]["title"].as_str().is_some(), "{file}: no title");
    let body = &rest[end + 5..];
    assert!(
        common::hugo_syntax::hugo_reads_no_syntax(body),
        "{file}: Hugo syntax in the body"
    );
}

/// What happened to one file.
enum Outcome {
    Parsed(usize),
    Rejected(String),
}

/// Every file under `root` through the pipeline, sorted by path; panics naming the file the
/// pipeline panicked on.
fn run(root: &Path) -> Vec<(String, Outcome)> {
    let mut all = Vec::new();
    files(root, &mut all);
    all.sort();
    let mut results: Vec<(String, Outcome)> = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        let bytes = std::fs::read(path).unwrap();
        // A panic here fails the test and names the file.
        let result = std::panic::catch_unwind(|| {
            let feed = feedmark::feed::parse(&bytes, None, Some(BASE))?;
            for item in &feed.items {
                through_pipeline(item, &rel);
            }
            Ok::<_, feedmark::Error>(feed.items.len())
        });
        let outcome = match result {
            Ok(Ok(n)) => Outcome::Parsed(n),
            Ok(Err(e)) => Outcome::Rejected(e.to_string()),
            Err(payload) => panic!("the pipeline panicked on {rel}: {payload:?}"),
        };
        results.push((rel, outcome));
    }
    results
}

/// Prints the totals; checks that every real capture parsed and at least `percent` of all
/// files did. Returns the number parsed.
fn check(name: &str, results: &[(String, Outcome)], percent: usize) -> usize {
    let parsed = results
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Parsed(_)))
        .count();
    let items: usize = results
        .iter()
        .map(|(_, o)| match o {
            Outcome::Parsed(n) => *n,
            Outcome::Rejected(_) => 0,
        })
        .sum();
    println!(
        "{name}: {} files, {parsed} parsed ({items} items), {} rejected",
        results.len(),
        results.len() - parsed
    );
    // The real captures must all parse; the test suites include deliberately broken files.
    let real: Vec<&String> = results
        .iter()
        .filter(|(p, _)| p.starts_with("real/"))
        .map(|(p, _)| p)
        .collect();
    assert!(!real.is_empty(), "{name}: no real captures");
    let real_rejected: Vec<&String> = results
        .iter()
        .filter(|(p, o)| p.starts_with("real/") && matches!(o, Outcome::Rejected(_)))
        .map(|(p, _)| p)
        .collect();
    assert!(real_rejected.is_empty(), "{real_rejected:?}");
    assert!(
        parsed * 100 / results.len() >= percent,
        "{name}: only {parsed} of {} parsed",
        results.len()
    );
    parsed
}

#[test]
fn vendored_slice_goes_through_the_offline_pipeline_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let results = run(&root);
    // tests/fixtures/corpus/select.sh picks 329 files, weighted towards broken ones.
    assert!(results.len() >= 300, "{} files", results.len());
    check("corpus slice", &results, 75);
}

#[test]
fn full_corpus_goes_through_the_offline_pipeline_without_panic() {
    let Some(root) = common::optional::data_dir(
        "full_corpus_goes_through_the_offline_pipeline_without_panic",
        "feeds/corpus",
        "FEEDMARK_CORPUS",
    ) else {
        return;
    };
    let results = run(&root);
    assert!(
        results.len() > 2000,
        "corpus not found at {} ({} files)",
        root.display(),
        results.len()
    );
    if let Ok(out) = std::env::var("FEEDMARK_CORPUS_DOC") {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join(out);
        let kept = std::fs::read_to_string(&out).unwrap_or_default();
        let text = report(&results).replacen(FEEDPARSER_HOLE, &feedparser_section(&kept), 1);
        std::fs::write(out, text).unwrap();
    }
    check("corpus", &results, 90);
}

/// Where the feedparser agreement table goes in docs/corpus.md.
const FEEDPARSER_HOLE: &str = "<!-- feedparser -->\n";

/// The section `tests/feedparser/expect.py --doc` maintains, kept as it is when this test
/// regenerates the rest of the file.
fn feedparser_section(doc: &str) -> String {
    const BEGIN: &str = "<!-- feedparser:begin -->";
    const END: &str = "<!-- feedparser:end -->\n";
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => doc[b..e + END.len()].to_string(),
        _ => format!("{BEGIN}\n{END}"),
    }
}

/// The folder a corpus file is counted under: its first two path parts.
fn group(path: &str) -> String {
    path.split('/').take(2).collect::<Vec<_>>().join("/")
}

/// docs/corpus.md: totals per folder, every rejected file with its reason, then every parsed
/// file with its item count.
fn report(results: &[(String, Outcome)]) -> String {
    let mut totals: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (path, o) in results {
        let t = totals.entry(group(path)).or_default();
        match o {
            Outcome::Parsed(n) => {
                t.0 += 1;
                t.1 += n;
            }
            Outcome::Rejected(_) => t.2 += 1,
        }
    }
    let parsed: usize = totals.values().map(|t| t.0).sum();
    let items: usize = totals.values().map(|t| t.1).sum();
    let mut out = String::from(
        "# Feed corpus through the offline pipeline\n\n\
         Generated by `FEEDMARK_CORPUS_DOC=docs/corpus.md cargo test --test corpus`; do not edit.\n\n\
         Every file of `../shared/feeds/corpus` goes through `feed::parse`, then each item through\n\
         `identity::item_key`/`item_hash`, `extract::from_feed` (HTML → Markdown and text),\n\
         `render::file_name`, the default path template and `render::render`; the front matter is\n\
         read back with a YAML parser. None of them may panic. A *rejected* file is one\n\
         `feed::parse` refuses with the error shown (`fetch` would log it for that feed).\n\
         Most rejected files are deliberately minimal or broken test cases of feedparser's suite\n\
         (an `<rss>` with neither channel nor items, a document cut off inside an element, Atom\n\
         feed-level text of a binary media type); the 64\n\
         `feed-rs/**/*.serde.json` files are feed-rs's expected parse models, not feeds, and are\n\
         rightly refused as JSON Feed documents.\n\n",
    );
    out.push_str(&format!(
        "Totals: {} files, {parsed} parsed ({items} items), {} rejected.\n\n",
        results.len(),
        results.len() - parsed
    ));
    out.push_str("| folder | parsed | items | rejected |\n|---|---:|---:|---:|\n");
    for (g, (p, i, r)) in &totals {
        out.push_str(&format!("| `{g}` | {p} | {i} | {r} |\n"));
    }
    out.push('\n');
    out.push_str(FEEDPARSER_HOLE);
    out.push_str("\n## Rejected files\n\n| file | reason |\n|---|---|\n");
    for (path, o) in results {
        if let Outcome::Rejected(why) = o {
            let why = why.replace('|', "\\|").replace('\n', " ");
            out.push_str(&format!("| `{path}` | {why} |\n"));
        }
    }
    out.push_str("\n## Parsed files\n\n| file | items |\n|---|---:|\n");
    for (path, o) in results {
        if let Outcome::Parsed(n) = o {
            out.push_str(&format!("| `{path}` | {n} |\n"));
        }
    }
    out
}
