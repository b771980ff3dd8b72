/**
 * `stress.window` / `spike.window`: steps sleep durably until the run window opens. Hours of waiting are
 * skipped by the Java time-skipping test server (installed by scripts/install-test-server.sh); the load
 * itself is real, against a loopback target.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { validateCampaign } from '../../src/config/load';
import { buildReport } from '../../src/report/model';
import { renderMarkdown } from '../../src/report/markdown';
import type { SpikeResult, StressResult } from '../../src/core/stress';
import { insideWindow, zoneOffsetMs, type RunWindow } from '../../src/core/window';
import { cacheBinDir } from '../../src/infra/paths';
import { ResultsStore } from '../../src/infra/results-store';
import { spikeWorkflow, stressWorkflow } from '../../src/workflows';
import { createReadinessWorker, type ReadinessWorker } from '../../src/worker';
import { quietLogger, testEnv, testPool, uid } from '../helpers/env';
import { startCapacityServer } from '../helpers/target';

const SERVER = path.join(cacheBinDir(), 'temporal-test-server');
const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let worker: ReadinessWorker;
let running: Promise<void>;
let target: Awaited<ReturnType<typeof startCapacityServer>>;
const taskQueue = `window-${uid()}`;
const pool = testPool();
const store = new ResultsStore(pool);

/** Runs the stress child on its own; it returns a summary, the whole result is in the store. */
async function runStress(input: { campaignId: string }): Promise<StressResult> {
  await env.client.workflow.execute(stressWorkflow, {
    args: [input as Parameters<typeof stressWorkflow>[0]],
    taskQueue,
    workflowId: `${input.campaignId}-stress`,
  });
  return (
    await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
      input.campaignId,
      'stress',
    ])
  ).rows[0].result as StressResult;
}

beforeAll(async () => {
  if (!existsSync(SERVER))
    throw new Error(`${SERVER} is missing: run scripts/install-test-server.sh (Java 17 + Maven)`);
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: SERVER } },
  });
  worker = await createReadinessWorker({
    address: env.address,
    namespace: 'default',
    databaseUrl: testEnv.databaseUrl,
    reportRoot: mkdtempSync(path.join(testEnv.dir, 'window-reports-')),
    logger: quietLogger(),
    taskQueue,
    allowedHosts: ['loopback'],
  });
  running = worker.run();
  target = await startCapacityServer(8, 2, 1_000);
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await worker?.close();
  await env?.teardown();
  await target?.close();
  await pool.end();
});

/** "HH:MM" of the local time in `tz`, `aheadMs` after `nowMs`. */
function localClock(nowMs: number, aheadMs: number, tz: string): string {
  const local = new Date(nowMs + aheadMs + zoneOffsetMs(nowMs + aheadMs, tz));
  return `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
}

async function newCampaign(extra: Record<string, unknown>) {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `window-${uid()}`,
    target: { baseUrl: target.url },
    scenario: {
      thinkTime: '20ms',
      requestTimeout: '2s',
      requests: [{ name: 'get-goal', method: 'GET', path: '/goals/1' }],
    },
    settings: { heartbeatTimeout: '10s' },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const campaignId = `window-${uid()}`;
  await store.upsertCampaign({
    campaignId,
    campaign: r.campaign,
    configHash: 'test',
    startedAt: new Date().toISOString(),
  });
  return { campaignId, campaign: r.campaign };
}

describe('run windows on the time-skipping server', () => {
  test('when stress starts outside its window, then it sleeps durably until the window opens and every step starts inside it', async () => {
    const now = await env.currentTimeMs();
    // Opens in about three hours, Berlin wall-clock time, for an hour.
    const window: RunWindow = {
      start: localClock(now, 3 * HOUR, 'Europe/Berlin'),
      end: localClock(now, 4 * HOUR, 'Europe/Berlin'),
      timezone: 'Europe/Berlin',
    };
    const input = await newCampaign({
      stress: { startUsers: 2, stepUsers: 2, maxUsers: 4, stepDuration: '2s', stopWhen: ['error_rate>0.5'], window },
    });
    const realStart = Date.now();
    const result = await runStress(input);
    const realS = (Date.now() - realStart) / 1000;

    expect(result.waits).toHaveLength(1);
    const wait = result.waits![0]!;
    expect(wait).toMatchObject({ before: 'step 1', reason: 'closed' });
    // Three hours less the seconds to the next whole minute.
    expect(wait.waitedS).toBeGreaterThan(3 * 3600 - 61);
    expect(wait.waitedS).toBeLessThanOrEqual(3 * 3600);
    expect(result.steps.map((s) => [s.level, s.status])).toEqual([
      [2, 'pass'],
      [4, 'pass'],
    ]);
    for (const s of result.steps) expect(insideWindow(Date.parse(s.startedAt!), window)).toBe(true);
    expect(Date.parse(result.steps[0]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(wait.until));
    expect(result.steps.every((s) => s.requests > 0)).toBe(true);
    // The hours were skipped, not slept.
    expect(realS).toBeLessThan(90);
    const md = renderMarkdown(
      buildReport(
        {
          campaign: {
            id: input.campaignId,
            name: input.campaign.name,
            target: target.url,
            configHash: 'test',
            startedAt: wait.from,
          },
          phases: {
            baseline: { status: 'not_run' },
            stress: { status: 'pass' },
            spike: { status: 'not_run' },
            monitoring: { status: 'not_run' },
            backup: { status: 'not_run' },
            faults: { status: 'not_run' },
            checklist: { status: 'not_run' },
          },
          baseline: { thresholds: [], phases: [] },
          stress: result,
        },
        wait.until,
      ),
    );
    expect(md).toMatch(
      /- Waited 2 h 5\d min before step 1 for the run window \(outside it\)|- Waited 3 h 0 min before step 1 for the run window \(outside it\)/,
    );
  });

  test('when the window is already open and the step fits, then the step starts at once', async () => {
    const now = await env.currentTimeMs();
    const window: RunWindow = {
      start: localClock(now, -60_000, 'UTC'),
      end: localClock(now, 25 * 60_000, 'UTC'),
      timezone: 'UTC',
    };
    const input = await newCampaign({
      stress: { startUsers: 2, stepUsers: 2, maxUsers: 2, stepDuration: '2s', stopWhen: ['error_rate>0.5'], window },
    });
    const result = await runStress(input);
    expect(result.waits).toBeUndefined();
    expect(result.steps).toHaveLength(1);
    expect(Math.abs(Date.parse(result.steps[0]!.startedAt!) - now)).toBeLessThan(60_000);
  });

  test('when an abort arrives during the wait, then the wait ends at once and no step runs', async () => {
    const now = await env.currentTimeMs();
    const window: RunWindow = {
      start: localClock(now, 5 * HOUR, 'UTC'),
      end: localClock(now, 6 * HOUR, 'UTC'),
      timezone: 'UTC',
    };
    const input = await newCampaign({
      stress: { startUsers: 2, stepUsers: 2, maxUsers: 4, stepDuration: '2s', window },
    });
    const handle = await env.client.workflow.start(stressWorkflow, {
      args: [input],
      taskQueue,
      workflowId: `${input.campaignId}-stress`,
    });
    // Wait (without skipping time) until the workflow says it is waiting for the window.
    for (let i = 0; i < 100; i++) {
      if (/waiting for the window/.test(await handle.query<string>('step'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await handle.query<string>('step')).toMatch(
      /^step 1: waiting for the window \d\d:\d\d-\d\d:\d\d UTC, opens /,
    );
    await handle.signal('abort', { reason: 'test', by: 'jest' });
    const returned = await handle.result();
    expect(returned.stepCount).toBe(0);
    const result = (
      await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
        input.campaignId,
        'stress',
      ])
    ).rows[0].result as StressResult;
    expect(result.summary.stoppedBecause).toBe('aborted');
    expect(result.steps).toEqual([]);
    expect(result.waits![0]!.waitedS).toBeLessThan(3600);
  });

  test('when the spike has a window, then its baseline, spike and recovery all run after the window opens', async () => {
    const now = await env.currentTimeMs();
    const window: RunWindow = {
      start: localClock(now, 2 * HOUR, 'Asia/Kolkata'),
      end: localClock(now, 3 * HOUR, 'Asia/Kolkata'),
      timezone: 'Asia/Kolkata',
    };
    const input = await newCampaign({
      spike: {
        users: 6,
        duration: '2s',
        baselineUsers: 2,
        baselineDuration: '2s',
        recovery: { within: '3s', windows: 1, window: '1s' },
        window,
      },
    });
    const result: SpikeResult = await env.client.workflow.execute(spikeWorkflow, {
      args: [input],
      taskQueue,
      workflowId: `${input.campaignId}-spike`,
    });
    expect(result.waits![0]).toMatchObject({ before: 'spike', reason: 'closed' });
    expect(result.waits![0]!.waitedS).toBeGreaterThan(2 * 3600 - 61);
    expect(result.baseline?.throughputRps).toBeGreaterThan(0);
    expect(result.recovered).toBe(true);
  });
});
