/**
 * Merging what load generators stored: histograms and counters merged (never averaged), health combined. Used
 * when a phase is finalized and when a stress step is measured.
 */
import type { SliceRecord } from '../infra/results-store';
import { Metrics } from './metrics';
import type { GeneratorHealth } from './run';

/** Generator health before anything ran. */
export const NO_HEALTH: GeneratorHealth = { threads: 0, eventLoopDelayP99Ms: 0, eluMean: 0, schedulerLagP99Ms: 0 };

/** Combines the health of several runs (attempts or generators): worst delays, mean utilisation. Runs that measured nothing (no threads) do not count. */
export function mergeHealth(all: GeneratorHealth[]): GeneratorHealth {
  const list = all.filter((h) => h.threads > 0);
  if (!list.length) return NO_HEALTH;
  return {
    threads: Math.max(...list.map((h) => h.threads)),
    eventLoopDelayP99Ms: Math.max(...list.map((h) => h.eventLoopDelayP99Ms)),
    eluMean: list.reduce((a, h) => a + h.eluMean, 0) / list.length,
    schedulerLagP99Ms: Math.max(...list.map((h) => h.schedulerLagP99Ms)),
    cpuShare: Math.max(...list.map((h) => h.cpuShare ?? 0)),
  };
}

/**
 * Merges the stored slices of a phase or step: histograms and counters merged (never averaged), health
 * combined, the longest elapsed time and the highest attempt. Used by finalizing and by stress steps.
 */
export function mergeSlices(slices: SliceRecord[]): {
  metrics: Metrics;
  health: GeneratorHealth;
  elapsedMs: number;
  resumedFromMs: number;
  attempt: number;
  aborted: boolean;
  stoppedEarly: boolean;
  notes: string[];
} {
  const metrics = new Metrics();
  for (const s of slices) metrics.merge(s.metrics);
  return {
    metrics,
    health: mergeHealth(slices.map((s) => s.health)),
    elapsedMs: Math.max(0, ...slices.map((s) => s.elapsedMs)),
    resumedFromMs: Math.max(0, ...slices.map((s) => s.resumedFromMs)),
    attempt: Math.max(1, ...slices.map((s) => s.attempt)),
    aborted: slices.some((s) => s.aborted),
    stoppedEarly: slices.some((s) => s.stoppedEarly),
    notes: slices.flatMap((s) => s.notes),
  };
}
