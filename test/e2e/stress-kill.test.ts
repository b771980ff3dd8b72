/**
 * Durability of the continuous ramp: SIGKILL the worker in the middle of a stress step (the load activity
 * running the whole ramp dies with it), start a new one, and prove the stress result is whole: every level
 * once, in order, none lost or doubled, the killed step judged once, from the restarted load, and the
 * timeline going on after the restart.
 */
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { StressResult } from '../../src/core/stress';
import { killableWorker } from '../helpers/cli';
import { uid } from '../helpers/env';
import { startCapacityServer } from '../helpers/target';
import { recordFigures } from '../helpers/figures';

test('when the worker is SIGKILLed mid-ramp, then the stress result has every step exactly once, judged on load that ran, and the ramp resumed', async () => {
  const target = await startCapacityServer(4, 10, 100);
  const { client, pool, kill, startAnother, close } = await killableWorker('stress-kill');
  try {
    const parsed = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `skill-${uid()}`,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '40ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      stress: { startUsers: 10, stepUsers: 10, stepDuration: '8s', maxUsers: 30 },
      settings: { heartbeatTimeout: '2s' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const handle = await startCampaign(client, parsed.campaign);
    // Kill once step 2 (stage 1) has been applied for 3 s.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await pool.query(
        `SELECT applied_at_ms FROM stress_levels WHERE campaign_id = $1 AND phase = 'stress' AND stage = 1`,
        [handle.workflowId],
      );
      if (r.rows[0]?.applied_at_ms && Date.now() - Number(r.rows[0].applied_at_ms) > 3_000) break;
      if (Date.now() > deadline) throw new Error('step 2 never ran');
      await new Promise((res) => setTimeout(res, 200));
    }
    const killedAt = Date.now();
    await kill();
    await startAnother();
    const result = await handle.result();
    expect(result.phases.stress.status).toBe('pass');
    const st = (
      await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
        handle.workflowId,
        'stress',
      ])
    ).rows[0].result as StressResult;
    expect(st.ramp).toBe('continuous');
    expect(st.steps.map((s) => s.level)).toEqual([10, 20, 30]);
    expect(st.summary.stoppedBecause).toBe('max_reached');
    const slices = await pool.query(
      `SELECT phase_name, attempt, notes, recorded_at FROM load_slices WHERE campaign_id = $1 ORDER BY phase_name`,
      [handle.workflowId],
    );
    expect(slices.rows.map((r) => r.phase_name)).toEqual(['stress-01-10', 'stress-02-20', 'stress-03-30']);
    const killed = slices.rows.find((r) => r.phase_name === 'stress-02-20')!;
    // Judged from the restarted load only: stored by the second attempt, after the kill, and saying so.
    expect(killed.attempt).toBeGreaterThanOrEqual(2);
    expect(new Date(killed.recorded_at).getTime()).toBeGreaterThan(killedAt);
    expect(killed.notes.join(' ')).toMatch(/generator restarted \(attempt \d\)/);
    expect(st.steps[1].requests).toBeGreaterThan(0);
    // The ramp's timeline goes on after the restart, and every stage is marked on it once.
    const stages = await pool.query(
      `SELECT stage, name, stop FROM stress_levels WHERE campaign_id = $1 ORDER BY stage`,
      [handle.workflowId],
    );
    expect(stages.rows.map((r) => r.name)).toEqual(['stress-01-10', 'stress-02-20', 'stress-03-30', 'stop']);
    expect(st.timeline!.stages.map((s) => s.name)).toEqual(['stress-01-10', 'stress-02-20', 'stress-03-30']);
    const lastSecond = Math.max(...st.timeline!.points.map((p) => p.second));
    expect(lastSecond).toBeGreaterThan(st.timeline!.stages[2].fromSecond);
    recordFigures('stress-kill', {
      scenario: 'SIGKILL of the worker 3 s into step 2 of a continuous stress ramp (10, 20, 30 users, 8 s steps)',
      test: 'test/e2e/stress-kill.test.ts',
      figures: {
        stepsJudged: st.steps.length,
        stepsJudgedTwice: st.steps.length - new Set(st.steps.map((s) => s.level)).size,
        killedStepAttempt: killed.attempt,
        killedStepRequests: st.steps[1].requests,
      },
    });
  } finally {
    await close();
    await target.close();
  }
});
