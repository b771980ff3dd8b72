/**
 * Monitoring checks against a real monitoring stack: Debian's Prometheus, Alertmanager, node and postgres
 * exporters, and Grafana Loki (built by scripts/install-loki.sh), on loopback ports with generated configs.
 * A healthy stack passes every check; each planted gap is a failing check with evidence and severity; an
 * unreachable system never passes. Grafana is not packaged here: its check runs against a stand-in.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { maturityLevel, monitoringOutcome, type CheckResult } from '../../src/core/monitoring';
import {
  pushLogs,
  startAlertmanager,
  startLoki,
  startNodeExporter,
  startPostgresExporter,
  startPrometheus,
  type Component,
} from '../helpers/monitoring-stack';
import { freePort } from '../../src/infra/process';
import { alertmanagerChecks, proveDelivery } from '../../src/monitoring/alertmanager';
import { prometheusChecks } from '../../src/monitoring/prometheus';
import { grafanaChecks, lokiChecks, metricsEndpointChecks } from '../../src/monitoring/services';
import { testEnv } from '../helpers/env';
import { egressGuard } from '../../src/core/egress';
import { grafanaStandIn, metricsService, runbookSite, scraped, webhookSink, type Stub } from '../helpers/monitoring';

const DAY = 86_400_000;
/** Every system here is on loopback, which the worker's default policy allows. */
const egress = egressGuard({ targets: ['loopback'], systems: ['loopback'] }, 'system');
const T = 5_000;
let dir: string;
const stops: Array<() => Promise<void>> = [];
let am: Component;
let nodeExp: Component;
let pgExp: Component;
let prom: Component;
let loki: Component;
let api: Stub;
let runbooks: Stub;
let sink: Stub;
let probeListen: string;

const rules = (runbookBase: string, names: string[]) => `groups:
- name: service
  rules:
${names
  .map(
    (n) => `  - alert: ${n}
    expr: rate(http_requests_total{code=~"5.."}[30s]) > 1
    labels: { severity: page }
    annotations: { summary: "${n}", runbook_url: "${runbookBase}/runbooks/${n}" }`,
  )
  .join('\n')}
`;

const byId = (checks: CheckResult[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${checks.map((x) => x.id).join(', ')}`);
  return c;
};
const promOpts = (url: string, extra: Partial<Parameters<typeof prometheusChecks>[0]> = {}) => ({
  url,
  headers: {},
  requiredJobs: ['node', 'postgres', 'api'],
  minRetentionMs: 15 * DAY,
  requireRunbooks: true,
  timeoutMs: T,
  egress,
  ...extra,
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'monitoring-'));
  probeListen = `127.0.0.1:${await freePort()}`;
  [api, runbooks, sink] = await Promise.all([
    metricsService(),
    runbookSite(['HighErrorRate', 'ApiDown']),
    webhookSink(),
  ]);
  [am, nodeExp, pgExp, loki] = await Promise.all([
    startAlertmanager({ dir, probeWebhook: probeListen, defaultWebhook: sink.address }),
    startNodeExporter(dir),
    startPostgresExporter(dir, testEnv.databaseUrl),
    startLoki(dir),
  ]);
  prom = await startPrometheus({
    dir,
    alertmanagers: [am.address],
    ruleFiles: [{ name: 'service.yml', content: rules(runbooks.url, ['HighErrorRate', 'ApiDown']) }],
    scrapeJobs: [
      { job: 'node', targets: [nodeExp.address] },
      { job: 'postgres', targets: [pgExp.address], interval: '5s' },
      { job: 'api', targets: [api.address] },
    ],
  });
  stops.push(...[prom, am, nodeExp, pgExp, loki].map((c) => c.stop), api.close, runbooks.close, sink.close);
  await scraped(prom.url, { targets: 4, alertmanagers: 1 });
}, 180_000);

afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
});

describe('monitoring checks on a real stack', () => {
  test('when the stack is healthy (Grafana: a local stand-in, it is not packaged here), then every check passes, the test alert is delivered with a measured latency, and the maturity is level 2 (Reactive)', async () => {
    await pushLogs(loki.url, { job: 'api' }, ['GET /goals 200', 'POST /goals 201']);
    const grafana = await grafanaStandIn('ok');
    stops.push(grafana.close);
    const checks = [
      ...(await prometheusChecks(promOpts(prom.url))),
      ...(await alertmanagerChecks({ url: am.url, headers: {}, timeoutMs: T, egress })),
      await proveDelivery({ url: am.url, headers: {}, timeoutMs: T, egress, listen: probeListen, waitMs: 30_000 }),
      ...(await metricsEndpointChecks(
        [
          { name: 'api', url: `${api.url}/metrics`, headers: {}, requiredMetrics: ['http_requests_total'] },
          { name: 'node', url: `${nodeExp.url}/metrics`, headers: {}, requiredMetrics: ['node_cpu_seconds_total'] },
        ],
        { url: prom.url, headers: {} },
        T,
        egress,
      )),
      ...(await grafanaChecks(grafana.url, {}, T, egress)),
      ...(await lokiChecks({
        url: loki.url,
        headers: {},
        query: '{job="api"}',
        sinceMs: 3_600_000,
        timeoutMs: T,
        egress,
      })),
    ];
    expect(
      checks
        .filter((c) => c.status !== 'pass')
        .map((c) => `${c.id}: ${c.status} ${JSON.stringify(c.evidence.observed)}`),
    ).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'prometheus.ready',
        'prometheus.targets_up',
        'prometheus.required_jobs',
        'prometheus.rules_loaded',
        'prometheus.rules_healthy',
        'prometheus.runbooks',
        'prometheus.alertmanager_discovered',
        'prometheus.retention',
        'alertmanager.ready',
        'alertmanager.receivers',
        'alertmanager.silences',
        'alertmanager.delivery',
        'metrics.api.reachable',
        'metrics.api.format',
        'metrics.api.required_metrics',
        'metrics.api.scraped',
        'metrics.node.scraped',
        'grafana.health',
        'loki.ready',
        'loki.recent_logs',
      ]),
    );
    const delivery = byId(checks, 'alertmanager.delivery').evidence.observed as {
      delivered: boolean;
      latencyMs: number;
      receiver: string;
    };
    expect(delivery).toMatchObject({ delivered: true, receiver: 'readiness-probe' });
    expect(delivery.latencyMs).toBeGreaterThan(0);
    expect(delivery.latencyMs).toBeLessThan(30_000);
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      'test-results/monitoring.json',
      JSON.stringify({ deliveryLatencyMs: Math.round(delivery.latencyMs), checks: checks.length }, null, 2),
    );
    const maturity = maturityLevel(checks, 2);
    expect(maturity).toMatchObject({
      level: 2,
      label: 'Reactive',
      gaps: ['alerts proven to fire under load', "distributed tracing: the target's traces visible"],
    });
    expect(monitoringOutcome(checks, maturity).status).toBe('pass');
    // The test alert was resolved: nothing of it is left firing.
    const left = (await (
      await request(
        `${am.url}/api/v2/alerts?active=true&filter=${encodeURIComponent('alertname="ReadinessDeliveryProbe"')}`,
      )
    ).body.json()) as unknown[];
    expect(left).toEqual([]);
  });

  test('when rule files exist but are not loaded, then rules_loaded fails (P1) with 0 rule groups as evidence', async () => {
    const p = await startPrometheus({
      dir,
      loadRules: false,
      ruleFiles: [{ name: 'service.yml', content: rules(runbooks.url, ['HighErrorRate']) }],
      alertmanagers: [am.address],
    });
    try {
      const c = byId(await prometheusChecks(promOpts(p.url, { requiredJobs: [] })), 'prometheus.rules_loaded');
      expect(c).toMatchObject({
        severity: 'P1',
        status: 'fail',
        evidence: { observed: { ruleGroups: 0, alertingRules: 0, configuredRuleFiles: [] } },
      });
      expect(c.remediation).toMatch(/not loaded/);
    } finally {
      await p.stop();
    }
  });

  test('when Prometheus has no Alertmanager, then alertmanager_discovered fails (P1) and maturity stays at level 1', async () => {
    const p = await startPrometheus({
      dir,
      ruleFiles: [{ name: 'service.yml', content: rules(runbooks.url, ['HighErrorRate']) }],
    });
    try {
      await scraped(p.url, { targets: 1 });
      const checks = await prometheusChecks(promOpts(p.url, { requiredJobs: [] }));
      expect(byId(checks, 'prometheus.alertmanager_discovered')).toMatchObject({
        severity: 'P1',
        status: 'fail',
        evidence: { observed: [] },
      });
      expect(maturityLevel(checks, 2).level).toBe(1);
      expect(monitoringOutcome(checks, maturityLevel(checks, 2)).blockers).toContain(
        'P1 Prometheus sends alerts to an Alertmanager',
      );
    } finally {
      await p.stop();
    }
  });

  test('when a scrape target is down, then targets_up fails and lists it with its last error', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const p = await startPrometheus({
      dir,
      scrapeJobs: [
        { job: 'api', targets: [api.address] },
        { job: 'worker', targets: [dead] },
      ],
    });
    try {
      await scraped(p.url, { targets: 3 });
      const c = byId(
        await prometheusChecks(promOpts(p.url, { requiredJobs: ['api', 'worker', 'redis'] })),
        'prometheus.targets_up',
      );
      expect(c.status).toBe('fail');
      const observed = c.evidence.observed as { down: Array<{ job: string; scrapeUrl: string; lastError: string }> };
      expect(observed.down).toEqual([
        expect.objectContaining({
          job: 'worker',
          scrapeUrl: `http://${dead}/metrics`,
          lastError: expect.stringMatching(/connection refused/),
        }),
      ]);
      const jobs = byId(
        await prometheusChecks(promOpts(p.url, { requiredJobs: ['api', 'worker', 'redis'] })),
        'prometheus.required_jobs',
      );
      expect(jobs).toMatchObject({ status: 'fail', remediation: 'Add scrape jobs for: redis.' });
    } finally {
      await p.stop();
    }
  });

  test('when retention is shorter than required, then the retention check fails (P2) with the effective retention', async () => {
    const p = await startPrometheus({ dir, retention: '2h' });
    try {
      const c = byId(await prometheusChecks(promOpts(p.url, { requiredJobs: [] })), 'prometheus.retention');
      expect(c).toMatchObject({ severity: 'P2', status: 'fail', evidence: { observed: '2h', expected: '>= 15d' } });
    } finally {
      await p.stop();
    }
  });

  test('when alert rules lack runbooks or link dead ones, then the runbook check fails and names them', async () => {
    const content = `${rules(runbooks.url, ['HighErrorRate', 'NoSuchRunbook'])}  - alert: Bare
    expr: vector(0) > 1
`;
    const p = await startPrometheus({ dir, ruleFiles: [{ name: 'r.yml', content }], alertmanagers: [am.address] });
    try {
      await scraped(p.url, { targets: 1 });
      const c = byId(await prometheusChecks(promOpts(p.url, { requiredJobs: [] })), 'prometheus.runbooks');
      expect(c.status).toBe('fail');
      expect(c.evidence.observed).toMatchObject({
        withoutRunbookUrl: ['Bare'],
        unreachableRunbooks: [{ url: `${runbooks.url}/runbooks/NoSuchRunbook`, observed: 'HTTP 404' }],
      });
    } finally {
      await p.stop();
    }
  });

  test('when the Alertmanager has no route to the probe webhook, then delivery falls back to its counters and says the proof is partial', async () => {
    const a = await startAlertmanager({ dir, defaultWebhook: sink.address });
    try {
      const c = await proveDelivery({
        url: a.url,
        headers: {},
        timeoutMs: T,
        egress,
        listen: probeListen,
        waitMs: 20_000,
      });
      expect(c).toMatchObject({ id: 'alertmanager.delivery.partial', status: 'warn' });
      expect(
        (c.evidence.observed as { notificationsDuringProbe: Record<string, { sent: number }> }).notificationsDuringProbe
          .webhook.sent,
      ).toBeGreaterThan(0);
      expect(c.remediation).toMatch(/partial|receipt is not proven/);
    } finally {
      await a.stop();
    }
  });

  test('when a broad silence is active and the only receiver notifies nobody, then both checks fail with the silence as evidence', async () => {
    const a = await startAlertmanager({ dir });
    try {
      const res = await request(`${a.url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: [{ name: 'severity', value: '.+', isRegex: true, isEqual: true }],
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          createdBy: 'ops',
          comment: 'maintenance',
        }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const checks = await alertmanagerChecks({ url: a.url, headers: {}, timeoutMs: T, egress });
      expect(byId(checks, 'alertmanager.receivers')).toMatchObject({
        status: 'fail',
        evidence: { observed: [{ name: 'default', integrations: [] }] },
      });
      const s = byId(checks, 'alertmanager.silences');
      expect(s.status).toBe('fail');
      expect((s.evidence.observed as { broad: Array<{ matchers: string; createdBy: string }> }).broad).toEqual([
        expect.objectContaining({ matchers: 'severity=~".+"', createdBy: 'ops' }),
      ]);
    } finally {
      await a.stop();
    }
  });

  test('when a service has no metrics, bad metrics or is not scraped, then each is a failing check with evidence', async () => {
    const bad = await metricsService('<html>metrics dashboard</html>\n');
    const unscraped = await metricsService();
    try {
      const checks = await metricsEndpointChecks(
        [
          { name: 'nometrics', url: `${runbooks.url}/metrics`, headers: {}, requiredMetrics: [] },
          { name: 'bad', url: `${bad.url}/metrics`, headers: {}, requiredMetrics: ['http_requests_total'] },
          {
            name: 'unscraped',
            url: `${unscraped.url}/metrics`,
            headers: {},
            requiredMetrics: ['http_requests_total', 'http_request_duration_seconds'],
          },
        ],
        { url: prom.url, headers: {} },
        T,
        egress,
      );
      expect(byId(checks, 'metrics.nometrics.reachable')).toMatchObject({
        status: 'fail',
        evidence: { observed: 'HTTP 404' },
      });
      expect(byId(checks, 'metrics.nometrics.scraped').status).toBe('not_evaluable');
      expect(byId(checks, 'metrics.bad.format').status).toBe('fail');
      expect(byId(checks, 'metrics.bad.required_metrics').status).toBe('fail');
      expect(byId(checks, 'metrics.unscraped.format').status).toBe('pass');
      expect(byId(checks, 'metrics.unscraped.required_metrics')).toMatchObject({
        status: 'fail',
        evidence: { observed: { missing: ['http_request_duration_seconds'] } },
      });
      expect(byId(checks, 'metrics.unscraped.scraped')).toMatchObject({
        status: 'fail',
        evidence: { observed: 'no target scrapes this endpoint' },
      });
    } finally {
      await bad.close();
      await unscraped.close();
    }
  });

  test('when Loki has no recent lines for the selector, then recent_logs fails; a failing Grafana stand-in fails its health check', async () => {
    const checks = await lokiChecks({
      url: loki.url,
      headers: {},
      query: '{job="nothing-ships-here"}',
      sinceMs: 3_600_000,
      timeoutMs: T,
      egress,
    });
    expect(byId(checks, 'loki.ready').status).toBe('pass');
    expect(byId(checks, 'loki.recent_logs')).toMatchObject({ status: 'fail', evidence: { observed: { lines: 0 } } });
    const g = await grafanaStandIn('failing');
    try {
      expect((await grafanaChecks(g.url, {}, T, egress))[0]).toMatchObject({
        id: 'grafana.health',
        status: 'fail',
        evidence: { observed: { database: 'failing' } },
      });
    } finally {
      await g.close();
    }
  });

  test('when every system is unreachable, then no check passes and the unreachable ones are errors', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const checks = [
      ...(await prometheusChecks(promOpts(nowhere))),
      ...(await alertmanagerChecks({ url: nowhere, headers: {}, timeoutMs: T, egress })),
      await proveDelivery({ url: nowhere, headers: {}, timeoutMs: T, egress, listen: probeListen, waitMs: 2_000 }),
      ...(await metricsEndpointChecks(
        [{ name: 'api', url: `${nowhere}/metrics`, headers: {}, requiredMetrics: [] }],
        { url: nowhere, headers: {} },
        T,
        egress,
      )),
      ...(await grafanaChecks(nowhere, {}, T, egress)),
      ...(await lokiChecks({ url: nowhere, headers: {}, query: '{job="api"}', sinceMs: 60_000, timeoutMs: T, egress })),
    ];
    expect(checks.filter((c) => c.status === 'pass')).toEqual([]);
    for (const id of [
      'prometheus.ready',
      'alertmanager.ready',
      'metrics.api.reachable',
      'grafana.health',
      'loki.ready',
    ]) {
      expect(byId(checks, id).status).toBe('error');
    }
    expect(byId(checks, 'prometheus.ready').severity).toBe('P0');
    expect(maturityLevel(checks, 2).level).toBe(0);
    expect(monitoringOutcome(checks, maturityLevel(checks, 2)).status).toBe('fail');
  });
});
