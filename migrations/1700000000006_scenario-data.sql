-- Up Migration
-- Data files of scenarios (scenario.data), stored once by the SHA-256 of their parsed rows: the CLI writes them,
-- load generators read them by that reference; the rows never travel in a workflow's history.
CREATE TABLE scenario_data (
  ref text PRIMARY KEY,
  columns jsonb NOT NULL,
  rows jsonb NOT NULL,
  row_count integer NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE scenario_data;
