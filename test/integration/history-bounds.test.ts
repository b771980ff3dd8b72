/**
 * The worst valid campaign, run for real with durations compressed: every bound of config/limits.ts reached at once
 * (100 requests, an input near its byte bound, 20 baseline phases with 128 generators, a 100-step linear ramp that
 * never breaks). Each of its workflow histories must stay under Temporal's warning (10,240 events), no payload in
 * them may exceed 64 KiB, and each history under 1 MiB. The activities get the scenario by reference (the campaign
 * id), so no history repeats it.
 */
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { HISTORY_LIMITS, linearStepCount } from '../../src/config/limits';
import { validateCampaign } from '../../src/config/load';
import type { CampaignFileInput } from '../../src/config/schema';
import { uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('history'));
});
afterAll(() => stopWorker());

/** Every payload's size in a history (bytes of its data), found wherever the events hold one. */
function payloadSizes(v: unknown, out: number[] = []): number[] {
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') out.push(o.data.length);
    else for (const x of Object.values(o)) payloadSizes(x, out);
  }
  return out;
}

async function historyOf(id: string) {
  const h = await client.workflow.getHandle(id).fetchHistory();
  const events = h.events ?? [];
  const sizes = payloadSizes(events);
  return { id, events: events.length, maxPayload: Math.max(0, ...sizes), bytes: sizes.reduce((a, b) => a + b, 0) };
}

test('when the worst valid campaign runs, then every history stays under 10,240 events, 1 MiB, and no payload exceeds 64 KiB', async () => {
  const target = await startTarget((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  );
  try {
    const requests = Array.from({ length: HISTORY_LIMITS.requests }, (_, i) => ({
      name: `request-${String(i).padStart(3, '0')}`,
      method: 'POST' as const,
      path: `/api/resource-${i}`,
      // Bodies that bring the input near its byte bound.
      json: { id: i, note: 'x'.repeat(260) },
    }));
    const phases = Array.from({ length: HISTORY_LIMITS.baselinePhases }, (_, i) => ({
      name: `phase-${String(i).padStart(2, '0')}`,
      users: i < 2 ? 55 : 1,
      duration: '1s',
      generators: i < 2 ? 55 : 1,
    }));
    const file: CampaignFileInput = {
      apiVersion: 'readiness/v1',
      name: `worst-${uid()}`,
      target: { baseUrl: target.url },
      scenario: { thinkTime: '100ms', requestTimeout: '2s', requests },
      baseline: { phases },
      stress: {
        startUsers: 1,
        stepUsers: 1,
        maxUsers: HISTORY_LIMITS.linearSteps,
        stepDuration: '1s',
        ramp: '0s',
        recovery: { within: '2s', windows: 1, window: '1s' },
      },
      spike: {
        users: 5,
        duration: '1s',
        baselineUsers: 1,
        baselineDuration: '1s',
        recovery: { within: '2s', windows: 1, window: '1s' },
      },
    };
    const v = validateCampaign(file);
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    const inputBytes = new TextEncoder().encode(JSON.stringify(v.campaign)).length;
    expect(inputBytes).toBeGreaterThan(HISTORY_LIMITS.inputBytes * 0.6);
    expect(linearStepCount(v.campaign.stress!)).toBe(HISTORY_LIMITS.linearSteps);
    expect(phases.reduce((n, p) => n + p.generators, 0)).toBe(HISTORY_LIMITS.generatorSlices);

    const handle = await startCampaign(client, v.campaign, { taskQueue });
    const result = await handle.result();
    expect(result.phases.stress.reason).toMatch(/no breaking point up to 100 users/);
    const histories = await Promise.all(
      [handle.workflowId, `${handle.workflowId}-stress`, `${handle.workflowId}-spike`].map(historyOf),
    );
    for (const h of histories) {
      expect({ id: h.id, under: h.events < 10_240 }).toEqual({ id: h.id, under: true });
      expect({ id: h.id, maxPayloadUnder64KiB: h.maxPayload <= 64 * 1024 }).toEqual({
        id: h.id,
        maxPayloadUnder64KiB: true,
      });
      expect({ id: h.id, under1MiB: h.bytes < 1024 * 1024 }).toEqual({ id: h.id, under1MiB: true });
    }
    const [main, stress] = histories;
    // The stress steps' cost, to bound the step-attempt limit: every attempt the workflow may run fits too.
    const perStep = stress!.events / HISTORY_LIMITS.linearSteps;
    expect(perStep * HISTORY_LIMITS.stressStepAttempts).toBeLessThan(10_240);
    recordFigures('history-bounds', {
      scenario: `The worst valid campaign (${HISTORY_LIMITS.requests} requests, a ${Math.round(inputBytes / 1024)} KiB input, ${HISTORY_LIMITS.baselinePhases} phases with ${HISTORY_LIMITS.generatorSlices} generators, a ${HISTORY_LIMITS.linearSteps}-step ramp), durations compressed`,
      test: 'test/integration/history-bounds.test.ts',
      figures: {
        campaignEvents: main!.events,
        stressEvents: stress!.events,
        spikeEvents: histories[2]!.events,
        eventsPerStressStep: Math.round(perStep * 10) / 10,
        largestPayloadKiB: Math.round((Math.max(...histories.map((h) => h.maxPayload)) / 1024) * 10) / 10,
        largestHistoryKiB: Math.round(Math.max(...histories.map((h) => h.bytes)) / 1024),
      },
    });
  } finally {
    await target.close();
  }
}, 900_000);
