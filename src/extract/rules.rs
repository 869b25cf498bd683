//! Per-site extraction rules: host patterns mapped to body and strip CSS selectors.

use scraper::Selector;
use serde::Deserialize;

/// A rule as written in TOML (built in, or in the config's `[[rules]]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Name used in logs and in the recorded extraction method (`rule:<name>`).
    pub name: String,
    /// Hosts the rule applies to; each also matches its subdomains.
    pub hosts: Vec<String>,
    /// Selectors for the article body, tried in order; the first that matches wins.
    pub body: Vec<String>,
    /// Selectors removed from inside the body (ads, share bars, related links).
    #[serde(default)]
    pub strip: Vec<String>,
}

#[derive(Deserialize)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

/// A rule with its selectors compiled.
#[derive(Debug)]
pub struct SiteRule {
    pub name: String,
    hosts: Vec<String>,
    pub body: Vec<Selector>,
    pub strip: Vec<Selector>,
}

/// The rules in force: the user's first, then the built-in ones.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<SiteRule>,
}

const BUILTIN: &str = include_str!("../../rules/builtin.toml");

impl Rules {
    /// The user's rules followed by the built-in ones. A bad selector is an error naming it.
    pub fn new(user: &[RuleSpec]) -> Result<Rules, String> {
        let builtin: RuleFile =
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

/// Checks a rule's selectors without keeping them (for config validation).
pub fn validate(spec: &RuleSpec) -> Result<(), String> {
    compile(spec).map(|_| ())
}

fn compile(spec: &RuleSpec) -> Result<SiteRule, String> {
    let parse = |s: &String| {
        Selector::parse(s).map_err(|e| format!("rule `{}`: bad selector `{s}`: {e}", spec.name))
    };
    if spec.body.is_empty() || spec.hosts.is_empty() {
        return Err(format!(
            "rule `{}`: needs at least one host and one body selector",
            spec.name
        ));
    }
    Ok(SiteRule {
        name: spec.name.clone(),
        hosts: spec
            .hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        body: spec.body.iter().map(parse).collect::<Result<_, _>>()?,
        strip: spec.strip.iter().map(parse).collect::<Result<_, _>>()?,
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
        let spec = RuleSpec {
            name: "mine".into(),
            hosts: vec!["thehill.com".into()],
            body: vec!["main".into()],
            strip: vec![],
        };
        let rules = Rules::new(std::slice::from_ref(&spec)).unwrap();
        assert_eq!(rules.for_host("thehill.com").unwrap().name, "mine");
        let bad = RuleSpec {
            body: vec!["div[".into()],
            ..spec
        };
        assert!(validate(&bad).unwrap_err().contains("div["));
    }
}
