//! The vocabulary of page furniture: class/id words, tags, call-to-action openings, labels.

/// Whether `word` is one of `words` (all lowercase), in any case. Compares in place: it runs
/// for every word of every class name on the page, and a lowercased copy each time costs an
/// allocation.
pub fn listed(words: &[&str], word: &str) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Class/id words of ads, sharing, sign-up and recirculation boxes: furniture on any page,
/// removed inside site-rule bodies too. Matched against whole words of the name split on
/// `-` and `_`.
pub const AD_AND_SOCIAL_WORDS: &[&str] = &[
    "ad",
    "ads",
    "advert",
    "advertisement",
    "adunit",
    "dfp",
    "sponsor",
    "sponsored",
    "promo",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "share",
    "sharing",
    "social",
    "related",
    "recirc",
    "outbrain",
    "taboola",
    "popular",
    "trending",
    "comments",
    "disqus",
];

/// Further class/id words that mark furniture around the article text (bylines, captions,
/// navigation, widgets) for the generic extractor; a site rule's body may keep them.
pub const FURNITURE_WORDS: &[&str] = &[
    "byline",
    "dateline",
    "timestamp",
    "caption",
    "credit",
    "credits",
    "breadcrumb",
    "breadcrumbs",
    "toolbar",
    "tags",
    "copyright",
    "disclaimer",
    "recommended",
    "readmore",
    "nav",
    "menu",
    "footer",
    "author",
    "bio",
    "meta",
    "published",
    "updated",
    "rail",
    "carousel",
    "gallery",
    "swiper",
    "teaser",
    "widget",
    "sidebar",
    "comment",
    "respond",
    "reply",
    "latest",
    "paywall",
    "login",
    "signin",
    "register",
];

/// Furniture words that sites glue to another word in one name (`relatedposts`,
/// `sharedaddy`, `socialicons`): a name word that starts with one of them is furniture too.
/// Only words no ordinary English word starts with: `comment` would take `commentary`.
pub const FURNITURE_STEMS: &[&str] = &[
    "related",
    "sharing",
    "share",
    "social",
    "newsletter",
    "sponsor",
    "advert",
    "outbrain",
    "taboola",
    "disqus",
    "breadcrumb",
];

/// Whether a class/id word is furniture: listed in the word lists, or glued to a stem.
pub fn furniture_word(word: &str) -> bool {
    listed(FURNITURE_WORDS, word)
        || listed(AD_AND_SOCIAL_WORDS, word)
        || FURNITURE_STEMS.iter().any(|stem| {
            word.len() > stem.len()
                && word.is_char_boundary(stem.len())
                && word[..stem.len()].eq_ignore_ascii_case(stem)
        })
}

/// Elements that never carry article text in a pruned body.
/// `h1` is the page's headline (front matter carries it); readability turns body h1s into h2s.
pub const FURNITURE_TAGS: &[&str] = &["nav", "aside", "footer", "button", "h1"];

/// Opening words of lines that are calls to action or labels, not article text.
pub const FURNITURE_PREFIXES: &[&str] = &[
    "advertisement",
    "also read",
    "click here",
    "continue reading",
    "copyright",
    "credit:",
    "don't miss",
    "don’t miss",
    "follow us",
    "image:",
    "more:",
    "photo:",
    "posted",
    "published",
    "read more",
    "related:",
    "see also",
    "see more",
    "sign up",
    "story continues",
    "subscribe",
    "updated",
    "you may also like",
    "(image:",
    "(photo:",
    "image credit",
    "photo credit",
    "©",
];

/// Whole lines that label a slot on the page rather than say anything.
pub const LABELS: &[&str] = &["ad", "advert", "sponsored", "promoted", "comments"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_lowercase_so_that_listed_ignores_case() {
        for list in [
            AD_AND_SOCIAL_WORDS,
            FURNITURE_WORDS,
            LABELS,
            FURNITURE_STEMS,
        ] {
            assert!(list.iter().all(|w| *w == w.to_lowercase()), "{list:?}");
        }
        assert!(listed(AD_AND_SOCIAL_WORDS, "Ad") && listed(FURNITURE_WORDS, "SIDEBAR"));
        assert!(!listed(AD_AND_SOCIAL_WORDS, "adage"));
    }

    #[test]
    fn glued_furniture_words_are_furniture() {
        for word in ["relatedposts", "sharedaddy", "SocialIcons", "byline"] {
            assert!(furniture_word(word), "{word}");
        }
        for word in ["relate", "content", "commentary", "shar", "é"] {
            assert!(!furniture_word(word), "{word}");
        }
    }
}
