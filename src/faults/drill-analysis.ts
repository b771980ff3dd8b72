/**
 * A fault drill's figures from what it observed: the light load's seconds (per endpoint, successful and failed
 * latency apart), the canary's single requests (sub-second instants), the detection instants and the command times.
 */
import type * as hdr from 'hdr-histogram-js';
import {
  drillStatus,
  type DrillCheck,
  type DrillEndpointImpact,
  type DrillSecond,
  type FaultDrillResult,
} from '../core/drills';
import { round } from '../core/numbers';
import { newHistogram } from '../engine/metrics';

/** One endpoint's requests in one second of the load. */
export interface EndpointSecond {
  requests: number;
  errors: number;
  /** Latency (µs) of successful and of failed requests. */
  ok: hdr.Histogram;
  err: hdr.Histogram;
}

/** One second of the light load (epoch ms). */
export interface ObservedSecond {
  startMs: number;
  endMs: number;
  endpoints: Map<string, EndpointSecond>;
}

/** One canary request: when it finished, whether it succeeded. */
export interface CanaryEvent {
  atMs: number;
  endpoint: string;
  ok: boolean;
}

export interface DrillObservations {
  seconds: ObservedSecond[];
  canary: CanaryEvent[];
  /** The load's start (epoch ms): its first seconds are warm-up, not reference. */
  loadStartMs: number;
  /** The stop command's end: the fault. */
  faultAtMs: number;
  /** The start command's start: the restart (null: the drill ended before it). */
  restartAtMs: number | null;
  endAtMs: number;
  unhealthyAtMs: number | null;
  alertFiringAtMs: number | null;
  alertDeliveredAtMs: number | null;
  watched: FaultDrillResult['detection']['watched'];
}

export interface DrillTargets {
  name: string;
  users: number;
  detectS: number;
  recoverS: number;
  maxErrorP95Ms?: number;
  tolerance: number;
}

/** Seconds of the reference kept out: the load's own warm-up. */
const WARMUP_MS = 2_000;
/**
 * The most points a drill's timeline keeps (seconds are merged into windows past it): five drills' results stay
 * well under the 64 KiB a payload of the campaign's history may take.
 */
export const MAX_TIMELINE_POINTS = 120;
/** Back to baseline is this many good seconds in a row. */
const STABLE_SECONDS = 2;

const p95 = (h: hdr.Histogram) => (h.totalCount ? round(h.getValueAtPercentile(95) / 1000, 2) : null);

function merged(seconds: ObservedSecond[], pick: (e: EndpointSecond) => hdr.Histogram, endpoint?: string) {
  const h = newHistogram();
  for (const s of seconds)
    for (const [name, e] of s.endpoints) if (endpoint === undefined || name === endpoint) h.add(pick(e));
  return h;
}

const totals = (seconds: ObservedSecond[]) => {
  let requests = 0;
  let errors = 0;
  for (const s of seconds)
    for (const e of s.endpoints.values()) {
      requests += e.requests;
      errors += e.errors;
    }
  return { requests, errors };
};

/** The pre-fault reference: successful requests' p95 and the error rate, after the load's warm-up. */
export function reference(o: Pick<DrillObservations, 'seconds' | 'loadStartMs' | 'faultAtMs'>) {
  let ref = o.seconds.filter((s) => s.startMs >= o.loadStartMs + WARMUP_MS && s.endMs <= o.faultAtMs);
  if (!ref.length) ref = o.seconds.filter((s) => s.endMs <= o.faultAtMs);
  const t = totals(ref);
  return {
    p95Ms: p95(merged(ref, (e) => e.ok)),
    errorRate: t.requests ? round(t.errors / t.requests, 4) : 0,
    requests: t.requests,
  };
}

/**
 * When the load was back within tolerance of the reference for {@link STABLE_SECONDS} seconds in a row after the
 * restart (the first of them's start, epoch ms), or null.
 */
export function backToBaselineAt(
  seconds: ObservedSecond[],
  ref: { p95Ms: number | null; errorRate: number },
  restartAtMs: number,
  tolerance: number,
): number | null {
  const after = seconds.filter((s) => s.endMs > restartAtMs);
  let run = 0;
  for (let i = 0; i < after.length; i++) {
    const s = after[i]!;
    const t = totals([s]);
    const okP95 = p95(merged([s], (e) => e.ok));
    const good =
      t.requests > 0 &&
      t.errors / t.requests <= ref.errorRate + 0.01 &&
      okP95 !== null &&
      (ref.p95Ms === null || okP95 <= ref.p95Ms * (1 + tolerance) + 5);
    run = good ? run + 1 : 0;
    if (run >= STABLE_SECONDS) return after[i - STABLE_SECONDS + 1]!.startMs;
  }
  return null;
}

const secondsFrom = (fromMs: number, atMs: number | null) =>
  atMs === null ? null : round(Math.max(0, atMs - fromMs) / 1000, 2);

/** Every figure of a drill and its three checks. */
export function analyseDrill(o: DrillObservations, t: DrillTargets): Omit<FaultDrillResult, 'restored' | 'error'> {
  const notes: string[] = [];
  const ref = reference(o);
  const restart = o.restartAtMs ?? o.endAtMs;
  const outage = o.seconds.filter((s) => s.endMs > o.faultAtMs && s.startMs < restart);

  // Seconds of the outage in which nothing finished: the users hung on the dependency (a closed load always has
  // requests in flight, so a whole second without an answer is a hang).
  const stalled = outage.filter((s) => s.endpoints.size === 0);
  // Impact: the canary's first failure after the fault (sub-second), or the end of the load's first failing or hung
  // second (by then it had surely happened), whichever is earlier.
  const canaryFail = o.canary.find((c) => !c.ok && c.atMs >= o.faultAtMs);
  const loadFail = outage.find((s) => s.endpoints.size === 0 || totals([s]).errors > 0);
  const impactAt = canaryFail || loadFail ? Math.min(canaryFail?.atMs ?? Infinity, loadFail?.endMs ?? Infinity) : null;

  // Detection: the earliest watched channel.
  const healthS = secondsFrom(o.faultAtMs, o.unhealthyAtMs);
  const alertFiringS = secondsFrom(o.faultAtMs, o.alertFiringAtMs);
  const alertDeliveredS = secondsFrom(o.faultAtMs, o.alertDeliveredAtMs);
  const detectedIn = [healthS, alertFiringS, alertDeliveredS].filter((v): v is number => v !== null);
  const firstS = detectedIn.length ? Math.min(...detectedIn) : null;

  // Fail-fast: failed requests' latency over the outage, the first failing second against the later ones.
  const errAll = merged(outage, (e) => e.err);
  const firstErr = outage.find((s) => merged([s], (e) => e.err).totalCount > 0);
  const later = firstErr ? outage.filter((s) => s.startMs >= firstErr.startMs + 2_000 && s.endMs <= restart + 500) : [];
  const firstH = firstErr ? merged([firstErr], (e) => e.err) : newHistogram();
  const laterH = merged(later, (e) => e.err);
  const firstP95 = p95(firstH);
  const laterP95 = p95(laterH);
  const breakerOpened =
    firstP95 === null || laterP95 === null || laterH.totalCount < 3
      ? null
      : firstP95 >= laterP95 * 5 && firstP95 - laterP95 >= 5;
  const p95ErrorMs = p95(errAll);
  // Default bar: no slower than a successful request before the fault (its p95 within the drill's tolerance, + 5 ms
  // of scheduling noise, as for back to baseline): a failure that answers, not one that waits for a timeout.
  const limitMs = t.maxErrorP95Ms ?? (ref.p95Ms === null ? null : round(ref.p95Ms * (1 + t.tolerance) + 5, 2));

  // Recovery: the endpoints that failed, their first success after the restart; back to the reference.
  const failing = new Set<string>();
  for (const s of outage) for (const [name, e] of s.endpoints) if (e.errors > 0) failing.add(name);
  for (const c of o.canary) if (!c.ok && c.atMs >= o.faultAtMs && c.atMs < restart) failing.add(c.endpoint);
  const canaryOk = o.canary.find((c) => c.ok && c.atMs >= restart && failing.has(c.endpoint));
  // A load second counts from its end: its successes may have come at any time within it.
  const loadOk = (name: string) =>
    o.seconds.find(
      (s) => s.startMs >= restart && (s.endpoints.get(name)?.requests ?? 0) > (s.endpoints.get(name)?.errors ?? 0),
    );
  const candidates = [canaryOk?.atMs, ...[...failing].map((n) => loadOk(n)?.endMs)].filter(
    (v): v is number => v !== undefined,
  );
  const firstOkAt = failing.size && candidates.length ? Math.min(...candidates) : null;
  const firstSuccessS = o.restartAtMs === null ? null : secondsFrom(restart, firstOkAt);
  const backAt = o.restartAtMs === null ? null : backToBaselineAt(o.seconds, ref, restart, t.tolerance);
  const backToBaselineS = backAt === null ? null : round(Math.max((backAt - restart) / 1000, firstSuccessS ?? 0), 2);
  const everyEndpointBack = [...failing].every(
    (n) => o.canary.some((c) => c.ok && c.atMs >= restart && c.endpoint === n) || loadOk(n) !== undefined,
  );
  const fullyRecovered = o.restartAtMs !== null && backAt !== null && everyEndpointBack;

  const whileDown: DrillEndpointImpact[] = [...new Set(outage.flatMap((s) => [...s.endpoints.keys()]))]
    .sort()
    .map((endpoint) => {
      let requests = 0;
      let errors = 0;
      for (const s of outage) {
        const e = s.endpoints.get(endpoint);
        requests += e?.requests ?? 0;
        errors += e?.errors ?? 0;
      }
      return {
        endpoint,
        requests,
        errors,
        errorRate: requests ? round(errors / requests, 4) : 0,
        okP95Ms: p95(merged(outage, (e) => e.ok, endpoint)),
        errorP95Ms: p95(merged(outage, (e) => e.err, endpoint)),
      };
    });

  const detected: DrillCheck = firstS !== null && firstS <= t.detectS ? 'pass' : 'fail';
  const recovered: DrillCheck =
    fullyRecovered && backToBaselineS !== null && backToBaselineS <= t.recoverS ? 'pass' : 'fail';
  let failFast: DrillCheck;
  if (stalled.length) {
    failFast = 'fail';
    notes.push(`requests hung on the dependency: ${stalled.length} s of the outage without any answer`);
  } else if (p95ErrorMs === null) {
    failFast = 'not_evaluable';
    notes.push(
      'no request failed during the outage: fail-fast not judged (the service tolerated it, or the stop did not stop what the scenario uses)',
    );
  } else {
    // Judged on the outage's steady state (from 2 s after the first failure): a breaker learns from its first
    // failures, then must answer fast (the seeds' "fail-fast < 1 ms when open"); without enough later failures, on all.
    const judged = laterP95 !== null && laterH.totalCount >= 3 ? laterP95 : p95ErrorMs;
    failFast = limitMs === null ? 'not_evaluable' : judged <= limitMs ? 'pass' : 'fail';
  }
  const checks = { detected, recovered, failFast };

  // The chart's points: one per second, or per window of seconds past MAX_TIMELINE_POINTS (a drill down for an hour
  // keeps its result small enough for the workflow's history).
  const width = Math.max(1, Math.ceil(o.seconds.length / MAX_TIMELINE_POINTS));
  const timeline: DrillSecond[] = [];
  for (let i = 0; i < o.seconds.length; i += width) {
    const group = o.seconds.slice(i, i + width);
    const tt = totals(group);
    const all = merged(group, (e) => e.ok);
    all.add(merged(group, (e) => e.err));
    const spanS = Math.max(0.001, (group[group.length - 1]!.endMs - group[0]!.startMs) / 1000);
    timeline.push({
      t: round((group[0]!.startMs - o.faultAtMs) / 1000, 1),
      requests: width === 1 ? tt.requests : round(tt.requests / spanS, 1),
      errors: width === 1 ? tt.errors : round(tt.errors / spanS, 1),
      p95Ms: p95(all),
    });
  }

  return {
    name: t.name,
    status: drillStatus(checks),
    downS: o.restartAtMs === null ? null : round((o.restartAtMs - o.faultAtMs) / 1000, 2),
    impactS: secondsFrom(o.faultAtMs, impactAt),
    detection: { healthS, alertFiringS, alertDeliveredS, firstS, watched: o.watched },
    failFast: { p95ErrorMs, firstP95ErrorMs: firstP95, laterP95ErrorMs: laterP95, breakerOpened, limitMs },
    recovery: { firstSuccessS, backToBaselineS },
    fullyRecovered,
    reference: ref,
    whileDown,
    targets: { detectS: t.detectS, recoverS: t.recoverS },
    checks,
    timeline,
    notes,
    users: t.users,
  };
}
