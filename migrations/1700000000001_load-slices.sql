-- Up Migration
-- One row per load generator (slice) of a phase: its final encoded measurements.
CREATE TABLE load_slices (
  campaign_id     text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  phase_name      text NOT NULL,
  slice           integer NOT NULL,
  metrics         jsonb NOT NULL,
  health          jsonb NOT NULL,
  elapsed_ms      integer NOT NULL,
  resumed_from_ms integer NOT NULL,
  attempt         integer NOT NULL,
  aborted         boolean NOT NULL,
  notes           jsonb NOT NULL DEFAULT '[]',
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, phase_name, slice)
);

-- The per-second timeline of each slice; merged across slices when read.
CREATE TABLE load_timeline (
  campaign_id  text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  phase_name   text NOT NULL,
  slice        integer NOT NULL,
  second       integer NOT NULL,
  requests     integer NOT NULL,
  errors       integer NOT NULL,
  histogram_us text NOT NULL,
  PRIMARY KEY (campaign_id, phase_name, slice, second)
);

-- Down Migration
DROP TABLE load_timeline;
DROP TABLE load_slices;
