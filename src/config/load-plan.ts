import type { BaselinePhase, Campaign } from './schema';
import { parseDurationMs } from '../core/duration';
/**
 * Load plans: what one generator (one thread, one slice) must do, as plain data. Splitting a plan across
 * threads or generators is explicit and exact (users and rate are divided, never averaged).
 */

/** A ramping stage of the open model: go linearly to `target` req/s over `durationMs`. */
export interface RateStage {
  target: number;
  durationMs: number;
}

/** What a load run does for `durationMs`. */
export interface LoadPlan {
  model: 'closed' | 'open';
  durationMs: number;
  /** Closed model: virtual users, each sending a request then thinking. */
  users: number;
  /** Closed model: users start evenly over this time (0: all at once). */
  rampUpMs: number;
  /** How far into the ramp-up this run begins (a resumed or late run): users due earlier start at once. */
  rampOffsetMs?: number;
  thinkTimeMs: number;
  /** Open model: starting (or constant) arrival rate, iterations per second. */
  rate: number;
  /** Open model: ramping stages after the start rate; the last target holds until the end. */
  stages: RateStage[];
  /** Open model: at most this many requests in flight; later iterations wait, then are dropped. */
  maxInFlight: number;
  /** Open model: an iteration that cannot start within this time of its intended start is dropped. */
  dropAfterMs: number;
  requestTimeoutMs: number;
  /** Bodies are read (for capture or body checks) up to this size; bigger ones are errors. */
  maxBodyBytes: number;
}

/**
 * The ramp a phase or stress step gets when it names none: a tenth of its duration, between 1 s and 5 s, and never
 * more than half of it (whole 100 ms). A second is what a thundering herd needs to become a stream.
 */
export function defaultRampMs(durationMs: number): number {
  const tenth = Math.floor(durationMs / 1000) * 100;
  return Math.min(Math.floor(durationMs / 200) * 100, Math.max(1_000, Math.min(5_000, tenth)));
}

/** Builds the plan of a baseline phase (durations parsed; open-model defaults applied). */
export function planFromPhase(phase: BaselinePhase, scenario: Campaign['scenario']): LoadPlan {
  const ms = (text: string | undefined, fallback: number) =>
    text === undefined ? fallback : (parseDurationMs(text) ?? fallback);
  const requestTimeoutMs = ms(scenario.requestTimeout, 10_000);
  const rate = phase.rate ?? 0;
  const stages = (phase.stages ?? []).map((s) => ({ target: s.target, durationMs: ms(s.duration, 0) }));
  const peak = Math.max(rate, ...stages.map((s) => s.target));
  return {
    model: phase.model,
    durationMs: ms(phase.duration, 0),
    users: phase.users ?? 0,
    rampUpMs: phase.rampUp === undefined ? defaultRampMs(ms(phase.duration, 0)) : ms(phase.rampUp, 0),
    thinkTimeMs: ms(scenario.thinkTime, 0),
    rate,
    stages,
    // Default in-flight cap: enough for the peak rate at the request timeout, at least 100.
    maxInFlight: phase.maxInFlight ?? Math.max(100, Math.ceil((peak * requestTimeoutMs) / 1000)),
    dropAfterMs: requestTimeoutMs,
    requestTimeoutMs,
    maxBodyBytes: 1 << 20,
  };
}

/**
 * The rest of a plan from `offsetMs` on, for a run that resumes (after a crash) or starts late: the open
 * model's rate and stages continue where they were instead of ramping from the start again, and the closed
 * model's ramp-up continues from the same point. The duration is what is left.
 */
export function shiftPlan(plan: LoadPlan, offsetMs: number): LoadPlan {
  if (offsetMs <= 0) return plan;
  const stages: RateStage[] = [];
  let t = offsetMs;
  for (const stage of plan.stages) {
    if (t >= stage.durationMs) t -= stage.durationMs;
    else {
      stages.push(t > 0 ? { target: stage.target, durationMs: stage.durationMs - t } : stage);
      t = 0;
    }
  }
  return {
    ...plan,
    durationMs: Math.max(0, plan.durationMs - offsetMs),
    rate: rateAt(plan, offsetMs),
    stages,
    rampOffsetMs: (plan.rampOffsetMs ?? 0) + offsetMs,
  };
}

/** Splits a whole number into `parts` integers that add up to it (remainder to the first parts). */
export function splitCount(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total - base * parts ? 1 : 0));
}

/**
 * Splits a plan across `parts` generators: users and in-flight caps as whole numbers, rates as
 * exact fractions. Parts with nothing to do get zero users / zero rate.
 */
export function splitPlan(plan: LoadPlan, parts: number): LoadPlan[] {
  const users = splitCount(plan.users, parts);
  const inflight = splitCount(Math.max(plan.maxInFlight, parts), parts);
  return Array.from({ length: parts }, (_, i) => ({
    ...plan,
    users: users[i],
    // Ramp-up stays global: each part ramps its share over the same time.
    rate: plan.rate / parts,
    stages: plan.stages.map((s) => ({ ...s, target: s.target / parts })),
    maxInFlight: inflight[i],
  }));
}

/**
 * Moves the open model's rate to `rate` over `rampMs`, starting `atMs` after the start (a continuous ramp's next
 * level): the rate holds where it is until then (a stage at the current rate), then ramps. A change that comes
 * while an earlier ramp is still going starts when that ramp ends. Mutates and returns `plan`.
 */
export function appendRateChange<P extends Pick<LoadPlan, 'rate' | 'stages'>>(
  plan: P,
  atMs: number,
  rate: number,
  rampMs: number,
): P {
  const scheduled = plan.stages.reduce((a, s) => a + s.durationMs, 0);
  const current = rateAt(plan, Math.max(atMs, scheduled));
  if (atMs > scheduled) plan.stages.push({ target: current, durationMs: atMs - scheduled });
  plan.stages.push({ target: rate, durationMs: Math.max(1, rampMs) });
  return plan;
}

/** The open model's intended arrival rate (req/s) at `tMs` after the start. */
export function rateAt(plan: Pick<LoadPlan, 'rate' | 'stages'>, tMs: number): number {
  let from = plan.rate;
  let t = tMs;
  for (const stage of plan.stages) {
    if (t < stage.durationMs) return from + (stage.target - from) * (t / stage.durationMs);
    t -= stage.durationMs;
    from = stage.target;
  }
  return from;
}

/** How many iterations the open model intends between 0 and `tMs` (the integral of the rate). */
export function intendedIterations(plan: Pick<LoadPlan, 'rate' | 'stages'>, tMs: number): number {
  let from = plan.rate;
  let t = tMs;
  let total = 0;
  for (const stage of plan.stages) {
    const d = Math.min(t, stage.durationMs);
    const to = from + (stage.target - from) * (d / stage.durationMs);
    total += ((from + to) / 2) * (d / 1000);
    t -= d;
    if (t <= 0) return total;
    from = stage.target;
  }
  return total + from * (t / 1000);
}

/** Status class of a response code, or `err` when there was no response. */
export function statusClass(status: number | undefined): '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'err' {
  if (!status) return 'err';
  return `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as '2xx';
}
