-- feedmark schema, version 5: article pages kept as the server sent them. A compressed
-- response is stored as it came (no second compression, and the server's level is usually
-- better than ours); an uncompressed one is gzipped. Charset decoding happens when read.
ALTER TABLE article_pages RENAME COLUMN html_gz TO body;
-- The body's content coding: 'gzip', 'deflate' or 'br'. NULL for rows of version 4, whose
-- body is the page decoded to UTF-8, then gzipped.
ALTER TABLE article_pages ADD COLUMN coding TEXT;
-- The page's Content-Type header (its charset decides how the body is decoded).
ALTER TABLE article_pages ADD COLUMN content_type TEXT;
-- When the page was stored (unix seconds; NULL for rows of version 4, whose article's
-- created_at stands in): `keep_pages_days` drops bodies older than that many days.
ALTER TABLE article_pages ADD COLUMN kept_at INTEGER;
