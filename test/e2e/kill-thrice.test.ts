/**
 * Durability across a whole campaign: the worker process is SIGKILLed three times in one campaign, in the
 * middle of a baseline phase, of a stress step and of the Postgres backup drill (during its restore), and a
 * new worker is started each time. The campaign must end with the same verdict, item by item, as an
 * undisturbed run of the same config; no stress step lost or doubled; every killed piece of work resumed
 * from the checkpoint the server held, so each kill lost at most about one heartbeat interval (the drill: the
 * restore in progress, which always runs whole because its time is the RTO).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { PostgresDrillBeat } from '../../src/activities/backup';
import type { ContinuousCheckpoint } from '../../src/activities/load/continuous';
import type { SliceCheckpoint } from '../../src/activities/load';
import type { BackupResult } from '../../src/core/backup';
import type { StressResult } from '../../src/core/stress';
import type { BaselinePhaseResult } from '../../src/core/types';
import { spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { slowRestoreDb, withDb } from '../helpers/slow-restore';
import { recordFigures } from '../helpers/figures';
import { delayed, startTarget } from '../helpers/target';

const HEARTBEAT_TIMEOUT_MS = 2_000;
const pool = testPool();

afterAll(async () => {
  await pool.end();
});

type Pending = { details?: unknown; lastHeartbeatMs?: number; attempt: number };

/** The first pending activity of a workflow (of `activity`, when given), with its server-held heartbeat details. */
async function pending(client: Client, workflowId: string, activity?: string): Promise<Pending | undefined> {
  const desc = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  const a = desc?.raw.pendingActivities?.find((x) => !activity || x.activityType?.name === activity);
  if (!a) return undefined;
  const payload = a.heartbeatDetails?.payloads?.[0];
  const t = a.lastHeartbeatTime;
  return {
    details: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
    lastHeartbeatMs: t?.seconds ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined,
    attempt: a.attempt ?? 1,
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('when the worker is SIGKILLed in baseline, mid stress step and mid backup drill, then the verdict equals an undisturbed run and each kill lost about one heartbeat of work', async () => {
  const target = await startTarget(delayed(5));
  // Its restore takes about 4 s on any machine (a CHECK that sleeps 1 ms per row): the kill lands inside it.
  const db = await slowRestoreDb('kill3', 4_000);
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: mkdtempSync(path.join(testEnv.dir, 'kill3-')),
    KILL3_SOURCE_URL: withDb(db),
    READINESS_SECRET_ENV: 'KILL3_SOURCE_URL',
  };
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  let worker = await spawnWorker(env);
  const config = (name: string) => {
    const r = validateCampaign({
      apiVersion: 'readiness/v1',
      name,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '40ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      baseline: {
        phases: [{ name: 'normal', users: 4, duration: '8s' }],
        thresholds: ['error_rate<0.01', 'p(95)<1000'],
      },
      stress: { startUsers: 5, stepUsers: 5, stepDuration: '6s', maxUsers: 15 },
      backup: { postgres: { connection: { fromEnv: 'KILL3_SOURCE_URL' }, maxRestoreTime: '5m', rpoTarget: '1h' } },
      checklist: {
        defaults: false,
        items: [
          {
            id: 'baseline-ok',
            title: 'Baseline within thresholds',
            category: 'Performance',
            severity: 'P0',
            automated: { check: 'phase.baseline' },
          },
          {
            id: 'stress-ok',
            title: 'Stress ran to the top',
            category: 'Performance',
            severity: 'P1',
            automated: { check: 'phase.stress' },
          },
          {
            id: 'ceiling',
            title: 'Capacity ceiling of 15 users',
            category: 'Performance',
            severity: 'P1',
            automated: { expr: 'stress.summary.capacityCeiling.users >= 15' },
          },
          // P2: the drill is a warning on the test server (WAL archiving off), which a P0 would turn into NO_GO.
          {
            id: 'restore-ok',
            title: 'Backup restores and is proven',
            category: 'Backup/Recovery',
            severity: 'P2',
            automated: { check: 'backup.postgres' },
          },
        ],
      },
      settings: { heartbeatTimeout: `${HEARTBEAT_TIMEOUT_MS}ms` },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.campaign;
  };
  const kills: Array<{ where: string; lostMs: number; resumedAfterMs: number }> = [];
  /**
   * SIGKILLs the worker (after `delayMs`, so the kill is not aligned with a heartbeat), starts a new one and
   * waits until the killed activity runs again (a later attempt heartbeating, or finished). Lost work is what
   * ran after the last checkpoint the server held: `since` gives that checkpoint's time.
   */
  const killNow = async (
    where: string,
    workflowId: string,
    delayMs: number,
    since: (held: Pending | undefined) => number | undefined,
    activity?: string,
  ) => {
    await new Promise((r) => setTimeout(r, delayMs));
    const held = await pending(client, workflowId, activity);
    await stopWorker(worker, 'SIGKILL');
    const killedAt = Date.now();
    worker = await spawnWorker(env);
    await until('the killed activity to run again', async () => {
      const now = await pending(client, workflowId, activity);
      return !now || (now.attempt > (held?.attempt ?? 1) && (now.lastHeartbeatMs ?? 0) > killedAt);
    });
    kills.push({ where, lostMs: killedAt - (since(held) ?? killedAt), resumedAfterMs: Date.now() - killedAt });
  };
  try {
    // The undisturbed run first, on the same kind of worker process.
    const calm = await startCampaign(client, config(`calm-${uid()}`));
    const calmResult = await calm.result();

    const handle: WorkflowHandle = await startCampaign(client, config(`kill3-${uid()}`));
    const id = handle.workflowId;
    const scratch = `readiness_drill_${id
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(-40)}`;

    // 1. Baseline: once the server holds a checkpoint 3 s into the phase.
    const baseBeat = await until('a baseline checkpoint', async () => {
      const p = await pending(client, id);
      const c = p?.details as SliceCheckpoint | undefined;
      return c && c.elapsedMs >= 3_000 && !c.done ? c : undefined;
    });
    await killNow('baseline phase', id, Math.random() * 1_000, (h) => h?.lastHeartbeatMs);

    // 2. Stress: the continuous ramp in step 2, 2 s after it was applied, once the server holds its checkpoint.
    const childId = `${id}-stress`;
    await until('a checkpoint in stress step 2', async () => {
      const r = await pool.query(
        `SELECT applied_at_ms FROM stress_levels WHERE campaign_id = $1 AND phase = 'stress' AND stage = 1`,
        [id],
      );
      if (!r.rows[0]?.applied_at_ms || Date.now() - Number(r.rows[0].applied_at_ms) < 2_000) return undefined;
      const c = (await pending(client, childId, 'runContinuousLoad'))?.details as ContinuousCheckpoint | undefined;
      return c && c.applied >= 1 ? c : undefined;
    });
    await killNow(
      'stress step 2 (10 users)',
      childId,
      Math.random() * 1_000,
      (h) => h?.lastHeartbeatMs,
      'runContinuousLoad',
    );

    // 3. Backup drill: pg_restore is writing into the scratch database and the server holds the post-dump checkpoint.
    const drillBeat = await until(
      'pg_restore running with the checkpoint on the server',
      async () => {
        const restoring =
          (
            await pool.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pg_restore' AND datname = $1`,
              [scratch],
            )
          ).rows[0].n > 0;
        const beat = (await pending(client, id))?.details as PostgresDrillBeat | undefined;
        return restoring && beat?.resume ? beat.resume : undefined;
      },
      180_000,
    );
    // Somewhere in the first 3 s of a restore that takes 4 s or more.
    await killNow('backup drill (during pg_restore)', id, Math.random() * 3_000, () => Date.parse(drillBeat.at));

    const result = await handle.result();

    // The same verdict as the undisturbed run, item by item.
    expect([calmResult.decision, calmResult.verdict.reasons]).toEqual([
      expect.stringMatching(/^(GO|CONDITIONAL_GO)$/),
      expect.anything(),
    ]);
    expect(result.decision).toBe(calmResult.decision);
    const items = (r: typeof result) =>
      (
        JSON.parse(readFileSync(path.join(r.reportDir, 'report.json'), 'utf8')) as {
          checklist: { items: Array<{ id: string; status: string }> };
        }
      ).checklist.items.map((i) => [i.id, i.status]);
    expect(items(calmResult)).toHaveLength(4);
    expect(items(result)).toEqual(items(calmResult));
    expect(result.scorePct).toBe(calmResult.scorePct);

    // Baseline: resumed from the checkpoint the server held, ran its planned duration once.
    const base = (await pool.query('SELECT result FROM baseline_results WHERE campaign_id = $1', [id])).rows.map(
      (r) => r.result as BaselinePhaseResult,
    );
    expect(base).toHaveLength(1);
    expect(base[0]!.attempt).toBeGreaterThanOrEqual(2);
    expect(base[0]!.resumedFromMs).toBeGreaterThanOrEqual(baseBeat.elapsedMs);
    expect(base[0]!.durationS).toBeLessThan(8 + 1.5);

    // Stress: every step once, in order; the killed one resumed.
    const st = (
      await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [id, 'stress'])
    ).rows[0].result as StressResult;
    expect(st.steps.map((s) => s.level)).toEqual([5, 10, 15]);
    const slices = await pool.query(
      `SELECT phase_name, attempt, notes FROM load_slices WHERE campaign_id = $1 AND phase_name LIKE 'stress-%' ORDER BY phase_name`,
      [id],
    );
    expect(slices.rows.map((r) => r.phase_name)).toEqual(['stress-01-5', 'stress-02-10', 'stress-03-15']);
    // The killed step was judged once, from the restarted load (its population died with the worker).
    const killedStep = slices.rows.find((r) => r.phase_name === 'stress-02-10')!;
    expect(killedStep.attempt).toBeGreaterThanOrEqual(2);
    expect(killedStep.notes.join(' ')).toMatch(/generator restarted/);

    // Backup: the retry restored the first attempt's archive (no second dump), the proof holds, and no scratch database is left.
    const backup = (
      await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [id, 'backup'])
    ).rows[0].result as BackupResult;
    const drill = backup.drills.find((d) => d.id === 'postgres')!;
    expect(drill.evidence!.resumedFrom).toBe('restore');
    expect(drill.tables!.every((t) => t.match)).toBe(true);
    expect(drill.tables!.find((t) => t.name === 'public.orders')!.restoredRows).toBe(4_000);
    expect((await pool.query('SELECT datname FROM pg_database WHERE datname = $1', [scratch])).rows).toEqual([]);
    expect(drill.evidence!.scratch).toBe(`${scratch}: dropped`);

    // Each kill lost at most about one heartbeat interval: the SDK sends heartbeats at most every 0.8 x timeout,
    // and the slice refreshes its checkpoint every second. The drill's loss is the restore in progress.
    for (const k of kills.slice(0, 2)) expect(k.lostMs).toBeLessThanOrEqual(HEARTBEAT_TIMEOUT_MS + 1_000);
    expect(kills.map((k) => k.where)).toEqual([
      'baseline phase',
      'stress step 2 (10 users)',
      'backup drill (during pg_restore)',
    ]);
    recordFigures('worker-kill-three-times', {
      scenario:
        'Worker SIGKILLed three times in one campaign (baseline, stress step, backup restore); verdict vs an undisturbed run',
      test: 'test/e2e/kill-thrice.test.ts',
      figures: {
        heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
        sameVerdict: `${result.decision} = ${calmResult.decision}`,
        lostMsBaseline: kills[0]!.lostMs,
        lostMsStressStep: kills[1]!.lostMs,
        lostMsRestore: kills[2]!.lostMs,
        resumedAfterMsBaseline: kills[0]!.resumedAfterMs,
        resumedAfterMsStressStep: kills[1]!.resumedAfterMs,
        resumedAfterMsRestore: kills[2]!.resumedAfterMs,
        restoreS: drill.timings!.restoreS ?? 0,
        campaignS: Math.round((Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000),
        undisturbedS: Math.round((Date.parse(calmResult.finishedAt) - Date.parse(calmResult.startedAt)) / 1000),
      },
    });
  } finally {
    await stopWorker(worker).catch(() => undefined);
    await connection.close();
    await target.close();
  }
}, 600_000);
