/**
 * Durability of the stress run: SIGKILL the worker in the middle of a stress step, start a new one,
 * and prove the stress result is whole: every level once, in order, none lost or doubled, and the killed
 * step resumed from its checkpoint.
 */
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { StressResult } from '../../src/core/stress';
import { killableWorker } from '../helpers/cli';
import { uid } from '../helpers/env';
import { startCapacityServer } from '../helpers/target';

test('when the worker is SIGKILLed mid-step, then the stress result has every step exactly once and the step resumed', async () => {
  const target = await startCapacityServer(4, 10, 100);
  const { client, pool, kill, startAnother, close } = await killableWorker('stress-kill');
  try {
    const parsed = validateCampaign({
      apiVersion: 'readiness/v1', name: `skill-${uid()}`, target: { baseUrl: target.url },
      scenario: { thinkTime: '40ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      stress: { startUsers: 10, stepUsers: 10, stepDuration: '8s', maxUsers: 30 },
      settings: { heartbeatTimeout: '2s' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const handle = await startCampaign(client, parsed.campaign);
    const stepTwo = `stress-02-20`;
    // Kill once step 2 has run for a few seconds.
    const deadline = Date.now() + 60_000;
    while ((await pool.query(`SELECT count(*)::int AS n FROM load_timeline WHERE campaign_id = $1 AND phase_name = $2`, [handle.workflowId, stepTwo])).rows[0].n < 4) {
      if (Date.now() > deadline) throw new Error('step 2 never ran');
      await new Promise((r) => setTimeout(r, 200));
    }
    await kill();
    await startAnother();
    const result = await handle.result();
    expect(result.phases.stress.status).toBe('pass');
    const st = (await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [handle.workflowId, 'stress'])).rows[0].result as StressResult;
    expect(st.steps.map((s) => s.level)).toEqual([10, 20, 30].slice(0, st.steps.length));
    expect(st.steps.length).toBeGreaterThanOrEqual(2);
    const slices = await pool.query(`SELECT phase_name, attempt, resumed_from_ms FROM load_slices WHERE campaign_id = $1 ORDER BY phase_name`, [handle.workflowId]);
    expect(slices.rows.map((r) => r.phase_name)).toEqual(st.steps.map((s, i) => `stress-0${i + 1}-${s.level}`));
    const killed = slices.rows.find((r) => r.phase_name === stepTwo)!;
    expect(killed.attempt).toBeGreaterThanOrEqual(2);
    expect(killed.resumed_from_ms).toBeGreaterThanOrEqual(3_000);
  } finally {
    await close();
    await target.close();
  }
});
