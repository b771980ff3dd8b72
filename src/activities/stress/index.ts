import type { BaselinePhase, Campaign } from '../../config/schema';
import { scenarioOf } from '../campaign-config';
import { parseDurationMs } from '../../core/duration';
import { planFromPhase } from '../../config/load-plan';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { classifyEndpoints, type DegradationInput } from '../../core/degradation';
import { judgeStep, type RecoveryWindow, type StepMeasurement, type StressTimeline } from '../../core/stress';
import type { EndpointResult, ErrorBreakdown } from '../../core/types';
import { newHistogram, type Metrics } from '../../engine/metrics';
import { latencySummary, summarizePhase } from '../../engine/summary';
import type { Logger } from '../../infra/logger';
import type { MergedWindow, ResultsStore, StageCommand } from '../../infra/results-store';
import { mergeSlices } from '../../engine/merge';
import { FAILURE } from '../../core/errors';

/** Dependencies of the stress activities. */
export interface StressDeps {
  logger: Logger;
  store: ResultsStore;
}

/** A measured step: the judged window's figures plus the whole step's endpoint table. */
export interface MeasuredStep extends StepMeasurement {
  endpoints: EndpointResult[];
  endpointErrors: ErrorBreakdown[];
  generator: { eventLoopDelayP99Ms: number; eluMean: number };
  /** What the step's failures say about degradation; absent for a step that passed without errors (see bounded()). */
  degradation?: Omit<DegradationInput, 'source'>;
}

/** A measured stage of the continuous ramp: measured as a step is. */
export type MeasuredStage = MeasuredStep;

/** The degradation figures of measured load: failures by class, failure and success latency, Retry-After, samples. */
function degradationOf(metrics: Metrics, endpoints: EndpointResult[]): Omit<DegradationInput, 'source'> {
  const p95 = (h: ReturnType<typeof newHistogram>) =>
    h.totalCount ? Math.round(h.getValueAtPercentile(95)) / 1000 : null;
  return {
    classes: classifyEndpoints(endpoints),
    retryAfter: Object.values(metrics.endpoints).reduce((a, c) => a + (c.retryAfter ?? 0), 0),
    failedP95Ms: p95(metrics.latencyOf(['4xx', '5xx', 'err'])),
    okP95Ms: p95(metrics.latencyOf(['1xx', '2xx', '3xx'])),
    samples: metrics.samples.map((x) => ({ ...x })),
  };
}

/**
 * A step's measurement: `counts` over the judged time (`seconds`), the whole step's endpoint table, generator health
 * and degradation figures from `whole` and `metrics`.
 */
function stepMeasurement(
  level: number,
  counts: Pick<MeasuredStep, 'requests' | 'errors' | 'errorRate' | 'latencyMs'>,
  seconds: number,
  whole: ReturnType<typeof summarizePhase>,
  metrics: Metrics,
): MeasuredStep {
  return {
    level,
    ...counts,
    throughputRps: Math.round((counts.requests / seconds) * 10) / 10,
    goodputRps: Math.round(((counts.requests - counts.errors) / seconds) * 10) / 10,
    invalid: whole.assessment === 'invalid',
    ...(whole.assessment === 'invalid' ? { invalidReason: whole.notes.join('; ') } : {}),
    endpoints: whole.endpoints,
    endpointErrors: whole.errorBreakdown,
    generator: { eventLoopDelayP99Ms: whole.generator.eventLoopDelayP99Ms, eluMean: whole.generator.eluMean },
    degradation: degradationOf(metrics, whole.endpoints),
  };
}

/** At most this many endpoints (and error rows) travel with a failing step's measurement: the worst ones. */
export const TOP_ENDPOINTS = 20;

/**
 * A measurement as small as its use: with the step's stop criteria given, a step that passes without an error
 * carries no endpoint table, error rows or degradation figures (nobody reads them), and a failing one only its
 * TOP_ENDPOINTS worst endpoints and error rows, so a hundred-step ramp over a hundred endpoints stays small in
 * history. Without them (histories recorded before), everything, as before.
 */
function bounded<T extends MeasuredStep>(m: T, stopWhen: string[] | undefined): T {
  if (!stopWhen) return m;
  const failing = m.errors > 0 || m.invalid || judgeStep(m, stopWhen).status !== 'pass';
  if (!failing) return { ...m, endpoints: [], endpointErrors: [], degradation: undefined };
  const worst = [...m.endpoints]
    .sort((a, b) => b.errors - a.errors || b.latencyMs.p95 - a.latencyMs.p95)
    .slice(0, TOP_ENDPOINTS);
  return {
    ...m,
    endpoints: worst,
    endpointErrors: [...m.endpointErrors].sort((a, b) => b.count - a.count).slice(0, TOP_ENDPOINTS),
  };
}

/** The stress timeline's resolution bound: a longer ramp is bucketed into wider points. */
const MAX_TIMELINE_POINTS = 1_200;

/** How often a stage measurement looks for the stage's stored record (ms). */
const STAGE_POLL_MS = 500;

/** Builds the activities of the stress and spike phases (load itself runs through `runLoadSlice` and `runContinuousLoad`). */
export function createStressActivities(deps: StressDeps) {
  return {
    /**
     * Measures one stage of the continuous ramp once the running load has stored it (waits up to `waitMs`,
     * heartbeating; then fails, retryably): the stage's judged window (after its ramp and warm-up) only.
     */
    async measureStressStage(input: {
      campaignId: string;
      name: string;
      model: 'closed' | 'open';
      /** Only in histories recorded before the scenario was passed by reference. */
      scenario?: Campaign['scenario'];
      level: number;
      waitMs: number;
      /** The stop criteria: given, a passing step's measurement carries no details (see bounded()). */
      stopWhen?: string[];
    }): Promise<MeasuredStage> {
      const ctx = Context.current();
      const until = Date.now() + input.waitMs;
      let slices = await deps.store.loadSlices(input.campaignId, input.name);
      while (!slices.length) {
        if (Date.now() > until)
          throw ApplicationFailure.retryable(
            `stage ${input.name}: the running load has not stored it yet`,
            FAILURE.STAGE_NOT_READY,
          );
        await ctx.sleep(STAGE_POLL_MS);
        ctx.heartbeat();
        slices = await deps.store.loadSlices(input.campaignId, input.name);
      }
      const merged = mergeSlices(slices);
      const phase: BaselinePhase =
        input.model === 'closed'
          ? {
              name: input.name,
              model: 'closed',
              users: Math.max(1, Math.round(input.level)),
              rampUp: '0s',
              duration: `${merged.elapsedMs}ms`,
              generators: 1,
            }
          : {
              name: input.name,
              model: 'open',
              rate: input.level,
              rampUp: '0s',
              duration: `${merged.elapsedMs}ms`,
              generators: 1,
            };
      const whole = summarizePhase({
        name: input.name,
        plan: planFromPhase(phase, await scenarioOf(deps.store, input)),
        metrics: merged.metrics,
        elapsedMs: merged.elapsedMs,
        health: merged.health,
        generators: 1,
        thresholds: [],
        aborted: false,
        resumedFromMs: 0,
        attempt: merged.attempt,
        notes: merged.notes,
      });
      const counts = {
        requests: whole.requests,
        errors: whole.errors,
        errorRate: whole.errorRate,
        latencyMs: whole.latencyMs,
      };
      return bounded(
        stepMeasurement(input.level, counts, Math.max(0.001, merged.elapsedMs / 1000), whole, merged.metrics),
        input.stopWhen,
      );
    },

    /** Records the next stage of a continuous ramp for the running load (idempotent per stage). */
    async putStressStage(input: { campaignId: string; phase: string; stage: StageCommand }): Promise<void> {
      await deps.store.putStage(input.campaignId, input.phase, input.stage);
    },

    /**
     * The continuous ramp's timeline and stages: per-second points for the report's chart (unless `withPoints` is
     * false: then recordPhaseResult adds them from the store, and no history carries them), and the recovery
     * stage's windows (seconds since it was applied, grouped by `windowS`).
     */
    async loadStressTimeline(input: {
      campaignId: string;
      phase: string;
      recoveryStage?: number;
      windowS: number;
      withPoints?: boolean;
    }): Promise<{ timeline: StressTimeline; recovery: RecoveryWindow[] }> {
      const stages = await deps.store.stagesAfter(input.campaignId, input.phase, -1);
      const windows = await deps.store.timelineWindows(input.campaignId, input.phase);
      const rec = stages.find((st) => st.stage === input.recoveryStage);
      const from = rec?.fromSecond;
      const recovery =
        from === undefined
          ? []
          : recoveryWindows(
              new Map([...windows].filter(([second]) => second >= from).map(([second, w]) => [second - from, w])),
              input.windowS,
            );
      return {
        timeline: {
          points: input.withPoints === false ? [] : timelinePoints(windows),
          stages: stages
            .filter((st) => !st.stop && st.fromSecond !== undefined && st.fromSecond !== null)
            .map((st) => ({ name: st.name, level: st.level, fromSecond: st.fromSecond! })),
        },
        recovery,
      };
    },

    /**
     * Measures one load step from the store: latency, error rate and throughput on the step's own
     * window after `warmupS` (never cumulative), the endpoint table, and whether the generator kept up.
     */
    async measureLoadStep(input: {
      campaignId: string;
      phaseName: string;
      phase: BaselinePhase;
      /** Only in histories recorded before the scenario was passed by reference. */
      scenario?: Campaign['scenario'];
      level: number;
      warmupS: number;
      /** The stop criteria: given, a passing step's measurement carries no details (see bounded()). */
      stopWhen?: string[];
    }): Promise<MeasuredStep> {
      const merged = mergeSlices(await deps.store.loadSlices(input.campaignId, input.phaseName));
      const whole = summarizePhase({
        name: input.phaseName,
        plan: planFromPhase(input.phase, await scenarioOf(deps.store, input)),
        metrics: merged.metrics,
        elapsedMs: merged.elapsedMs,
        health: merged.health,
        generators: input.phase.generators,
        thresholds: [],
        aborted: false,
        resumedFromMs: 0,
        attempt: 1,
      });
      const windows = await deps.store.timelineWindows(input.campaignId, input.phaseName);
      const judged = [...windows].filter(([second]) => second >= input.warmupS);
      const use = judged.length ? judged : [...windows];
      const hist = newHistogram();
      let requests = 0;
      let errors = 0;
      for (const [, w] of use) {
        requests += w.requests;
        errors += w.errors;
        hist.add(w.hist);
      }
      // Divide by the judged time (the step after warm-up), not by the number of windows: the last window
      // holds only the requests that completed after the step ended.
      const stepS = (parseDurationMs(input.phase.duration) ?? 0) / 1000;
      const seconds = Math.max(1, judged.length ? stepS - input.warmupS : stepS);
      const errorRate = requests ? Math.round((errors / requests) * 1e6) / 1e6 : 0;
      return bounded(
        stepMeasurement(
          input.level,
          { requests, errors, errorRate, latencyMs: latencySummary(hist) },
          seconds,
          whole,
          merged.metrics,
        ),
        input.stopWhen,
      );
    },

    /** Groups a load step's timeline into windows of `windowS` seconds (for spike recovery). */
    async loadRecoveryWindows(input: {
      campaignId: string;
      phaseName: string;
      windowS: number;
    }): Promise<RecoveryWindow[]> {
      return recoveryWindows(await deps.store.timelineWindows(input.campaignId, input.phaseName), input.windowS);
    },
  };
}

/** Groups per-second windows into windows of `windowS` seconds (histograms merged). */
function windowsOf(windows: Map<number, MergedWindow>, windowS: number): Array<RecoveryWindow & { coveredS: number }> {
  const buckets = new Map<
    number,
    { requests: number; errors: number; hist: ReturnType<typeof newHistogram>; coveredS: number }
  >();
  for (const [second, w] of windows) {
    const k = Math.floor(second / windowS);
    const b = buckets.get(k) ?? { requests: 0, errors: 0, hist: newHistogram(), coveredS: 0 };
    b.requests += w.requests;
    b.errors += w.errors;
    b.hist.add(w.hist);
    b.coveredS += w.widthS;
    buckets.set(k, b);
  }
  return [...buckets]
    .sort(([a], [b]) => a - b)
    .map(([k, b]) => ({
      startS: k * windowS,
      requests: b.requests,
      errors: b.errors,
      p95Ms: b.hist.totalCount ? Math.round(b.hist.getValueAtPercentile(95)) / 1000 : null,
      coveredS: b.coveredS,
    }));
}

/** Recovery windows of `windowS` seconds (what the recovery judgements read). */
function recoveryWindows(windows: Map<number, MergedWindow>, windowS: number): RecoveryWindow[] {
  return windowsOf(windows, windowS).map(({ coveredS: _covered, ...w }) => w);
}

/**
 * A stress timeline's chart points: at most MAX_TIMELINE_POINTS (a day-long ramp is bucketed: per-second averages,
 * the bucket's p95); a downsampled window counts its seconds, so rates are per second over what a point covers.
 */
export function timelinePoints(windows: Map<number, MergedWindow>): StressTimeline['points'] {
  const seconds = [...windows.keys()];
  const span = seconds.length
    ? Math.max(...seconds.map((sec) => sec + windows.get(sec)!.widthS)) - Math.min(...seconds)
    : 0;
  const width = Math.max(1, Math.ceil(span / MAX_TIMELINE_POINTS));
  return windowsOf(windows, width).map((w) => {
    const covers = Math.max(width, w.coveredS);
    return {
      second: w.startS,
      requests: Math.round((w.requests / covers) * 10) / 10,
      errors: Math.round((w.errors / covers) * 10) / 10,
      p95Ms: w.p95Ms,
    };
  });
}
