/**
 * The performance analysis the hand-run campaign wrote by hand (shared/seeds: day4-performance-analysis.md):
 * latency by operation type, the cold start of each phase, how throughput scaled with users, a capacity model
 * (the Universal Scalability Law), how far latency degraded past the breaking point, and recommendations, each
 * derived from a measured finding and citing it. Pure: stored results in, analysis out.
 */
import type { Degradation } from './degradation';
import type { StepResult, StressSummary } from './stress';
import type { EndpointResult, LatencySummaryMs, TimelinePoint } from './types';
import { fitUsl, uslThroughput, type UslFit } from './usl';
import { round } from './numbers';

/** Operation types, by HTTP method. */
export type Operation = 'read' | 'write' | 'delete' | 'other';

/** The operation type of an HTTP method: GET/HEAD read, POST/PUT/PATCH write, DELETE delete. */
export function operationOf(method: string): Operation {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  if (m === 'POST' || m === 'PUT' || m === 'PATCH') return 'write';
  if (m === 'DELETE') return 'delete';
  return 'other';
}

/** One operation type's latency in one phase, merged from its endpoints' histograms (never averaged). */
export interface OperationLatency {
  operation: Operation;
  requests: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** What the analysis reads: the baseline phases and the stress run, as stored. */
export interface AnalysisInput {
  /** Request name -> HTTP method (from the campaign's scenario). */
  methods: Record<string, string>;
  phases: Array<{
    name: string;
    model: 'closed' | 'open';
    users: number;
    requests: number;
    throughputRps: number;
    latencyMs: LatencySummaryMs;
    endpoints: EndpointResult[];
    timeline: TimelinePoint[];
    /** Per operation type, merged from the stored histograms (absent: not computed, e.g. older campaigns). */
    operations?: OperationLatency[];
  }>;
  stress?: {
    model: 'closed' | 'open';
    steps: Array<
      Pick<
        StepResult,
        'level' | 'status' | 'throughputRps' | 'goodputRps' | 'errorRate' | 'latencyMs' | 'telemetry'
      > & { endpointErrors?: Array<{ endpoint: string; kind: string; count: number }> }
    >;
    summary: StressSummary;
    degradation?: Degradation;
    endpointsAtBreakingPoint?: EndpointResult[];
  };
}

/** One row of `analysis.byOperation`. */
export interface ByOperation extends OperationLatency {
  phase: string;
  /** Share of the phase's requests. */
  share: number;
}

/** One row of `analysis.coldStart`. */
export interface ColdStart {
  phase: string;
  /**
   * P95 of the phase's first second with requests, and the median p95 of its steady seconds (those after the first
   * five; in a phase shorter than 11 s, after the first half).
   */
  firstSecondP95Ms: number | null;
  steadyP95Ms: number | null;
  factor: number | null;
  flagged: boolean;
  /** Why there is no factor (a phase too short to have a steady part). */
  reason?: string;
}

/** One measured level in `analysis.scaling`. */
export interface ScalingPoint {
  source: 'baseline' | 'stress';
  label: string;
  users: number;
  throughputRps: number;
  perUserRps: number;
  /** Throughput per user against the lowest level's (1: perfectly linear). */
  efficiency: number;
  linear: boolean;
}

/** A recommendation: what to do, the finding it comes from and the measured evidence. */
export interface Recommendation {
  severity: 'P1' | 'P2' | 'P3';
  finding: string;
  evidence: string;
  recommendation: string;
}

/** The whole analysis (`report.json` `analysis`). */
export interface Analysis {
  byOperation: ByOperation[];
  slowestEndpoints: Array<{ phase: string; endpoint: string; method: string; p50Ms: number; p95Ms: number }>;
  coldStart: ColdStart[];
  scaling: ScalingPoint[];
  /** The level where throughput stopped growing linearly (efficiency under LINEAR_EFFICIENCY), if it did. */
  linearUpToUsers: number | null;
  linearEndsAtUsers: number | null;
  capacityModel: UslFit & { safeUsers?: number; safeThroughputRps?: number; margin?: number };
  degradation:
    | {
        evaluable: true;
        /** What the levels count: users (closed model) or req/s offered (open model). */
        unit: 'users' | 'req/s';
        baseline: { label: string; p50Ms: number; p95Ms: number };
        atBreakingPoint: { users: number; p50x: number; p95x: number };
        worst: { users: number; p50x: number; p95x: number };
        maxThroughputRps: number;
        throughputAtWorstRps: number;
        /** Throughput lost at the highest level past the ceiling, % of the best (retrograde scaling when > 0). */
        throughputLostPct: number;
      }
    | { evaluable: false; reason: string };
  recommendations: Recommendation[];
}

/** How the analysis judges. */
export const ANALYSIS_POLICY = {
  /** A phase's first second this many times slower (p95) than its steady seconds is a cold start. */
  coldStartFactor: 3,
  /** Throughput per user at least this share of the lowest level's is "linear". */
  linearEfficiency: 0.9,
  /** The safe capacity is the model's peak less this margin. */
  safetyMargin: 0.2,
  /** Writes slower than reads by this factor (median) is a finding. */
  writeReadFactor: 2,
  /** Requests an operation type needs in a phase before its median is compared with another's. */
  minOperationRequests: 30,
  /** Throughput lost past the ceiling above this (%) is retrograde scaling. */
  retrogradePct: 10,
};

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Builds the analysis from stored results. */
export function buildAnalysis(input: AnalysisInput): Analysis {
  const byOperation = operationsTable(input);
  const coldStart = input.phases.map(coldStartOf);
  const { points: scaling, linearUpToUsers, linearEndsAtUsers } = scalingOf(input);
  const capacityModel = capacityModelOf(input, scaling);
  const degradation = degradationOf(input);
  const slowestEndpoints = input.phases
    .flatMap((p) =>
      p.endpoints.map((e) => ({
        phase: p.name,
        endpoint: e.name,
        method: input.methods[e.name] ?? '?',
        p50Ms: e.latencyMs.p50,
        p95Ms: e.latencyMs.p95,
      })),
    )
    .filter((e) => Number.isFinite(e.p95Ms))
    .sort((a, b) => b.p95Ms - a.p95Ms)
    .slice(0, 5);
  const analysis: Analysis = {
    byOperation,
    slowestEndpoints,
    coldStart,
    scaling,
    linearUpToUsers,
    linearEndsAtUsers,
    capacityModel,
    degradation,
    recommendations: [],
  };
  analysis.recommendations = recommend(analysis, input);
  return analysis;
}

function operationsTable(input: AnalysisInput): ByOperation[] {
  return input.phases.flatMap((p) =>
    (p.operations ?? []).map((o) => ({
      phase: p.name,
      ...o,
      share: p.requests ? round(o.requests / p.requests, 4) : 0,
    })),
  );
}

function coldStartOf(p: AnalysisInput['phases'][number]): ColdStart {
  const seconds = p.timeline
    .filter((t) => (t.widthS ?? 1) === 1 && t.requests > 0 && t.p95Ms !== null)
    .sort((a, b) => a.second - b.second);
  const first = seconds[0];
  // Steady: the seconds after the warm-up ones (up to 5, fewer in a short phase), at least two of them.
  const skip = Math.min(5, Math.max(1, Math.floor((seconds.length - 1) / 2)));
  const rest = first ? seconds.filter((t) => t.second >= first.second + skip) : [];
  const steadyMedian = rest.length >= 2 ? median(rest.map((t) => t.p95Ms!)) : null;
  const steady = steadyMedian !== null && steadyMedian > 0 ? steadyMedian : null;
  const factor = first && steady ? round(first.p95Ms! / steady, 2) : null;
  return {
    phase: p.name,
    firstSecondP95Ms: first?.p95Ms ?? null,
    steadyP95Ms: steady,
    factor,
    flagged: factor !== null && factor >= ANALYSIS_POLICY.coldStartFactor,
    ...(factor === null
      ? {
          reason:
            steadyMedian === 0
              ? 'the steady seconds measured 0 ms: no factor against them'
              : `${seconds.length} measured second(s) at one-second resolution; a cold start needs the first and at least two steady ones`,
        }
      : {}),
  };
}

function scalingOf(input: AnalysisInput): {
  points: ScalingPoint[];
  linearUpToUsers: number | null;
  linearEndsAtUsers: number | null;
} {
  const raw: Array<Omit<ScalingPoint, 'efficiency' | 'linear' | 'perUserRps'>> = [
    ...input.phases
      .filter((p) => p.model === 'closed' && p.users > 0 && p.throughputRps > 0)
      .map((p) => ({ source: 'baseline' as const, label: p.name, users: p.users, throughputRps: p.throughputRps })),
    ...(input.stress?.model === 'closed'
      ? input.stress.steps
          .filter((s) => s.status !== 'invalid' && (s.goodputRps ?? s.throughputRps) > 0)
          .map((s) => ({
            source: 'stress' as const,
            label: `stress ${s.level} users`,
            users: s.level,
            throughputRps: s.goodputRps ?? s.throughputRps,
          }))
      : []),
  ].sort((a, b) => a.users - b.users);
  const base = raw.length ? raw[0]!.throughputRps / raw[0]!.users : 0;
  if (!(base > 0) || !Number.isFinite(base)) return { points: [], linearUpToUsers: null, linearEndsAtUsers: null };
  const points = raw.map((r) => {
    const perUserRps = r.throughputRps / r.users;
    const efficiency = round(perUserRps / base, 3);
    return {
      ...r,
      perUserRps: round(perUserRps, 4),
      efficiency,
      linear: efficiency >= ANALYSIS_POLICY.linearEfficiency,
    };
  });
  const firstNonLinear = points.find((p) => !p.linear);
  const linear = points.filter((p) => p.linear && (!firstNonLinear || p.users < firstNonLinear.users));
  return {
    points,
    linearUpToUsers: linear.length ? linear[linear.length - 1]!.users : null,
    linearEndsAtUsers: firstNonLinear?.users ?? null,
  };
}

function capacityModelOf(input: AnalysisInput, scaling: ScalingPoint[]): Analysis['capacityModel'] {
  if (input.stress?.model === 'open' && !scaling.length) {
    return {
      evaluable: false,
      reason:
        'open model: the load is a rate, not users; read the latency-vs-offered-rate curve (capacity chart) instead',
      points: 0,
    };
  }
  const fit = fitUsl(scaling.map((s) => ({ n: s.users, x: s.throughputRps })));
  if (!fit.evaluable) return fit;
  const margin = ANALYSIS_POLICY.safetyMargin;
  const ceiling = input.stress?.model === 'closed' ? input.stress.summary.capacityCeiling?.users : undefined;
  // Never past what was measured: a smooth model of a hard limit can put its peak beyond the breaking point, and a
  // fit on low levels alone extrapolates; the safe capacity comes from the lowest of the model's peak, the measured
  // ceiling (in users: a closed-model stress run) and the highest level measured.
  const highest = Math.max(...scaling.map((s) => s.users));
  const candidates = [fit.peakUsers, ceiling, highest].filter((v): v is number => typeof v === 'number');
  if (!candidates.length) return fit;
  const basis = Math.min(...candidates);
  const safeUsers = Math.max(1, Math.floor(basis * (1 - margin)));
  return { ...fit, safeUsers, safeThroughputRps: round(uslThroughput(safeUsers, fit), 1), margin };
}

function degradationOf(input: AnalysisInput): Analysis['degradation'] {
  const st = input.stress;
  if (!st) return { evaluable: false, reason: 'no stress phase' };
  const valid = st.steps.filter((s) => s.status !== 'invalid');
  const bp = st.summary.breakingPoint;
  if (!bp) return { evaluable: false, reason: 'no breaking point: nothing degraded within the levels tried' };
  const lowestPhase = [...input.phases].filter((p) => p.requests > 0).sort((a, b) => a.users - b.users)[0];
  const lowestPass = valid.filter((s) => s.status === 'pass').sort((a, b) => a.level - b.level)[0];
  const baseline = lowestPhase
    ? {
        label: `baseline phase ${lowestPhase.name}`,
        p50Ms: lowestPhase.latencyMs.p50,
        p95Ms: lowestPhase.latencyMs.p95,
      }
    : lowestPass
      ? { label: `stress step ${lowestPass.level}`, p50Ms: lowestPass.latencyMs.p50, p95Ms: lowestPass.latencyMs.p95 }
      : undefined;
  if (!baseline || !(baseline.p50Ms > 0) || !(baseline.p95Ms > 0))
    return { evaluable: false, reason: 'no passing level to compare the breaking point with' };
  const at = valid.find((s) => s.level === bp.users && s.status === 'fail') ?? valid.find((s) => s.status === 'fail');
  const past = valid.filter((s) => s.level >= bp.users);
  const worst = [...past].sort((a, b) => b.level - a.level)[0] ?? at;
  if (!at || !worst) return { evaluable: false, reason: 'the breaking step has no measurement' };
  const x = (s: typeof at) => ({
    users: s.level,
    p50x: round(s.latencyMs.p50 / baseline.p50Ms, 1),
    p95x: round(s.latencyMs.p95 / baseline.p95Ms, 1),
  });
  const maxThroughputRps = st.summary.maxThroughputRps;
  const throughputAtWorstRps = worst.goodputRps ?? worst.throughputRps;
  return {
    evaluable: true,
    unit: st.model === 'closed' ? 'users' : 'req/s',
    baseline,
    atBreakingPoint: x(at),
    worst: x(worst),
    maxThroughputRps,
    throughputAtWorstRps,
    throughputLostPct:
      maxThroughputRps > 0
        ? Math.max(0, round(((maxThroughputRps - throughputAtWorstRps) / maxThroughputRps) * 100, 1))
        : 0,
  };
}

/** Recommendations, most severe first; each cites the measured finding it comes from. */
function recommend(a: Analysis, input: AnalysisInput): Recommendation[] {
  const out: Recommendation[] = [];
  const d = a.degradation;
  // A saturated resource at the breaking point (stress.telemetry): the bottleneck, named by the target itself.
  const bpUsers = input.stress?.summary.breakingPoint?.users;
  const bpStep = input.stress?.steps.find((s) => s.level === bpUsers && s.status === 'fail');
  const unit = input.stress?.model === 'open' ? 'req/s offered' : 'users';
  for (const t of bpStep?.telemetry ?? []) {
    if (t.saturated && t.value !== null) {
      out.push({
        severity: 'P1',
        finding: `${t.name} was saturated at the breaking point`,
        evidence: `${t.name} = ${t.value} of ${t.max} at ${bpUsers} ${unit} (\`${t.query}\`)`,
        recommendation: `Raise or relieve ${t.name} (pool size, workers, limits) or shed load before it saturates: it is the first resource to run out.`,
      });
    }
  }
  if (d.evaluable && d.throughputLostPct >= ANALYSIS_POLICY.retrogradePct) {
    out.push({
      severity: 'P1',
      finding: 'throughput falls past the ceiling (retrograde scaling)',
      evidence: `${d.throughputAtWorstRps} req/s at ${d.worst.users} ${unit} against ${d.maxThroughputRps} req/s at best: ${d.throughputLostPct} % lost; p95 ${d.worst.p95x}x the baseline`,
      recommendation:
        'Add admission control or rate limiting at the ceiling, so excess load is refused fast instead of slowing every request down.',
    });
  }
  // The endpoint that degraded first: the most errors at the breaking point.
  const errorsBy = new Map<string, number>();
  for (const e of bpStep?.endpointErrors ?? []) errorsBy.set(e.endpoint, (errorsBy.get(e.endpoint) ?? 0) + e.count);
  const worstEndpoint = [...errorsBy].sort((x, y) => y[1] - x[1])[0];
  const totalErrors = [...errorsBy.values()].reduce((s, n) => s + n, 0);
  if (worstEndpoint && totalErrors > 0 && errorsBy.size > 1 && worstEndpoint[1] / totalErrors >= 0.5) {
    out.push({
      severity: 'P2',
      finding: `${worstEndpoint[0]} fails first under load`,
      evidence: `${worstEndpoint[1]} of the ${totalErrors} errors at ${bpUsers} ${unit} (${Math.round((worstEndpoint[1] / totalErrors) * 100)} %)`,
      recommendation: `Profile ${worstEndpoint[0]} first: its queries, locks or downstream calls break before the rest of the service.`,
    });
  }
  if (a.linearEndsAtUsers !== null && a.linearUpToUsers !== null) {
    const end = a.scaling.find((s) => s.users === a.linearEndsAtUsers);
    out.push({
      severity: 'P3',
      finding: `throughput stops scaling linearly after ${a.linearUpToUsers} users`,
      evidence: `at ${a.linearEndsAtUsers} users each user gets ${end ? Math.round(end.efficiency * 100) : '?'} % of the throughput a user gets at the lowest level`,
      recommendation:
        'Plan capacity from the linear region; past it, latency grows with every user added (a shared resource is queueing).',
    });
  }
  for (const c of a.coldStart.filter((x) => x.flagged)) {
    out.push({
      severity: 'P3',
      finding: `cold start in phase ${c.phase}`,
      evidence: `its first second's p95 was ${c.firstSecondP95Ms} ms against ${c.steadyP95Ms} ms steady (${c.factor}x)`,
      recommendation:
        'Pre-warm connection pools and caches on deploy (a warm-up request per endpoint) so the first users do not pay for it.',
    });
  }
  // A median from a handful of requests is no finding.
  const enough = (o: ByOperation) => o.p50Ms !== null && o.requests >= ANALYSIS_POLICY.minOperationRequests;
  const reads = a.byOperation.filter((o) => o.operation === 'read' && enough(o));
  const writes = a.byOperation.filter((o) => o.operation === 'write' && enough(o));
  for (const w of writes) {
    const r = reads.find((x) => x.phase === w.phase);
    if (r && r.p50Ms! > 0 && w.p50Ms! / r.p50Ms! >= ANALYSIS_POLICY.writeReadFactor) {
      out.push({
        severity: 'P3',
        finding: `writes are slower than reads in phase ${w.phase}`,
        evidence: `median ${w.p50Ms} ms for writes against ${r.p50Ms} ms for reads (${round(w.p50Ms! / r.p50Ms!, 1)}x)`,
        recommendation:
          'Look at the write path: transaction scope, indexes maintained on write, synchronous side effects.',
      });
      break;
    }
  }
  const order = { P1: 0, P2: 1, P3: 2 };
  return out.sort((x, y) => order[x.severity] - order[y.severity]);
}
