-- feedmark schema: the daemon's per-feed scheduling state.

-- The URL as configured; `url` may differ after a permanent redirect was followed for
-- several polls in a row. A changed config URL resets the feed (see Store::upsert_feed).
ALTER TABLE feeds ADD COLUMN config_url TEXT;
UPDATE feeds SET config_url = url;

-- When the daemon polls the feed next (Unix seconds), and the schedule and time zone that
-- time was computed under: after a restart with another schedule it is recomputed.
ALTER TABLE feeds ADD COLUMN next_poll_at INTEGER;
ALTER TABLE feeds ADD COLUMN next_poll_schedule TEXT;

-- Set when the server answered 410 Gone: the daemon stops polling the feed and says so
-- until its URL changes in the config.
ALTER TABLE feeds ADD COLUMN dead_at INTEGER;

-- Target of the permanent redirect (301/308) seen on the last `moved_count` polls in a row.
ALTER TABLE feeds ADD COLUMN moved_to TEXT;
ALTER TABLE feeds ADD COLUMN moved_count INTEGER NOT NULL DEFAULT 0;
