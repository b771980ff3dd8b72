import type { BaselinePhase, Campaign } from '../../config/schema';
import { parseDurationMs } from '../../core/duration';
import { planFromPhase } from '../../core/load-plan';
import type { RecoveryWindow, StepMeasurement } from '../../core/stress';
import type { EndpointResult, ErrorBreakdown } from '../../core/types';
import { newHistogram } from '../../engine/metrics';
import { latencySummary, summarizePhase } from '../../engine/summary';
import type { Logger } from '../../infra/logger';
import type { ResultsStore } from '../../infra/results-store';
import { mergeSlices } from '../load';

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
}

/** Builds the activities of the stress and spike phases (load itself runs through `runLoadSlice`). */
export function createStressActivities(deps: StressDeps) {
  return {
    /**
     * Measures one load step from the store: latency, error rate and throughput on the step's own
     * window after `warmupS` (never cumulative), the endpoint table, and whether the generator kept up.
     */
    async measureLoadStep(input: { campaignId: string; phaseName: string; phase: BaselinePhase; scenario: Campaign['scenario']; level: number; warmupS: number }): Promise<MeasuredStep> {
      const merged = mergeSlices(await deps.store.loadSlices(input.campaignId, input.phaseName));
      const whole = summarizePhase({
        name: input.phaseName, plan: planFromPhase(input.phase, input.scenario), metrics: merged.metrics, elapsedMs: merged.elapsedMs,
        health: merged.health, generators: input.phase.generators, thresholds: [], aborted: false, resumedFromMs: 0, attempt: 1,
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
      return {
        level: input.level, requests, errors, throughputRps: Math.round((requests / seconds) * 10) / 10,
        goodputRps: Math.round(((requests - errors) / seconds) * 10) / 10,
        errorRate: requests ? Math.round((errors / requests) * 1e6) / 1e6 : 0, latencyMs: latencySummary(hist),
        invalid: whole.assessment === 'invalid', ...(whole.assessment === 'invalid' ? { invalidReason: whole.notes.join('; ') } : {}),
        endpoints: whole.endpoints, endpointErrors: whole.errorBreakdown,
        generator: { eventLoopDelayP99Ms: whole.generator.eventLoopDelayP99Ms, eluMean: whole.generator.eluMean },
      };
    },

    /** Groups a load step's timeline into windows of `windowS` seconds (for spike recovery). */
    async loadRecoveryWindows(input: { campaignId: string; phaseName: string; windowS: number }): Promise<RecoveryWindow[]> {
      const windows = await deps.store.timelineWindows(input.campaignId, input.phaseName);
      const buckets = new Map<number, { requests: number; errors: number; hist: ReturnType<typeof newHistogram> }>();
      for (const [second, w] of windows) {
        const k = Math.floor(second / input.windowS);
        const b = buckets.get(k) ?? { requests: 0, errors: 0, hist: newHistogram() };
        b.requests += w.requests;
        b.errors += w.errors;
        b.hist.add(w.hist);
        buckets.set(k, b);
      }
      return [...buckets].sort(([a], [b]) => a - b).map(([k, b]) => ({
        startS: k * input.windowS, requests: b.requests, errors: b.errors,
        p95Ms: b.hist.totalCount ? Math.round(b.hist.getValueAtPercentile(95)) / 1000 : null,
      }));
    },

    /** Stores the result document of a stress or spike phase (idempotent). */
    async recordPhaseResult(input: { campaignId: string; phase: 'stress' | 'spike' | 'monitoring' | 'backup'; result: unknown }): Promise<void> {
      await deps.store.upsertPhaseResult(input.campaignId, input.phase, input.result);
      deps.logger.info({ campaignId: input.campaignId, phase: input.phase }, 'phase result recorded');
    },
  };
}
