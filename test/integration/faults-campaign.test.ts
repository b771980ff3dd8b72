/**
 * The faults phase's dependency benchmarks through the campaign workflow, against a real Redis and a real Postgres:
 * every operation measured with its percentiles and throughput and judged against the seeds' targets, nothing left
 * behind (the scratch table dropped, the keys deleted), and a dependency off the allowlist refused before any
 * connection, as an error that is never a pass.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import Redis from 'ioredis';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { reportSchema } from '../../src/report/schema';
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
  } = await startInProcessWorker('faults', { secretEnv: ['DEP_REDIS_URL', 'DEP_PG_URL', 'DEP_FAR_URL'] }));
  redis = await startRedis(mkdtempSync(path.join(testEnv.dir, 'redis-dep-')), 'aof');
});

afterAll(async () => {
  await stopWorker();
  await redis.stop();
  await pool.end();
});

test('when a campaign benchmarks its Redis and its database, then each operation has percentiles, throughput and a verdict, and nothing is left behind', async () => {
  process.env.DEP_REDIS_URL = redis.url;
  process.env.DEP_PG_URL = testEnv.databaseUrl;
  process.env.DEP_FAR_URL = 'redis://10.255.255.1:6379';
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `faults-${uid()}`,
    target: { baseUrl: 'http://127.0.0.1:9' },
    scenario: { requests: [{ name: 'home', method: 'GET', path: '/' }] },
    faults: {
      dependencies: [
        { name: 'cache', kind: 'redis', connection: { fromEnv: 'DEP_REDIS_URL' }, operations: 500 },
        // An impossible target: the judgement must be able to fail.
        {
          name: 'db',
          kind: 'postgres',
          connection: { fromEnv: 'DEP_PG_URL' },
          operations: 300,
          targets: { read: { meanMs: 50 }, write: { meanMs: 0.001 } },
        },
        { name: 'far', kind: 'redis', connection: { fromEnv: 'DEP_FAR_URL' }, operations: 10 },
      ],
    },
    checklist: {
      items: [
        {
          id: 'perf.dependencies',
          title: 'Dependencies within their targets',
          category: 'Performance',
          severity: 'P2',
          automated: { check: 'faults.dependencies.*' },
        },
        {
          id: 'perf.far-get',
          title: 'Far GET',
          category: 'Performance',
          severity: 'P3',
          automated: { check: 'faults.dependencies.far.get' },
        },
        {
          id: 'perf.cache-get',
          title: 'Cache GET',
          category: 'Performance',
          severity: 'P3',
          automated: { check: 'faults.dependencies.cache.get' },
        },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  expect(result.phases.faults.status).toBe('error');
  const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
  expect(reportSchema.safeParse(report).error).toBeUndefined();
  const all = report.faults.dependencies as Array<
    Record<string, unknown> & { name: string; status: string; dependency: string }
  >;
  // The unreachable one: an error row for each of its operations, so evidence bound to one of them is an error too.
  expect(all.filter((x) => x.dependency === 'far').map((x) => [x.name, x.status])).toEqual([
    ['far.ping', 'error'],
    ['far.set', 'error'],
    ['far.get', 'error'],
    ['far.pubsub', 'error'],
  ]);
  const rows = all.filter((x) => x.dependency !== 'far');
  expect(rows.map((x) => x.name)).toEqual([
    'cache.ping',
    'cache.set',
    'cache.get',
    'cache.pubsub',
    'db.read',
    'db.write',
  ]);
  for (const row of rows) {
    expect(row).toMatchObject({ errors: 0, operations: expect.any(Number) });
    const p50 = row.p50Ms as number;
    const p95 = row.p95Ms as number;
    const p99 = row.p99Ms as number;
    expect(p50).toBeGreaterThan(0);
    expect(p50 <= p95 && p95 <= p99).toBe(true);
    expect(row.opsPerS as number).toBeGreaterThan(0);
  }
  expect(rows.find((x) => x.name === 'cache.ping')!.operations).toBe(500);
  expect(rows.find((x) => x.name === 'db.write')).toMatchObject({
    status: 'fail',
    reasons: [expect.stringMatching(/^mean .* ms, target < 0.001 ms$/)],
  });
  // Off the allowlist: refused before connecting, an error (never a pass), named in the report.
  expect(report.faults.errors).toEqual([
    { dependency: 'far', error: expect.stringContaining('faults.dependencies[2].connection') },
  ]);
  const status = (id: string) => report.checklist.items.find((i: { id: string }) => i.id === id).status;
  expect([status('perf.dependencies'), status('perf.far-get'), status('perf.cache-get')]).toEqual([
    'error',
    'error',
    'pass',
  ]);
  expect(readFileSync(path.join(result.reportDir, 'report.md'), 'utf8')).toContain('## Failure scenarios');
  expect(readFileSync(path.join(result.reportDir, 'report.html'), 'utf8')).toContain('<section id="faults">');
  // Nothing left behind: no scratch table, no key.
  const tables = await pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'readiness_bench_%'`);
  expect(tables.rows).toEqual([]);
  const probe = new Redis(redis.url);
  try {
    expect(await probe.keys('readiness:bench:*')).toEqual([]);
  } finally {
    probe.disconnect();
  }
});

test('when the campaign is aborted during a dependency benchmark, then it stops within seconds and drops its scratch table', async () => {
  process.env.DEP_PG_URL = testEnv.databaseUrl;
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `faults-abort-${uid()}`,
    target: { baseUrl: 'http://127.0.0.1:9' },
    scenario: { requests: [{ name: 'home', method: 'GET', path: '/' }] },
    faults: {
      dependencies: [
        { name: 'db', kind: 'postgres', connection: { fromEnv: 'DEP_PG_URL' }, operations: 100_000, concurrency: 1 },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const tables = async () =>
    (await pool.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'readiness_bench_%'`)).rows.map(
      (x) => x.tablename as string,
    );
  const deadline = Date.now() + 60_000;
  while (!(await tables()).length) {
    if (Date.now() > deadline) throw new Error('the benchmark never created its scratch table');
    await new Promise((res) => setTimeout(res, 50));
  }
  const abortedAt = Date.now();
  await handle.signal('abort', { by: 'carol', reason: 'stop the benchmark' });
  const result = await handle.result();
  expect(Date.now() - abortedAt).toBeLessThan(15_000);
  expect(result.phases.faults).toMatchObject({ status: 'aborted' });
  expect(await tables()).toEqual([]);
});
