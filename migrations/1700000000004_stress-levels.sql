-- Up Migration
-- The continuous ramp of a stress phase: the workflow inserts one row per stage (the next level, or a stop),
-- the running load activity applies it and records when; each stage's judged measurements are stored as a
-- load_slices row under the stage's name.
CREATE TABLE stress_levels (
  campaign_id   text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  phase         text NOT NULL,
  stage         integer NOT NULL,
  name          text NOT NULL,
  level         double precision NOT NULL,
  ramp_ms       integer NOT NULL,
  warmup_ms     integer NOT NULL,
  hold_ms       integer NOT NULL,
  stop          boolean NOT NULL DEFAULT false,
  applied_at_ms bigint,
  from_second   integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, phase, stage)
);

-- Down Migration
DROP TABLE stress_levels;
