-- Up Migration
CREATE TABLE campaigns (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  owner        text,
  target       text NOT NULL,
  config       jsonb NOT NULL,
  config_hash  text NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz,
  decision     text,
  score_pct    double precision,
  verdict      jsonb,
  phases       jsonb
);
CREATE INDEX campaigns_target_started_idx ON campaigns (target, started_at DESC);
CREATE INDEX campaigns_name_started_idx ON campaigns (name, started_at DESC);

CREATE TABLE baseline_results (
  campaign_id  text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  phase_name   text NOT NULL,
  ordinal      integer NOT NULL,
  result       jsonb NOT NULL,
  histogram_us text NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, phase_name)
);

-- Down Migration
DROP TABLE baseline_results;
DROP TABLE campaigns;
