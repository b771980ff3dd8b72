/**
 * The tool's own Prometheus metrics. They go through the Temporal SDK runtime's metric meter, so the
 * worker serves them on the same `/metrics` endpoint as the SDK's own (`READINESS_METRICS_ADDRESS`,
 * see temporal-runtime.ts): one port, one scrape job, no second HTTP server. Until
 * {@link enableToolMetrics} runs (metrics off, tests, CLI commands) every recording call is a no-op.
 */
import { Context } from '@temporalio/activity';
import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';

/** The tool's metric names (no prefix is added: the SDK's `temporal_` prefix applies to its own only). */
const TOOL_METRICS = {
  campaignsStarted: 'readiness_campaigns_started_total',
  campaignsFinished: 'readiness_campaigns_finished_total',
  phaseOutcomes: 'readiness_phase_outcomes_total',
  phaseDuration: 'readiness_phase_duration_seconds',
  loadRequests: 'readiness_load_requests_total',
  drillDuration: 'readiness_drill_duration_seconds',
  checks: 'readiness_checks_total',
} as const;

/** Histogram buckets (seconds): phases run minutes to days (gates), drills seconds to an hour. */
export const TOOL_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [TOOL_METRICS.phaseDuration]: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 259200],
  [TOOL_METRICS.drillDuration]: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
};

/** Campaign phases in the order the workflow runs them (as `phaseEndedAt` keys). */
const PHASE_ORDER = ['baseline', 'stress', 'spike', 'monitoring', 'backup', 'faults', 'checklist'] as const;

interface Instruments {
  campaignsStarted: MetricCounter;
  campaignsFinished: MetricCounter;
  phaseOutcomes: MetricCounter;
  phaseDuration: MetricHistogram;
  loadRequests: MetricCounter;
  drillDuration: MetricHistogram;
  checks: MetricCounter;
}

let on: Instruments | undefined;

/** Creates the instruments on `meter` (the SDK runtime's); from then on the recording calls record. */
export function enableToolMetrics(meter: MetricMeter): void {
  on = {
    campaignsStarted: meter.createCounter(
      TOOL_METRICS.campaignsStarted,
      undefined,
      'Campaigns recorded as started by this worker.',
    ),
    campaignsFinished: meter.createCounter(
      TOOL_METRICS.campaignsFinished,
      undefined,
      'Campaigns finished, by decision (GO, CONDITIONAL_GO, NO_GO).',
    ),
    phaseOutcomes: meter.createCounter(
      TOOL_METRICS.phaseOutcomes,
      undefined,
      'Finished campaigns by phase and phase outcome (pass, fail, error, not_run, aborted).',
    ),
    phaseDuration: meter.createHistogram(
      TOOL_METRICS.phaseDuration,
      'float',
      's',
      'Wall time of each campaign phase that ran, from the end of the previous phase (gate waits included).',
    ),
    loadRequests: meter.createCounter(
      TOOL_METRICS.loadRequests,
      undefined,
      'Requests sent by load generators, by campaign phase (baseline, stress, spike) and outcome (success, error).',
    ),
    drillDuration: meter.createHistogram(
      TOOL_METRICS.drillDuration,
      'float',
      's',
      'Backup drill duration by drill (postgres, redis, service_recovery) and result status.',
    ),
    checks: meter.createCounter(
      TOOL_METRICS.checks,
      undefined,
      'Monitoring checks made, by monitored system and status.',
    ),
  };
}

/** The campaign phase a load step belongs to, from its name (stress and spike steps are named by their child workflows). */
export function loadPhaseOf(stepName: string): 'baseline' | 'stress' | 'spike' {
  // The continuous ramp runs as `stress`; its stages are `stress-NN-LEVEL` and `stress-recovery-LEVEL`.
  if (stepName === 'stress' || /^stress-(?:\d+|recovery)-\d+$/.test(stepName)) return 'stress';
  if (/^spike-[123]-(?:baseline|spike|recovery)$/.test(stepName)) return 'spike';
  return 'baseline';
}

/** When the calling activity's workflow (the campaign) started; undefined outside an activity or on failure. */
async function campaignStartMs(): Promise<number | undefined> {
  try {
    const ctx = Context.current();
    if (!ctx.info.workflowExecution) return undefined;
    const { workflowId, runId } = ctx.info.workflowExecution;
    return (await ctx.client.workflow.getHandle(workflowId, runId).describe()).startTime.getTime();
  } catch {
    return undefined;
  }
}

/** Recording calls used by the activities: one call each, no-ops while metrics are off. */
export const toolMetrics = {
  campaignStarted(): void {
    on?.campaignsStarted.add(1);
  },

  /** A finished campaign: its decision and every phase's outcome. */
  campaignFinished(decision: string, phases: Record<string, { status: string }>): void {
    if (!on) return;
    on.campaignsFinished.add(1, { decision });
    for (const [phase, outcome] of Object.entries(phases)) on.phaseOutcomes.add(1, { phase, status: outcome.status });
  },

  /**
   * Phase durations from the workflow's phase end times: each phase that ran lasted from the end of the
   * previous one (the first from the campaign's start, read from Temporal) until its own end.
   */
  async phaseDurations(
    phases: Record<string, { status: string }>,
    phaseEndedAt: Partial<Record<string, string>>,
  ): Promise<void> {
    if (!on) return;
    let previous = await campaignStartMs();
    for (const phase of PHASE_ORDER) {
      const ended = phaseEndedAt[phase] ? Date.parse(phaseEndedAt[phase]) : NaN;
      if (!Number.isFinite(ended)) continue;
      if (previous !== undefined && phases[phase] && phases[phase].status !== 'not_run')
        on.phaseDuration.record(Math.max(0, ended - previous) / 1000, { phase });
      previous = ended;
    }
  },

  /** A load slice's final totals (a resumed slice's totals include what it measured before the retry). */
  loadRequests(stepName: string, totals: { requests: number; errors: number }): void {
    if (!on) return;
    const phase = loadPhaseOf(stepName);
    on.loadRequests.add(Math.max(0, totals.requests - totals.errors), { phase, outcome: 'success' });
    on.loadRequests.add(totals.errors, { phase, outcome: 'error' });
  },

  /** Times a drill: its duration under the result's status, or `error` when it throws. */
  async drill<T extends { status: string }>(drill: string, run: Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run;
      on?.drillDuration.record((performance.now() - started) / 1000, { drill, status: result.status });
      return result;
    } catch (err) {
      on?.drillDuration.record((performance.now() - started) / 1000, { drill, status: 'error' });
      throw err;
    }
  },

  /** Counts a monitoring activity's check results by status; returns them unchanged. */
  checks<T extends { status: string } | Array<{ status: string }>>(system: string, results: T): T {
    if (!on) return results;
    const list: Array<{ status: string }> = Array.isArray(results) ? results : [results];
    const counts = new Map<string, number>();
    for (const r of list) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    for (const [status, n] of counts) on.checks.add(n, { system, status });
    return results;
  },
};
