/**
 * The backup phase through the campaign workflow: connections travel as environment variable names only,
 * the drills run on the worker, and the report carries the drill table with RTO and RPO against targets.
 */
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { BackupResult } from '../../src/core/backup';
import { startRedis, type Component } from '../helpers/monitoring-stack';
import { testEnv, testPool, uid } from '../helpers/env';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
let redis: Component;
const pool = testPool();

beforeAll(async () => {
  ({
    taskQueue,
    client,
    stop: stopWorker,
  } = await startInProcessWorker('backupcampaign', {
    secretEnv: ['DRILL_SOURCE_URL', 'DRILL_REDIS_URL', 'DRILL_MISSING_URL'],
    backupRoots: [testEnv.dir],
  }));
  redis = await startRedis(mkdtempSync(path.join(testEnv.dir, 'redis-')), 'aof');
});

afterAll(async () => {
  await stopWorker();
  await redis.stop();
  await pool.end();
});

test('when a campaign has a backup section, then the drills run on the worker, secrets stay names, and the report shows RTO and RPO against targets', async () => {
  const db = `orders_${uid()}`;
  const u = new URL(testEnv.databaseUrl);
  u.pathname = '/postgres';
  const admin = new PgClient({ connectionString: u.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  u.pathname = `/${db}`;
  const source = new PgClient({ connectionString: u.toString() });
  await source.connect();
  await source.query(
    'CREATE TABLE items (id serial PRIMARY KEY, name text); INSERT INTO items (name) SELECT md5(g::text) FROM generate_series(1, 1000) g',
  );
  await source.end();
  const dumps = mkdtempSync(path.join(testEnv.dir, 'dumps-'));
  writeFileSync(path.join(dumps, 'nightly.dump'), 'x');
  utimesSync(path.join(dumps, 'nightly.dump'), Date.now() / 1000 - 600, Date.now() / 1000 - 600);
  process.env.DRILL_SOURCE_URL = u.toString();
  process.env.DRILL_REDIS_URL = redis.url;

  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `backup-${uid()}`,
    target: { baseUrl: 'http://127.0.0.1:9' },
    scenario: { requests: [{ name: 'home', method: 'GET', path: '/' }] },
    backup: {
      postgres: {
        connection: { fromEnv: 'DRILL_SOURCE_URL' },
        maxRestoreTime: '5m',
        rpoTarget: '1h',
        backupDirectory: dumps,
      },
      redis: { connection: { fromEnv: 'DRILL_REDIS_URL' }, role: 'store' },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  expect(result.phases.backup.status).toBe('pass');
  const stored = (
    await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
      handle.workflowId,
      'backup',
    ])
  ).rows[0].result as BackupResult;
  expect(stored.drills.map((d) => [d.id, d.status])).toEqual([
    ['postgres', 'warn'],
    ['redis', 'pass'],
  ]);
  const pg = stored.drills[0]!;
  expect(pg.tables).toEqual([{ name: 'public.items', sourceRows: 1000, restoredRows: 1000, match: true }]);
  expect(pg.rpoS).toBeGreaterThanOrEqual(599);
  expect(pg.rpoS).toBeLessThan(700);

  // The connection strings never entered workflow history.
  const raw = JSON.stringify((await handle.fetchHistory()).events);
  // Payloads are base64 in history: decode every one, then search the text.
  const history = [...raw.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)]
    .map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'))
    .join('\n');
  expect(history).toContain('DRILL_SOURCE_URL');
  expect(history).not.toContain(u.password);
  expect(history).not.toContain(redis.url);

  const md = readFileSync(path.join(result.reportDir, 'report.md'), 'utf8');
  expect(md).toContain('## Backup and recovery drills');
  expect(md).toMatch(
    /\| PostgreSQL backup and restore drill \| ⚠️ warn \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \| [\d.]+ s \(300 s\) \| \d+ s \(3600 s\) \|/,
  );
  expect(md).toContain('1/1 tables proven identical to the source');
  const json = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8')) as { backup: BackupResult };
  expect(json.backup.drills).toHaveLength(2);
});

test("when a drill's connection variable is not set on the worker, then the drill is an error naming the variable and the phase fails", async () => {
  delete process.env.DRILL_MISSING_URL;
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `backup-${uid()}`,
    target: { baseUrl: 'http://127.0.0.1:9' },
    scenario: { requests: [{ name: 'home', method: 'GET', path: '/' }] },
    backup: { postgres: { connection: { fromEnv: 'DRILL_MISSING_URL' } } },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  expect(result.phases.backup.status).toBe('fail');
  const stored = (
    await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
      handle.workflowId,
      'backup',
    ])
  ).rows[0].result as BackupResult;
  expect(stored.drills[0]).toMatchObject({
    id: 'postgres',
    status: 'error',
    findings: [
      {
        severity: 'P1',
        message:
          'could not run: backup.postgres.connection: environment variable DRILL_MISSING_URL is not set on the worker',
      },
    ],
  });
});
