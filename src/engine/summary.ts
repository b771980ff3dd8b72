import type * as hdr from 'hdr-histogram-js';
import type { ThresholdEntry } from '../config/schema';
import { assessGenerator } from '../core/generator-health';
import { intendedIterations, type LoadPlan } from '../config/load-plan';
import { evaluateThresholds, isThreshold, parseThreshold, splitScope, type ThresholdResult } from '../core/thresholds';
import type {
  BaselinePhaseResult,
  DataUseResult,
  EndpointResult,
  ErrorBreakdown,
  FlowResult,
  LatencySummaryMs,
} from '../core/types';
import type { Metrics } from './metrics';
import type { GeneratorHealth } from './run';

const r3 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v);
const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** Latency summary in ms from a µs histogram; NaN when empty (no evidence). */
export function latencySummary(h: hdr.Histogram): LatencySummaryMs {
  if (h.totalCount === 0)
    return { p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, avg: Number.NaN };
  const at = (p: number) => r3(h.getValueAtPercentile(p) / 1000);
  return { p50: at(50), p95: at(95), p99: at(99), max: r3(h.maxValue / 1000), avg: r3(h.mean / 1000) };
}

/** Normalises a threshold entry to `{ expr, endpoint, flow, abortOnFail }` (a scope written after it included). */
export function thresholdParts(t: ThresholdEntry): {
  expr: string;
  endpoint?: string;
  flow?: string;
  abortOnFail: boolean;
} {
  if (typeof t !== 'string') {
    const scoped = t.flow ? { flow: t.flow } : t.endpoint ? { endpoint: t.endpoint } : {};
    return { expr: t.threshold, ...scoped, abortOnFail: t.abortOnFail };
  }
  return { ...splitScope(t), abortOnFail: false };
}

/**
 * A flow's threshold sample: journeys' duration, their failed share, and passed journeys per second. A latency is
 * judged on the passed journeys only (their durations are the histogram): none passed is no evidence, a fail.
 */
function flowSample(metrics: Metrics, flow: string, durationS: number, latency: boolean) {
  const h = metrics.flowLatency(flow);
  const c = metrics.flows[flow] ?? { iterations: 0, failedIterations: 0 };
  return {
    latencyMs: {
      avg: h.mean / 1000,
      max: h.maxValue / 1000,
      percentile: (p: number) => h.getValueAtPercentile(p) / 1000,
    },
    errorRate: c.iterations ? c.failedIterations / c.iterations : 0,
    throughputRps: durationS > 0 ? (c.iterations - c.failedIterations) / durationS : 0,
    requests: latency ? c.iterations - c.failedIterations : c.iterations,
  };
}

/** Evaluates thresholds on a phase's own merged data, each on its endpoint's data when scoped. */
function evaluatePhaseThresholds(entries: ThresholdEntry[], metrics: Metrics, durationS: number): ThresholdResult[] {
  return entries.flatMap((entry) => {
    const { expr, endpoint, flow } = thresholdParts(entry);
    const parsed = parseThreshold(expr);
    if (!isThreshold(parsed)) return [];
    if (flow) {
      const latency = parsed.metric.kind !== 'error_rate' && parsed.metric.kind !== 'rps';
      const [res] = evaluateThresholds([parsed], flowSample(metrics, flow, durationS, latency));
      return [{ ...res, observed: r3(res.observed), flow }];
    }
    const h = metrics.latency(endpoint);
    const c = endpoint ? (metrics.endpoints[endpoint] ?? { requests: 0, errors: 0 }) : metrics.totals();
    const [res] = evaluateThresholds([parsed], {
      latencyMs: { avg: h.mean / 1000, max: h.maxValue / 1000, percentile: (p) => h.getValueAtPercentile(p) / 1000 },
      errorRate: c.requests ? c.errors / c.requests : 0,
      throughputRps: durationS > 0 ? c.requests / durationS : 0,
      requests: c.requests,
    });
    return [{ ...res, observed: r3(res.observed), ...(endpoint ? { endpoint } : {}) }];
  });
}

/** Inputs of {@link summarizePhase}. */
export interface PhaseSummaryInput {
  name: string;
  plan: LoadPlan;
  metrics: Metrics;
  elapsedMs: number;
  health: GeneratorHealth;
  generators: number;
  thresholds: ThresholdEntry[];
  aborted: boolean;
  /** A generator stopped early on an abortOnFail threshold: the phase fails. */
  stoppedEarly?: boolean;
  /** Informational notes (late start, clock skew, early stop): they never decide the assessment. */
  notes?: string[];
  resumedFromMs: number;
  attempt: number;
}

/** Turns a phase's merged measurements into its result: totals, endpoints, errors, thresholds, assessment. */
export function summarizePhase(input: PhaseSummaryInput): BaselinePhaseResult {
  const { metrics, plan } = input;
  const durationS = input.elapsedMs / 1000;
  const totals = metrics.totals();
  const endpoints: EndpointResult[] = Object.entries(metrics.endpoints)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({
      name,
      requests: c.requests,
      errors: c.errors,
      errorRate: r6(c.requests ? c.errors / c.requests : 0),
      statusCounts: c.statusCounts,
      errorKinds: c.errorKinds,
      latencyMs: latencySummary(metrics.latency(name)),
    }));
  const flows: FlowResult[] = Object.entries(metrics.flows)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({
      name,
      iterations: c.iterations,
      failedIterations: c.failedIterations,
      failedRate: r6(c.iterations ? c.failedIterations / c.iterations : 0),
      failedSteps: c.failedSteps,
      latencyMs: latencySummary(metrics.flowLatency(name)),
      throughputPs: r3(durationS > 0 ? (c.iterations - c.failedIterations) / durationS : 0),
    }));
  const data: DataUseResult[] = Object.entries(metrics.data)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({ name, ...c }));
  const errorBreakdown: ErrorBreakdown[] = [];
  for (const [name, c] of Object.entries(metrics.endpoints)) {
    for (const [kind, count] of Object.entries(c.errorKinds)) errorBreakdown.push({ endpoint: name, kind, count });
  }
  // Error responses by status: the "Endpoint-Specific Failures" table. Statuses that were expected are not errors.
  for (const e of endpoints) {
    const failing = e.errors - Object.values(e.errorKinds).reduce((a, b) => a + b, 0);
    if (failing <= 0) continue;
    for (const [code, count] of Object.entries(e.statusCounts))
      if (Number(code) >= 400) errorBreakdown.push({ endpoint: e.name, kind: code, count });
  }
  errorBreakdown.sort((a, b) => b.count - a.count);

  const thresholds = evaluatePhaseThresholds(input.thresholds, metrics, durationS);
  // Achieved: requests that completed (answered or failed) per second; starting one is not enough.
  const achievedRate = durationS > 0 ? totals.requests / durationS : 0;
  // Intended: the plan's average arrival rate over its own duration.
  const intendedRate =
    plan.model === 'open' && plan.durationMs > 0
      ? intendedIterations(plan, plan.durationMs) / (plan.durationMs / 1000)
      : undefined;
  const gen = assessGenerator({
    model: plan.model,
    eventLoopDelayP99Ms: input.health.eventLoopDelayP99Ms,
    schedulerLagP99Ms: input.health.schedulerLagP99Ms,
    eluMean: input.health.eluMean,
    achievedRate,
    intendedRate,
  });
  const notes = [...(input.notes ?? []), ...gen.reasons];
  const assessment = input.aborted
    ? 'aborted'
    : !gen.valid
      ? 'invalid'
      : totals.requests > 0 && thresholds.every((t) => t.ok) && !input.stoppedEarly
        ? 'pass'
        : 'fail';
  const uncorrected = metrics.hasUncorrected()
    ? latencySummary(metrics.latency(undefined, { uncorrected: true }))
    : undefined;
  return {
    name: input.name,
    model: plan.model,
    users: plan.users,
    durationS: r3(durationS),
    requests: totals.requests,
    errors: totals.errors,
    throughputRps: r3(durationS > 0 ? totals.requests / durationS : 0),
    errorRate: r6(totals.requests ? totals.errors / totals.requests : 0),
    latencyMs: latencySummary(metrics.latency()),
    ...(uncorrected ? { latencyMsUncorrected: uncorrected } : {}),
    statusCounts: totals.statusCounts,
    errorCounts: totals.errorKinds,
    endpoints,
    ...(flows.length ? { flows } : {}),
    ...(data.length ? { data } : {}),
    errorBreakdown,
    iterations: metrics.iterations,
    dropped: metrics.dropped,
    generator: {
      generators: input.generators,
      threads: input.health.threads,
      eventLoopDelayP99Ms: input.health.eventLoopDelayP99Ms,
      eluMean: input.health.eluMean,
      schedulerLagP99Ms: input.health.schedulerLagP99Ms,
      ...(input.health.cpuShare !== undefined ? { cpuShare: input.health.cpuShare } : {}),
      achievedRate: r3(achievedRate),
      ...(intendedRate !== undefined ? { intendedRate: r3(intendedRate) } : {}),
    },
    thresholds,
    assessment,
    notes,
    resumedFromMs: Math.round(input.resumedFromMs),
    attempt: input.attempt,
  };
}
