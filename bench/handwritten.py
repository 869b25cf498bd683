"""What a user would write by hand instead of feedmark: feedparser + requests + trafilatura,
a 16-thread pool, conditional GET with stored ETag/Last-Modified, seen items in a JSON file,
one Markdown file per new article. Used by bench/run for comparison; not part of CI.

usage: handwritten.py BASE_URL FEEDS STATE_DIR
"""
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import feedparser
import requests
import trafilatura

BASE, FEEDS, STATE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(STATE, "posts"), exist_ok=True)
state_path = os.path.join(STATE, "state.json")
state = {"validators": {}, "seen": []}
if os.path.exists(state_path):
    with open(state_path) as f:
        state = json.load(f)
seen = set(state["seen"])
local = threading.local()


def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
    return local.s


def poll(i):
    url = f"{BASE}/feed/{i}.xml"
    headers = {}
    v = state["validators"].get(url, {})
    if v.get("etag"):
        headers["If-None-Match"] = v["etag"]
    if v.get("modified"):
        headers["If-Modified-Since"] = v["modified"]
    r = session().get(url, headers=headers, timeout=30)
    if r.status_code == 304:
        return url, v, []
    r.raise_for_status()
    parsed = feedparser.parse(r.content)
    new_v = {"etag": r.headers.get("ETag"), "modified": r.headers.get("Last-Modified")}
    return url, new_v, [(e.get("id") or e.link, e.link, e.title) for e in parsed.entries]


def article(entry):
    key, link, title = entry
    r = session().get(link, timeout=30)
    r.raise_for_status()
    text = trafilatura.extract(r.text, url=link, output_format="markdown") or ""
    name = "".join(c if c.isalnum() else "-" for c in key.lower())[-120:] + ".md"
    with open(os.path.join(STATE, "posts", name), "w") as f:
        f.write(f'---\ntitle: "{title}"\n---\n\n{text}\n')
    return key


with ThreadPoolExecutor(16) as pool:
    new = []
    for url, v, entries in pool.map(poll, range(FEEDS)):
        state["validators"][url] = v
        for e in entries:
            if e[0] not in seen:
                seen.add(e[0])
                new.append(e)
    done = list(pool.map(article, new))

state["seen"] = sorted(seen)
with open(state_path, "w") as f:
    json.dump(state, f)
print(f"handwritten: feeds {FEEDS}; new articles {len(done)}")
