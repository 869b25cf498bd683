//! The HTML element categories the nesting pass follows: empty, raw text, scopes, implied ends.

/// Elements with no end tag: they never nest.
pub(super) const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
    b"frame",
    b"basefont",
    b"bgsound",
];

/// Elements whose content is text up to their end tag: skipped whole, never dropped.
pub(super) const RAW: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
];

/// Elements the parser merges or treats specially: never dropped, never counted.
pub(super) const STRUCTURE: &[&[u8]] = &[b"html", b"head", b"body", b"template", b"plaintext"];

/// The parser's default scope: an implied end never reaches past these.
pub(super) const SCOPE: &[&[u8]] = &[
    b"html",
    b"table",
    b"td",
    b"th",
    b"caption",
    b"template",
    b"button",
    b"object",
    b"marquee",
    b"applet",
];

/// HTML's "special" elements: the search for an open `<li>`, `<dd>` or `<dt>` to close stops
/// at one (but at `address`, `div` and `p`), and so does an ordinary end tag's search for
/// its element. Where this pass stops early it counts deeper than the parser nests, which
/// only ever drops tags of a page past the limit; stopping late would let the parser's
/// stack grow unseen.
pub(super) const SPECIAL: &[&[u8]] = &[
    b"applet",
    b"article",
    b"aside",
    b"blockquote",
    b"body",
    b"button",
    b"caption",
    b"center",
    b"colgroup",
    b"dd",
    b"details",
    b"dir",
    b"dl",
    b"dt",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"frameset",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hgroup",
    b"html",
    b"li",
    b"listing",
    b"main",
    b"marquee",
    b"menu",
    b"nav",
    b"object",
    b"ol",
    b"pre",
    b"search",
    b"section",
    b"select",
    b"summary",
    b"table",
    b"tbody",
    b"td",
    b"template",
    b"tfoot",
    b"th",
    b"thead",
    b"tr",
    b"ul",
];

/// Special elements a `<li>`, `<dd>` or `<dt>` looks past for one to close.
pub(super) const LIST_ITEM_PAST: &[&[u8]] = &[b"address", b"div", b"p"];

/// Start tags that close an open `<p>` (HTML's "close a p element in button scope").
pub(super) const CLOSE_P: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"header",
    b"hgroup",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"search",
    b"section",
    b"summary",
    b"ul",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"pre",
    b"listing",
    b"form",
    b"table",
    b"li",
    b"dd",
    b"dt",
    b"p",
];

/// Elements that close implicitly: the open ones of each are counted, so that a start tag
/// looks for one to close only when one is open.
pub(super) const WATCHED: &[&[u8]] = &[
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"thead",
    b"tbody",
    b"tfoot",
    b"option",
    b"optgroup",
    b"a",
    b"nobr",
    b"rb",
    b"rt",
    b"rp",
    b"rtc",
];

/// What a start tag closes when one is open: those elements, and where the search stops.
pub(super) fn closes(name: &[u8]) -> (&'static [&'static [u8]], &'static [&'static [u8]]) {
    match name {
        b"li" => (&[b"li"], SPECIAL),
        b"dt" | b"dd" => (&[b"dt", b"dd"], SPECIAL),
        b"tr" => (&[b"tr"], &[b"table"]),
        b"td" | b"th" => (&[b"td", b"th"], &[b"table", b"tr"]),
        b"thead" | b"tbody" | b"tfoot" => (&[b"thead", b"tbody", b"tfoot"], &[b"table"]),
        b"option" => (&[b"option"], &[b"select"]),
        b"optgroup" => (&[b"optgroup", b"option"], &[b"select"]),
        b"a" => (&[b"a"], SCOPE),
        b"nobr" => (&[b"nobr"], SCOPE),
        b"rb" | b"rt" | b"rp" | b"rtc" => (&[b"rb", b"rt", b"rp", b"rtc"], &[b"ruby"]),
        _ => (&[], &[]),
    }
}
