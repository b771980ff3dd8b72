/**
 * Progressive stress until failure, and spike with measured recovery: child workflows of the campaign.
 * The step loop lives here (deterministic, one activity per step, visible in history); whether a step
 * failed and what comes next are pure functions in core/stress.ts, judged on each step's own window.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  allHandlersFinished,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { MeasuredStage, MeasuredStep } from '../activities/stress';
import { judgeDegradation, type DegradationInput } from '../core/degradation';
import { defaultRampMs } from '../config/load-plan';
import { loadTaskQueue } from '../core/names';
import { HISTORY_LIMITS } from '../config/limits';
import type { BaselinePhase, Campaign, MonitoringConfig } from '../config/schema';
import { checksAt, type CheckResult } from '../core/monitoring';
import { formatDurationMs, parseDurationMs } from '../core/duration';
import {
  judgeRecoveryAfterLoad,
  judgeStep,
  nextAdaptiveStep,
  nextStressStep,
  operatingZones,
  recoveryTime,
  startedAboveCapacity,
  stressReturn,
  summarizeStress,
  type RecoveryAfterLoad,
  type SpikeResult,
  type StepResult,
  type StressResult,
  type StressReturn,
  type StressSummary,
  type TelemetrySample,
  type WindowWait,
} from '../core/stress';
import { windowDecision, windowLengthMinutes, type RunWindow } from '../core/window';
import { probe, store, type Activities } from './proxies';
import { runLoadStep, SYNC_START_MS } from './load-step';
import { abortSignal, stepQuery, type AbortRequest } from './messages';
import { PERMANENT, PERMANENT_LOAD } from '../core/errors';

/** Check results stamped with workflow time (deterministic). */
const check = checksAt(() => new Date());

/** Input of the stress and spike workflows. */
export interface ChildPhaseInput {
  campaignId: string;
  campaign: Campaign;
}

/** Shared plumbing: abort handling and the current step's scope. */
function childState() {
  const state = {
    aborted: undefined as AbortRequest | undefined,
    scope: undefined as CancellationScope | undefined,
    step: '',
  };
  setHandler(abortSignal, (req) => {
    if (state.aborted) return;
    state.aborted = req;
    state.scope?.cancel();
  });
  setHandler(stepQuery, () => state.step);
  return state;
}

function stepPhase(
  name: string,
  model: 'closed' | 'open',
  level: number,
  durationMs: number,
  rampUp = '0s',
  generators = 1,
): BaselinePhase {
  return model === 'closed'
    ? { name, model, users: level, rampUp, duration: formatDurationMs(durationMs), generators }
    : { name, model, rate: level, rampUp, duration: formatDurationMs(durationMs), generators };
}

/** The spike's deliberate jump: all its users arrive within its first second, not in one instant. */
const SPIKE_RAMP = '1s';

export type { SpikeResult, StressResult };

/**
 * Whether the stress has run as many step attempts as one history holds (config/limits.ts). Asked only there, so a
 * history recorded before the limit (it could run longer) replays unchanged (patched).
 */
const atStepLimit = (index: number) => index >= HISTORY_LIMITS.stressStepAttempts && patched('stress-step-limit');

/** A stress step's name, also the name its measurements are stored under: `stress-02-250`. */
const stepName = (index: number, level: number) => `stress-${String(index + 1).padStart(2, '0')}-${level}`;

/** A measured step, judged: the step's own figures (the endpoint table and the generator's stay out). */
function judged(
  m: MeasuredStep,
  stopWhen: string[],
  at: { index: number; durationS: number; startedAtMs: number; telemetry?: TelemetrySample[] },
): StepResult {
  const { endpoints: _e, endpointErrors, generator: _g, degradation: _d, ...measurement } = m;
  // A step in whose window no request completed cannot be judged (it is shorter than a user's think time, or the
  // generator stalled): invalid, re-run once, never a breaking point. (Patched: asked only for such a step, so a
  // history that judged one failed replays unchanged.)
  const unmeasured = m.requests === 0 && !m.invalid && patched('stress-empty-step-invalid');
  const base = {
    ...measurement,
    index: at.index,
    durationS: at.durationS,
    startedAt: new Date(at.startedAtMs).toISOString(),
    endpointErrors,
    ...(at.telemetry ? { telemetry: at.telemetry } : {}),
  };
  if (unmeasured) {
    const invalidReason =
      "no request completed in the step's judged window: make stepDuration longer than scenario.thinkTime";
    return { ...base, invalid: true, invalidReason, status: 'invalid' };
  }
  return { ...base, ...judgeStep(measurement, stopWhen) };
}

/**
 * Sleeps durably (a workflow timer, nothing running) until `needMs` of load fits inside the run window;
 * an abort ends the wait. Returns the wait, if there was one, for the result.
 */
async function waitForWindow(
  state: ReturnType<typeof childState>,
  w: RunWindow | undefined,
  needMs: number,
  before: string,
): Promise<WindowWait | undefined> {
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
  return {
    before,
    from: new Date(from).toISOString(),
    until: new Date(Date.now()).toISOString(),
    waitedS: Math.round((Date.now() - from) / 1000),
    reason,
  };
}

/** PromQL reads for telemetry and alert accuracy: quick, a few tries; a failure never stops the stress run. */
const monitorProbe = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [...PERMANENT] },
});

/**
 * Alert accuracy under load: for each expected alert, the first step whose own window breached its
 * condition; the alert must have reached pending or firing in Prometheus within `within` of that step's
 * start (after warm-up). Steps never breaching it make the check not evaluable, never a pass.
 */
async function alertAccuracy(
  monitoring: MonitoringConfig,
  steps: StepResult[],
  warmupMs: number,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const expected of monitoring.alertsUnderLoad) {
    const id = `alerts_under_load.${expected.alert}`;
    const title = `${expected.alert} fires when ${expected.when} under load`;
    const withinMs = parseDurationMs(expected.within) ?? 120_000;
    const breach = steps.find(
      (s) => s.status !== 'invalid' && s.startedAt && judgeStep(s, [expected.when]).status === 'fail',
    );
    const endpoint = `${monitoring.prometheus!.url}/api/v1/query_range (ALERTS{alertname="${expected.alert}"})`;
    if (!breach) {
      out.push(
        check(
          id,
          title,
          'P1',
          'not_evaluable',
          {
            endpoint,
            observed: `no step breached ${expected.when}`,
            expected: `${expected.alert} pending or firing within ${expected.within} of a breach`,
          },
          'Raise stress.maxUsers (or lower the condition) so a step breaches it, or check the alert by another drill.',
        ),
      );
      continue;
    }
    const fromMs = Date.parse(breach.startedAt!) + warmupMs;
    const seen = await monitorProbe
      .alertFiredWithin({ monitoring, alert: expected.alert, fromMs, withinMs })
      .catch((err: Error) => ({ firstSeenMs: null, states: [] as string[], error: err.message }));
    const observed = {
      breachedAtStep: breach.level,
      breach: judgeStep(breach, [expected.when]).failed,
      firstSeenAfterS: seen.firstSeenMs === null ? null : Math.round((seen.firstSeenMs - fromMs) / 100) / 10,
      states: seen.states,
      ...(seen.error ? { error: seen.error } : {}),
    };
    const status = seen.error ? 'error' : seen.firstSeenMs !== null ? 'pass' : 'fail';
    out.push(
      check(
        id,
        title,
        'P1',
        status,
        { endpoint, observed, expected: `pending or firing within ${expected.within} of the breach` },
        `The alert ${expected.alert} should have fired and did not: check that the rule is loaded, that its expression matches what the service exports, and its "for" duration.`,
      ),
    );
  }
  return out;
}

/** Progressive stress: raise the load step by step until a stop criterion holds on a step's own window. */
export async function stressWorkflow(input: ChildPhaseInput): Promise<StressReturn> {
  const cfg = input.campaign.stress!;
  const state = childState();
  // A run window pauses between steps with nothing running: those keep a separate load per step.
  const result =
    !cfg.window && patched('continuous-stress')
      ? await continuousStress(input, state)
      : await steppedStress(input, state);
  // The whole result is stored (recordPhaseResult); the campaign gets what its outcome and monitoring need.
  return stressReturn(result);
}

/** The step-by-step stress of run windows (and of histories recorded before the continuous ramp). */
async function steppedStress(input: ChildPhaseInput, state: ReturnType<typeof childState>): Promise<StressResult> {
  const cfg = input.campaign.stress!;
  const monitoring = input.campaign.monitoring;
  const stepMs = parseDurationMs(cfg.stepDuration) ?? 0;
  const warmupMs = parseDurationMs(cfg.warmup) ?? 0;
  // Each step of a run window starts from no load: its users arrive over a ramp (as the continuous ramp's added
  // users do), kept out of the judged window, so a step does not open with a thundering herd. (Patched: histories
  // recorded before started every user at once.)
  const rampMs =
    cfg.window && patched('stepped-stress-ramp')
      ? cfg.ramp !== undefined
        ? (parseDurationMs(cfg.ramp) ?? 0)
        : defaultRampMs(stepMs)
      : 0;
  const steps: StepResult[] = [];
  const measured = new Map<number, MeasuredStep>();
  const waits: WindowWait[] = [];
  let stopped: StressSummary['stoppedBecause'] | undefined;
  let error: string | undefined;

  // Histories from before the downward search stopped at a failing first step.
  let downward: boolean | undefined;
  for (let index = 0; !stopped; index++) {
    if (
      cfg.mode === 'linear' &&
      steps.length &&
      !steps.some((s) => s.status === 'pass') &&
      steps[steps.length - 1]!.status === 'fail'
    )
      downward ??= patched('stress-downward-search');
    const decision =
      cfg.mode === 'adaptive'
        ? nextAdaptiveStep(steps, {
            start: cfg.startUsers,
            max: cfg.maxUsers,
            resolution: cfg.resolution,
            invalidRetries: 1,
          })
        : nextStressStep(steps, {
            start: cfg.startUsers,
            step: cfg.stepUsers,
            max: cfg.maxUsers,
            invalidRetries: 1,
            downward: downward ?? true,
          });
    if ('stop' in decision) {
      stopped = decision.stop;
      break;
    }
    if (atStepLimit(index)) {
      stopped = 'step_limit';
      break;
    }
    if (state.aborted) {
      stopped = 'aborted';
      break;
    }
    const level = decision.next;
    const phaseName = stepName(index, level);
    // Probes of the adaptive search run half a step (never shorter than the warm-up plus 1 s).
    const runMs =
      rampMs +
      warmupMs +
      ('probe' in decision && decision.probe ? Math.max(1_000, Math.round(stepMs / 2 / 1000) * 1000) : stepMs);
    const waited = await waitForWindow(state, cfg.window, runMs + SYNC_START_MS + 5_000, `step ${index + 1}`);
    if (waited) waits.push(waited);
    if (state.aborted) {
      stopped = 'aborted';
      break;
    }
    state.step = `step ${index + 1}: ${level} ${cfg.model === 'closed' ? 'users' : 'req/s'}`;
    const startedAt = new Date(Date.now()).toISOString();
    const phase = stepPhase(phaseName, cfg.model, level, runMs, formatDurationMs(rampMs));
    const run = await runLoadStep({
      campaignId: input.campaignId,
      phase,
      campaign: input.campaign,
      thresholds: [],
      onScope: (s) => (state.scope = s),
    });
    if (run.kind === 'error') {
      error = run.reason;
      stopped = 'generator_invalid';
      break;
    }
    const m = await store.measureLoadStep({
      campaignId: input.campaignId,
      phaseName,
      phase,
      level,
      warmupS: Math.ceil((rampMs + warmupMs) / 1000),
      stopWhen: cfg.stopWhen,
    });
    measured.set(index, m);
    // What the target says about itself at the end of the step (pool in use, queue depth, ...).
    // Sampled just before the step's load ended, so it shows the target under that load.
    const loadStart = run.kind === 'done' ? run.startAtMs : Date.parse(startedAt);
    const telemetry =
      cfg.telemetry.length && monitoring
        ? await monitorProbe
            .sampleTelemetry({ monitoring, queries: cfg.telemetry, atMs: loadStart + runMs - 500 })
            .catch(() => undefined)
        : undefined;
    steps.push(
      judged(m, cfg.stopWhen, {
        index,
        durationS: runMs / 1000,
        startedAtMs: loadStart,
        ...(telemetry ? { telemetry } : {}),
      }),
    );
    if (run.kind === 'cancelled') stopped = 'aborted';
  }

  const alertChecks = monitoring?.alertsUnderLoad.length ? await alertAccuracy(monitoring, steps, warmupMs) : [];
  const summary = summarizeStress(steps, stopped ?? 'aborted', (rampMs + warmupMs + stepMs) / 1000);
  const breaking = steps.find((s) => s.status === 'fail');
  const result: StressResult = {
    model: cfg.model,
    steps: steps.map((s) => ({ ...s, endpointErrors: s.endpointErrors ?? [] })),
    summary,
    zones: operatingZones(steps),
    endpointsAtBreakingPoint: breaking ? (measured.get(breaking.index)?.endpoints ?? []) : [],
    stopWhen: cfg.stopWhen,
    ...(waits.length ? { waits } : {}),
    ...(alertChecks.length ? { alertChecks } : {}),
    ...(error ? { error } : {}),
    ...(startedAboveCapacity(steps) ? { startAboveCapacity: true } : {}),
  };
  await store.recordPhaseResult({ campaignId: input.campaignId, phase: 'stress', result });
  await condition(allHandlersFinished);
  return result;
}

/** How the continuous ramp's stage measurement and bookkeeping are called. */
const stageStore = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...PERMANENT],
  },
});

/** One try (what an aborted step stored, if anything). */
const stageOnce = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 1 },
});

/** The timeline name of the continuous ramp (its stages are stored under their own names). */
const STRESS_PHASE = 'stress';

/**
 * The continuous ramp: one long-running load activity on the load task queue keeps the load going; for each
 * step the workflow writes the next level (the running load applies it within a quarter of a second, the added
 * users spread over `ramp`), waits for the stage's judged window to be stored, measures and judges it, and
 * decides the next. After the stop: the target's health right away (degradation), then the first passing level
 * again until `recovery.within` (recovery after load reduction), then the stop.
 */
async function continuousStress(input: ChildPhaseInput, state: ReturnType<typeof childState>): Promise<StressResult> {
  const cfg = input.campaign.stress!;
  const monitoring = input.campaign.monitoring;
  const { campaignId } = input;
  const stepMs = parseDurationMs(cfg.stepDuration) ?? 0;
  const warmupMs = parseDurationMs(cfg.warmup) ?? 0;
  const rampMs = cfg.ramp !== undefined ? (parseDurationMs(cfg.ramp) ?? 0) : defaultRampMs(stepMs);
  const withinMs =
    cfg.recovery.within !== undefined
      ? (parseDurationMs(cfg.recovery.within) ?? 60_000)
      : Math.min(60_000, Math.max(15_000, 3 * stepMs));
  const windowS = Math.max(1, Math.round((parseDurationMs(cfg.recovery.window) ?? 2_000) / 1000));
  const steps: StepResult[] = [];
  const measured = new Map<number, MeasuredStage>();
  let stopped: StressSummary['stoppedBecause'] | undefined;
  let error: string | undefined;
  const gauges = cfg.telemetry.filter((t) => t.max !== undefined);
  const sample = (atMs?: number) =>
    gauges.length && monitoring
      ? monitorProbe
          .sampleTelemetry({ monitoring, queries: gauges, ...(atMs ? { atMs } : {}) })
          .catch(() => [] as TelemetrySample[])
      : Promise.resolve([] as TelemetrySample[]);
  const before = await sample();

  // A bound on how long the load may run: every possible stage, the recovery, and slack.
  const maxStages = (cfg.mode === 'adaptive' ? 40 : Math.ceil(cfg.maxUsers / cfg.stepUsers) + 2) + 20;
  const maxDurationMs = maxStages * (rampMs + warmupMs + stepMs + 15_000) + withinMs + 5 * 60_000;
  const load = proxyActivities<Activities>({
    taskQueue: loadTaskQueue(workflowInfo().taskQueue),
    scheduleToStartTimeout: '10 minutes',
    startToCloseTimeout: maxDurationMs + 5 * 60_000,
    heartbeatTimeout: parseDurationMs(input.campaign.settings.heartbeatTimeout) ?? 20_000,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...PERMANENT_LOAD],
    },
  });
  const scope = new CancellationScope();
  state.scope = scope;
  let ended: { error?: string } | undefined;
  const running = scope
    .run(() =>
      load.runContinuousLoad({
        campaignId,
        phase: STRESS_PHASE,
        model: cfg.model,
        maxLevel: cfg.maxUsers,
        maxDurationMs,
        target: input.campaign.target,
      }),
    )
    .then(
      () => {
        ended = {};
      },
      (err: unknown) => {
        ended = isCancellation(err)
          ? {}
          : { error: err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err) };
      },
    );

  let stage = 0;
  const put = (name: string, level: number, ramp: number, warmup: number, hold: number, stop = false) =>
    stageStore.putStressStage({
      campaignId,
      phase: STRESS_PHASE,
      stage: { stage: stage++, name, level, rampMs: ramp, warmupMs: warmup, holdMs: hold, stop },
    });
  /** Waits until `done()` or the load ended or an abort; true when `done()`. */
  const until = async (done: () => boolean, timeoutMs?: number) => {
    const stop = () => done() || !!ended || !!state.aborted;
    if (timeoutMs === undefined) await condition(stop);
    else await condition(stop, timeoutMs);
    return done();
  };

  for (let index = 0; !stopped; index++) {
    const decision =
      cfg.mode === 'adaptive'
        ? nextAdaptiveStep(steps, {
            start: cfg.startUsers,
            max: cfg.maxUsers,
            resolution: cfg.resolution,
            invalidRetries: 1,
          })
        : nextStressStep(steps, { start: cfg.startUsers, step: cfg.stepUsers, max: cfg.maxUsers, invalidRetries: 1 });
    if ('stop' in decision) {
      stopped = decision.stop;
      break;
    }
    if (atStepLimit(index)) {
      stopped = 'step_limit';
      break;
    }
    if (state.aborted || ended) break;
    const level = decision.next;
    const name = stepName(index, level);
    const holdMs =
      'probe' in decision && decision.probe ? Math.max(1_000, Math.round(stepMs / 2 / 1000) * 1000) : stepMs;
    state.step = `step ${index + 1}: ${level} ${cfg.model === 'closed' ? 'users' : 'req/s'} (continuous ramp)`;
    await put(name, level, rampMs, warmupMs, holdMs);
    const startedAt = Date.now();
    let m: MeasuredStage | undefined;
    let failed: string | undefined;
    const measuring = new CancellationScope();
    const done = measuring
      .run(() =>
        stageStore.measureStressStage({
          campaignId,
          name,
          model: cfg.model,
          level,
          waitMs: rampMs + warmupMs + holdMs + 90_000,
          stopWhen: cfg.stopWhen,
        }),
      )
      .then(
        (v) => {
          m = v;
        },
        (err: Error) => {
          failed = isCancellation(err)
            ? undefined
            : err instanceof ActivityFailure
              ? (err.cause?.message ?? err.message)
              : err.message;
        },
      );
    if (!(await until(() => !!m || !!failed))) {
      measuring.cancel();
      await done;
      if (state.aborted) {
        // What the aborted step measured until the load stopped is kept (stored by the cancelled load activity).
        await running;
        m = await stageOnce
          .measureStressStage({
            campaignId,
            name,
            model: cfg.model,
            level,
            waitMs: 2_000,
            stopWhen: cfg.stopWhen,
          })
          .catch(() => undefined);
        if (m) {
          measured.set(index, m);
          steps.push(
            judged(m, cfg.stopWhen, { index, durationS: (Date.now() - startedAt) / 1000, startedAtMs: startedAt }),
          );
        }
      }
      break;
    }
    if (!m) {
      error = `${name}: ${failed}`;
      stopped = 'generator_invalid';
      break;
    }
    const got: MeasuredStage = m;
    measured.set(index, got);
    const telemetry =
      cfg.telemetry.length && monitoring
        ? await monitorProbe
            .sampleTelemetry({ monitoring, queries: cfg.telemetry, atMs: Date.now() - 500 })
            .catch(() => undefined)
        : undefined;
    steps.push(
      judged(got, cfg.stopWhen, {
        index,
        durationS: holdMs / 1000,
        startedAtMs: startedAt,
        ...(telemetry ? { telemetry } : {}),
      }),
    );
  }
  if (state.aborted) stopped = 'aborted';
  if (!stopped && ended) {
    error = ended.error ?? 'the continuous load ended before the stress run did';
    stopped = 'generator_invalid';
  }

  // Degradation: the steps past the breaking point, and the target's health right after them.
  const failing = steps.filter((s) => s.status === 'fail');
  const firstPass = steps.find((s) => s.status === 'pass');
  const health = () =>
    probe
      .checkTargetHealth({ target: input.campaign.target })
      .catch((err: Error) => ({ ok: false, error: err.message, status: undefined }));
  let healthAfter: Awaited<ReturnType<typeof health>> | undefined;
  let recoveryStage: number | undefined;
  if (failing.length && firstPass && !state.aborted && !ended) {
    state.step = `recovery after load reduction: ${firstPass.level} ${cfg.model === 'closed' ? 'users' : 'req/s'}, up to ${formatDurationMs(withinMs)}`;
    recoveryStage = stage;
    // Users removed stop after their request in flight: the load goes down at once (a ramp of 1 s for the open model).
    await put(`stress-recovery-${firstPass.level}`, firstPass.level, 1_000, 0, withinMs);
    // Health right after the overload: once the load is down (the poll applies it within a quarter second).
    await until(() => false, 1_500);
    healthAfter = await health();
    await until(() => false, withinMs - 500);
    // Cut short (abort, the load failed): not enough to judge the recovery.
    if (state.aborted || ended) recoveryStage = undefined;
  }
  await put('stop', 0, 0, 0, 0, true);
  await until(() => !!ended, 60_000);
  if (!ended) scope.cancel();
  await running;
  if (failing.length && !healthAfter && !state.aborted) healthAfter = await health();
  // Gauges after the stress, with no load running, as they were sampled before it.
  const after = recoveryStage !== undefined ? await sample() : [];

  const { timeline, recovery } = await store.loadStressTimeline({
    campaignId,
    phase: STRESS_PHASE,
    recoveryStage,
    windowS,
    withPoints: false,
  });
  const statusOf = new Map(steps.map((s) => [stepName(s.index, s.level), s.status]));
  timeline.stages = timeline.stages.map((t) => ({
    ...t,
    status: t.name.startsWith('stress-recovery-') ? ('recovery' as const) : statusOf.get(t.name),
  }));
  const recoveryAfterLoad: RecoveryAfterLoad | undefined =
    recoveryStage !== undefined && firstPass
      ? judgeRecoveryAfterLoad(
          recovery,
          { p95Ms: firstPass.latencyMs.p95, errorRate: firstPass.errorRate },
          firstPass.level,
          { windows: cfg.recovery.windows, tolerance: cfg.recovery.tolerance, withinS: withinMs / 1000 },
          gauges.map((g) => ({
            name: g.name,
            max: g.max,
            before: before.find((b) => b.name === g.name)?.value ?? null,
            after: after.find((b) => b.name === g.name)?.value ?? null,
          })),
        )
      : undefined;
  // A failing step's measurement carries its degradation figures (a passing one, none: nothing failed in it).
  const inputs: DegradationInput[] = failing.flatMap((s) => {
    const d = measured.get(s.index)?.degradation;
    return d ? [{ source: `stress step ${s.level}`, ...d }] : [];
  });
  const degradation = inputs.length
    ? judgeDegradation(
        inputs,
        healthAfter
          ? {
              ok: healthAfter.ok,
              ...('status' in healthAfter && healthAfter.status !== undefined ? { status: healthAfter.status } : {}),
              ...(healthAfter.error ? { error: healthAfter.error } : {}),
            }
          : null,
      )
    : undefined;

  const alertChecks = monitoring?.alertsUnderLoad.length
    ? await alertAccuracy(monitoring, steps, rampMs + warmupMs)
    : [];
  const summary = summarizeStress(steps, stopped ?? 'aborted', (warmupMs + stepMs) / 1000);
  const breaking = steps.find((s) => s.status === 'fail');
  const result: StressResult = {
    model: cfg.model,
    ramp: 'continuous',
    steps: steps.map((s) => ({ ...s, endpointErrors: s.endpointErrors ?? [] })),
    summary,
    zones: operatingZones(steps),
    endpointsAtBreakingPoint: breaking ? (measured.get(breaking.index)?.endpoints ?? []) : [],
    stopWhen: cfg.stopWhen,
    startAboveCapacity: startedAboveCapacity(steps),
    ...(degradation ? { degradation } : {}),
    ...(recoveryAfterLoad ? { recoveryAfterLoad } : {}),
    timeline,
    ...(alertChecks.length ? { alertChecks } : {}),
    ...(error ? { error } : {}),
  };
  state.scope = undefined;
  await store.recordPhaseResult({ campaignId, phase: 'stress', result, timelinePointsOf: STRESS_PHASE });
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
  const result: SpikeResult = {
    users: cfg.users,
    baselineUsers: cfg.baselineUsers,
    errorsDuringSpike: 0,
    recovered: false,
    recoveryTimeS: null,
    withinS: withinMs / 1000,
    crashed: false,
  };
  const finish = async () => {
    if (state.aborted) result.aborted = true;
    await store.recordPhaseResult({ campaignId: input.campaignId, phase: 'spike', result });
    await condition(allHandlersFinished);
    return result;
  };
  const step = async (name: string, users: number, durationMs: number, startInMs?: number, rampUp?: string) => {
    const phase = stepPhase(name, model, users, durationMs, rampUp ?? formatDurationMs(defaultRampMs(durationMs)));
    const run = await runLoadStep({
      campaignId: input.campaignId,
      phase,
      campaign: input.campaign,
      thresholds: [],
      startInMs,
      onScope: (s) => (state.scope = s),
    });
    if (run.kind !== 'done') return { run, phase };
    const m = await store.measureLoadStep({
      campaignId: input.campaignId,
      phaseName: name,
      phase,
      level: users,
      warmupS: 0,
    });
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
  result.baseline = {
    p95Ms: before.m.latencyMs.p95,
    errorRate: before.m.errorRate,
    throughputRps: before.m.throughputRps,
  };
  if (state.aborted) return finish();

  state.step = `spike: ${cfg.users} users`;
  const spike = await step('spike-2-spike', cfg.users, parseDurationMs(cfg.duration) ?? 0, 200, SPIKE_RAMP);
  if (!spike.m) {
    if (spike.run.kind === 'error') result.error = spike.run.reason;
    return finish();
  }
  result.spike = {
    p95Ms: spike.m.latencyMs.p95,
    errorRate: spike.m.errorRate,
    errors: spike.m.errors,
    throughputRps: spike.m.throughputRps,
  };
  result.errorsDuringSpike = spike.m.errors;
  if (state.aborted) return finish();

  // Did the spike take the target down? Probe health right after it.
  const health = await probe
    .checkTargetHealth({ target: input.campaign.target })
    .catch((err: Error) => ({ ok: false, error: err.message, status: undefined }));
  result.crashed = !health.ok;
  if (spike.m.degradation && (spike.m.errors > 0 || !health.ok)) {
    result.degradation = judgeDegradation([{ source: 'spike', ...spike.m.degradation }], {
      ok: health.ok,
      ...(health.status !== undefined ? { status: health.status } : {}),
      ...(health.error ? { error: health.error } : {}),
    });
  }

  state.step = `recovery: ${cfg.baselineUsers} users, up to ${cfg.recovery.within}`;
  const after = await step('spike-3-recovery', cfg.baselineUsers, withinMs, 200, SPIKE_RAMP);
  if (after.run.kind !== 'done') {
    if (after.run.kind === 'error') result.error = after.run.reason;
    return finish();
  }
  const windows = await store.loadRecoveryWindows({
    campaignId: input.campaignId,
    phaseName: 'spike-3-recovery',
    windowS,
  });
  const t = recoveryTime(windows, result.baseline, {
    windows: cfg.recovery.windows,
    tolerance: cfg.recovery.tolerance,
  });
  result.recovered = t !== undefined;
  result.recoveryTimeS = t ?? null;
  return finish();
}
