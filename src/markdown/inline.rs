//! Renders inline content: text with Markdown escapes, emphasis, code, links and images.

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};
use url::Url;

use super::escape::{MARKDOWN_SPECIAL, bare_url_to_protect, escape_at, escape_str};
use super::{Ctx, Mode, SKIP, attr, hidden, is_block, longest_run};

impl Ctx<'_> {
    pub(super) fn inline_string(&self, node: NodeRef<'_, Node>) -> String {
        let mut s = String::new();
        for child in node.children() {
            self.inline(child, &mut s);
        }
        s
    }

    pub(super) fn inline(&self, node: NodeRef<'_, Node>, out: &mut String) {
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

    /// Appends text with each run of HTML whitespace as one space (none at the start of the
    /// output), escaped in Markdown mode. Runs of ordinary characters are copied whole: this
    /// is every character of every article, twice.
    pub(super) fn text(&self, t: &str, out: &mut String) {
        let markdown = self.mode == Mode::Markdown;
        let bytes = t.as_bytes();
        let (mut copied, mut i) = (0, 0);
        while i < bytes.len() {
            let b = bytes[i];
            if markdown
                && b == b'h'
                && let Some(len) = bare_url_to_protect(t, i)
            {
                out.push_str(&t[copied..i]);
                out.push('<');
                out.push_str(&t[i..i + len]);
                out.push('>');
                i += len;
                copied = i;
                continue;
            }
            let space = is_html_space(b);
            let escaped = markdown && MARKDOWN_SPECIAL.contains(&b);
            if !space && !escaped {
                i += 1;
                continue;
            }
            // Every byte looked at on its own is ASCII: the slices fall on char boundaries.
            out.push_str(&t[copied..i]);
            if space {
                while i < bytes.len() && is_html_space(bytes[i]) {
                    i += 1;
                }
                push_space(out);
            } else {
                escape_at(t, i, out);
                i += 1;
            }
            copied = i;
        }
        out.push_str(&t[copied..]);
    }

    pub(super) fn element(
        &self,
        node: NodeRef<'_, Node>,
        el: &scraper::node::Element,
        out: &mut String,
    ) {
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

    pub(super) fn wrap(&self, node: NodeRef<'_, Node>, marker: &'static str, out: &mut String) {
        if self.open_marks.borrow().contains(&marker) {
            for child in node.children() {
                self.inline(child, out);
            }
            return;
        }
        self.open_marks.borrow_mut().push(marker);
        let inner = self.inline_string(node);
        self.open_marks.borrow_mut().pop();
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

    pub(super) fn code(&self, node: NodeRef<'_, Node>, out: &mut String) {
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

    pub(super) fn link(
        &self,
        node: NodeRef<'_, Node>,
        el: &scraper::node::Element,
        out: &mut String,
    ) {
        let inner = self.inline_string(node);
        let target = attr(el, "href").and_then(|h| self.absolute(h, true));
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

    pub(super) fn image(&self, el: &scraper::node::Element, out: &mut String) {
        if self.mode == Mode::Text {
            return;
        }
        let tiny = ["width", "height"].iter().any(|a| {
            attr(el, a)
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
            &crate::text::squash_whitespace(attr(el, "alt").unwrap_or("")),
            &mut alt,
        );
        out.push_str(&format!("![{alt}]({})", markdown_url(&src)));
    }

    /// Absolute http(s) URL for `href`; `mailto:` too when `allow_mailto`. Anything else
    /// (javascript:, data:, fragments alone) yields `None`.
    pub(super) fn absolute(&self, href: &str, allow_mailto: bool) -> Option<String> {
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
}

/// The best source of an image: lazy-loading attributes first, then the largest srcset entry.
pub(super) fn image_source(el: &scraper::node::Element) -> Option<String> {
    for name in ["data-src", "data-lazy-src", "data-original", "data-url"] {
        if let Some(v) = attr(el, name).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().to_string());
        }
    }
    let src = attr(el, "src")
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("data:"));
    if let Some(s) = src {
        return Some(s.to_string());
    }
    let srcset = attr(el, "data-srcset").or(attr(el, "srcset"))?;
    largest_in_srcset(srcset)
}

pub(super) fn largest_in_srcset(srcset: &str) -> Option<String> {
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

/// Adds one space unless the output is empty or already ends in whitespace.
pub(super) fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

/// Whitespace as HTML counts it (not every Unicode space: a no-break space is text).
fn is_html_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// A URL safe inside `( )` and for Hugo: parentheses, spaces and braces percent-encoded.
pub(super) fn markdown_url(url: &str) -> String {
    url.replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('<', "%3C")
        .replace('>', "%3E")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::escape::escape_char;

    /// The definition `text` follows, a character at a time.
    fn text_by_chars(mode: Mode, t: &str, out: &mut String) {
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
            match mode {
                Mode::Markdown => escape_char(c, out),
                Mode::Text => out.push(c),
            }
        }
        if pending_space {
            push_space(out);
        }
    }

    proptest::proptest! {
        #[test]
        fn text_copies_runs_as_a_character_at_a_time_would(
            before in "[a{ \\n]{0,3}",
            t in "[a-c é{}*_\\\\`<>\\[\\]\\t\\n\\r\\x0c\\u{a0}-]{0,40}",
        ) {
            for mode in [Mode::Markdown, Mode::Text] {
                let ctx = Ctx::new(None, mode);
                let (mut fast, mut slow) = (before.clone(), before.clone());
                ctx.text(&t, &mut fast);
                text_by_chars(mode, &t, &mut slow);
                proptest::prop_assert_eq!(fast, slow);
            }
        }
    }

    #[test]
    fn text_collapses_spaces_and_escapes() {
        let ctx = Ctx::new(None, Mode::Markdown);
        let mut out = String::new();
        ctx.text("  a_b \n\t {{x}} *é*\u{a0}", &mut out);
        assert_eq!(out, "a\\_b {\\{x}} \\*é\\*\u{a0}");
    }
}
