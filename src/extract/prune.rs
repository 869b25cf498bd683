//! Prunes page furniture (bylines, captions, link lists, sign-up lines) from a candidate body.

use std::collections::HashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node};

use crate::markdown::attr;

use super::furniture::{FURNITURE_PREFIXES, FURNITURE_TAGS, LABELS, furniture_word};

/// Removes furniture from the subtree under `root` of `doc`. Nothing that holds most of the
/// text is ever removed, so a misnamed wrapper cannot empty the body.
pub fn prune(doc: &mut Html, root: NodeId) {
    let doomed = {
        let Some(root_el) = doc.tree.get(root).and_then(ElementRef::wrap) else {
            return;
        };
        let mut doomed = Vec::new();
        let m = Measures::of(root_el);
        collect(root_el, m.get(&root_el).chars, &m, &mut doomed, false);
        doomed
    };
    for id in doomed {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

/// Walks the tree, marking furniture; does not descend into what it marks.
fn collect(
    el: ElementRef<'_>,
    total: usize,
    m: &Measures,
    doomed: &mut Vec<NodeId>,
    in_quote: bool,
) {
    let children: Vec<ElementRef<'_>> = el.children().filter_map(ElementRef::wrap).collect();
    let in_runs = if in_quote {
        vec![false; children.len()]
    } else {
        link_runs(&children, m)
    };
    for (i, child) in children.iter().enumerate() {
        // Guard: a node with most of the body's text is the body, whatever its name says.
        let small = m.get(child).chars * 10 < total * 4;
        let why = if in_runs[i] {
            Some("run of links")
        } else {
            furniture(child, m, in_quote)
        };
        // A box named as furniture and built of templated items (a gallery's 50 captioned
        // slides) goes even when it outweighs the article beside it.
        // The rest of the body must still be an article: a wrapper around nearly all of it
        // is the body, however it is named.
        let templated = || {
            why == Some("name")
                && m.get(child).chars * 100 < total * 85
                && super::structure::has_repeated_items(child)
        };
        if let Some(why) = why.filter(|_| small || templated()) {
            let v = child.value();
            tracing::debug!(why, tag = v.name(), class = v.attr("class"), text = %snippet(child), "pruned");
            doomed.push(child.id());
            continue;
        }
        let quote = in_quote || child.value().name() == "blockquote";
        collect(*child, total, m, doomed, quote);
    }
}

/// Marks runs of two or more consecutive siblings that are each little more than a link
/// (a "you may also like" list made of paragraphs), with the short label just before a run.
fn link_runs(children: &[ElementRef<'_>], m: &Measures) -> Vec<bool> {
    let linky: Vec<bool> = children.iter().map(|c| link_line(c, m)).collect();
    let mut marks = vec![false; children.len()];
    let mut i = 0;
    while i < children.len() {
        let mut j = i;
        while j < children.len() && linky[j] {
            j += 1;
        }
        if j - i >= 2 {
            marks[i..j].iter_mut().for_each(|m| *m = true);
            if i > 0 && is_label(&children[i - 1], m) {
                marks[i - 1] = true;
            }
        }
        i = j.max(i + 1);
    }
    marks
}

/// A short block that is (nearly) all link text.
fn link_line(el: &ElementRef<'_>, m: &Measures) -> bool {
    let m = m.get(el);
    m.chars > 0
        && m.words <= 25
        && matches!(el.value().name(), "p" | "div" | "li" | "h2" | "h3" | "h4")
        && m.linked * 10 >= m.chars * 8
}

/// A heading-like line with no link: "Related", "You may also like...".
fn is_label(el: &ElementRef<'_>, m: &Measures) -> bool {
    let m = m.get(el);
    m.words <= 6
        && (m.linked == 0 && !text_of(el).ends_with(['.', ':', ','])
            || text_of(el).ends_with("..."))
}

/// Why `el` is furniture, or `None` when it is not.
fn furniture(el: &ElementRef<'_>, m: &Measures, in_quote: bool) -> Option<&'static str> {
    let name = el.value().name();
    if FURNITURE_TAGS.contains(&name) {
        return Some("tag");
    }
    if name == "figcaption" {
        // A caption stays with its picture (Markdown shows both); alone it is a credit line.
        return (!captions_an_image(el)).then_some("caption without image");
    }
    // A box wrapping a quoted post ("social-media-embed" around a tweet) is the article
    // quoting someone, whatever the box is called.
    if named_as_furniture(el) && !wraps_quote(el) {
        return Some("name");
    }
    if in_quote || name == "blockquote" {
        return None; // quotes and embedded posts are text even when they are all links
    }
    // Calls to action are short and bare URLs one word: longer paragraphs need no look.
    if is_leaf_block(el) && m.get(el).words <= 25 {
        let text = text_of(el);
        if is_call_to_action(&text) {
            return Some("call to action");
        }
        if is_bare_url(&text) {
            return Some("bare URL");
        }
    }
    link_dense(el, m).then_some("links")
}

fn text_of(el: &ElementRef<'_>) -> String {
    crate::text::squash_whitespace(&el.text().collect::<String>())
}

fn snippet(el: &ElementRef<'_>) -> String {
    text_of(el).chars().take(80).collect()
}

fn wraps_quote(el: &ElementRef<'_>) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .any(|e| e.value().name() == "blockquote")
}

fn captions_an_image(caption: &ElementRef<'_>) -> bool {
    caption
        .parent()
        .and_then(ElementRef::wrap)
        .filter(|p| p.value().name() == "figure")
        .is_some_and(|fig| {
            fig.descendants()
                .filter_map(ElementRef::wrap)
                .any(|e| matches!(e.value().name(), "img" | "picture"))
        })
}

/// True when the class or id names boilerplate by one of its words.
fn named_as_furniture(el: &ElementRef<'_>) -> bool {
    let v = el.value();
    attr(v, "class")
        .into_iter()
        .chain(attr(v, "id"))
        .flat_map(str::split_whitespace)
        .flat_map(|n| n.split(['-', '_']))
        .flat_map(camel_words)
        .any(furniture_word)
}

/// `newsCaption` → `news`, `Caption`; other words are returned whole.
fn camel_words(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = word.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase() {
            out.push(&word[start..i]);
            start = i;
        }
    }
    out.push(&word[start..]);
    out
}

fn is_call_to_action(text: &str) -> bool {
    let lower = text.to_lowercase();
    let short = text.split_whitespace().count() <= 25;
    let shouting = text.chars().filter(|c| c.is_alphabetic()).count() > 8
        && !text.chars().any(char::is_lowercase)
        && lower.contains("click");
    short
        && (FURNITURE_PREFIXES.iter().any(|p| lower.starts_with(p))
            || shouting
            || LABELS.contains(&lower.trim_end_matches([':', '.']))
            || lower.contains("requires javascript")
            || lower.contains("enable javascript")
            || is_shortcode(text))
}

/// A WordPress-style shortcode the site failed to expand: `[button link=…]Text[/button]`.
fn is_shortcode(text: &str) -> bool {
    text.starts_with('[') && text.contains("[/") && text.ends_with(']')
}

/// A line that is only a web address (a share box's "copy this link").
fn is_bare_url(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://")) && !text.contains(' ')
}

/// Lists and boxes made mostly of links (related stories, tag clouds, menus).
fn link_dense(el: &ElementRef<'_>, m: &Measures) -> bool {
    let name = el.value().name();
    if !matches!(
        name,
        "ul" | "ol" | "div" | "section" | "p" | "table" | "dl" | "span" | "li"
    ) {
        return false;
    }
    let m = m.get(el);
    if m.chars == 0 {
        return false;
    }
    let density = m.linked as f64 / m.chars as f64;
    match name {
        // A paragraph of several headlines: a link box set as text.
        "p" | "span" | "li" => density > 0.7 && m.links >= 2,
        _ => density > 0.5,
    }
}

/// A block whose children are inline only (a paragraph, a heading, a text-only div).
fn is_leaf_block(el: &ElementRef<'_>) -> bool {
    matches!(
        el.value().name(),
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li"
    ) && !el.children().filter_map(ElementRef::wrap).any(|c| {
        matches!(
            c.value().name(),
            "p" | "div" | "ul" | "ol" | "table" | "blockquote" | "figure" | "section"
        )
    })
}

/// Characters of visible text, whitespace excluded.
pub(super) fn text_len(el: &ElementRef<'_>) -> usize {
    el.text().map(non_space_chars).sum()
}

fn non_space_chars(t: &str) -> usize {
    if t.is_ascii() {
        // The same count without decoding: ASCII's whitespace is these six bytes.
        return t
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'\t'..=b'\r'))
            .count();
    }
    t.chars().filter(|c| !c.is_whitespace()).count()
}

/// Text figures of one element's subtree.
#[derive(Clone, Copy, Default)]
struct Measure {
    /// Characters of text, whitespace excluded ([`text_len`]).
    chars: usize,
    words: usize,
    /// Characters inside links (a link in a link counts twice, as it reads twice).
    linked: usize,
    links: usize,
}

/// [`Measure`]s of every element under a root, computed once, children before parents.
/// The rules ask them of each element at each depth; walking every subtree again for each
/// question made pruning quadratic in the depth (~5% of a poll's CPU time).
struct Measures(HashMap<NodeId, Measure>);

impl Measures {
    fn of(root: ElementRef<'_>) -> Measures {
        let nodes: Vec<_> = root.descendants().collect();
        let mut map: HashMap<NodeId, Measure> = HashMap::with_capacity(nodes.len());
        for node in nodes.iter().rev() {
            let Node::Element(e) = node.value() else {
                continue;
            };
            let mut m = Measure::default();
            for child in node.children() {
                match child.value() {
                    Node::Text(t) => {
                        m.chars += non_space_chars(t);
                        m.words += t.split_whitespace().count();
                    }
                    Node::Element(_) => {
                        let c = map.get(&child.id()).copied().unwrap_or_default();
                        m.chars += c.chars;
                        m.words += c.words;
                        m.linked += c.linked;
                        m.links += c.links;
                    }
                    _ => {}
                }
            }
            if e.name() == "a" {
                m.linked += m.chars;
                m.links += 1;
            }
            map.insert(node.id(), m);
        }
        Measures(map)
    }

    fn get(&self, el: &ElementRef<'_>) -> Measure {
        self.0.get(&el.id()).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_space_chars_counts_ascii_as_any_text() {
        for t in ["", " a\tb\nc\x0bd\x0ce\r ", "x y", "é\u{a0}b \u{2003}c"] {
            let by_chars = t.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_space_chars(t), by_chars, "{t:?}");
        }
    }

    fn pruned(body: &str) -> String {
        let mut doc = Html::parse_fragment(body);
        let root = doc.root_element().id();
        prune(&mut doc, root);
        text_of(&doc.root_element())
    }

    const PARA: &str =
        "<p>The council voted on Tuesday to build the bridge, which opens next year.</p>";

    #[test]
    fn link_runs_go_with_their_label() {
        let body = format!(
            "{PARA}{PARA}<p>You may also like...</p><p><a href='/a'>Story A</a></p>\
             <p><a href='/b'>Story B</a></p>{PARA}<p>See <a href='/c'>the plan</a> for details.</p>"
        );
        let out = pruned(&body);
        assert!(
            !out.contains("Story") && !out.contains("also like"),
            "{out}"
        );
        assert!(out.contains("See the plan for details."), "{out}");
    }

    #[test]
    fn furniture_names_calls_to_action_and_shortcodes() {
        let body = format!(
            "{PARA}<div class='newsCaption'>A photo</div><p>Advert</p><p>Read more: elsewhere</p>\
             <p>[button link='x']Send us a review[/button]</p><p>https://example.com/x</p>{PARA}"
        );
        let out = pruned(&body);
        for gone in ["A photo", "Advert", "Read more", "Send us", "https://"] {
            assert!(!out.contains(gone), "{gone}: {out}");
        }
    }

    #[test]
    fn the_body_itself_and_quoted_posts_survive_their_names() {
        // A wrapper named like furniture that holds most of the text is the body.
        let body = format!("<div class='post-meta'>{PARA}{PARA}{PARA}</div><p>Short.</p>");
        assert!(pruned(&body).contains("The council voted"));
        let embed = format!(
            "{PARA}{PARA}{PARA}<div class='social-embed'><blockquote><p>A tweet</p></blockquote></div>"
        );
        assert!(pruned(&embed).contains("A tweet"));
    }

    #[test]
    fn captions_stay_only_with_a_picture() {
        let body = format!(
            "{PARA}{PARA}<figure><img src='/a.jpg'><figcaption>With picture</figcaption></figure>\
             <figure><figcaption>Alone</figcaption></figure>"
        );
        let out = pruned(&body);
        assert!(
            out.contains("With picture") && !out.contains("Alone"),
            "{out}"
        );
    }
}
