/**
 * Fault drills on real systems: a fixture service that uses a real Redis on every request (with and without a
 * circuit breaker), a real Prometheus scraping it with an alert rule, a real Alertmanager routing to the probe
 * webhook. The drill stops Redis through the worker's declared commands under a light load; the test checks that
 * impact, detection by all three channels, fail-fast and recovery are measured, and plausible against what it did
 * (down for DOWN_S, a start command that waits RESTART_DELAY_S before Redis comes back). An abort during the outage
 * starts Redis again before the campaign ends.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { FaultDrillResult } from '../../src/core/drills';
import { freePort } from '../../src/infra/process';
import { reportSchema } from '../../src/report/schema';
import { testEnv, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startAlertmanager, startPrometheus, type Component } from '../helpers/monitoring-stack';
import { redisUp, startDeclaredRedis, stopDeclaredRedis } from '../helpers/redis-commands';
import { startRedisTarget, type RedisTarget } from '../helpers/redis-target';
import { startInProcessWorker } from '../helpers/worker';

const DOWN_S = 6;
const RESTART_DELAY_S = 2;

let taskQueue: string;
let client: Client;
let stopWorker: () => Promise<void>;
let prometheus: Component;
let alertmanager: Component;
let breaker: RedisTarget;
let plain: RedisTarget;
let listen: string;
let redisPort: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'drills-'));
  redisPort = await freePort();
  const redisPair = await startDeclaredRedis(dir, redisPort, RESTART_DELAY_S);
  ({
    taskQueue,
    client,
    stop: stopWorker,
  } = await startInProcessWorker('drills', { faultCommands: { redis: redisPair } }));
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  breaker = await startRedisTarget({ redisUrl, breaker: true });
  plain = await startRedisTarget({ redisUrl, breaker: false });
  listen = `127.0.0.1:${await freePort()}`;
  alertmanager = await startAlertmanager({ dir, defaultWebhook: listen, groupWait: '0s' });
  const host = (t: RedisTarget) => new URL(t.url).host;
  prometheus = await startPrometheus({
    dir,
    scrapeJobs: [{ job: 'fixture', targets: [host(breaker), host(plain)] }],
    alertmanagers: [alertmanager.address],
    ruleFiles: [
      {
        name: 'fixture.yml',
        content: [
          'groups:',
          '  - name: fixture',
          '    rules:',
          '      - alert: FixtureRedisDown',
          '        expr: fixture_redis_up == 0',
          '        annotations:',
          '          runbook_url: http://127.0.0.1:9/runbook',
        ].join('\n'),
      },
    ],
  });
}, 120_000);

afterAll(async () => {
  await stopWorker();
  await Promise.allSettled([breaker?.stop(), plain?.stop(), prometheus?.stop(), alertmanager?.stop()]);
  await stopDeclaredRedis(redisPort);
});

/** Figures as recorded: a figure not measured is "not measured". */
const figures = (f: Record<string, number | null>) =>
  Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v ?? 'not measured']));

function campaign(target: RedisTarget, name: string, down = `${DOWN_S}s`) {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: `${name}-${uid()}`,
    target: { baseUrl: target.url },
    scenario: {
      thinkTime: '50ms',
      requests: [
        { name: 'item', method: 'GET', path: '/item', weight: 3 },
        { name: 'static', method: 'GET', path: '/static' },
      ],
    },
    monitoring: {
      prometheus: { url: prometheus.url, requireRunbooks: false },
      alertmanager: { url: alertmanager.url, probe: { listen, timeout: '20s' } },
    },
    faults: {
      drills: [
        {
          name: 'redis',
          commands: 'redis',
          down,
          before: '5s',
          observe: '20s',
          users: 4,
          alert: 'FixtureRedisDown',
        },
      ],
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.campaign;
}

async function runDrill(target: RedisTarget, name: string) {
  const handle = await startCampaign(client, campaign(target, name), { taskQueue });
  const result = await handle.result();
  const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
  expect(reportSchema.safeParse(report).error).toBeUndefined();
  const drill = report.faults.drills[0] as FaultDrillResult;
  return { result, report, drill };
}

test('when Redis is stopped under load behind a circuit breaker, then impact, detection by all three channels, a fast failure and the recovery are measured', async () => {
  const { report, drill, result } = await runDrill(breaker, 'drill-breaker');
  // Measured against what the test did.
  expect(drill.status).not.toBe('error');
  expect(drill.downS!).toBeGreaterThanOrEqual(DOWN_S);
  expect(drill.downS!).toBeLessThan(DOWN_S + 1);
  expect(drill.impactS!).toBeLessThan(1);
  // Health answers within 300 ms; Prometheus scrapes and evaluates every second; the Alertmanager then delivers.
  expect(drill.detection.healthS!).toBeLessThan(1.5);
  expect(drill.detection.alertFiringS!).toBeLessThan(5);
  expect(drill.detection.alertDeliveredS!).toBeGreaterThanOrEqual(drill.detection.alertFiringS! - 1);
  expect(drill.detection.alertDeliveredS!).toBeLessThan(DOWN_S);
  expect(drill.detection.firstS).toBe(drill.detection.healthS);
  // The breaker opens after 5 failures: later failures are fast.
  expect(drill.failFast.breakerOpened).toBe(true);
  expect(drill.failFast.laterP95ErrorMs!).toBeLessThan(20);
  expect(drill.checks.failFast).toBe('pass');
  // Back when Redis is: the start command waits RESTART_DELAY_S, the breaker half-opens within a second after.
  expect(drill.recovery.firstSuccessS!).toBeGreaterThanOrEqual(RESTART_DELAY_S);
  expect(drill.recovery.firstSuccessS!).toBeLessThan(RESTART_DELAY_S + 2);
  expect(drill.recovery.backToBaselineS!).toBeGreaterThanOrEqual(drill.recovery.firstSuccessS!);
  expect(drill.fullyRecovered).toBe(true);
  expect(drill.checks).toEqual({ detected: 'pass', recovered: 'pass', failFast: 'pass' });
  expect(drill.restored).toBe(true);
  // The endpoint that does not use Redis kept working; the one that does failed.
  const down = Object.fromEntries(drill.whileDown.map((e) => [e.endpoint, e.errorRate]));
  expect(down.item).toBeGreaterThan(0.8);
  expect(down.static).toBe(0);
  expect(result.phases.faults.status).toBe('pass');
  const item = (id: string) => report.checklist.items.find((i: { id: string }) => i.id === id);
  expect([item('mon.fault-detection').status, item('ops.fault-recovery').status]).toEqual(['pass', 'pass']);
  expect(item('perf.dependency-fail-fast').status).toBe('pass');
  const md = readFileSync(path.join(result.reportDir, 'report.md'), 'utf8');
  expect(md).toContain('Fault drills under load');
  expect(readFileSync(path.join(result.reportDir, 'report.html'), 'utf8')).toContain('chart-drill-0');
  expect(await redisUp(redisPort)).toBe(true);
  recordFigures('fault-drill-breaker', {
    scenario: `Redis stopped for ${DOWN_S} s under load behind a circuit breaker (restart delay ${RESTART_DELAY_S} s)`,
    test: 'test/integration/fault-drills.test.ts',
    figures: figures({
      downS: drill.downS,
      impactS: drill.impactS,
      healthS: drill.detection.healthS,
      alertFiringS: drill.detection.alertFiringS,
      alertDeliveredS: drill.detection.alertDeliveredS,
      p95ErrorMs: drill.failFast.p95ErrorMs,
      firstP95ErrorMs: drill.failFast.firstP95ErrorMs,
      laterP95ErrorMs: drill.failFast.laterP95ErrorMs,
      firstSuccessS: drill.recovery.firstSuccessS,
      backToBaselineS: drill.recovery.backToBaselineS,
      restartDelayS: RESTART_DELAY_S,
    }),
  });
}, 180_000);

test('when Redis is stopped behind a service without a breaker, then its failures hang and fail-fast fails, and recovery is within a second of the restart delay', async () => {
  const { drill, report } = await runDrill(plain, 'drill-plain');
  expect(drill.failFast.breakerOpened).toBe(false);
  // Every failure waited for the 500 ms command timeout.
  expect(drill.failFast.p95ErrorMs!).toBeGreaterThan(400);
  expect(drill.checks.failFast).toBe('fail');
  expect(drill.status).toBe('fail');
  expect(drill.recovery.firstSuccessS!).toBeGreaterThanOrEqual(RESTART_DELAY_S);
  expect(drill.recovery.firstSuccessS!).toBeLessThan(RESTART_DELAY_S + 1);
  expect(drill.fullyRecovered).toBe(true);
  const item = (id: string) => report.checklist.items.find((i: { id: string }) => i.id === id);
  expect(item('perf.dependency-fail-fast').status).toBe('fail');
  expect(await redisUp(redisPort)).toBe(true);
  recordFigures('fault-drill-plain', {
    scenario: `Redis stopped for ${DOWN_S} s under load, no circuit breaker (restart delay ${RESTART_DELAY_S} s)`,
    test: 'test/integration/fault-drills.test.ts',
    figures: figures({
      p95ErrorMs: drill.failFast.p95ErrorMs,
      firstSuccessS: drill.recovery.firstSuccessS,
      backToBaselineS: drill.recovery.backToBaselineS,
      restartDelayS: RESTART_DELAY_S,
    }),
  });
}, 180_000);

test('when the campaign is aborted while Redis is down, then Redis is started again before the campaign ends', async () => {
  const handle = await startCampaign(client, campaign(breaker, 'drill-abort', '60s'), { taskQueue });
  const deadline = Date.now() + 90_000;
  while (await redisUp(redisPort)) {
    if (Date.now() > deadline) throw new Error('the drill never stopped Redis');
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.signal('abort', { by: 'carol', reason: 'stop the drill' });
  const result = await handle.result();
  expect(result.phases.faults).toMatchObject({ status: 'aborted' });
  expect(await redisUp(redisPort)).toBe(true);
}, 180_000);

test('resource stability over the endurance phase: memory growth and CPU read from a real Prometheus, judged against the limits; without an answering Prometheus not evaluable, never a pass', async () => {
  const run = async (prometheusUrl: string, maxCpuPeakPct: number) => {
    const r = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `resources-${uid()}`,
      target: { baseUrl: plain.url },
      scenario: { thinkTime: '20ms', requests: [{ name: 'static', method: 'GET', path: '/static' }] },
      baseline: { phases: [{ name: 'endurance', users: 2, duration: '6s' }] },
      monitoring: { prometheus: { url: prometheusUrl, requireRunbooks: false } },
      faults: {
        resources: {
          // Prometheus' own process: real memory and CPU series, scraped every second.
          memory: 'process_resident_memory_bytes{job="prometheus"}',
          cpu: '100 * rate(process_cpu_seconds_total{job="prometheus"}[3s])',
          maxCpuPeakPct,
        },
      },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const handle = await startCampaign(client, r.campaign, { taskQueue });
    const result = await handle.result();
    const report = JSON.parse(readFileSync(path.join(result.reportDir, 'report.json'), 'utf8'));
    expect(reportSchema.safeParse(report).error).toBeUndefined();
    const item = (id: string) => report.checklist.items.find((i: { id: string }) => i.id === id)?.status;
    return {
      resources: report.faults.resources,
      items: [item('perf.memory-stability'), item('perf.cpu-average'), item('perf.cpu-peak')],
    };
  };
  // An impossible CPU peak limit: the judgement must be able to fail.
  const measured = await run(prometheus.url, 0.0001);
  expect(measured.resources.phase).toBe('endurance');
  expect(measured.resources.samples.memory).toBeGreaterThanOrEqual(4);
  expect(measured.resources.memoryFirstMb).toBeGreaterThan(10);
  expect(Math.abs(measured.resources.memoryGrowthMb)).toBeLessThan(50);
  expect(measured.resources.cpuAvgPct).toBeGreaterThan(0);
  expect(measured.resources.cpuPeakPct).toBeGreaterThanOrEqual(measured.resources.cpuAvgPct);
  expect(measured.items).toEqual(['pass', 'pass', 'fail']);
  const closed = await freePort();
  const blind = await run(`http://127.0.0.1:${closed}`, 95);
  expect(blind.resources.memoryGrowthMb).toBeNull();
  expect(blind.resources.notes.join(' ')).toContain('unreachable');
  expect(blind.items).toEqual(['not_evaluable', 'not_evaluable', 'not_evaluable']);
}, 180_000);
