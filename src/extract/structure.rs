//! Structural signs of furniture, whatever the words say: items stamped from one template.

use scraper::ElementRef;

use crate::markdown::attr;

/// Fewest same-classed siblings that make a run of items (slides, teasers, list entries).
const MIN_ITEMS: usize = 5;

/// Whether `el` holds a run of [`MIN_ITEMS`] or more sibling elements stamped from one
/// template (same tag, class and attribute names): the slides of a gallery or the teasers of
/// a "related" box. Paragraphs do not count: a body's paragraphs often share a class too.
pub fn has_repeated_items(el: &ElementRef<'_>) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .any(|parent| repeats(&parent))
}

fn repeats(parent: &ElementRef<'_>) -> bool {
    let mut run: Option<String> = None;
    let mut count = 0;
    for child in parent.children().filter_map(ElementRef::wrap) {
        let key = template_key(&child);
        if key.is_some() && key == run {
            count += 1;
        } else {
            run = key;
            count = 1;
        }
        if run.is_some() && count >= MIN_ITEMS {
            return true;
        }
    }
    false
}

/// Elements that are items of a list or grid. Paragraphs are not (a body's paragraphs often
/// share a class), nor are inline elements (five links in a sentence are no list).
const ITEM_TAGS: &[&str] = &["li", "div", "article", "section", "figure", "tr", "dd"];

/// What a template stamps on each item it makes: the tag, its class and the names of its
/// other attributes (`data-item`). `None` for elements that are not items and for those with
/// no attribute, which are the author's own markup rather than a template's.
fn template_key(el: &ElementRef<'_>) -> Option<String> {
    let v = el.value();
    if !ITEM_TAGS.contains(&v.name()) {
        return None;
    }
    let class = attr(v, "class").map_or("", str::trim);
    let mut names: Vec<&str> = v
        .attrs()
        .map(|(name, _)| name)
        .filter(|n| !matches!(*n, "class" | "id" | "style"))
        .collect();
    if class.is_empty() && names.is_empty() {
        return None;
    }
    names.sort_unstable();
    Some(format!("{} {class} {}", v.name(), names.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn check(body: &str) -> bool {
        let doc = Html::parse_fragment(body);
        has_repeated_items(&doc.root_element())
    }

    #[test]
    fn templated_items_repeat_but_paragraphs_and_plain_lists_do_not() {
        let slides = "<li class='slide'><img src='a.jpg'>Caption</li>".repeat(5);
        assert!(check(&format!("<div><ul>{slides}</ul></div>")));
        assert!(!check(&"<li class='slide'>x</li>".repeat(4)));
        assert!(!check(&"<p class='para'>Text.</p>".repeat(9)));
        let links = "<a href='/x'>a link</a>, ".repeat(9);
        assert!(!check(&format!("<div><p>{links}</p></div>")));
        assert!(!check(&"<li>Point.</li>".repeat(9)));
        let legends = "<li data-legend='1'><h2>1/9</h2><p>Caption</p></li>".repeat(5);
        assert!(check(&format!("<ul>{legends}</ul>")));
        let mixed = "<li class='a'>x</li><li class='b'>y</li>".repeat(5);
        assert!(!check(&format!("<ul>{mixed}</ul>")));
    }
}
