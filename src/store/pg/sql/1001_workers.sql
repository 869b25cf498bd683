-- feedmark, PostgreSQL only: several workers sharing one database (issue 22).
-- Times are Unix seconds of the database server's clock, so that workers on machines whose
-- clocks differ still agree on who is alive.

-- One row per process that took part (`run` or `fetch`): it refreshes `last_seen_at` every
-- third of `lease_secs`; one not seen for `lease_secs` is dead and loses its leases and claims.
CREATE TABLE workers (
    id           TEXT   PRIMARY KEY,
    host         TEXT   NOT NULL,
    pid          BIGINT NOT NULL,
    lease_secs   BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    stopped_at   BIGINT
);

-- Who polls the feed now (NULL: nobody). Taken with SELECT … FOR UPDATE SKIP LOCKED only
-- while the feed is due and its holder (if any) is dead; released when the poll is recorded.
ALTER TABLE feeds ADD COLUMN lease_worker TEXT;
ALTER TABLE feeds ADD COLUMN leased_at BIGINT;

-- A new item's keys and URLs, claimed before its page is downloaded: of two workers that
-- meet one story (in two feeds) at the same moment, the primary key lets exactly one
-- download, write and store it. Dropped once stored, or when the worker stops.
CREATE TABLE claims (
    key        TEXT   PRIMARY KEY,
    worker     TEXT   NOT NULL,
    claimed_at BIGINT NOT NULL
);
CREATE INDEX claims_worker ON claims (worker);
