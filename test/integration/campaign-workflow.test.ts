/**
 * The campaign workflow on a real Temporal dev server, with a real worker, real Postgres and real
 * HTTP targets on loopback.
 */
import { reportSchema } from '../../src/report/schema';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { demoCampaign } from '../../src/config/defaults';
import { validateCampaign } from '../../src/config/load';
import type { Campaign, CampaignFileInput } from '../../src/config/schema';
import { SA_PHASE, SA_SCORE, SA_TARGET, SA_VERDICT } from '../../src/core/names';
import type { CampaignProgress } from '../../src/core/types';
import { startDemoTarget } from '../../src/demo/target-server';
import { testEnv, testPool, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
const pool = testPool();

function campaign(baseUrl: string, over: Partial<CampaignFileInput> = {}): Campaign {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `wf-${uid()}`,
    target: { baseUrl },
    scenario: { thinkTime: '10ms', requestTimeout: '1s', requests: [{ name: 'get', method: 'GET', path: '/thing' }] },
    baseline: {
      phases: [
        { name: 'smoke', users: 4, duration: '2s' },
        { name: 'normal', users: 8, duration: '2s' },
      ],
      thresholds: ['p(95)<500', 'error_rate<0.01'],
    },
    settings: { heartbeatTimeout: '5s' },
    ...over,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.campaign;
}

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('wf-test'));
});

afterAll(async () => {
  await stopWorker();
  await pool.end();
});

describe('readinessCampaignWorkflow', () => {
  test('when the target is healthy, then baseline passes, results are stored once, the report is written and the UI attributes are set', async () => {
    const target = await startTarget(delayed(5));
    try {
      const handle = await startCampaign(client, campaign(target.url), { taskQueue });
      const seen = new Set<string>();
      const poll = setInterval(() => {
        handle
          .query<CampaignProgress>('progress')
          .then((p) => seen.add(`${p.phase}:${p.step ?? ''}`))
          .catch(() => undefined);
      }, 200);
      const result = await handle.result().finally(() => clearInterval(poll));

      expect(result.phases.baseline).toEqual({ status: 'pass', reason: '2 phases within thresholds' });
      expect(result.phases.stress.status).toBe('not_run');
      // Fail closed: the checklist's manual items nobody attested and the phases not configured earn nothing.
      expect(result.decision).toBe('NO_GO');
      expect(result.scorePct).toBeGreaterThan(0);
      expect(result.scorePct).toBeLessThan(30);
      expect(seen.has('baseline:smoke') || seen.has('baseline:normal')).toBe(true);

      const rows = await pool.query(
        'SELECT phase_name, result FROM baseline_results WHERE campaign_id = $1 ORDER BY ordinal',
        [handle.workflowId],
      );
      expect(rows.rows.map((r) => r.phase_name)).toEqual(['smoke', 'normal']);
      const smoke = rows.rows[0].result;
      expect(smoke.requests).toBeGreaterThan(50);
      expect(smoke.requests).toBe(target.requests() - rows.rows[1].result.requests);
      expect(smoke.latencyMs.p50).toBeGreaterThanOrEqual(5);
      expect(smoke.latencyMs.p50).toBeLessThan(50);
      expect(smoke.statusCounts).toEqual({ 200: smoke.requests });

      const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
      expect(report.schemaVersion).toBe(2);
      expect(reportSchema.safeParse(report).error).toBeUndefined();
      expect(report.verdict).toMatchObject({ decision: 'NO_GO', scorePct: result.scorePct });
      expect(report.checklist.items.find((i: { id: string }) => i.id === 'perf.baseline')).toMatchObject({
        status: 'pass',
        evidence: { source: 'phase.baseline' },
      });
      expect(report.checklist.items.find((i: { id: string }) => i.id === 'ops.on-call')).toMatchObject({
        status: 'not_run',
        kind: 'manual',
      });
      expect(report.categories.map((c: { name: string }) => c.name)).toEqual([
        'Infrastructure',
        'Security',
        'Performance',
        'Monitoring',
        'Backup/Recovery',
        'Documentation',
        'Operations',
      ]);
      expect(report.baseline.phases).toHaveLength(2);
      expect(report.phases.backup).toEqual({
        status: 'not_run',
        reason: 'no backup section in the campaign file (counts against readiness)',
      });
      expect(report.phases.checklist).toEqual({
        status: 'fail',
        reason: expect.stringMatching(/^\d+ of \d+ manual items neither attested nor waived$/),
      });
      expect(readFileSync(path.join(result.reportDir, 'report.md'), 'utf8')).toContain(
        '| Test | Users | P50 | P95 | P99 | Max | req/s | Errors | Assessment |',
      );

      const desc = await handle.describe();
      expect(desc.typedSearchAttributes.get(SA_VERDICT)).toBe('NO_GO');
      expect(desc.typedSearchAttributes.get(SA_PHASE)).toBe('done');
      expect(desc.typedSearchAttributes.get(SA_SCORE)).toBe(result.scorePct);
      expect(desc.typedSearchAttributes.get(SA_TARGET)).toBe(target.url);
    } finally {
      await target.close();
    }
  });

  test('when the target answers errors, then the phase fails its thresholds and the campaign names them', async () => {
    const target = await startTarget((_req, res, n) => res.writeHead(n % 3 === 0 ? 500 : 200).end('x'));
    try {
      const result = await (await startCampaign(client, campaign(target.url), { taskQueue })).result();
      expect(result.phases.baseline.status).toBe('fail');
      expect(result.phases.baseline.reason).toMatch(/smoke: error_rate<0\.01 \(observed 0\.3\d*\)/);
      expect(result.verdict.blockers).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^P1 perf\.baseline \(Baseline load phases within thresholds\): fail; fail: smoke: error_rate<0\.01/,
          ),
        ]),
      );
    } finally {
      await target.close();
    }
  });

  test('when the target is unreachable, then baseline is an error with a clear reason and no load runs', async () => {
    const target = await startTarget(delayed(1));
    const url = target.url;
    await target.close();
    const started = Date.now();
    const handle = await startCampaign(client, campaign(url), { taskQueue });
    const result = await handle.result();
    expect(result.phases.baseline).toEqual({
      status: 'error',
      reason: expect.stringMatching(
        /^target unreachable \(3 probes, 5 s apart\): http:.*: connection refused \(ECONNREFUSED\)$/,
      ),
    });
    expect(result.decision).toBe('NO_GO');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(
      (await pool.query('SELECT count(*)::int AS n FROM baseline_results WHERE campaign_id = $1', [handle.workflowId]))
        .rows[0].n,
    ).toBe(0);
  });

  test('when the target host is not on the worker allowlist, then nothing is sent and the reason says so', async () => {
    const result = await (await startCampaign(client, campaign('http://example.invalid:8080'), { taskQueue })).result();
    expect(result.phases.baseline.status).toBe('error');
    expect(result.phases.baseline.reason).toMatch(/not on this worker's allowlist/);
  });

  test('when the campaign is aborted mid-phase, then load stops within seconds and it ends NO_GO with the partial result', async () => {
    const target = await startTarget(delayed(5));
    try {
      const c = campaign(target.url, {
        baseline: {
          phases: [
            { name: 'long', users: 4, duration: '60s' },
            { name: 'never', users: 4, duration: '60s' },
          ],
          thresholds: [],
        },
      });
      const handle = await startCampaign(client, c, { taskQueue });
      await waitUntil(async () => target.requests() > 20);
      const abortedAt = Date.now();
      await handle.signal('abort', { by: 'alice', reason: 'wrong build' });
      const result = await handle.result();
      expect(Date.now() - abortedAt).toBeLessThan(10_000);
      expect(result.decision).toBe('NO_GO');
      expect(result.verdict.blockers[0]).toBe('aborted by alice: wrong build');
      expect(result.phases.baseline).toEqual({
        status: 'aborted',
        reason: 'aborted by alice; 0 of 2 phases completed',
      });
      const rows = await pool.query('SELECT phase_name, result FROM baseline_results WHERE campaign_id = $1', [
        handle.workflowId,
      ]);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0].result.assessment).toBe('aborted');
      const settled = target.requests();
      await new Promise((r) => setTimeout(r, 500));
      expect(target.requests()).toBe(settled);
      expect(existsSync(path.join(result.reportDir, 'report.md'))).toBe(true);
    } finally {
      await target.close();
    }
  });

  test('when the demo campaign runs against the demo target, then its history stays under 1,000 events', async () => {
    const demo = await startDemoTarget({ databaseUrl: testEnv.databaseUrl, port: 0 });
    try {
      const handle = await startCampaign(client, demoCampaign(`http://127.0.0.1:${demo.port}`, 0.05), { taskQueue });
      const result = await handle.result();
      expect(result.phases.baseline.status).toMatch(/pass|fail/);
      const history = await handle.fetchHistory();
      const events = history.events?.length ?? 0;
      expect(events).toBeGreaterThan(10);
      expect(events).toBeLessThan(1000);
      const results = path.join(__dirname, '..', '..', 'test-results');
      mkdirSync(results, { recursive: true });
      writeFileSync(path.join(results, 'demo-history.json'), `${JSON.stringify({ events, phases: 4 })}\n`);
    } finally {
      await demo.close();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
