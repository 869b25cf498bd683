-- feedmark schema, version 2: noticing changed items and recording when an article changed.

-- SHA-256 of the item as its feed carried it (title, link, content, update time) when the
-- article was last stored; NULL for articles stored before version 2 (filled on next poll).
ALTER TABLE articles ADD COLUMN item_hash TEXT;

-- When the article's text or title last changed after it was first stored (Unix seconds,
-- UTC); NULL while it never changed. Written to the file as Hugo's `lastmod`.
ALTER TABLE articles ADD COLUMN modified_at INTEGER;
