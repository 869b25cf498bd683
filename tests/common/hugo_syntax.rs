//! Whether a rendered body holds Hugo syntax Hugo would act on (shortcodes, the summary divider).

/// True when Hugo reads no shortcode and no `<!--more-->` in `body`. feedmark writes a
/// shortcode call shown in code as Hugo's comment form, `{{</* x */>}}` (which Hugo shows as
/// `{{< x >}}`): each `{{<` / `{{%` outside such a comment must open one that is closed.
pub fn hugo_reads_no_syntax(body: &str) -> bool {
    let mut rest = body;
    while let Some(at) = [rest.find("{{<"), rest.find("{{%")]
        .into_iter()
        .flatten()
        .min()
    {
        let close = if rest[at..].starts_with("{{<") {
            "*/>}}"
        } else {
            "*/%}}"
        };
        let Some(inner) = rest[at + 3..].strip_prefix("/*") else {
            return false;
        };
        let Some(end) = inner.find(close) else {
            return false;
        };
        rest = &inner[end + close.len()..];
    }
    !body.contains("<!--more-->")
}
