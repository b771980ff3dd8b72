-- Up Migration
-- Whether a generator stopped its slice early on an abortOnFail threshold (judged, unlike the notes,
-- which are informational).
ALTER TABLE load_slices ADD COLUMN stopped_early boolean NOT NULL DEFAULT false;

-- Down Migration
ALTER TABLE load_slices DROP COLUMN stopped_early;
