//! Finds the element a page's own markup names as its article body (`articleBody`, `.post-content`).

use ego_tree::NodeId;
use scraper::{ElementRef, Html};

use super::furniture::listed;
use super::prune::text_len;
use crate::markdown::attr;

/// Words that, in a class or id, name the thing (an article, a post, a story).
const THING_WORDS: &[&str] = &["article", "post", "entry", "story", "blog", "news", "main"];
/// Words that, in the same name, say "the body of it".
const BODY_WORDS: &[&str] = &["body", "content", "text", "copy"];
/// Words that disqualify a name even when it pairs the two above (`post-content-related`).
const NOT_BODY_WORDS: &[&str] = &[
    "related", "meta", "header", "footer", "sidebar", "comments", "comment", "teaser", "promo",
    "list", "nav", "share", "author", "tags", "summary", "excerpt", "intro", "preview", "card",
];

/// Least text, in characters without whitespace, for a named container to be trusted.
const MIN_TEXT: usize = 400;

/// The nodes of the page's declared article body, in document order, or `None` when the
/// markup names none that holds enough text. Among nested candidates the tightest one that
/// still holds 80% of the largest one's text wins: it leaves out the headline and byline
/// around the body. A body cut into pieces by inline media or ads (several elements of the
/// same class side by side) comes back as all of its pieces.
pub fn find(doc: &Html) -> Option<Vec<NodeId>> {
    let candidates: Vec<(NodeId, usize)> = doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(is_named_body)
        .map(|e| (e.id(), text_len(&e)))
        .filter(|(_, len)| *len >= MIN_TEXT)
        .collect();
    let largest = candidates.iter().map(|(_, len)| *len).max()?;
    let chosen = candidates
        .iter()
        .filter(|(_, len)| len * 10 >= largest * 8)
        .min_by_key(|(_, len)| *len)
        .map(|(id, _)| *id)?;
    let chosen = doc.tree.get(chosen).and_then(ElementRef::wrap)?;
    Some(pieces(doc, chosen))
}

/// Levels above a piece of a split body where its sibling pieces may join it: a piece is
/// typically wrapped in a block, a grid row and a cell before the column that holds them all.
const PIECE_REACH: usize = 4;

/// `chosen` and the elements beside it with the same class that names a body (sharing an
/// ancestor at most [`PIECE_REACH`] levels up, neither inside the other), in document order.
fn pieces(doc: &Html, chosen: ElementRef<'_>) -> Vec<NodeId> {
    let Some(class) =
        attr(chosen.value(), "class").filter(|c| c.split_whitespace().any(names_a_body))
    else {
        return vec![chosen.id()];
    };
    let near: Vec<NodeId> = chosen
        .ancestors()
        .take(PIECE_REACH)
        .map(|a| a.id())
        .collect();
    let beside = |e: &ElementRef<'_>| {
        e.ancestors()
            .take(PIECE_REACH)
            .any(|a| near.contains(&a.id()))
    };
    let found: Vec<NodeId> = doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            e.id() == chosen.id()
                || (e.value().name() == chosen.value().name()
                    && attr(e.value(), "class") == Some(class)
                    && beside(e))
        })
        .map(|e| e.id())
        .collect();
    if found.len() > 1 {
        tracing::debug!(
            pieces = found.len(),
            class,
            "the named body comes in pieces"
        );
    }
    super::clean::outermost(doc, &found)
}

fn is_named_body(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    // Only containers: a paragraph classed `post-text` is one paragraph, not the body.
    if !matches!(v.name(), "div" | "section" | "article" | "main") {
        return false;
    }
    if attr(v, "itemprop").is_some_and(|p| {
        p.split_whitespace()
            .any(|w| w.eq_ignore_ascii_case("articlebody"))
    }) {
        return true;
    }
    attr(v, "class")
        .into_iter()
        .chain(attr(v, "id"))
        .flat_map(str::split_whitespace)
        .any(names_a_body)
}

/// Whether a class or id name pairs a thing word with a body word and has no word against.
fn names_a_body(name: &str) -> bool {
    let (mut thing, mut body, mut against) = (false, false, false);
    for_each_word(name, |w| {
        thing |= listed(THING_WORDS, w);
        body |= listed(BODY_WORDS, w);
        against |= listed(NOT_BODY_WORDS, w);
    });
    thing && body && !against
}

/// Calls `f` with each word of a name: `article__body` → article, body; `storyBody` → story,
/// Body.
fn for_each_word<'a>(name: &'a str, mut f: impl FnMut(&'a str)) {
    for part in name.split(['-', '_']).filter(|p| !p.is_empty()) {
        let mut start = 0;
        let b = part.as_bytes();
        for i in 1..b.len() {
            if b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase() {
                f(&part[start..i]);
                start = i;
            }
        }
        f(&part[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_each_word(name, |w| out.push(w));
        out
    }

    #[test]
    fn names_are_split_into_words() {
        assert_eq!(words("storyBody"), ["story", "Body"]);
        assert_eq!(words("article__body-text"), ["article", "body", "text"]);
        assert!(names_a_body("storyBody") && names_a_body("ENTRY-CONTENT"));
        assert!(!names_a_body("post-content-related") && !names_a_body("storyline"));
        // `listed` ignores case only against lowercase lists.
        for list in [THING_WORDS, BODY_WORDS, NOT_BODY_WORDS] {
            assert!(list.iter().all(|w| *w == w.to_lowercase()), "{list:?}");
        }
    }

    #[test]
    fn the_tightest_named_body_with_most_of_the_text_wins() {
        let para =
            "<p>Real article text, long enough to count as the body of a story. </p>".repeat(10);
        let page = format!(
            "<div class='post-content'><h1>Head</h1><div class='entry-body'>{para}</div></div>\
             <div class='post-content-related'>{para}</div>"
        );
        let doc = Html::parse_document(&page);
        let id = find(&doc).unwrap()[0];
        let el = doc.tree.get(id).and_then(ElementRef::wrap).unwrap();
        assert_eq!(el.value().attr("class"), Some("entry-body"));
        assert!(
            find(&Html::parse_document(
                "<div class='post-content'>short</div>"
            ))
            .is_none()
        );
    }

    #[test]
    fn a_body_cut_by_media_comes_back_whole() {
        let para =
            "<p>Real article text, long enough to count as the body of a story. </p>".repeat(8);
        let piece =
            |text: &str| format!("<div class='block'><div class='article-text'>{text}</div></div>");
        let page = format!(
            "<div id='page'><div id='column'><main>{}<div class='block'><img src='/a.jpg'></div>\
             {}{}</main></div><div><div><aside><div class='x'><div class='article-text'>{para}\
             </div></div></aside></div></div></div>",
            piece(&para),
            piece("<p>Second part.</p>"),
            piece("<p>Third part.</p>")
        );
        let doc = Html::parse_document(&page);
        let texts: Vec<String> = find(&doc)
            .unwrap()
            .iter()
            .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
            .map(|e| e.text().collect::<String>())
            .collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts[1] == "Second part." && texts[2] == "Third part.");
    }
}
