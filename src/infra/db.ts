import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from './logger';
import { logProgress, silentProgress, type Progress } from './progress';

/** Directory of the SQL migrations (shipped at the package root). */
export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'migrations');

/** Creates the results pool. Small: the worker writes a few rows per phase. */
export function createPool(databaseUrl: string, max = 5): Pool {
  const pool = new Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', () => {
    /* idle client errors surface on the next query */
  });
  return pool;
}

const MIGRATIONS_TABLE = 'readiness_migrations';

/** Migrations in MIGRATIONS_DIR not yet recorded in the database (all of them on a new database). */
async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => f.slice(0, -4));
  const c = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    const done = await c.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
    const applied = new Set(done.rows.map((r) => r.name));
    return files.filter((f) => !applied.has(f));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return files; // no migrations table yet
    throw err;
  } finally {
    await c.end();
  }
}

/**
 * Applies pending migrations (node-pg-migrate, advisory-locked so concurrent workers are safe), announced
 * through `progress` (default: the logger, if any) when there are any. Returns the names of the migrations
 * it applied.
 */
export async function migrate(
  databaseUrl: string,
  logger?: Logger,
  progress: Progress = logger ? logProgress(logger) : silentProgress,
): Promise<string[]> {
  const pending = await pendingMigrations(databaseUrl);
  if (!pending.length) return [];
  return progress.step(
    `applying ${pending.length} database migration${pending.length === 1 ? '' : 's'}`,
    'a few seconds',
    async () => {
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
    },
  );
}

async function migrateOnce(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    count: Infinity,
    log: (msg: string) => logger?.debug({ msg }, 'migration'),
    noLock: false,
    checkOrder: true,
    verbose: false,
  });
  return applied.map((m) => m.name);
}
