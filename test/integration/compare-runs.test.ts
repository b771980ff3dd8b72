/**
 * Regressions that are real, not noise: three campaigns against the same target, compared each with the one before.
 * The second is the first run again (an unchanged target: this machine's run-to-run drift must not read as a
 * regression); before the third, one endpoint is made 30 % slower, and only that endpoint regresses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { EndpointShift } from '../../src/core/distribution';
import { uid } from '../helpers/env';
import { startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('compare'));
});
afterAll(() => stopWorker());

test('when an unchanged target is run twice, then no endpoint regressed; when one endpoint is 30 % slower, then that one regressed and only that one', async () => {
  const delays: Record<string, number> = { '/orders': 20, '/items': 12 };
  const target = await startTarget((req, res) => {
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      delays[req.url ?? ''] ?? 5,
    );
  });
  try {
    const name = `compare-${uid()}`;
    const run = async () => {
      const v = validateCampaign({
        apiVersion: 'readiness/v1',
        name,
        target: { baseUrl: target.url },
        scenario: {
          thinkTime: '10ms',
          requests: [
            { name: 'orders', method: 'GET', path: '/orders' },
            { name: 'items', method: 'GET', path: '/items' },
          ],
        },
        baseline: { phases: [{ name: 'normal', users: 8, duration: '4s' }] },
      });
      if (!v.ok) throw new Error(JSON.stringify(v.problems));
      const handle = await startCampaign(client, v.campaign, { taskQueue, id: `${name}-${uid()}` });
      const result = await handle.result();
      return JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
    };
    const verdicts = (report: { comparison?: { latency?: EndpointShift[] } }) =>
      Object.fromEntries((report.comparison?.latency ?? []).map((x) => [x.endpoint, x.verdict]));
    const first = await run();
    expect(first.comparison).toBeUndefined();
    const again = await run();
    expect(verdicts(again)).toEqual({
      items: expect.stringMatching(/^(unchanged|improved)$/),
      orders: expect.stringMatching(/^(unchanged|improved)$/),
    });
    expect(
      again.comparison.metrics.find((m: { metric: string }) => m.metric === 'baseline.normal.p95Ms'),
    ).toMatchObject({ regression: false, judgedBy: 'distribution' });
    delays['/orders'] = 26;
    const slower = await run();
    expect(verdicts(slower)).toEqual({ items: expect.stringMatching(/^(unchanged|improved)$/), orders: 'regressed' });
    const orders = (slower.comparison.latency as EndpointShift[]).find((x) => x.endpoint === 'orders')!;
    expect(orders.p50Change!).toBeGreaterThan(0.2);
    expect(orders.pValue!).toBeLessThan(0.001);
    expect(slower.comparison.findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^endpoint orders in phase normal regressed: median /)]),
    );
    expect(
      slower.comparison.metrics.find((m: { metric: string }) => m.metric === 'baseline.normal.p95Ms'),
    ).toMatchObject({ regression: true, judgedBy: 'distribution' });
    // Latency by operation type, from the stored histograms: both endpoints are reads.
    expect(slower.analysis.byOperation).toEqual([
      expect.objectContaining({ phase: 'normal', operation: 'read', share: 1 }),
    ]);
  } finally {
    await target.close();
  }
}, 180_000);
