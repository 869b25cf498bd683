//! Scans HTML markup for tags without parsing it: names, ends of tags, comments and raw text.

use memchr::memchr;

/// The name opening `tag` (the bytes after `<` or `</`) as written, up to a space, `/` or
/// `>`; `None` unless it starts with a letter (then the `<` is text to the tokenizer).
pub fn raw_name(tag: &[u8]) -> Option<&[u8]> {
    if !tag.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let len = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        .unwrap_or(tag.len());
    Some(&tag[..len])
}

/// Length of the start tag at the start of `rest`, through its `>`. A quote opens a value
/// only right after `=` (spaces allowed between), as in the tokenizer.
pub fn tag_end(rest: &[u8]) -> Option<usize> {
    let mut quote = None;
    let mut after_equals = false;
    for (i, &b) in rest.iter().enumerate().skip(1) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
        } else if b == b'>' {
            return Some(i + 1);
        } else if after_equals && (b == b'"' || b == b'\'') {
            quote = Some(b);
        }
        if !b.is_ascii_whitespace() {
            after_equals = quote.is_none() && b == b'=';
        }
    }
    None
}

/// Where `</name` (any case, then space, `/` or `>`) starts in `body`, and where its tag ends.
pub fn close_tag(body: &[u8], name: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(off) = find(&body[from..], b"</") {
        let start = from + off;
        let after = &body[start + 2..];
        let named = after.len() > name.len()
            && after[..name.len()].eq_ignore_ascii_case(name)
            && matches!(
                after[name.len()],
                b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
            );
        if named {
            let end = memchr(b'>', &body[start..])?;
            return Some((start, start + end + 1));
        }
        from = start + 2;
    }
    None
}

/// Length of the comment at the start of `rest` (`<!--` … `-->`, or the short `<!-->` and
/// `<!--->` the tokenizer also ends); `None` if it never ends.
pub fn comment_end(rest: &[u8]) -> Option<usize> {
    if rest[4..].starts_with(b">") {
        return Some(5);
    }
    if rest[4..].starts_with(b"->") {
        return Some(6);
    }
    find(&rest[4..], b"-->").map(|off| 4 + off + 3)
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}
