import path from 'node:path';
import { Pool } from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from './logger';

/** Directory of the SQL migrations (shipped at the package root). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** Creates the results pool. Small: the worker writes a few rows per phase. */
export function createPool(databaseUrl: string, max = 5): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  pool.on('error', () => { /* idle client errors surface on the next query */ });
  return pool;
}

/**
 * Applies pending migrations (node-pg-migrate, advisory-locked so concurrent workers are safe).
 * Returns the names of the migrations it applied.
 */
export async function migrate(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'readiness_migrations',
    count: Infinity,
    log: (msg: string) => logger?.debug({ msg }, 'migration'),
    noLock: false,
    checkOrder: true,
    verbose: false,
  });
  return applied.map((m) => m.name);
}
