-- feedmark schema, version 4: the downloaded article page of each article, kept so that
-- `feedmark reextract` can run extraction again (after a rule change) without the network.
CREATE TABLE article_pages (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    url        TEXT,                       -- the URL the page was finally served from
    html_gz    BLOB,                       -- the page, decoded to UTF-8 then gzipped (the 91 pages
                                           -- of ../shared/extraction: 16.9 MB -> 3.9 MB); NULL if none
    thumbnail  TEXT    NOT NULL DEFAULT '' -- the front matter thumbnail the file was written with
);
