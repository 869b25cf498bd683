//! Converts an article's HTML body into Markdown (and plain text) with absolute links.

mod escape;
mod inline;
pub(crate) use escape::starts_entity;
mod structures;

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};
use url::Url;

/// Output flavour of a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// CommonMark with GFM tables: what the files carry.
    Markdown,
    /// Plain text: paragraphs and list items as lines, no syntax.
    Text,
}

/// Renders the children of `root` in `mode`; links and images become absolute against `base`.
pub fn render(root: ElementRef<'_>, base: Option<&Url>, mode: Mode) -> String {
    let ctx = Ctx::new(base, mode);
    let blocks = ctx.blocks(*root);
    let joined = blocks.join("\n\n");
    let tidy: Vec<&str> = joined.lines().map(str::trim_end).collect();
    tidy.join("\n").trim_matches('\n').to_string()
}

/// Renders an HTML fragment (a feed's description, say) in `mode`.
pub fn render_fragment(html: &str, base: Option<&Url>, mode: Mode) -> String {
    let doc = crate::dom::fragment(html);
    render(doc.root_element(), base, mode)
}

/// Plain text with Markdown syntax reduced: what `summary` and word counts read. A cut
/// summary ends in `...`; punctuation the cut left at its end is dropped first, so it never
/// reads `Northfield....` or `loan,...`.
pub fn summary(text: &str, words: usize) -> String {
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() <= words {
        return all.join(" ");
    }
    let cut = all[..words].join(" ");
    let cut = cut.trim_end_matches(['.', ',', ';', ':']).trim_end();
    format!("{cut}...")
}

struct Ctx<'a> {
    base: Option<&'a Url>,
    mode: Mode,
    /// Emphasis markers open around the element being rendered: a `<b>` inside a `<b>`
    /// adds no second `**` (pages nest them, hostile ones thousands deep).
    open_marks: std::cell::RefCell<Vec<&'static str>>,
}

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "form", "input", "button", "select", "textarea", "head", "meta", "link", "audio", "video",
    "map", "dialog",
];

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "table",
    "figure",
    "figcaption",
    "hr",
    "dl",
    "dt",
    "dd",
    "address",
    "details",
    "summary",
    "center",
    "body",
    "html",
    "fieldset",
    "hgroup",
    "caption",
];

fn is_block(name: &str) -> bool {
    BLOCKS.contains(&name)
}

/// An element's attribute (no namespace) by name. scraper's `Element::attr` interns the
/// name as an atom on every call (a hash and a table lookup); this is a plain scan of the
/// few attributes an element has, and it runs for every element rendered or scored.
pub(crate) fn attr<'a>(el: &'a scraper::node::Element, name: &str) -> Option<&'a str> {
    el.attrs
        .iter()
        .find(|(q, _)| q.ns.is_empty() && &*q.local == name)
        .map(|(_, v)| &**v)
}

/// Whether the page hides `el` (`hidden`, `aria-hidden`, `display:none`, `visibility:hidden`).
pub(crate) fn hidden(el: &scraper::node::Element) -> bool {
    if attr(el, "hidden").is_some() || attr(el, "aria-hidden") == Some("true") {
        return true;
    }
    attr(el, "style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

impl<'a> Ctx<'a> {
    fn new(base: Option<&'a Url>, mode: Mode) -> Ctx<'a> {
        Ctx {
            base,
            mode,
            open_marks: std::cell::RefCell::new(Vec::new()),
        }
    }
}

impl Ctx<'_> {
    /// Block-level rendering of a node's children: inline runs become paragraphs.
    fn blocks(&self, node: NodeRef<'_, Node>) -> Vec<String> {
        let mut out = Vec::new();
        let mut para = String::new();
        for child in node.children() {
            match child.value() {
                Node::Element(el) if is_block(el.name()) && !hidden(el) => {
                    self.flush(&mut para, &mut out);
                    out.extend(self.block(child, el.name()));
                }
                _ => self.inline(child, &mut para),
            }
        }
        self.flush(&mut para, &mut out);
        out
    }

    fn flush(&self, para: &mut String, out: &mut Vec<String>) {
        let text = para.trim_matches([' ', '\n']);
        if !text.trim().is_empty() || text.contains("![") {
            out.push(self.escape_line_start(text));
        }
        para.clear();
    }

    fn block(&self, node: NodeRef<'_, Node>, name: &str) -> Vec<String> {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let text = self.inline_string(node);
                let text = text.replace('\n', " ");
                let text = text.trim();
                if text.is_empty() {
                    return vec![];
                }
                let level = name[1..].parse::<usize>().unwrap_or(2);
                match self.mode {
                    Mode::Markdown => vec![format!("{} {}", "#".repeat(level), text)],
                    Mode::Text => vec![text.to_string()],
                }
            }
            "ul" | "ol" => self.list(node, name == "ol"),
            "blockquote" => {
                let inner = self.blocks(node).join("\n\n");
                if inner.trim().is_empty() {
                    return vec![];
                }
                match self.mode {
                    Mode::Markdown => vec![prefix_lines(&inner, "> ", ">")],
                    Mode::Text => vec![inner],
                }
            }
            "pre" => self.pre(node),
            "table" => self.table(node),
            "hr" => match self.mode {
                Mode::Markdown => vec!["* * *".into()],
                Mode::Text => vec![],
            },
            // Text mode carries no images, so it carries no image captions either.
            "figcaption" if self.mode == Mode::Text => vec![],
            "figcaption" | "caption" => {
                let text = self.inline_string(node);
                let text = text.trim();
                if text.is_empty() {
                    vec![]
                } else if self.mode == Mode::Markdown {
                    vec![format!("*{text}*")]
                } else {
                    vec![text.to_string()]
                }
            }
            _ => self.blocks(node),
        }
    }

    fn escape_line_start(&self, line: &str) -> String {
        if self.mode == Mode::Text {
            return line.to_string();
        }
        let first = line.chars().next();
        let ordered = line
            .find(['.', ')'])
            .is_some_and(|i| i > 0 && i < 10 && line[..i].chars().all(|c| c.is_ascii_digit()));
        if ordered {
            let i = line.find(['.', ')']).unwrap_or(0);
            return format!("{}\\{}", &line[..i], &line[i..]);
        }
        match first {
            Some('#' | '>' | '+' | '-' | '=' | '|') => format!("\\{line}"),
            _ => line.to_string(),
        }
    }
}

fn prefix_lines(text: &str, prefix: &str, empty_prefix: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                empty_prefix.to_string()
            } else {
                format!("{prefix}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        cur = if ch == c { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(html: &str) -> String {
        let base = Url::parse("https://example.com/news/a").unwrap();
        render_fragment(html, Some(&base), Mode::Markdown)
    }

    #[test]
    fn paragraphs_links_and_nbsp() {
        let out = md(
            "<p>Trump also said he&nbsp;<a href=\"/x\">expected to meet</a>&nbsp;with Putin.</p>\n<p>  Second\n para  </p>",
        );
        assert_eq!(
            out,
            "Trump also said he\u{a0}[expected to meet](https://example.com/x)\u{a0}with Putin.\n\nSecond para"
        );
    }

    #[test]
    fn lists_headings_quotes_code() {
        let out = md(
            "<h2>Head</h2><ol start=\"3\"><li>a</li><li>b<ul><li>c</li></ul></li></ol><blockquote><p>q</p></blockquote><pre><code class=\"language-rust\">fn x() {}\n</code></pre>",
        );
        assert_eq!(
            out,
            "## Head\n\n3. a\n4. b\n   - c\n\n> q\n\n```rust\nfn x() {}\n```"
        );
    }

    #[test]
    fn drops_scripts_empty_links_and_pixels() {
        let out = md(
            "<p>a<script>evil()</script> <a href=\"/x\"></a><a href=\"javascript:alert(1)\">b</a><img src=\"/p.gif\" width=\"1\" height=\"1\"></p>",
        );
        assert_eq!(out, "a b");
    }

    #[test]
    fn escapes_hugo_and_markdown_syntax() {
        let out = md(
            "<p>{{< shortcode >}} <!--more--> a*b* &lt;!--more--&gt;</p><p># not a heading</p><p>2024. Year</p>",
        );
        assert!(!out.contains("{{"), "{out}");
        assert!(!out.contains("<!--more-->"), "{out}");
        assert!(out.contains("\\# not a heading"));
        assert!(out.contains("2024\\. Year"));
    }

    #[test]
    fn lazy_images_and_tables() {
        let out = md(
            "<figure><img src=\"data:image/gif;base64,xx\" data-src=\"/i.jpg\" alt=\"A\"><figcaption>Cap</figcaption></figure><table><tr><th>x</th><th>y</th></tr><tr><td>1</td><td>2|3</td></tr></table>",
        );
        assert_eq!(
            out,
            "![A](https://example.com/i.jpg)\n\n*Cap*\n\n| x | y |\n| --- | --- |\n| 1 | 2\\|3 |"
        );
    }

    #[test]
    fn text_mode_and_summary() {
        let base = Url::parse("https://e.com/").unwrap();
        let t = render_fragment(
            "<p>One <a href=\"/a\">two</a></p><ul><li>three</li></ul>",
            Some(&base),
            Mode::Text,
        );
        assert_eq!(t, "One two\n\nthree");
        assert_eq!(summary("a b c d", 2), "a b...");
        assert_eq!(summary("a b", 2), "a b");
    }

    #[test]
    fn a_cut_summary_drops_its_trailing_punctuation() {
        assert_eq!(summary("in Northfield. Then more", 2), "in Northfield...");
        assert_eq!(summary("a loan, then more", 2), "a loan...");
        assert_eq!(summary("a b;: c", 2), "a b...");
        assert_eq!(summary("a ... c", 2), "a...");
        // Only a cut summary changes: whole text keeps its full stop.
        assert_eq!(summary("All of it.", 3), "All of it.");
        // The other marks are the reader's: a question stays a question.
        assert_eq!(summary("Why? Because", 1), "Why?...");
    }
}
