/**
 * Progressive stress until failure, and spike with measured recovery: child workflows of the campaign.
 * The step loop lives here (deterministic, one activity per step, visible in history); whether a step
 * failed and what comes next are pure functions in core/stress.ts, judged on each step's own window.
 */
import { CancellationScope, condition, allHandlersFinished, setHandler } from '@temporalio/workflow';
import type { MeasuredStep } from '../activities/stress';
import type { BaselinePhase, Campaign } from '../config/schema';
import { formatDurationMs, parseDurationMs } from '../core/duration';
import {
  judgeStep, nextAdaptiveStep, nextStressStep, operatingZones, recoveryTime, summarizeStress,
  type SpikeResult, type StepResult, type StressResult, type StressSummary, type WindowWait,
} from '../core/stress';
import { windowDecision, windowLengthMinutes, type RunWindow } from '../core/window';
import { probe, store } from './proxies';
import { runLoadStep, SYNC_START_MS } from './load-step';
import { abortSignal, stepQuery, type AbortRequest } from './messages';

/** Input of the stress and spike workflows. */
export interface ChildPhaseInput {
  campaignId: string;
  campaign: Campaign;
}

/** Shared plumbing: abort handling and the current step's scope. */
function childState() {
  const state = { aborted: undefined as AbortRequest | undefined, scope: undefined as CancellationScope | undefined, step: '' };
  setHandler(abortSignal, (req) => {
    if (state.aborted) return;
    state.aborted = req;
    state.scope?.cancel();
  });
  setHandler(stepQuery, () => state.step);
  return state;
}

function stepPhase(name: string, model: 'closed' | 'open', level: number, durationMs: number, generators = 1): BaselinePhase {
  return model === 'closed'
    ? { name, model, users: level, rampUp: '0s', duration: formatDurationMs(durationMs), generators }
    : { name, model, rate: level, rampUp: '0s', duration: formatDurationMs(durationMs), generators };
}

export type { SpikeResult, StressResult };

/**
 * Sleeps durably (a workflow timer, nothing running) until `needMs` of load fits inside the run window;
 * an abort ends the wait. Returns the wait, if there was one, for the result.
 */
async function waitForWindow(state: ReturnType<typeof childState>, w: RunWindow | undefined, needMs: number, before: string): Promise<WindowWait | undefined> {
  if (!w) return undefined;
  // Validation guarantees the load fits the window; the start-up slack must not make it never fit.
  needMs = Math.min(needMs, windowLengthMinutes(w) * 60_000);
  const from = Date.now();
  let reason: WindowWait['reason'] | undefined;
  for (let d = windowDecision(from, w, needMs); !d.run && !state.aborted; d = windowDecision(Date.now(), w, needMs)) {
    reason ??= d.reason;
    state.step = `${before}: waiting for the window ${w.start}-${w.end} ${w.timezone}, opens ${new Date(d.opensAtMs).toISOString()}`;
    await condition(() => !!state.aborted, d.waitMs);
  }
  if (!reason) return undefined;
  return { before, from: new Date(from).toISOString(), until: new Date(Date.now()).toISOString(), waitedS: Math.round((Date.now() - from) / 1000), reason };
}

/** Progressive stress: raise the load step by step until a stop criterion holds on a step's own window. */
export async function stressWorkflow(input: ChildPhaseInput): Promise<StressResult> {
  const cfg = input.campaign.stress!;
  const state = childState();
  const stepMs = parseDurationMs(cfg.stepDuration) ?? 0;
  const warmupMs = parseDurationMs(cfg.warmup) ?? 0;
  const steps: StepResult[] = [];
  const measured = new Map<number, MeasuredStep>();
  const waits: WindowWait[] = [];
  let stopped: StressSummary['stoppedBecause'] | undefined;
  let error: string | undefined;

  for (let index = 0; !stopped; index++) {
    const decision = cfg.mode === 'adaptive'
      ? nextAdaptiveStep(steps, { start: cfg.startUsers, max: cfg.maxUsers, resolution: cfg.resolution, invalidRetries: 1 })
      : nextStressStep(steps, { start: cfg.startUsers, step: cfg.stepUsers, max: cfg.maxUsers, invalidRetries: 1 });
    if ('stop' in decision) {
      stopped = decision.stop;
      break;
    }
    if (state.aborted) {
      stopped = 'aborted';
      break;
    }
    const level = decision.next;
    const phaseName = `stress-${String(index + 1).padStart(2, '0')}-${level}`;
    // Probes of the adaptive search run half a step (never shorter than the warm-up plus 1 s).
    const runMs = warmupMs + ('probe' in decision && decision.probe ? Math.max(1_000, Math.round(stepMs / 2 / 1000) * 1000) : stepMs);
    const waited = await waitForWindow(state, cfg.window, runMs + SYNC_START_MS + 5_000, `step ${index + 1}`);
    if (waited) waits.push(waited);
    if (state.aborted) {
      stopped = 'aborted';
      break;
    }
    state.step = `step ${index + 1}: ${level} ${cfg.model === 'closed' ? 'users' : 'req/s'}`;
    const startedAt = new Date(Date.now()).toISOString();
    const phase = stepPhase(phaseName, cfg.model, level, runMs);
    const run = await runLoadStep({ campaignId: input.campaignId, phase, campaign: input.campaign, thresholds: [], onScope: (s) => (state.scope = s) });
    if (run.kind === 'error') {
      error = run.reason;
      stopped = 'generator_invalid';
      break;
    }
    const m = await store.measureLoadStep({ campaignId: input.campaignId, phaseName, phase, scenario: input.campaign.scenario, level, warmupS: Math.ceil(warmupMs / 1000) });
    measured.set(index, m);
    const { endpoints: _e, endpointErrors, generator: _g, ...measurement } = m;
    steps.push({ ...measurement, index, durationS: runMs / 1000, startedAt, endpointErrors, ...judgeStep(measurement, cfg.stopWhen) });
    if (run.kind === 'cancelled') stopped = 'aborted';
  }

  const summary = summarizeStress(steps, stopped ?? 'aborted', (warmupMs + stepMs) / 1000);
  const breaking = steps.find((s) => s.status === 'fail');
  const result: StressResult = {
    model: cfg.model,
    steps: steps.map((s) => ({ ...s, endpointErrors: s.endpointErrors ?? [] })),
    summary,
    zones: operatingZones(steps),
    endpointsAtBreakingPoint: breaking ? measured.get(breaking.index)?.endpoints ?? [] : [],
    stopWhen: cfg.stopWhen,
    ...(waits.length ? { waits } : {}),
    ...(error ? { error } : {}),
  };
  await store.recordPhaseResult({ campaignId: input.campaignId, phase: 'stress', result });
  await condition(allHandlersFinished);
  return result;
}

/**
 * Spike and recovery: a stable baseline level, a jump to the spike load held for its duration, then the
 * baseline level again while recovery is measured window by window against the pre-spike baseline.
 */
export async function spikeWorkflow(input: ChildPhaseInput): Promise<SpikeResult> {
  const cfg = input.campaign.spike!;
  const state = childState();
  const model = 'closed' as const;
  const withinMs = parseDurationMs(cfg.recovery.within) ?? 0;
  const windowS = Math.max(1, Math.round((parseDurationMs(cfg.recovery.window) ?? 5_000) / 1000));
  const result: SpikeResult = { users: cfg.users, baselineUsers: cfg.baselineUsers, errorsDuringSpike: 0, recovered: false, recoveryTimeS: null, withinS: withinMs / 1000, crashed: false };
  const finish = async () => {
    if (state.aborted) result.aborted = true;
    await store.recordPhaseResult({ campaignId: input.campaignId, phase: 'spike', result });
    await condition(allHandlersFinished);
    return result;
  };
  const step = async (name: string, users: number, durationMs: number, startInMs?: number) => {
    const phase = stepPhase(name, model, users, durationMs);
    const run = await runLoadStep({ campaignId: input.campaignId, phase, campaign: input.campaign, thresholds: [], startInMs, onScope: (s) => (state.scope = s) });
    if (run.kind !== 'done') return { run, phase };
    const m = await store.measureLoadStep({ campaignId: input.campaignId, phaseName: name, phase, scenario: input.campaign.scenario, level: users, warmupS: 0 });
    return { run, phase, m };
  };

  const spikeMs = (parseDurationMs(cfg.baselineDuration) ?? 30_000) + (parseDurationMs(cfg.duration) ?? 0) + withinMs;
  const waited = await waitForWindow(state, cfg.window, spikeMs + 3 * (SYNC_START_MS + 5_000), 'spike');
  if (waited) result.waits = [waited];
  if (state.aborted) return finish();

  state.step = `baseline level: ${cfg.baselineUsers} users`;
  const before = await step('spike-1-baseline', cfg.baselineUsers, parseDurationMs(cfg.baselineDuration) ?? 30_000);
  if (!before.m) {
    if (before.run.kind === 'error') result.error = before.run.reason;
    return finish();
  }
  result.baseline = { p95Ms: before.m.latencyMs.p95, errorRate: before.m.errorRate, throughputRps: before.m.throughputRps };
  if (state.aborted) return finish();

  state.step = `spike: ${cfg.users} users`;
  const spike = await step('spike-2-spike', cfg.users, parseDurationMs(cfg.duration) ?? 0, 200);
  if (!spike.m) {
    if (spike.run.kind === 'error') result.error = spike.run.reason;
    return finish();
  }
  result.spike = { p95Ms: spike.m.latencyMs.p95, errorRate: spike.m.errorRate, errors: spike.m.errors, throughputRps: spike.m.throughputRps };
  result.errorsDuringSpike = spike.m.errors;
  if (state.aborted) return finish();

  // Did the spike take the target down? Probe health right after it.
  const health = await probe.checkTargetHealth({ target: input.campaign.target }).catch(() => ({ ok: false }));
  result.crashed = !health.ok;

  state.step = `recovery: ${cfg.baselineUsers} users, up to ${cfg.recovery.within}`;
  const after = await step('spike-3-recovery', cfg.baselineUsers, withinMs, 200);
  if (after.run.kind !== 'done') {
    if (after.run.kind === 'error') result.error = after.run.reason;
    return finish();
  }
  const windows = await store.loadRecoveryWindows({ campaignId: input.campaignId, phaseName: 'spike-3-recovery', windowS });
  const t = recoveryTime(windows, result.baseline, { windows: cfg.recovery.windows, tolerance: cfg.recovery.tolerance });
  result.recovered = t !== undefined;
  result.recoveryTimeS = t ?? null;
  return finish();
}
