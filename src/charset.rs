//! Turns downloaded bytes into UTF-8 text, honouring BOMs, declared and HTTP charsets.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Decodes a feed: BOM first, then the XML declaration, then the HTTP charset, else UTF-8.
/// A document that claims UTF-8 but is not falls back to Windows-1252, the usual mislabel.
pub fn decode_xml(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some(text) = decode_utf32(bytes) {
        return text;
    }
    let declared = sniff_utf16(bytes).or_else(|| xml_declared(bytes));
    let encoding = declared
        .or_else(|| content_type.and_then(http_charset))
        .unwrap_or(UTF_8);
    decode_with(bytes, encoding)
}

/// Decodes an HTML page: BOM, HTTP charset, `<meta charset>` in the first 2 KiB, else UTF-8.
///
/// A page whose bytes are valid UTF-8 with some non-ASCII in them is read as UTF-8 whatever
/// it declares: a page converted to UTF-8 often keeps its old `gb2312` or `iso-8859-1` label,
/// while legacy-encoded text almost never forms valid multi-byte UTF-8 by chance (an accented
/// Latin-1 letter is one byte above 0x7F followed by ASCII, which UTF-8 refuses).
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> String {
    let declared = content_type
        .and_then(http_charset)
        .or_else(|| meta_charset(bytes));
    let encoding = match declared {
        Some(e) if e != UTF_8 && is_utf8_beyond_ascii(bytes) => {
            tracing::debug!(
                declared = e.name(),
                "page declares a legacy charset but is valid UTF-8; reading it as UTF-8"
            );
            UTF_8
        }
        Some(e) => e,
        None => UTF_8,
    };
    decode_with(bytes, encoding)
}

/// Valid UTF-8 holding at least one multi-byte character. A UTF-16 page (its BOM or its
/// zero bytes) is left to its declaration.
fn is_utf8_beyond_ascii(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

fn decode_with(bytes: &[u8], encoding: &'static Encoding) -> String {
    // `decode` lets a BOM override the given encoding, as browsers do.
    let (text, used, had_errors) = encoding.decode(bytes);
    if had_errors && used == UTF_8 {
        return WINDOWS_1252.decode(bytes).0.into_owned();
    }
    text.into_owned()
}

fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("charset") {
            Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
        } else {
            None
        }
    })
}

/// The `encoding="…"` of an ASCII-compatible XML declaration.
fn xml_declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    // The end is searched after the start: a stray `?>` before `<?xml` must not be taken
    // for it (slicing backwards panicked on such a feed and took the process down).
    let start = head.find("<?xml")?;
    let decl_end = start + head[start..].find("?>")?;
    let decl = &head[start..decl_end];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    let value = rest[quote.len_utf8()..].split(quote).next()?;
    let encoding = Encoding::for_label(value.trim().as_bytes())?;
    // A declaration read as ASCII cannot truly be UTF-16 (that is caught by the byte sniff).
    (encoding != UTF_16LE && encoding != UTF_16BE).then_some(encoding)
}

fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [0, b'<', ..] => Some(UTF_16BE),
        [b'<', 0, ..] => Some(UTF_16LE),
        _ => None,
    }
}

/// UTF-32 (which encoding_rs leaves out), recognised by its BOM or by `<` in four bytes.
fn decode_utf32(bytes: &[u8]) -> Option<String> {
    let (big_endian, skip) = match bytes {
        [0, 0, 0xFE, 0xFF, ..] => (true, 4),
        [0xFF, 0xFE, 0, 0, ..] => (false, 4),
        [0, 0, 0, b'<', ..] => (true, 0),
        [b'<', 0, 0, 0, ..] => (false, 0),
        _ => return None,
    };
    let text = bytes[skip..]
        .chunks_exact(4)
        .map(|c| {
            let arr = [c[0], c[1], c[2], c[3]];
            let n = if big_endian {
                u32::from_be_bytes(arr)
            } else {
                u32::from_le_bytes(arr)
            };
            char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect();
    Some(text)
}

fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let at = head.find("charset=")?;
    let value: String = head[at + 8..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_declarations_are_no_panic() {
        // Found by fuzzing: `?>` before `<?xml`, and a multi-byte character as the quote.
        for doc in [
            "?><?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>",
            "<?x\u{fffd}ml version=\"1.0\"?>\n<?xml encoding=\"latin1\"",
            "<?xml version=\"1.0\" encoding=\u{e9}UTF-8\u{e9}?><rss/>",
            "<?xml encoding=",
        ] {
            decode_xml(doc.as_bytes(), None);
        }
        let fuzzed =
            b"<?x\xffml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><?xml x?>";
        decode_xml(fuzzed, None);
        assert_eq!(
            xml_declared(b"?> <?xml version='1.0' encoding='windows-1252'?>"),
            Some(WINDOWS_1252)
        );
    }

    #[test]
    fn honours_declaration_and_header() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert!(decode_xml(latin1, None).contains("café"));
        let plain = b"<a>caf\xe9</a>";
        assert!(decode_xml(plain, Some("text/xml; charset=iso-8859-1")).contains("café"));
        assert!(
            decode_xml(plain, None).contains("café"),
            "invalid UTF-8 falls back"
        );
    }

    #[test]
    fn decodes_utf16_and_utf32() {
        let s = "<a>é</a>";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_xml(&le, None), s);
        let be_no_bom: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode_xml(&be_no_bom, None), s);
        let u32le: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
        assert_eq!(decode_xml(&u32le, None), s);
    }

    #[test]
    fn html_meta_charset() {
        let page =
            b"<html><head><meta charset=\"windows-1251\"></head><body>\xcf\xf0\xe8</body></html>";
        assert!(decode_html(page, None).contains("При"));
        let bare = b"<p>\xcf\xf0\xe8</p>";
        assert!(decode_html(bare, Some("text/html; charset=windows-1251")).contains("При"));
    }

    #[test]
    fn valid_utf8_wins_over_a_stale_legacy_label() {
        let page = "<meta charset=\"gb2312\"><p>中文报道</p>";
        assert!(decode_html(page.as_bytes(), None).contains("中文报道"));
        let latin = "<p>café</p>";
        let header = Some("text/html; charset=iso-8859-1");
        assert!(decode_html(latin.as_bytes(), header).contains("café"));
        // ASCII-only pages and real legacy bytes still follow the label.
        let gbk = b"<meta charset=\"gbk\"><p>\xd6\xd0\xce\xc4</p>";
        assert!(decode_html(gbk, None).contains("中文"));
    }
}
