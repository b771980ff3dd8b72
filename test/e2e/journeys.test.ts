/**
 * A campaign with a user journey (login -> create -> read -> delete) fed by a CSV of test accounts, run as a user
 * runs it: `readiness start --wait` with a real worker process, the shared Temporal dev server and Postgres, and a
 * session API on loopback. The accounts' passwords must reach the target and nowhere else.
 */
import { Client, Connection } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { campaignPlaces, secretsFound } from '../helpers/scan';
import { JOURNEY_SCENARIO, startJourneyApi, testAccounts, type JourneyApi } from '../helpers/journey-api';

let dir: string;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess & { logs: () => string };
let api: JourneyApi;
const { csv, accounts } = testAccounts(300);

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'journeys-'));
  env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
  };
  worker = await spawnWorker(env);
  api = await startJourneyApi(accounts);
});

afterAll(async () => {
  await api?.close();
  if (worker) await stopWorker(worker);
});

test('when a campaign runs a checkout journey on a CSV of accounts, then report.json has the flow and no password leaves the target', async () => {
  writeFileSync(path.join(dir, 'accounts.csv'), csv);
  const name = `journey-${uid()}`;
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'readiness/v1',
      name,
      target: { baseUrl: api.url },
      scenario: {
        ...JOURNEY_SCENARIO,
        data: { accounts: { file: 'accounts.csv', mode: 'unique', onExhausted: 'wrap' } },
      },
      baseline: {
        phases: [{ name: 'journeys', users: 8, duration: '3s' }],
        thresholds: ['p(95)<2000 {flow: checkout}', 'error_rate<0.01'],
      },
    }),
  );
  const validate = await runCli(['validate', file], env);
  expect(validate.code).toBe(0);

  const id = `journeys-${uid()}`;
  const r = await runCli(['start', file, '--wait', '--json', '--id', id, '--data-dir', dir], env, 240_000);
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const report = JSON.parse(readFileSync(path.join(last.reportDir, 'report.json'), 'utf8'));
  const phase = report.baseline.phases[0];
  const flow = phase.flows[0];
  expect(flow).toEqual(
    expect.objectContaining({ name: 'checkout', failedIterations: 0, latencyMs: expect.objectContaining({}) }),
  );
  expect(flow.iterations).toBeGreaterThan(20);
  expect(flow.latencyMs.p95).toBeGreaterThan(0);
  expect(phase.endpoints.map((e: { name: string }) => e.name).sort()).toEqual([
    'create-order',
    'delete-order',
    'login',
    'read-order',
  ]);
  expect(phase.data).toEqual([expect.objectContaining({ name: 'accounts', exhausted: 0 })]);
  expect(api.stats.foreign).toBe(0);
  expect(api.stats.failedLogins).toBe(0);
  const md = readFileSync(path.join(last.reportDir, 'report.md'), 'utf8');
  expect(md).toMatch(/\| checkout \| [\d,]+ \| 0 \| 0\.00 ?%/);

  // The rows went to the results store by ref; histories (children included), the worker's logs, the report and
  // the campaign's result rows never saw them: only the ref did.
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const pool = testPool();
  try {
    const places = await campaignPlaces({
      client: new Client({ connection }),
      workflowId: id,
      logs: worker.logs(),
      reportDir: last.reportDir,
      pool,
    });
    const secrets = Object.fromEntries([...accounts].map(([email, pw]) => [email, pw]));
    expect(secretsFound(places, secrets)).toEqual([]);
    const history = places
      .filter(([where]) => where.startsWith('history'))
      .map(([, t]) => t)
      .join('\n');
    expect(history).toMatch(/"?ref"?[^0-9a-f]{1,8}[0-9a-f]{64}|[0-9a-f]{64}/);
    const stored = await pool.query<{ row_count: number }>('SELECT row_count FROM scenario_data WHERE row_count = 300');
    expect(stored.rows.length).toBeGreaterThanOrEqual(1);
  } finally {
    await pool.end();
    await connection.close();
  }
}, 300_000);

test('when a campaign with a data file is started without a results database, then it exits 2 and nothing starts', async () => {
  writeFileSync(path.join(dir, 'accounts.csv'), csv);
  const file = path.join(dir, 'no-db.yaml');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'readiness/v1',
      name: 'no-db',
      target: { baseUrl: api.url },
      scenario: { ...JOURNEY_SCENARIO, data: { accounts: { file: 'accounts.csv' } } },
    }),
  );
  const id = `no-db-${uid()}`;
  const { DATABASE_URL: _db, ...noDb } = env;
  const r = await runCli(['start', file, '--id', id, '--data-dir', mkdtempSync(path.join(dir, 'empty-'))], {
    ...noDb,
    DATABASE_URL: '',
  });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('scenario.data: data files are stored in the results database');
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  try {
    await expect(new Client({ connection }).workflow.getHandle(id).describe()).rejects.toThrow(/not found/i);
  } finally {
    await connection.close();
  }
});
