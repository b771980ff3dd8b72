-- Up Migration
-- Results of phases run as child workflows (stress, spike): one JSON document per campaign and phase.
CREATE TABLE phase_results (
  campaign_id  text NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  phase        text NOT NULL,
  result       jsonb NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, phase)
);

-- Down Migration
DROP TABLE phase_results;
