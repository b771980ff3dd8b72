/**
 * Downsampled timelines through the real store path (Postgres): the writer the load activities use stores each
 * second as it comes and merges the windows that are old enough; what the report reads back is bounded and exact.
 */
import { TimelineWriter } from '../../src/activities/load/timeline';
import { validateCampaign } from '../../src/config/validate';
import { encodeHistogram, newHistogram, type EncodedWindow } from '../../src/engine/metrics';
import { ResultsStore } from '../../src/infra/results-store';
import { SMALL_RESOLUTION } from '../helpers/config';
import { testPool, uid } from '../helpers/env';

const pool = testPool();
const store = new ResultsStore(pool);
afterAll(() => pool.end());

const SMALL = SMALL_RESOLUTION;

async function newCampaign(): Promise<string> {
  const id = `timeline-${uid()}`;
  const v = validateCampaign({
    apiVersion: 'readiness/v1',
    name: id,
    target: { baseUrl: 'http://127.0.0.1:1' },
    scenario: { requests: [{ name: 'x', method: 'GET', path: '/' }] },
  });
  if (!v.ok) throw new Error('invalid');
  await store.upsertCampaign({
    campaignId: id,
    campaign: v.campaign,
    configHash: 'x',
    startedAt: new Date().toISOString(),
  });
  return id;
}

/** A second of one generator: `n` requests with latencies derived from the second and the slice (µs). */
function second(s: number, slice: number, errors = 0): { window: EncodedWindow; values: number[] } {
  const h = newHistogram();
  const values = Array.from(
    { length: 20 + ((s * 7 + slice) % 13) },
    (_, i) => 1_000 + ((s * 131 + i * 977 + slice * 53) % 90_000),
  );
  for (const v of values) h.recordValue(v);
  return { window: { second: s, requests: values.length, errors, histogram: encodeHistogram(h) }, values };
}

const p95Of = (values: number[]) => {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return Math.round(h.getValueAtPercentile(95)) / 1000;
};

describe('downsampled timelines in the store', () => {
  test('when two generators write 60 s in batches, then the windows past the boundaries are merged exactly, the rows are bounded and nothing is counted twice', async () => {
    const campaignId = await newCampaign();
    const errorsAt = new Map([
      [17, 2],
      [44, 1],
    ]);
    const truth = new Map<number, number[]>();
    let requests = 0;
    for (const slice of [0, 1]) {
      const writer = new TimelineWriter({ store, campaignId, phase: 'endurance', slice, resolution: SMALL });
      for (let at = 0; at < 60; at += 3) {
        const batch = [at, at + 1, at + 2].map((s) => second(s, slice, slice === 0 ? (errorsAt.get(s) ?? 0) : 0));
        for (const b of batch) {
          truth.set(b.window.second, [...(truth.get(b.window.second) ?? []), ...b.values]);
          requests += b.window.requests;
        }
        await writer.write(batch.map((b) => b.window));
      }
      await writer.finish();
    }
    const windows = await store.timelineWindows(campaignId, 'endurance');
    // Every request once.
    expect([...windows.values()].reduce((n, w) => n + w.requests, 0)).toBe(requests);
    // The first 10 s per second; the windows near the errors (17; 44, within the budget? no: 17 spent it) keep seconds.
    const widths = [...windows].map(([s, w]) => [s, w.widthS]);
    expect(widths.filter(([s]) => s < 10).every(([, w]) => w === 1)).toBe(true);
    expect(widths).toEqual(
      expect.arrayContaining([
        [14, 1],
        [15, 1],
        [16, 1],
        [17, 1],
        [18, 1],
        [19, 1],
      ]),
    );
    expect(widths).toEqual(
      expect.arrayContaining([
        [10, 2],
        [12, 2],
        [20, 2],
        [30, 5],
        [40, 5],
        [45, 5],
        [50, 5],
      ]),
    );
    // The last seconds (within the margin of the end) stay as they came.
    expect(widths).toEqual(
      expect.arrayContaining([
        [58, 1],
        [59, 1],
      ]),
    );
    // Each merged window's percentiles are those of all of its seconds' requests together.
    for (const [start, w] of windows) {
      const values = Array.from({ length: w.widthS }, (_, i) => truth.get(start + i) ?? []).flat();
      expect({ start, requests: w.requests, p95: Math.round(w.hist.getValueAtPercentile(95)) / 1000 }).toEqual({
        start,
        requests: values.length,
        p95: p95Of(values),
      });
    }
    const rows = await store.timelineRows(campaignId, 'endurance');
    expect(rows).toBeLessThan(2 * 60);
    // A second stored late, inside a window already merged (after a database outage), is left out, not added twice.
    await store.upsertTimeline(campaignId, 'endurance', 0, [second(31, 0).window]);
    expect(await store.timelineRows(campaignId, 'endurance')).toBe(rows);
    // A writer that restarts (a retried activity) picks up where the merging stood and merges nothing twice.
    const again = new TimelineWriter({ store, campaignId, phase: 'endurance', slice: 0, resolution: SMALL });
    await again.finish();
    expect(await store.timelineRows(campaignId, 'endurance')).toBe(rows);
    const points = await store.loadTimeline(campaignId, 'endurance');
    expect(points.find((p) => p.second === 30)).toMatchObject({ widthS: 5 });
    expect(points.find((p) => p.second === 3)).not.toHaveProperty('widthS');
  });

  test('when a generator keeps every second (no resolution: judged steps), then nothing is merged', async () => {
    const campaignId = await newCampaign();
    const writer = new TimelineWriter({ store, campaignId, phase: 'stress-01-10', slice: 0 });
    await writer.write(Array.from({ length: 40 }, (_, s) => second(s, 0).window));
    await writer.finish();
    expect(await store.timelineRows(campaignId, 'stress-01-10')).toBe(40);
  });
});
