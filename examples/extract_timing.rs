//! Per-page extraction time on the benchmark pages (../shared/extraction/dev), in process:
//! wall time and this thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so the figure holds on a
//! machine busy with other work), best of `RUNS` runs per page.
//!
//! `cargo run --release --example extract_timing` (figures in docs/benchmarks.md);
//! `… --example extract_timing -- DIR` times the `*.html` files of DIR instead (e.g. pages
//! saved from the feed farm), each as if served from `http://localhost/<file name>`.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use feedmark::extract::{Rules, extract_page};
use url::Url;

const RUNS: usize = 7;

/// Nanoseconds this thread has spent on a CPU.
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// The pages to time: (name, HTML, URL).
type Pages = Vec<(String, String, Url)>;

/// The benchmark's 91 pages, gzipped, with their URLs from the ground truth.
fn benchmark_pages() -> Result<Pages, Box<dyn std::error::Error>> {
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/extraction/dev");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev.join("ground-truth.json"))?)?;
    let mut ids: Vec<&String> = truth.as_object().ok_or("ground truth")?.keys().collect();
    ids.sort();
    let mut pages = Vec::new();
    for id in ids {
        let gz = std::fs::read(dev.join("html").join(format!("{id}.html.gz")))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut bytes)?;
        let html = feedmark::charset::decode_html(&bytes, None);
        let url = Url::parse(truth[id]["url"].as_str().ok_or("url")?)?;
        pages.push((id.clone(), html, url));
    }
    Ok(pages)
}

/// Every `*.html` file of `dir`, by name.
fn folder_pages(dir: &Path) -> Result<Pages, Box<dyn std::error::Error>> {
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else {
            continue;
        };
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html"))
        {
            let html = feedmark::charset::decode_html(&std::fs::read(&path)?, None);
            let url = Url::parse(&format!("http://localhost/{name}"))?;
            pages.push((name, html, url));
        }
    }
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(pages)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pages = match std::env::args_os().nth(1) {
        Some(dir) => folder_pages(Path::new(&dir))?,
        None => benchmark_pages()?,
    };
    if pages.is_empty() {
        return Err("no pages to time".into());
    }
    let rules = Rules::new(&[])?;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for (id, html, url) in pages {
        let (mut best_wall, mut best_cpu) = (f64::MAX, f64::MAX);
        for _ in 0..RUNS {
            let (c0, t0) = (thread_cpu_ns(), Instant::now());
            std::hint::black_box(extract_page(&html, &url, &rules));
            let w = t0.elapsed().as_secs_f64() * 1e3;
            best_wall = best_wall.min(w);
            if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
                best_cpu = best_cpu.min((b - a) as f64 / 1e6);
            }
        }
        wall.push((best_wall, id.clone()));
        cpu.push((best_cpu, id.clone()));
    }
    for (label, mut v) in [("wall", wall), ("thread CPU", cpu)] {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = v.len();
        let total: f64 = v.iter().map(|x| x.0).sum();
        println!(
            "{label} ms per page (best of {RUNS}), {n} pages: median {:.2}  p95 {:.2}  max {:.2} ({})  sum {:.0}",
            v[n / 2].0,
            v[(n * 95 / 100).min(n - 1)].0,
            v[n - 1].0,
            &v[n - 1].1[..v[n - 1].1.len().min(12)],
            total
        );
    }
    Ok(())
}
