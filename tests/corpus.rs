//! Every file of the shared feed corpus goes through the parsing stage without a panic.

use std::path::{Path, PathBuf};

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
            .is_some_and(|n| n.starts_with("LICENSE") || n == "README.md")
        {
            out.push(path);
        }
    }
}

#[test]
fn corpus_parses_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds/corpus");
    let mut all = Vec::new();
    files(&root, &mut all);
    all.sort();
    assert!(
        all.len() > 2000,
        "corpus not found at {} ({} files)",
        root.display(),
        all.len()
    );
    let (mut parsed, mut items, mut rejected) = (0, 0, Vec::new());
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        // A panic here fails the test and names the file.
        let result = std::panic::catch_unwind(|| {
            feedmark::feed::parse(&bytes, None, Some("https://example.com/feed/"))
        });
        match result {
            Ok(Ok(feed)) => {
                parsed += 1;
                items += feed.items.len();
            }
            Ok(Err(e)) => rejected.push(format!(
                "{}: {e}",
                path.strip_prefix(&root).unwrap().display()
            )),
            Err(_) => panic!("parsing panicked on {}", path.display()),
        }
    }
    println!(
        "corpus: {} files, {parsed} parsed ({items} items), {} rejected",
        all.len(),
        rejected.len()
    );
    if let Ok(out) = std::env::var("FEEDMARK_CORPUS_REPORT") {
        std::fs::write(out, rejected.join("\n")).unwrap();
    }
    // The real captures must all parse; the test suites include deliberately broken files.
    assert!(
        rejected.iter().all(|r| !r.starts_with("real/")),
        "{rejected:?}"
    );
    assert!(
        parsed * 100 / all.len() >= 90,
        "only {parsed} of {} parsed",
        all.len()
    );
}
