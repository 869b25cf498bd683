//! Gives each item a stable identity: a dedup key and a canonical article URL.

use url::Url;

use crate::feed::Item;
use crate::text::sha256_hex;

/// Query parameters that only track the reader; they never change the article.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "vero_conv",
    "__s",
    "ncid",
    "cmpid",
    "sr_share",
    "twclid",
    "ttclid",
    "wt_mc",
    "rss",
    "ref_src",
];

/// The stable dedup key of an item: its guid; else its canonical link; else title + content;
/// else, when both are empty (a podcast episode with only an enclosure), the enclosures and
/// the rest of the item, so that such items do not all collapse into one.
///
/// Guids and title keys are scoped by the feed's host, so "1" in two unrelated feeds never
/// collides, while The Hill's section feeds (one host, one guid per story) share keys.
pub fn item_key(item: &Item, feed_url: &str) -> String {
    let scope = Url::parse(feed_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let material = if let Some(guid) = &item.guid {
        format!("guid\0{scope}\0{guid}")
    } else if let Some(url) = item.link.as_deref().and_then(canonical_url) {
        format!("url\0{url}")
    } else if !item.title.is_empty() || item.content_html.is_some() {
        let content = item.content_html.as_deref().unwrap_or("");
        format!("text\0{scope}\0{}\0{content}", item.title)
    } else {
        format!("bare\0{scope}\0{}", whole_item(item))
    };
    sha256_hex(&material)
}

/// Everything else an item without guid, link, title and text says about itself.
fn whole_item(item: &Item) -> String {
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.timestamp().to_string());
    [
        item.enclosures.join("\u{1}"),
        item.image.clone().unwrap_or_default(),
        item.summary_html.clone().unwrap_or_default(),
        date(item.published).unwrap_or_default(),
        date(item.updated).unwrap_or_default(),
        item.authors.join("\u{1}"),
        item.categories.join("\u{1}"),
    ]
    .join("\0")
}

/// A hash of what the feed says about the item (title, link, content, update time): when it
/// differs from the stored one on a later poll, the item changed and its page is read again.
pub fn item_hash(item: &Item) -> String {
    let updated = item.updated.map(|d| d.timestamp().to_string());
    let material = [
        item.title.as_str(),
        item.link.as_deref().unwrap_or(""),
        item.content_html.as_deref().unwrap_or(""),
        updated.as_deref().unwrap_or(""),
    ]
    .join("\0");
    sha256_hex(&material)
}

/// The article URL reduced to what identifies it: https, no fragment, no default port,
/// no tracking parameters (`utm_*` and the like), remaining parameters kept in order.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    if url.scheme() == "http" {
        url.set_scheme("https").ok()?;
    }
    url.set_fragment(None);
    if url.port() == Some(80) || url.port() == Some(443) {
        url.set_port(None).ok()?;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_") || TRACKING_PARAMS.contains(&key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls_drop_tracking() {
        assert_eq!(
            canonical_url("http://thehill.com/a/?utm_source=rss&utm_medium=x&id=3#c").as_deref(),
            Some("https://thehill.com/a/?id=3")
        );
        assert_eq!(
            canonical_url("https://x.com:443/p?fbclid=1").as_deref(),
            Some("https://x.com/p")
        );
        assert_eq!(canonical_url("javascript:alert(1)"), None);
    }

    #[test]
    fn item_hash_follows_content() {
        let a = Item {
            title: "t".into(),
            content_html: Some("<p>x</p>".into()),
            ..Item::default()
        };
        let mut b = a.clone();
        assert_eq!(item_hash(&a), item_hash(&b));
        b.content_html = Some("<p>y</p>".into());
        assert_ne!(item_hash(&a), item_hash(&b));
    }

    #[test]
    fn keys_are_stable_and_scoped() {
        let item = Item {
            guid: Some("1".into()),
            title: "t".into(),
            ..Item::default()
        };
        let a = item_key(&item, "https://a.com/feed");
        assert_eq!(a, item_key(&item, "https://a.com/other/feed"));
        assert_ne!(a, item_key(&item, "https://b.com/feed"));
        let no_id = Item {
            title: "t".into(),
            content_html: Some("c".into()),
            ..Item::default()
        };
        assert_eq!(
            item_key(&no_id, "https://a.com/"),
            item_key(&no_id, "https://a.com/")
        );
        let episode = |url: &str| Item {
            enclosures: vec![url.to_string()],
            ..Item::default()
        };
        assert_ne!(
            item_key(&episode("https://a.com/1.mp3"), "https://a.com/"),
            item_key(&episode("https://a.com/2.mp3"), "https://a.com/"),
            "enclosure-only items stay apart"
        );
        let linked = Item {
            link: Some("https://a.com/x?utm_source=1".into()),
            ..Item::default()
        };
        assert_eq!(
            item_key(&linked, "https://a.com/"),
            item_key(&linked, "https://z.com/")
        );
    }
}
