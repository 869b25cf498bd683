-- feedmark schema, version 7: article pages that failed for a passing reason (name lookup,
-- connection, timeout, 5xx, 429) and are tried again on later polls. The article is stored
-- with its feed's text meanwhile; a row goes when its page loads, fails for good, or is
-- given up (too many tries, too old).
CREATE TABLE pending_pages (
    article_id      INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    attempts        INTEGER NOT NULL,  -- failed tries so far, the first download included
    first_failed_at INTEGER NOT NULL,
    last_tried_at   INTEGER NOT NULL,
    next_try_at     INTEGER NOT NULL,  -- equal to last_tried_at: at the next poll
    last_error      TEXT    NOT NULL
);
-- Each poll looks up the pages due; the daemon, the earliest due time.
CREATE INDEX pending_pages_due ON pending_pages (next_try_at);
