//! Markdown escapes for text: which characters change, bare URLs, entity-looking `&`.

/// Length of the bare `http(s)://` URL at byte `at` of `t` when it holds a character
/// [`escape_at`] would escape (`a_b`, `*`, `--`). Escaped, `a\_b` is no longer one URL to Hugo's
/// linkify (only the part before the first `\_` is linked), so such a URL is written as an
/// autolink, `<…>`, inside which nothing is escaped. The URL ends where linkify ends it:
/// before whitespace or a character URLs do not hold, less trailing punctuation.
pub(super) fn bare_url_to_protect(t: &str, at: usize) -> Option<usize> {
    let rest = &t[at..];
    if !(rest.starts_with("http://") || rest.starts_with("https://")) {
        return None;
    }
    if t[..at]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
    {
        return None; // "xhttp://" is not a URL start
    }
    let end = rest
        .find(|c: char| !c.is_ascii_graphic() || "<>\"'`\\[]{}|^".contains(c))
        .unwrap_or(rest.len());
    let mut url = &rest[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ':', ';', '!', '?', '*', '_', '~']);
        let unbalanced =
            trimmed.ends_with(')') && trimmed.matches('(').count() < trimmed.matches(')').count();
        url = if unbalanced {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if !unbalanced {
            break;
        }
    }
    let host = url.split_once("://").map_or("", |(_, h)| h);
    let mut escaped = String::new();
    escape_str(url, &mut escaped);
    (!host.is_empty() && escaped != url).then_some(url.len())
}

/// The characters [`escape_at`] may change.
pub(super) const MARKDOWN_SPECIAL: &[u8] = b"\\*`[]<>_{-&";

/// Escapes the character at byte `i` of `t` (an ASCII one, or `t[i..]` starts a char).
/// `&` needs what follows: it is escaped only where it starts something a Markdown reader
/// would decode as an entity (`&amp;` in the page's text must reach the reader as "&amp;").
pub(super) fn escape_at(t: &str, i: usize, out: &mut String) {
    let rest = &t[i..];
    if rest.starts_with('&') && starts_entity(rest) {
        out.push_str("\\&");
    } else if let Some(c) = rest.chars().next() {
        escape_char(c, out);
    }
}

pub(super) fn escape_char(c: char, out: &mut String) {
    match c {
        '\\' | '*' | '`' | '[' | ']' | '<' | '>' | '_' => {
            out.push('\\');
            out.push(c);
        }
        // `{{` opens a Hugo shortcode: keep the brace, break the pair.
        '{' if out.ends_with('{') => out.push_str("\\{"),
        // Hugo's typographer turns `--` and `---` into dashes, `\---` included (the escaped
        // hyphen is not part of the pair): every hyphen after the first of a run is escaped.
        '-' if out.ends_with('-') => out.push_str("\\-"),
        _ => out.push(c),
    }
}

pub(super) fn escape_str(s: &str, out: &mut String) {
    for (i, _) in s.char_indices() {
        escape_at(s, i, out);
    }
}

/// Whether `s` (starting with `&`) starts an entity reference as CommonMark reads one:
/// `&name;`, `&#123;` or `&#x1F;`.
pub(crate) fn starts_entity(s: &str) -> bool {
    let Some(body) = s.strip_prefix('&') else {
        return false;
    };
    let Some(end) = body.find(';') else {
        return false;
    };
    let name = &body[..end];
    if let Some(num) = name.strip_prefix('#') {
        return match num.strip_prefix(['x', 'X']) {
            Some(hex) => (1..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => (1..=7).contains(&num.len()) && num.chars().all(|c| c.is_ascii_digit()),
        };
    }
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{Ctx, Mode};

    /// A trailing `_` is not part of the URL (as for linkify): it stays escaped text.
    #[test]
    fn bare_urls_with_underscores_become_autolinks() {
        let ctx = Ctx::new(None, Mode::Markdown);
        let mut out = String::new();
        ctx.text(
            "See https://e.org/a_b_c/d*e.html, (https://e.org/x_(y)_z) and https://e.org/a_. \
             Plain https://e.org/abc stays; a_b and xhttps://e.org/a_b are text.",
            &mut out,
        );
        assert_eq!(
            out,
            "See <https://e.org/a_b_c/d*e.html>, (<https://e.org/x_(y)_z>) and \
             https://e.org/a\\_. Plain https://e.org/abc stays; a\\_b and \
             xhttps://e.org/a\\_b are text."
        );
        let mut text = String::new();
        Ctx::new(None, Mode::Text).text("https://e.org/a_b", &mut text);
        assert_eq!(text, "https://e.org/a_b");
    }

    #[test]
    fn entity_text_and_hyphen_runs_stay_literal() {
        let ctx = Ctx::new(None, Mode::Markdown);
        let mut out = String::new();
        ctx.text(
            "&amp; &#45; &#x2d; &nbsp; & a&b &; &#; &#x; &a-b; -- --- |---| a-b",
            &mut out,
        );
        assert_eq!(
            out,
            "\\&amp; \\&#45; \\&#x2d; \\&nbsp; & a&b &; &#; &#x; &a-b; -\\- -\\-\\- |-\\-\\-| a-b"
        );
        let mut alt = String::new();
        escape_str("x&amp;y--", &mut alt);
        assert_eq!(alt, "x\\&amp;y-\\-");
    }
}
