/**
 * report.html: the report as one self-contained page (decision, blocking reasons, charts and tables) that
 * opens offline from file://. Pure: the Chart.js bundle is passed in (chart-bundle.ts reads it),
 * the charts travel as plain-data Chart.js configurations in a `<script type="application/json">` element,
 * and every text put into markup is escaped.
 */
import { distinctSamples } from '../core/degradation';
import type { ChartConfiguration } from 'chart.js';
import type { ReportJson } from './model';
import { isThreshold, parseThreshold } from '../core/thresholds';
import { defaultTargetsText, dependencyTargetText } from '../core/dependencies';
import type { FaultDrillResult } from '../core/drills';
import {
  DRILL_HEAD,
  RESOURCE_HEAD,
  drillCells,
  drillDetails,
  failedChecks,
  faultDefaultsText,
  resourceCells,
  resourceWindow,
  type FaultCell,
} from './faults-text';
import { PHASES, type TimelinePoint } from '../core/types';
import { round } from '../core/numbers';

type Point = { x: number; y: number | null };

/** A Chart.js configuration made of plain data only (no functions), so it can be inlined as JSON. */
export type ChartConfig = ChartConfiguration<'line' | 'bar', Array<Point | number | null>, string>;

/** One chart of the page: the id of its canvas and its configuration. */
export interface HtmlChart {
  id:
    | 'chart-capacity'
    | 'chart-timeline'
    | 'chart-stress-timeline'
    | 'chart-stress-steps'
    | 'chart-categories'
    /** One per fault drill with a timeline, by its index in `faults.drills`. */
    | `chart-drill-${number}`;
  config: ChartConfig;
}

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /**
   * The Chart.js UMD bundle, inlined into the page. Without it the page still opens and shows every table,
   * and each chart box says the charts are unavailable.
   */
  chartJsSource?: string;
}

type StressReport = NonNullable<ReportJson['stress']>;
type Degradation = NonNullable<StressReport['degradation']>;
type BaselinePhase = ReportJson['baseline']['phases'][number];

const COLOR = {
  blue: '#2563eb',
  green: '#16a34a',
  orange: '#ea580c',
  red: '#dc2626',
  amber: '#d97706',
  grey: '#9ca3af',
  teal: '#0f766e',
};
/** Phase band tints of the timeline: fill, and a stronger edge for the legend box. */
const BANDS = ['37, 99, 235', '124, 58, 237', '13, 148, 136', '217, 119, 6'];
const DECISION_COLOR: Record<string, string> = {
  GO: '#15803d',
  CONDITIONAL_GO: '#b45309',
  NO_GO: '#b91c1c',
  PENDING: '#4b5563',
};
const STEP_COLOR: Record<string, string> = { pass: COLOR.green, fail: COLOR.red, invalid: COLOR.grey };

/** Escapes text for HTML element content and quoted attribute values (`&`, `<`, `>`, `"`, `'`). */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serialises a value as JSON that is safe inside a `<script>` element: `<`, `>` and `&` become `\u003c`,
 * `\u003e` and `\u0026`, so neither `</script>` nor `<!--` in the data can end or derail the element, and
 * `JSON.parse` of the element's text still returns the value unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Makes a script's source safe to inline: a literal `</script` would end the element early. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}

const fmtMs = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? 'n/a'
    : `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US')} ms`;
const fmtPct = (ratio: number) => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(2)} %` : 'n/a');
const fmtRps = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} req/s` : 'n/a');
const fmtInt = (v: number) => v.toLocaleString('en-US');
const levelUnit = (st: StressReport) => (st.model === 'closed' ? 'users' : 'req/s offered');

/** The right-hand axis every chart draws P95 latency on (no grid of its own). */
const p95Axis = () => ({
  type: 'linear' as const,
  position: 'right' as const,
  beginAtZero: true,
  title: { display: true, text: 'P95 latency (ms)' },
  grid: { drawOnChartArea: false },
});

/** Base options shared by every chart: no animation (deterministic output), fills its box, legend on top. */
function baseOptions(): NonNullable<ChartConfig['options']> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    plugins: { legend: { position: 'top', labels: { boxWidth: 14 } } },
  };
}

/**
 * The capacity curve: throughput and goodput (left axis) and p95 latency (right axis) against the stress
 * level, with the breaking point and the capacity ceiling as vertical markers. Each level is plotted once
 * (its last judged step); invalid steps, never judged, are grey points. Undefined when no step ran.
 */
function capacityChart(st: StressReport): HtmlChart | undefined {
  if (!st.steps.length) return undefined;
  const byLevel = new Map<number, StressReport['steps'][number]>();
  for (const s of [...st.steps].sort((a, b) => a.index - b.index)) if (s.status !== 'invalid') byLevel.set(s.level, s);
  const curve = [...byLevel.values()].sort((a, b) => a.level - b.level);
  const invalid = st.steps.filter((s) => s.status === 'invalid');
  const top = round(Math.max(1, ...st.steps.map((s) => Math.max(s.throughputRps, s.goodputRps))) * 1.1, 0);
  const unit = st.model === 'closed' ? 'users' : 'req/s';
  const breaking = st.breakingPoint ?? st.summary.breakingPoint;
  const ceiling = st.capacityCeiling ?? st.summary.capacityCeiling;
  const marker = (label: string, x: number, color: string, dash: number[]) => ({
    type: 'line' as const,
    label,
    data: [
      { x, y: 0 },
      { x, y: top },
    ],
    yAxisID: 'y',
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: dash,
    pointRadius: [0, 6],
    pointStyle: 'rectRot' as const,
  });
  const datasets: ChartConfig['data']['datasets'] = [
    {
      type: 'line',
      label: 'Throughput (req/s)',
      data: curve.map((s) => ({ x: s.level, y: round(s.throughputRps, 1) })),
      yAxisID: 'y',
      borderColor: COLOR.blue,
      backgroundColor: COLOR.blue,
      pointRadius: 3,
    },
    {
      type: 'line',
      label: 'Goodput, successful (req/s)',
      data: curve.map((s) => ({ x: s.level, y: round(s.goodputRps, 1) })),
      yAxisID: 'y',
      borderColor: COLOR.green,
      backgroundColor: COLOR.green,
      pointRadius: 3,
    },
    {
      type: 'line',
      label: 'P95 latency (ms)',
      data: curve.map((s) => ({ x: s.level, y: round(s.latencyMs.p95, 1) })),
      yAxisID: 'y1',
      borderColor: COLOR.orange,
      backgroundColor: COLOR.orange,
      borderDash: [6, 3],
      pointRadius: 3,
    },
  ];
  if (breaking)
    datasets.push(
      marker(`Breaking point: ${breaking.users} ${unit} (${breaking.criterion})`, breaking.users, COLOR.red, [8, 4]),
    );
  if (ceiling) datasets.push(marker(`Capacity ceiling: ${ceiling.users} ${unit}`, ceiling.users, COLOR.teal, [2, 3]));
  if (invalid.length) {
    datasets.push({
      type: 'line',
      label: 'Invalid step (generator could not drive it)',
      data: invalid.map((s) => ({ x: s.level, y: round(s.throughputRps, 1) })),
      yAxisID: 'y',
      showLine: false,
      borderColor: COLOR.grey,
      backgroundColor: COLOR.grey,
      pointRadius: 5,
      pointStyle: 'crossRot',
    });
  }
  const options = baseOptions();
  options.scales = {
    x: {
      type: 'linear',
      title: { display: true, text: st.model === 'closed' ? 'Concurrent users' : 'Offered load (req/s)' },
    },
    y: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'req/s' } },
    y1: p95Axis(),
  };
  return { id: 'chart-capacity', config: { type: 'line', data: { datasets }, options } };
}

/**
 * A phase's timeline with the spans that recorded nothing filled in (no requests, no latency): one empty point per
 * missing second, or two (its first and last second) for a gap longer than a minute. Downsampled windows
 * (`widthS`) stay one point each.
 */
function denseTimeline(points: TimelinePoint[]): TimelinePoint[] {
  const empty = (second: number): TimelinePoint => ({
    second,
    requests: 0,
    errors: 0,
    p50Ms: null,
    p95Ms: null,
    p99Ms: null,
  });
  const sorted = [...points].sort((a, b) => a.second - b.second);
  const out: TimelinePoint[] = [];
  let next: number | undefined;
  for (const p of sorted) {
    if (next !== undefined && p.second > next) {
      if (p.second - next > 60) out.push(empty(next), empty(p.second - 1));
      else for (let s = next; s < p.second; s++) out.push(empty(s));
    }
    out.push(p);
    next = p.second + (p.widthS ?? 1);
  }
  return out;
}

/** A timeline's three series: requests and errors per second (left axis), P95 (right axis, gaps kept). */
function timelineSeries(rps: Point[], errors: Point[], p95: Point[]): ChartConfig['data']['datasets'] {
  const line = (label: string, data: Point[], yAxisID: string, color: string) => ({
    type: 'line' as const,
    label,
    data,
    yAxisID,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    pointRadius: 0,
  });
  return [
    line('Requests/s', rps, 'y', COLOR.blue),
    line('Errors/s', errors, 'y', COLOR.red),
    { ...line('P95 latency (ms)', p95, 'y1', COLOR.orange), spanGaps: false },
  ];
}

/** A per-second timeline's axes: x in seconds, rates on the left, P95 on the right, a hidden 0-1 axis for bands. */
function timelineScales(
  min: number,
  max: number,
  xTitle: string,
  yTitle = 'per second',
): NonNullable<ChartConfig['options']>['scales'] {
  return {
    x: { type: 'linear', min, max, ticks: { includeBounds: false }, title: { display: true, text: xTitle } },
    y: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: yTitle } },
    y1: p95Axis(),
    band: { type: 'linear', display: false, min: 0, max: 1 },
  };
}

/**
 * The per-second timeline of the baseline phases, back to back in phase order: requests and errors per
 * second (left axis), p95 (right axis), each phase a shaded, named band. Undefined when no phase has one.
 */
function baselineTimelineChart(phases: BaselinePhase[]): HtmlChart | undefined {
  const withTimeline = phases.filter((p) => p.timeline.length);
  if (!withTimeline.length) return undefined;
  const rps: Point[] = [];
  const errors: Point[] = [];
  const p95: Point[] = [];
  const bands: ChartConfig['data']['datasets'] = [];
  let offset = 0;
  withTimeline.forEach((phase, i) => {
    const points = denseTimeline(phase.timeline);
    const first = points[0].second;
    for (const p of points) {
      // A downsampled window is drawn at its middle, as its per-second rate.
      const widthS = p.widthS ?? 1;
      const x = offset + p.second - first + (widthS - 1) / 2;
      rps.push({ x, y: round(p.requests / widthS, 1) });
      errors.push({ x, y: round(p.errors / widthS, 1) });
      p95.push({ x, y: p.p95Ms === null ? null : round(p.p95Ms, 1) });
    }
    const last = points[points.length - 1];
    const span = last.second + (last.widthS ?? 1) - first;
    bands.push({
      type: 'line',
      label: `Phase: ${phase.name}`,
      data: [
        { x: offset, y: 1 },
        { x: offset + span, y: 1 },
      ],
      yAxisID: 'band',
      fill: 'origin',
      borderWidth: 1,
      pointRadius: 0,
      borderColor: `rgba(${BANDS[i % BANDS.length]}, 0.5)`,
      backgroundColor: `rgba(${BANDS[i % BANDS.length]}, 0.09)`,
      order: 1,
    });
    offset += span;
  });
  const options = baseOptions();
  options.scales = timelineScales(0, offset, 'Seconds (baseline phases back to back, in order)');
  const datasets: ChartConfig['data']['datasets'] = [...timelineSeries(rps, errors, p95), ...bands];
  return { id: 'chart-timeline', config: { type: 'line', data: { datasets }, options } };
}

/** The error-rate stop criterion of a stress run (`error_rate>0.05`), as a ratio; undefined if none. */
function errorRateStop(stopWhen: string[]): number | undefined {
  for (const source of stopWhen) {
    const t = parseThreshold(source);
    if (isThreshold(t) && t.metric.kind === 'error_rate') return t.value;
  }
  return undefined;
}

/**
 * Stress step by step: each step's error rate (points coloured by pass / fail / invalid) and the load level
 * it held, over minutes since the first step started (over the step number when a step has no start time).
 * Undefined when no step ran.
 */
function stressStepsChart(st: StressReport): HtmlChart | undefined {
  if (!st.steps.length) return undefined;
  const steps = [...st.steps].sort((a, b) => a.index - b.index);
  const starts = steps.map((s) => (s.startedAt ? Date.parse(s.startedAt) : NaN));
  const timed = starts.every(Number.isFinite);
  const t0 = Math.min(...starts);
  const xOf = (i: number) => (timed ? round((starts[i] - t0) / 60_000, 2) : i + 1);
  const errorRate = steps.map((s, i) => ({ x: xOf(i), y: round(s.errorRate * 100, 3) }));
  const level = steps.map((s, i) => ({ x: xOf(i), y: s.level }));
  const lastStep = steps[steps.length - 1];
  if (timed && lastStep.durationS !== undefined)
    level.push({ x: round(xOf(steps.length - 1) + lastStep.durationS / 60, 2), y: lastStep.level });
  const datasets: ChartConfig['data']['datasets'] = [
    {
      type: 'line',
      label: 'Error rate (%)',
      data: errorRate,
      yAxisID: 'y',
      borderColor: COLOR.red,
      backgroundColor: COLOR.red,
      pointBackgroundColor: steps.map((s) => STEP_COLOR[s.status]),
      pointBorderColor: steps.map((s) => STEP_COLOR[s.status]),
      pointRadius: 5,
    },
    {
      type: 'line',
      label: `Load level (${levelUnit(st)})`,
      data: level,
      yAxisID: 'y1',
      stepped: 'before',
      borderColor: COLOR.blue,
      backgroundColor: COLOR.blue,
      borderWidth: 1.5,
      pointRadius: 0,
    },
  ];
  const stop = errorRateStop(st.stopWhen);
  if (stop !== undefined) {
    const xs = [...errorRate.map((p) => p.x), ...level.map((p) => p.x)];
    datasets.push({
      type: 'line',
      label: `Stop criterion: error rate ${round(stop * 100, 3)} %`,
      data: [
        { x: Math.min(...xs), y: round(stop * 100, 3) },
        { x: Math.max(...xs), y: round(stop * 100, 3) },
      ],
      yAxisID: 'y',
      borderColor: COLOR.red,
      backgroundColor: COLOR.red,
      borderDash: [6, 4],
      borderWidth: 1,
      pointRadius: 0,
    });
  }
  const options = baseOptions();
  options.scales = {
    x: {
      type: 'linear',
      title: { display: true, text: timed ? 'Minutes since the first stress step started' : 'Stress step' },
      ...(timed ? {} : { ticks: { stepSize: 1 } }),
    },
    y: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'Error rate (%)' } },
    y1: {
      type: 'linear',
      position: 'right',
      beginAtZero: true,
      title: { display: true, text: `Load level (${levelUnit(st)})` },
      grid: { drawOnChartArea: false },
    },
  };
  return { id: 'chart-stress-steps', config: { type: 'line', data: { datasets }, options } };
}

/**
 * The continuous ramp per second: the load level asked for (stepped), requests and errors per second (left
 * axis), P95 (right axis), each stage a shaded band (red from the breaking point on), the recovery stage last.
 * Undefined for a step-by-step run (no timeline).
 */
function stressTimelineChart(st: StressReport): HtmlChart | undefined {
  const tl = st.timeline;
  if (!tl?.points.length || !tl.stages.length) return undefined;
  const raw = tl.points.map((p) => ({ ...p, p50Ms: null, p99Ms: null }));
  // Per-second points get their silent seconds filled in; a long ramp's bucketed points are drawn as they are.
  const points = raw.length > 1 && raw[1].second - raw[0].second > 1 ? raw : denseTimeline(raw);
  const first = points[0].second;
  const last = points[points.length - 1].second;
  const stages = [...tl.stages].sort((a, b) => a.fromSecond - b.fromSecond);
  const level: Point[] = [];
  stages.forEach((g) => level.push({ x: g.fromSecond - first, y: g.level }));
  level.push({ x: last - first + 1, y: stages[stages.length - 1].level });
  const bands: ChartConfig['data']['datasets'] = stages.map((g, i) => {
    const end = (stages[i + 1]?.fromSecond ?? last + 1) - first;
    const tint =
      g.status === 'fail'
        ? '220, 38, 38'
        : g.status === 'recovery'
          ? '13, 148, 136'
          : g.status === 'invalid'
            ? '156, 163, 175'
            : '22, 163, 74';
    const what =
      g.status === 'recovery'
        ? 'recovery'
        : g.status === 'fail'
          ? st.breakingPoint?.users === g.level
            ? 'breaking point'
            : 'fail'
          : (g.status ?? 'stage');
    return {
      type: 'line' as const,
      label: `${g.level} ${st.model === 'closed' ? 'users' : 'req/s'}: ${what}`,
      data: [
        { x: g.fromSecond - first, y: 1 },
        { x: end, y: 1 },
      ],
      yAxisID: 'band',
      fill: 'origin',
      borderWidth: 1,
      pointRadius: 0,
      borderColor: `rgba(${tint}, 0.5)`,
      backgroundColor: `rgba(${tint}, 0.08)`,
      order: 1,
    };
  });
  const options = baseOptions();
  options.scales = timelineScales(
    0,
    last - first + 1,
    'Seconds since the stress load started',
    `per second / load level (${levelUnit(st)})`,
  );
  const datasets: ChartConfig['data']['datasets'] = [
    {
      type: 'line',
      label: `Load level (${levelUnit(st)})`,
      data: level,
      yAxisID: 'y',
      stepped: 'before',
      borderColor: COLOR.teal,
      backgroundColor: COLOR.teal,
      borderWidth: 1.5,
      pointRadius: 0,
      borderDash: [4, 3],
    },
    {
      type: 'line',
      label: 'Requests/s',
      data: points.map((p) => ({ x: p.second - first, y: p.requests })),
      yAxisID: 'y',
      borderColor: COLOR.blue,
      backgroundColor: COLOR.blue,
      borderWidth: 1.5,
      pointRadius: 0,
    },
    {
      type: 'line',
      label: 'Errors/s',
      data: points.map((p) => ({ x: p.second - first, y: p.errors })),
      yAxisID: 'y',
      borderColor: COLOR.red,
      backgroundColor: COLOR.red,
      borderWidth: 1.5,
      pointRadius: 0,
    },
    {
      type: 'line',
      label: 'P95 latency (ms)',
      data: points.map((p) => ({ x: p.second - first, y: p.p95Ms === null ? null : round(p.p95Ms, 1) })),
      yAxisID: 'y1',
      borderColor: COLOR.orange,
      backgroundColor: COLOR.orange,
      borderWidth: 1.5,
      pointRadius: 0,
      spanGaps: false,
    },
    ...bands,
  ];
  return { id: 'chart-stress-timeline', config: { type: 'line', data: { datasets }, options } };
}

/** The chart id of the drill at `index` of `faults.drills`. */
const drillChartId = (index: number): HtmlChart['id'] => `chart-drill-${index}`;

/**
 * A fault drill over seconds from the fault: requests and errors per second (left axis), P95 (right axis), the
 * dependency's downtime shaded (from the fault to the restart, or to the end when it was not restarted), and
 * vertical markers at each detection instant and at the first success and the return to baseline. Undefined
 * without a timeline (a drill that could not run).
 */
function drillChart(d: FaultDrillResult, index: number): HtmlChart | undefined {
  const points = [...d.timeline].sort((a, b) => a.t - b.t);
  if (!points.length) return undefined;
  const first = Math.min(0, points[0].t);
  const end = Math.max(points[points.length - 1].t + 1, d.downS ?? 0);
  const downTo = d.downS ?? end;
  const marker = (label: string, x: number, color: string, dash: number[]) => ({
    type: 'line' as const,
    label,
    data: [
      { x, y: 0 },
      { x, y: 1 },
    ],
    yAxisID: 'band',
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    borderDash: dash,
    pointRadius: 0,
  });
  const datasets: ChartConfig['data']['datasets'] = [
    ...timelineSeries(
      points.map((p) => ({ x: p.t, y: p.requests })),
      points.map((p) => ({ x: p.t, y: p.errors })),
      points.map((p) => ({ x: p.t, y: p.p95Ms === null ? null : round(p.p95Ms, 2) })),
    ),
    {
      type: 'line',
      label:
        d.downS === null
          ? 'Dependency down (not restarted within the drill)'
          : `Dependency down: 0-${round(d.downS, 2)} s`,
      data: [
        { x: 0, y: 1 },
        { x: downTo, y: 1 },
      ],
      yAxisID: 'band',
      fill: 'origin',
      borderWidth: 1,
      pointRadius: 0,
      borderColor: 'rgba(220, 38, 38, 0.5)',
      backgroundColor: 'rgba(220, 38, 38, 0.1)',
      order: 1,
    },
  ];
  const det = d.detection;
  const instants: Array<[string, number | null, string, number[]]> = [
    ['Unhealthy (health)', det.healthS, COLOR.teal, [6, 3]],
    ['Alert firing', det.alertFiringS, COLOR.amber, [6, 3]],
    ['Alert delivered', det.alertDeliveredS, '#7c3aed', [6, 3]],
  ];
  const restart = d.downS;
  if (restart !== null) {
    const after = (v: number | null) => (v === null ? null : round(restart + v, 2));
    instants.push(
      ['First success', after(d.recovery.firstSuccessS), COLOR.green, [2, 3]],
      ['Back to baseline', after(d.recovery.backToBaselineS), '#14532d', [8, 4]],
    );
  }
  for (const [what, x, color, dash] of instants)
    if (x !== null) datasets.push(marker(`${what}: ${round(x, 2)} s`, x, color, dash));
  const options = baseOptions();
  options.scales = timelineScales(first, Math.max(end, ...instants.map(([, x]) => x ?? 0)), 'Seconds from the fault');
  return { id: drillChartId(index), config: { type: 'line', data: { datasets }, options } };
}

/**
 * Category scores as bars (green at or above GO, amber at or above CONDITIONAL, red below, grey when not
 * scored, drawn at 0 and labelled n/a), with the policy's GO and CONDITIONAL lines when a policy is known.
 * Undefined when there are no categories.
 */
function categoriesChart(
  categories: NonNullable<ReportJson['categories']>,
  policy: { goAt: number; conditionalAt: number } | undefined,
): HtmlChart | undefined {
  if (!categories.length) return undefined;
  const labels = categories.map((c) => (c.scorePct === null ? `${c.name} (n/a)` : c.name));
  const colour = (v: number | null) =>
    v === null
      ? COLOR.grey
      : !policy
        ? COLOR.blue
        : v >= policy.goAt
          ? COLOR.green
          : v >= policy.conditionalAt
            ? COLOR.amber
            : COLOR.red;
  const datasets: ChartConfig['data']['datasets'] = [
    {
      type: 'bar',
      label: 'Score (%)',
      data: categories.map((c) => c.scorePct ?? 0),
      backgroundColor: categories.map((c) => colour(c.scorePct)),
      minBarLength: 4,
      order: 2,
    },
  ];
  if (policy) {
    const line = (label: string, v: number, color: string) => ({
      type: 'line' as const,
      label,
      data: categories.map(() => v),
      borderColor: color,
      backgroundColor: color,
      borderDash: [6, 4],
      borderWidth: 2,
      pointRadius: 0,
      order: 1,
    });
    // Darker than the bars of the same zone, so a line stays visible across them.
    datasets.push(
      line(`GO at ${policy.goAt} %`, policy.goAt, '#14532d'),
      line(`CONDITIONAL at ${policy.conditionalAt} %`, policy.conditionalAt, '#92400e'),
    );
  }
  const options = baseOptions();
  options.interaction = { mode: 'index', intersect: false };
  options.scales = {
    x: { type: 'category' },
    y: { type: 'linear', min: 0, max: 100, title: { display: true, text: 'Score (%)' } },
  };
  return { id: 'chart-categories', config: { type: 'bar', data: { labels, datasets }, options } };
}

/**
 * Every chart the report has data for, in page order: capacity curve, baseline timeline, stress timeline, stress
 * steps, one per fault drill, category scores. A chart without data is left out, so the list may be empty.
 */
export function reportCharts(report: ReportJson): HtmlChart[] {
  const st = report.stress;
  return [
    st && capacityChart(st),
    baselineTimelineChart(report.baseline.phases),
    st && stressTimelineChart(st),
    st && stressStepsChart(st),
    ...(report.faults?.drills ?? []).map((d, i) => drillChart(d, i)),
    report.categories && categoriesChart(report.categories, report.checklist?.policy),
  ].filter((c): c is HtmlChart => c !== undefined);
}

type Cell = string | number | { html: string };
const cellHtml = (c: Cell) => (typeof c === 'object' ? c.html : escapeHtml(c));

/** A table; text cells are escaped, `{ html }` cells are trusted markup built here. */
function table(head: string[], rows: Cell[][], className = ''): string {
  return (
    `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`
  );
}

/** A status as a coloured pill (class from a closed set of characters). */
const pill = (status: string) => ({
  html: `<span class="pill s-${status.replace(/[^a-z_]/gi, '')}">${escapeHtml(status)}</span>`,
});

function chartFigure(charts: HtmlChart[], id: HtmlChart['id'], title: string, caption: string): string {
  if (!charts.some((c) => c.id === id)) return '';
  return (
    `<figure class="chart"><h3>${escapeHtml(title)}</h3><div class="chart-box"><canvas id="${id}" role="img" aria-label="${escapeHtml(title)}"></canvas></div>` +
    `<figcaption>${escapeHtml(caption)}</figcaption></figure>`
  );
}

const notRun = (what: string, reason?: string) =>
  `<p class="muted">${escapeHtml(what)}: not run${reason ? ` (${escapeHtml(reason)})` : ''}.</p>`;

function headerHtml(report: ReportJson): string {
  const { campaign, verdict } = report;
  const color = DECISION_COLOR[verdict.decision] ?? DECISION_COLOR.PENDING;
  const rows: Array<[string, string]> = [
    ['Campaign', campaign.id],
    ['Target', campaign.target],
    ...(campaign.owner ? [['Owner', campaign.owner] as [string, string]] : []),
    ['Started', campaign.startedAt],
    ['Finished', campaign.finishedAt ?? '(running)'],
    ['Config hash', campaign.configHash.slice(0, 12)],
  ];
  return (
    `<header><h1>Production readiness: ${escapeHtml(campaign.name)}</h1>` +
    `<div class="decision" style="--decision:${color}"><span class="badge">${escapeHtml(verdict.decision.replace('_', ' '))}</span>` +
    `<span class="score">${verdict.scorePct === null ? 'score not computed yet' : `score ${escapeHtml(verdict.scorePct)} %`}</span></div>` +
    `<details class="campaign-facts"><summary>Campaign ${escapeHtml(campaign.id)}</summary><dl class="facts">${rows.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl></details></header>`
  );
}

/** The key figures of the first screen: what a release manager asks first, each with its unit. */
function keyFigures(report: ReportJson): Array<[string, string]> {
  const st = report.stress;
  const u = st?.model === 'closed' ? 'users' : 'req/s';
  const model = report.analysis?.capacityModel;
  const rec = st?.recoveryAfterLoad;
  const rto = report.backup?.drills.find((d) => d.id === 'postgres')?.rtoS;
  return [
    [
      'Breaking point',
      st?.breakingPoint
        ? `${st.breakingPoint.users} ${u} (${st.breakingPoint.criterion})`
        : st
          ? 'not reached'
          : 'stress not run',
    ],
    [
      'Capacity ceiling',
      st?.capacityCeiling
        ? `${st.capacityCeiling.users} ${u} at ${st.capacityCeiling.goodputRps} req/s`
        : st
          ? 'no passing step'
          : 'stress not run',
    ],
    [
      'Model peak (USL)',
      model?.evaluable && model.peakUsers !== null
        ? `${model.peakUsers} users, ${model.peakThroughputRps} req/s (R² ${model.r2})`
        : model?.evaluable && model.peakThroughputRps !== null
          ? `no peak; towards ${model.peakThroughputRps} req/s (R² ${model.r2})`
          : model && !model.evaluable
            ? 'not evaluable'
            : 'n/a',
    ],
    [
      'Recovery after load',
      rec ? (rec.recovered ? `${rec.timeS} s` : rec.recovered === false ? 'did not recover' : 'not measured') : 'n/a',
    ],
    [
      'Spike recovery',
      report.spike ? (report.spike.recovered ? `${report.spike.recoveryTimeS} s` : 'did not recover') : 'spike not run',
    ],
    ['Database RTO', rto != null ? `${rto} s` : 'n/a'],
  ];
}

/**
 * The first screen: the category bars, the key figures and the blockers grouped by category in one compact table;
 * the verdict's full list of reasons folds away (it repeats the blockers, item by item).
 */
function summaryHtml(report: ReportJson): string {
  const bands = report.checklist?.policy ?? { goAt: 90, conditionalAt: 75 };
  const bars = (report.categories ?? [])
    .map((c) => {
      const pct = c.scorePct ?? 0;
      const cls =
        c.scorePct === null ? 'na' : pct >= bands.goAt ? 'good' : pct >= bands.conditionalAt ? 'partial' : 'poor';
      return `<div class="bar"><span class="bar-name">${escapeHtml(c.name)}</span><span class="bar-track"><span class="bar-fill ${cls}" style="width:${Math.max(0, Math.min(100, pct))}%"></span></span><span class="bar-pct">${c.scorePct === null ? 'n/a' : `${escapeHtml(c.scorePct)} %`}</span></div>`;
    })
    .join('');
  const figures = keyFigures(report)
    .map(
      ([k, v]) =>
        `<div class="figure"><div class="figure-k">${escapeHtml(k)}</div><div class="figure-v">${escapeHtml(v)}</div></div>`,
    )
    .join('');
  const blockers = report.checklist?.blockers ?? [];
  const byCategory = new Map<string, typeof blockers>();
  const categoryOf = new Map((report.checklist?.items ?? []).map((i) => [i.id, i.category as string]));
  for (const b of blockers) {
    const category = categoryOf.get(b.id) ?? 'Other';
    byCategory.set(category, [...(byCategory.get(category) ?? []), b]);
  }
  const blockerRows = [...byCategory].flatMap(([category, list]) =>
    list.map((b, i) => [
      i === 0 ? { html: `<strong>${escapeHtml(category)}</strong> (${list.length})` } : '',
      b.severity,
      { html: `${escapeHtml(b.title)} <code>${escapeHtml(b.id)}</code>` },
      pill(b.status),
      (b.evidence.observed ?? '').slice(0, 160),
    ]),
  );
  const { reasons } = report.verdict;
  const verdictBlockers = report.verdict.blockers;
  const blockerTable = blockers.length
    ? `<h3>Blockers (${blockers.length})</h3>${table(['Category', 'Sev', 'Item', 'Status', 'Evidence'], blockerRows, 'blockers-table')}`
    : verdictBlockers.length
      ? `<h3>Blocking reasons (${verdictBlockers.length})</h3><ol class="blockers">${verdictBlockers.map((b) => `<li>${escapeHtml(b)}</li>`).join('')}</ol>`
      : '<p>No blocker.</p>';
  return (
    '<section id="summary"><h2>Summary</h2>' +
    (bars ? `<div class="bars">${bars}</div>` : '') +
    `<div class="figures">${figures}</div>` +
    blockerTable +
    (reasons.length
      ? `<details class="reasons"><summary>Why not GO: ${reasons.length} reason${reasons.length === 1 ? '' : 's'}, item by item</summary><ul>${reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></details>`
      : '') +
    '</section>'
  );
}

/** The performance analysis: by operation type, cold start, scaling, the capacity model, degradation, recommendations. */
function analysisHtml(report: ReportJson): string {
  const a = report.analysis;
  if (!a) return '';
  const parts: string[] = ['<section id="analysis"><h2>Performance analysis</h2>'];
  if (a.recommendations.length) {
    parts.push(
      '<h3>Recommendations</h3>' +
        table(
          ['Sev', 'Finding', 'Evidence', 'Recommendation'],
          a.recommendations.map((r) => [r.severity, r.finding, r.evidence, r.recommendation]),
        ),
    );
  } else parts.push('<p class="muted">No recommendation: no finding measured calls for one.</p>');
  const m = a.capacityModel;
  parts.push(
    '<h3>Capacity model (Universal Scalability Law)</h3>' +
      (m.evaluable
        ? `<p>X(N) = λN / (1 + σ(N−1) + κN(N−1)) fitted on ${m.points} levels: λ ${escapeHtml(m.lambda)} req/s per user, σ ${escapeHtml(m.sigma)} (contention), κ ${escapeHtml(m.kappa)} (coherency), R² ${escapeHtml(m.r2)}, error ${escapeHtml(round(m.cvRmse * 100, 1))} % of the mean throughput. ` +
          (m.peakUsers !== null
            ? `Predicted peak: ${escapeHtml(m.peakUsers)} users at ${escapeHtml(m.peakThroughputRps)} req/s. `
            : `No peak: throughput flattens without falling${m.peakThroughputRps !== null ? `, towards λ/σ = ${escapeHtml(m.peakThroughputRps)} req/s` : ''}. `) +
          (m.safeUsers !== undefined
            ? `Safe capacity, ${Math.round((m.margin ?? 0) * 100)} % below the lower of the model's peak and the measured ceiling: ${escapeHtml(m.safeUsers)} users (${escapeHtml(m.safeThroughputRps)} req/s).`
            : '') +
          '</p>'
        : `<p class="muted">Not evaluable: ${escapeHtml(m.reason)}.</p>`),
  );
  const d = a.degradation;
  parts.push(
    '<h3>Degradation past the breaking point</h3>' +
      (d.evaluable
        ? `<p>Against ${escapeHtml(d.baseline.label)} (P50 ${fmtMs(d.baseline.p50Ms)}, P95 ${fmtMs(d.baseline.p95Ms)}): at the breaking point (${escapeHtml(d.atBreakingPoint.users)} ${escapeHtml(d.unit)}) P50 ${escapeHtml(d.atBreakingPoint.p50x)}x, P95 ${escapeHtml(d.atBreakingPoint.p95x)}x; at ${escapeHtml(d.worst.users)} ${escapeHtml(d.unit)}, P50 ${escapeHtml(d.worst.p50x)}x, P95 ${escapeHtml(d.worst.p95x)}x. Throughput there ${escapeHtml(d.throughputAtWorstRps)} req/s against ${escapeHtml(d.maxThroughputRps)} at best: ${escapeHtml(d.throughputLostPct)} % lost.</p>`
        : `<p class="muted">${escapeHtml(d.reason)}.</p>`),
  );
  if (a.scaling.length) {
    parts.push(
      `<details><summary>Scaling: ${a.linearUpToUsers !== null ? `linear up to ${escapeHtml(a.linearUpToUsers)} users` : 'no linear region'}${a.linearEndsAtUsers !== null ? `, ends at ${escapeHtml(a.linearEndsAtUsers)}` : ''} (${a.scaling.length} levels)</summary>` +
        table(
          ['Level', 'Users', 'Throughput', 'Per user', 'Efficiency'],
          a.scaling.map((s) => [
            s.label,
            fmtInt(s.users),
            fmtRps(s.throughputRps),
            `${s.perUserRps} req/s`,
            {
              html: `${Math.round(s.efficiency * 100)} %${s.linear ? '' : ' <span class="muted">(not linear)</span>'}`,
            },
          ]),
        ) +
        '</details>',
    );
  }
  if (a.byOperation.length) {
    parts.push(
      '<h3>Latency by operation type</h3>' +
        table(
          ['Phase', 'Operation', 'Requests', 'Share', 'P50', 'P95', 'P99'],
          a.byOperation.map((o) => [
            o.phase,
            o.operation,
            fmtInt(o.requests),
            fmtPct(o.share),
            fmtMs(o.p50Ms),
            fmtMs(o.p95Ms),
            fmtMs(o.p99Ms),
          ]),
        ),
    );
  }
  if (a.coldStart.length) {
    parts.push(
      `<details><summary>Cold start: ${a.coldStart.filter((c) => c.flagged).length} of ${a.coldStart.length} phases flagged</summary>` +
        table(
          ['Phase', 'First second P95', 'Steady P95', 'Factor', ''],
          a.coldStart.map((c) => [
            c.phase,
            fmtMs(c.firstSecondP95Ms),
            fmtMs(c.steadyP95Ms),
            c.factor === null ? `n/a: ${c.reason ?? 'no steady seconds'}` : `${c.factor}x`,
            c.flagged ? pill('warn') : '',
          ]),
        ) +
        '</details>',
    );
  }
  if (a.slowestEndpoints.length) {
    parts.push(
      '<details><summary>Slowest endpoints (P95)</summary>' +
        table(
          ['Phase', 'Endpoint', 'Method', 'P50', 'P95'],
          a.slowestEndpoints.map((e) => [e.phase, e.endpoint, e.method, fmtMs(e.p50Ms), fmtMs(e.p95Ms)]),
        ) +
        '</details>',
    );
  }
  parts.push('</section>');
  return parts.join('');
}

function phasesHtml(report: ReportJson): string {
  const rows = PHASES.filter((name) => report.phases?.[name]).map((name) => [
    name,
    pill(report.phases[name].status),
    report.phases[name].reason ?? '',
  ]);
  return rows.length
    ? `<section id="phases"><h2>Phases</h2>${table(['Phase', 'Status', 'Notes'], rows)}</section>`
    : '';
}

function capacityHtml(report: ReportJson, charts: HtmlChart[]): string {
  const st = report.stress;
  if (!st)
    return `<section id="capacity"><h2>Capacity (progressive stress)</h2>${notRun('Stress', report.phases?.stress?.reason)}</section>`;
  const u = st.model === 'closed' ? 'users' : 'req/s';
  const breaking = st.breakingPoint ?? st.summary.breakingPoint;
  const ceiling = st.capacityCeiling ?? st.summary.capacityCeiling;
  const facts = [
    breaking
      ? `Breaking point: ${breaking.users} ${u}, ${breaking.criterion} (observed ${round(breaking.observed, 4)}, threshold ${breaking.threshold}).`
      : `Breaking point: not reached (${st.summary.stoppedBecause.replace('_', ' ')}).`,
    ceiling
      ? `Capacity ceiling: ${ceiling.users} ${u}, ${ceiling.goodputRps} successful req/s, P95 ${fmtMs(ceiling.p95Ms)}.`
      : 'Capacity ceiling: no step passed.',
    `Throughput ceiling: ${st.maxThroughputRps} successful req/s (highest of any step).`,
    ...(st.throughputPlateau
      ? [
          `Throughput plateau: about ${st.throughputPlateau.throughputRps} req/s from ${st.throughputPlateau.fromUsers} ${u} on.`,
        ]
      : []),
    `Stop when: ${st.stopWhen.join(' or ') || '(no criterion)'}. Load used: ${st.loadMinutes} ${u}-minutes${st.ramp === 'continuous' ? ', one continuous ramp' : ''}.`,
    ...(st.startAboveCapacity
      ? [
          `The start level was above capacity: the search went down (halving, then up by the step size) to find the ceiling.`,
        ]
      : []),
    ...(st.error ? [`Error: ${st.error}`] : []),
  ];
  const steps = [...st.steps]
    .sort((a, b) => a.index - b.index)
    .map((s) => [
      s.index + 1,
      s.level,
      pill(s.status),
      fmtRps(s.throughputRps),
      fmtRps(s.goodputRps),
      fmtPct(s.errorRate),
      fmtMs(s.latencyMs.p95),
      s.failed ? `${s.failed.criterion} (observed ${round(s.failed.observed, 4)})` : (s.invalidReason ?? ''),
    ]);
  return (
    '<section id="capacity"><h2>Capacity (progressive stress)</h2>' +
    chartFigure(
      charts,
      'chart-capacity',
      'Capacity curve',
      `Throughput and goodput (left) and P95 latency (right) per ${st.model === 'closed' ? 'concurrent-user' : 'offered-rate'} level; the red marker is the breaking point, the teal one the capacity ceiling.`,
    ) +
    `<ul class="facts-list">${facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>` +
    (steps.length
      ? table(
          ['Step', levelUnit(st), 'Status', 'Throughput', 'Goodput', 'Error rate', 'P95', 'Failed on / note'],
          steps,
        )
      : '<p class="muted">No stress step ran.</p>') +
    degradationHtml('How it degrades past the breaking point', st.degradation) +
    recoveryAfterLoadHtml(st) +
    '</section>'
  );
}

/** The degradation verdict as facts, a table of error classes and the sampled error bodies (escaped). */
function degradationHtml(title: string, d: Degradation | undefined): string {
  if (!d) return '';
  const v = (x: boolean | null, good: string) => (x === null ? `${good}: n/a` : x ? good : `not ${good}`);
  const c = d.errorClasses;
  const facts = [
    `Verdict: ${v(d.graceful, 'graceful')}; ${d.failFast === null ? 'fail-fast: n/a' : d.failFast ? 'fails fast' : 'failures hang'}; ${v(d.informativeErrors, 'informative errors')} (judged on ${d.judged.join(', ')}).`,
    `Failed requests P95 ${d.failedP95Ms === null ? 'n/a' : fmtMs(d.failedP95Ms)}, successful P95 ${d.okP95Ms === null ? 'n/a' : fmtMs(d.okP95Ms)}.`,
    ...(d.healthAfter
      ? [
          `Health right after: ${d.healthAfter.ok ? 'healthy' : `not healthy (${d.healthAfter.error ?? `HTTP ${d.healthAfter.status}`})`}.`,
        ]
      : []),
    ...d.findings,
  ];
  return (
    `<h3>${escapeHtml(title)}</h3><ul class="facts-list">${facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>` +
    table(
      ['Fast rejections (429/503)', 'with Retry-After', 'Timeouts', 'Transport errors', 'Other 5xx', 'Other'],
      [[c.fastRejections, c.withRetryAfter, c.timeouts, c.transport, c.otherServerErrors, c.other]],
    ) +
    (d.samples.length
      ? table(
          ['Endpoints', 'Status', 'Content type', 'Body (start)', 'Samples', 'Flags'],
          distinctSamples(d.samples)
            .slice(0, 8)
            .map((x) => [
              x.endpoints.join(', '),
              x.status,
              x.contentType || '-',
              x.body.slice(0, 200) || '(empty)',
              x.count,
              x.flags.join(', ') || '-',
            ]),
        )
      : '')
  );
}

/** Recovery after load reduction: recovered or not, the time, the gauges. */
function recoveryAfterLoadHtml(st: StressReport): string {
  const r = st.recoveryAfterLoad;
  if (!r) return '';
  const u = st.model === 'closed' ? 'users' : 'req/s';
  const facts = [
    r.recovered === true
      ? `Recovered in ${r.timeS} s back at ${r.level} ${u} (P95 ${fmtMs(r.reference.p95Ms)} and ${fmtPct(r.reference.errorRate)} errors at that level; limit ${r.withinS} s).`
      : r.recovered === false
        ? `Did not recover (P1): ${r.finding}.`
        : `Not measured at ${r.level} ${u}.`,
    ...(r.gauges ?? []).map(
      (g) =>
        `${g.name}: ${g.before ?? 'n/a'} before the stress, ${g.after ?? 'n/a'} after the recovery${g.returned === false ? ' (did not return)' : ''}.`,
    ),
  ];
  return `<h3>Recovery after load reduction</h3><ul class="facts-list">${facts.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`;
}

function timelinesHtml(report: ReportJson, charts: HtmlChart[]): string {
  const stressNote =
    report.stress && !report.stress.timeline
      ? ' This stress run ran step by step (a run window): it has no per-second timeline; its steps are in the chart below.'
      : '';
  const figures =
    chartFigure(
      charts,
      'chart-timeline',
      'Baseline load, per second',
      `Requests and errors per second and P95 latency of the baseline phases, back to back in run order; the shaded bands name the phases.${stressNote}`,
    ) +
    chartFigure(
      charts,
      'chart-stress-timeline',
      'Stress: the continuous ramp, per second',
      'The load level asked for (dashed), requests and errors per second and P95 latency while the stress load ran without stopping; each band is a step (green pass, red fail: the first red band is the breaking point), the teal band the recovery at the first passing level.',
    ) +
    chartFigure(
      charts,
      'chart-stress-steps',
      'Stress steps: error rate per step',
      "Each stress step's error rate on its judged window (green pass, red fail, grey invalid) and the load level it held.",
    );
  return `<section id="timelines"><h2>Timelines</h2>${figures || '<p class="muted">No per-second timeline and no stress step recorded.</p>'}</section>`;
}

function baselineHtml(report: ReportJson): string {
  const phases = report.baseline.phases;
  if (!phases.length)
    return `<section id="baseline"><h2>Baseline load</h2>${notRun('Baseline', report.phases?.baseline?.reason)}</section>`;
  const rows = phases.map((p) => [
    p.name,
    p.model === 'closed' ? p.users : 'open model',
    fmtInt(p.requests),
    fmtRps(p.throughputRps),
    fmtPct(p.errorRate),
    fmtMs(p.latencyMs.p50),
    fmtMs(p.latencyMs.p95),
    fmtMs(p.latencyMs.p99),
    pill(p.assessment),
  ]);
  const thresholds = report.baseline.thresholds.length
    ? `<p>Thresholds: ${report.baseline.thresholds.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')}</p>`
    : '';
  const flowRows = phases.flatMap((p) =>
    (p.flows ?? []).map((f) => [
      p.name,
      f.name,
      fmtInt(f.iterations),
      fmtInt(f.failedIterations),
      fmtPct(f.failedRate),
      fmtMs(f.latencyMs.p50),
      fmtMs(f.latencyMs.p95),
      fmtMs(f.latencyMs.p99),
      Object.entries(f.failedSteps)
        .sort(([, a], [, b]) => b - a)
        .map(([step, n]) => `${step} (${fmtInt(n)})`)
        .join(', ') || '-',
    ]),
  );
  const flows = flowRows.length
    ? '<h3>User journeys (flows)</h3>' +
      table(
        ['Phase', 'Flow', 'Iterations', 'Failed', 'Failed rate', 'P50', 'P95', 'P99', 'Failed first at'],
        flowRows,
      ) +
      '<p class="muted">An iteration is one journey, think times between its steps included; latency is that of the iterations in which every step passed.</p>'
    : '';
  return `<section id="baseline"><h2>Baseline load</h2>${thresholds}${table(['Phase', 'Users', 'Requests', 'Throughput', 'Error rate', 'P50', 'P95', 'P99', 'Assessment'], rows)}${flows}</section>`;
}

/** A drill or resource cell: a judged figure leads with its judgement as a pill. */
const faultCell = (c: FaultCell): Cell => (c.mark ? { html: `${pill(c.mark).html} ${escapeHtml(c.text)}` } : c.text);

function faultsHtml(report: ReportJson, charts: HtmlChart[]): string {
  const f = report.faults;
  if (!f) return '';
  const parts: string[] = ['<section id="faults"><h2>Failure scenarios</h2>'];
  if (f.drills.length) {
    parts.push(
      '<h3>Fault drills under load</h3>' +
        table(
          DRILL_HEAD,
          f.drills.map((d) => {
            const [name, , ...rest] = drillCells(d).map(faultCell);
            const failed = failedChecks(d);
            return [
              name,
              { html: `${pill(d.status).html}${failed.length ? ` ${escapeHtml(failed.join(', '))}` : ''}` },
              ...rest,
            ];
          }),
        ),
    );
    f.drills.forEach((d, i) => {
      const figure = chartFigure(
        charts,
        drillChartId(i),
        `Drill: ${d.name}`,
        `Requests and errors per second and P95 latency (right axis), over seconds from the fault; the red band is the dependency down (${d.downS === null ? 'not restarted within the drill' : `restarted at ${d.downS} s`}), the vertical lines the detection instants (health, alert firing, alert delivered) and the recovery instants (first success, back to baseline).`,
      );
      const facts = drillDetails(d);
      parts.push(
        (figure ||
          `<h3>Drill: ${escapeHtml(d.name)}</h3><p class="muted">No timeline: the drill did not run its load.</p>`) +
          (facts.length ? `<ul class="facts-list">${facts.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>` : ''),
      );
    });
  }
  if (f.resources) {
    const r = f.resources;
    parts.push(
      '<h3>Resource stability</h3>' +
        table(RESOURCE_HEAD, [resourceCells(r).map(faultCell)]) +
        `<p class="muted">${escapeHtml(resourceWindow(r))}.</p>` +
        (r.notes.length ? `<ul>${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''),
    );
  }
  if (f.drills.length || f.resources) parts.push(`<p class="muted">${escapeHtml(faultDefaultsText())}</p>`);
  if (f.dependencies.length || f.errors.length) {
    const rows = f.dependencies.map((r) => [
      r.name,
      pill(r.status),
      r.operations,
      r.concurrency,
      fmtMs(r.meanMs),
      fmtMs(r.p50Ms),
      fmtMs(r.p95Ms),
      fmtMs(r.p99Ms),
      r.opsPerS.toFixed(0),
      dependencyTargetText(r.targets),
      r.reasons.join('; '),
    ]);
    const errors = f.errors.length
      ? `<ul>${f.errors.map((e) => `<li><strong>${escapeHtml(e.dependency)}</strong> not benchmarked: ${escapeHtml(e.error)}</li>`).join('')}</ul>`
      : '';
    parts.push(
      '<h3>Dependency benchmarks</h3>' +
        (rows.length
          ? table(
              ['Operation', 'Status', 'Operations', 'In flight', 'Mean', 'P50', 'P95', 'P99', 'Ops/s', 'Target', 'Why'],
              rows,
            )
          : '') +
        errors +
        `<p class="muted">Targets: the hand-run campaign's (${escapeHtml(defaultTargetsText())}) unless the campaign file sets its own.</p>`,
    );
  }
  if (!f.drills.length && !f.resources && !f.dependencies.length && !f.errors.length)
    parts.push('<p class="muted">No dependency benchmark, fault drill or resource check ran.</p>');
  parts.push('</section>');
  return parts.join('');
}

function categoriesHtml(report: ReportJson, charts: HtmlChart[]): string {
  const cats = report.categories;
  if (!cats?.length)
    return `<section id="categories"><h2>Category scores</h2>${notRun('Checklist scoring', report.phases?.checklist?.reason)}</section>`;
  const policy = report.checklist?.policy;
  const rows = cats.map((c) => [
    c.name,
    c.scorePct === null ? 'n/a' : `${c.scorePct} %`,
    `${c.earned} / ${c.max}`,
    c.items,
    c.blockers,
  ]);
  return (
    '<section id="categories"><h2>Category scores</h2>' +
    chartFigure(
      charts,
      'chart-categories',
      'Score per category',
      policy
        ? `Score per category; dashed lines: GO at ${policy.goAt} %, CONDITIONAL at ${policy.conditionalAt} %. A category whose items are all waived is not scored (n/a, drawn at 0).`
        : 'Score per category. A category whose items are all waived is not scored (n/a, drawn at 0).',
    ) +
    table(['Category', 'Score', 'Points', 'Items', 'Blocking items'], rows) +
    '</section>'
  );
}

function checklistHtml(report: ReportJson): string {
  const cl = report.checklist;
  if (!cl) return '';
  const policy = `<p>Policy: GO at ${escapeHtml(cl.policy.goAt)} % or more, CONDITIONAL GO at ${escapeHtml(cl.policy.conditionalAt)} % or more, at most ${escapeHtml(cl.policy.maxP1Blockers)} P1 blocker(s). Scored at ${escapeHtml(cl.scoredAt)}.</p>`;
  const blockers = cl.blockers.length
    ? `<h3>Blocking items</h3>${table(
        ['Item', 'Severity', 'Status', 'Evidence', 'Remediation'],
        cl.blockers.map((b) => [
          `${b.id}: ${b.title}`,
          b.severity,
          pill(b.status),
          evidenceText(b.evidence),
          b.remediation ?? '',
        ]),
      )}`
    : '';
  const items = cl.items.length
    ? table(
        ['Item', 'Category', 'Severity', 'Status', 'Reason', 'Evidence'],
        cl.items.map((i) => [
          { html: `<code>${escapeHtml(i.id)}</code><br><span class="muted">${escapeHtml(i.title)}</span>` },
          i.category,
          i.severity,
          pill(i.status),
          i.reason,
          evidenceText(i.evidence),
        ]),
        'items',
      )
    : '<p class="muted">The checklist has no item.</p>';
  const missing = cl.missing.length
    ? `<p>Manual items not attested: ${cl.missing.map((m) => `<code>${escapeHtml(m)}</code>`).join(', ')}.</p>`
    : '';
  return `<section id="checklist"><h2>Checklist</h2>${policy}${blockers}<h3>Items</h3>${items}${missing}</section>`;
}

function evidenceText(e: { source: string; observed?: string; expected?: string }): string {
  return [e.source, e.observed && `observed ${e.observed}`, e.expected && `expected ${e.expected}`]
    .filter(Boolean)
    .join('; ');
}

function comparisonHtml(report: ReportJson): string {
  const c = report.comparison;
  if (!c) return '';
  const prev = `<p>Previous campaign: ${escapeHtml(c.previous.name)} (<code>${escapeHtml(c.previous.id)}</code>, started ${escapeHtml(c.previous.startedAt)}${c.previous.decision ? `, ${escapeHtml(c.previous.decision)}` : ''}${c.previous.scorePct !== undefined ? `, score ${escapeHtml(c.previous.scorePct)} %` : ''}).</p>`;
  const findings = c.findings.length
    ? `<h3>Findings</h3><ul>${c.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`
    : '<p>No regression since the previous campaign.</p>';
  const metrics = c.metrics.length
    ? table(
        ['Metric', 'Previous', 'Current', 'Change', 'Regression'],
        c.metrics.map((m) => [
          m.metric,
          m.previous,
          m.current,
          `${m.changePct > 0 ? '+' : ''}${round(m.changePct, 1)} %`,
          m.regression ? pill('fail') : pill('pass'),
        ]),
      )
    : '';
  return `<section id="comparison"><h2>Compared with the previous campaign</h2>${prev}${findings}${metrics}</section>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; }
header, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
h1 { font-size: 22px; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
.decision { display: flex; align-items: center; gap: 12px; margin-bottom: 12px; }
.badge { background: var(--decision); color: #fff; font-weight: 700; font-size: 18px; padding: 6px 14px; border-radius: 6px; letter-spacing: .03em; }
.score { font-size: 16px; font-weight: 600; color: var(--decision); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 6px 24px; margin: 0; }
.facts div { display: flex; gap: 8px; min-width: 0; }
.facts dt { color: var(--muted); min-width: 90px; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
ol.blockers li { color: #991b1b; font-weight: 600; }
.bars { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 4px 24px; margin-bottom: 14px; }
.bar { display: flex; align-items: center; gap: 8px; }
.bar-name { width: 120px; color: var(--muted); font-size: 13px; }
.bar-track { flex: 1; height: 10px; background: #f3f4f6; border-radius: 5px; overflow: hidden; }
.bar-fill { display: block; height: 100%; }
.bar-fill.good { background: #15803d; } .bar-fill.partial { background: #b45309; } .bar-fill.poor { background: #b91c1c; } .bar-fill.na { background: #9ca3af; }
.bar-pct { width: 44px; text-align: right; font-size: 13px; font-weight: 600; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin-bottom: 8px; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.figure-k { color: var(--muted); font-size: 12px; }
.figure-v { font-weight: 600; overflow-wrap: anywhere; }
details > summary { cursor: pointer; color: #1d4ed8; margin: 8px 0; }
.campaign-facts summary { color: var(--muted); }
.muted { color: var(--muted); }
figure.chart { margin: 0 0 16px; }
figure.chart h3 { margin-top: 0; }
.chart-box { position: relative; height: 340px; width: 100%; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; white-space: nowrap; }
td { overflow-wrap: break-word; }
td code { white-space: nowrap; }
table.items td:nth-child(5), table.items td:nth-child(6) { min-width: 200px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: #6b7280; white-space: nowrap; }
.s-pass { background: #15803d; } .s-warn { background: #b45309; } .s-fail, .s-error, .s-aborted { background: #b91c1c; }
.s-waived { background: #6d28d9; } .s-invalid, .s-not_run, .s-stale, .s-not_evaluable { background: #6b7280; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
@media print { body { background: #fff; padding: 0; } header, section { break-inside: avoid; border: none; } }
`;

/**
 * Runs in the page: draws every chart from the inlined JSON configurations with the inlined Chart.js, then
 * sets `document.body.dataset.chartsRendered` to the number of charts drawn (a test waits for it). It adds
 * the only functions a configuration needs: legends in dataset order (datasets' `order` sets only what is
 * drawn on top), and no tooltip for the timeline's phase bands.
 */
const CLIENT_SCRIPT = `(function () {
  'use strict';
  var body = document.body;
  var specs = JSON.parse(document.getElementById('report-charts').textContent || '[]');
  function finish(n) { body.dataset.chartsRendered = String(n); }
  function say(box, text) { var p = document.createElement('p'); p.className = 'muted'; p.textContent = text; box.replaceChildren(p); }
  if (typeof Chart === 'undefined') {
    document.querySelectorAll('.chart-box').forEach(function (box) { say(box, 'Charts unavailable: Chart.js is not inlined in this file. The tables hold the same data.'); });
    finish(0);
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(body).fontFamily;
  var created = 0, drawn = 0, started = false;
  function check() { if (started && drawn >= created) finish(created); }
  var signal = { id: 'readinessDrawn', afterRender: function (chart) { if (!chart.$readinessDrawn) { chart.$readinessDrawn = true; drawn++; check(); } } };
  specs.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    var config = spec.config;
    config.plugins = [signal];
    config.options.plugins = config.options.plugins || {};
    config.options.plugins.tooltip = { filter: function (item) { return item.dataset.yAxisID !== 'band'; } };
    var legend = config.options.plugins.legend = config.options.plugins.legend || {};
    legend.labels = legend.labels || {};
    legend.labels.sort = function (a, b) { return a.datasetIndex - b.datasetIndex; };
    try { new Chart(canvas, config); created++; } catch (e) { say(canvas.parentNode, 'Chart failed: ' + e.message); }
  });
  started = true;
  check();
})();`;

/**
 * Renders report.html: one self-contained page with the decision, the blocking reasons, the charts
 * (capacity curve, baseline timeline, stress steps, category scores) and the tables. Nothing is fetched:
 * Chart.js (from `opts.chartJsSource`) and the chart data are inlined, and a Content-Security-Policy
 * forbids any network request, so it opens offline from file://. Sections without data say "not run"
 * or are left out; every text from the report is escaped.
 */
export function renderHtml(report: ReportJson, opts: RenderHtmlOptions = {}): string {
  const charts = reportCharts(report);
  const title = `Production readiness: ${report.campaign.name} (${report.verdict.decision})`;
  const chartJs = opts.chartJsSource ? `<script>${inlineScript(opts.chartJsSource)}</script>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${headerHtml(report)}
${summaryHtml(report)}
${phasesHtml(report)}
${capacityHtml(report, charts)}
${analysisHtml(report)}
${timelinesHtml(report, charts)}
${baselineHtml(report)}
${faultsHtml(report, charts)}
${categoriesHtml(report, charts)}
${checklistHtml(report)}
${comparisonHtml(report)}
<footer>report.json schemaVersion ${escapeHtml(report.schemaVersion)}, generated ${escapeHtml(report.generatedAt)}${opts.chartJsSource ? '. Charts drawn with Chart.js (MIT licence), inlined in this file' : ''}.</footer>
</main>
<script type="application/json" id="report-charts">${scriptSafeJson(charts.map((c) => ({ id: c.id, config: c.config })))}</script>
${chartJs}
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
