//! Reads what feedmark uses of a response's headers: validators, type, caching and retry hints.

use reqwest::Url;
use reqwest::header::{self, HeaderMap};

use super::{Fetched, Hop, Validators};

/// A [`Fetched`] with the header values filled in and `body` as given.
pub(super) fn fetched(
    url: Url,
    redirects: Vec<Hop>,
    headers: &HeaderMap,
    not_modified: bool,
    body: Vec<u8>,
) -> Fetched {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Fetched {
        url,
        redirects,
        not_modified,
        validators: Validators {
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
        },
        content_type: text(header::CONTENT_TYPE),
        max_age: text(header::CACHE_CONTROL).and_then(|v| max_age(&v)),
        body,
        encoded: None,
        decoded: true,
    }
}

/// Seconds in `max-age=N` of a Cache-Control value.
fn max_age(value: &str) -> Option<u64> {
    value
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|n| n.trim_matches('"').parse().ok())
}

/// Retry-After as seconds: either a number, or an HTTP date counted from `now`.
pub(super) fn retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.timestamp() - now.timestamp();
    Some(delta.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cache_headers() {
        assert_eq!(max_age("public, max-age=300"), Some(300));
        assert_eq!(max_age("no-cache"), None);
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().unwrap());
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .to_utc();
        assert_eq!(retry_after(&h, now), Some(120));
        h.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:30:00 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after(&h, now),
            Some(120),
            "a date counts from the given now"
        );
        assert_eq!(
            retry_after(&h, now + chrono::Duration::hours(1)),
            Some(0),
            "a date already past means now"
        );
    }
}
