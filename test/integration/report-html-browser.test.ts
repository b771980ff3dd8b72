/**
 * report.html in a real browser: Debian's Chromium, driven by puppeteer-core, opens the file offline from
 * file://, draws every chart with the inlined Chart.js, makes no other request, and leaves a full-page
 * screenshot in test-results/report-html.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { launchChromium, openReport } from '../helpers/browser';
import { renderReportHtml } from '../../src/report/chart-bundle';
import type { ChecklistEvaluation, Comparison, EvaluatedItem } from '../../src/core/checklist-types';
import { buildReport, type ReportJson, type ReportSource } from '../../src/report/model';
import type { StressResult } from '../../src/core/stress';
import { judgeDegradation } from '../../src/core/degradation';
import type { BaselinePhaseResult, TimelinePoint } from '../../src/core/types';

const SCREENSHOT = path.join(__dirname, '..', '..', 'test-results', 'report-html.png');
const CHART_IDS = ['chart-capacity', 'chart-timeline', 'chart-stress-timeline', 'chart-categories'];

/** A deterministic wobble in [-1, 1] (no Math.random: the screenshot should not change between runs). */
const wobble = (i: number) => Math.sin(i * 1.7) * 0.6 + Math.sin(i * 0.31) * 0.4;

function timeline(seconds: number, rps: number, p95Ms: number, errorsPerS: number): TimelinePoint[] {
  return Array.from({ length: seconds }, (_, second) => {
    const ramp = Math.min(1, (second + 1) / 5);
    const requests = Math.round(rps * ramp * (1 + 0.08 * wobble(second)));
    return {
      second,
      requests,
      errors: Math.max(0, Math.round(errorsPerS * (1 + wobble(second + 7)))),
      p50Ms: p95Ms * 0.4,
      p95Ms: Math.round(p95Ms * (1 + 0.15 * wobble(second + 3))),
      p99Ms: p95Ms * 1.6,
    };
  });
}

function baselinePhase(
  name: string,
  users: number,
  durationS: number,
  rps: number,
  p95Ms: number,
  errorRate: number,
): BaselinePhaseResult {
  const requests = Math.round(rps * durationS);
  const errors = Math.round(requests * errorRate);
  return {
    name,
    model: 'closed',
    users,
    durationS,
    requests,
    errors,
    throughputRps: rps,
    errorRate,
    latencyMs: { p50: p95Ms * 0.4, p95: p95Ms, p99: p95Ms * 1.6, max: p95Ms * 4, avg: p95Ms * 0.5 },
    statusCounts: { 200: requests - errors, 503: errors },
    errorCounts: {},
    endpoints: [],
    errorBreakdown: errors ? [{ endpoint: 'POST /checkout', kind: '503', count: errors }] : [],
    iterations: requests,
    dropped: 0,
    generator: {
      generators: 1,
      threads: 2,
      eventLoopDelayP99Ms: 3,
      eluMean: 0.3,
      schedulerLagP99Ms: 0,
      achievedRate: rps,
    },
    thresholds: [
      { threshold: 'p(95)<500', ok: p95Ms < 500, observed: p95Ms },
      { threshold: 'error_rate<0.01', ok: errorRate < 0.01, observed: errorRate },
    ],
    assessment: p95Ms < 500 && errorRate < 0.01 ? 'pass' : 'fail',
    notes: [],
    resumedFromMs: 0,
    attempt: 1,
  };
}

function stress(): StressResult {
  const rows: Array<[number, number, number, number, 'pass' | 'fail']> = [
    // users, throughput, error rate, p95, status
    [50, 240, 0, 45, 'pass'],
    [100, 470, 0.001, 80, 'pass'],
    [150, 690, 0.004, 160, 'pass'],
    [200, 860, 0.008, 380, 'pass'],
    [250, 930, 0.02, 820, 'pass'],
    [300, 910, 0.11, 1650, 'fail'],
  ];
  const steps = rows.map(([level, throughputRps, errorRate, p95, status], index) => ({
    index,
    level,
    status,
    throughputRps,
    goodputRps: Math.round(throughputRps * (1 - errorRate) * 10) / 10,
    errorRate,
    requests: throughputRps * 120,
    errors: Math.round(throughputRps * 120 * errorRate),
    invalid: false,
    durationS: 120,
    latencyMs: { p50: p95 * 0.4, p95, p99: p95 * 1.7, max: p95 * 3, avg: p95 * 0.5 },
    endpointErrors: [],
    startedAt: new Date(Date.UTC(2026, 10, 22, 10, 20 + index * 2, 30)).toISOString(),
    ...(status === 'fail' ? { failed: { criterion: 'error_rate>0.05', observed: errorRate, threshold: 0.05 } } : {}),
  }));
  // The continuous ramp's timeline: 20 s per step, then 20 s of recovery at the first passing level.
  const stages = [
    ...rows.map(([level, , , , status], i) => ({
      name: `stress-0${i + 1}-${level}`,
      level,
      fromSecond: i * 20,
      status,
    })),
    { name: 'stress-recovery-50', level: 50, fromSecond: 120, status: 'recovery' as const },
  ];
  const points = Array.from({ length: 140 }, (_, second) => {
    const [, rps, errorRate, p95] = rows[Math.min(5, Math.floor(second / 20))]!;
    const back = second >= 120;
    return {
      second,
      requests: back ? 240 : rps,
      errors: back ? 0 : Math.round(rps * errorRate),
      p95Ms: back ? 45 : p95,
    };
  });
  const degradation = judgeDegradation(
    [
      {
        source: 'stress step 300',
        retryAfter: 400,
        failedP95Ms: 12,
        okP95Ms: 1650,
        endpoints: [
          {
            name: 'checkout',
            requests: 10_000,
            errors: 1_100,
            errorRate: 0.11,
            statusCounts: { 200: 8_900, 503: 1_000, 500: 100 },
            errorKinds: {},
            latencyMs: { p50: 1, p95: 1, p99: 1, max: 1, avg: 1 },
          },
        ],
        samples: [
          {
            endpoint: 'checkout',
            status: 503,
            contentType: 'application/json',
            body: '{"error":"overloaded"}',
            bytes: 22,
          },
          {
            endpoint: 'checkout',
            status: 500,
            contentType: 'text/html',
            body: '<html><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"></html>',
            bytes: 90,
          },
        ],
      },
    ],
    { ok: true, status: 200 },
  );
  return {
    model: 'closed',
    ramp: 'continuous',
    timeline: { points, stages },
    degradation,
    startAboveCapacity: false,
    recoveryAfterLoad: { level: 50, recovered: true, timeS: 4, withinS: 60, reference: { p95Ms: 45, errorRate: 0 } },
    steps,
    stopWhen: ['error_rate>0.05', 'p(95)>2000'],
    zones: { green: { upToUsers: 100 }, yellow: { fromUsers: 150, upToUsers: 250 }, red: { fromUsers: 300 } },
    endpointsAtBreakingPoint: [],
    summary: {
      capacityCeiling: { users: 250, throughputRps: 930, goodputRps: 911.4, p95Ms: 820 },
      breakingPoint: { users: 300, criterion: 'error_rate>0.05', observed: 0.11, threshold: 0.05 },
      maxThroughputRps: 911.4,
      throughputPlateau: { fromUsers: 200, throughputRps: 911.4 },
      stoppedBecause: 'breaking_point',
      loadMinutes: 2100,
    },
  };
}

function item(
  id: string,
  category: EvaluatedItem['category'],
  severity: EvaluatedItem['severity'],
  status: EvaluatedItem['status'],
  reason: string,
  observed?: string,
): EvaluatedItem {
  const earned = status === 'pass' ? 10 : status === 'warn' ? 5 : 0;
  return {
    id,
    title: id.replace(/[.-]/g, ' '),
    category,
    severity,
    weight: 10,
    kind: 'automated',
    status,
    earned,
    evidence: { source: `check.${id}`, ...(observed ? { observed } : {}) },
    reason,
  };
}

function checklist(): ChecklistEvaluation {
  const items = [
    item(
      'perf.breaking-point',
      'Performance',
      'P1',
      'pass',
      'breaking point 300 >= 200 users',
      'stress.breakingPoint.users = 300',
    ),
    item('perf.p95-baseline', 'Performance', 'P1', 'warn', 'p95 under load 610 ms > 500 ms', 'p95 = 610 ms'),
    item(
      'mon.alerts-fire',
      'Monitoring',
      'P0',
      'fail',
      'HighErrorRate did not fire under load',
      'no alert in 5 min; <none> & "firing" = 0',
    ),
    item('mon.dashboards', 'Monitoring', 'P2', 'pass', 'dashboard found'),
    item('backup.restore', 'Backup/Recovery', 'P0', 'pass', 'restore in 42 s (target 900 s)'),
    item('sec.tls', 'Security', 'P1', 'waived', 'waived until 2026-12-31'),
    item('infra.replicas', 'Infrastructure', 'P1', 'pass', '3 replicas'),
    item('ops.runbook', 'Operations', 'P2', 'not_run', 'not attested'),
  ];
  const blockers = items
    .filter((i) => i.status === 'fail' && (i.severity === 'P0' || i.severity === 'P1'))
    .map(({ id, title, severity, status, evidence }) => ({
      id,
      title,
      severity,
      status,
      evidence,
      remediation: 'add a HighErrorRate rule with for: 1m',
    }));
  return {
    scoredAt: '2026-11-22T11:02:00Z',
    policy: { goAt: 90, conditionalAt: 75, maxP1Blockers: 1 },
    definitions: [],
    phaseEndedAt: {},
    items,
    missing: ['ops.runbook'],
    attestations: [],
    waivers: [],
    decision: 'NO_GO',
    scorePct: 68,
    blockers,
    reasons: ['score 68 % is below CONDITIONAL (75 %)', '1 P0 blocker'],
    categories: [
      { name: 'Infrastructure', scorePct: 100, earned: 10, max: 10, items: 1, blockers: 0 },
      { name: 'Security', scorePct: null, earned: 0, max: 0, items: 1, blockers: 0 },
      { name: 'Performance', scorePct: 75, earned: 15, max: 20, items: 2, blockers: 0 },
      { name: 'Monitoring', scorePct: 50, earned: 10, max: 20, items: 2, blockers: 1 },
      { name: 'Backup/Recovery', scorePct: 100, earned: 10, max: 10, items: 1, blockers: 0 },
      { name: 'Documentation', scorePct: 85, earned: 17, max: 20, items: 2, blockers: 0 },
      { name: 'Operations', scorePct: 0, earned: 0, max: 10, items: 1, blockers: 0 },
    ],
  };
}

function realisticReport(): ReportJson {
  const scored = checklist();
  const comparison: Comparison = {
    previous: {
      id: 'cmp-2026-10-01',
      name: 'checkout <prod> & co',
      startedAt: '2026-10-01T10:00:00Z',
      decision: 'CONDITIONAL_GO',
      scorePct: 81,
    },
    regressed: [{ id: 'mon.alerts-fire', title: 'mon alerts fire', was: 'pass', now: 'fail' }],
    fixed: [],
    added: [],
    metrics: [
      { metric: 'stress.breakingPoint.users', previous: 350, current: 300, changePct: -14.3, regression: true },
    ],
    findings: ['mon.alerts-fire regressed: pass -> fail', 'stress.breakingPoint.users: 350 -> 300 (-14.3 %)'],
  };
  const source: ReportSource = {
    campaign: {
      id: 'cmp-2026-11-22',
      name: 'checkout <prod> & "friends"',
      owner: 'sre@example.test',
      target: 'http://127.0.0.1:9',
      configHash: '9f86d081884c7d659a2feaa0c55ad015',
      startedAt: '2026-11-22T10:00:00Z',
      finishedAt: '2026-11-22T11:02:00Z',
    },
    verdict: {
      decision: 'NO_GO',
      scorePct: 68,
      blockers: [
        'P0 mon.alerts-fire: HighErrorRate did not fire under load',
        'stress: breaking point 300 users (error_rate>0.05)',
      ],
      reasons: ['score 68 % is below CONDITIONAL (75 %)', '1 P0 blocker'],
    },
    phases: {
      baseline: { status: 'pass' },
      stress: { status: 'pass' },
      spike: { status: 'not_run', reason: 'not configured' },
      monitoring: { status: 'fail', reason: '1 P0 check failed' },
      backup: { status: 'pass' },
      faults: { status: 'not_run', reason: 'no faults section in the campaign file' },
      checklist: { status: 'fail' },
    },
    baseline: {
      thresholds: ['p(95)<500', 'error_rate<0.01'],
      phases: [
        baselinePhase('smoke', 5, 30, 24, 35, 0),
        baselinePhase('load', 50, 120, 230, 140, 0.002),
        baselinePhase('peak', 120, 60, 540, 610, 0.012),
      ],
      timelines: {
        smoke: timeline(30, 24, 35, 0),
        load: timeline(120, 230, 140, 0.4),
        peak: timeline(60, 540, 610, 6),
      },
    },
    stress: stress(),
    checklist: scored,
    comparison,
  };
  return buildReport(source, '2026-11-22T11:02:05Z');
}

/** Per canvas: size, painted (non-transparent) pixels, and whether it differs from a blank canvas of its size. */
describe('report.html in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'readiness-html-'));
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('when report.html is opened from file://, then it draws every chart with no request but the page itself and no error', async () => {
    const file = path.join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(realisticReport()));
    const page = await openReport(browser, file, SCREENSHOT);
    const { url, requests, problems, rendered, canvases } = page;
    const breakingPointDrawn = await page.evaluate(
      `Chart.getChart('chart-capacity').data.datasets.some((d) => d.label.startsWith('Breaking point: 300 users'))`,
    );
    const heading = await page.evaluate(
      `document.querySelector('h1').textContent + ' | ' + document.querySelector('.badge').textContent`,
    );

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(heading).toBe('Production readiness: checkout <prod> & "friends" | NO GO');
    // The three named charts plus the stress step chart; every canvas on the page is a drawn chart.
    expect(canvases.map((c) => c.id)).toEqual(expect.arrayContaining(CHART_IDS));
    expect(rendered).toBe(canvases.length);
    expect(rendered).toBeGreaterThanOrEqual(CHART_IDS.length);
    for (const c of canvases) {
      expect({ id: c.id, sized: c.width > 300 && c.height > 200, differsFromBlank: c.differsFromBlank }).toEqual({
        id: c.id,
        sized: true,
        differsFromBlank: true,
      });
      // Axes, grid, legend and data: a drawn chart paints well over 1 % of its pixels.
      expect(c.painted / (c.width * c.height)).toBeGreaterThan(0.01);
    }
    expect(breakingPointDrawn).toBe(true);
    // The first screen (1280 x 900) shows the decision, the category bars, the key figures and the blockers; the
    // verdict's item-by-item reasons are folded; the first chart follows right after.
    const layout = JSON.parse(
      (await page.evaluate(`JSON.stringify({
        summaryTop: document.querySelector('#summary').getBoundingClientRect().top,
        barsBottom: document.querySelector('.bars').getBoundingClientRect().bottom,
        figures: [...document.querySelectorAll('#summary .figure-k')].map((e) => e.textContent),
        blockersTop: document.querySelector('.blockers-table, ol.blockers').getBoundingClientRect().top,
        reasonsOpen: document.querySelector('details.reasons').open,
        firstChartTop: document.querySelector('canvas').getBoundingClientRect().top + window.scrollY,
        recommendations: document.querySelectorAll('#analysis h3 + .table-wrap tbody tr').length,
        analysisText: document.querySelector('#analysis').textContent,
      })`)) as string,
    );
    expect(layout.summaryTop).toBeLessThan(300);
    expect(layout.barsBottom).toBeLessThan(900);
    expect(layout.blockersTop).toBeLessThan(900);
    expect(layout.figures).toEqual([
      'Breaking point',
      'Capacity ceiling',
      'Model peak (USL)',
      'Recovery after load',
      'Spike recovery',
      'Database RTO',
    ]);
    expect(layout.reasonsOpen).toBe(false);
    expect(layout.firstChartTop).toBeLessThan(1_600);
    expect(layout.recommendations).toBeGreaterThan(0);
    expect(layout.analysisText).toContain('Universal Scalability Law');
    // An error body the target sent is shown as text, never run.
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(
      await page.evaluate(
        `document.querySelector('#capacity').textContent.includes('<script>window.__pwned = 1</script>')`,
      ),
    ).toBe(true);
    await page.close();
  }, 60_000);
});
