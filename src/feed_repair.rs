//! Repairs feeds that are broken in ways a person can still read, before and after parsing fails.

/// Repairs what feed-rs rejects but a person can read: leading junk before the root,
/// an `<rss>` with no or an unknown `version`, and HTML entities XML does not define.
pub fn repair(text: &str) -> String {
    let start = text.find(['<', '{']).unwrap_or(0);
    let body = &text[start..];
    if body.starts_with('{') {
        return body.to_string();
    }
    let body = strip_xml_declaration(body);
    let body = fix_rss_version(body);
    html_entities_to_numeric(&body)
}

/// The text was transcoded to UTF-8 already, so a declared encoding would now be wrong.
fn strip_xml_declaration(text: &str) -> &str {
    if text.starts_with("<?xml")
        && let Some(end) = text.find("?>")
    {
        return text[end + 2..].trim_start();
    }
    text
}

fn fix_rss_version(text: &str) -> String {
    let Some(pos) = find_root_tag(text, "rss") else {
        return text.to_string();
    };
    let Some(close) = text[pos..].find('>') else {
        return text.to_string();
    };
    let tag = &text[pos..pos + close];
    let fixed = match attribute_value(tag, "version") {
        Some("2.0" | "0.91" | "0.92" | "") => return text.to_string(),
        Some(v) => {
            tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1)
                .replacen(&format!("'{v}'"), "'2.0'", 1)
        }
        None => format!("<rss version=\"2.0\"{}", &tag[4..]),
    };
    format!("{}{}{}", &text[..pos], fixed, &text[pos + close..])
}

/// Position of the first `<name` start tag (followed by whitespace, `>` or `/`).
pub(crate) fn find_root_tag(text: &str, name: &str) -> Option<usize> {
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let at = from + i;
        let next = text[at + needle.len()..].chars().next();
        if matches!(next, Some(c) if c.is_whitespace() || c == '>' || c == '/') {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        let after = rest[i + name.len()..].trim_start();
        if matches!(before, Some(c) if c.is_whitespace())
            && let Some(value) = after.strip_prefix('=')
        {
            let value = value.trim_start();
            let quote = value.chars().next()?;
            if quote == '"' || quote == '\'' {
                let inner = &value[1..];
                return inner.find(quote).map(|end| &inner[..end]);
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

/// `&nbsp;` and friends are undefined in XML and make the whole feed invalid: turn every
/// HTML named entity (other than XML's five) into a numeric reference.
fn html_entities_to_numeric(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let name_len = tail[1..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tail.len() - 1);
        let is_named = name_len > 0 && tail[1 + name_len..].starts_with(';');
        let name = &tail[1..=name_len];
        if is_named && !matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
            let entity = &tail[..name_len + 2];
            let decoded = html_escape::decode_html_entities(entity);
            if decoded != entity {
                for c in decoded.chars() {
                    out.push_str(&format!("&#{};", c as u32));
                }
                rest = &tail[name_len + 2..];
                continue;
            }
        }
        out.push('&');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// Alternative readings of a document that failed to parse, most likely first: a feed shown
/// by a browser's source view (escaped inside HTML), a feed wrapped in HTML tags, and raw HTML
/// inside `<description>` / `<content:encoded>` that should have been escaped.
///
/// Each comes with what it repaired, for the log and `feedmark parse`.
pub fn second_chances(text: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let head = prefix(text, 4096);
    if head.contains("&lt;rss")
        || head.contains("&lt;feed")
        || head.contains("&lt;rdf:RDF")
        || head.contains("&lt;?xml")
    {
        out.push((
            "a feed escaped inside an HTML page, unescaped",
            crate::text::strip_tags(text),
        ));
    }
    if let Some(inner) = embedded_feed(text) {
        out.push(("a feed wrapped in HTML, unwrapped", inner.to_string()));
    }
    let wrapped = cdata_wrap_html(text);
    if wrapped != text {
        out.push((
            "unescaped HTML in description / content:encoded wrapped in CDATA",
            wrapped,
        ));
    }
    if let Some(cleaned) = without_stray_declarations(text) {
        out.push(("XML declarations after the start removed", cleaned));
    }
    out
}

/// The document without XML declarations after its start (a template or plugin that
/// prints its own `<?xml …?>` mid-feed). They are never valid there, and one naming an
/// encoding crashes the XML reader. `None` when there is none.
fn without_stray_declarations(text: &str) -> Option<String> {
    let start = text.find('<').map_or(0, |i| i + 1);
    let is_declaration = |rest: &str| {
        rest.starts_with("<?xml")
            && rest[5..].starts_with(|c: char| c.is_ascii_whitespace() || c == '?')
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = start;
    while let Some(off) = text[from..].find("<?xml") {
        let at = from + off;
        from = at + 5;
        if !is_declaration(&text[at..]) {
            continue; // <?xml-stylesheet and the like
        }
        let Some(end) = text[at..].find("?>") else {
            break;
        };
        out.push_str(&text[copied..at]);
        copied = at + end + 2;
        from = copied;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// At most the first `max` bytes of `text`, cut back to a character boundary (a cut inside a
/// multi-byte character panicked: found by fuzzing).
fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The `<rss>…</rss>` (or Atom / RSS 1.0 root) inside a document whose root is something else.
fn embedded_feed(text: &str) -> Option<&str> {
    for (open, close) in [
        ("rss", "</rss>"),
        ("feed", "</feed>"),
        ("rdf:RDF", "</rdf:RDF>"),
    ] {
        if let Some(start) = find_root_tag(text, open) {
            let end = text.rfind(close)? + close.len();
            let before = text[..start].to_ascii_lowercase();
            if (before.contains("<html") || before.contains("<body")) && end > start {
                return Some(&text[start..end]);
            }
        }
    }
    None
}

/// Wraps the content of HTML-bearing RSS elements in CDATA when it holds raw markup.
fn cdata_wrap_html(text: &str) -> String {
    let mut out = text.to_string();
    for tag in ["description", "content:encoded"] {
        out = wrap_element(&out, tag);
    }
    out
}

fn wrap_element(text: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find(&open) {
        let body_start = i + open.len();
        let Some(len) = rest[body_start..].find(&close) else {
            break;
        };
        let body = &rest[body_start..body_start + len];
        out.push_str(&rest[..body_start]);
        if body.contains('<') && !body.trim_start().starts_with("<![CDATA[") {
            out.push_str("<![CDATA[");
            out.push_str(&body.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
        } else {
            out.push_str(body);
        }
        out.push_str(&close);
        rest = &rest[body_start + len + close.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_declarations_are_removed_but_not_the_first_or_stylesheets() {
        let feed = "<?xml version=\"1.0\"?><?xml-stylesheet href=\"s.xsl\"?><rss><channel>\
                    <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><title>t</title></channel></rss>";
        assert_eq!(
            without_stray_declarations(feed).unwrap(),
            "<?xml version=\"1.0\"?><?xml-stylesheet href=\"s.xsl\"?><rss><channel>\
             <title>t</title></channel></rss>"
        );
        assert_eq!(
            without_stray_declarations("<?xml version=\"1.0\"?><rss/>"),
            None
        );
        assert_eq!(
            without_stray_declarations("<rss><?xml"),
            None,
            "unclosed: left alone"
        );
    }

    #[test]
    fn a_multibyte_character_across_the_sniffed_head_is_no_panic() {
        let text = format!("<rss>{}“quoted”</rss", "x".repeat(4090));
        assert!(!text.is_char_boundary(4096));
        second_chances(&text);
        assert_eq!(prefix("a“b", 2), "a");
        assert_eq!(prefix("ab", 10), "ab");
    }

    #[test]
    fn unwraps_and_escapes() {
        let wrapped = "<html><body><rss version=\"2.0\"><channel></channel></rss></body></html>";
        assert_eq!(
            embedded_feed(wrapped),
            Some("<rss version=\"2.0\"><channel></channel></rss>")
        );
        let raw = "<item><description><p>a<hr></description></item>";
        assert_eq!(
            cdata_wrap_html(raw),
            "<item><description><![CDATA[<p>a<hr>]]></description></item>"
        );
        let fine = "<description><![CDATA[<p>x</p>]]></description>";
        assert_eq!(cdata_wrap_html(fine), fine);
    }
}
