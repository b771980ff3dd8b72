/**
 * The checks that protect targets hold whatever starts a campaign: the CLI (covered elsewhere), a direct
 * workflow start from an SDK client (no CLI validation at all), and a hand-made Temporal Schedule. The
 * workflow validates its own input; the worker enforces its host allowlist and its load caps.
 */
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CAMPAIGN_WORKFLOW } from '../../src/core/names';
import type { CampaignResult } from '../../src/core/types';
import { testPool, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { delayed, startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
const pool = testPool();
const CAP_USERS = 20;
/** What each entry point did with input that must be refused, for docs/reliability.md. */
const refused: Record<string, string> = {};

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('entry', { maxUsers: CAP_USERS }));
});

afterAll(async () => {
  if (Object.keys(refused).length === 4) {
    recordFigures('entry-points', {
      scenario:
        'Invalid input, a host off the allowlist and users over the cap, started without the CLI (SDK, hand-made schedule)',
      test: 'test/integration/entry-points.test.ts',
      figures: refused,
    });
  }
  await stopWorker();
  await pool.end();
});

/** Starts the campaign workflow the way any SDK client could: raw input, no CLI in between. */
function startDirect(campaign: Record<string, unknown>) {
  const campaignId = `direct-${uid()}`;
  return client.workflow.start(CAMPAIGN_WORKFLOW, {
    taskQueue,
    workflowId: campaignId,
    args: [{ campaignId, campaign, configHash: 'direct' }],
  });
}

const base = (baseUrl: string) => ({
  apiVersion: 'readiness/v1',
  name: `direct-${uid()}`,
  target: { baseUrl },
  scenario: { thinkTime: '20ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
});

test('when a campaign is started directly with invalid input, then the workflow fails at once naming every problem, and nothing runs', async () => {
  const handle = await startDirect({
    ...base('http://127.0.0.1:9'),
    baseline: { phases: [{ name: 'p', users: -5, duration: 'soon' }] },
    surprise: true,
  });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('InvalidCampaign');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toContain('baseline.phases[0].users: ');
  expect(cause.message).toContain('baseline.phases[0].duration: ');
  expect(cause.message).toContain('surprise: unknown field');
  const history = await handle.fetchHistory();
  expect(history.events!.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  expect((await pool.query('SELECT 1 FROM campaigns WHERE id = $1', [handle.workflowId])).rowCount).toBe(0);
  refused.directInvalid = 'InvalidCampaign, 0 activities';
});

test("when a campaign started directly targets a host off the worker's allowlist, then no request is sent and it ends NO_GO saying why", async () => {
  const handle = await startDirect({
    ...base('http://192.0.2.10:8080'),
    baseline: { phases: [{ name: 'p', users: 2, duration: '2s' }] },
  });
  const result = (await handle.result()) as CampaignResult;
  expect(result.decision).toBe('NO_GO');
  expect(result.phases.baseline.status).toBe('error');
  expect(result.phases.baseline.reason).toMatch(/host "192\.0\.2\.10" is not on this worker's allowlist/);
  refused.directOffAllowlist = 'NO_GO, 0 requests';
});

test('when a campaign started directly asks for more users than the worker allows, then baseline and stress refuse before any load', async () => {
  const paths: string[] = [];
  const target = await startTarget((req, res) => {
    paths.push(req.url ?? '');
    delayed(2)(req, res);
  });
  try {
    const handle = await startDirect({
      ...base(target.url),
      baseline: { phases: [{ name: 'big', users: CAP_USERS * 5, duration: '2s' }] },
      stress: { startUsers: CAP_USERS * 2, stepUsers: 10, stepDuration: '2s', maxUsers: CAP_USERS * 4 },
    });
    const result = (await handle.result()) as CampaignResult;
    expect(result.phases.baseline).toEqual({
      status: 'error',
      reason: expect.stringContaining(`${CAP_USERS * 5} users / `),
    });
    expect(result.phases.baseline.reason).toContain(`exceeds this worker's caps (${CAP_USERS} users`);
    expect(result.phases.stress.status).toBe('error');
    expect(result.phases.stress.reason).toContain(`exceeds this worker's caps (${CAP_USERS} users`);
    // Only the health probe of the base URL reached the target; no load request (path /x) was sent.
    expect(paths.filter((p) => p === '/x')).toEqual([]);
    refused.directOverCaps = `baseline and stress refused, ${paths.filter((p) => p === '/x').length} load requests`;
  } finally {
    await target.close();
  }
});

test('when a hand-made Schedule starts a campaign against a host off the allowlist, then the scheduled run refuses it the same way', async () => {
  const scheduleId = `entry-${uid()}`;
  const handle = await client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '365 days' }] },
    state: { paused: true },
    action: {
      type: 'startWorkflow',
      workflowType: CAMPAIGN_WORKFLOW,
      taskQueue,
      workflowId: scheduleId,
      args: [
        {
          campaignId: scheduleId,
          campaign: { ...base('http://192.0.2.11'), baseline: { phases: [{ name: 'p', users: 2, duration: '2s' }] } },
          configHash: 'schedule',
        },
      ],
    },
  });
  try {
    await handle.trigger();
    let runId: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!runId) {
      if (Date.now() > deadline) throw new Error('the schedule did not start a run');
      runId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!runId) await new Promise((r) => setTimeout(r, 200));
    }
    const result = (await client.workflow.getHandle(runId).result()) as CampaignResult;
    expect(result.decision).toBe('NO_GO');
    expect(result.phases.baseline.reason).toMatch(/host "192\.0\.2\.11" is not on this worker's allowlist/);
    refused.scheduleOffAllowlist = 'NO_GO, 0 requests';
  } finally {
    await handle.delete();
  }
});
