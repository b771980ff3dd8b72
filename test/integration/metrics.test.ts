/**
 * Observability of the tool itself. A `readiness worker` process with READINESS_METRICS_ADDRESS serves
 * the Temporal SDK's runtime metrics and the tool's own on one Prometheus endpoint; after a small
 * campaign (baseline, a monitoring check of that very endpoint, a service recovery drill) its figures
 * match what the campaign stored. The worker runs as its own process because the SDK runtime (and its
 * exporter) is installed once per process, and this one's has no metrics. Logs: campaign context inside
 * activities, secret fields and resolved `{ fromEnv }` values redacted.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { BackupResult } from '../../src/core/backup';
import { parseExposition, type Sample } from '../../src/core/exposition';
import type { MonitoringResult } from '../../src/core/monitoring';
import type { BaselinePhaseResult } from '../../src/core/types';
import { createLogger } from '../../src/infra/logger';
import { registerSecretValue } from '../../src/infra/secrets';
import { freePort } from '../../src/infra/process';
import { spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { startTarget } from '../helpers/target';

const SECRET_ENV = 'METRICS_IT_TOKEN';
const SECRET = `Bearer it-${uid()}-s3cr3t`;

/** The samples of a text exposition. */
const samples = (text: string): Sample[] => parseExposition(text, () => true).kept;

/** Sum of the samples named `name` whose labels include `match`. */
const sum = (all: Sample[], name: string, match: Record<string, string> = {}) =>
  all
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

describe('worker metrics and logs', () => {
  const pool = testPool();
  let worker: ChildProcess & { logs: () => string };
  let connection: Connection;
  let client: Client;
  let metricsUrl: string;
  let taskQueue: string;

  beforeAll(async () => {
    taskQueue = `metrics-${uid()}`;
    metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    worker = await spawnWorker({
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      DATABASE_URL: testEnv.databaseUrl,
      READINESS_REPORT_DIR: mkdtempSync(path.join(testEnv.dir, 'metrics-')),
      READINESS_TASK_QUEUE: taskQueue,
      READINESS_METRICS_ADDRESS: new URL(metricsUrl).host,
      READINESS_ALLOWED_HOSTS: 'loopback',
      READINESS_RECOVERY_COMMANDS: JSON.stringify({ noop: ['/bin/true'] }),
      READINESS_SECRET_ENV: SECRET_ENV,
      [SECRET_ENV]: SECRET,
    });
    connection = await Connection.connect({ address: testEnv.temporalAddress });
    client = new Client({ connection });
  });

  afterAll(async () => {
    if (worker) await stopWorker(worker);
    await connection?.close();
    await pool.end();
  });

  test("when a campaign has run, then /metrics has the SDK runtime metrics and the tool counters with the campaign's stored figures", async () => {
    let authorized = 0;
    const target = await startTarget((req, res, n) => {
      if (req.headers.authorization === SECRET) authorized += 1;
      res.writeHead(n % 20 === 0 ? 500 : 200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    try {
      const r = validateCampaign({
        apiVersion: 'readiness/v1',
        name: `metrics-${uid()}`,
        target: { baseUrl: target.url, headers: { authorization: { fromEnv: SECRET_ENV } } },
        scenario: {
          thinkTime: '10ms',
          requestTimeout: '1s',
          requests: [{ name: 'get', method: 'GET', path: '/thing' }],
        },
        baseline: { phases: [{ name: 'smoke', users: 4, duration: '2s' }], thresholds: ['p(95)<500'] },
        monitoring: {
          metricsEndpoints: [{ name: 'worker', url: metricsUrl, requiredMetrics: ['temporal_worker_start'] }],
        },
        backup: {
          serviceRecovery: [
            { name: 'target', command: 'noop', healthUrl: `${target.url}/health`, maxRecoveryTime: '10s' },
          ],
        },
        settings: { heartbeatTimeout: '5s' },
      });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const handle = await startCampaign(client, r.campaign, { taskQueue });
      const result = await handle.result();
      const campaignId = handle.workflowId;
      expect(result.phases.baseline.status).toBe('pass');
      expect(authorized).toBe(target.requests());

      const res = await fetch(metricsUrl);
      expect(res.status).toBe(200);
      const text = await res.text();
      const parsed = parseExposition(text);
      expect(parsed.problems).toEqual([]);
      const all = samples(text);

      // The SDK's own runtime metrics, for this worker's task queues.
      expect(
        sum(all, 'temporal_workflow_completed', { task_queue: taskQueue, workflow_type: 'readinessCampaignWorkflow' }),
      ).toBe(1);
      expect(
        sum(all, 'temporal_activity_execution_latency_count', {
          task_queue: `${taskQueue}-load`,
          activity_type: 'runLoadSlice',
        }),
      ).toBe(1);
      expect(parsed.names.has('temporal_worker_start')).toBe(true);

      // The tool's own, with the campaign's real figures.
      const stored = (
        await pool.query('SELECT result FROM baseline_results WHERE campaign_id = $1', [campaignId])
      ).rows.map((x) => x.result as BaselinePhaseResult);
      expect(stored).toHaveLength(1);
      const smoke = stored[0]!;
      expect(smoke.requests).toBe(target.requests());
      expect(smoke.errors).toBeGreaterThan(0);
      expect(sum(all, 'readiness_load_requests_total', { phase: 'baseline' })).toBe(smoke.requests);
      expect(sum(all, 'readiness_load_requests_total', { phase: 'baseline', outcome: 'error' })).toBe(smoke.errors);
      expect(sum(all, 'readiness_campaigns_started_total')).toBe(1);
      expect(sum(all, 'readiness_campaigns_finished_total', { decision: result.decision })).toBe(1);
      for (const [phase, outcome] of Object.entries(result.phases))
        expect(sum(all, 'readiness_phase_outcomes_total', { phase, status: outcome.status })).toBe(1);
      expect(sum(all, 'readiness_phase_outcomes_total')).toBe(Object.keys(result.phases).length);

      // Phase durations: baseline from the campaign's start (2 s synchronised start + 2 s of load); phases that did not run have none.
      expect(sum(all, 'readiness_phase_duration_seconds_count', { phase: 'baseline' })).toBe(1);
      expect(sum(all, 'readiness_phase_duration_seconds_sum', { phase: 'baseline' })).toBeGreaterThanOrEqual(3.5);
      expect(sum(all, 'readiness_phase_duration_seconds_sum', { phase: 'baseline' })).toBeLessThan(60);
      expect(sum(all, 'readiness_phase_duration_seconds_count', { phase: 'monitoring' })).toBe(1);
      expect(sum(all, 'readiness_phase_duration_seconds_count', { phase: 'backup' })).toBe(1);
      expect(sum(all, 'readiness_phase_duration_seconds_count', { phase: 'stress' })).toBe(0);
      const totalS = (Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000;
      expect(sum(all, 'readiness_phase_duration_seconds_sum')).toBeLessThanOrEqual(totalS + 1);

      // The drill's duration under its stored status; the monitoring checks by status as stored.
      const backup = (
        await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
          campaignId,
          'backup',
        ])
      ).rows[0].result as BackupResult;
      const drill = backup.drills.find((d) => d.id === 'service.target')!;
      expect(
        sum(all, 'readiness_drill_duration_seconds_count', { drill: 'service_recovery', status: drill.status }),
      ).toBe(1);
      expect(sum(all, 'readiness_drill_duration_seconds_sum', { drill: 'service_recovery' })).toBeGreaterThanOrEqual(
        drill.timings?.recoveryS ?? 0,
      );
      const monitoring = (
        await pool.query('SELECT result FROM phase_results WHERE campaign_id = $1 AND phase = $2', [
          campaignId,
          'monitoring',
        ])
      ).rows[0].result as MonitoringResult;
      const checks = monitoring.checks.filter((c) => c.id.startsWith('metrics.'));
      // The worker's own endpoint, checked by the campaign: reachable, valid exposition, required metric present.
      expect(Object.fromEntries(checks.map((c) => [c.id, c.status]))).toEqual({
        'metrics.worker.reachable': 'pass',
        'metrics.worker.format': 'pass',
        'metrics.worker.required_metrics': 'pass',
        'metrics.worker.scraped': 'not_evaluable',
      });
      for (const status of new Set(checks.map((c) => c.status))) {
        expect(sum(all, 'readiness_checks_total', { system: 'metrics_endpoints', status })).toBe(
          checks.filter((c) => c.status === status).length,
        );
      }
      expect(sum(all, 'readiness_checks_total')).toBe(checks.length);

      // Logs: JSON lines; inside activities they carry the campaign id and phase (and the load slice its step).
      const lines = worker
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.msg === 'load slice finished')).toMatchObject({
        campaignId,
        phase: 'baseline',
        step: 'smoke',
        requests: smoke.requests,
      });
      expect(lines.find((l) => l.msg === 'target health')).toMatchObject({
        campaignId,
        phase: 'baseline',
        activity: 'checkTargetHealth',
        attempt: 1,
      });
      expect(lines.find((l) => l.msg === 'checklist scored')).toMatchObject({ campaignId, phase: 'scoring' });
      expect(lines.find((l) => l.msg === 'Prometheus metrics enabled')).toMatchObject({ metrics: metricsUrl });
      expect(worker.logs()).not.toContain(SECRET);
    } finally {
      await target.close();
    }
  });
});

describe('log redaction', () => {
  test('when secret fields or resolved environment values are logged, then they come out redacted', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const logger = createLogger({ cmd: 'test' }, 'info', sink);
    const value = `tok-${uid()}"\\x`;
    registerSecretValue(value);
    logger.info(
      {
        authorization: 'Bearer auth-1',
        cookie: 'cookie-1',
        password: 'password-1',
        token: 'token-1',
        headers: { 'x-api-key': 'header-1' },
        req: { authorization: 'Bearer auth-2', token: 'token-2' },
        target: { apiKey: 'apikey-2' },
      },
      'fields',
    );
    logger
      .child({ campaignId: 'c-1' })
      .warn({ err: { message: `connect failed with ${value}` } }, `value ${value} in the message`);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      authorization: '[redacted]',
      cookie: '[redacted]',
      password: '[redacted]',
      token: '[redacted]',
      headers: '[redacted]',
      req: { authorization: '[redacted]', token: '[redacted]' },
      target: { apiKey: '[redacted]' },
    });
    expect(lines[1]).toMatchObject({
      campaignId: 'c-1',
      msg: 'value [redacted] in the message',
      err: { message: 'connect failed with [redacted]' },
    });
    for (const secret of [
      'auth-1',
      'cookie-1',
      'password-1',
      'token-1',
      'header-1',
      'auth-2',
      'token-2',
      'apikey-2',
      'tok-',
    ])
      expect(out).not.toContain(secret);
  });
});
