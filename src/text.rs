//! Small text helpers shared by the stages: entity decoding, whitespace, slugs, hashes.

use sha2::{Digest, Sha256};

/// Decodes HTML character references (named and numeric) in plain text.
pub fn decode_entities(s: &str) -> String {
    if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_string()
    }
}

/// Text content of an HTML fragment: tags dropped, entities decoded.
pub fn strip_tags(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    fragment.root_element().text().collect()
}

/// What a reader sees of an HTML fragment: [`strip_tags`] without the bodies of `script`,
/// `style` and the like, which are code, not text.
pub fn visible_text(html: &str) -> String {
    const HIDDEN: &[&str] = &["script", "style", "noscript", "template"];
    let fragment = scraper::Html::parse_fragment(html);
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        let Some(text) = node.value().as_text() else {
            continue;
        };
        let hidden = node.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| HIDDEN.contains(&e.name()))
        });
        if !hidden {
            out.push_str(text);
        }
    }
    out
}

/// Inline HTML elements a feed's plain-text title may carry as literal tags.
const TITLE_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "br", "cite", "code", "del", "em", "font", "i", "ins", "kbd", "mark",
    "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "wbr",
];

/// Plain text with the tags of inline HTML elements (`<b>`, `</em>`, `<span class=x>`)
/// removed. Only those named in [`TITLE_TAGS`] go: a title such as `a < b` or `Vec<T>` is
/// text, and it is kept as it is. Entities are not decoded here (the caller has done so).
pub fn strip_inline_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(len) = inline_tag_len(after) {
            rest = &after[len..];
        } else {
            out.push('<');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Length of the inline tag `s` starts with (`<b>`, `</b>`, `<a href="x">`, `<br/>`).
fn inline_tag_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('<')?;
    let name_at = usize::from(body.starts_with('/'));
    let name_len = body[name_at..]
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len() - name_at);
    let name = body[name_at..name_at + name_len].to_ascii_lowercase();
    if !TITLE_TAGS.contains(&name.as_str()) {
        return None;
    }
    let after_name = &body[name_at + name_len..];
    if !(after_name.starts_with(['>', '/', ' ', '\t', '\n'])) {
        return None;
    }
    let close = after_name.find('>')?;
    if after_name[..close].contains('<') {
        return None;
    }
    Some(1 + name_at + name_len + close + 1)
}

/// Collapses runs of whitespace (including line breaks) into one space and trims the ends.
/// Non-breaking spaces are whitespace here too: this is for titles and names.
pub fn squash_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() && c != '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.trim_matches('\u{a0}').to_string()
}

/// Lowercase hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        use std::fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// An ASCII slug of at most `max` characters: `[a-z0-9-]`, no leading/trailing/double dash.
pub fn slugify(s: &str, max: usize) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in s.chars().flat_map(fold_char) {
        if c.is_ascii_alphanumeric() {
            let sep = dash && !slug.is_empty();
            if slug.len() + usize::from(sep) + 1 > max {
                break;
            }
            if sep {
                slug.push('-');
            }
            dash = false;
            slug.push(c.to_ascii_lowercase());
        } else if c != '\'' && c != '’' {
            dash = true;
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// Maps common Latin letters with diacritics to ASCII so slugs stay readable.
fn fold_char(c: char) -> Vec<char> {
    let folded = match c {
        'à'..='å' | 'À'..='Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è'..='ë' | 'È'..='Ë' => "e",
        'ì'..='ï' | 'Ì'..='Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' => "o",
        'ù'..='ü' | 'Ù'..='Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => return vec![c],
    };
    folded.chars().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe() {
        assert_eq!(
            slugify("Hegseth: ‘No betrayal’ in US position", 60),
            "hegseth-no-betrayal-in-us-position"
        );
        assert_eq!(slugify("../../etc/passwd", 60), "etc-passwd");
        assert_eq!(slugify("Café déjà vu", 60), "cafe-deja-vu");
        assert_eq!(slugify("Trump's plan", 60), "trumps-plan");
        assert_eq!(slugify("日本語", 60), "");
        assert!(slugify(&"word ".repeat(100), 20).len() <= 20);
    }

    #[test]
    fn whitespace_and_entities() {
        assert_eq!(squash_whitespace("  a \n\t b  "), "a b");
        assert_eq!(decode_entities("a &#8216;b&#8217; &amp; c"), "a ‘b’ & c");
        assert_eq!(strip_tags("<b>x</b> &amp; y"), "x & y");
    }

    #[test]
    fn inline_tags_go_and_other_angle_brackets_stay() {
        assert_eq!(strip_inline_tags("<b>Bold</b> t"), "Bold t");
        assert_eq!(
            strip_inline_tags("<EM>a</EM> <span class=\"x\">b</span><br/>c"),
            "a bc"
        );
        for kept in [
            "a < b",
            "a<b",
            "Vec<T> and <T>",
            "x <b",
            "<bold> move",
            "1 <b < 2>",
        ] {
            assert_eq!(strip_inline_tags(kept), kept);
        }
        assert_eq!(strip_inline_tags("&amp; <i>x</i>"), "&amp; x");
    }

    #[test]
    fn visible_text_drops_code_but_not_what_follows_an_unclosed_element() {
        assert_eq!(
            visible_text("safe<script>alert(1)</script> description"),
            "safe description"
        );
        assert_eq!(
            visible_text("safe<object classid=\"x\"> description"),
            "safe description"
        );
    }
}
