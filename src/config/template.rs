//! The `path_template` setting: parsed and validated, ready for the writer to expand.

use std::fmt;

/// The layout used when the config does not set `path_template`.
pub const DEFAULT_TEMPLATE: &str = "{feed}/{yyyy}/{mm}/{slug}.md";

/// Most folders a template may nest (keeps paths well under every OS limit).
const MAX_SEGMENTS: usize = 8;

/// A value a template can refer to; each expands only to `[A-Za-z0-9._-]`, never `.`/`..`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Var {
    Feed,
    Yyyy,
    Mm,
    Dd,
    Slug,
    Name,
}

impl Var {
    fn parse(name: &str) -> Option<Var> {
        Some(match name {
            "feed" => Var::Feed,
            "yyyy" => Var::Yyyy,
            "mm" => Var::Mm,
            "dd" => Var::Dd,
            "slug" => Var::Slug,
            "name" => Var::Name,
            _ => return None,
        })
    }
}

/// One piece of a path part: literal text, or a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text limited to `[A-Za-z0-9._-]`.
    Lit(String),
    /// A placeholder such as `{slug}`.
    Var(Var),
}

/// A validated output-path template such as `{feed}/{yyyy}/{mm}/{slug}.md`.
///
/// Placeholders: `{feed}` (the feed's short name), `{yyyy}` `{mm}` `{dd}` (publication date,
/// UTC), `{slug}` (title slug and short hash: unique), `{name}` (the flat file name without
/// `.md`: date, slug and hash). Literal text is limited to `[A-Za-z0-9._-]` and `/` between
/// folders; no folder may be empty or start with `.`; the last part must end in `.md` and the
/// template must use `{slug}` or `{name}`, so that every article gets its own file.
///
/// This is the description only: the stage that writes files adds `expand`, which needs an
/// article's values.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct PathTemplate {
    source: String,
    segments: Vec<Vec<Piece>>,
}

impl Default for PathTemplate {
    fn default() -> Self {
        PathTemplate::parse(DEFAULT_TEMPLATE).unwrap_or_else(|_| PathTemplate {
            source: String::new(),
            segments: Vec::new(),
        })
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl TryFrom<String> for PathTemplate {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        PathTemplate::parse(&s)
    }
}

impl PathTemplate {
    /// Parses and validates `s`; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<PathTemplate, String> {
        let bad = |why: &str| format!("path_template `{s}`: {why}");
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() > MAX_SEGMENTS {
            return Err(bad(&format!("more than {MAX_SEGMENTS} levels")));
        }
        let mut segments = Vec::new();
        for part in &parts {
            if part.is_empty() {
                return Err(bad("empty folder name (leading, trailing or double `/`)"));
            }
            if part.starts_with('.') {
                return Err(bad("a folder or file name may not start with `.`"));
            }
            segments.push(parse_segment(part).map_err(|why| bad(&why))?);
        }
        let unique = segments
            .iter()
            .flatten()
            .any(|p| matches!(p, Piece::Var(Var::Slug | Var::Name)));
        if !unique {
            return Err(bad(
                "must use {slug} or {name} so that each article has its own file",
            ));
        }
        if std::path::Path::new(s)
            .extension()
            .is_none_or(|e| e != "md")
        {
            return Err(bad("must end in `.md`"));
        }
        Ok(PathTemplate {
            source: s.to_string(),
            segments,
        })
    }

    /// The path parts (folders, then the file), each as its pieces.
    pub fn segments(&self) -> &[Vec<Piece>] {
        &self.segments
    }
}

fn parse_segment(part: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = part;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let end = after.find('}').ok_or("unclosed `{`")?;
            let name = &after[..end];
            let var = Var::parse(name).ok_or_else(|| {
                format!("unknown placeholder `{{{name}}}` (use feed, yyyy, mm, dd, slug, name)")
            })?;
            pieces.push(Piece::Var(var));
            rest = &after[end + 1..];
        } else {
            let end = rest.find('{').unwrap_or(rest.len());
            let lit = &rest[..end];
            if let Some(c) = lit
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            {
                return Err(format!(
                    "character `{c}` not allowed (only A-Z a-z 0-9 . _ - and /)"
                ));
            }
            pieces.push(Piece::Lit(lit.to_string()));
            rest = &rest[end..];
        }
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_templates_that_could_escape_or_collide() {
        for bad in [
            "../{slug}.md",
            "/{slug}.md",
            "a//{slug}.md",
            "{feed}/.hidden/{slug}.md",
            "{feed}\\..\\{slug}.md",
            "{feed}/{yyyy}.md",
            "{slug}.txt",
            "{slug",
            "{title}/{slug}.md",
            "~/{slug}.md",
            "a b/{slug}.md",
            "a/b/c/d/e/f/g/h/i/{slug}.md",
        ] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad} accepted");
        }
        let err = PathTemplate::parse("{title}/{slug}.md").unwrap_err();
        assert!(err.contains("{title}"), "{err}");
    }

    #[test]
    fn the_default_is_the_documented_layout() {
        assert_eq!(PathTemplate::default().to_string(), DEFAULT_TEMPLATE);
    }
}
