//! Converts an article's HTML body into Markdown (and plain text) with absolute links.

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
    let ctx = Ctx { base, mode };
    let blocks = ctx.blocks(*root);
    let joined = blocks.join("\n\n");
    let tidy: Vec<&str> = joined.lines().map(str::trim_end).collect();
    tidy.join("\n").trim_matches('\n').to_string()
}

/// Renders an HTML fragment (a feed's description, say) in `mode`.
pub fn render_fragment(html: &str, base: Option<&Url>, mode: Mode) -> String {
    let doc = scraper::Html::parse_fragment(html);
    render(doc.root_element(), base, mode)
}

/// Plain text with Markdown syntax reduced: what `summary` and word counts read.
pub fn summary(text: &str, words: usize) -> String {
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() <= words {
        return all.join(" ");
    }
    format!("{}...", all[..words].join(" "))
}

struct Ctx<'a> {
    base: Option<&'a Url>,
    mode: Mode,
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

fn hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden") == Some("true") {
        return true;
    }
    el.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
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

    fn list(&self, node: NodeRef<'_, Node>, ordered: bool) -> Vec<String> {
        let start = node
            .value()
            .as_element()
            .and_then(|e| e.attr("start"))
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(1);
        let mut items = Vec::new();
        let mut n = start;
        for child in node.children() {
            let Some(el) = child.value().as_element() else {
                continue;
            };
            if hidden(el) {
                continue;
            }
            let body = if el.name() == "li" {
                join_item_blocks(&self.blocks(child))
            } else if el.name() == "ul" || el.name() == "ol" {
                // A list nested directly in a list: attach it to the previous item.
                let nested = self.list(child, el.name() == "ol").join("\n");
                if let Some(last) = items.last_mut() {
                    let indent = if ordered { "   " } else { "  " };
                    *last = format!("{last}\n{}", prefix_lines(&nested, indent, ""));
                }
                continue;
            } else {
                continue;
            };
            if body.trim().is_empty() {
                continue;
            }
            let item = match self.mode {
                Mode::Text => body,
                Mode::Markdown => {
                    let marker = if ordered {
                        format!("{n}. ")
                    } else {
                        "- ".to_string()
                    };
                    let indent = " ".repeat(marker.len());
                    let indented = prefix_lines(&body, &indent, "");
                    format!("{marker}{}", &indented[indent.len()..])
                }
            };
            n += 1;
            items.push(item);
        }
        if items.is_empty() {
            return vec![];
        }
        vec![items.join("\n")]
    }

    fn pre(&self, node: NodeRef<'_, Node>) -> Vec<String> {
        let code: String = ElementRef::wrap(node)
            .map(|e| e.text().collect())
            .unwrap_or_default();
        let code = code.trim_matches('\n');
        if code.trim().is_empty() {
            return vec![];
        }
        if self.mode == Mode::Text {
            return vec![code.to_string()];
        }
        let lang = language_of(node).unwrap_or_default();
        let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
        vec![format!("{fence}{lang}\n{code}\n{fence}")]
    }

    fn table(&self, node: NodeRef<'_, Node>) -> Vec<String> {
        let el = ElementRef::wrap(node);
        let rows: Vec<Vec<String>> = el
            .map(|t| {
                t.descendants()
                    .filter_map(ElementRef::wrap)
                    .filter(|r| r.value().name() == "tr")
                    .map(|r| {
                        r.children()
                            .filter_map(ElementRef::wrap)
                            .filter(|c| matches!(c.value().name(), "td" | "th"))
                            .map(|c| self.inline_string(*c).replace('\n', " ").trim().to_string())
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let layout = el.is_some_and(|t| {
            t.descendants().skip(1).any(|d| {
                d.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "table" | "p" | "div" | "ul"))
            })
        });
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if layout || width < 2 {
            // Layout tables and one-column tables read better as plain blocks.
            return self.blocks(node);
        }
        if self.mode == Mode::Text {
            return vec![
                rows.iter()
                    .map(|r| r.join(" "))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ];
        }
        let line = |cells: &[String]| {
            let mut padded: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
            padded.resize(width, String::new());
            format!("| {} |", padded.join(" | "))
        };
        let mut out = vec![line(&rows[0]), format!("|{}", " --- |".repeat(width))];
        out.extend(rows[1..].iter().map(|r| line(r)));
        vec![out.join("\n")]
    }

    fn inline_string(&self, node: NodeRef<'_, Node>) -> String {
        let mut s = String::new();
        for child in node.children() {
            self.inline(child, &mut s);
        }
        s
    }

    fn inline(&self, node: NodeRef<'_, Node>, out: &mut String) {
        match node.value() {
            Node::Text(t) => self.text(t, out),
            Node::Element(el) => {
                if SKIP.contains(&el.name()) || hidden(el) {
                    return;
                }
                self.element(node, el, out);
            }
            _ => {}
        }
    }

    fn text(&self, t: &str, out: &mut String) {
        let mut pending_space = false;
        for c in t.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                pending_space = true;
                continue;
            }
            if pending_space {
                push_space(out);
                pending_space = false;
            }
            if self.mode == Mode::Markdown {
                escape_char(c, out);
            } else {
                out.push(c);
            }
        }
        if pending_space {
            push_space(out);
        }
    }

    fn element(&self, node: NodeRef<'_, Node>, el: &scraper::node::Element, out: &mut String) {
        match el.name() {
            "br" => out.push_str(if self.mode == Mode::Markdown {
                "\\\n"
            } else {
                "\n"
            }),
            "a" => self.link(node, el, out),
            "img" => self.image(el, out),
            "strong" | "b" => self.wrap(node, "**", out),
            "em" | "i" | "cite" => self.wrap(node, "*", out),
            "del" | "s" | "strike" => self.wrap(node, "~~", out),
            "code" | "kbd" | "samp" | "tt" => self.code(node, out),
            name if is_block(name) => {
                // A block inside inline context (a div in a link): keep its text on the line.
                push_space(out);
                let inner = self.blocks(node).join(" ");
                out.push_str(inner.trim());
                push_space(out);
            }
            _ => {
                for child in node.children() {
                    self.inline(child, out);
                }
            }
        }
    }

    fn wrap(&self, node: NodeRef<'_, Node>, marker: &str, out: &mut String) {
        let inner = self.inline_string(node);
        if self.mode == Mode::Text || inner.trim().is_empty() {
            out.push_str(&inner);
            return;
        }
        let lead = &inner[..inner.len() - inner.trim_start().len()];
        let trail = &inner[inner.trim_end().len()..];
        if !lead.is_empty() {
            push_space(out);
        }
        out.push_str(marker);
        out.push_str(inner.trim());
        out.push_str(marker);
        if !trail.is_empty() {
            out.push(' ');
        }
    }

    fn code(&self, node: NodeRef<'_, Node>, out: &mut String) {
        let code: String = ElementRef::wrap(node)
            .map(|e| e.text().collect())
            .unwrap_or_default();
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        if code.is_empty() {
            return;
        }
        if self.mode == Mode::Text {
            out.push_str(&code);
            return;
        }
        let ticks = "`".repeat(longest_run(&code, '`') + 1);
        let pad = if code.starts_with('`') || code.ends_with('`') {
            " "
        } else {
            ""
        };
        out.push_str(&format!("{ticks}{pad}{code}{pad}{ticks}"));
    }

    fn link(&self, node: NodeRef<'_, Node>, el: &scraper::node::Element, out: &mut String) {
        let inner = self.inline_string(node);
        let target = el.attr("href").and_then(|h| self.absolute(h, true));
        let visible = inner.trim();
        if self.mode == Mode::Text || visible.is_empty() {
            out.push_str(&inner);
            return;
        }
        match target {
            Some(url) => {
                if inner.starts_with(' ') {
                    push_space(out);
                }
                out.push_str(&format!("[{visible}]({})", markdown_url(&url)));
                if inner.ends_with(' ') {
                    out.push(' ');
                }
            }
            None => out.push_str(&inner),
        }
    }

    fn image(&self, el: &scraper::node::Element, out: &mut String) {
        if self.mode == Mode::Text {
            return;
        }
        let tiny = ["width", "height"].iter().any(|a| {
            el.attr(a)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .is_some_and(|v| v <= 2)
        });
        if tiny {
            return; // tracking pixel
        }
        let Some(src) = image_source(el).and_then(|s| self.absolute(&s, false)) else {
            return;
        };
        if self.base.is_some_and(|b| b.as_str() == src) {
            return; // an empty `src` rewritten to the page's own address
        }
        let mut alt = String::new();
        escape_str(
            &crate::text::squash_whitespace(el.attr("alt").unwrap_or("")),
            &mut alt,
        );
        out.push_str(&format!("![{alt}]({})", markdown_url(&src)));
    }

    /// Absolute http(s) URL for `href`; `mailto:` too when `allow_mailto`. Anything else
    /// (javascript:, data:, fragments alone) yields `None`.
    fn absolute(&self, href: &str, allow_mailto: bool) -> Option<String> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return None;
        }
        let url = match self.base {
            Some(base) => base.join(href).ok()?,
            None => Url::parse(href).ok()?,
        };
        match url.scheme() {
            "http" | "https" => Some(url.to_string()),
            "mailto" if allow_mailto => Some(url.to_string()),
            _ => None,
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

/// The best source of an image: lazy-loading attributes first, then the largest srcset entry.
fn image_source(el: &scraper::node::Element) -> Option<String> {
    for attr in ["data-src", "data-lazy-src", "data-original", "data-url"] {
        if let Some(v) = el.attr(attr).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().to_string());
        }
    }
    let src = el
        .attr("src")
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("data:"));
    if let Some(s) = src {
        return Some(s.to_string());
    }
    let srcset = el.attr("data-srcset").or(el.attr("srcset"))?;
    largest_in_srcset(srcset)
}

fn largest_in_srcset(srcset: &str) -> Option<String> {
    srcset
        .split(',')
        .filter_map(|c| {
            let mut parts = c.split_whitespace();
            let url = parts.next()?;
            let size = parts
                .next()
                .and_then(|d| d.trim_end_matches(['w', 'x']).parse::<f64>().ok())
                .unwrap_or(1.0);
            Some((url.to_string(), size))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(u, _)| u)
}

fn language_of(node: NodeRef<'_, Node>) -> Option<String> {
    let classes = |n: NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .and_then(|e| e.attr("class"))
            .map(str::to_string)
    };
    let own = classes(node);
    let child = node.children().find_map(classes);
    own.into_iter().chain(child).find_map(|c| {
        c.split_whitespace()
            .find_map(|k| k.strip_prefix("language-").or(k.strip_prefix("lang-")))
            .filter(|l| {
                l.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '#'))
            })
            .map(str::to_string)
    })
}

fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

fn escape_char(c: char, out: &mut String) {
    match c {
        '\\' | '*' | '`' | '[' | ']' | '<' | '>' | '_' => {
            out.push('\\');
            out.push(c);
        }
        // `{{` opens a Hugo shortcode: keep the brace, break the pair.
        '{' if out.ends_with('{') => out.push_str("\\{"),
        _ => out.push(c),
    }
}

fn escape_str(s: &str, out: &mut String) {
    for c in s.chars() {
        escape_char(c, out);
    }
}

/// A URL safe inside `( )` and for Hugo: parentheses, spaces and braces percent-encoded.
fn markdown_url(url: &str) -> String {
    url.replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

/// Blocks of one list item: a nested list follows its text directly, keeping the list tight.
fn join_item_blocks(blocks: &[String]) -> String {
    let mut out = String::new();
    for b in blocks {
        if !out.is_empty() {
            out.push_str(if starts_list(b) { "\n" } else { "\n\n" });
        }
        out.push_str(b);
    }
    out
}

fn starts_list(block: &str) -> bool {
    let digits = block.chars().take_while(char::is_ascii_digit).count();
    block.starts_with("- ") || (digits > 0 && block[digits..].starts_with(". "))
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
}
