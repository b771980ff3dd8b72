/**
 * One real Temporal dev server and one real PostgreSQL for the whole jest run, on free loopback
 * ports in a temp dir. Tests find them through READINESS_TEST_* environment variables.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pino from 'pino';
import { migrate } from '../../src/infra/db';
import { cacheBinDir } from '../../src/infra/paths';
import { startEmbeddedPostgres } from '../../src/infra/postgres';
import { freePort } from '../../src/infra/process';
import { registerSearchAttributes, resolveTemporalCli, startDevServer } from '../../src/infra/temporal-cli';

/** Builds what the tests start and `npm install` cannot: the Java time-skipping server and Grafana Loki (idempotent scripts). */
function installTestBinaries(): void {
  const root = path.join(__dirname, '..', '..');
  for (const [binary, script] of [['temporal-test-server', 'install-test-server.sh'], ['loki', 'install-loki.sh']]) {
    if (existsSync(path.join(cacheBinDir(), binary!))) continue;
    process.stderr.write(`global setup: ${binary} missing, running scripts/${script}\n`);
    execFileSync('bash', [path.join(root, 'scripts', script!)], { stdio: 'inherit' });
  }
}

export default async function globalSetup(): Promise<void> {
  installTestBinaries();
  const dir = mkdtempSync(path.join(tmpdir(), 'readiness-test-'));
  chmodSync(dir, 0o755);
  const logger = pino({ level: 'warn' });
  const cli = await resolveTemporalCli({ cacheDir: cacheBinDir(), logger });
  const temporal = await startDevServer({
    binary: cli.path, dbFile: path.join(dir, 'temporal.db'), port: await freePort(), uiPort: await freePort(),
    logFile: path.join(dir, 'temporal.log'), logger, startTimeoutMs: 120_000,
  });
  const conn = await Connection.connect({ address: temporal.address });
  await registerSearchAttributes(conn, 'default');
  await conn.close();
  const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: await freePort(), logger });
  await migrate(pg.url);

  process.env.READINESS_TEST_DIR = dir;
  process.env.READINESS_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.READINESS_TEST_TEMPORAL_UI = temporal.uiUrl;
  process.env.READINESS_TEST_TEMPORAL_CLI = cli.path;
  process.env.READINESS_TEST_DATABASE_URL = pg.url;
  (globalThis as Record<string, unknown>).__readinessStack = { temporal, pg, dir };
}
