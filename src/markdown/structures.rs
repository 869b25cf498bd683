//! Renders the structured blocks of an article body: lists, code blocks and tables.

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};

use super::{Ctx, Mode, hidden, longest_run, prefix_lines};

impl Ctx<'_> {
    pub(super) fn list(&self, node: NodeRef<'_, Node>, ordered: bool) -> Vec<String> {
        let start = node
            .value()
            .as_element()
            .and_then(|e| e.attr("start"))
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(1);
        let mut items = Vec::new();
        let mut n = start;
        for child in node.children() {
            let Some(el) = child.value().as_element() else {
                continue;
            };
            if hidden(el) {
                continue;
            }
            let body = if el.name() == "li" {
                join_item_blocks(&self.blocks(child))
            } else if el.name() == "ul" || el.name() == "ol" {
                // A list nested directly in a list: attach it to the previous item.
                let nested = self.list(child, el.name() == "ol").join("\n");
                if let Some(last) = items.last_mut() {
                    let indent = if ordered { "   " } else { "  " };
                    *last = format!("{last}\n{}", prefix_lines(&nested, indent, ""));
                }
                continue;
            } else {
                continue;
            };
            if body.trim().is_empty() {
                continue;
            }
            let item = match self.mode {
                Mode::Text => body,
                Mode::Markdown => {
                    let marker = if ordered {
                        format!("{n}. ")
                    } else {
                        "- ".to_string()
                    };
                    let indent = " ".repeat(marker.len());
                    let indented = prefix_lines(&body, &indent, "");
                    format!("{marker}{}", &indented[indent.len()..])
                }
            };
            n += 1;
            items.push(item);
        }
        if items.is_empty() {
            return vec![];
        }
        vec![items.join("\n")]
    }

    pub(super) fn pre(&self, node: NodeRef<'_, Node>) -> Vec<String> {
        let code: String = ElementRef::wrap(node)
            .map(|e| e.text().collect())
            .unwrap_or_default();
        let code = code.trim_matches('\n');
        if code.trim().is_empty() {
            return vec![];
        }
        if self.mode == Mode::Text {
            return vec![code.to_string()];
        }
        let lang = language_of(node).unwrap_or_default();
        let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
        vec![format!("{fence}{lang}\n{code}\n{fence}")]
    }

    pub(super) fn table(&self, node: NodeRef<'_, Node>) -> Vec<String> {
        let el = ElementRef::wrap(node);
        let rows: Vec<Vec<String>> = el
            .map(|t| {
                t.descendants()
                    .filter_map(ElementRef::wrap)
                    .filter(|r| r.value().name() == "tr")
                    .map(|r| {
                        r.children()
                            .filter_map(ElementRef::wrap)
                            .filter(|c| matches!(c.value().name(), "td" | "th"))
                            .map(|c| self.inline_string(*c).replace('\n', " ").trim().to_string())
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let layout = el.is_some_and(|t| {
            t.descendants().skip(1).any(|d| {
                d.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "table" | "p" | "div" | "ul"))
            })
        });
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        if layout || width < 2 {
            // Layout tables and one-column tables read better as plain blocks.
            return self.blocks(node);
        }
        if self.mode == Mode::Text {
            return vec![
                rows.iter()
                    .map(|r| r.join(" "))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ];
        }
        let line = |cells: &[String]| {
            let mut padded: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
            padded.resize(width, String::new());
            format!("| {} |", padded.join(" | "))
        };
        let mut out = vec![line(&rows[0]), format!("|{}", " --- |".repeat(width))];
        out.extend(rows[1..].iter().map(|r| line(r)));
        vec![out.join("\n")]
    }
}

/// The language of a code block, from a `language-x` or `lang-x` class on it or its child.
pub(super) fn language_of(node: NodeRef<'_, Node>) -> Option<String> {
    let classes = |n: NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .and_then(|e| e.attr("class"))
            .map(str::to_string)
    };
    let own = classes(node);
    let child = node.children().find_map(classes);
    own.into_iter().chain(child).find_map(|c| {
        c.split_whitespace()
            .find_map(|k| k.strip_prefix("language-").or(k.strip_prefix("lang-")))
            .filter(|l| {
                l.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '-' | '#'))
            })
            .map(str::to_string)
    })
}

/// Blocks of one list item: a nested list follows its text directly, keeping the list tight.
pub(super) fn join_item_blocks(blocks: &[String]) -> String {
    let mut out = String::new();
    for b in blocks {
        if !out.is_empty() {
            out.push_str(if starts_list(b) { "\n" } else { "\n\n" });
        }
        out.push_str(b);
    }
    out
}

pub(super) fn starts_list(block: &str) -> bool {
    let digits = block.chars().take_while(char::is_ascii_digit).count();
    block.starts_with("- ") || (digits > 0 && block[digits..].starts_with(". "))
}
