//! Renders one article page: Hugo/Mainroad front matter, body and source link, and its file name.

use chrono::{DateTime, Utc};

use crate::config::HugoConfig;
use crate::text::slugify;

/// Everything one Markdown file shows.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    pub title: &'a str,
    pub date: DateTime<Utc>,
    /// When the article last changed after it was first written (Hugo's `lastmod`).
    pub lastmod: Option<DateTime<Utc>>,
    /// Plain text of the body (for the summary).
    pub text: &'a str,
    pub markdown: &'a str,
    pub feed_name: &'a str,
    pub lang: &'a str,
    pub thumbnail: &'a str,
    pub url: &'a str,
    pub hugo: &'a HugoConfig,
    /// The item's categories, written into `tags` after the feed's name (empty unless
    /// `categories_as_tags` is on for the feed).
    pub categories: &'a [String],
}

/// Words of article text in `summary` before the `...`.
pub const SUMMARY_WORDS: usize = 50;

/// Renders the whole file: front matter in the reference's field order, body, source link.
pub fn render(page: &Page<'_>) -> String {
    let h = page.hugo;
    let mut out = String::with_capacity(page.markdown.len() + 1024);
    out.push_str("---\n");
    field(&mut out, "title", page.title);
    field(
        &mut out,
        "date",
        &page.date.format("%Y-%m-%d %H:%M:%S").to_string(),
    );
    if let Some(lastmod) = page.lastmod {
        field(
            &mut out,
            "lastmod",
            &lastmod.format("%Y-%m-%d %H:%M:%S").to_string(),
        );
    }
    field(
        &mut out,
        "summary",
        &summary_markdown(&crate::markdown::summary(page.text, SUMMARY_WORDS)),
    );
    list(&mut out, "categories", &[page.feed_name]);
    list(&mut out, "lang", &[page.lang]);
    list(&mut out, "translations", &[page.lang]);
    let tags = tags(page.feed_name, page.categories);
    list(
        &mut out,
        "tags",
        &tags.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    if h.menu_line {
        field(&mut out, "menu", &h.menu);
    }
    field(&mut out, "thumbnail", page.thumbnail);
    field(&mut out, "lead", &h.lead);
    flag(&mut out, "comments", h.comments);
    flag(&mut out, "authorbox", h.authorbox);
    flag(&mut out, "pager", h.pager);
    flag(&mut out, "toc", h.toc);
    flag(&mut out, "mathjax", h.mathjax);
    field(&mut out, "sidebar", &h.sidebar);
    let widgets: Vec<&str> = h.widgets.iter().map(String::as_str).collect();
    list(&mut out, "widgets", &widgets);
    out.push_str("---\n");
    let mut tail = Vec::with_capacity(2);
    if !page.markdown.trim().is_empty() {
        tail.push(hugo_inert(page.markdown.trim_end()).into_owned());
    }
    tail.extend(source_line(page));
    if !tail.is_empty() {
        out.push('\n');
        out.push_str(&tail.join("\n\n"));
        out.push('\n');
    }
    out
}

/// The last line, linking back to the source: `[feed](url)`. An item without any URL has
/// none: an empty `[feed]()` would be a dead link, and the feed's home page is not the
/// article's source.
fn source_line(page: &Page<'_>) -> Option<String> {
    if page.url.trim().is_empty() {
        return None;
    }
    let link = page
        .url
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(' ', "%20");
    Some(format!("[{}]({link})", page.feed_name))
}

/// Hugo renders a front-matter `summary` as Markdown: the article's plain text must not turn
/// into markup there (`<script>` from an article about XSS would be raw HTML on a site that
/// allows it, and is a build warning otherwise). Inline syntax is backslash-escaped, and so
/// is a first character that would start a heading, list or rule; ordinary prose is
/// returned unchanged.
fn summary_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.starts_with(['#', '-', '+', '=', '|']) {
        out.push('\\');
    }
    // "2024. A year" would start an ordered list.
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let list_number = digits > 0 && text[digits..].starts_with(['.', ')']);
    let mut previous = None;
    for (i, c) in text.char_indices() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>')
            || (list_number && i == digits)
            // As in the body: entity text stays text, hyphen runs stay hyphens.
            || (c == '&' && crate::markdown::starts_entity(&text[i..]))
            || (c == '-' && previous == Some('-'))
        {
            out.push('\\');
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// Hugo reads `{{<` / `{{%` as a shortcode (an unknown one fails the build) and `<!--more-->`
/// as the summary divider anywhere in the body, code blocks included, where Markdown escapes
/// do not apply (text outside code is escaped already: `{\{<`). A shortcode call written in
/// code, `{{< x >}}`, becomes Hugo's own comment form `{{</* x */>}}`, which Hugo shows as
/// `{{< x >}}`: what a reader copies is what the page showed. An opening with no close before
/// the next blank line, and `<!--more-->` (no escape exists for it), get a zero-width space
/// after the first character instead: they look the same and Hugo ignores them. Text
/// without these is returned as is.
fn hugo_inert(body: &str) -> std::borrow::Cow<'_, str> {
    if !(body.contains("{{<") || body.contains("{{%") || body.contains("<!--more-->")) {
        return body.into();
    }
    let mut out = String::with_capacity(body.len() + 16);
    let mut rest = body;
    while let Some(at) = [rest.find("{{<"), rest.find("{{%")]
        .into_iter()
        .flatten()
        .min()
    {
        out.push_str(&rest[..at]);
        let open = &rest[at..at + 3];
        let after = &rest[at + 3..];
        let close = if open == "{{<" { ">}}" } else { "%}}" };
        let closed = after.find(close);
        if let Some(end) = closed.filter(|&end| !after[..end].contains("\n\n")) {
            out.push_str(&format!("{open}/*{}*/{close}", &after[..end]));
            rest = &after[end + 3..];
        } else {
            out.push_str(&format!("{{\u{200b}{}", &open[1..]));
            rest = after;
        }
    }
    out.push_str(rest);
    out.replace("<!--more-->", "<!--\u{200b}more-->").into()
}

/// The feed's name, then each category once, in order. A category is written with its
/// spacing squashed (line breaks and other characters YAML cannot show count as spaces);
/// an empty one, and a repeat differing only in letter case or spacing (Hugo would make it
/// the same tag page), are left out.
fn tags(feed_name: &str, categories: &[String]) -> Vec<String> {
    let mut tags = vec![feed_name.to_string()];
    let mut seen = vec![feed_name.to_lowercase()];
    for c in categories {
        let spaced: String = c
            .chars()
            .map(|c| if yaml_printable(c) { c } else { ' ' })
            .collect();
        let tag = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
        let key = tag.to_lowercase();
        if !tag.is_empty() && !seen.contains(&key) {
            seen.push(key);
            tags.push(tag);
        }
    }
    tags
}

fn field(out: &mut String, key: &str, value: &str) {
    out.push_str(&format!("{key}: {}\n", yaml_quote(value)));
}

fn flag(out: &mut String, key: &str, value: bool) {
    out.push_str(&format!("{key}: {value}\n"));
}

fn list(out: &mut String, key: &str, values: &[&str]) {
    out.push_str(&format!("{key}:\n"));
    for v in values {
        out.push_str(&format!("  - {}\n", yaml_quote(v)));
    }
}

/// A YAML double-quoted scalar that every YAML reader (Hugo's included) reads back as `s`,
/// except that line breaks, tabs and other non-printable characters become spaces.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if !yaml_printable(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// YAML's printable set, less TAB and line breaks (which some Hugo versions mishandle).
fn yaml_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A stable, unique, safe file name: `YYYY-MM-DD-<slug>-<hash>.md`, only `[a-z0-9-]`.
pub fn file_name(date: DateTime<Utc>, title: &str, key_hash: &str) -> String {
    let slug = slugify(title, 60);
    let hash: String = key_hash
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(10)
        .collect::<String>()
        .to_ascii_lowercase();
    let day = date.format("%Y-%m-%d");
    if slug.is_empty() {
        format!("{day}-{hash}.md")
    } else {
        format!("{day}-{slug}-{hash}.md")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn quoting() {
        assert_eq!(yaml_quote("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(
            yaml_quote("x\n---\ny\tz\u{7}"),
            "\"x ---".to_string() + " y z \""
        );
    }

    #[test]
    fn summary_is_markdown_safe_and_prose_is_unchanged() {
        let prose = "Hegseth said there’s “no betrayal” in the U.S. position, 2024.";
        assert_eq!(summary_markdown(prose), prose);
        assert_eq!(
            summary_markdown("<script>x</script> a*b* [l](u) `c` \\"),
            "\\<script\\>x\\</script\\> a\\*b\\* \\[l\\](u) \\`c\\` \\\\"
        );
        assert_eq!(summary_markdown("# not a heading"), "\\# not a heading");
        assert_eq!(summary_markdown("- not a list"), "\\- not a list");
        assert_eq!(summary_markdown("2024. A year"), "2024\\. A year");
        assert_eq!(summary_markdown("2024 was"), "2024 was");
        assert_eq!(
            summary_markdown("&amp; &#45; a&b --- |---|"),
            "\\&amp; \\&#45; a&b -\\-\\- |-\\-\\-|"
        );
        assert_eq!(summary_markdown("--- x"), "\\-\\-\\- x");
    }

    #[test]
    fn the_menu_line_is_written_unless_turned_off() {
        let mut hugo = HugoConfig::default();
        let page = |hugo: &HugoConfig| {
            render(&Page {
                title: "t",
                date: Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap(),
                lastmod: None,
                text: "x",
                markdown: "x",
                feed_name: "feed",
                lang: "en",
                thumbnail: "",
                url: "https://a.example/x",
                hugo,
                categories: &[],
            })
        };
        let with = page(&hugo);
        assert!(with.contains("\ntags:\n  - \"feed\"\nmenu: \"\"\nthumbnail: \"\"\n"));
        hugo.menu_line = false;
        let without = page(&hugo);
        assert!(!without.contains("menu"));
        assert_eq!(without, with.replace("menu: \"\"\n", ""));
    }

    #[test]
    fn categories_follow_the_feed_name_once_each_in_order() {
        let cats: Vec<String> = [
            "Politics",
            "  politics ",
            "",
            "Defense\nNews",
            "THEHILL",
            "x\"y",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            tags("thehill", &cats),
            ["thehill", "Politics", "Defense News", "x\"y"]
        );
        assert_eq!(tags("thehill", &[]), ["thehill"]);
    }

    #[test]
    fn an_article_without_a_url_has_no_source_line() {
        let hugo = HugoConfig::default();
        let page = |url: &'static str, markdown: &'static str| {
            render(&Page {
                title: "t",
                date: Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap(),
                lastmod: None,
                text: "x",
                markdown,
                feed_name: "feed",
                lang: "en",
                thumbnail: "",
                url,
                hugo: &hugo,
                categories: &[],
            })
        };
        assert!(
            page("https://a.example/x", "Body.")
                .ends_with("---\n\nBody.\n\n[feed](https://a.example/x)\n")
        );
        assert!(page("https://a.example/x", "").ends_with("---\n\n[feed](https://a.example/x)\n"));
        for url in ["", " "] {
            assert!(page(url, "Body.").ends_with("---\n\nBody.\n"));
            assert!(page(url, "").ends_with("  - \"taglist\"\n---\n"));
            assert!(!page(url, "Body.").contains("[feed]"));
        }
    }

    #[test]
    fn shortcodes_and_more_are_inert_even_in_code() {
        assert_eq!(hugo_inert("plain {\\{< x"), "plain {\\{< x");
        let out = hugo_inert("```\n{{< code >}} {{%y%}} {{{<\n<!--more-->\n```");
        assert!(crate::hugo_syntax::hugo_reads_no_syntax(&out));
        assert_eq!(
            out,
            "```\n{{</* code */>}} {{%/*y*/%}} {{\u{200b}{<\n<!--\u{200b}more-->\n```"
        );
    }

    /// Shapes whose Hugo rendering was checked with Hugo 0.168: each shows as written.
    #[test]
    fn shortcodes_in_code_take_hugos_comment_form() {
        for (code, want) in [
            ("{{< x a=\"1\" >}}", "{{</* x a=\"1\" */>}}"),
            ("{{</* z */>}}", "{{</*/* z */*/>}}"),
            ("{{< a {{< b >}}", "{{</* a {{< b */>}}"),
            ("{{< multi\nline >}}", "{{</* multi\nline */>}}"),
            ("{{% a >}} b %}}", "{{%/* a >}} b */%}}"),
            ("{{<>}}", "{{</**/>}}"),
            ("{{< open\n\nx >}}", "{\u{200b}{< open\n\nx >}}"),
        ] {
            let out = hugo_inert(code);
            assert_eq!(out, want);
            assert!(crate::hugo_syntax::hugo_reads_no_syntax(&out), "{out}");
        }
    }

    #[test]
    fn file_names_are_safe_and_stable() {
        let d = Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap();
        let n = file_name(d, "Hegseth: ‘No betrayal’", "ABCDEF0123456789");
        assert_eq!(n, "2025-02-14-hegseth-no-betrayal-abcdef0123.md");
        assert_eq!(
            file_name(d, "../../", "0123456789ab"),
            "2025-02-14-0123456789.md"
        );
    }

    /// What a YAML reader must get back for `s`: line breaks, tabs and other characters
    /// outside YAML's printable set become spaces, nothing else changes.
    fn shown(s: &str) -> String {
        s.chars()
            .map(|c| if yaml_printable(c) { c } else { ' ' })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn front_matter_reads_back_with_a_real_yaml_parser(
            title in "\\PC{0,80}|(\n|---|\"|\\\\|:|#|\t|yes|no|2024-01-01|\u{2028}|\u{feff}|\u{1f389}|x){0,20}",
            text in "\\PC{0,200}|((<|\\*|_|\\[|#|-|`|\\\\|1\\.) ?[a-z]{0,5} ){0,30}",
            markdown in "\\PC{0,100}|(\\{\\{<|\\{\\{%|<!--more-->|---\n|```\n|x){0,20}",
            modified in proptest::option::of(0i64..4_000_000_000),
            categories in proptest::collection::vec(
                "\\PC{0,20}|(\n|\"|\\\\|: |#|yes|- x|feed|Feed| |\u{2028}|\t){0,4}",
                0..5,
            ),
        ) {
            let hugo = HugoConfig::default();
            let page = Page {
                title: &title,
                date: Utc.with_ymd_and_hms(2025, 2, 14, 0, 31, 2).unwrap(),
                lastmod: modified.and_then(|t| DateTime::from_timestamp(t, 0)),
                text: &text,
                markdown: &markdown,
                feed_name: "feed",
                lang: "en",
                thumbnail: "",
                url: "https://a.example/x",
                hugo: &hugo,
                categories: &categories,
            };
            let file = render(&page);
            let rest = file.strip_prefix("---\n").unwrap();
            let end = rest.find("\n---\n").unwrap();
            let docs = yaml_rust2::YamlLoader::load_from_str(&rest[..end]).unwrap();
            let fm = &docs[0];
            let want_title = shown(&title);
            proptest::prop_assert_eq!(fm["title"].as_str(), Some(want_title.as_str()));
            proptest::prop_assert_eq!(fm["date"].as_str(), Some("2025-02-14 00:31:02"));
            let lastmod = page.lastmod.map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
            proptest::prop_assert_eq!(fm["lastmod"].as_str(), lastmod.as_deref());
            let summary = summary_markdown(&crate::markdown::summary(&text, SUMMARY_WORDS));
            let want_summary = shown(&summary);
            proptest::prop_assert_eq!(fm["summary"].as_str(), Some(want_summary.as_str()));
            proptest::prop_assert_eq!(fm["categories"][0].as_str(), Some("feed"));
            proptest::prop_assert_eq!(fm["widgets"][2].as_str(), Some("taglist"));
            let read: Vec<&str> = fm["tags"].as_vec().unwrap().iter().filter_map(|t| t.as_str()).collect();
            let want = tags("feed", &categories);
            proptest::prop_assert_eq!(&read, &want.iter().map(String::as_str).collect::<Vec<_>>());
            proptest::prop_assert_eq!(read[0], "feed");
            let mut keys: Vec<String> = read.iter().map(|t| t.to_lowercase()).collect();
            keys.sort();
            keys.dedup();
            proptest::prop_assert_eq!(keys.len(), read.len());
            // The body cannot end the front matter early or reach Hugo as a shortcode.
            let body = &rest[end + 5..];
            proptest::prop_assert!(crate::hugo_syntax::hugo_reads_no_syntax(body));
            proptest::prop_assert!(!body.contains("<!--more-->"));
            proptest::prop_assert!(file.ends_with("[feed](https://a.example/x)\n"));
        }
    }
}
