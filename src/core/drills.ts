/**
 * Fault drills and resource stability as reported (report.json `faults.drills[]`, `faults.resources`) and judged
 * into checklist evidence: `faults.drills.<name>.detected` / `.recovered` / `.fail_fast`, `faults.resources.memory`
 * / `.cpu_avg` / `.cpu_peak`.
 */

export type DrillCheck = 'pass' | 'fail' | 'not_evaluable';

/**
 * A second of a drill's light load, from the fault (negative before it); in a long drill, a window of seconds whose
 * requests and errors are per-second averages.
 */
export interface DrillSecond {
  /** Seconds from the fault to this second's (window's) start. */
  t: number;
  requests: number;
  errors: number;
  /** p95 of the second's answered and failed requests (ms); null when nothing finished in it. */
  p95Ms: number | null;
}

/** One endpoint's requests while the dependency was down. */
export interface DrillEndpointImpact {
  endpoint: string;
  requests: number;
  errors: number;
  errorRate: number;
  /** p95 of successful and of failed requests (ms). */
  okP95Ms: number | null;
  errorP95Ms: number | null;
}

/** One fault drill, measured. Times are seconds; null when it did not happen within the drill. */
export interface FaultDrillResult {
  name: string;
  status: 'pass' | 'fail' | 'error';
  /** Why the drill could not run or finish (status error). */
  error?: string;
  /** From the end of the stop command (the fault) to the start of the start command (the restart). */
  downS: number | null;
  /** From the fault to the first failed request; null when no request failed. */
  impactS: number | null;
  detection: {
    /** The target's health endpoint answered unhealthy (non-2xx, or no answer). */
    healthS: number | null;
    /** The Prometheus alert was firing; null when not seen (or no alert configured: see `channels`). */
    alertFiringS: number | null;
    /** The Alertmanager delivered it to the probe webhook. */
    alertDeliveredS: number | null;
    /** The earliest of the three: the time to detect (MTTD). */
    firstS: number | null;
    /** Which channels were watched: a channel not watched is "not measured", never "not detected". */
    watched: { health: boolean; alertFiring: boolean; alertDelivered: boolean };
  };
  failFast: {
    /** p95 of failed requests over the outage (ms). */
    p95ErrorMs: number | null;
    /**
     * p95 of the failures of the first second with failures, and of those from 2 s after it until the restart: the
     * outage's steady state, which fail-fast is judged on (all failures when there are fewer than 3 later ones).
     */
    firstP95ErrorMs: number | null;
    laterP95ErrorMs: number | null;
    /** Failures became much faster after the first ones: a circuit breaker (or similar) opened. Null: too few failures. */
    breakerOpened: boolean | null;
    /** The bar failed requests' p95 was held to (ms). */
    limitMs: number | null;
  };
  recovery: {
    /** From the restart (the start command) to the first success of an endpoint that was failing. */
    firstSuccessS: number | null;
    /** From the restart until latency and errors were back within tolerance of the pre-fault level, for 2 s. */
    backToBaselineS: number | null;
  };
  /** Every endpoint that failed during the outage succeeded again, and the load got back to its pre-fault level. */
  fullyRecovered: boolean;
  /** The pre-fault reference: successful requests' p95 and the error rate. */
  reference: { p95Ms: number | null; errorRate: number; requests: number };
  whileDown: DrillEndpointImpact[];
  targets: { detectS: number; recoverS: number };
  checks: { detected: DrillCheck; recovered: DrillCheck; failFast: DrillCheck };
  /** The light load per second, from its start (before the fault: negative `t`) until the drill ended. */
  timeline: DrillSecond[];
  users: number;
  /** The dependency was started again by the drill (or by its cleanup): never left stopped. */
  restored: boolean;
  notes: string[];
}

/** The seeds' resource limits (benchmark-completion-summary.md, "Memory & Resource Usage"). */
export const DEFAULT_RESOURCE_LIMITS = { maxMemoryGrowthMb: 50, maxCpuAvgPct: 80, maxCpuPeakPct: 95 } as const;

/** Resource stability over a baseline phase. */
export interface ResourceStability {
  phase: string;
  /** The window judged (ISO). */
  from: string;
  to: string;
  /** Memory: growth over the phase from a least-squares line (MB), its slope (MB/h), first and last (MB). */
  memoryGrowthMb: number | null;
  memorySlopeMbPerHour: number | null;
  memoryFirstMb: number | null;
  memoryLastMb: number | null;
  cpuAvgPct: number | null;
  cpuPeakPct: number | null;
  samples: { memory: number; cpu: number };
  limits: { maxMemoryGrowthMb: number; maxCpuAvgPct: number; maxCpuPeakPct: number };
  checks: { memory: DrillCheck; cpuAvg: DrillCheck; cpuPeak: DrillCheck };
  /** Why a figure is missing (a query failed, returned nothing, Prometheus unreachable). */
  notes: string[];
}

/** Status of a drill from its checks: any failed check fails it. */
export function drillStatus(checks: FaultDrillResult['checks']): 'pass' | 'fail' {
  return Object.values(checks).includes('fail') ? 'fail' : 'pass';
}

const fmt = (v: number | null, unit: string) => (v === null ? 'not detected' : `${v} ${unit}`);

/** The evidence rows of a drill: detected, recovered, fail_fast (an error drill: all three an error). */
export function drillEvidence(d: FaultDrillResult): Array<{
  id: string;
  status: 'pass' | 'fail' | 'not_evaluable' | 'error';
  observed: string;
  expected: string;
}> {
  const id = `faults.drills.${d.name}`;
  if (d.status === 'error') {
    const observed = d.error ?? 'the drill could not run';
    return [
      { id: `${id}.detected`, status: 'error', observed, expected: `detected within ${d.targets.detectS} s` },
      { id: `${id}.recovered`, status: 'error', observed, expected: `recovered within ${d.targets.recoverS} s` },
      { id: `${id}.fail_fast`, status: 'error', observed, expected: 'failed requests fail fast' },
    ];
  }
  const det = d.detection;
  const channel = (watched: boolean, v: number | null, what: string) =>
    watched ? `${what} ${fmt(v, 's')}` : `${what} not watched`;
  return [
    {
      id: `${id}.detected`,
      status: d.checks.detected,
      observed: [
        channel(det.watched.health, det.healthS, 'health'),
        channel(det.watched.alertFiring, det.alertFiringS, 'alert firing'),
        channel(det.watched.alertDelivered, det.alertDeliveredS, 'alert delivered'),
      ].join(', '),
      expected: `detected by the earliest channel within ${d.targets.detectS} s of the fault`,
    },
    {
      id: `${id}.recovered`,
      status: d.checks.recovered,
      observed: `first success ${d.recovery.firstSuccessS ?? '-'} s, back to baseline ${d.recovery.backToBaselineS ?? 'never'} s after the restart; fully recovered: ${d.fullyRecovered ? 'yes' : 'no'}`,
      expected: `every endpoint passing and latency and errors back to the pre-fault level within ${d.targets.recoverS} s of the restart`,
    },
    {
      id: `${id}.fail_fast`,
      status: d.checks.failFast,
      observed:
        d.failFast.p95ErrorMs === null
          ? 'no request failed during the outage'
          : `failed requests p95 ${d.failFast.p95ErrorMs} ms over the outage${d.failFast.laterP95ErrorMs === null ? '' : `, ${d.failFast.laterP95ErrorMs} ms from 2 s after the first failure`}${d.failFast.breakerOpened === null ? '' : d.failFast.breakerOpened ? ', a breaker opened' : ', no breaker opened'}${d.notes.some((n) => n.startsWith('requests hung')) ? '; requests hung' : ''}`,
      expected:
        d.failFast.limitMs === null
          ? 'failed requests fail fast'
          : `no request hangs; failed requests p95 <= ${d.failFast.limitMs} ms once the first failures are past`,
    },
  ];
}

/** The evidence rows of resource stability. */
export function resourceEvidence(r: ResourceStability): Array<{
  id: string;
  status: DrillCheck;
  observed: string;
  expected: string;
}> {
  const why = r.notes.length ? ` (${r.notes.join('; ')})` : '';
  return [
    {
      id: 'faults.resources.memory',
      status: r.checks.memory,
      observed:
        r.memoryGrowthMb === null
          ? `not measured${why}`
          : `grew ${r.memoryGrowthMb} MB over ${r.phase} (${r.memorySlopeMbPerHour} MB/h, ${r.memoryFirstMb} -> ${r.memoryLastMb} MB)`,
      expected: `growth < ${r.limits.maxMemoryGrowthMb} MB (no leak)`,
    },
    {
      id: 'faults.resources.cpu_avg',
      status: r.checks.cpuAvg,
      observed: r.cpuAvgPct === null ? `not measured${why}` : `CPU average ${r.cpuAvgPct} % over ${r.phase}`,
      expected: `average < ${r.limits.maxCpuAvgPct} %`,
    },
    {
      id: 'faults.resources.cpu_peak',
      status: r.checks.cpuPeak,
      observed: r.cpuPeakPct === null ? `not measured${why}` : `CPU peak ${r.cpuPeakPct} % over ${r.phase}`,
      expected: `peak < ${r.limits.maxCpuPeakPct} %`,
    },
  ];
}

/** Least-squares slope (per unit of x) of points; null with fewer than two distinct x. */
export function slope(points: Array<[number, number]>): number | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

/**
 * Judges memory and CPU samples ([epoch s, value]) of a phase against the limits, each series (instance) on its own:
 * the worst one counts (a sum would turn two replicas at 60 % into 120 %, and a replica added into a leak).
 */
export function judgeResources(args: {
  phase: string;
  from: string;
  to: string;
  memoryBytes?: Array<Array<[number, number]>>;
  cpuPct?: Array<Array<[number, number]>>;
  limits: ResourceStability['limits'];
  notes: string[];
}): ResourceStability {
  const r1 = (v: number) => Math.round(v * 10) / 10;
  // Memory: the series with the largest rise of its least-squares line over its span.
  let mem: { growth: number; perS: number; first: number; last: number } | null = null;
  let memSamples = 0;
  for (const series of args.memoryBytes ?? []) {
    const pts = series.map(([t, v]) => [t, v / 1_048_576] as [number, number]);
    memSamples += pts.length;
    const perS = slope(pts);
    if (perS === null) continue;
    const growth = perS * (pts[pts.length - 1]![0] - pts[0]![0]);
    if (!mem || growth > mem.growth) mem = { growth, perS, first: pts[0]![1], last: pts[pts.length - 1]![1] };
  }
  // CPU: the highest average of a series, the highest sample of any.
  let avg: number | null = null;
  let peak: number | null = null;
  let cpuSamples = 0;
  for (const series of args.cpuPct ?? []) {
    if (!series.length) continue;
    cpuSamples += series.length;
    const values = series.map(([, v]) => v);
    const a = values.reduce((s, v) => s + v, 0) / values.length;
    avg = avg === null ? a : Math.max(avg, a);
    peak = Math.max(peak ?? -Infinity, ...values);
  }
  const judge = (v: number | null, max: number): DrillCheck =>
    v === null ? 'not_evaluable' : v < max ? 'pass' : 'fail';
  const growth = mem ? r1(mem.growth) : null;
  return {
    phase: args.phase,
    from: args.from,
    to: args.to,
    memoryGrowthMb: growth,
    memorySlopeMbPerHour: mem ? r1(mem.perS * 3600) : null,
    memoryFirstMb: mem ? r1(mem.first) : null,
    memoryLastMb: mem ? r1(mem.last) : null,
    cpuAvgPct: avg === null ? null : r1(avg),
    cpuPeakPct: peak === null ? null : r1(peak),
    samples: { memory: memSamples, cpu: cpuSamples },
    limits: args.limits,
    checks: {
      memory: judge(growth, args.limits.maxMemoryGrowthMb),
      cpuAvg: judge(avg === null ? null : r1(avg), args.limits.maxCpuAvgPct),
      cpuPeak: judge(peak === null ? null : r1(peak), args.limits.maxCpuPeakPct),
    },
    notes: args.notes,
  };
}

/** A drill that could not run or finish: every figure null, every check an error in the evidence. */
export function drillError(
  d: { name: string; users: number },
  targets: FaultDrillResult['targets'],
  error: string,
  restored: boolean,
  notes: string[] = [],
): FaultDrillResult {
  return {
    name: d.name,
    status: 'error',
    error,
    downS: null,
    impactS: null,
    detection: {
      healthS: null,
      alertFiringS: null,
      alertDeliveredS: null,
      firstS: null,
      watched: { health: false, alertFiring: false, alertDelivered: false },
    },
    failFast: { p95ErrorMs: null, firstP95ErrorMs: null, laterP95ErrorMs: null, breakerOpened: null, limitMs: null },
    recovery: { firstSuccessS: null, backToBaselineS: null },
    fullyRecovered: false,
    reference: { p95Ms: null, errorRate: 0, requests: 0 },
    whileDown: [],
    targets,
    checks: { detected: 'not_evaluable', recovered: 'not_evaluable', failFast: 'not_evaluable' },
    timeline: [],
    users: d.users,
    restored,
    notes,
  };
}

/** A drill's targets in seconds, from its configured durations (ms). */
export const drillTargets = (detectMs: number | undefined, recoverMs: number | undefined) => ({
  detectS: (detectMs ?? 6_000) / 1000,
  recoverS: (recoverMs ?? 10_000) / 1000,
});
