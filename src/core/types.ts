import type { Campaign } from '../config/schema';
import type { ThresholdResult } from './thresholds';

/** The phases of a campaign, in runbook order. */
export const PHASES = ['baseline', 'stress', 'spike', 'monitoring', 'backup', 'checklist'] as const;
/** A campaign phase name. */
export type PhaseName = (typeof PHASES)[number];

/** How a phase ended. `not_run` and `error` count against readiness (fail closed). */
export type PhaseStatus = 'pass' | 'fail' | 'error' | 'not_run' | 'aborted';

/** Latency summary in milliseconds (from an HDR histogram recorded in microseconds). */
export interface LatencySummaryMs {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  avg: number;
}

/** The result of one baseline load phase, as stored and reported. */
export interface BaselinePhaseResult {
  name: string;
  users: number;
  durationS: number;
  requests: number;
  errors: number;
  throughputRps: number;
  errorRate: number;
  latencyMs: LatencySummaryMs;
  statusCounts: Record<string, number>;
  /** Transport-level failures by kind (`timeout`, `ECONNREFUSED`, ...). */
  errorCounts: Record<string, number>;
  thresholds: ThresholdResult[];
  assessment: 'pass' | 'fail' | 'aborted';
  /** Milliseconds of the phase already done when this attempt started (0 unless resumed after a crash). */
  resumedFromMs: number;
  /** Activity attempt that finished the phase. */
  attempt: number;
}

/** One phase's outcome in the campaign summary. */
export interface PhaseOutcome {
  status: PhaseStatus;
  reason?: string;
}

/** The decision the campaign ends with. */
export type Decision = 'GO' | 'CONDITIONAL_GO' | 'NO_GO';

/** The verdict: a decision, a score, and why. */
export interface Verdict {
  decision: Decision;
  scorePct: number;
  blockers: string[];
  reasons: string[];
}

/** What the campaign workflow is started with. Secrets appear only as `{ fromEnv }` references. */
export interface CampaignInput {
  campaignId: string;
  campaign: Campaign;
  configHash: string;
}

/** Live progress, answered by the workflow's `progress` query. */
export interface CampaignProgress {
  campaignId: string;
  name: string;
  phase: PhaseName | 'starting' | 'scoring' | 'report' | 'done';
  step?: string;
  stepIndex?: number;
  stepCount?: number;
  /** When the current step started (workflow time) and how long it is planned to run. */
  stepStartedAt?: string;
  stepDurationMs?: number;
  phases: Record<PhaseName, PhaseOutcome | { status: 'pending' | 'running' }>;
  abortedBy?: string;
  startedAt: string;
}

/** What the campaign workflow returns. */
export interface CampaignResult {
  campaignId: string;
  decision: Decision;
  scorePct: number;
  verdict: Verdict;
  phases: Record<PhaseName, PhaseOutcome>;
  reportDir: string;
  startedAt: string;
  finishedAt: string;
}
