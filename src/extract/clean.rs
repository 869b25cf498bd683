//! Removes boilerplate (ads, share bars, sign-up boxes) from inside an extracted body.

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use crate::markdown::attr;

/// Drops ids that sit inside another id of the list, keeping document order.
pub fn outermost(doc: &Html, ids: &[NodeId]) -> Vec<NodeId> {
    ids.iter()
        .copied()
        .filter(|id| {
            doc.tree
                .get(*id)
                .is_some_and(|n| !n.ancestors().any(|a| ids.contains(&a.id())))
        })
        .collect()
}

/// Detaches every element under `roots` that matches one of `selectors`.
pub fn remove_matching(doc: &mut Html, roots: &[NodeId], selectors: &[Selector]) {
    let doomed: Vec<NodeId> = roots
        .iter()
        .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
        .flat_map(|root| {
            selectors
                .iter()
                .flat_map(move |s| root.select(s).map(|e| e.id()))
        })
        .collect();
    detach(doc, &doomed);
}

/// Detaches elements under `roots` whose class or id words name boilerplate.
pub fn remove_boilerplate(doc: &mut Html, roots: &[NodeId]) {
    let doomed: Vec<NodeId> = roots
        .iter()
        .filter_map(|id| doc.tree.get(*id).and_then(ElementRef::wrap))
        .flat_map(|root| {
            root.descendants()
                .skip(1)
                .filter_map(ElementRef::wrap)
                .filter(|e| is_boilerplate(e))
                .map(|e| e.id())
                .collect::<Vec<_>>()
        })
        .collect();
    detach(doc, &doomed);
}

fn is_boilerplate(e: &ElementRef<'_>) -> bool {
    let el = e.value();
    let names = attr(el, "class").into_iter().chain(attr(el, "id"));
    names
        .flat_map(str::split_whitespace)
        .flat_map(|n| n.split(['-', '_']))
        .any(|word| super::furniture::listed(super::furniture::AD_AND_SOCIAL_WORDS, word))
}

fn detach(doc: &mut Html, ids: &[NodeId]) {
    for id in ids {
        if let Some(mut node) = doc.tree.get_mut(*id) {
            node.detach();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_words_are_whole_words() {
        let doc = Html::parse_fragment(
            "<div class='social-share'></div><div class='header'></div><div id='ad_1'></div><div class='shadow'></div>",
        );
        let flagged: Vec<bool> = doc
            .root_element()
            .children()
            .filter_map(ElementRef::wrap)
            .map(|e| is_boilerplate(&e))
            .collect();
        assert_eq!(flagged, vec![true, false, true, false]);
    }
}
