/**
 * Durability: SIGKILL the worker process in the middle of a baseline phase, start a new one, and
 * prove the campaign completes, the phase resumed from its heartbeated checkpoint (it did not start
 * over) and no result row is duplicated.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { SliceCheckpoint } from '../../src/activities/load';
import { Metrics } from '../../src/engine/metrics';
import type { BaselinePhaseResult } from '../../src/core/types';
import { killableWorker } from '../helpers/cli';
import { uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { delayed, startTarget } from '../helpers/target';

const PHASE_S = 12;

test('when the worker is SIGKILLed mid-phase, then a new worker resumes the phase from its checkpoint and nothing is counted twice', async () => {
  const target = await startTarget(delayed(3));
  const { client, pool, kill, startAnother, close } = await killableWorker('kill');
  try {
    const parsed = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `kill-${uid()}`,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '20ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      baseline: { phases: [{ name: 'long', users: 4, duration: `${PHASE_S}s` }], thresholds: ['error_rate<0.01'] },
      settings: { heartbeatTimeout: '2s' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const handle = await startCampaign(client, parsed.campaign);

    // Wait until the server holds a checkpoint at least 4 s into the phase.
    let checkpoint: SliceCheckpoint | undefined;
    const deadline = Date.now() + 30_000;
    while (!checkpoint || checkpoint.elapsedMs < 4_000) {
      if (Date.now() > deadline) throw new Error('no checkpoint reached the server');
      const desc = await handle.describe();
      const payload = desc.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      if (payload) checkpoint = defaultPayloadConverter.fromPayload<SliceCheckpoint>(payload);
      await new Promise((r) => setTimeout(r, 200));
    }
    await kill();
    const sentBeforeKill = target.requests();
    await new Promise((r) => setTimeout(r, 500));
    expect(target.requests()).toBe(sentBeforeKill);

    await startAnother();
    const result = await handle.result();
    expect(result.phases.baseline.status).toBe('pass');

    const rows = await pool.query('SELECT result FROM baseline_results WHERE campaign_id = $1', [handle.workflowId]);
    expect(rows.rows).toHaveLength(1);
    const phase = rows.rows[0].result as BaselinePhaseResult;
    // It resumed: a later attempt finished it, starting from the checkpoint, not from zero.
    expect(phase.attempt).toBeGreaterThanOrEqual(2);
    expect(phase.resumedFromMs).toBeGreaterThanOrEqual(4_000);
    // The phase ran its planned duration once, not once plus the part before the kill.
    expect(phase.durationS).toBeGreaterThan(PHASE_S - 0.5);
    expect(phase.durationS).toBeLessThan(PHASE_S + 1.5);
    // The checkpoint's requests are part of the total (merged, not started over).
    const before = new Metrics();
    before.merge(checkpoint.metrics);
    expect(before.totals().requests).toBeGreaterThan(0);
    expect(phase.requests).toBeGreaterThan(before.totals().requests);
    // Nothing counted twice: the stored count never exceeds what the target saw; the work lost is at
    // most about one heartbeat interval (plus the kill's own latency) of requests.
    const rate = phase.requests / phase.durationS;
    const lost = target.requests() - phase.requests;
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(rate * 2);
    // Figures for the closing note and docs: test-results/worker-kill.json.
    const results = path.join(__dirname, '..', '..', 'test-results');
    mkdirSync(results, { recursive: true });
    writeFileSync(
      path.join(results, 'worker-kill.json'),
      `${JSON.stringify({ phaseS: PHASE_S, resumedFromMs: phase.resumedFromMs, attempt: phase.attempt, lostRequests: lost, lostMs: Math.round((lost / rate) * 1000), requests: phase.requests }, null, 2)}\n`,
    );
    recordFigures('worker-kill-baseline', {
      scenario: 'Worker SIGKILLed mid baseline phase, a new worker resumes',
      test: 'test/e2e/worker-kill.test.ts',
      figures: {
        phaseS: PHASE_S,
        resumedFromMs: phase.resumedFromMs,
        attempt: phase.attempt,
        requests: phase.requests,
        lostRequests: lost,
        lostMs: Math.round((lost / rate) * 1000),
      },
    });
  } finally {
    await close();
    await target.close();
  }
});
