//! Parses HTML into trees of bounded depth, within a time budget, so no later walk can blow up.
//!
//! Every walk over a page (site rules, pruning, readability, Markdown) is recursive or costs
//! time per level of nesting. Real pages nest a few dozen levels; a hostile 22 KB page nests
//! 3,000 and overflowed the stack of the thread extracting it, killing the whole process.
//! So the tree is cut at [`MAX_DEPTH`] as it leaves the parser: below that depth an element
//! is replaced by its contents (its text and empty elements such as `<img>` stay, in order),
//! the way a browser stops nesting past a limit (Blink's is 512).

pub mod markup;
mod nesting;
mod tags;

use std::time::{Duration, Instant};

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use html5ever::tendril::{StrTendril, TendrilSink};
use scraper::{Html, Node};

/// Deepest element kept as an element (the document node is depth 0). The deepest of the
/// 221 test pages (`../shared/extraction/{dev,readability}`) nests 56 levels; a walk at
/// this depth uses about a tenth of a 2 MiB thread stack (see the tests).
pub const MAX_DEPTH: usize = 256;

/// Pages have one node per ~47 bytes of markup (median of the 91 benchmark pages once
/// prefiltered; one in ten has one per 35 bytes or fewer).
const BYTES_PER_NODE: usize = 32;
/// Nodes reserved at most (~14 MB): a huge page grows its tree as it goes, as before.
const MAX_RESERVED_NODES: usize = 100_000;
/// Nesting past which tags are dropped before parsing ([`nesting`]): twice the tree's limit,
/// since that pass only follows the nesting roughly.
const MARKUP_DEPTH: usize = 2 * MAX_DEPTH;
/// Markup handed to the parser between two looks at the clock.
const PARSE_CHUNK: usize = 64 * 1024;

/// A deadline for the work on one page: extraction stops at the next check past it.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline: Option<Instant>,
    limit: Duration,
}

/// Extraction of a page went past its [`Budget`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extraction took longer than its {limit_ms} ms budget (stopped while {stage})")]
pub struct OverBudget {
    /// The budget, in milliseconds.
    pub limit_ms: u128,
    /// What was running when the budget ran out.
    pub stage: &'static str,
}

impl Budget {
    /// No deadline (tools that work on one page a person chose).
    pub fn unlimited() -> Budget {
        Budget {
            deadline: None,
            limit: Duration::MAX,
        }
    }

    /// A deadline `limit` from now; a zero limit is spent at once.
    pub fn new(limit: Duration) -> Budget {
        Budget {
            deadline: Instant::now().checked_add(limit),
            limit,
        }
    }

    /// A deadline `ms` milliseconds from now, as `extract_budget_ms` says: 0 sets none.
    pub fn from_config_ms(ms: u64) -> Budget {
        match ms {
            0 => Budget::unlimited(),
            ms => Budget::new(Duration::from_millis(ms)),
        }
    }

    /// `Err` once the deadline has passed; `stage` says what was running.
    pub fn check(&self, stage: &'static str) -> Result<(), OverBudget> {
        match self.deadline {
            Some(at) if Instant::now() >= at => Err(OverBudget {
                limit_ms: self.limit.as_millis(),
                stage,
            }),
            _ => Ok(()),
        }
    }
}

/// A parsed page and how many elements were unwrapped to bound its depth.
pub struct Parsed {
    pub doc: Html,
    /// Tags dropped and elements replaced by their contents to bound the depth: 0 for
    /// ordinary pages.
    pub flattened: usize,
}

/// Parses a whole page (as [`Html::parse_document`] does) into a tree sized from the page's
/// length, looking at `budget` between chunks of markup; then bounds its depth.
///
/// Grown from empty, the tree's storage is copied again at every doubling (1.6% of the
/// instructions of extracting a feed farm page, callgrind).
pub fn document(html: &str, budget: &Budget) -> Result<Parsed, OverBudget> {
    let (html, dropped) = nesting::limit(html, MARKUP_DEPTH);
    let mut doc = Html::new_document();
    let nodes = (html.len() / BYTES_PER_NODE).min(MAX_RESERVED_NODES);
    doc.tree = ego_tree::Tree::with_capacity(Node::Document, nodes);
    let mut parser = html5ever::driver::parse_document(
        scraper::HtmlTreeSink::new(doc),
        html5ever::ParseOpts::default(),
    );
    for chunk in chunks(&html, PARSE_CHUNK) {
        budget.check("parsing the page")?;
        parser.process(StrTendril::from_slice(chunk));
    }
    let doc = parser.finish();
    budget.check("parsing the page")?;
    let (doc, replaced) = bound_depth(doc);
    Ok(Parsed {
        doc,
        flattened: dropped + replaced,
    })
}

/// Parses an HTML fragment (a feed item's description, readability's output), depth bounded.
pub fn fragment(html: &str) -> Html {
    let (html, _) = nesting::limit(html, MARKUP_DEPTH);
    bound_depth(Html::parse_fragment(&html)).0
}

/// `s` in pieces of about `size` bytes, each cut on a character boundary.
fn chunks(s: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(head)
    })
}

/// The deepest node of `doc` (the document node is depth 0), found without recursion.
pub fn depth(doc: &Html) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(_) => {
                deepest = deepest.max(depth);
                depth += 1;
            }
            Edge::Close(_) => depth = depth.saturating_sub(1),
        }
    }
    deepest
}

/// `doc` with every element deeper than [`MAX_DEPTH`] that has children replaced by them;
/// unchanged (not copied) when nothing is that deep. Returns how many were replaced.
///
/// The tree is copied rather than edited in place: detached nodes stay in ego_tree's arena,
/// and scraper's `select` walks the arena, so it would still find them.
fn bound_depth(doc: Html) -> (Html, usize) {
    if depth(&doc) <= MAX_DEPTH {
        return (doc, 0);
    }
    let mut out = Html::new_document();
    out.quirks_mode = doc.quirks_mode;
    out.tree = ego_tree::Tree::with_capacity(Node::Document, doc.tree.nodes().count());
    // Per open node of `doc`: whether it was copied (else replaced by its contents) ...
    let mut open: Vec<bool> = vec![true];
    // ... and the copies of the copied ones: the last is where the next node goes.
    let mut copies: Vec<NodeId> = vec![out.tree.root().id()];
    let mut replaced = 0;
    for edge in doc.tree.root().traverse().skip(1) {
        match edge {
            Edge::Open(node) => {
                // `open.len()` is the node's depth.
                if open.len() > MAX_DEPTH && node.has_children() {
                    replaced += usize::from(node.value().is_element());
                    open.push(false);
                    continue;
                }
                let Some(mut parent) = copies.last().and_then(|id| out.tree.get_mut(*id)) else {
                    break;
                };
                let copy = parent.append(node.value().clone()).id();
                open.push(true);
                copies.push(copy);
            }
            Edge::Close(_) => {
                if open.pop() == Some(true) {
                    copies.pop();
                }
            }
        }
    }
    tracing::debug!(
        replaced,
        "page nests deeper than {MAX_DEPTH} levels; deeper elements replaced by their contents"
    );
    (out, replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page of the extraction sets beside the project, decoded; `None` (said on stderr)
    /// when the sets are not there and CI is not set.
    fn real_pages(test: &str) -> Option<Vec<(String, String)>> {
        use std::io::Read as _;
        let root = crate::optional_data::data_dir(test, "extraction", "FEEDMARK_EXTRACTION")?;
        let mut pages = Vec::new();
        for set in ["dev", "readability"] {
            let dir = root.join(set).join("html");
            let entries =
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            for entry in entries {
                let path = entry.unwrap().path();
                let raw = std::fs::read(&path).unwrap();
                let mut html = String::new();
                if path.extension().is_some_and(|e| e == "gz") {
                    flate2::read::MultiGzDecoder::new(&raw[..])
                        .read_to_string(&mut html)
                        .unwrap();
                } else {
                    html = String::from_utf8_lossy(&raw).into_owned();
                }
                pages.push((path.display().to_string(), html));
            }
        }
        Some(pages)
    }

    #[test]
    fn real_pages_are_never_cut() {
        let Some(pages) = real_pages("dom::tests::real_pages_are_never_cut") else {
            return;
        };
        assert!(pages.len() >= 200, "{} pages", pages.len());
        let mut deepest = 0;
        for (name, html) in &pages {
            let (_, dropped) = nesting::limit(html, MARKUP_DEPTH);
            assert_eq!(dropped, 0, "{name}");
            let parsed = document(html, &Budget::unlimited()).unwrap();
            assert_eq!(parsed.flattened, 0, "{name}");
            deepest = deepest.max(depth(&parsed.doc));
        }
        // Far from the limit: the limit can only ever touch hostile pages.
        assert!(
            deepest * 4 < MAX_DEPTH,
            "a real page nests {deepest} levels"
        );
    }

    #[test]
    fn chunked_parsing_builds_the_same_tree() {
        let page = format!(
            "<p>caf\u{e9}\r\n{}</p><div title=\"a{}b\">x</div>",
            "\u{1F600}".repeat(40_000),
            "&amp;".repeat(20_000)
        );
        let whole = Html::parse_document(&page).html();
        let chunked = document(&page, &Budget::unlimited()).unwrap().doc.html();
        assert_eq!(whole, chunked);
        assert!(chunks(&page, 7).all(|c| !c.is_empty()));
        assert_eq!(chunks(&page, 7).collect::<String>(), page);
    }

    #[test]
    fn deep_trees_are_cut_at_the_limit_keeping_text_in_order() {
        let mut page = String::new();
        for i in 0..600 {
            page.push_str(&format!("<span>{i} "));
        }
        page.push_str("<img src=\"/deep.png\">end");
        let doc = fragment(&page);
        assert!(depth(&doc) <= MAX_DEPTH + 1, "{}", depth(&doc));
        let text: String = doc.root_element().text().collect();
        let mut expected: String = (0..600).map(|i| i.to_string() + " ").collect();
        expected.push_str("end");
        assert_eq!(text, expected);
        assert!(doc.html().contains("/deep.png"));
        // Nothing detached stays behind for `select` to find.
        let spans = scraper::Selector::parse("span").unwrap();
        assert!(doc.select(&spans).count() <= MAX_DEPTH);
    }

    #[test]
    fn a_spent_budget_stops_the_parse() {
        let spent = Budget::new(Duration::ZERO);
        let err = document("<p>x</p>", &spent).err().unwrap();
        assert_eq!(err.stage, "parsing the page");
        assert!(err.to_string().contains("0 ms budget"), "{err}");
        assert!(document("<p>x</p>", &Budget::new(Duration::from_secs(60))).is_ok());
    }
}
