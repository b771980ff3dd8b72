/**
 * Tracing and logs proven end to end on real servers: Jaeger (built from the Go module proxy), a fixture service
 * instrumented with the OpenTelemetry SDK exporting to it over OTLP, and Grafana Loki fed with the service's error
 * lines through its push API. The load marks a share of its requests with a W3C traceparent; the monitoring phase
 * finds them in Jaeger, sets the errors served against the error lines in Loki, and finds a failed request's trace
 * id in the logs. Then: partial sampling (a ratio sampler), nothing traced, and no backend at all.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { freePort } from '../../src/infra/process';
import { reportSchema } from '../../src/report/schema';
import { testEnv, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startJaeger, startLoki, type Component } from '../helpers/monitoring-stack';
import { startTracedTarget, type TracedTarget } from '../helpers/traced-target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
let jaeger: Component & { otlpUrl: string };
let loki: Component;
const targets: TracedTarget[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(path.join(testEnv.dir, 'tracing-'));
  [jaeger, loki] = await Promise.all([startJaeger(dir), startLoki(dir, { retention: '168h' })]);
  ({ taskQueue, client, stop: stopWorker } = await startInProcessWorker('tracing'));
}, 180_000);

afterAll(async () => {
  await stopWorker();
  await Promise.allSettled([...targets.map((t) => t.close()), jaeger?.stop(), loki?.stop()]);
});

async function target(service: string, sampler: 'parent' | 'ratio' | 'off') {
  const t = await startTracedTarget({ service, otlpUrl: jaeger.otlpUrl, sampler, ratio: 0.5, lokiUrl: loki.url });
  targets.push(t);
  return t;
}

type Check = { id: string; status: string; evidence: { observed: unknown } };

async function run(t: TracedTarget, service: string, extra: { withLoad: boolean; tracing: Record<string, unknown> }) {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `tracing-${uid()}`,
    target: { baseUrl: t.url },
    scenario: {
      thinkTime: '20ms',
      traceSample: 0.5,
      requests: [
        { name: 'ok', method: 'GET', path: '/ok', weight: 3 },
        { name: 'fail', method: 'GET', path: '/fail' },
      ],
    },
    ...(extra.withLoad ? { baseline: { phases: [{ name: 'load', users: 2, duration: '4s' }] } } : {}),
    monitoring: {
      tracing: { type: 'jaeger', url: jaeger.url, service, visibleWithin: '15s', ...extra.tracing },
      loki: {
        url: loki.url,
        query: `{job="${service}"}`,
        errorQuery: `{job="${service}"} |= "level=error"`,
        minRetention: '7d',
      },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
  expect(reportSchema.safeParse(report).error).toBeUndefined();
  const checks = report.monitoring.checks as Check[];
  const byId = (id: string) => checks.find((c) => c.id === id)!;
  return { byId, report, result };
}

test("when the service continues the caller's trace and logs its errors, then its traces are found, the sample rate is as configured, error lines match the errors served, and a failed request is found in the logs by its trace id", async () => {
  const t = await target('checkout', 'parent');
  const { byId, result } = await run(t, 'checkout', { withLoad: true, tracing: {} });
  expect(byId('tracing.reachable').status).toBe('pass');
  expect(byId('tracing.visible')).toMatchObject({ status: 'pass' });
  expect(String(byId('tracing.visible').evidence.observed)).toMatch(
    /^3 of 3 probe traces visible, after [\d.]+ s .*services: checkout/,
  );
  expect(byId('tracing.sample_rate').status).toBe('pass');
  expect(String(byId('tracing.sample_rate').evidence.observed)).toMatch(/effective sample rate 1 /);
  expect(byId('loki.retention')).toMatchObject({ status: 'pass', evidence: { observed: 'retention 7 d' } });
  expect(byId('loki.search').status).toBe('pass');
  expect(byId('loki.error_logs').status).toBe('pass');
  const logs = String(byId('loki.error_logs').evidence.observed).match(
    /^(\d+) error lines for (\d+) 5xx answers served, over 1 load window\(s\) \(load\)/,
  );
  expect(logs).not.toBeNull();
  const [lines, served] = [Number(logs![1]), Number(logs![2])];
  expect(served).toBeGreaterThan(10);
  // Every failed request logged one line (the shipper pushes every 500 ms: the last may still be on the way).
  expect(lines).toBeGreaterThanOrEqual(served * 0.8);
  expect(lines).toBeLessThanOrEqual(served);
  expect(byId('loki.trace_correlation').status).toBe('pass');
  expect(result.phases.monitoring.status).not.toBe('error');
  recordFigures('tracing-logs', {
    scenario: 'Jaeger, an OpenTelemetry-instrumented service, Loki fed by the service',
    test: 'test/integration/tracing-logs.test.ts',
    figures: {
      visible: String(byId('tracing.visible').evidence.observed),
      sampleRate: String(byId('tracing.sample_rate').evidence.observed),
      errorLogs: String(byId('loki.error_logs').evidence.observed),
      search: String(byId('loki.search').evidence.observed),
    },
  });
}, 180_000);

test('when the service samples half of the traces whatever the caller says, then the effective sample rate is measured near 0.5 and fails an expectation of 1', async () => {
  const t = await target('ratio', 'ratio');
  const { byId } = await run(t, 'ratio', { withLoad: true, tracing: { probes: 10 } });
  const rate = Number(
    String(byId('tracing.sample_rate').evidence.observed).match(/effective sample rate ([\d.]+)/)![1],
  );
  expect(rate).toBeGreaterThan(0.2);
  expect(rate).toBeLessThan(0.8);
  expect(byId('tracing.sample_rate').status).toBe('fail');
  expect(byId('tracing.visible').status).toBe('pass');
}, 180_000);

test('when the service traces nothing, then no trace is visible (fail); when there is no backend, then reachable is an error and the rest not evaluable, never a pass', async () => {
  const t = await target('dark', 'off');
  const dark = await run(t, 'dark', { withLoad: false, tracing: { visibleWithin: '3s' } });
  expect(dark.byId('tracing.reachable').status).toBe('pass');
  expect(dark.byId('tracing.visible').status).toBe('fail');
  expect(String(dark.byId('tracing.visible').evidence.observed)).toMatch(/^0 of 3 probe traces visible/);
  expect(dark.byId('tracing.sample_rate').status).toBe('not_evaluable');
  const closed = await freePort();
  const blind = await run(t, 'dark', { withLoad: false, tracing: { url: `http://127.0.0.1:${closed}` } });
  expect(blind.byId('tracing.reachable').status).toBe('error');
  expect([blind.byId('tracing.visible').status, blind.byId('tracing.sample_rate').status]).toEqual([
    'not_evaluable',
    'not_evaluable',
  ]);
  // No load, no errors served: the error-log check has nothing to look for.
  expect(blind.byId('loki.error_logs').status).toBe('not_evaluable');
}, 180_000);
