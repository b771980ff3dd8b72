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
  // node-pg-migrate refuses at once when another process holds the lock: wait for it instead, so
  // several workers can start together.
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(databaseUrl, logger);
    } catch (err) {
      if (!/Another migration is already running/.test((err as Error).message) || attempt >= 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function migrateOnce(databaseUrl: string, logger?: Logger): Promise<string[]> {
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
