/**
 * Distributed generation: a phase with `generators: 2` runs on two `readiness worker --load` processes
 * (the campaign worker runs no load itself); the merged result is exactly the sum of its parts.
 */
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { BaselinePhaseResult } from '../../src/core/types';
import { Metrics } from '../../src/engine/metrics';
import { latencySummary } from '../../src/engine/summary';
import { spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

test('when a phase runs on two load-generator processes, then the merged counts and histogram equal the sum of the parts', async () => {
  // The campaign worker runs in this process with no load queue; load comes from two `--load` processes.
  const campaignWorker = await startInProcessWorker('dist', { mode: 'campaign' });
  const { taskQueue, client } = campaignWorker;
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: campaignWorker.reportRoot,
    READINESS_TASK_QUEUE: taskQueue,
  };
  const target = await startTarget(delayed(3));
  const pool = testPool();
  const started = await Promise.allSettled([0, 1].map(() => spawnWorker(env, ['--load'])));
  const loadWorkers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const parsed = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `dist-${uid()}`,
      target: { baseUrl: target.url },
      scenario: {
        thinkTime: '5ms',
        requests: [
          { name: 'a', method: 'GET', path: '/a', weight: 2 },
          { name: 'b', method: 'GET', path: '/b' },
        ],
      },
      baseline: {
        phases: [{ name: 'split', users: 7, duration: '3s', generators: 2 }],
        thresholds: ['error_rate<0.01'],
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const handle = await startCampaign(client, parsed.campaign, { taskQueue });
    const result = await handle.result();
    expect(result.phases.baseline.status).toBe('pass');

    const slices = await pool.query('SELECT slice, metrics FROM load_slices WHERE campaign_id = $1 ORDER BY slice', [
      handle.workflowId,
    ]);
    expect(slices.rows.map((r) => r.slice)).toEqual([0, 1]);
    const parts = slices.rows.map((r) => {
      const m = new Metrics();
      m.merge(r.metrics);
      return m;
    });
    for (const p of parts) expect(p.totals().requests).toBeGreaterThan(50);

    const stored = (await pool.query('SELECT result FROM baseline_results WHERE campaign_id = $1', [handle.workflowId]))
      .rows[0].result as BaselinePhaseResult;
    const sum = parts.reduce((a, p) => a + p.totals().requests, 0);
    expect(stored.requests).toBe(sum);
    expect(stored.requests).toBe(target.requests());
    for (const name of ['a', 'b']) {
      expect(stored.endpoints.find((e) => e.name === name)!.requests).toBe(
        parts.reduce((a, p) => a + (p.endpoints[name]?.requests ?? 0), 0),
      );
    }
    const merged = new Metrics();
    for (const r of slices.rows) merged.merge(r.metrics);
    expect(stored.latencyMs).toEqual(latencySummary(merged.latency()));
    expect(stored.generator.generators).toBe(2);

    // Each generator process ran one slice.
    const logs = loadWorkers.map((w) => w.logs());
    expect(logs.filter((l) => l.includes('load slice finished')).length).toBe(2);
  } finally {
    for (const w of loadWorkers) await stopWorker(w);
    await campaignWorker.stop();
    await target.close();
    await pool.end();
  }
});
