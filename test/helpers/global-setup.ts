/**
 * One real Temporal dev server and one real PostgreSQL for the whole jest run, on free loopback
 * ports in a temp dir. Tests find them through READINESS_TEST_* environment variables.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pino from 'pino';
import { migrate } from '../../src/infra/db';
import { cacheBinDir } from '../../src/infra/paths';
import { startEmbeddedPostgres } from '../../src/infra/postgres';
import { freePort } from '../../src/infra/process';
import { consoleProgress } from '../../src/infra/progress';
import { registerSearchAttributes, resolveTemporalCli, startDevServer } from '../../src/infra/temporal-cli';

/**
 * Everything the tests start must be installed (`npm test` runs scripts/setup-test-deps.sh first); a jest run
 * started another way stops here with the script's list of what is missing and how to install it.
 */
function checkTestDependencies(): void {
  const res = spawnSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'setup-test-deps.sh'), '--check'], {
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`test dependencies missing:\n${res.stderr}`);
}

export default async function globalSetup(): Promise<void> {
  checkTestDependencies();
  const progress = consoleProgress('test setup');
  const dir = mkdtempSync(path.join(tmpdir(), 'readiness-test-'));
  chmodSync(dir, 0o755);
  const logger = pino({ level: 'warn' });
  const cli = await resolveTemporalCli({ cacheDir: cacheBinDir(), logger, progress });
  const temporal = await startDevServer({
    binary: cli.path,
    dbFile: path.join(dir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'),
    logger,
    startTimeoutMs: 120_000,
  });
  const conn = await Connection.connect({ address: temporal.address });
  await registerSearchAttributes(conn, 'default');
  await conn.close();
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: await freePort(), logger, progress });
  await migrate(pg.url, logger, progress);

  process.env.READINESS_TEST_DIR = dir;
  process.env.READINESS_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.READINESS_TEST_TEMPORAL_UI = temporal.uiUrl;
  process.env.READINESS_TEST_TEMPORAL_CLI = cli.path;
  process.env.READINESS_TEST_DATABASE_URL = pg.url;
  (globalThis as Record<string, unknown>).__readinessStack = { temporal, pg, dir };
}
