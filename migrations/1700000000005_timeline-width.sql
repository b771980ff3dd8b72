-- Up Migration
-- Downsampled timelines (phases that run for days): a row is the exact merge of `width_s` seconds from `second`
-- on; 1 is one second, as every row was before.
ALTER TABLE load_timeline ADD COLUMN width_s integer NOT NULL DEFAULT 1;

-- Down Migration
ALTER TABLE load_timeline DROP COLUMN width_s;
