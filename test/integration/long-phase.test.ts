/**
 * A real campaign whose endurance phase crosses the downsampling boundaries (small ones: per second for 5 s, 2 s
 * windows until 15 s, 5 s windows after), with two generators. A trigger the test puts on the timeline table keeps
 * every per-second row the compaction deletes, so each coarse window can be checked against its own seconds:
 * request counts equal, percentiles equal to the merge of its seconds; and the report reads the bounded series.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { decodeHistogram } from '../../src/engine/metrics';
import { reportSchema } from '../../src/report/schema';
import { testPool, uid } from '../helpers/env';
import { startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
const pool = testPool();
const AUDIT = `timeline_audit_${uid()}`;

beforeAll(async () => {
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('long-phase'));
  await pool.query(`CREATE TABLE ${AUDIT} (LIKE load_timeline)`);
  await pool.query(`CREATE FUNCTION ${AUDIT}_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${AUDIT} SELECT OLD.*; RETURN OLD; END $$`);
  await pool.query(
    `CREATE TRIGGER ${AUDIT}_trg BEFORE DELETE ON load_timeline FOR EACH ROW EXECUTE FUNCTION ${AUDIT}_keep()`,
  );
});

afterAll(async () => {
  await pool.query(`DROP TRIGGER IF EXISTS ${AUDIT}_trg ON load_timeline`);
  await pool.query(`DROP FUNCTION IF EXISTS ${AUDIT}_keep()`);
  await pool.query(`DROP TABLE IF EXISTS ${AUDIT}`);
  await stopWorker();
  await pool.end();
});

test('when an endurance phase crosses the downsampling boundaries, then each coarse window is the exact merge of its seconds and the report reads the bounded series', async () => {
  let served = 0;
  const target = await startTarget((req, res) => {
    served++;
    // Latency that varies with time, so windows differ; an error burst in the coarse part (an event).
    const t = Date.now() % 1000;
    setTimeout(() => res.writeHead(req.url === '/fail' ? 500 : 200).end('ok'), 2 + (t % 17));
  });
  try {
    const v = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `long-${uid()}`,
      target: { baseUrl: target.url },
      scenario: {
        thinkTime: '20ms',
        requestTimeout: '2s',
        requests: [
          { name: 'get', method: 'GET', path: '/x', weight: 50 },
          { name: 'fail', method: 'GET', path: '/fail' },
        ],
      },
      baseline: { phases: [{ name: 'endurance', users: 6, duration: '32s', generators: 2 }] },
      settings: {
        timeline: {
          perSecondFor: '5s',
          tiers: [
            { after: '5s', every: '2s' },
            { after: '15s', every: '5s' },
          ],
          keepAroundEvents: '1s',
          maxEventDetail: '4s',
        },
      },
    });
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    const handle = await startCampaign(client, v.campaign, { taskQueue });
    const result = await handle.result();
    const id = handle.workflowId;
    const rows = (
      await pool.query(
        `SELECT slice, second, width_s, requests, errors, histogram_us FROM load_timeline WHERE campaign_id = $1 AND phase_name = 'endurance' ORDER BY slice, second`,
        [id],
      )
    ).rows;
    const audit = (
      await pool.query(
        `SELECT slice, second, width_s, requests, errors, histogram_us FROM ${AUDIT} WHERE campaign_id = $1 AND phase_name = 'endurance' AND width_s = 1`,
        [id],
      )
    ).rows;
    const coarse = rows.filter((r) => r.width_s > 1);
    // The boundaries were crossed: per second first, then 2 s windows, then 5 s windows.
    expect(rows.filter((r) => r.width_s === 1 && r.second < 5).length).toBeGreaterThan(4);
    expect(coarse.some((r) => r.width_s === 2 && r.second >= 5 && r.second < 15)).toBe(true);
    expect(coarse.some((r) => r.width_s === 5 && r.second >= 15)).toBe(true);
    // Each coarse window is exactly the seconds it replaced: counts, errors and every percentile.
    for (const c of coarse) {
      const seconds = audit.filter(
        (a) => a.slice === c.slice && a.second >= c.second && a.second < c.second + c.width_s,
      );
      expect(seconds.length).toBeGreaterThan(0);
      const merged = decodeHistogram(seconds[0]!.histogram_us);
      for (const s of seconds.slice(1)) merged.add(decodeHistogram(s.histogram_us));
      const h = decodeHistogram(c.histogram_us);
      expect({
        window: `${c.slice}:${c.second}+${c.width_s}`,
        requests: c.requests,
        errors: c.errors,
        p50: h.getValueAtPercentile(50),
        p95: h.getValueAtPercentile(95),
        p99: h.getValueAtPercentile(99),
        max: h.maxValue,
      }).toEqual({
        window: `${c.slice}:${c.second}+${c.width_s}`,
        requests: seconds.reduce((n, s) => n + s.requests, 0),
        errors: seconds.reduce((n, s) => n + s.errors, 0),
        p50: merged.getValueAtPercentile(50),
        p95: merged.getValueAtPercentile(95),
        p99: merged.getValueAtPercentile(99),
        max: merged.maxValue,
      });
    }
    // Fewer rows than seconds, and every request of the phase is in the series the report reads.
    expect(rows.length).toBeLessThan(2 * 33);
    const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
    expect(reportSchema.safeParse(report).error).toBeUndefined();
    const phase = report.baseline.phases[0];
    const timeline = phase.timeline as Array<{ second: number; widthS?: number; requests: number }>;
    expect(timeline.reduce((n, p) => n + p.requests, 0)).toBe(phase.requests);
    expect(timeline.some((p) => p.widthS === 5)).toBe(true);
    expect(phase.requests).toBeLessThanOrEqual(served);
  } finally {
    await target.close();
  }
}, 180_000);
