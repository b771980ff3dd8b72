import { buildReport, type ReportSource } from '../../src/report/model';
import { renderMarkdown } from '../../src/report/markdown';
import { escapeHtml, renderHtml, reportCharts } from '../../src/report/html';
import { reportSchema } from '../../src/report/schema';
import { drillError, drillTargets, judgeResources, type FaultDrillResult } from '../../src/core/drills';
import type { FaultsResult } from '../../src/core/dependencies';
import type { PhaseName, PhaseOutcome } from '../../src/core/types';
import publishedSchema from '../../schema/report.schema.json';

const MB = 1_048_576;

const phases = (): Record<PhaseName, PhaseOutcome> => ({
  baseline: { status: 'not_run' },
  stress: { status: 'not_run' },
  spike: { status: 'not_run' },
  monitoring: { status: 'not_run' },
  backup: { status: 'not_run' },
  faults: { status: 'fail', reason: 'resources over endurance: cpuPeak over the limit' },
  checklist: { status: 'not_run' },
});

/** Redis stopped for 10 s under 5 users: detected by health at 1.2 s, a breaker opened, back 2.1 s after the restart. */
function passingDrill(): FaultDrillResult {
  return {
    name: 'redis-down',
    status: 'pass',
    downS: 10,
    impactS: 0.4,
    detection: {
      healthS: 1.2,
      alertFiringS: null,
      alertDeliveredS: null,
      firstS: 1.2,
      watched: { health: true, alertFiring: true, alertDelivered: false },
    },
    failFast: { p95ErrorMs: 0.8, firstP95ErrorMs: 250, laterP95ErrorMs: 0.6, breakerOpened: true, limitMs: 13 },
    recovery: { firstSuccessS: 0.5, backToBaselineS: 2.1 },
    fullyRecovered: true,
    reference: { p95Ms: 12, errorRate: 0, requests: 500 },
    whileDown: [
      { endpoint: 'GET /cart|x', requests: 200, errors: 180, errorRate: 0.9, okP95Ms: 11.5, errorP95Ms: 0.8 },
      { endpoint: 'GET /health', requests: 20, errors: 0, errorRate: 0, okP95Ms: 3, errorP95Ms: null },
    ],
    targets: drillTargets(undefined, undefined),
    checks: { detected: 'pass', recovered: 'pass', failFast: 'pass' },
    timeline: Array.from({ length: 18 }, (_, i) => {
      const t = i - 3;
      const down = t >= 0 && t < 10;
      return { t, requests: 50, errors: down ? 45 : 0, p95Ms: down ? 0.9 : 12 };
    }),
    users: 5,
    restored: true,
    notes: ['canary: one request every 100 ms'],
  };
}

function faults(): FaultsResult {
  return {
    dependencies: [],
    errors: [],
    drills: [
      passingDrill(),
      drillError(
        { name: 'pg-down', users: 3 },
        drillTargets(undefined, undefined),
        'stop command exited 1: <img src=x> | permission denied',
        true,
        ['start ran in the cleanup'],
      ),
    ],
    resources: judgeResources({
      phase: 'endurance',
      from: '2026-01-01T12:00:00Z',
      to: '2026-01-01T13:00:00Z',
      memoryBytes: [
        [
          [0, 100 * MB],
          [3_600, 112 * MB],
        ],
      ],
      cpuPct: [
        [
          [0, 40],
          [60, 60],
          [120, 97],
        ],
      ],
      limits: { maxMemoryGrowthMb: 50, maxCpuAvgPct: 80, maxCpuPeakPct: 95 },
      notes: ['cpu query | summed 2 series'],
    }),
  };
}

function source(f: FaultsResult = faults()): ReportSource {
  return {
    campaign: {
      id: 'c-1',
      name: 'checkout',
      target: 'http://127.0.0.1:8080',
      configHash: '0123456789abcdef',
      startedAt: '2026-01-01T12:00:00Z',
      finishedAt: '2026-01-01T13:00:00Z',
    },
    phases: phases(),
    baseline: { thresholds: [], phases: [] },
    faults: f,
  };
}

const report = (f?: FaultsResult) => buildReport(source(f), '2026-01-01T13:00:01Z');
/** report.json as written: through JSON, as a reader sees it. */
const asJson = (f?: FaultsResult) => JSON.parse(JSON.stringify(report(f))) as unknown;

describe('report.json faults: drills and resources', () => {
  test('when the faults result has drills and resources, then report.json carries them and validates against the published schema', () => {
    const r = report();
    expect(r.faults!.drills.map((d) => d.name)).toEqual(['redis-down', 'pg-down']);
    expect(r.faults!.resources).toMatchObject({ memoryGrowthMb: 12, cpuAvgPct: 65.7, cpuPeakPct: 97 });
    expect(reportSchema.safeParse(asJson()).error).toBeUndefined();
  });

  test('when a stored faults result predates drills, then report.json has drills [] and no resources, and validates', () => {
    const r = report({ dependencies: [], errors: [] });
    expect(r.faults!.drills).toEqual([]);
    expect(r.faults).not.toHaveProperty('resources');
    expect(reportSchema.safeParse(asJson({ dependencies: [], errors: [] })).error).toBeUndefined();
  });

  test('when a drill lacks a documented field, then the schema rejects the report', () => {
    const json = asJson() as { faults: { drills: Array<Record<string, unknown>> } };
    delete json.faults.drills[0].fullyRecovered;
    expect(reportSchema.safeParse(json).success).toBe(false);
    const noDrills = asJson() as { faults: Record<string, unknown> };
    delete noDrills.faults.drills;
    expect(reportSchema.safeParse(noDrills).success).toBe(false);
  });

  test('when the JSON Schema is published, then it describes faults.drills and faults.resources', () => {
    const f = (
      publishedSchema as { properties: { faults: { properties: Record<string, unknown>; required: string[] } } }
    ).properties.faults;
    expect(Object.keys(f.properties)).toEqual(expect.arrayContaining(['drills', 'resources']));
    expect(f.required).toContain('drills');
    expect(f.required).not.toContain('resources');
  });
});

describe('report.md failure scenarios', () => {
  const md = renderMarkdown(report());

  test('when drills ran, then one row per drill with its figures comes before the resources, and no empty dependency benchmarks', () => {
    expect(md).toContain('### Fault drills under load');
    expect(md).toContain(
      '| Drill | Status | Down | Impact (first failure) | Detected: health / alert firing / alert delivered | Fail-fast (failed p95 vs limit) | First success | Back to baseline (target) | Fully recovered |',
    );
    expect(md).toContain(
      '| redis-down | ✅ pass | 10 s | 0.4 s | ✅ 1.2 s / not detected / not watched (within 6 s) | ✅ 0.8 ms vs limit 13 ms, breaker opened (250 ms -> 0.6 ms) | 0.5 s | ✅ 2.1 s (within 10 s) | ✅ yes |',
    );
    expect(md).toContain('| pg-down | ⚠️ error | n/a | n/a | n/a | n/a | n/a | n/a | n/a |');
    expect(md.indexOf('### Fault drills under load')).toBeLessThan(md.indexOf('### Resource stability'));
    expect(md).not.toContain('### Dependency benchmarks');
  });

  test('when a drill ran, then its line lists each endpoint while down (error rate, p95 ok / err, | escaped) and its notes', () => {
    expect(md).toContain(
      '- **redis-down**: While down (5 users): GET /cart\\|x 90 % errors (180/200), p95 ok 11.5 ms / err 0.8 ms; GET /health 0 % errors (0/20), p95 ok 3 ms / err n/a. Pre-fault: p95 12 ms, 0 % errors over 500 requests. canary: one request every 100 ms.',
    );
  });

  test('when a drill could not run, then its line shows its error (| escaped) and its notes', () => {
    expect(md).toContain(
      '- **pg-down**: Error: stop command exited 1: <img src=x> \\| permission denied. start ran in the cleanup.',
    );
  });

  test('when resources were judged, then memory (slope, first -> last) and CPU come with their limits and ✅ / ❌, and the notes', () => {
    expect(md).toContain('| Phase | Memory growth | CPU average | CPU peak |');
    expect(md).toContain(
      '| endurance | ✅ 12 MB (12 MB/h, 100 -> 112 MB); limit < 50 MB | ✅ 65.7 %; limit < 80 % | ❌ 97 %; limit < 95 % |',
    );
    expect(md).toContain('- cpu query \\| summed 2 series.');
    expect(md).toContain('detected within 6 s of the fault');
    expect(md).toContain("pre-fault p95 of successful requests (within the drill's tolerance, default 50 %, + 5 ms)");
    expect(md).toContain('memory growth < 50 MB over the phase, CPU < 80 % average and < 95 % peak');
  });

  test('when a resource was not measured, then it reads n/a with its limit', () => {
    const f = faults();
    f.resources = judgeResources({
      phase: 'endurance',
      from: 'a',
      to: 'b',
      limits: { maxMemoryGrowthMb: 50, maxCpuAvgPct: 80, maxCpuPeakPct: 95 },
      notes: ['Prometheus unreachable'],
    });
    expect(renderMarkdown(report(f))).toContain(
      '| endurance | n/a (not measured); limit < 50 MB | n/a (not measured); limit < 80 % | n/a (not measured); limit < 95 % |',
    );
  });

  test('when dependencies were benchmarked or unreachable, then their sub-heading follows the drills', () => {
    const f = { ...faults(), errors: [{ dependency: 'cache', error: 'connection refused' }] };
    const text = renderMarkdown(report(f));
    expect(text).toContain('### Dependency benchmarks');
    expect(text.indexOf('### Resource stability')).toBeLessThan(text.indexOf('### Dependency benchmarks'));
    expect(text).toContain('- **cache** not benchmarked: connection refused');
  });

  test('when a drill failed, then its status names the checks that failed and an unrestored dependency is flagged', () => {
    const d: FaultDrillResult = {
      ...passingDrill(),
      status: 'fail',
      checks: { detected: 'fail', recovered: 'pass', failFast: 'fail' },
      detection: { ...passingDrill().detection, healthS: null, firstS: null },
      failFast: { ...passingDrill().failFast, p95ErrorMs: 30_000, breakerOpened: false },
      restored: false,
    };
    const text = renderMarkdown(report({ dependencies: [], errors: [], drills: [d] }));
    expect(text).toContain(
      '| redis-down | ❌ fail (detected, fail-fast) | 10 s | 0.4 s | ❌ not detected / not detected / not watched (within 6 s) | ❌ 30,000 ms vs limit 13 ms, no breaker |',
    );
    expect(text).toContain('The dependency was NOT restored: start it by hand.');
  });
});

describe('report.html failure scenarios', () => {
  const html = renderHtml(report());
  const charts = reportCharts(report());
  const dataset = (id: string, label: string) =>
    charts.find((c) => c.id === id)!.config.data.datasets.find((d) => d.label?.startsWith(label)) as
      { data: unknown; yAxisID?: string; fill?: unknown } | undefined;

  test('when drills ran, then the page has the drill table, the resource table and the default limits', () => {
    expect(html).toContain('<h3>Fault drills under load</h3>');
    expect(html).toContain('<td>redis-down</td><td><span class="pill s-pass">pass</span></td><td>10 s</td>');
    expect(html).toContain(
      '<td><span class="pill s-pass">pass</span> 1.2 s / not detected / not watched (within 6 s)</td>',
    );
    expect(html).toContain('<h3>Resource stability</h3>');
    expect(html).toContain(`<td><span class="pill s-fail">fail</span> ${escapeHtml('97 %; limit < 95 %')}</td>`);
    expect(html).toContain('cpu query | summed 2 series');
    expect(html).toContain(escapeHtml("Default limits are the hand-run campaign's"));
    expect(html).not.toContain('<h3>Dependency benchmarks</h3>');
  });

  test('when a drill has a timeline, then it has its own chart with the fault window shaded and the detection and recovery instants marked', () => {
    expect(charts.map((c) => c.id)).toEqual(['chart-drill-0']);
    expect(html).toContain('<canvas id="chart-drill-0"');
    expect(dataset('chart-drill-0', 'Requests/s')!.data).toHaveLength(18);
    expect(dataset('chart-drill-0', 'Errors/s')!.data).toContainEqual({ x: 0, y: 45 });
    expect(dataset('chart-drill-0', 'P95 latency')!.yAxisID).toBe('y1');
    const band = dataset('chart-drill-0', 'Dependency down')!;
    expect(band).toMatchObject({ yAxisID: 'band', fill: 'origin' });
    expect(band.data).toEqual([
      { x: 0, y: 1 },
      { x: 10, y: 1 },
    ]);
    const vertical = (x: number) => [
      { x, y: 0 },
      { x, y: 1 },
    ];
    expect(dataset('chart-drill-0', 'Unhealthy (health): 1.2 s')!.data).toEqual(vertical(1.2));
    expect(dataset('chart-drill-0', 'First success: 10.5 s')!.data).toEqual(vertical(10.5));
    expect(dataset('chart-drill-0', 'Back to baseline: 12.1 s')!.data).toEqual(vertical(12.1));
    // Not detected by the alert, not watched for delivery: no marker.
    expect(dataset('chart-drill-0', 'Alert firing')).toBeUndefined();
    expect(dataset('chart-drill-0', 'Alert delivered')).toBeUndefined();
  });

  test('when every channel detected, then each has its marker', () => {
    const d = passingDrill();
    d.detection = {
      ...d.detection,
      alertFiringS: 4.5,
      alertDeliveredS: 5.25,
      watched: { ...d.detection.watched, alertDelivered: true },
    };
    const c = reportCharts(report({ dependencies: [], errors: [], drills: [d] }))[0]!;
    expect(c.config.data.datasets.map((x) => x.label)).toEqual(
      expect.arrayContaining(['Alert firing: 4.5 s', 'Alert delivered: 5.25 s']),
    );
  });

  test('when a drill could not run, then it has no chart, says so, and its error is escaped', () => {
    expect(html).not.toContain('chart-drill-1');
    expect(html).toContain('<h3>Drill: pg-down</h3><p class="muted">No timeline');
    expect(html).toContain(escapeHtml('Error: stop command exited 1: <img src=x> | permission denied'));
    expect(html).not.toContain('<img');
  });

  test('when the page is rendered, then nothing in it points outside the file', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html.replaceAll('http://127.0.0.1:8080', '')).not.toMatch(/https?:\/\//);
  });
});
