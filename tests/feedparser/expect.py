#!/usr/bin/env python3
"""Checks feedmark's reading of feeds against the `Expect:` lines of feedparser's test suite.

Each test file of ../shared/feeds/corpus/feedparser/ carries an expression such as
`not bozo and entries[0]['title'] == 'Example'`. This script runs `feedmark parse --json` on
the file, maps feedmark's view onto the feedparser names that feedmark has an equivalent for
(feed title and link; entry title, link, id, dates, content/summary, author(s), tags,
enclosures; the number of entries) and evaluates the expression. An expression that needs a
name feedmark has no equivalent for (bozo on its own, encoding, version, namespaces,
itunes_*, source, links, contributors, ...) is not applicable. `bozo` in front of an
expression (`not bozo and ...`) is dropped: feedmark reads broken documents leniently and
does not report well-formedness; the rest of the expression is what the feed says.

HTML values (content, summary, description) and titles are compared by their text: exact
HTML first, else the text a reader sees (tags dropped, script/style bodies dropped,
character references decoded, whitespace squashed). feedmark hands HTML on to its Markdown
stage, which sanitises and rewrites markup; the feed layer's job is the right text.

Usage: expect.py [--feedmark BIN] [--corpus DIR] [--list] [--min PERCENT] [--markdown]
Stdlib only. Exit status 1 when agreement is below --min.
"""

import argparse
import ast
import calendar
import concurrent.futures
import datetime
import email.utils
import html.parser
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# feedparser's own suite served the files from here: relative links resolve against it.
BASE = "http://127.0.0.1:8097/"


class NotApplicable(Exception):
    """The expression needs a name feedmark has no equivalent for."""


# ---- text comparison -------------------------------------------------------------------

class _Text(html.parser.HTMLParser):
    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def squash(s):
    return " ".join(s.split())


def html_text(s):
    p = _Text()
    try:
        p.feed(s)
        p.close()
    except Exception:  # noqa: BLE001 - a broken fragment compares as itself
        return squash(s)
    return squash("".join(p.out))


class HtmlValue(str):
    """An HTML (or plain) string that equals another when their visible text is the same."""

    def __eq__(self, other):
        if not isinstance(other, str):
            return False
        if str.__eq__(self, other) or squash(self) == squash(other):
            return True
        mine = html_text(self)
        return mine == html_text(other) or mine == squash(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class TextValue(str):
    """feedmark's plain-text title: equal to a feedparser value (HTML or text) whose text
    is the same."""

    def __eq__(self, other):
        if not isinstance(other, str):
            return False
        mine = squash(self)
        return mine == squash(other) or mine == html_text(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class DateValue(str):
    """An RFC 3339 UTC time that equals a date string naming the same instant."""

    def __eq__(self, other):
        if not isinstance(other, str):
            return False
        if str.__eq__(self, other):
            return True
        theirs = parse_date(other)
        if theirs is None:
            raise NotApplicable("date string Python cannot read")
        return parse_date(self) == theirs

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def parse_date(s):
    try:
        d = email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        try:
            d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def struct(rfc3339):
    stamp = calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))
    return time.gmtime(stamp)


# ---- feedparser-shaped view of feedmark's JSON -------------------------------------------

class View(dict):
    """A dict with attribute access whose unknown keys are not applicable (not missing)."""

    def __init__(self, values, known):
        super().__init__({k: v for k, v in values.items() if v is not None})
        self.known = known

    def __missing__(self, key):
        if key in self.known:
            raise KeyError(key)
        raise NotApplicable(key)

    def get(self, key, default=None):
        if key not in self.known:
            raise NotApplicable(key)
        return super().get(key, default)

    def __contains__(self, key):
        if key not in self.known:
            raise NotApplicable(key)
        return super().__contains__(key)

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(key) from e


ENTRY_KEYS = {
    "title", "title_detail", "link", "id", "guid", "published", "published_parsed", "updated",
    "updated_parsed", "content", "summary", "summary_detail", "description", "author",
    "author_detail", "authors", "tags", "category", "enclosures",
}
FEED_KEYS = {"title", "title_detail", "link"}

# Which part of feedmark an expression is about, by the first mapped name it reads.
CATEGORY = {
    "title": "title", "title_detail": "title", "link": "link", "id": "id", "guid": "id",
    "published": "dates", "published_parsed": "dates", "updated": "dates",
    "updated_parsed": "dates", "content": "content/summary", "summary": "content/summary",
    "summary_detail": "content/summary", "description": "content/summary", "author": "author",
    "author_detail": "author", "authors": "author", "tags": "categories",
    "category": "categories", "enclosures": "enclosures",
}

KIND_TYPE = {"html": "text/html", "text": "text/plain", "xhtml": "application/xhtml+xml"}


def entry_view(item):
    content = item.get("content")
    summary = item.get("summary")
    body = summary if summary is not None else (content or {}).get("value")
    v = {
        # An empty title is feedmark's reading of a title without text (an image, a
        # script): present, so that it compares with feedparser's markup-only value.
        "title": TextValue(item.get("title", "")),
        "link": item.get("link"),
        "id": item.get("guid"),
        "guid": item.get("guid"),
        "published": DateValue(item["published"]) if item.get("published") else None,
        "published_parsed": struct(item["published"]) if item.get("published") else None,
        "updated": DateValue(item["updated"]) if item.get("updated") else None,
        "updated_parsed": struct(item["updated"]) if item.get("updated") else None,
        "summary": HtmlValue(body) if body is not None else None,
        "description": HtmlValue(body) if body is not None else None,
        "authors": [View({"name": a}, {"name"}) for a in item.get("authors", [])] or None,
        "author": item["authors"][0] if item.get("authors") else None,
        "tags": [View({"term": t}, {"term"}) for t in item.get("categories", [])] or None,
        "category": item["categories"][0] if item.get("categories") else None,
        "enclosures": [View({"href": u}, {"href"}) for u in item.get("enclosures", [])] or None,
    }
    if v["title"] is not None:
        v["title_detail"] = View({"value": v["title"]}, {"value"})
    if body is not None:
        v["summary_detail"] = View({"value": HtmlValue(body)}, {"value"})
    if content is not None:
        v["content"] = [View({"value": HtmlValue(content["value"]),
                              "type": KIND_TYPE[content["kind"]]}, {"value", "type"})]
    if v["author"] is not None:
        v["author_detail"] = View({"name": v["author"]}, {"name"})
    return View(v, ENTRY_KEYS)


def feed_view(parsed):
    title = TextValue(parsed["title"]) if parsed.get("title") is not None else None
    v = {"title": title, "link": parsed.get("link")}
    if title is not None:
        v["title_detail"] = View({"value": title}, {"value"})
    return View(v, FEED_KEYS)


class Names(dict):
    """The names an expression may use: feed, entries; anything else is not applicable."""

    def __init__(self, parsed):
        super().__init__(feed=feed_view(parsed),
                         entries=[entry_view(i) for i in parsed.get("items", [])])
        self.used = []

    def __missing__(self, key):
        raise NotApplicable(key)


class Recorder(View):
    pass


# ---- running ---------------------------------------------------------------------------

EXPECT = re.compile(r"Expect:\s*(.*?)\s*(?:-->|\"\s*,?\s*$|$)", re.M)
BOZO = re.compile(r"^\s*(not\s+)?bozo\s+and\s+")


def expectation(path):
    with open(path, "rb") as f:
        head = f.read(4096).decode("utf-8", "replace")
    m = EXPECT.search(head)
    return m.group(1).strip() if m else None


def run_feedmark(binary, path, corpus):
    rel = os.path.relpath(path, corpus)
    proc = subprocess.run(
        [binary, "parse", "--json", "--url", BASE + rel.replace(os.sep, "/"), path],
        capture_output=True, env=dict(os.environ, FEEDMARK_LOG="error"), timeout=60)
    if proc.returncode != 0:
        return None, proc.stderr.decode("utf-8", "replace").strip()
    return json.loads(proc.stdout), None


def category_of(expr):
    for m in re.finditer(r"(?:entries\[\d+\]|feed)\s*(?:\.|\[\s*['\"])(\w+)", expr):
        if m.group(1) in CATEGORY:
            prefix = "feed " if m.group(0).startswith("feed") else ""
            cat = CATEGORY[m.group(1)]
            return prefix + cat if prefix and cat in ("title", "link") else cat
    if "len(entries)" in expr:
        return "entry count"
    return "other"


# Names inside the mapped values: title_detail.value, content[0].value/type,
# authors[0].name, tags[0].term, enclosures[0].href; and dict.get.
INNER_KEYS = {"value", "type", "name", "term", "href", "get"}


def unmapped(body):
    """The first key the expression reads (`x['key']`, `x.key`) that feedmark has no
    equivalent for; string literals elsewhere are not keys."""
    import io
    import tokenize
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(body).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError):
        return None
    for i, t in enumerate(tokens[:-1]):
        key = None
        if t.string == "[" and tokens[i + 1].type == tokenize.STRING:
            try:
                key = ast.literal_eval(tokens[i + 1].string)
            except (ValueError, SyntaxError):
                continue
        elif t.string == "." and tokens[i + 1].type == tokenize.NAME:
            key = tokens[i + 1].string
        if isinstance(key, str) and key not in ENTRY_KEYS | FEED_KEYS | INNER_KEYS:
            return key
    return None


def evaluate(expr, parsed):
    """('agree'|'disagree'|'n/a', detail)."""
    body = BOZO.sub("", expr)
    if re.search(r"\bbozo\b", body) or body.strip() in ("1", "True", ""):
        return "n/a", "bozo or a bare truth"
    key = unmapped(body)
    if key is not None:
        return "n/a", f"no equivalent for {key}"
    names = Names(parsed or {"items": []})
    try:
        ok = eval(body, {"__builtins__": {"len": len, "None": None, "True": True,  # noqa: S307
                                          "False": False, "tuple": tuple}}, names)
    except NotApplicable as e:
        return "n/a", f"no equivalent for {e}"
    except (KeyError, IndexError, AttributeError, TypeError) as e:
        return "disagree", f"{type(e).__name__}: {e}"
    except SyntaxError as e:
        return "n/a", f"not Python 3: {e}"
    return ("agree", "") if ok else ("disagree", "false")


def files(corpus):
    for dirpath, _, names in os.walk(corpus):
        for n in sorted(names):
            if n.endswith((".xml", ".json", ".rdf", ".atom", ".rss")):
                yield os.path.join(dirpath, n)


def check(binary, corpus, path):
    expr = expectation(path)
    if expr is None:
        return path, None, "n/a", "no Expect line", "other"
    parsed, error = run_feedmark(binary, path, corpus)
    verdict, detail = evaluate(expr, parsed)
    if parsed is None and verdict == "disagree":
        detail = f"rejected: {error}"
    return path, expr, verdict, detail, category_of(BOZO.sub("", expr))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feedmark", default=os.path.join(ROOT, "target", "debug", "feedmark"))
    ap.add_argument("--corpus", default=os.environ.get(
        "FEEDMARK_FEEDPARSER", os.path.join(ROOT, "..", "shared", "feeds", "corpus", "feedparser")))
    ap.add_argument("--list", action="store_true", help="list each disagreement")
    ap.add_argument("--min", type=float, default=0.0, help="fail below this agreement (%%)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--doc", help="rewrite the feedparser section of this Markdown file")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        sys.exit(f"no feedparser corpus at {corpus} (set FEEDMARK_FEEDPARSER)")
    paths = list(files(corpus))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda p: check(args.feedmark, corpus, p), paths))
    table = {}
    for _, _, verdict, _, cat in results:
        row = table.setdefault(cat if verdict != "n/a" else "not applicable", [0, 0, 0])
        row[["agree", "disagree", "n/a"].index(verdict)] += 1
    agree = sum(r[0] for r in table.values())
    disagree = sum(r[1] for r in table.values())
    share = 100.0 * agree / max(1, agree + disagree)
    report(table, len(paths), agree, disagree, share, args.markdown)
    if args.doc:
        write_doc(args.doc, table, len(paths), agree, disagree, share)
    if args.list:
        for path, expr, verdict, detail, cat in sorted(results):
            if verdict == "disagree":
                print(f"{os.path.relpath(path, corpus)}\t{cat}\t{expr}\t{detail}")
    if share < args.min:
        print(f"agreement {share:.1f}% is below {args.min}%", file=sys.stderr)
        sys.exit(1)


DOC_BEGIN, DOC_END = "<!-- feedparser:begin -->", "<!-- feedparser:end -->"


def write_doc(path, table, files_count, agree, disagree, share):
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        report(table, files_count, agree, disagree, share, True)
    section = (f"{DOC_BEGIN}\n## feedparser's expectations\n\n"
               "Generated by `cargo build && python3 tests/feedparser/expect.py --doc docs/corpus.md`"
               " (`--list` names each disagreement). Each file of `feedparser/tests` carries an\n"
               "`Expect:` expression; `feedmark parse --json` is mapped onto the feedparser names\n"
               "feedmark has an equivalent for, and expressions needing other names are not\n"
               "applicable. How values are compared: the script's docstring. CI fails below 95%.\n\n"
               f"{buf.getvalue()}{DOC_END}")
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    b, e = doc.find(DOC_BEGIN), doc.find(DOC_END)
    if b < 0 or e < b:
        sys.exit(f"{path} has no {DOC_BEGIN} ... {DOC_END} section")
    doc = doc[:b] + section + doc[e + len(DOC_END):]
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)


def report(table, files_count, agree, disagree, share, markdown):
    rows = sorted((k for k in table if k != "not applicable"))
    if "not applicable" in table:
        rows.append("not applicable")
    if markdown:
        print("| category | agree | disagree | n/a |\n|---|---:|---:|---:|")
        for k in rows:
            a, d, n = table[k]
            print(f"| {k} | {a} | {d} | {n} |")
        print(f"| **total** ({files_count} files) | **{agree}** | **{disagree}** | "
              f"**{files_count - agree - disagree}** |")
        print(f"\nAgreement where applicable: **{share:.1f}%** ({agree} of {agree + disagree}).")
        return
    print(f"{'category':<18}{'agree':>7}{'disagree':>10}{'n/a':>7}")
    for k in rows:
        a, d, n = table[k]
        print(f"{k:<18}{a:>7}{d:>10}{n:>7}")
    print(f"{'total':<18}{agree:>7}{disagree:>10}{files_count - agree - disagree:>7}")
    print(f"agreement where applicable: {share:.1f}% ({agree} of {agree + disagree}) "
          f"over {files_count} files")


if __name__ == "__main__":
    main()
