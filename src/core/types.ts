import type { ThresholdResult } from './thresholds';

/** The phases of a campaign, in runbook order. */
export const PHASES = ['baseline', 'stress', 'spike', 'monitoring', 'backup', 'faults', 'checklist'] as const;
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

/** One window (a second, or a downsampled span) of a phase's timeline, merged across generators. */
export interface TimelinePoint {
  second: number;
  /**
   * Seconds the point covers from `second` on, when the timeline was downsampled there (a long phase past its first
   * minutes): requests and errors are the window's totals, percentiles exact for the window. Absent: one second.
   */
  widthS?: number;
  requests: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** One endpoint (request name) of a phase. */
export interface EndpointResult {
  name: string;
  requests: number;
  errors: number;
  errorRate: number;
  statusCounts: Record<string, number>;
  errorKinds: Record<string, number>;
  latencyMs: LatencySummaryMs;
}

/**
 * One flow (user journey) of a phase: its iterations, those with a failed step (and which step failed first), and
 * the duration of the iterations that passed, from the first request to the last answer, think times included.
 */
export interface FlowResult {
  name: string;
  iterations: number;
  failedIterations: number;
  failedRate: number;
  failedSteps: Record<string, number>;
  latencyMs: LatencySummaryMs;
  /** Passed iterations per second. */
  throughputPs: number;
}

/** How one data source's rows were handed out in a phase. */
export interface DataUseResult {
  name: string;
  rowsUsed: number;
  wrapped: number;
  /** Users stopped because a unique source had no row left for them. */
  exhausted: number;
}

/** One line of the error breakdown: an endpoint and an HTTP status or failure kind. */
export interface ErrorBreakdown {
  endpoint: string;
  kind: string;
  count: number;
}

/** How the load generator did. */
export interface GeneratorSummary {
  generators: number;
  threads: number;
  eventLoopDelayP99Ms: number;
  eluMean: number;
  schedulerLagP99Ms: number;
  /** CPU the generator process used, as a share of all its cores (0..1). */
  cpuShare?: number;
  /** Requests completed (answered or failed) per second. */
  achievedRate: number;
  /** Open model: the planned arrival rate, averaged over the phase. */
  intendedRate?: number;
}

/** The result of one baseline load phase, as stored and reported. */
export interface BaselinePhaseResult {
  name: string;
  model: 'closed' | 'open';
  /** Closed model users (0 for the open model). */
  users: number;
  durationS: number;
  requests: number;
  errors: number;
  throughputRps: number;
  errorRate: number;
  latencyMs: LatencySummaryMs;
  /** Open model only: latency from the actual send (coordinated omission not corrected). */
  latencyMsUncorrected?: LatencySummaryMs;
  statusCounts: Record<string, number>;
  /** Failures by kind over all endpoints (`timeout`, `ECONNREFUSED`, `expect_body`, ...). */
  errorCounts: Record<string, number>;
  endpoints: EndpointResult[];
  /** Per flow (scenarios with flows). */
  flows?: FlowResult[];
  /** Per data source (scenarios with scenario.data). */
  data?: DataUseResult[];
  errorBreakdown: ErrorBreakdown[];
  iterations: number;
  /** Open model: iterations dropped because the in-flight cap was reached. */
  dropped: number;
  generator: GeneratorSummary;
  thresholds: ThresholdResult[];
  assessment: 'pass' | 'fail' | 'invalid' | 'aborted';
  /** Why the phase is invalid (generator could not keep up) or stopped early (abortOnFail). */
  notes: string[];
  /** Milliseconds of the phase already done when the last attempt started (0 unless resumed after a crash). */
  resumedFromMs: number;
  /** Highest activity attempt among the phase's generators. */
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
  /** Approval gates, in campaign order: `waiting` shows until when; decided ones say by whom. */
  gates?: GateProgress[];
  /** The checklist: manual items still missing, attestations and waivers so far, the attestation deadline. */
  checklist?: {
    manualItems: number;
    missing: string[];
    attested: string[];
    waived: string[];
    /** While the campaign waits for attestations: until when (workflow time). */
    waitingUntil?: string;
    /** Set once the checklist is scored; attest and waive are refused from then on. */
    scoredAt?: string;
  };
}

/** One approval gate's state. */
export interface GateProgress {
  before: PhaseName;
  state: 'pending' | 'waiting' | 'approved' | 'rejected' | 'timed_out';
  approvers?: string[];
  onTimeout: 'skip' | 'abort';
  /** While waiting: when it times out (workflow time). */
  until?: string;
  by?: string;
  at?: string;
  /** The approver's note or the rejection's reason. */
  note?: string;
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
