/**
 * Progressive stress and spike recovery through the campaign workflow (child workflows) on the real
 * dev server, against loopback targets with a known pool-limited capacity.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { reportSchema } from '../../src/report/schema';
import type { SpikeResult, StressResult } from '../../src/core/stress';
import { testPool, uid } from '../helpers/env';
import { startCapacityServer } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';
import { recordFigures } from '../helpers/figures';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
const pool = testPool();

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('stress'));
});

afterAll(async () => {
  await stopWorker();
  await pool.end();
});

function campaign(baseUrl: string, extra: Record<string, unknown>) {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `stress-${uid()}`,
    target: { baseUrl },
    scenario: {
      thinkTime: '40ms',
      requestTimeout: '2s',
      requests: [
        { name: 'get-goal', method: 'GET', path: '/goals/1', weight: 3 },
        { name: 'list', method: 'GET', path: '/goals' },
      ],
    },
    settings: { heartbeatTimeout: '10s' },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.campaign;
}

const stored = async <T>(campaignId: string, phase: string) =>
  (await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [campaignId, phase]))
    .rows[0]?.result as T;

describe('stress and spike', () => {
  test("when offered load rises past a pool-limited target's capacity, then the breaking point is within one step of it and the throughput ceiling within 10 %", async () => {
    // 4 slots x 10 ms: about 400 req/s nominal; the truth is what the target measures itself serving
    // while saturated. Above it the queue grows without bound and waits pass 100 ms: 503s.
    const target = await startCapacityServer(4, 10, 100);
    try {
      const c = campaign(target.url, {
        stress: { model: 'open', startUsers: 150, stepUsers: 50, stepDuration: '3s', warmup: '1s', maxUsers: 700 },
      });
      const handle = await startCampaign(client, c, { taskQueue });
      const result = await handle.result();
      const st = await stored<StressResult>(handle.workflowId, 'stress');
      const truth = await target.capacity();
      expect(truth).toBeGreaterThan(200);
      expect(result.phases.stress.status).toBe('pass');
      expect(result.phases.stress.reason).toMatch(/^breaking point \d+ req\/s \(error_rate>0\.01/);
      const bp = st.summary.breakingPoint!;
      // Within one step of the truth: the first level above the capacity, or the one after it.
      const truthLevel = 150 + Math.ceil((truth - 150) / 50) * 50;
      expect(bp.users).toBeGreaterThanOrEqual(truthLevel - 50);
      expect(bp.users).toBeLessThanOrEqual(truthLevel + 50);
      expect(Math.abs(st.summary.maxThroughputRps - truth) / truth).toBeLessThan(0.1);
      expect(st.summary.capacityCeiling!.users).toBe(bp.users - 50);
      expect(st.steps.map((s) => s.level)).toEqual(Array.from({ length: st.steps.length }, (_, i) => 150 + i * 50));
      expect(st.steps.filter((s) => s.status === 'fail')).toHaveLength(1);
      expect(st.steps[st.steps.length - 1].endpointErrors.some((e) => e.kind === '503')).toBe(true);
      expect(st.endpointsAtBreakingPoint.map((e) => e.name).sort()).toEqual(['get-goal', 'list']);
      expect(st.zones.red).toEqual({ fromUsers: bp.users });
    } finally {
      await target.close();
    }
  });

  // The fixture: a pool of 10 connections x 50 ms (200 req/s) with a 600 ms acquire timeout, users thinking
  // 1 s. A closed-model user waits at most 600 ms, so the truth is about capacity x (1 s + 50 ms + 600 ms) users.
  const poolCampaign = (url: string, startUsers: number) =>
    campaign(url, {
      scenario: { thinkTime: '1s', requestTimeout: '5s', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      stress: {
        startUsers,
        stepUsers: 50,
        stepDuration: '5s',
        maxUsers: 800,
        recovery: { within: '12s', window: '2s', windows: 2, tolerance: 0.5 },
      },
    });
  test.each([
    ['below capacity (200 users)', 200],
    ['above capacity (700 users)', 700],
  ])(
    'when the continuous ramp starts %s on a pool-limited target, then the breaking point and the ceiling are within one step of the truth, with a degradation verdict and a recovery time',
    async (_what, start) => {
      const target = await startCapacityServer(10, 50, 600);
      try {
        const handle = await startCampaign(client, poolCampaign(target.url, start), { taskQueue });
        const result = await handle.result();
        const st = await stored<StressResult>(handle.workflowId, 'stress');
        const truthUsers = (await target.capacity()) * 1.65;
        expect(result.phases.stress.status).toBe('pass');
        expect(st.ramp).toBe('continuous');
        const bp = st.summary.breakingPoint!;
        const ceiling = st.summary.capacityCeiling!;
        // Within one step of the truth. The truth is an estimate (it leaves out the spread of waits around the
        // acquire timeout), good to about 5 %: a level that close to it may pass or fail.
        expect(bp.users - ceiling.users).toBeLessThanOrEqual(50);
        expect(ceiling.users).toBeGreaterThanOrEqual(truthUsers * 0.95 - 50);
        expect(bp.users).toBeLessThanOrEqual(truthUsers * 1.05 + 50);
        expect(bp.users).toBeGreaterThan(truthUsers * 0.95 - 50);
        expect(st.startAboveCapacity).toBe(start > truthUsers);
        // No level judged twice. The steps clearly below the truth have (almost) no error: a herd at a step's start
        // fails about 2 % of its requests. A passing step within the truth's margin may sit at the criterion itself
        // (CI: 325 users passed at exactly 1.00 % against an estimated truth of 328).
        expect(new Set(st.steps.map((s) => s.level)).size).toBe(st.steps.length);
        const clearlyBelow = st.steps.filter((x) => x.level <= truthUsers * 0.95 - 50);
        expect(clearlyBelow.length).toBeGreaterThan(0);
        for (const s of clearlyBelow)
          expect({ level: s.level, status: s.status, errorRate: s.errorRate < 0.001 }).toEqual({
            level: s.level,
            status: 'pass',
            errorRate: true,
          });
        for (const s of st.steps.filter((x) => x.status === 'pass')) expect(s.errorRate).toBeLessThanOrEqual(0.01);
        // The pool answers 503 fast when the acquire times out: graceful, each failure a fast rejection.
        expect(st.degradation!.graceful).toBe(true);
        expect(st.degradation!.errorClasses.fastRejections).toBeGreaterThan(0);
        expect(st.degradation!.errorClasses.timeouts + st.degradation!.errorClasses.transport).toBe(0);
        expect(st.degradation!.healthAfter).toMatchObject({ ok: true });
        expect(st.recoveryAfterLoad).toMatchObject({
          level: st.steps.find((s) => s.status === 'pass')!.level,
          recovered: true,
        });
        expect(st.recoveryAfterLoad!.timeS).toBeLessThanOrEqual(12);
        // report.json carries the interface in the published schema: startAboveCapacity, degradation, recoveryAfterLoad.
        const reportJson = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
        expect(reportSchema.safeParse(reportJson).error).toBeUndefined();
        expect({
          startAboveCapacity: !!reportJson.stress.startAboveCapacity,
          graceful: reportJson.stress.degradation.graceful,
          recovered: reportJson.stress.recoveryAfterLoad.recovered,
        }).toEqual({ startAboveCapacity: start > truthUsers, graceful: true, recovered: true });
        expect(reportJson.stress.recoveryAfterLoad.timeS).toBe(st.recoveryAfterLoad!.timeS);
        expect(reportJson.stress.breakingPoint.users).toBe(bp.users);
        // The capacity model fitted on the measured levels: its peak throughput within 20 % of the pool's capacity.
        const model = reportJson.analysis.capacityModel;
        const capacityRps = await target.capacity();
        expect(model).toMatchObject({ evaluable: true });
        expect(Math.abs(model.peakThroughputRps - capacityRps) / capacityRps).toBeLessThan(0.2);
        expect(model.safeUsers).toBeLessThanOrEqual(ceiling.users);
        expect(reportJson.stress.capacityCeiling.users).toBe(ceiling.users);
        const scored = Object.fromEntries(
          (reportJson.checklist.items as Array<{ id: string; status: string }>).map((i) => [i.id, i.status]),
        );
        expect([scored['perf.graceful-degradation'], scored['perf.recovery-after-load']]).toEqual(['pass', 'pass']);
        for (const id of ['perf.fail-fast', 'perf.informative-errors']) expect(['pass', 'fail']).toContain(scored[id]);
        // The timeline: every stage on it, the load never stopped between stages (no empty second once started).
        const stages = st.timeline!.stages;
        expect(stages.map((x) => x.level)).toEqual([...st.steps.map((s) => s.level), st.recoveryAfterLoad!.level]);
        const seconds = st.timeline!.points.filter(
          (p) => p.second >= stages[0].fromSecond + 1 && p.second < stages[stages.length - 1].fromSecond,
        );
        expect(seconds.every((p) => p.requests > 0)).toBe(true);
        recordFigures(`stress-truth-${start > truthUsers ? 'above' : 'below'}`, {
          scenario: `Continuous ramp from ${start} users (+50 per 5 s step) on a pool of 10 x 50 ms with a 600 ms acquire timeout, 1 s think time`,
          test: 'test/integration/stress-workflow.test.ts',
          figures: {
            truthUsers: Math.round(truthUsers),
            ceilingUsers: ceiling.users,
            breakingPointUsers: bp.users,
            ceilingGoodputRps: ceiling.goodputRps,
            steps: st.steps.map((s) => `${s.level}${s.status === 'pass' ? '' : ' fail'}`).join(', '),
            startAboveCapacity: !!st.startAboveCapacity,
            graceful: st.degradation!.graceful!,
            fastRejections: st.degradation!.errorClasses.fastRejections,
            recoveredInS: st.recoveryAfterLoad!.timeS!,
            capacityRps: Math.round(capacityRps * 10) / 10,
            modelPeakRps: model.peakThroughputRps,
            modelR2: model.r2,
            modelErrorPct: Math.round(model.cvRmse * 1000) / 10,
          },
        });
      } finally {
        await target.close();
      }
    },
  );

  test('when users rise on a pool-limited target, then throughput plateaus at its capacity and the run stops at the first failing step', async () => {
    const target = await startCapacityServer(4, 10, 100);
    try {
      const c = campaign(target.url, {
        stress: {
          startUsers: 30,
          stepUsers: 10,
          stepDuration: '3s',
          maxUsers: 120,
          stopWhen: ['error_rate>0.01', 'p(95)>1000'],
        },
      });
      const handle = await startCampaign(client, c, { taskQueue });
      const result = await handle.result();
      const st = await stored<StressResult>(handle.workflowId, 'stress');
      const truth = await target.capacity();
      expect(result.phases.stress.reason).toMatch(/^breaking point \d+ users \(error_rate>0\.01/);
      const bp = st.summary.breakingPoint!;
      expect(bp.observed).toBeGreaterThan(0.01);
      expect(st.steps[st.steps.length - 1].level).toBe(bp.users);
      expect(st.summary.throughputPlateau).toBeDefined();
      // Closed-model users arrive in waves, so they may not keep the pool full; they can never beat it.
      expect(st.summary.maxThroughputRps).toBeLessThanOrEqual(truth * 1.1);
      expect(st.summary.maxThroughputRps).toBeGreaterThan(truth * 0.5);
      // The report states the breaking point once, and never also "not reached".
      const md = readFileSync(path.join(result.reportDir, 'report.md'), 'utf8');
      expect(md).toContain(`- **Breaking point:** ${bp.users} users: error_rate>0.01`);
      expect(md).not.toContain('not reached');
    } finally {
      await target.close();
    }
  });

  test('when a target recovers after a spike, then the recovery time is measured; when it does not, the phase fails as P1', async () => {
    const healthy = await startCapacityServer(4, 10, 100);
    // This one fails every request for good once the spike has overloaded it (after 20 rejections).
    const fragile = await startCapacityServer(4, 10, 100, 20);
    try {
      const spike = {
        users: 120,
        duration: '3s',
        baselineUsers: 5,
        baselineDuration: '3s',
        recovery: { within: '6s', windows: 2, window: '1s', tolerance: 0.5 },
      };
      const [ok, broken] = await Promise.all([
        startCampaign(client, campaign(healthy.url, { spike }), { taskQueue }).then((h) =>
          h.result().then((r) => ({ r, id: h.workflowId })),
        ),
        startCampaign(client, campaign(fragile.url, { spike }), { taskQueue }).then((h) =>
          h.result().then((r) => ({ r, id: h.workflowId })),
        ),
      ]);
      const s1 = await stored<SpikeResult>(ok.id, 'spike');
      expect(ok.r.phases.spike.status).toBe('pass');
      expect(s1.recovered).toBe(true);
      expect(s1.recoveryTimeS).not.toBeNull();
      expect(s1.recoveryTimeS!).toBeLessThan(s1.withinS);
      expect(s1.errorsDuringSpike).toBeGreaterThan(0);
      expect(s1.crashed).toBe(false);

      const s2 = await stored<SpikeResult>(broken.id, 'spike');
      expect(broken.r.phases.spike.status).toBe('fail');
      expect(broken.r.phases.spike.reason).toMatch(/did not recover within 6 s .*\(P1\)/);
      expect(s2.recovered).toBe(false);
      expect(s2.recoveryTimeS).toBeNull();
    } finally {
      await healthy.close();
      await fragile.close();
    }
  });

  test('when the campaign is aborted during a stress step, then the step stops within seconds and what it measured is kept', async () => {
    const target = await startCapacityServer(4, 10, 100);
    try {
      const c = campaign(target.url, { stress: { startUsers: 5, stepUsers: 5, stepDuration: '60s', maxUsers: 50 } });
      const handle = await startCampaign(client, c, { taskQueue });
      // Wait until the first step has been judged for a while (past its 5 s ramp: a tenth of the step).
      const deadline = Date.now() + 30_000;
      while (
        (await pool.query(`SELECT count(*)::int AS n FROM load_timeline WHERE campaign_id = $1`, [handle.workflowId]))
          .rows[0].n < 8
      ) {
        if (Date.now() > deadline) throw new Error('stress never started');
        await new Promise((r) => setTimeout(r, 250));
      }
      const abortedAt = Date.now();
      await handle.signal('abort', { by: 'carol', reason: 'maintenance window closed' });
      const result = await handle.result();
      expect(Date.now() - abortedAt).toBeLessThan(15_000);
      expect(result.decision).toBe('NO_GO');
      expect(result.phases.stress.status).toBe('aborted');
      expect(result.verdict.blockers[0]).toBe('aborted by carol: maintenance window closed');
      const st = await stored<StressResult>(handle.workflowId, 'stress');
      expect(st.summary.stoppedBecause).toBe('aborted');
      expect(st.steps).toHaveLength(1);
      expect(st.steps[0].requests).toBeGreaterThan(0);
      const kept = await pool.query(`SELECT notes FROM load_slices WHERE campaign_id = $1`, [handle.workflowId]);
      expect(kept.rows[0].notes.join(' ')).toMatch(/cancelled after \d+ s of its 60 s \(abort\)/);
    } finally {
      await target.close();
    }
  });

  test('when the search is adaptive, then it brackets the capacity within its resolution and confirms the answer', async () => {
    const target = await startCapacityServer(4, 10, 100);
    try {
      const c = campaign(target.url, {
        stress: {
          mode: 'adaptive',
          resolution: 0.1,
          model: 'open',
          startUsers: 100,
          stepDuration: '4s',
          maxUsers: 1600,
        },
      });
      const handle = await startCampaign(client, c, { taskQueue });
      const result = await handle.result();
      const st = await stored<StressResult>(handle.workflowId, 'stress');
      const truth = await target.capacity();
      expect(result.phases.stress.status).toBe('pass');
      const ceiling = st.summary.capacityCeiling!.users;
      const breaking = st.summary.breakingPoint!.users;
      expect(breaking).toBeGreaterThan(ceiling);
      expect((breaking - ceiling) / ceiling).toBeLessThanOrEqual(0.1);
      // The bracket holds the truth, give or take the noise of a 2 s probe.
      expect(ceiling).toBeLessThanOrEqual(truth * 1.1);
      expect(breaking).toBeGreaterThanOrEqual(truth * 0.9);
      expect(st.steps.filter((s) => s.level === ceiling)).toHaveLength(2);
      expect(st.steps.slice(0, 3).map((s) => s.level)).toEqual([100, 200, 400]);
    } finally {
      await target.close();
    }
  });
});
