/**
 * Approval gates on the time-skipping test server: a gate that nobody decides times out after 48 hours of
 * workflow time in seconds of real time; approve (through the CLI) and reject are updates with validators.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { CampaignProgress, CampaignResult } from '../../src/core/types';
import { cacheBinDir } from '../../src/infra/paths';
import { SEARCH_ATTRIBUTES } from '../../src/core/names';
import { temporal } from '@temporalio/proto';
import { createReadinessWorker, type ReadinessWorker } from '../../src/worker';
import { runCli } from '../helpers/cli';
import { quietLogger, testEnv, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';

const SERVER = path.join(cacheBinDir(), 'temporal-test-server');
const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let worker: ReadinessWorker;
let running: Promise<void>;
let target: Awaited<ReturnType<typeof startTarget>>;
const taskQueue = `gates-${uid()}`;

beforeAll(async () => {
  if (!existsSync(SERVER))
    throw new Error(`${SERVER} is missing: run scripts/install-test-server.sh (Java 17 + Maven)`);
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: SERVER } },
  });
  // The campaign workflow upserts its search attributes, as `readiness dev` registers them.
  // (The Java test server implements AddSearchAttributes but not ListSearchAttributes.)
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((sa) => [
        sa.name,
        sa.type === 'Double' ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE : KEYWORD,
      ]),
    ),
  });
  worker = await createReadinessWorker({
    address: env.address,
    namespace: 'default',
    databaseUrl: testEnv.databaseUrl,
    reportRoot: mkdtempSync(path.join(testEnv.dir, 'gates-reports-')),
    logger: quietLogger(),
    taskQueue,
    allowedHosts: ['loopback'],
  });
  running = worker.run();
  target = await startTarget(delayed(2));
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await worker?.close();
  await env?.teardown();
  await target?.close();
});

async function start(gates: unknown[]): Promise<WorkflowHandle> {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `gates-${uid()}`,
    target: { baseUrl: target.url },
    scenario: { thinkTime: '10ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
    baseline: { phases: [{ name: 'smoke', users: 2, duration: '2s' }] },
    checklist: {
      defaults: false,
      items: [
        {
          id: 'perf.smoke',
          title: 'Smoke',
          category: 'Performance',
          severity: 'P1',
          automated: { check: 'baseline.smoke' },
        },
      ],
    },
    gates,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return startCampaign(env.client, r.campaign, { id: `gates-${uid()}`, taskQueue });
}

async function waitingAtGate(handle: WorkflowHandle): Promise<CampaignProgress> {
  for (let i = 0; i < 200; i++) {
    const p = await handle.query<CampaignProgress>('progress');
    if (p.gates?.[0]?.state === 'waiting') return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the campaign never reached its gate');
}

describe('approval gates (time-skipping)', () => {
  test('when nobody decides a gate with onTimeout: skip, then after 48 h of workflow time the phase is skipped and the campaign goes on', async () => {
    const handle = await start([{ before: 'baseline', timeout: '48h', onTimeout: 'skip' }]);
    const t0 = await env.currentTimeMs();
    const real0 = Date.now();
    const result = (await handle.result()) as CampaignResult;
    expect((await env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(48 * HOUR);
    expect(Date.now() - real0).toBeLessThan(60_000);
    expect(result.phases.baseline).toEqual({
      status: 'not_run',
      reason: 'skipped: the approval gate before baseline timed out after 48h without a decision',
    });
    expect(result.decision).toBe('NO_GO');
  });

  test('when an approver approves through the CLI, then the gate opens and the phase runs; others and unknown gates are refused', async () => {
    const handle = await start([{ before: 'baseline', approvers: ['alice'], timeout: '48h' }]);
    const p = await waitingAtGate(handle);
    expect(p.step).toMatch(/^waiting for approval until .* \(approvers: alice\)$/);
    const cli = (args: string[]) => runCli([...args, '--address', env.address]);

    const notApprover = await cli(['approve', handle.workflowId, '--gate', 'baseline', '--by', 'bob']);
    expect(notApprover.code).toBe(2);
    expect(notApprover.stderr).toContain('bob is not an approver of the gate before baseline (approvers: alice)');
    const noGate = await cli(['approve', handle.workflowId, '--gate', 'stress', '--by', 'alice']);
    expect(noGate.code).toBe(2);
    expect(noGate.stderr).toContain('no gate before "stress" in this campaign (gates: baseline)');
    const status = await cli(['status', handle.workflowId]);
    expect(status.stdout).toMatch(/gate before baseline: waiting until \S+ \(then abort\); readiness approve/);

    const ok = await cli([
      'approve',
      handle.workflowId,
      '--gate',
      'baseline',
      '--by',
      'alice',
      '--note',
      'change window open',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('approved by alice');
    const again = await cli(['approve', handle.workflowId, '--gate', 'baseline', '--by', 'alice']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('the gate before baseline is already approved (by alice)');

    const result = (await handle.result()) as CampaignResult;
    expect(result.phases.baseline.status).toBe('pass');
    expect(result.decision).toBe('GO');
  });

  test('when a gate is rejected, then the campaign stops there and ends NO_GO saying who rejected it and why', async () => {
    const handle = await start([{ before: 'baseline', timeout: '48h' }]);
    await waitingAtGate(handle);
    await handle.executeUpdate('reject', { args: [{ gate: 'baseline', by: 'carol', reason: 'change freeze' }] });
    const result = (await handle.result()) as CampaignResult;
    expect(result.decision).toBe('NO_GO');
    expect(result.phases.baseline).toEqual({ status: 'aborted', reason: 'aborted by carol' });
    expect(result.verdict.blockers[0]).toBe('aborted by carol: rejected at the gate before baseline: change freeze');
  });

  test('when a gate times out with the default onTimeout, then the campaign is aborted by the timeout', async () => {
    const handle = await start([{ before: 'baseline', timeout: '2d' }]);
    const result = (await handle.result()) as CampaignResult;
    expect(result.decision).toBe('NO_GO');
    expect(result.verdict.blockers[0]).toBe(
      'aborted by gate timeout: the approval gate before baseline timed out after 2d without a decision',
    );
  });
});
