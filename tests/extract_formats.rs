//! `feedmark extract` as users run it: the real binary on saved pages, every output format.

mod common;

use std::path::Path;

use common::{RunResult, feedmark_cmd};

/// No config exists: `extract` must not need one.
const NO_CONFIG: &str = "/nonexistent/feedmark.toml";

fn page(name: &str) -> String {
    format!("{}/tests/fixtures/pages/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn extract(url: &str, file: &str, format: &str) -> String {
    let run = RunResult::of(
        feedmark_cmd(Path::new(NO_CONFIG))
            .args(["extract", "--url", url])
            .args(["--html", &page(file), "--format", format]),
    );
    assert!(run.ok, "{run}");
    run.stdout
}

#[test]
fn json_carries_metadata_bodies_and_method() {
    let url = "https://ledger.example/tech/chips-second-act";
    let out = extract(url, "paywall.html", "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["url"], url);
    assert_eq!(v["title"], "Inside the chip shortage's second act");
    assert_eq!(v["author"], "R. Patel, J. Moreau");
    assert_eq!(v["date"], "2026-01-15T11:00:00+00:00");
    assert_eq!(v["image"], serde_json::Value::Null);
    assert_eq!(v["method"], "generic");
    let text = v["text"].as_str().unwrap();
    assert!(
        text.starts_with("When the first wave of shortages eased in 2023"),
        "{text}"
    );
    assert!(!text.contains("Subscribe"), "{text}");
    assert_eq!(v["markdown"].as_str().unwrap().lines().count(), 3);
}

#[test]
fn text_and_markdown_print_only_the_body() {
    let url = "https://blog.example/2025/11/02/parsing-dates/";
    let md = extract(url, "blog-code.html", "markdown");
    assert!(md.contains("```rust\nfn parse(raw: &str)"), "{md}");
    assert!(
        !md.contains("Archives") && !md.contains("Great post"),
        "{md}"
    );
    let text = extract(url, "blog-code.html", "text");
    assert!(
        text.contains("Two things matter: try the strict format first"),
        "{text}"
    );
    assert!(!text.contains("**") && !text.contains("```rust"), "{text}");
}

#[test]
fn json_for_a_page_with_no_body_says_none() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.html");
    std::fs::write(
        &empty,
        "<html><body><nav><a href='/'>Home</a></nav></body></html>",
    )
    .unwrap();
    let out = feedmark_cmd(Path::new(NO_CONFIG))
        .arg("extract")
        .args(["--url", "https://e.example/", "--format", "json", "--html"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "none");
    assert_eq!(v["text"], "");
}

#[test]
fn a_site_rule_that_stops_matching_falls_back_to_generic_and_says_so() {
    // The Hill after a redesign: no div.article__text any more, but a named body.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("redesigned.html");
    let para =
        "<p>The Senate passed the bill on Friday after a long debate over spending levels.</p>";
    std::fs::write(
        &page,
        format!(
            "<html><body><div class='story-body'>{}</div></body></html>",
            para.repeat(6)
        ),
    )
    .unwrap();
    let out = feedmark_cmd(Path::new(NO_CONFIG))
        .arg("extract")
        .args([
            "--url",
            "https://thehill.com/homenews/senate/1-bill/",
            "--format",
            "json",
            "--html",
        ])
        .arg(&page)
        .env("FEEDMARK_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "generic");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("site rule matched no content") && stderr.contains("thehill"),
        "{stderr}"
    );
}
