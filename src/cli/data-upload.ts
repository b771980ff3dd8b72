import { createPool, migrate } from '../infra/db';
import { ResultsStore } from '../infra/results-store';
import type { DataTable } from '../engine/data-feed';
import { EXIT } from '../core/exit-codes';
import { CliExit } from './errors';

/**
 * Stores a campaign's data files in the results store (by ref, once), before the campaign starts: the load
 * generators read them from there. Needs the results database (DATABASE_URL, or the one of `readiness dev`); the
 * database is migrated first (advisory-locked, as a worker does).
 */
export async function uploadDataTables(databaseUrl: string | undefined, tables: Map<string, DataTable>): Promise<void> {
  if (!tables.size) return;
  if (!databaseUrl)
    throw new CliExit(
      EXIT.INVALID_INPUT,
      "error: scenario.data: data files are stored in the results database before the campaign starts: set DATABASE_URL to the workers' database, or run `readiness dev`",
    );
  await migrate(databaseUrl);
  const pool = createPool(databaseUrl, 1);
  try {
    const store = new ResultsStore(pool);
    for (const [ref, table] of tables) await store.putDataTable(ref, table);
  } finally {
    await pool.end();
  }
}
