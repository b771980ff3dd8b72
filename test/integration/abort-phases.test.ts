/**
 * Aborting a campaign in each of its phases: baseline, a stress step, the spike, the monitoring probes and
 * the Postgres backup drill (during its restore). Each time the campaign ends cleanly within seconds, NO_GO
 * "aborted by ...", load against the target stops, the drill's scratch database is dropped, later phases do
 * not run, and the partial report says what ran. The five campaigns run side by side, each with its own target.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { BackupResult } from '../../src/core/backup';
import type { StressResult } from '../../src/core/stress';
import { PHASES, type CampaignProgress, type PhaseName } from '../../src/core/types';
import { testPool, uid } from '../helpers/env';
import { slowRestoreDb, withDb } from '../helpers/slow-restore';
import { recordFigures } from '../helpers/figures';
import { delayed, startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
let hanging: Server;
let hangingUrl: string;
let hangingHits = 0;
let sourceDb: string;
const pool = testPool();

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('abort', { secretEnv: ['ABORT_SOURCE_URL'] }));
  // A "Prometheus" that accepts requests and never answers: the monitoring phase is busy until its probe times out.
  hanging = createServer(() => {
    hangingHits++;
  });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
  // A source database whose restore takes seconds on any machine, so the abort surely lands inside pg_restore.
  sourceDb = await slowRestoreDb('abort', 4_000);
  process.env.ABORT_SOURCE_URL = withDb(sourceDb);
}, 120_000);

afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((r) => hanging.close(r));
  await stopWorker();
  await pool.end();
});

const scratchOf = (id: string) =>
  `readiness_drill_${id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(-40)}`;

async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Case = { phase: PhaseName; abortToEndMs: number; loadStoppedMs: number | null };

async function abortDuring(phase: PhaseName): Promise<Case> {
  const target = await startTarget(delayed(5));
  try {
    const r = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `abort-${phase}-${uid()}`,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '20ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      baseline: { phases: [{ name: 'normal', users: 3, duration: '4s' }], thresholds: ['error_rate<0.01'] },
      stress: { startUsers: 3, stepUsers: 3, stepDuration: '4s', maxUsers: 6 },
      spike: {
        users: 8,
        duration: '4s',
        baselineUsers: 2,
        baselineDuration: '2s',
        recovery: { within: '20s', windows: 2, window: '1s' },
      },
      monitoring: { prometheus: { url: hangingUrl } },
      backup: { postgres: { connection: { fromEnv: 'ABORT_SOURCE_URL' }, maxRestoreTime: '5m', rpoTarget: '1h' } },
      settings: { heartbeatTimeout: '5s' },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const handle = await startCampaign(client, r.campaign, { taskQueue });
    const id = handle.workflowId;
    const progress = () => handle.query<CampaignProgress>('progress');

    // Wait until the phase is really at work: load reaching the target, a probe hanging, pg_restore writing.
    const hitsBefore = hangingHits;
    await until(`${phase} at work`, async () => {
      if ((await progress()).phase !== phase) return false;
      if (phase === 'monitoring') return hangingHits > hitsBefore;
      if (phase === 'backup')
        return (
          (
            await pool.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'pg_restore' AND datname = $1`, [
              scratchOf(id),
            ])
          ).rowCount! > 0
        );
      const n = target.requests();
      await new Promise((res) => setTimeout(res, 300));
      return target.requests() > n + 10;
    });
    const abortedAt = Date.now();
    await handle.signal('abort', { by: 'carol', reason: `stop in ${phase}` });

    // Load stops: the last request the target saw, once it has been quiet for a second.
    let lastChange = abortedAt;
    let seen = target.requests();
    const watching = (async () => {
      while (Date.now() - lastChange < 1_000) {
        await new Promise((res) => setTimeout(res, 20));
        const now = target.requests();
        if (now !== seen) {
          seen = now;
          lastChange = Date.now();
        }
      }
    })();
    const result = await handle.result();
    const abortToEndMs = Date.now() - abortedAt;
    await watching;
    const loadPhase = phase === 'baseline' || phase === 'stress' || phase === 'spike';

    expect(result.decision).toBe('NO_GO');
    expect(result.verdict.blockers[0]).toBe(`aborted by carol: stop in ${phase}`);
    const at = PHASES.indexOf(phase);
    expect(result.phases[phase].status).toBe('aborted');
    for (const later of PHASES.slice(at + 1).filter((p) => p !== 'checklist')) {
      expect([later, result.phases[later].status]).toEqual([later, 'aborted']);
    }
    for (const earlier of PHASES.slice(0, at))
      expect([earlier, result.phases[earlier].status]).not.toEqual([earlier, 'aborted']);
    const report = readFileSync(path.join(result.reportDir, 'report.md'), 'utf8');
    expect(report).toContain('carol');
    expect(existsSync(path.join(result.reportDir, 'report.json'))).toBe(true);

    if (phase === 'backup') {
      expect((await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [scratchOf(id)])).rowCount).toBe(0);
      const stored = (
        await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [id, 'backup'])
      ).rows[0].result as BackupResult;
      expect(stored.drills[0]!.findings[0]!.message).toBe('aborted by carol during this drill');
      expect(stored.drills[0]!.status).not.toBe('pass');
      expect(result.phases.backup.reason).toBe('aborted by carol; 0 of 1 drills completed');
    }
    if (phase === 'stress') {
      // The continuous ramp stopped as aborted; a step cut inside its judged window is stored marked aborted
      // (one cut in its ramp has nothing judged to store), never as a whole step.
      const st = (
        await pool.query(`SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = 'stress'`, [id])
      ).rows[0].result as StressResult;
      expect(st.summary.stoppedBecause).toBe('aborted');
      const steps = await pool.query(
        `SELECT phase_name, aborted FROM load_slices WHERE campaign_id = $1 AND phase_name LIKE 'stress-%' ORDER BY phase_name`,
        [id],
      );
      const applied = await pool.query(
        `SELECT name FROM stress_levels WHERE campaign_id = $1 AND applied_at_ms IS NOT NULL AND NOT stop ORDER BY stage`,
        [id],
      );
      const current = applied.rows.at(-1)!.name as string;
      expect(steps.rows.filter((r) => r.aborted).map((r) => r.phase_name)).toEqual(
        steps.rows.some((r) => r.phase_name === current) ? [current] : [],
      );
    }
    expect(abortToEndMs).toBeLessThan(15_000);
    const loadStoppedMs = loadPhase ? lastChange - abortedAt : null;
    if (loadPhase) expect(loadStoppedMs).toBeLessThan(5_000);
    return { phase, abortToEndMs, loadStoppedMs };
  } finally {
    await target.close();
  }
}

test('when a campaign is aborted in any phase, then it ends cleanly within seconds, NO_GO, load stops, the scratch database is dropped and the report says what ran', async () => {
  const phases: PhaseName[] = ['baseline', 'stress', 'spike', 'monitoring', 'backup'];
  // allSettled: every campaign is waited for, even when one case fails (nothing left running after the test).
  const settled = await Promise.allSettled(phases.map((p) => abortDuring(p)));
  const failed = settled.flatMap((r, i) =>
    r.status === 'rejected' ? [`${phases[i]}: ${(r.reason as Error).message}`] : [],
  );
  expect(failed).toEqual([]);
  const cases = settled.map((r) => (r as PromiseFulfilledResult<Case>).value);
  recordFigures('abort-each-phase', {
    scenario: 'Campaign aborted during each phase (five campaigns side by side)',
    test: 'test/integration/abort-phases.test.ts',
    figures: Object.fromEntries(
      cases.flatMap((c) => [
        [`${c.phase}AbortToEndMs`, c.abortToEndMs],
        ...(c.loadStoppedMs === null ? [] : [[`${c.phase}LoadStoppedMs`, c.loadStoppedMs]]),
      ]),
    ),
  });
}, 300_000);
