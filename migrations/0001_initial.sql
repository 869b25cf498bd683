-- feedmark schema, version 1.
-- Times are Unix seconds (UTC). Text columns hold UTF-8.

-- One row per configured feed, with its HTTP validators and error state.
CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    title           TEXT,
    etag            TEXT,
    last_modified   TEXT,
    last_checked_at INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    last_error_at   INTEGER,
    error_count     INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);

-- One row per article, however many feeds carried it.
CREATE TABLE articles (
    id                INTEGER PRIMARY KEY,
    url               TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    author            TEXT,
    published_at      INTEGER NOT NULL,
    updated_at        INTEGER,
    lang              TEXT    NOT NULL,
    feed_content      TEXT,
    text              TEXT    NOT NULL,
    markdown          TEXT    NOT NULL,
    extraction_method TEXT    NOT NULL,
    content_hash      TEXT    NOT NULL,
    file_name         TEXT    NOT NULL UNIQUE,
    feed_id           INTEGER NOT NULL REFERENCES feeds(id),
    created_at        INTEGER NOT NULL
);
CREATE INDEX articles_published ON articles(published_at);

-- Every dedup key (guid or derived) under which an article has been seen.
CREATE TABLE article_keys (
    key        TEXT    PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Every canonical URL (item link, final page URL) that leads to an article.
CREATE TABLE article_urls (
    url        TEXT    PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
) WITHOUT ROWID;

-- Which feeds carried which article.
CREATE TABLE feed_articles (
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    article_id    INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (feed_id, article_id)
) WITHOUT ROWID;
CREATE INDEX feed_articles_article ON feed_articles(article_id);
