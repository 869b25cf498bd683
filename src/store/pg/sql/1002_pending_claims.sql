-- feedmark, PostgreSQL only: which worker is trying a pending page again (issue 19 on
-- several workers). Every worker retries the pending pages of all its configured feeds, not
-- only of the feeds it leased, so a due page is claimed (taken with FOR UPDATE SKIP LOCKED)
-- before its try; the claim goes when the try is recorded (the row is replaced or deleted),
-- and a dead worker's claim is taken over by the next worker that finds the page due.
ALTER TABLE pending_pages ADD COLUMN claim_worker TEXT;
