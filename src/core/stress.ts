/**
 * Progressive stress and spike recovery, as pure functions: judge a step on its own window, decide the
 * next step, summarise the run (capacity ceiling, breaking point, plateau), and find the recovery time
 * after a spike. The step loop itself lives in the stress workflow; these decide.
 */
import { evaluateThresholds, isThreshold, parseThreshold, type Comparator } from './thresholds';
import type { CheckResult } from './monitoring';
import type { Degradation } from './degradation';
import type { EndpointResult, ErrorBreakdown, LatencySummaryMs } from './types';

/** What one stress step measured on its judged window (after warm-up). */
export interface StepMeasurement {
  level: number;
  requests: number;
  errors: number;
  /** Completed requests per second, failed ones included. */
  throughputRps: number;
  /** Successful requests per second: what the target really served. */
  goodputRps: number;
  errorRate: number;
  latencyMs: LatencySummaryMs;
  /** Generator could not drive the step: never a breaking point. */
  invalid: boolean;
  invalidReason?: string;
}

/** A judged step. */
export interface StepResult extends StepMeasurement {
  index: number;
  /** How long the step ran (probes of the adaptive search run half a step). */
  durationS?: number;
  status: 'pass' | 'fail' | 'invalid';
  /** Set when the step failed: the first criterion that held, its observed value and threshold. */
  failed?: { criterion: string; observed: number; threshold: number };
  endpointErrors?: ErrorBreakdown[];
  attempt?: number;
  /** When the step started (workflow time, ISO 8601). */
  startedAt?: string;
  /** Target telemetry sampled at the end of the step (`stress.telemetry`). */
  telemetry?: TelemetrySample[];
}

/** One PromQL query's value at the end of a step; `saturated` when at or above 90 % of its `max`. */
export interface TelemetrySample {
  name: string;
  query: string;
  value: number | null;
  max?: number;
  saturated?: boolean;
  error?: string;
}

/** A durable pause until a run window opened (`stress.window`, `spike.window`). */
export interface WindowWait {
  /** What was waiting, e.g. "step 3" or "spike". */
  before: string;
  from: string;
  until: string;
  waitedS: number;
  /** closed: outside the window; too_little_left: inside it, but the step would not have finished in time. */
  reason: 'closed' | 'too_little_left';
}

const NEGATE: Record<Comparator, Comparator> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>' };

/** Judges a step: fails when any stop criterion holds on the step's own window; invalid steps are never failures. */
export function judgeStep(m: StepMeasurement, stopWhen: string[]): Pick<StepResult, 'status' | 'failed'> {
  if (m.invalid) return { status: 'invalid' };
  for (const source of stopWhen) {
    const t = parseThreshold(source);
    if (!isThreshold(t)) continue;
    // A stop criterion `x > v` holds when the threshold `x <= v` is not met.
    const [res] = evaluateThresholds([{ ...t, op: NEGATE[t.op] }], {
      latencyMs: {
        avg: m.latencyMs.avg,
        max: m.latencyMs.max,
        percentile: (p) =>
          p === 50 ? m.latencyMs.p50 : p === 95 ? m.latencyMs.p95 : p === 99 ? m.latencyMs.p99 : m.latencyMs.max,
      },
      errorRate: m.errorRate,
      throughputRps: m.throughputRps,
      requests: m.requests,
    });
    if (!res.ok) return { status: 'fail', failed: { criterion: source, observed: res.observed, threshold: t.value } };
  }
  return { status: 'pass' };
}

/** The linear ramp: where it starts, how it steps, where it stops. */
export interface StressPlanLimits {
  start: number;
  step: number;
  max: number;
  /** How many times an invalid step is re-run before the run stops. */
  invalidRetries: number;
  /** Search down when the first step fails (default true; false: stop there, as histories before it did). */
  downward?: boolean;
}

/** What to do after the steps so far: run another level, or stop and why. */
export type StressDecision =
  | { next: number; rerun: boolean; probe?: boolean }
  | { stop: 'breaking_point' | 'max_reached' | 'generator_invalid' | 'no_capacity' };

/**
 * Decides the next step of the linear ramp from the judged steps so far. When the start level already fails
 * (the start was above capacity), the search goes down: halve until a level passes, then step up again by the
 * step size until a level fails, so there is a ceiling whenever the target can serve any load. The breaking
 * point is always within one step of the ceiling.
 */
export function nextStressStep(steps: StepResult[], limits: StressPlanLimits): StressDecision {
  if (!steps.length) return { next: limits.start, rerun: false };
  const last = steps[steps.length - 1];
  if (last.status === 'invalid') {
    const tries = steps.filter((s) => s.level === last.level && s.status === 'invalid').length;
    return tries <= limits.invalidRetries ? { next: last.level, rerun: true } : { stop: 'generator_invalid' };
  }
  const judged = steps.filter((s) => s.status !== 'invalid');
  const fails = judged.filter((s) => s.status === 'fail').map((s) => s.level);
  const lowFail = fails.length ? Math.min(...fails) : undefined;
  const passed = judged.some((s) => s.status === 'pass' && (lowFail === undefined || s.level < lowFail));
  if (last.status === 'fail') {
    if (passed || limits.downward === false) return { stop: 'breaking_point' };
    // Nothing passed yet: halve.
    const next = Math.floor(last.level / 2);
    return next < 1 ? { stop: 'no_capacity' } : { next, rerun: false };
  }
  const next = last.level + limits.step;
  // Coming back up after a downward search: the failing level above is within a step.
  if (lowFail !== undefined && next >= lowFail) return { stop: 'breaking_point' };
  return next > limits.max ? { stop: 'max_reached' } : { next, rerun: false };
}

/** Whether the first judged step failed: the ramp started above the target's capacity. */
export function startedAboveCapacity(steps: StepResult[]): boolean {
  return steps.find((s) => s.status !== 'invalid')?.status === 'fail';
}

/** Limits of the adaptive search. */
export interface AdaptiveLimits {
  start: number;
  max: number;
  /** Stop bisecting when (fail - pass) / pass is at most this (e.g. 0.05 for 5 %). */
  resolution: number;
  invalidRetries: number;
}

/**
 * Adaptive search (Nighthawk-style): double the level from `start` until a step fails (or `max`), then
 * bisect between the highest passing and the lowest failing level until they are within `resolution`,
 * then hold the answer once more, for a full step, to confirm it. Doubling and bisecting steps are
 * probes: they run half a step. A confirming hold that fails lowers the answer and the
 * search goes on. Invalid steps are re-run, never judged.
 */
export function nextAdaptiveStep(steps: StepResult[], limits: AdaptiveLimits): StressDecision {
  if (!steps.length) return { next: limits.start, rerun: false };
  const last = steps[steps.length - 1];
  if (last.status === 'invalid') {
    const tries = steps.filter((s) => s.level === last.level && s.status === 'invalid').length;
    return tries <= limits.invalidRetries ? { next: last.level, rerun: true } : { stop: 'generator_invalid' };
  }
  const judged = steps.filter((s) => s.status !== 'invalid');
  const fails = judged.filter((s) => s.status === 'fail').map((s) => s.level);
  const lowFail = fails.length ? Math.min(...fails) : undefined;
  // A level passes only if it never failed and nothing below it failed after it passed.
  const passes = judged
    .filter((s) => s.status === 'pass' && (lowFail === undefined || s.level < lowFail))
    .map((s) => s.level);
  const highPass = passes.length ? Math.max(...passes) : undefined;
  if (lowFail === undefined) {
    if (last.level >= limits.max) return { stop: 'max_reached' };
    return { next: Math.min(limits.max, last.level * 2), rerun: false, probe: true };
  }
  if (highPass === undefined) {
    // Even the lowest level failed: bisect down towards zero until the resolution, then stop there.
    const next = Math.floor(lowFail / 2);
    return next < 1 || next === last.level ? { stop: 'no_capacity' } : { next, rerun: false, probe: true };
  }
  if ((lowFail - highPass) / highPass > limits.resolution) {
    const mid = Math.round((highPass + lowFail) / 2);
    if (mid !== highPass && mid !== lowFail) return { next: mid, rerun: false, probe: true };
  }
  // Converged: confirm the answer with one more hold at the highest passing level.
  const holds = judged.filter((s) => s.level === highPass).length;
  if (holds < 2) return { next: highPass, rerun: true };
  return { stop: 'breaking_point' };
}

/** The summary of a stress run. */
export interface StressSummary {
  capacityCeiling?: { users: number; throughputRps: number; goodputRps: number; p95Ms: number };
  breakingPoint?: { users: number; criterion: string; observed: number; threshold: number };
  /** The highest successful throughput (goodput) of any step: the throughput ceiling. */
  maxThroughputRps: number;
  /** Set when throughput stopped growing with load: the level where it flattened and the ceiling it held. */
  throughputPlateau?: { fromUsers: number; throughputRps: number };
  /**
   * no_capacity: even a level of 1 failed (the downward search found nothing the target can serve); step_limit: the
   * stress ran as many step attempts as one workflow history holds (config/limits.ts) without a breaking point.
   */
  stoppedBecause: 'breaking_point' | 'max_reached' | 'generator_invalid' | 'no_capacity' | 'step_limit' | 'aborted';
  /** Sum over steps of level x step minutes: what the search cost the target. */
  loadMinutes: number;
}

/**
 * Summarises the judged steps: ceiling = last passing step, breaking point = first failing step, the
 * highest throughput, and a plateau when raising the load by a step added less than `plateauGain`
 * (default 5 %) throughput twice in a row.
 */
export function summarizeStress(
  steps: StepResult[],
  stoppedBecause: StressSummary['stoppedBecause'],
  stepDurationS: number,
  plateauGain = 0.05,
): StressSummary {
  const valid = steps.filter((s) => s.status !== 'invalid');
  // The breaking point is the lowest failing level; the ceiling the highest passing level below it (for the
  // linear ramp these are simply the first failure and the last pass; the adaptive search visits out of order).
  const firstFail = [...valid].filter((s) => s.status === 'fail').sort((a, b) => a.level - b.level)[0];
  const lastPass = [...valid]
    .filter((s) => s.status === 'pass' && (!firstFail || s.level < firstFail.level))
    .sort((a, b) => b.level - a.level)[0];
  const maxThroughputRps = Math.max(0, ...valid.map((s) => s.goodputRps));
  let plateau: StressSummary['throughputPlateau'];
  const byLevel = [...new Map(valid.map((s) => [s.level, s])).values()].sort((a, b) => a.level - b.level);
  for (let i = 2; i < byLevel.length; i++) {
    const [a, b, c] = [byLevel[i - 2], byLevel[i - 1], byLevel[i]];
    const gain1 = a.goodputRps > 0 ? (b.goodputRps - a.goodputRps) / a.goodputRps : 0;
    const gain2 = b.goodputRps > 0 ? (c.goodputRps - b.goodputRps) / b.goodputRps : 0;
    const loadGain = b.level > a.level && c.level > b.level;
    if (loadGain && gain1 < plateauGain && gain2 < plateauGain) {
      plateau = {
        fromUsers: a.level,
        throughputRps: Math.round(Math.max(a.goodputRps, b.goodputRps, c.goodputRps) * 10) / 10,
      };
      break;
    }
  }
  return {
    ...(lastPass
      ? {
          capacityCeiling: {
            users: lastPass.level,
            throughputRps: lastPass.throughputRps,
            goodputRps: lastPass.goodputRps,
            p95Ms: lastPass.latencyMs.p95,
          },
        }
      : {}),
    ...(firstFail?.failed ? { breakingPoint: { users: firstFail.level, ...firstFail.failed } } : {}),
    maxThroughputRps: Math.round(maxThroughputRps * 10) / 10,
    ...(plateau ? { throughputPlateau: plateau } : {}),
    stoppedBecause,
    loadMinutes: Math.round((steps.reduce((a, s) => a + s.level * (s.durationS ?? stepDurationS), 0) / 60) * 10) / 10,
  };
}

/** Operating zones derived from the capacity progression, as the hand-run report had them. */
export interface OperatingZones {
  green?: { upToUsers: number };
  yellow?: { fromUsers: number; upToUsers: number };
  red?: { fromUsers: number };
}

/**
 * Green: steps with p95 under `greenP95Ms` and error rate under 0.1 %; yellow: the other passing steps;
 * red: from the breaking point on.
 */
export function operatingZones(steps: StepResult[], greenP95Ms = 100): OperatingZones {
  const valid = steps.filter((s) => s.status !== 'invalid');
  const green = valid.filter((s) => s.status === 'pass' && s.latencyMs.p95 < greenP95Ms && s.errorRate < 0.001);
  const passing = valid.filter((s) => s.status === 'pass');
  const fail = valid.find((s) => s.status === 'fail');
  const greenTop = green.length ? Math.max(...green.map((s) => s.level)) : undefined;
  const passTop = passing.length ? Math.max(...passing.map((s) => s.level)) : undefined;
  return {
    ...(greenTop !== undefined ? { green: { upToUsers: greenTop } } : {}),
    ...(passTop !== undefined && passTop !== greenTop
      ? { yellow: { fromUsers: passing.find((s) => s.level > (greenTop ?? 0))?.level ?? passTop, upToUsers: passTop } }
      : {}),
    ...(fail ? { red: { fromUsers: fail.level } } : {}),
  };
}

/** One window of the post-spike timeline. */
export interface RecoveryWindow {
  /** Seconds since the end of the spike at the window's start. */
  startS: number;
  requests: number;
  errors: number;
  p95Ms: number | null;
}

/**
 * Recovery time after a spike: from the end of the spike until `windows` consecutive windows have p95
 * within `tolerance` of the pre-spike baseline (plus 5 ms of slack) and an error rate no more than
 * `tolerance` percentage points above it. Undefined when it never recovered in the data.
 */
export function recoveryTime(
  post: RecoveryWindow[],
  baseline: { p95Ms: number; errorRate: number },
  opts: { windows: number; tolerance: number },
): number | undefined {
  const okP95 = baseline.p95Ms * (1 + opts.tolerance) + 5;
  const okErr = baseline.errorRate + opts.tolerance / 100;
  let run = 0;
  for (let i = 0; i < post.length; i++) {
    const w = post[i];
    const good = w.requests > 0 && w.p95Ms !== null && w.p95Ms <= okP95 && w.errors / w.requests <= okErr;
    run = good ? run + 1 : 0;
    if (run >= opts.windows) return post[i - opts.windows + 1].startS;
  }
  return undefined;
}

/**
 * What the stress child workflow returns to the campaign: what its outcome and the monitoring phase need, not the
 * steps and their figures (those are stored whole, by recordPhaseResult), so the campaign's history stays small.
 */
export interface StressReturn {
  model: 'closed' | 'open';
  summary: StressSummary;
  stepCount: number;
  lastStep?: { level: number; invalidReason?: string };
  error?: string;
  alertChecks?: CheckResult[];
}

/** The part of a stress result the campaign gets back. */
export function stressReturn(r: StressResult): StressReturn {
  const last = r.steps[r.steps.length - 1];
  return {
    model: r.model,
    summary: r.summary,
    stepCount: r.steps.length,
    ...(last
      ? { lastStep: { level: last.level, ...(last.invalidReason ? { invalidReason: last.invalidReason } : {}) } }
      : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.alertChecks?.length ? { alertChecks: r.alertChecks } : {}),
  };
}

/** Result of the stress phase, as stored and reported. */
export interface StressResult {
  model: 'closed' | 'open';
  steps: Array<Omit<StepResult, 'endpointErrors'> & { endpointErrors: ErrorBreakdown[] }>;
  summary: StressSummary;
  zones: OperatingZones;
  /** The seed's "Endpoint-Specific Failures" table at the breaking point. */
  endpointsAtBreakingPoint: EndpointResult[];
  stopWhen: string[];
  /** Pauses until the run window opened, in order. */
  waits?: WindowWait[];
  /** Alert accuracy under load (`monitoring.alertsUnderLoad`), as monitoring checks. */
  alertChecks?: CheckResult[];
  /** The first step already failed: the ramp started above capacity and searched down (continuous ramp). */
  startAboveCapacity?: boolean;
  /** How the target failed past the breaking point (continuous ramp). */
  degradation?: Degradation;
  /** Whether latency and errors came back after the load went down to the first passing level (continuous ramp). */
  recoveryAfterLoad?: RecoveryAfterLoad;
  /** The continuous ramp's per-second timeline and its stages (absent for step-by-step runs). */
  timeline?: StressTimeline;
  /** continuous: one running load whose level the workflow moves; steps: a separate load per step (run windows). */
  ramp?: 'continuous' | 'steps';
  error?: string;
}

/** The stress phase's per-second timeline: seconds since the load started, and where each stage began. */
export interface StressTimeline {
  points: Array<{ second: number; requests: number; errors: number; p95Ms: number | null }>;
  stages: Array<{ name: string; level: number; fromSecond: number; status?: StepResult['status'] | 'recovery' }>;
}

/** Recovery after load reduction: back at the first passing level, do latency and errors return to that level's own figures? */
export interface RecoveryAfterLoad {
  level: number;
  /** Null when it could not be measured (no passing level, aborted, no data). */
  recovered: boolean | null;
  /** Seconds from the load going down until the first of the good windows. */
  timeS: number | null;
  withinS: number;
  reference: { p95Ms: number; errorRate: number };
  /** With stress.telemetry: each gauge with a max before the stress and after the recovery. */
  gauges?: Array<{ name: string; before: number | null; after: number | null; returned: boolean | null }>;
  /** Set when it did not recover, or a gauge stayed up: "possible leak". */
  finding?: string;
}

/**
 * Judges recovery after load reduction from the recovery stage's windows (seconds since the load went down)
 * against the reference level's own figures; gauges (telemetry with a `max`) must return to within 10 % of
 * their max of the value they had before the stress.
 */
export function judgeRecoveryAfterLoad(
  post: RecoveryWindow[],
  reference: RecoveryAfterLoad['reference'],
  level: number,
  opts: { windows: number; tolerance: number; withinS: number },
  gauges: Array<{ name: string; max?: number; before: number | null; after: number | null }> = [],
): RecoveryAfterLoad {
  const t = recoveryTime(post, reference, opts);
  const judgedGauges = gauges
    .filter((g) => g.max !== undefined)
    .map((g) => ({
      name: g.name,
      before: g.before,
      after: g.after,
      returned: g.before === null || g.after === null ? null : g.after <= g.before + 0.1 * g.max!,
    }));
  const stuck = judgedGauges.filter((g) => g.returned === false);
  const recovered = post.some((w) => w.requests > 0) ? t !== undefined && stuck.length === 0 : null;
  const finding =
    recovered === false
      ? t === undefined
        ? `did not recover within ${opts.withinS} s at ${level}: latency or errors stayed above that level's own figures (possible leak)`
        : `${stuck.map((g) => `${g.name} stayed at ${g.after} (before the stress: ${g.before})`).join('; ')}: possible leak`
      : undefined;
  return {
    level,
    recovered,
    timeS: t ?? null,
    withinS: opts.withinS,
    reference,
    ...(judgedGauges.length ? { gauges: judgedGauges } : {}),
    ...(finding ? { finding } : {}),
  };
}

/** Result of the spike phase, as stored and reported. */
export interface SpikeResult {
  users: number;
  baselineUsers: number;
  baseline?: { p95Ms: number; errorRate: number; throughputRps: number };
  spike?: { p95Ms: number; errorRate: number; errors: number; throughputRps: number };
  errorsDuringSpike: number;
  recovered: boolean;
  recoveryTimeS: number | null;
  withinS: number;
  crashed: boolean;
  /** How the target failed under the spike (when anything failed). */
  degradation?: Degradation;
  aborted?: boolean;
  /** Pauses until the run window opened. */
  waits?: WindowWait[];
  error?: string;
}
