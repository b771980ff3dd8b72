import { buildReport, type ReportJson, type ReportSource } from '../../src/report/model';
import { escapeHtml, renderHtml, reportCharts, scriptSafeJson } from '../../src/report/html';
import { renderMarkdown } from '../../src/report/markdown';
import type { BaselinePhaseResult, PhaseName, PhaseOutcome, TimelinePoint } from '../../src/core/types';
import type { StressResult } from '../../src/core/stress';
import type { CategoryScore, EvaluatedItem } from '../../src/core/checklist-types';

const HOSTILE = '</script><img src=x onerror=alert(1)>';
const FAKE_CHART_JS = 'window.Chart = function () {};';

const phases = (status: PhaseOutcome['status'] = 'not_run'): Record<PhaseName, PhaseOutcome> => ({
  baseline: { status },
  stress: { status },
  spike: { status },
  monitoring: { status },
  backup: { status },
  faults: { status },
  checklist: { status },
});

function baselinePhase(name: string, over: Partial<BaselinePhaseResult> = {}): BaselinePhaseResult {
  return {
    name,
    model: 'closed',
    users: 20,
    durationS: 3,
    requests: 300,
    errors: 3,
    throughputRps: 100,
    errorRate: 0.01,
    latencyMs: { p50: 12, p95: 40, p99: 80, max: 120, avg: 15 },
    statusCounts: { 200: 297, 503: 3 },
    errorCounts: {},
    endpoints: [],
    errorBreakdown: [],
    iterations: 300,
    dropped: 0,
    generator: {
      generators: 1,
      threads: 1,
      eventLoopDelayP99Ms: 2,
      eluMean: 0.2,
      schedulerLagP99Ms: 0,
      achievedRate: 100,
    },
    thresholds: [],
    assessment: 'pass',
    notes: [],
    resumedFromMs: 0,
    attempt: 1,
    ...over,
  };
}

const timeline = (seconds: number[]): TimelinePoint[] =>
  seconds.map((second) => ({ second, requests: 100, errors: 1, p50Ms: 10, p95Ms: 40, p99Ms: 80 }));

function stressResult(): StressResult {
  const step = (index: number, level: number, status: 'pass' | 'fail' | 'invalid', errorRate: number) => ({
    index,
    level,
    status,
    requests: 1000,
    errors: Math.round(errorRate * 1000),
    throughputRps: level * 2,
    goodputRps: level * 2 * (1 - errorRate),
    errorRate,
    latencyMs: { p50: 10, p95: 50 + level, p99: 90 + level, max: 300, avg: 20 },
    invalid: status === 'invalid',
    endpointErrors: [],
    durationS: 60,
    startedAt: new Date(Date.UTC(2026, 0, 1, 12, index)).toISOString(),
    ...(status === 'fail' ? { failed: { criterion: 'error_rate>0.05', observed: errorRate, threshold: 0.05 } } : {}),
  });
  return {
    model: 'closed',
    stopWhen: ['error_rate>0.05'],
    zones: {},
    endpointsAtBreakingPoint: [],
    steps: [step(0, 10, 'pass', 0), step(1, 20, 'pass', 0.01), step(2, 30, 'invalid', 0), step(3, 30, 'fail', 0.2)],
    summary: {
      capacityCeiling: { users: 20, throughputRps: 40, goodputRps: 39.6, p95Ms: 70 },
      breakingPoint: { users: 30, criterion: 'error_rate>0.05', observed: 0.2, threshold: 0.05 },
      maxThroughputRps: 48,
      stoppedBecause: 'breaking_point',
      loadMinutes: 90,
    },
  };
}

const categories: CategoryScore[] = [
  { name: 'Performance', scorePct: 95, earned: 19, max: 20, items: 4, blockers: 0 },
  { name: 'Security', scorePct: null, earned: 0, max: 0, items: 1, blockers: 0 },
  { name: 'Monitoring', scorePct: 50, earned: 5, max: 10, items: 2, blockers: 1 },
];

function item(id: string, over: Partial<EvaluatedItem> = {}): EvaluatedItem {
  return {
    id,
    title: `Item ${id}`,
    category: 'Performance',
    severity: 'P1',
    weight: 5,
    kind: 'automated',
    status: 'pass',
    earned: 5,
    evidence: { source: 'phase.stress' },
    reason: 'ok',
    ...over,
  };
}

function source(over: Partial<ReportSource> = {}): ReportSource {
  return {
    campaign: {
      id: 'c-1',
      name: 'checkout',
      target: 'http://127.0.0.1:8080',
      configHash: '0123456789abcdef',
      startedAt: '2026-01-01T12:00:00Z',
      finishedAt: '2026-01-01T13:00:00Z',
    },
    verdict: {
      decision: 'NO_GO',
      scorePct: 62,
      blockers: ['stress: breaking point at 30 users'],
      reasons: ['score 62 % is under 75 %'],
    },
    phases: phases('pass'),
    baseline: {
      thresholds: ['p(95)<500'],
      phases: [baselinePhase('smoke'), baselinePhase('load')],
      timelines: { smoke: timeline([0, 1, 2]), load: timeline([0, 3]) },
    },
    stress: stressResult(),
    ...over,
  };
}

/** The report with the checklist parts filled, whether or not buildReport maps them yet. */
function fullReport(over: Partial<ReportSource> = {}, extra: Partial<ReportJson> = {}): ReportJson {
  return {
    ...buildReport(source(over), '2026-01-01T13:00:01Z'),
    categories,
    checklist: {
      scoredAt: '2026-01-01T13:00:00Z',
      policy: { goAt: 90, conditionalAt: 75, maxP1Blockers: 0 },
      items: [
        item('perf.capacity'),
        item('mon.alerts', { status: 'fail', category: 'Monitoring', reason: 'no alert fired' }),
      ],
      blockers: [],
      missing: [],
      attestations: [],
      waivers: [],
    },
    comparison: {
      previous: { id: 'c-0', name: 'checkout', startedAt: '2025-12-01T12:00:00Z', decision: 'GO', scorePct: 91 },
      regressed: [],
      fixed: [],
      added: [],
      metrics: [],
      findings: ['mon.alerts regressed: pass -> fail'],
    },
    ...extra,
  };
}

const chartData = (html: string) =>
  JSON.parse(/<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/.exec(html)![1]) as Array<{
    id: string;
    config: { data: { datasets: Array<{ label: string; data: unknown[] }> } };
  }>;

describe('report.html (pure rendering)', () => {
  test('when a full report is rendered, then nothing in it points outside the file (no script src, link, url(), http(s) URL)', () => {
    const html = renderHtml(fullReport(), { chartJsSource: FAKE_CHART_JS });
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<img\b|<iframe\b|@import|url\(/i);
    // The target's own address is shown as text, escaped; no other URL appears.
    expect(html.replaceAll('http://127.0.0.1:8080', '')).not.toMatch(/https?:\/\//);
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(html).toContain(`<script>${FAKE_CHART_JS}</script>`);
  });

  test('when a full report is rendered, then every chart has its canvas and its configuration, with animations off', () => {
    const html = renderHtml(fullReport(), { chartJsSource: FAKE_CHART_JS });
    const charts = chartData(html);
    expect(charts.map((c) => c.id)).toEqual([
      'chart-capacity',
      'chart-timeline',
      'chart-stress-steps',
      'chart-categories',
    ]);
    for (const c of charts) expect(html).toContain(`<canvas id="${c.id}"`);
    expect(reportCharts(fullReport()).every((c) => c.config.options?.animation === false)).toBe(true);
  });

  test.each([
    ['campaign name', { campaign: { ...source().campaign, name: HOSTILE } }, {}],
    [
      'blocking reason',
      { verdict: { decision: 'NO_GO' as const, scorePct: 10, blockers: [HOSTILE], reasons: [HOSTILE] } },
      {},
    ],
    [
      'baseline phase name (also in the chart data)',
      { baseline: { thresholds: [], phases: [baselinePhase(HOSTILE)], timelines: { [HOSTILE]: timeline([0, 1]) } } },
      {},
    ],
    [
      'checklist evidence',
      {},
      {
        checklist: {
          scoredAt: 'x',
          policy: { goAt: 90, conditionalAt: 75, maxP1Blockers: 0 },
          items: [item('a', { reason: HOSTILE, evidence: { source: HOSTILE, observed: '"quoted" & <b>' } })],
          blockers: [],
          missing: [],
          attestations: [],
          waivers: [],
        },
      },
    ],
    [
      'comparison finding',
      {},
      {
        comparison: {
          previous: { id: 'p', name: HOSTILE, startedAt: 'x' },
          regressed: [],
          fixed: [],
          added: [],
          metrics: [],
          findings: [HOSTILE],
        },
      },
    ],
  ])(
    'when the %s holds markup, then it is escaped and cannot close a script or add an element',
    (_what, over, extra) => {
      const html = renderHtml(fullReport(over, extra), { chartJsSource: FAKE_CHART_JS });
      expect(html).not.toContain(HOSTILE);
      expect(html).not.toContain('<img');
      expect(html).toContain(escapeHtml(HOSTILE));
      // Exactly the page's own three scripts end: chart data, Chart.js, the drawing script.
      expect(html.match(/<\/script>/g)).toHaveLength(3);
      expect(() => chartData(html)).not.toThrow();
    },
  );

  test('when chart data holds "</script>" or "<!--", then the inlined JSON has neither and parses back to the same text', () => {
    const value = { label: `${HOSTILE} <!-- & "x"` };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/<\/|<!--|</);
    expect(JSON.parse(json)).toEqual(value);
    const html = renderHtml(
      fullReport({
        baseline: { thresholds: [], phases: [baselinePhase(HOSTILE)], timelines: { [HOSTILE]: timeline([0]) } },
      }),
    );
    expect(
      chartData(html)
        .find((c) => c.id === 'chart-timeline')!
        .config.data.datasets.map((d) => d.label),
    ).toContain(`Phase: ${HOSTILE}`);
  });

  test('when the Chart.js source contains "</script", then it is neutralised so the inlined bundle cannot end its element', () => {
    const html = renderHtml(fullReport(), {
      chartJsSource: 'var s = "</script>"; var t = "</SCRIPT >";\n//# sourceMappingURL=chart.umd.min.js.map',
    });
    expect(html).toContain('var s = "<\\/script>"; var t = "<\\/SCRIPT >";');
    expect(html).not.toContain('sourceMappingURL');
  });

  test.each([
    [
      'no stress, no checklist, no baseline phase',
      source({ stress: undefined, verdict: undefined, baseline: { thresholds: [], phases: [] }, phases: phases() }),
      {},
    ],
    [
      'stress with no step',
      source({
        stress: {
          ...stressResult(),
          steps: [],
          summary: { maxThroughputRps: 0, stoppedBecause: 'aborted', loadMinutes: 0 },
        },
      }),
      {},
    ],
    [
      'empty categories and checklist',
      source(),
      {
        categories: [],
        checklist: {
          scoredAt: 'x',
          policy: { goAt: 90, conditionalAt: 75, maxP1Blockers: 0 },
          items: [],
          blockers: [],
          missing: [],
          attestations: [],
          waivers: [],
        },
      },
    ],
    [
      'baseline phases without timelines',
      source({ baseline: { thresholds: [], phases: [baselinePhase('smoke')] } }),
      {},
    ],
  ])(
    'when the report has %s, then it renders without charts for the missing data and says what did not run',
    (_what, src, extra) => {
      const report = { ...buildReport(src, '2026-01-01T13:00:01Z'), ...extra };
      const html = renderHtml(report);
      const ids = chartData(html).map((c) => c.id);
      for (const id of ids) expect(html).toContain(`<canvas id="${id}"`);
      expect(html.match(/<canvas /g) ?? []).toHaveLength(ids.length);
      if (!report.stress) expect(html).toContain('Stress: not run');
      if (!report.stress?.steps.length) expect(ids).not.toContain('chart-capacity');
      if (!report.categories?.length) expect(ids).not.toContain('chart-categories');
      expect(html).toMatch(/<\/html>\n$/);
    },
  );

  test('when there is no Chart.js source, then the page still has every table and no Chart.js script', () => {
    const html = renderHtml(fullReport());
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('Charts unavailable');
    expect(html).toContain('<section id="baseline">');
  });
});

describe('report.html charts', () => {
  const charts = reportCharts(fullReport());
  const chart = (id: string) => charts.find((c) => c.id === id)!;
  const dataset = (id: string, label: string) =>
    chart(id).config.data.datasets.find((d) => d.label?.startsWith(label))!;

  test('when a stress run broke, then the capacity curve marks the breaking point and the ceiling as vertical lines at their levels', () => {
    expect(dataset('chart-capacity', 'Breaking point').data).toEqual([
      { x: 30, y: 0 },
      { x: 30, y: expect.any(Number) },
    ]);
    expect(dataset('chart-capacity', 'Breaking point').label).toBe('Breaking point: 30 users (error_rate>0.05)');
    expect(dataset('chart-capacity', 'Capacity ceiling').data).toEqual([
      { x: 20, y: 0 },
      { x: 20, y: expect.any(Number) },
    ]);
    // One point per level (the invalid rerun of 30 is a grey point, not on the curve).
    expect(dataset('chart-capacity', 'Throughput').data).toEqual([
      { x: 10, y: 20 },
      { x: 20, y: 40 },
      { x: 30, y: 60 },
    ]);
    expect(dataset('chart-capacity', 'Invalid step').data).toEqual([{ x: 30, y: 60 }]);
  });

  test('when baseline phases have timelines, then they run back to back, gaps are filled with zero, and each phase is a named band', () => {
    expect(dataset('chart-timeline', 'Requests/s').data).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, y: x === 4 || x === 5 ? 0 : 100 })),
    );
    expect(dataset('chart-timeline', 'Phase: smoke').data).toEqual([
      { x: 0, y: 1 },
      { x: 3, y: 1 },
    ]);
    expect(dataset('chart-timeline', 'Phase: load').data).toEqual([
      { x: 3, y: 1 },
      { x: 7, y: 1 },
    ]);
  });

  test('when a phase timeline was downsampled, then each window is drawn at its middle as a per-second rate and the phase spans its seconds', () => {
    const long = baselinePhase('endurance');
    const points: TimelinePoint[] = [
      { second: 0, requests: 50, errors: 0, p50Ms: 5, p95Ms: 9, p99Ms: 12 },
      { second: 1, requests: 50, errors: 0, p50Ms: 5, p95Ms: 9, p99Ms: 12 },
      { second: 2, widthS: 10, requests: 500, errors: 10, p50Ms: 5, p95Ms: 20, p99Ms: 30 },
      { second: 3_600, widthS: 60, requests: 3_000, errors: 0, p50Ms: 5, p95Ms: 9, p99Ms: 12 },
    ];
    const r = fullReport({ baseline: { thresholds: [], phases: [long], timelines: { endurance: points } } });
    const c = reportCharts(r).find((x) => x.id === 'chart-timeline')!;
    const rps = c.config.data.datasets.find((d) => d.label === 'Requests/s')!.data as Array<{ x: number; y: number }>;
    // Per second, then a 10 s window at its middle (6.5) at 50/s; the gap before the hour is two empty points.
    expect(rps.slice(0, 3)).toEqual([
      { x: 0, y: 50 },
      { x: 1, y: 50 },
      { x: 6.5, y: 50 },
    ]);
    expect(rps.slice(3, 5)).toEqual([
      { x: 12, y: 0 },
      { x: 3_599, y: 0 },
    ]);
    expect(rps[5]).toEqual({ x: 3_629.5, y: 50 });
    expect(c.config.data.datasets.find((d) => d.label === 'Phase: endurance')!.data).toEqual([
      { x: 0, y: 1 },
      { x: 3_660, y: 1 },
    ]);
  });

  test('when stored figures are missing (JSON null for a step nothing completed in), then both formats render them as n/a', () => {
    const st = stressResult();
    st.steps[0] = { ...st.steps[0]!, throughputRps: null as unknown as number, goodputRps: null as unknown as number };
    st.summary.breakingPoint = {
      users: 150,
      criterion: 'error_rate>0.01',
      observed: null as unknown as number,
      threshold: 0.01,
    };
    const r = fullReport({ stress: st });
    expect(renderMarkdown(r)).toContain('(observed n/a, threshold 0.01)');
    expect(renderMarkdown(r)).toMatch(/\| n\/a req\/s \| n\/a req\/s \|/);
    expect(() => renderHtml(r)).not.toThrow();
  });

  test('when steps have start times, then the step chart is over minutes since the first step, with the error-rate stop line', () => {
    expect(dataset('chart-stress-steps', 'Error rate').data).toEqual([
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      { x: 2, y: 0 },
      { x: 3, y: 20 },
    ]);
    expect(dataset('chart-stress-steps', 'Stop criterion').data).toEqual([
      { x: 0, y: 5 },
      { x: 4, y: 5 },
    ]);
  });

  test('when a step has no start time, then the step chart is over the step number', () => {
    const st = stressResult();
    const report = buildReport(source({ stress: { ...st, steps: st.steps.map(({ startedAt: _s, ...s }) => s) } }), 'x');
    const steps = reportCharts(report).find((c) => c.id === 'chart-stress-steps')!;
    expect(steps.config.data.datasets[0].data).toEqual([
      { x: 1, y: 0 },
      { x: 2, y: 1 },
      { x: 3, y: 0 },
      { x: 4, y: 20 },
    ]);
  });

  test('when a category is not scored, then it is drawn at 0 and labelled n/a, and the policy lines are at goAt and conditionalAt', () => {
    expect(chart('chart-categories').config.data.labels).toEqual(['Performance', 'Security (n/a)', 'Monitoring']);
    expect(dataset('chart-categories', 'Score').data).toEqual([95, 0, 50]);
    expect(dataset('chart-categories', 'GO at 90').data).toEqual([90, 90, 90]);
    expect(dataset('chart-categories', 'CONDITIONAL at 75').data).toEqual([75, 75, 75]);
    const html = renderHtml(fullReport());
    expect(html).toMatch(/<td>Security<\/td><td>n\/a<\/td>/);
  });

  test('when there is no checklist policy, then the category chart has no policy lines', () => {
    const c = reportCharts(fullReport({}, { checklist: undefined })).find((x) => x.id === 'chart-categories')!;
    expect(c.config.data.datasets.map((d) => d.label)).toEqual(['Score (%)']);
  });
});
