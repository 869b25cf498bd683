//! Drops scripts, styles, comments and inline SVG from a page's HTML before it is parsed.
//!
//! They are ~64% of the bytes of real news pages (the 91 benchmark pages) and extraction
//! throws them away anyway, yet the HTML parser walks every one of their characters. This
//! scan follows the tokenizer where it matters: tags are skipped whole (quoted attributes
//! included, so a `<!--` inside a value is not a comment), RCDATA elements (`title`,
//! `textarea`) are skipped to their end tag, and a script holding `<!--` is left to the parser
//! (its escaped states can hide a `</script>`). JSON-LD scripts are kept: they carry metadata.
//! An `<svg>` goes only when nothing in it could take the parser back to HTML (see `svg_end`).

use std::borrow::Cow;

use memchr::memchr;

use crate::dom::markup::{close_tag, comment_end, find, raw_name, tag_end};

/// `html` without its scripts (but JSON-LD), styles, comments and SVG; unchanged if none.
pub fn strip(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out = String::new();
    let mut copied = 0; // bytes of `html` before this are in `out` (or dropped)
    let mut i = 0;
    let mut svg_kept = false;
    while let Some(off) = memchr(b'<', &bytes[i..]) {
        let at = i + off;
        let rest = &bytes[at..];
        let skip = if rest.starts_with(b"<!--") {
            comment_end(rest)
        } else if let Some(name) = tag_name(rest) {
            // Once an <svg> is kept (it never ends, or holds HTML), every later one is kept
            // too: each would scan to the end of the page again, quadratic in nested <svg>s.
            let name = if svg_kept && name == b"svg" {
                b""
            } else {
                name
            };
            match element(rest, name) {
                Element::Drop(len) => Some(len),
                Element::Keep(len) => {
                    svg_kept |= name == b"svg";
                    i = at + len;
                    continue;
                }
            }
        } else {
            None
        };
        match skip {
            Some(len) => {
                out.push_str(&html[copied..at]);
                copied = at + len;
                i = copied;
            }
            None => i = at + 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

enum Element {
    /// Remove this many bytes (the whole element).
    Drop(usize),
    /// Keep this many bytes and go on after them.
    Keep(usize),
}

/// What to do with the element whose start tag begins `rest` (named `name`, lowercase).
fn element(rest: &[u8], name: &[u8]) -> Element {
    let Some(open) = tag_end(rest) else {
        return Element::Keep(rest.len()); // an unclosed tag: the parser sees the rest as is
    };
    let raw =
        |name: &[u8]| close_tag(&rest[open..], name).map(|(start, end)| (open + start, open + end));
    match name {
        b"script" => match raw(b"script") {
            Some((body_end, end)) => {
                let body = &rest[open..body_end];
                let json_ld = contains_ci(&rest[..open], b"ld+json");
                if json_ld || find(body, b"<!--").is_some() {
                    Element::Keep(end)
                } else {
                    Element::Drop(end)
                }
            }
            None => Element::Keep(rest.len()),
        },
        b"style" => raw(b"style").map_or(Element::Keep(rest.len()), |(_, end)| Element::Drop(end)),
        b"svg" => svg_end(rest, open).map_or(Element::Keep(open), Element::Drop),
        b"title" | b"textarea" => {
            raw(name).map_or(Element::Keep(rest.len()), |(_, end)| Element::Keep(end))
        }
        _ => Element::Keep(open),
    }
}

/// The lowercase name of a start tag at the start of `rest` (`<` then a letter), if any.
fn tag_name(rest: &[u8]) -> Option<&'static [u8]> {
    const NAMES: [&[u8]; 5] = [b"script", b"style", b"svg", b"title", b"textarea"];
    let name = raw_name(&rest[1..])?;
    Some(
        NAMES
            .into_iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .unwrap_or(b""),
    )
}

/// Start tags that end SVG content early in the parser (the HTML standard's list for foreign
/// content, `font` included whatever its attributes), and `foreignObject`, which holds HTML.
const LEAVE_SVG: &[&[u8]] = &[
    b"b",
    b"big",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"code",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"em",
    b"embed",
    b"font",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"hr",
    b"i",
    b"img",
    b"li",
    b"listing",
    b"menu",
    b"meta",
    b"nobr",
    b"ol",
    b"p",
    b"pre",
    b"ruby",
    b"s",
    b"small",
    b"span",
    b"strong",
    b"strike",
    b"sub",
    b"sup",
    b"table",
    b"tt",
    b"u",
    b"ul",
    b"var",
    b"foreignobject",
];

/// Length of the `<svg>` element at the start of `rest` (its start tag `open` bytes long)
/// through its matching `</svg>`, nested ones counted. `None`, so it is kept, when it never
/// ends or holds a tag of `LEAVE_SVG`: the parser would then show what follows as HTML, and
/// dropping it could drop article text. Icons and charts hold none.
fn svg_end(rest: &[u8], open: usize) -> Option<usize> {
    if rest[..open].ends_with(b"/>") {
        return Some(open); // `<svg/>` closes itself in foreign content
    }
    let mut depth = 1;
    let mut i = open;
    while let Some(off) = memchr(b'<', &rest[i..]) {
        let at = i + off;
        let tag = &rest[at..];
        if tag.starts_with(b"<!--") {
            i = at + comment_end(tag)?;
            continue;
        }
        if tag.starts_with(b"<![CDATA[") {
            i = at + find(tag, b"]]>")? + 3;
            continue;
        }
        let closing = tag.get(1) == Some(&b'/');
        let Some(name) = raw_name(&tag[1 + usize::from(closing)..]) else {
            i = at + 1;
            continue;
        };
        let len = tag_end(tag)?;
        if name.eq_ignore_ascii_case(b"svg") {
            if closing {
                depth -= 1;
                if depth == 0 {
                    return Some(at + len);
                }
            } else if !tag[..len].ends_with(b"/>") {
                depth += 1;
            }
        } else if LEAVE_SVG.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return None;
        }
        i = at + len;
    }
    None
}

fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn scripts_styles_and_comments_go() {
        let html = "<head><style>p{color:red}</style><script src=a.js></script>\
                    <SCRIPT type=\"text/javascript\">var x = '</div>';</SCRIPT ></head>\
                    <body><!-- ad slot --><p>Text</p><!--><!---><script>1</script \t></body>";
        assert_eq!(strip(html), "<head></head><body><p>Text</p></body>");
    }

    #[test]
    fn json_ld_and_escaped_scripts_stay() {
        let ld = "<script type=\"application/ld+json\">{\"headline\":\"<b>\"}</script>";
        assert_eq!(strip(ld), ld);
        let escaped = "<script><!-- document.write('<script></script>') --></script><p>x</p>";
        assert_eq!(strip(escaped), escaped);
    }

    #[test]
    fn markup_inside_attributes_and_rcdata_is_text() {
        for html in [
            "<p title=\"a <!-- b\">x</p><p>y --></p>",
            "<p title = 'a > <!-- b'>x</p><p>y --></p>",
            "<a href='x' data-s=\"<script>\">link</a><p>kept</p></script>",
            "<title>Why <script> tags matter</title><p>body</p>",
            "<textarea><!-- not a comment --></textarea>",
            "<p>1 < 2 and <scripted> words</p>",
        ] {
            assert_eq!(strip(html), html, "{html}");
        }
    }

    #[test]
    fn unclosed_things_are_left_to_the_parser() {
        for html in [
            "<p>a</p><script>never closed",
            "<p>a</p><!-- never closed",
            "<p>a</p><style",
            "<p>a</p><",
            "<",
            "<!--",
            "",
        ] {
            assert_eq!(strip(html), html, "{html}");
        }
    }

    #[test]
    fn svg_goes_when_nothing_in_it_is_html() {
        let icon = "<a href=/s><SVG viewBox='0 0 9 9'><title>Share</title><!-- </svg> -->\
                    <![CDATA[ </svg> ]]><svg><path d='M0 0'/></svg><use href='#i'/></Svg >Share</a>";
        assert_eq!(strip(icon), "<a href=/s>Share</a>");
        assert_eq!(strip("<p>a<svg/>b<svg />c</p>"), "<p>abc</p>");
        for kept in [
            // The parser leaves SVG at <p> or <div>: the text after is page text.
            "<svg><path d='M0'><p>Article text</p></svg>",
            "<svg><g><DIV class=x>Article text</DIV></g></svg>",
            "<svg><foreignObject><span>text</span></foreignObject></svg>",
            "<svg><path d='M0'/>never closed",
            "<svg><!-- never closed </svg>",
            "<svgs>not svg</svgs>",
        ] {
            assert!(
                strip(kept).contains("text") || strip(kept) == kept,
                "{kept}"
            );
            assert_eq!(strip(kept), kept, "{kept}");
        }
    }

    #[test]
    fn multibyte_text_around_removals() {
        let html = "<p>café</p><!-- é --><script>ü</script><p>naïve</p>";
        assert_eq!(strip(html), "<p>café</p><p>naïve</p>");
    }
}
