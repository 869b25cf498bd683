//! Drops the start and end tags that would nest a page deeper than a limit, before parsing.
//!
//! html5ever checks the whole stack of open elements for many start tags (a `<div>` looks
//! for an open `<p>` to close), so its time grows with the square of the nesting: 30,000
//! nested `<div>`s (330 KB) take 2.3 s to parse in a release build. This pass follows the
//! nesting roughly, the way the parser's most common implied end tags close elements, and
//! removes the tags past the limit (text is never removed, only the tags around it). Its
//! count can only be off by elements that close in other ways; such a page may lose a
//! few tags of structure past the limit, never text.

use std::borrow::Cow;

use memchr::memchr;

use super::markup::{close_tag, comment_end, raw_name, tag_end};
use super::tags::{CLOSE_P, LIST_ITEM_PAST, RAW, SCOPE, SPECIAL, STRUCTURE, VOID, WATCHED, closes};

/// A tag name, lowercased, in a fixed buffer (longer names are cut: they only need to
/// match themselves).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Name([u8; 12], u8);

impl Name {
    fn of(raw: &[u8]) -> Name {
        let mut buf = [0u8; 12];
        let len = raw.len().min(buf.len());
        for (b, r) in buf.iter_mut().zip(raw) {
            *b = r.to_ascii_lowercase();
        }
        Name(buf, len as u8)
    }

    fn bytes(&self) -> &[u8] {
        &self.0[..usize::from(self.1)]
    }

    fn is_in(&self, list: &[&[u8]]) -> bool {
        list.contains(&self.bytes())
    }
}

/// The nesting followed so far, and the tags dropped that still wait for their end tag.
struct Nesting {
    open: Vec<Name>,
    /// Open elements of each [`WATCHED`] name.
    watched: [u32; WATCHED.len()],
    dropped: Vec<(Name, usize)>,
    max: usize,
    /// Dropped start tags whose end tag came (and was dropped) since.
    closed: usize,
}

impl Nesting {
    fn new(max: usize) -> Nesting {
        Nesting {
            open: Vec::new(),
            watched: [0; WATCHED.len()],
            dropped: Vec::new(),
            max,
            closed: 0,
        }
    }

    /// Closes what the start tag `name` implicitly closes; whether the tag itself is kept.
    fn start(&mut self, name: Name) -> bool {
        let (wanted, stop) = closes(name.bytes());
        self.close(wanted, stop);
        if name.is_in(CLOSE_P) {
            self.close(&[b"p"], SCOPE);
        }
        if self.open.len() >= self.max {
            match self.dropped.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => self.dropped.push((name, 1)),
            }
            return false;
        }
        self.count(name, 1);
        self.open.push(name);
        true
    }

    /// Whether the end tag `name` is kept: the end of a dropped start tag is dropped too.
    fn end(&mut self, name: Name) -> bool {
        if let Some((_, count)) = self.dropped.iter_mut().find(|(n, _)| *n == name)
            && *count > 0
        {
            *count -= 1;
            self.closed += 1;
            return false;
        }
        // A special element's end tag closes it through anything but a scope boundary; any
        // other end tag is ignored by the parser when a special element is open above it.
        let stop = if name.is_in(SPECIAL) { SCOPE } else { SPECIAL };
        for i in (0..self.open.len()).rev() {
            let n = self.open[i];
            if n == name {
                self.truncate(i);
                break;
            }
            if n.is_in(stop) {
                break;
            }
        }
        true
    }

    /// Pops the innermost open element named in `wanted`, and all inside it, unless an
    /// element named in `stop` comes first.
    fn close(&mut self, wanted: &[&[u8]], stop: &[&[u8]]) {
        let any_open = wanted.iter().any(|w| {
            WATCHED
                .iter()
                .position(|n| n == w)
                .is_some_and(|i| self.watched[i] > 0)
        });
        if !any_open {
            return;
        }
        for i in (0..self.open.len()).rev() {
            let n = self.open[i];
            if n.is_in(wanted) {
                self.truncate(i);
                return;
            }
            if n.is_in(stop) && !(stop == SPECIAL && n.is_in(LIST_ITEM_PAST)) {
                return;
            }
        }
    }

    fn truncate(&mut self, len: usize) {
        while self.open.len() > len {
            if let Some(n) = self.open.pop() {
                self.count(n, -1);
            }
        }
    }

    fn count(&mut self, name: Name, by: i32) {
        if let Some(i) = WATCHED.iter().position(|w| *w == name.bytes()) {
            self.watched[i] = self.watched[i].saturating_add_signed(by);
        }
    }
}

/// Whether `html` might nest deeper than `max`: start tags (but the common empty ones) less
/// the end tags that match one, counted as they come, ever pass it. Elements closed without
/// an end tag keep this count high, and an end tag with nothing of its name open does not
/// lower it, so a page it clears nests no deeper than a small multiple of `max` even if
/// built to fool it. It looks at the first bytes of each tag only, where [`limit`] reads
/// every tag whole (+16% of the time of extracting a news page without this gate).
fn may_nest_deeper(bytes: &[u8], max: usize) -> bool {
    // Open start tags per name, in buckets by a hash of the name's first bytes.
    let mut open = [0u32; 256];
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let at = i + off;
        i = at + 1;
        let closing = bytes.get(at + 1) == Some(&b'/');
        let from = at + 1 + usize::from(closing);
        if !bytes.get(from).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let rest = &bytes[from..bytes.len().min(from + 10)];
        let len = rest
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = &rest[..len];
        let bucket = usize::from(
            name.iter()
                .fold(0u8, |h, b| h.rotate_left(3) ^ b.to_ascii_lowercase()),
        );
        if closing {
            if open[bucket] > 0 {
                open[bucket] -= 1;
                depth = depth.saturating_sub(1);
            }
        } else if !VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            open[bucket] = open[bucket].saturating_add(1);
            depth += 1;
            if depth > max {
                return true;
            }
        }
    }
    false
}

/// `html` without the tags that would nest elements deeper than `max` (unchanged if none),
/// and how many start tags were dropped.
pub fn limit(html: &str, max: usize) -> (Cow<'_, str>, usize) {
    let bytes = html.as_bytes();
    if !may_nest_deeper(bytes, max) {
        return (Cow::Borrowed(html), 0);
    }
    let mut nesting = Nesting::new(max);
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let at = i + off;
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            match comment_end(rest) {
                Some(len) => i = at + len,
                None => break,
            }
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let Some(raw) = raw_name(&rest[1 + usize::from(closing)..]) else {
            i = at + 1;
            continue;
        };
        let Some(len) = tag_end(rest) else {
            break; // an unclosed tag: the parser sees the rest as is
        };
        let name = Name::of(raw);
        let mut next = at + len;
        let keep = if closing {
            name.is_in(STRUCTURE) || name.is_in(VOID) || nesting.end(name)
        } else if name.is_in(RAW) {
            // Skipped to its end tag, which the parser also needs to see.
            next = close_tag(&bytes[next..], name.bytes()).map_or(bytes.len(), |(_, e)| next + e);
            true
        } else if name.is_in(STRUCTURE) || name.is_in(VOID) || rest[..len].ends_with(b"/>") {
            true
        } else {
            nesting.start(name)
        };
        if !keep {
            out.push_str(&html[copied..at]);
            copied = at + len;
        }
        i = next;
    }
    let dropped = nesting.dropped.iter().map(|(_, n)| n).sum::<usize>() + nesting.closed;
    if copied == 0 {
        return (Cow::Borrowed(html), 0);
    }
    out.push_str(&html[copied..]);
    (Cow::Owned(out), dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(tag: &str, n: usize) -> String {
        format!(
            "{}x{}",
            format!("<{tag}>").repeat(n),
            format!("</{tag}>").repeat(n)
        )
    }

    #[test]
    fn shallow_pages_are_left_alone() {
        let page = "<html><body><div><p>a<p>b<ul><li>c<li>d</ul><table><tr><td>1<td>2<tr><td>3</table></div>";
        assert!(matches!(limit(page, 4), (Cow::Borrowed(_), 0)));
        // Implied ends keep long runs of unclosed paragraphs and items flat.
        let flat = format!(
            "<div>{}</div><ul>{}</ul>",
            "<p>a".repeat(5000),
            "<li>b".repeat(5000)
        );
        assert!(matches!(limit(&flat, 8), (Cow::Borrowed(_), 0)));
    }

    #[test]
    fn tags_past_the_limit_go_and_text_stays() {
        let page = nested("div", 10);
        let (out, dropped) = limit(&page, 3);
        assert_eq!(out, "<div><div><div>x</div></div></div>");
        assert_eq!(dropped, 7);
        let page = format!("<b>{}</b>", nested("i", 5));
        let (out, dropped) = limit(&page, 2);
        assert_eq!(out, "<b><i>x</i></b>");
        assert_eq!(dropped, 4);
    }

    #[test]
    fn raw_text_comments_and_void_tags_do_not_count() {
        let page = "<div><script><div><div><div></script><!-- <div><div> --><img><br/><hr>x</div>";
        assert!(matches!(limit(page, 1), (Cow::Borrowed(_), 0)));
        // A tag inside a script is text: it is neither counted nor dropped.
        let page = format!(
            "{}<script>{}</script>",
            "<div>".repeat(3),
            "<div>".repeat(3)
        );
        let expected = format!("<div><div><script>{}</script>", "<div>".repeat(3));
        assert_eq!(limit(&page, 2).0, expected);
    }

    #[test]
    fn the_gate_lets_no_deep_page_through() {
        // Unclosed paragraphs count (high, never low); empty elements do not.
        assert!(!may_nest_deeper(b"<div><p>a<p>b<img src=x><br></div>", 3));
        assert!(may_nest_deeper(b"<div><p>a<p>b<img src=x><br></div>", 2));
        assert!(may_nest_deeper(nested("div", 20).as_bytes(), 10));
        // Stray end tags do not lower the count: nothing of their name is open.
        let stray = "<div></span>".repeat(20);
        assert!(may_nest_deeper(stray.as_bytes(), 10));
        let (out, dropped) = limit(&stray, 10);
        assert_eq!((out.matches("<div>").count(), dropped), (10, 10));
    }

    #[test]
    fn a_hostile_page_is_cut_in_linear_time() {
        // 300,000 nested elements: quadratic work would not finish in a test's lifetime.
        let page = nested("div", 300_000);
        let (out, dropped) = limit(&page, 512);
        assert_eq!(dropped, 300_000 - 512);
        assert_eq!(out.matches("<div>").count(), 512);
        assert_eq!(out.matches("</div>").count(), 512);
        assert!(out.contains('x'));
    }

    /// `html` with every tag taken out (what the pass may drop), comments and all.
    fn text_only(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    }

    proptest::proptest! {
        /// Whatever the soup (stray and unclosed tags, any names, deep or not), the pass
        /// only ever takes whole tags out: the text between them is the same, in order.
        #[test]
        fn only_tags_are_ever_dropped(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "<(div|p|li|ul|b|span|td|tr|table|dl|dd|a|svg|script|img|br)>",
                    "</(div|p|li|ul|b|span|td|tr|table|dl|dd|a|svg|script)>",
                    "[a-z ]{0,6}",
                ],
                0..400,
            ),
            max in 1usize..24,
        ) {
            let html: String = parts.concat();
            let (out, dropped) = limit(&html, max);
            proptest::prop_assert_eq!(text_only(&out), text_only(&html));
            proptest::prop_assert!(out.len() <= html.len());
            if dropped == 0 {
                proptest::prop_assert_eq!(out.as_ref(), html.as_str());
            }
        }
    }
}
