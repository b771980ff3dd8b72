/**
 * The monitoring phase through the campaign workflow, with stress: a real Prometheus scrapes a
 * pool-limited target's own /metrics, so each stress step carries telemetry (slots in use) and the
 * breaking step shows what saturated; an alert that should fire under that load is checked against
 * Prometheus' ALERTS series, and one whose rule watches the wrong metric is reported as not fired.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { MonitoringResult } from '../../src/core/monitoring';
import type { StressResult } from '../../src/core/stress';
import { pushLogs, startAlertmanager, startLoki, startPrometheus, type Component } from '../helpers/monitoring-stack';
import { freePort } from '../../src/infra/process';
import { testEnv, testPool, uid } from '../helpers/env';
import { grafanaStandIn, runbookSite, scraped, webhookSink, type Stub } from '../helpers/monitoring';
import { startCapacityServer } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
const pool = testPool();
const stops: Array<() => Promise<void>> = [];
let target: Awaited<ReturnType<typeof startCapacityServer>>;
let prom: Component;
let am: Component;
let loki: Component;
let runbooks: Stub;
let grafana: Stub;
let probeListen: string;

const RULES = (runbookBase: string) => `groups:
- name: target
  rules:
  - alert: HighErrorRate
    expr: sum(rate(http_requests_total{code=~"5.."}[3s])) / sum(rate(http_requests_total[3s])) > 0.01
    annotations: { summary: "more than 1 % of requests fail", runbook_url: "${runbookBase}/runbooks/HighErrorRate" }
  - alert: ErrorsOnWrongMetric
    expr: sum(rate(http_server_errors_total[3s])) > 0
    annotations: { summary: "watches a metric the service does not export", runbook_url: "${runbookBase}/runbooks/ErrorsOnWrongMetric" }
`;

beforeAll(async () => {
  ({
    taskQueue,
    client,
    stop: stopWorker,
  } = await startInProcessWorker('moncampaign', { secretEnv: ['MON_MISSING_TOKEN'] }));
  const dir = mkdtempSync(path.join(testEnv.dir, 'moncampaign-'));
  probeListen = `127.0.0.1:${await freePort()}`;
  const sink = await webhookSink();
  [target, runbooks, grafana] = await Promise.all([
    startCapacityServer(4, 10, 100),
    runbookSite(['HighErrorRate', 'ErrorsOnWrongMetric']),
    grafanaStandIn('ok'),
  ]);
  [am, loki] = await Promise.all([
    startAlertmanager({ dir, probeWebhook: probeListen, defaultWebhook: sink.address }),
    startLoki(dir, { retention: '168h' }),
  ]);
  prom = await startPrometheus({
    dir,
    alertmanagers: [am.address],
    ruleFiles: [{ name: 'target.yml', content: RULES(runbooks.url) }],
    scrapeJobs: [{ job: 'api', targets: [new URL(target.url).host] }],
  });
  stops.push(prom.stop, am.stop, loki.stop, target.close, runbooks.close, grafana.close, sink.close);
  await scraped(prom.url, { targets: 2, alertmanagers: 1 });
  await pushLogs(loki.url, { job: 'api' }, ['started']);
}, 180_000);

afterAll(async () => {
  await stopWorker();
  await Promise.all(stops.map((s) => s()));
  await pool.end();
});

test('when stress breaks a monitored target, then steps carry telemetry, the saturated pool is named, the real alert is proven to fire and the miswired one is reported', async () => {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `moncampaign-${uid()}`,
    target: { baseUrl: target.url },
    scenario: {
      thinkTime: '40ms',
      requestTimeout: '2s',
      requests: [{ name: 'get-goal', method: 'GET', path: '/goals/1' }],
    },
    stress: {
      startUsers: 30,
      stepUsers: 10,
      stepDuration: '6s',
      maxUsers: 120,
      telemetry: [
        { name: 'pool_in_use', query: 'capacity_slots_in_use', max: 4 },
        { name: 'queue', query: 'capacity_queue_length' },
      ],
    },
    monitoring: {
      prometheus: { url: prom.url, requiredJobs: ['api'], minRetention: '15d' },
      alertmanager: { url: am.url, probe: { listen: probeListen, timeout: '30s' } },
      metricsEndpoints: [{ name: 'api', url: `${target.url}/metrics`, requiredMetrics: ['http_requests_total'] }],
      grafana: { url: grafana.url },
      loki: { url: loki.url, query: '{job="api"}' },
      alertsUnderLoad: [
        { alert: 'HighErrorRate', when: 'error_rate>0.01', within: '6s' },
        { alert: 'ErrorsOnWrongMetric', when: 'error_rate>0.01', within: '6s' },
      ],
    },
    settings: { heartbeatTimeout: '10s' },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  const stored = async <T>(phase: string) =>
    (
      await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
        handle.workflowId,
        phase,
      ])
    ).rows[0]?.result as T;
  const st = await stored<StressResult>('stress');
  const mon = await stored<MonitoringResult>('monitoring');

  // Telemetry on every step; at the breaking point the pool (4 slots) is saturated.
  expect(st.steps.every((s) => s.telemetry?.length === 2)).toBe(true);
  const breaking = st.steps.find((s) => s.status === 'fail')!;
  expect(breaking).toBeDefined();
  expect(breaking.telemetry!.find((t) => t.name === 'pool_in_use')).toMatchObject({
    value: 4,
    max: 4,
    saturated: true,
  });

  // Alert accuracy under load.
  const fired = mon.checks.find((c) => c.id === 'alerts_under_load.HighErrorRate')!;
  expect(fired.status).toBe('pass');
  expect((fired.evidence.observed as { firstSeenAfterS: number }).firstSeenAfterS).toBeLessThanOrEqual(6);
  const miswired = mon.checks.find((c) => c.id === 'alerts_under_load.ErrorsOnWrongMetric')!;
  expect(miswired).toMatchObject({ status: 'fail', severity: 'P1' });
  expect(miswired.remediation).toMatch(/should have fired and did not/);

  // Everything else on the stack passes, delivery included; the miswired alert blocks the phase.
  expect(mon.checks.filter((c) => c.status !== 'pass').map((c) => c.id)).toEqual([
    'alerts_under_load.ErrorsOnWrongMetric',
  ]);
  expect(mon.maturity).toMatchObject({
    level: 2,
    gaps: ['alerts proven to fire under load', "distributed tracing: the target's traces visible"],
  });
  expect(result.phases.monitoring).toMatchObject({ status: 'fail' });
  expect(mon.blockers[0]).toBe('P1 ErrorsOnWrongMetric fires when error_rate>0.01 under load');

  const md = readFileSync(path.join(result.reportDir, 'report.md'), 'utf8');
  expect(md).toContain('**Monitoring maturity:** Level 2 - Reactive (out of 5), target Level 2 - Reactive ✅.');
  expect(md).toMatch(
    /\| ErrorsOnWrongMetric fires when error_rate>0\.01 under load \(`alerts_under_load\.ErrorsOnWrongMetric`\) \| P1 \| ❌ \*\*fail\*\* \|/,
  );
  expect(md).toContain('| pool_in_use | queue | Status |');
  expect(md).toMatch(/\*\*What saturated at the breaking point:\*\* pool_in_use at 4 of 4/);
  const json = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8')) as {
    monitoring: MonitoringResult;
  };
  expect(json.monitoring.checks.length).toBe(mon.checks.length);
});

test('when a monitoring probe cannot run (a header variable unset on the worker), then it is an error check and the campaign still ends with a verdict', async () => {
  delete process.env.MON_MISSING_TOKEN;
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `moncampaign-${uid()}`,
    target: { baseUrl: target.url },
    scenario: { requests: [{ name: 'get-goal', method: 'GET', path: '/goals/1' }] },
    monitoring: {
      prometheus: { url: prom.url, headers: { Authorization: { fromEnv: 'MON_MISSING_TOKEN' } } },
      alertmanager: { url: am.url },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const handle = await startCampaign(client, r.campaign, { taskQueue });
  const result = await handle.result();
  expect(result.phases.monitoring.status).toBe('fail');
  const mon = (
    await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
      handle.workflowId,
      'monitoring',
    ])
  ).rows[0].result as MonitoringResult;
  expect(mon.checks.find((c) => c.id === 'prometheus.ready')).toMatchObject({
    status: 'error',
    evidence: {
      observed:
        'could not run: monitoring.prometheus.headers.Authorization: environment variable MON_MISSING_TOKEN is not set on the worker',
    },
  });
  // The Alertmanager was reachable; its delivery proof was switched off, which is never a pass.
  expect(mon.checks.find((c) => c.id === 'alertmanager.ready')?.status).toBe('pass');
  expect(mon.checks.find((c) => c.id === 'alertmanager.delivery')?.status).toBe('not_evaluable');
});
