/**
 * A worker upgraded in the middle of a campaign. Build A (this repository's workflow bundle) runs the campaign;
 * it is stopped in the middle of a baseline phase, as a deploy does; build B (the same code with one change to the
 * campaign workflow, guarded with `patched()` as the project guards every change) takes over. The campaign ends with
 * the verdict of an undisturbed run on build A, build B's change ran for the rest of the campaign, and the same
 * change without the guard (build C) cannot replay the history: why every change is patched.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Client, Connection } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { createReadinessWorker } from '../../src/worker';
import { quietLogger, testEnv, testPool, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startTarget } from '../helpers/target';

const ROOT = path.join(__dirname, '..', '..');
const BUILD_DIR = path.join(ROOT, 'test-results', `upgrade-builds-${process.pid}`);

/** A copy of the compiled code with `edit` applied to the campaign workflow, bundled like `npm run build` does. */
async function buildWith(name: string, edit: (source: string) => string): Promise<string> {
  const dist = path.join(BUILD_DIR, name, 'dist');
  mkdirSync(path.dirname(dist), { recursive: true });
  cpSync(path.join(ROOT, 'dist'), dist, { recursive: true });
  const file = path.join(dist, 'workflows', 'campaign.js');
  const source = readFileSync(file, 'utf8');
  const edited = edit(source);
  expect(edited).not.toBe(source);
  writeFileSync(file, edited);
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.join(dist, 'workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  return code;
}

const SCORING = "    enter('scoring');";
/** Build B's change: a pause before scoring, guarded, so histories recorded by build A replay. */
const GUARDED = (s: string) =>
  s.replace(
    SCORING,
    `    if ((0, workflow_1.patched)('rollout-test-build-b')) await (0, workflow_1.sleep)(10);\n${SCORING}`,
  );
/** The same change without the guard. */
const UNGUARDED = (s: string) => s.replace(SCORING, `    await (0, workflow_1.sleep)(10);\n${SCORING}`);

afterAll(() => rmSync(BUILD_DIR, { recursive: true, force: true }));

test('when the worker is upgraded to a build with a patched change in the middle of a campaign, then the campaign completes on the new build with the verdict of an undisturbed run', async () => {
  const [codeB, codeC] = [await buildWith('b', GUARDED), await buildWith('c', UNGUARDED)];
  const target = await startTarget((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  );
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  const pool = testPool();
  const worker = async (taskQueue: string, workflowBundle?: { code: string }) => {
    const w = await createReadinessWorker({
      address: testEnv.temporalAddress,
      namespace: 'default',
      databaseUrl: testEnv.databaseUrl,
      reportRoot: path.join(testEnv.dir, `upgrade-${taskQueue}`),
      logger: quietLogger(),
      taskQueue,
      allowedHosts: ['loopback'],
      ...(workflowBundle ? { workflowBundle } : {}),
    });
    const running = w.run();
    return { stop: async () => (w.shutdown(), await running, await w.close()) };
  };
  const campaignNamed = (name: string) => {
    const v = validateCampaign({
      apiVersion: 'readiness/v1',
      name,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '50ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      baseline: {
        phases: [
          { name: 'smoke', users: 2, duration: '2s' },
          { name: 'normal', users: 5, duration: '8s' },
        ],
        thresholds: ['error_rate<0.01'],
      },
    });
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    return v.campaign;
  };
  const tag = uid();
  const [queueA, queueRef] = [`upgrade-a-${uid()}`, `upgrade-ref-${uid()}`];
  const ref = await worker(queueRef);
  let a = await worker(queueA);
  let b: { stop(): Promise<void> } | undefined;
  try {
    const [upgraded, undisturbed] = await Promise.all([
      startCampaign(client, campaignNamed(`upgrade-${tag}`), { taskQueue: queueA }),
      startCampaign(client, campaignNamed(`undisturbed-${tag}`), { taskQueue: queueRef }),
    ]);
    // Deploy: build A stops 3 s into the `normal` phase (its load is cancelled and retried from its checkpoint).
    const deadline = Date.now() + 60_000;
    while (
      (
        await pool.query(
          `SELECT count(*)::int AS n FROM load_timeline WHERE campaign_id = $1 AND phase_name = 'normal'`,
          [upgraded.workflowId],
        )
      ).rows[0].n < 3
    ) {
      if (Date.now() > deadline) throw new Error('the normal phase never started');
      await new Promise((r) => setTimeout(r, 200));
    }
    const stoppedAt = Date.now();
    await a.stop();
    a = { stop: async () => undefined };
    b = await worker(queueA, { code: codeB });
    const [r1, r0] = await Promise.all([upgraded.result(), undisturbed.result()]);
    expect({ decision: r1.decision, scorePct: r1.scorePct, baseline: r1.phases.baseline.status }).toEqual({
      decision: r0.decision,
      scorePct: r0.scorePct,
      baseline: r0.phases.baseline.status,
    });
    const items = async (id: string) =>
      (await pool.query(`SELECT verdict FROM campaigns WHERE id = $1`, [id])).rows[0].verdict.blockers;
    expect(await items(upgraded.workflowId)).toEqual(await items(undisturbed.workflowId));
    // Build B's change ran after the upgrade: its patch marker is in the history; build A's part replayed under it.
    const history = await upgraded.fetchHistory();
    const markers = (history.events ?? []).flatMap((e) => {
      const details = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return details ? [Buffer.from(details).toString('utf8')] : [];
    });
    expect(markers.some((m) => m.includes('rollout-test-build-b'))).toBe(true);
    // The unguarded change cannot replay that history: a worker running it would fail every workflow task.
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code: codeC } }, history, upgraded.workflowId),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
    recordFigures('worker-upgrade', {
      scenario: 'A worker upgraded mid-phase to a build with a patched workflow change (build A -> build B)',
      test: 'test/e2e/upgrade.test.ts',
      figures: {
        sameVerdict: `${r1.decision} = ${r0.decision}`,
        upgradedAfterS: Math.round((stoppedAt - Date.parse(r1.startedAt)) / 100) / 10,
        buildBPatchRecorded: true,
        unguardedReplay: 'DeterminismViolationError',
      },
    });
  } finally {
    await Promise.all([a.stop(), b?.stop(), ref.stop()]);
    await pool.end();
    await connection.close();
    await target.close();
  }
}, 240_000);
