//! Hides the credentials of URLs (`https://user:password@host/`) before text is shown or logged.

use std::borrow::Cow;

/// `text` with the userinfo of every `scheme://userinfo@host` in it replaced by `***`.
///
/// A feed URL may carry HTTP basic-auth credentials; the request still uses them, but log
/// lines, error messages and the `last_error` that `status` shows must not. The whole
/// userinfo goes, user name included: some services put a token there. Text without any
/// is returned as it is.
pub fn urls(text: &str) -> Cow<'_, str> {
    if !text.contains('@') || !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (head, tail) = rest.split_at(start + 3);
        out.push_str(head);
        // The authority ends where the path, query or fragment starts, or where the URL
        // ends in the surrounding prose.
        let end = tail.find(ends_authority).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn ends_authority(c: char) -> bool {
    matches!(
        c,
        '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | '(' | ')'
    ) || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_and_the_rest_kept() {
        for (text, shown) in [
            (
                "http://user:secret@127.0.0.1:8080/feed.xml: HTTP 500",
                "http://***@127.0.0.1:8080/feed.xml: HTTP 500",
            ),
            ("https://token@h.example", "https://***@h.example"),
            (
                "error sending request for url (https://a:b@h.example/x?y=@z) then https://c:d@[::1]/",
                "error sending request for url (https://***@h.example/x?y=@z) then https://***@[::1]/",
            ),
            ("https://a:p@ss@h.example/", "https://***@h.example/"),
            (
                "https://medium.com/@writer/feed",
                "https://medium.com/@writer/feed",
            ),
            (
                "mail me@example.com at https://h/",
                "mail me@example.com at https://h/",
            ),
            ("no url at all", "no url at all"),
        ] {
            assert_eq!(urls(text), shown, "{text}");
        }
        assert!(matches!(urls("plain"), Cow::Borrowed(_)));
    }
}
