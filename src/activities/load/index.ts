import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { BaselinePhase, Campaign, ThresholdEntry } from '../../config/schema';
import { planFromPhase, shiftPlan, splitPlan } from '../../config/load-plan';
import { resolutionOf } from '../../config/schema';
import { evaluateThresholds, isThreshold, parseThreshold } from '../../core/thresholds';
import type { BaselinePhaseResult } from '../../core/types';
import {
  decodeHistogram,
  encodeHistogram,
  Metrics,
  newHistogram,
  type EncodedMetrics,
  type EncodedWindow,
} from '../../engine/metrics';
import { mergeHealth, mergeSlices, NO_HEALTH } from '../../engine/merge';
import { runLoad, type GeneratorHealth } from '../../engine/run';
import type { DataSourceRun, DataTable } from '../../engine/data-feed';
import { summarizePhase, thresholdParts } from '../../engine/summary';
import type { Logger } from '../../infra/logger';
import { loadPhaseOf, toolMetrics } from '../../infra/metrics';
import { recordedCampaign, scenarioOf } from '../campaign-config';
import { TimelineWriter } from './timeline';
import type { ResultsStore } from '../../infra/results-store';
import type { EgressPolicy } from '../../core/egress';
import { FAILURE } from '../../core/errors';
import { scrubSecretsDeep, type SecretResolver } from '../../infra/secrets';
import { allowedUrl } from '../egress';

/** Dependencies of the load activities. */
export interface LoadDeps {
  logger: Logger;
  store: ResultsStore;
  egress: EgressPolicy;
  secrets: SecretResolver;
  /** Worker caps: a slice asking for more users or req/s than this is refused (non-retryable). */
  maxUsers?: number;
  maxRate?: number;
}

/** Input of one load slice: generator `slice` of `slices` for one phase. */
export interface LoadSliceInput {
  campaignId: string;
  phase: BaselinePhase;
  slice: number;
  slices: number;
  target: Campaign['target'];
  /** Only in histories recorded before the scenario was passed by reference (the campaign id): see scenarioOf. */
  scenario?: Campaign['scenario'];
  thresholds: ThresholdEntry[];
  /** Synchronised start (epoch ms) chosen by the workflow for every slice of the phase. */
  startAtMs: number;
}

/** A slice's heartbeated checkpoint: everything measured so far, a few KB. */
export interface SliceCheckpoint {
  elapsedMs: number;
  metrics: EncodedMetrics;
  health: GeneratorHealth;
  notes: string[];
  /** Stopped early by an abortOnFail threshold. */
  stoppedEarly?: boolean;
  /** True once the load has finished and only storing is left. */
  done: boolean;
  /**
   * Timeline seconds not yet stored because the results database was unreachable (kept in the checkpoint,
   * at most an hour of them, so a retry stores them instead of running the load again).
   */
  pendingWindows?: EncodedWindow[];
}

/** At most this many unstored timeline seconds are carried in a checkpoint (an hour; a few hundred KB). */
const MAX_PENDING_WINDOWS = 3_600;

/** What a slice returns to the workflow: small; the measurements themselves are in Postgres. */
export interface LoadSliceSummary {
  slice: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  aborted: boolean;
}

/** Windows evaluated by `abortOnFail` thresholds: the last 10 s, judged once 10 s have run. */
const ABORT_WINDOW_S = 10;
/** A shared start further ahead than this (ms) is clock skew, not a start time: see runLoadSlice. */
const MAX_START_WAIT_MS = 60_000;

/** The target's and the requests' headers with their `{ fromEnv }` secrets resolved; the values stay in this process. */
export function resolveHeaders(
  secrets: SecretResolver,
  target: Campaign['target'],
  scenario: Campaign['scenario'],
): { headers: Record<string, string>; scenario: Campaign['scenario'] } {
  return {
    headers: secrets.headers(target.headers, 'target.headers'),
    scenario: {
      ...scenario,
      requests: scenario.requests.map((r, i) =>
        r.headers ? { ...r, headers: secrets.headers(r.headers, `scenario.requests[${i}].headers`) } : r,
      ),
      ...(scenario.flows
        ? {
            flows: scenario.flows.map((f, i) => ({
              ...f,
              steps: f.steps.map((st, j) =>
                'headers' in st && st.headers
                  ? { ...st, headers: secrets.headers(st.headers, `scenario.flows[${i}].steps[${j}].headers`) }
                  : st,
              ),
            })),
          }
        : {}),
    },
  };
}

/** Data tables read from the results store, by ref: stress steps and phases of a campaign read the same ones. */
const dataCache = new Map<string, DataTable>();
const DATA_CACHE_SIZE = 4;

/**
 * The rows of the scenario's data sources (scenario.data), read from the results store by the ref the CLI set.
 * A source without a ref, or one the store does not have, is a non-retryable ConfigError: the campaign was not started
 * by the CLI that stores its data, or against another results database.
 */
export async function dataSources(
  store: Pick<ResultsStore, 'dataTable'>,
  scenario: Campaign['scenario'],
): Promise<Record<string, DataSourceRun> | undefined> {
  const data = scenario.data;
  if (!data || !Object.keys(data).length) return undefined;
  const out: Record<string, DataSourceRun> = {};
  for (const [name, source] of Object.entries(data)) {
    if (!source.ref)
      throw ApplicationFailure.nonRetryable(
        `scenario.data.${name}: no ref: the data file is stored by \`readiness start\` (or \`schedule create\`) before the campaign starts`,
        FAILURE.CONFIG,
      );
    let table = dataCache.get(source.ref);
    if (!table) {
      table = await store.dataTable(source.ref);
      if (!table)
        throw ApplicationFailure.nonRetryable(
          `scenario.data.${name}: data ${source.ref.slice(0, 12)} is not in the results store (started against another database?)`,
          FAILURE.CONFIG,
        );
      dataCache.set(source.ref, table);
      if (dataCache.size > DATA_CACHE_SIZE) dataCache.delete(dataCache.keys().next().value!);
    }
    out[name] = { table, mode: source.mode, onExhausted: source.onExhausted };
  }
  return out;
}

/** Encoded metrics as they may be stored: sampled error bodies scrubbed of every known secret. */
export function storable(metrics: EncodedMetrics): EncodedMetrics {
  return metrics.samples?.length ? { ...metrics, samples: scrubSecretsDeep(metrics.samples) } : metrics;
}

/** The worker's caps per generator (READINESS_MAX_USERS / READINESS_MAX_RATE), with their defaults. */
export function loadCaps(deps: Pick<LoadDeps, 'maxUsers' | 'maxRate'>): { maxUsers: number; maxRate: number } {
  return { maxUsers: deps.maxUsers ?? 20_000, maxRate: deps.maxRate ?? 50_000 };
}

/** Builds the load activities. */
export function createLoadActivities(deps: LoadDeps) {
  const { maxUsers, maxRate } = loadCaps(deps);

  return {
    /**
     * Runs one load generator's share of a phase in worker threads and stores its measurements.
     * Heartbeats a checkpoint every second; a retried attempt resumes from it, runs only the remaining
     * duration and merges, so the phase is counted once. Honours cancellation within a second.
     */
    async runLoadSlice(input: LoadSliceInput): Promise<LoadSliceSummary> {
      const ctx = Context.current();
      const { campaignId, phase, slice } = input;
      const log = deps.logger.child({
        campaignId,
        phase: loadPhaseOf(phase.name),
        step: phase.name,
        slice,
        attempt: ctx.info.attempt,
      });
      const origin = allowedUrl(input.target.baseUrl, '', 'target', deps.egress, 'target.baseUrl');
      const recorded = await recordedCampaign(deps.store, campaignId);
      const scenarioIn = input.scenario ?? recorded.scenario;
      const fullPlan = planFromPhase(phase, scenarioIn);
      const peakRate = Math.max(fullPlan.rate, ...fullPlan.stages.map((s) => s.target));
      if (fullPlan.users > maxUsers * input.slices || peakRate > maxRate * input.slices) {
        throw ApplicationFailure.nonRetryable(
          `phase ${phase.name}: ${fullPlan.users} users / ${peakRate} req/s exceeds this worker's caps (${maxUsers} users, ${maxRate} req/s per generator)`,
          FAILURE.LOAD_CAP,
        );
      }
      const { headers, scenario } = resolveHeaders(deps.secrets, input.target, scenarioIn);
      const data = await dataSources(deps.store, scenarioIn);
      // Baseline phases may run for days: their timeline is downsampled past its first minutes. Stress steps and
      // spike steps are judged on their seconds, and short: kept whole.
      const timeline = new TimelineWriter({
        store: deps.store,
        campaignId,
        phase: phase.name,
        slice,
        ...(loadPhaseOf(phase.name) === 'baseline' ? { resolution: resolutionOf(recorded.settings.timeline) } : {}),
      });
      const plan = splitPlan(fullPlan, input.slices)[slice];

      const checkpoint = ctx.info.heartbeatDetails as SliceCheckpoint | undefined;
      const resumedFromMs = checkpoint?.elapsedMs ?? 0;
      if (checkpoint) log.info({ resumedFromMs, done: checkpoint.done }, 'resuming load slice from checkpoint');
      let state: SliceCheckpoint = checkpoint ?? {
        elapsedMs: 0,
        metrics: new Metrics().encode(),
        health: NO_HEALTH,
        notes: [],
        done: false,
      };
      let aborted = false;

      if (!state.done) {
        // First attempt: wait for the shared start. With several generators a late one runs only until the
        // shared end (they measure the same period); a single generator runs its whole duration from now.
        const now = Date.now();
        const late = checkpoint || input.slices === 1 ? 0 : Math.max(0, now - input.startAtMs);
        // The shared start comes from workflow time. One far in the future means this host's clock and the
        // server's disagree (or the server skips time, as the test server does): start now, and say so.
        const skewed = input.startAtMs - now > MAX_START_WAIT_MS;
        if (skewed)
          log.warn(
            { startInMs: input.startAtMs - now },
            'shared start is far in the future: clock skew between this worker and the Temporal server; starting now',
          );
        const startAtMs = checkpoint || skewed ? now + 50 : Math.max(input.startAtMs, now + 50);
        // What is left of the plan: a resumed or late run continues its stages and ramp-up where they were.
        const rest = shiftPlan(plan, resumedFromMs + late);
        const remaining = rest.durationMs;
        if (late > 1000)
          state.notes = [...state.notes, `generator ${slice} started ${Math.round(late)} ms after the shared start`];
        if (skewed)
          state.notes = [
            ...state.notes,
            `generator ${slice}: shared start ${Math.round((input.startAtMs - now) / 1000)} s ahead of this host's clock (clock skew); started at once`,
          ];
        // Heartbeats carry the measurements so far, sampled error bodies scrubbed (details end up in history).
        const beat = setInterval(() => ctx.heartbeat({ ...state, metrics: storable(state.metrics) }), 1_000);
        // Timeline writes go one after another. Seconds that cannot be stored (the results database is down)
        // are kept and retried after the load; never rethrown mid-load (an unawaited rejection would take the
        // whole worker down, and failing the slice would run its load again).
        let writes = Promise.resolve();
        const unwritten: EncodedWindow[] = [];
        const abortOn = input.thresholds.map(thresholdParts).filter((t) => t.abortOnFail && !t.endpoint && !t.flow);
        const recent: EncodedWindow[] = [];
        const stop = new AbortController();
        const onCancel = () => stop.abort();
        ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
        try {
          if (remaining > 0) {
            const result = await runLoad({
              plan: rest,
              scenario,
              origin: origin.origin,
              headers,
              data,
              slice,
              slices: input.slices,
              http2: input.target.http2,
              startAtMs,
              secondOffset: Math.ceil((resumedFromMs + late) / 1000),
              resume: state.metrics,
              signal: stop.signal,
              onWindows: (windows) => {
                writes = writes
                  .then(() => timeline.write(windows))
                  .catch((err: unknown) => {
                    if (!unwritten.length)
                      log.warn(
                        { err: (err as Error).message },
                        'timeline write failed; keeping the seconds to store them later',
                      );
                    unwritten.push(...windows);
                  });
                recent.push(...windows);
                recent.splice(0, Math.max(0, recent.length - ABORT_WINDOW_S));
                const failed = abortOn.length
                  ? failingAbortThreshold(
                      abortOn.map((t) => t.expr),
                      recent,
                    )
                  : undefined;
                if (failed && !stop.signal.aborted) {
                  state.notes = [
                    ...state.notes,
                    `stopped early: abortOnFail threshold ${failed} failed over the last ${ABORT_WINDOW_S} s`,
                  ];
                  state.stoppedEarly = true;
                  stop.abort();
                }
              },
              onTick: (metrics) => {
                state = {
                  ...state,
                  elapsedMs: resumedFromMs + late + (Date.now() - startAtMs),
                  metrics: metrics.encode(),
                };
              },
            });
            aborted = ctx.cancellationSignal.aborted;
            state = {
              elapsedMs: resumedFromMs + late + result.elapsedMs,
              metrics: result.metrics.encode(),
              health: mergeHealth(checkpoint ? [checkpoint.health, result.health] : [result.health]),
              notes: state.notes,
              stoppedEarly: state.stoppedEarly,
              done: !aborted,
            };
          } else state = { ...state, done: true };
          await writes;
          if (unwritten.length) state = { ...state, pendingWindows: unwritten.slice(-MAX_PENDING_WINDOWS) };
        } finally {
          clearInterval(beat);
          ctx.cancellationSignal.removeEventListener('abort', onCancel);
        }
        // The load is over: from here a retry only stores (the checkpoint says done).
        ctx.heartbeat({ ...state, metrics: storable(state.metrics) });
      }

      if (state.pendingWindows?.length) {
        // Throws while the database is still down: the activity is retried and tries again from here.
        await timeline.write(state.pendingWindows);
        log.info({ seconds: state.pendingWindows.length }, 'stored timeline seconds kept during a database outage');
        state = { ...state, pendingWindows: [] };
        ctx.heartbeat({ ...state, metrics: storable(state.metrics) });
      }
      // The last downsampling pass (the end of the phase keeps its last seconds: it is an event).
      await timeline.finish();

      await deps.store.upsertSlice(campaignId, phase.name, {
        slice,
        metrics: storable(state.metrics),
        health: state.health,
        elapsedMs: state.elapsedMs,
        resumedFromMs,
        attempt: ctx.info.attempt,
        aborted,
        stoppedEarly: !!state.stoppedEarly,
        notes: state.notes,
      });
      const totals = (() => {
        const m = new Metrics();
        m.merge(state.metrics);
        return m.totals();
      })();
      log.info(
        { requests: totals.requests, errors: totals.errors, elapsedMs: Math.round(state.elapsedMs) },
        'load slice finished',
      );
      toolMetrics.loadRequests(phase.name, totals);
      if (aborted) throw new CancelledFailure('load slice cancelled; partial measurements stored');
      return {
        slice,
        requests: totals.requests,
        errors: totals.errors,
        elapsedMs: Math.round(state.elapsedMs),
        aborted,
      };
    },

    /**
     * Merges a phase's stored slices (histograms merged, never averaged), evaluates its thresholds once on
     * the merged data, judges generator health, and stores the phase result (idempotent).
     */
    async finalizeLoadPhase(input: {
      campaignId: string;
      ordinal: number;
      phase: BaselinePhase;
      /** Only in histories recorded before the scenario was passed by reference. */
      scenario?: Campaign['scenario'];
      thresholds: ThresholdEntry[];
      aborted: boolean;
    }): Promise<BaselinePhaseResult> {
      const { campaignId, phase } = input;
      const slices = await deps.store.loadSlices(campaignId, phase.name);
      if (!slices.length && !input.aborted)
        throw new Error(`phase ${phase.name}: no generator stored its measurements yet`);
      const merged = mergeSlices(slices);
      const result = summarizePhase({
        name: phase.name,
        plan: planFromPhase(phase, await scenarioOf(deps.store, input)),
        metrics: merged.metrics,
        elapsedMs: merged.elapsedMs,
        health: merged.health,
        generators: phase.generators,
        thresholds: input.thresholds,
        aborted: input.aborted || merged.aborted,
        stoppedEarly: merged.stoppedEarly,
        notes: merged.notes,
        resumedFromMs: merged.resumedFromMs,
        attempt: merged.attempt,
      });
      await deps.store.upsertBaselineResult(
        campaignId,
        input.ordinal,
        result,
        encodeHistogram(merged.metrics.latency()),
      );
      return result;
    },
  };
}

/** The first abortOnFail threshold that fails on the merged recent windows, if any. */
function failingAbortThreshold(exprs: string[], windows: EncodedWindow[]): string | undefined {
  const requests = windows.reduce((a, w) => a + w.requests, 0);
  if (windows.length < ABORT_WINDOW_S || requests < 20) return undefined;
  const h = newHistogram();
  for (const w of windows) h.add(decodeHistogram(w.histogram));
  const errors = windows.reduce((a, w) => a + w.errors, 0);
  const parsed = exprs.map(parseThreshold).filter(isThreshold);
  const results = evaluateThresholds(parsed, {
    latencyMs: { avg: h.mean / 1000, max: h.maxValue / 1000, percentile: (p) => h.getValueAtPercentile(p) / 1000 },
    errorRate: errors / requests,
    throughputRps: requests / windows.length,
    requests,
  });
  return results.find((r) => !r.ok)?.threshold;
}
