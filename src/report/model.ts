import type {
  BaselinePhaseResult,
  ErrorBreakdown,
  PhaseName,
  PhaseOutcome,
  TimelinePoint,
  Verdict,
} from '../core/types';
import type { BackupResult } from '../core/backup';
import type { FaultsResult } from '../core/dependencies';
import type { FaultDrillResult } from '../core/drills';
import type { MonitoringResult } from '../core/monitoring';
import type { SpikeResult, StressResult } from '../core/stress';
import { buildAnalysis, type Analysis, type OperationLatency } from '../core/analysis';
import type {
  Attestation,
  Blocker,
  CategoryScore,
  ChecklistEvaluation,
  Comparison,
  EvaluatedItem,
  VerdictPolicy,
  Waiver,
} from '../core/checklist-types';

/** Version of report.json's shape; bumped on any incompatible change. */
export const REPORT_SCHEMA_VERSION = 2;

/** What a report is built from: the stored campaign record and its phase results. */
export interface ReportSource {
  campaign: {
    id: string;
    name: string;
    owner?: string;
    target: string;
    configHash: string;
    startedAt: string;
    finishedAt?: string;
  };
  verdict?: Verdict;
  phases: Record<PhaseName, PhaseOutcome>;
  baseline: {
    thresholds: string[];
    phases: BaselinePhaseResult[];
    timelines?: Record<string, TimelinePoint[]>;
    /** Per phase, latency by operation type from the stored histograms (report/histograms.ts); absent: not read. */
    operations?: Record<string, OperationLatency[]>;
  };
  /** Request name -> HTTP method, from the campaign's scenario (for the analysis by operation type). */
  methods?: Record<string, string>;
  stress?: StressResult;
  spike?: SpikeResult;
  monitoring?: MonitoringResult;
  backup?: BackupResult;
  faults?: FaultsResult;
  /** The scored checklist (absent until the checklist phase ran). */
  checklist?: ChecklistEvaluation;
  /** The comparison with the previous campaign of the same target (absent for the first one). */
  comparison?: Comparison;
}

/** report.json, version 1. */
export interface ReportJson {
  schemaVersion: number;
  generatedAt: string;
  campaign: ReportSource['campaign'];
  verdict: Verdict | { decision: 'PENDING'; scorePct: null; blockers: string[]; reasons: string[] };
  baseline: {
    thresholds: string[];
    phases: Array<
      Omit<BaselinePhaseResult, 'resumedFromMs' | 'attempt' | 'errorBreakdown' | 'errors'> & {
        /** Requests that failed (error status, unexpected status, transport error). */
        failedRequests: number;
        resumed: boolean;
        /** The error breakdown: endpoint x HTTP status or failure kind, most frequent first. */
        errors: ErrorBreakdown[];
        timeline: TimelinePoint[];
      }
    >;
  };
  /** Progressive stress: steps, capacity ceiling, breaking point, plateau, zones; absent when not run. */
  stress?: StressResult & {
    capacityCeiling?: StressResult['summary']['capacityCeiling'];
    breakingPoint?: StressResult['summary']['breakingPoint'];
    maxThroughputRps: number;
    throughputPlateau?: StressResult['summary']['throughputPlateau'];
    loadMinutes: number;
  };
  /** Spike and recovery; absent when not run. */
  spike?: SpikeResult;
  /** Monitoring checks with evidence, the maturity level and the blocking checks; absent when not run. */
  monitoring?: MonitoringResult;
  /** Backup drills with timings, RTO/RPO against targets, per-table proofs and findings; absent when not run. */
  backup?: BackupResult;
  /**
   * Failure scenarios (faults phase): the dependency benchmarks, the fault drills under load (always an array, empty
   * when none ran or the result predates drills) and the resource stability when judged; absent when not run.
   */
  faults?: ReportFaults;
  /** Category scores (earned / max points per category); absent until the checklist was scored. */
  categories?: CategoryScore[];
  /** Every checklist item with its status, evidence, attestation or waiver; the blocking P0/P1 items. */
  checklist?: {
    scoredAt: string;
    policy: VerdictPolicy;
    items: EvaluatedItem[];
    blockers: Blocker[];
    missing: string[];
    attestations: Attestation[];
    waivers: Waiver[];
    /** Who aborted the campaign, and why: NO_GO whatever the score. */
    aborted?: string;
  };
  /** What changed since the previous campaign of the same target; absent for the first one. */
  comparison?: Comparison;
  /**
   * The performance analysis (core/analysis.ts): by operation type, cold start, scaling, the capacity model (USL),
   * degradation past the breaking point, and recommendations each citing its evidence; absent without load phases.
   */
  analysis?: Analysis;
  phases: Record<PhaseName, PhaseOutcome>;
}

/** report.json's `faults`: the stored result with `drills` always present. */
export type ReportFaults = Omit<FaultsResult, 'drills'> & { drills: FaultDrillResult[] };

/** The faults result as reported: `drills` always an array, `resources` only when judged. */
function reportFaults(f: FaultsResult): ReportFaults {
  const { drills, resources, ...rest } = f;
  return { ...rest, drills: drills ?? [], ...(resources ? { resources } : {}) };
}

/** Builds report.json from stored results. Pure: `generatedAt` is passed in. */
export function buildReport(source: ReportSource, generatedAt: string): ReportJson {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt,
    campaign: source.campaign,
    verdict: source.verdict ?? {
      decision: 'PENDING',
      scorePct: null,
      blockers: [],
      reasons: ['campaign has not finished'],
    },
    baseline: {
      thresholds: source.baseline.thresholds,
      phases: source.baseline.phases.map(({ resumedFromMs, attempt: _attempt, errorBreakdown, errors, ...rest }) => ({
        ...rest,
        failedRequests: errors,
        resumed: resumedFromMs > 0,
        errors: errorBreakdown ?? [],
        timeline: source.baseline.timelines?.[rest.name] ?? [],
      })),
    },
    ...(source.stress
      ? {
          stress: {
            ...source.stress,
            ...(source.stress.summary.capacityCeiling
              ? { capacityCeiling: source.stress.summary.capacityCeiling }
              : {}),
            ...(source.stress.summary.breakingPoint ? { breakingPoint: source.stress.summary.breakingPoint } : {}),
            maxThroughputRps: source.stress.summary.maxThroughputRps,
            ...(source.stress.summary.throughputPlateau
              ? { throughputPlateau: source.stress.summary.throughputPlateau }
              : {}),
            loadMinutes: source.stress.summary.loadMinutes,
          },
        }
      : {}),
    ...(source.spike ? { spike: source.spike } : {}),
    ...(source.monitoring ? { monitoring: source.monitoring } : {}),
    ...(source.backup ? { backup: source.backup } : {}),
    ...(source.faults ? { faults: reportFaults(source.faults) } : {}),
    ...(source.checklist
      ? {
          categories: source.checklist.categories,
          checklist: {
            scoredAt: source.checklist.scoredAt,
            policy: source.checklist.policy,
            items: source.checklist.items,
            blockers: source.checklist.blockers,
            missing: source.checklist.missing,
            attestations: source.checklist.attestations,
            waivers: source.checklist.waivers,
            ...(source.checklist.aborted ? { aborted: source.checklist.aborted } : {}),
          },
        }
      : {}),
    ...(source.comparison ? { comparison: source.comparison } : {}),
    ...(source.baseline.phases.length || source.stress ? { analysis: analysisOf(source) } : {}),
    phases: source.phases,
  };
}

/** The performance analysis of a campaign's load phases and stress run. */
function analysisOf(source: ReportSource): Analysis {
  return buildAnalysis({
    methods: source.methods ?? {},
    phases: source.baseline.phases.map((p) => ({
      name: p.name,
      model: p.model,
      users: p.users,
      requests: p.requests,
      throughputRps: p.throughputRps,
      latencyMs: p.latencyMs,
      endpoints: p.endpoints,
      timeline: source.baseline.timelines?.[p.name] ?? [],
      ...(source.baseline.operations?.[p.name] ? { operations: source.baseline.operations[p.name] } : {}),
    })),
    ...(source.stress
      ? {
          stress: {
            model: source.stress.model,
            steps: source.stress.steps,
            summary: source.stress.summary,
            ...(source.stress.degradation ? { degradation: source.stress.degradation } : {}),
            endpointsAtBreakingPoint: source.stress.endpointsAtBreakingPoint,
          },
        }
      : {}),
  });
}
