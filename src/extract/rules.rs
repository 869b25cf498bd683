//! Per-site extraction rules: host patterns mapped to body and strip CSS selectors.

use scraper::Selector;

use crate::config::{SiteRuleFile, SiteRuleSpec};

/// A rule with its selectors compiled.
#[derive(Debug)]
pub struct SiteRule {
    pub name: String,
    hosts: Vec<String>,
    pub body: Vec<Selector>,
    pub strip: Vec<Selector>,
    title: Option<Selector>,
    date: Option<Selector>,
    author: Option<Selector>,
}

impl SiteRule {
    /// Replaces fields of `meta` with what this rule's title/date/author selectors find.
    /// A selector that finds nothing leaves the page's own value in place.
    pub fn override_meta(&self, doc: &scraper::Html, meta: &mut crate::extract::PageMeta) {
        let texts = |sel: &Selector| -> Vec<String> {
            doc.select(sel)
                .map(|e| crate::text::squash_whitespace(&e.text().collect::<String>()))
                .filter(|t| !t.is_empty())
                .collect()
        };
        if let Some(t) = self
            .title
            .as_ref()
            .and_then(|s| texts(s).into_iter().next())
        {
            meta.title = Some(t);
        }
        if let Some(a) = self.author.as_ref().map(texts).filter(|a| !a.is_empty()) {
            let mut unique: Vec<String> = Vec::new();
            for name in a {
                if !unique.contains(&name) {
                    unique.push(name);
                }
            }
            meta.author = Some(unique.join(", "));
        }
        let date = self.date.as_ref().and_then(|sel| {
            doc.select(sel).find_map(|e| {
                let v = e.value();
                let raw = v.attr("datetime").or(v.attr("content")).map(str::to_string);
                let raw = raw.unwrap_or_else(|| e.text().collect::<String>());
                let raw = crate::text::squash_whitespace(&raw);
                (!raw.is_empty()).then_some(raw)
            })
        });
        if let Some(d) = date {
            meta.date = Some(crate::extract::meta::normalise_date(&d));
        }
    }
}

/// The rules in force: the user's first, then the built-in ones.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<SiteRule>,
}

const BUILTIN: &str = include_str!("../../rules/builtin.toml");

impl Rules {
    /// The user's rules followed by the built-in ones. A bad selector is an error naming it.
    pub fn new(user: &[SiteRuleSpec]) -> Result<Rules, String> {
        let builtin: SiteRuleFile =
            toml::from_str(BUILTIN).map_err(|e| format!("built-in rules: {e}"))?;
        let rules = user
            .iter()
            .chain(builtin.rules.iter())
            .map(compile)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules { rules })
    }

    /// The first rule whose host pattern matches `host`.
    pub fn for_host(&self, host: &str) -> Option<&SiteRule> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.rules.iter().find(|r| {
            r.hosts
                .iter()
                .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        })
    }
}

/// Compiles a rule's selectors (the config checked them on load; this keeps them).
fn compile(spec: &SiteRuleSpec) -> Result<SiteRule, String> {
    spec.check_shape()?;
    let parse = |s: &String| spec.selector(s);
    Ok(SiteRule {
        name: spec.name.clone(),
        hosts: spec
            .hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        body: spec.body.iter().map(parse).collect::<Result<_, _>>()?,
        strip: spec.strip.iter().map(parse).collect::<Result<_, _>>()?,
        title: spec.title.as_ref().map(parse).transpose()?,
        date: spec.date.as_ref().map(parse).transpose()?,
        author: spec.author.as_ref().map(parse).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_compile_and_match_subdomains() {
        let rules = Rules::new(&[]).unwrap();
        assert_eq!(rules.for_host("thehill.com").unwrap().name, "thehill");
        assert_eq!(rules.for_host("www.thehill.com").unwrap().name, "thehill");
        assert!(rules.for_host("notthehill.com").is_none());
    }

    #[test]
    fn user_rules_win_and_bad_selectors_are_named() {
        let spec = SiteRuleSpec {
            name: "mine".into(),
            hosts: vec!["thehill.com".into()],
            body: vec!["main".into()],
            strip: vec![],
            title: None,
            date: None,
            author: None,
        };
        let rules = Rules::new(std::slice::from_ref(&spec)).unwrap();
        assert_eq!(rules.for_host("thehill.com").unwrap().name, "mine");
        let bad = SiteRuleSpec {
            body: vec!["div[".into()],
            ..spec
        };
        assert!(bad.validate().unwrap_err().contains("div["));
        assert!(compile(&bad).unwrap_err().contains("div["));
    }

    #[test]
    fn rule_selectors_override_page_metadata() {
        let spec = SiteRuleSpec {
            name: "meta".into(),
            hosts: vec!["example.com".into()],
            body: vec!["main".into()],
            strip: vec![],
            title: Some("h1.t".into()),
            date: Some(".d".into()),
            author: Some(".by a".into()),
        };
        let rule = compile(&spec).unwrap();
        let doc = scraper::Html::parse_document(
            "<h1 class=t> Real  title </h1><span class=by><a>Ann</a> and <a>Bo</a> <a>Ann</a></span>\
             <time class=d datetime='2024-01-02T03:04:05Z'>Jan 2</time>",
        );
        let mut meta = crate::extract::PageMeta {
            title: Some("Real title | Site".into()),
            ..Default::default()
        };
        rule.override_meta(&doc, &mut meta);
        assert_eq!(meta.title.as_deref(), Some("Real title"));
        assert_eq!(meta.author.as_deref(), Some("Ann, Bo"));
        assert_eq!(meta.date.as_deref(), Some("2024-01-02T03:04:05+00:00"));
        let none = scraper::Html::parse_document("<p>nothing</p>");
        let mut kept = meta.clone();
        rule.override_meta(&none, &mut kept);
        assert_eq!(kept, meta);
    }
}
