-- feedmark schema, version 8: where an article's date came from, and the item's categories.

-- `feed`: the item's own date. `first-seen`: the item had no date feedmark could read, and
-- `published_at` is when feedmark first saw it; it is kept from then on (later polls,
-- updates, export, reextract), so the article's file never moves. NULL for articles stored
-- before version 8: an undated item then got the poll time as well, unrecorded.
ALTER TABLE articles ADD COLUMN date_source TEXT;
-- `status` counts them per feed: without this index that count reads every article row
-- (66 ms on 10,000 articles, growing with the archive); with it, 0.3 ms.
CREATE INDEX articles_first_seen ON articles(feed_id) WHERE date_source = 'first-seen';

-- The item's date as its feed wrote it, when it could not be read (NULL otherwise).
ALTER TABLE articles ADD COLUMN date_text TEXT;

-- For an article dated by when it was first seen: the date its feed gave it on a later poll
-- (Unix seconds). Recorded and logged once, not taken: the date decides the file's path.
ALTER TABLE articles ADD COLUMN feed_date_later INTEGER;

-- The item's categories as its feed gave them, in order: a JSON array of strings. NULL for
-- articles stored before version 8. Written to `tags` when `categories_as_tags` is on.
ALTER TABLE articles ADD COLUMN categories TEXT;
