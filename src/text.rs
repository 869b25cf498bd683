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
}
