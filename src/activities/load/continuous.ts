/**
 * The continuous ramp: one long-running load activity per stress phase. The workflow decides every stage and
 * writes it to the results store (`putStage`); this activity polls for it, moves the running load to the new
 * level (the users already running stay, the added ones arrive spread over the ramp; the open model's rate moves
 * without stopping), and stores each stage's judged window (after ramp and warm-up, for `hold`) as a load_slices
 * row under the stage's name, which the workflow then measures and judges. The per-second timeline of the whole
 * ramp is stored under the phase's name. Heartbeats a checkpoint; a retried attempt resumes at the current
 * stage's level (its judged window starts again, so every stage is judged once, on load that really ran).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { resolutionOf, type Campaign } from '../../config/schema';
import { FAILURE } from '../../core/errors';
import { planFromPhase } from '../../config/load-plan';
import { Metrics, type EncodedWindow } from '../../engine/metrics';
import type { IntervalHealth } from '../../engine/protocol';
import { defaultThreads, runLoad, type GeneratorHealth, type LevelChange } from '../../engine/run';
import { loadPhaseOf, toolMetrics } from '../../infra/metrics';
import type { StageCommand } from '../../infra/results-store';
import { recordedCampaign } from '../campaign-config';
import { allowedUrl } from '../egress';
import { TimelineWriter } from './timeline';
import { dataSources, loadCaps, resolveHeaders, storable, type LoadDeps } from './index';

/** Input of the continuous ramp of one phase. */
export interface ContinuousLoadInput {
  campaignId: string;
  /** The phase's timeline name (`stress`). */
  phase: string;
  model: 'closed' | 'open';
  /** The highest level any stage may ask for (thread count and caps). */
  maxLevel: number;
  /** The load stops by itself after this long (a bound; the workflow's stop comes first). */
  maxDurationMs: number;
  target: Campaign['target'];
  /** Only in histories recorded before the scenario was passed by reference. */
  scenario?: Campaign['scenario'];
}

/** The heartbeated checkpoint: where the run started, which stage is applied, which stages are stored. */
export interface ContinuousCheckpoint {
  runStartMs: number;
  applied: number;
  closed: number[];
  resumes: number;
}

/** What the activity returns: small; the stages and the timeline are in Postgres. */
export interface ContinuousLoadSummary {
  stages: number;
  requests: number;
  errors: number;
  elapsedMs: number;
  resumes: number;
}

/** How often the store is polled for the next stage (ms). */
const POLL_MS = 250;

/** One stage being measured. */
interface OpenStage {
  cmd: StageCommand;
  judgedFromMs: number;
  judgedToMs: number;
  metrics: Metrics;
  health: { eld: number; lag: number; eluSum: number; eluN: number };
  notes: string[];
}

/** Builds the continuous-ramp activity. */
export function createContinuousLoadActivities(deps: LoadDeps) {
  const { maxUsers, maxRate } = loadCaps(deps);
  return {
    async runContinuousLoad(input: ContinuousLoadInput): Promise<ContinuousLoadSummary> {
      const ctx = Context.current();
      const { campaignId, phase } = input;
      const log = deps.logger.child({ campaignId, phase: loadPhaseOf(phase), step: phase, attempt: ctx.info.attempt });
      const origin = allowedUrl(input.target.baseUrl, '', 'target', deps.egress, 'target.baseUrl');
      if (input.maxLevel > (input.model === 'closed' ? maxUsers : maxRate)) {
        throw ApplicationFailure.nonRetryable(
          `phase ${phase}: up to ${input.maxLevel} ${input.model === 'closed' ? 'users' : 'req/s'} exceeds this worker's caps (${maxUsers} users, ${maxRate} req/s per generator)`,
          FAILURE.LOAD_CAP,
        );
      }
      const recorded = await recordedCampaign(deps.store, campaignId);
      const { headers, scenario } = resolveHeaders(deps.secrets, input.target, input.scenario ?? recorded.scenario);
      const checkpoint = ctx.info.heartbeatDetails as ContinuousCheckpoint | undefined;
      const now = Date.now();
      const state: ContinuousCheckpoint = checkpoint
        ? { ...checkpoint, resumes: checkpoint.resumes + 1 }
        : { runStartMs: now + 200, applied: -1, closed: [], resumes: 0 };
      const elapsedBefore = Math.max(0, now - state.runStartMs);
      const remainingMs = input.maxDurationMs - elapsedBefore;
      if (checkpoint)
        log.info(
          { stage: state.applied, elapsedMs: elapsedBefore },
          'resuming the continuous ramp from its checkpoint',
        );
      if (remainingMs <= 0)
        throw ApplicationFailure.nonRetryable(
          `phase ${phase}: the continuous ramp ran past its bound (${input.maxDurationMs} ms)`,
          FAILURE.CONFIG,
        );

      // Starts empty: the first stage sets the level. Threads sized for the highest level any stage may ask.
      const base = planFromPhase(
        input.model === 'closed'
          ? { name: phase, model: 'closed', users: 0, rampUp: '0s', duration: `${remainingMs}ms`, generators: 1 }
          : { name: phase, model: 'open', rate: 0, rampUp: '0s', duration: `${remainingMs}ms`, generators: 1 },
        scenario,
      );
      const plan =
        input.model === 'open'
          ? { ...base, maxInFlight: Math.max(100, Math.ceil((input.maxLevel * base.requestTimeoutMs) / 1000)) }
          : base;
      const threads = defaultThreads(
        input.model === 'closed' ? { ...plan, users: input.maxLevel } : { ...plan, rate: input.maxLevel },
      );

      let setLevel: ((c: LevelChange) => void) | undefined;
      let lastLevel: number | undefined;
      let open: OpenStage | undefined;
      let runStartedAtMs = 0;
      // Timeline seconds count from the first attempt's start; a resumed attempt continues the count.
      const secondOffset = checkpoint ? Math.ceil((Date.now() + 50 - state.runStartMs) / 1000) : 0;
      const stop = new AbortController();
      let stopped = false;
      let failure: unknown;
      let writes = Promise.resolve();
      const unwritten: EncodedWindow[] = [];
      const secondOf = (ms: number) => secondOffset + Math.floor((ms - runStartedAtMs) / 1000);
      // A ramp over nights is downsampled past its first minutes like a baseline phase; each stage change keeps its
      // detail (an event), and the recovery stage keeps every second (its recovery time is read from them). Stages
      // are measured on their own histograms, never on this timeline.
      const stageSeconds: number[] = [];
      const recoverySpans: Array<{ from: number; to: number }> = [];
      const noteStage = (cmd: StageCommand, fromSecond: number, settleMs: number) => {
        stageSeconds.push(fromSecond);
        if (cmd.name.startsWith('stress-recovery-')) {
          recoverySpans.push({
            from: fromSecond,
            to: fromSecond + Math.ceil((settleMs + cmd.warmupMs + cmd.holdMs) / 1000) + 2,
          });
        }
      };
      const timeline = new TimelineWriter({
        store: deps.store,
        campaignId,
        phase,
        slice: 0,
        resolution: resolutionOf(recorded.settings.timeline),
        events: () => stageSeconds,
        pinned: () => recoverySpans,
      });

      // Stages being stored: `closed` (in the checkpoint) only lists those whose write succeeded.
      const closing = new Set<number>();
      const closeStage = (st: OpenStage, atMs: number, aborted = false) => {
        if (state.closed.includes(st.cmd.stage) || closing.has(st.cmd.stage)) return;
        closing.add(st.cmd.stage);
        const health: GeneratorHealth = {
          threads,
          eventLoopDelayP99Ms: st.health.eld,
          eluMean: st.health.eluN ? st.health.eluSum / st.health.eluN : 0,
          schedulerLagP99Ms: st.health.lag,
        };
        const rec = {
          slice: 0,
          metrics: storable(st.metrics.encode()),
          health,
          elapsedMs: Math.max(1, Math.min(atMs, st.judgedToMs) - st.judgedFromMs),
          resumedFromMs: 0,
          attempt: ctx.info.attempt,
          aborted,
          stoppedEarly: false,
          notes: st.notes,
        };
        writes = writes
          .then(() => deps.store.upsertSlice(campaignId, st.cmd.name, rec))
          .then(
            () => {
              state.closed = [...state.closed, st.cmd.stage];
            },
            (err: unknown) => {
              // Not stored: a retry (the activity fails at the end) measures the stage again.
              failure ??= err;
            },
          )
          .finally(() => closing.delete(st.cmd.stage));
      };

      const apply = (cmd: StageCommand, resumed: boolean) => {
        const at = Date.now();
        if (open) closeStage(open, at);
        if (cmd.stop) {
          stopped = true;
          stop.abort();
          return;
        }
        setLevel?.({ atMs: at, level: cmd.level, rampMs: cmd.rampMs });
        state.applied = cmd.stage;
        // Going down, requests sent at the higher level still complete (or time out) for up to the request
        // timeout: the lower level is judged once they are over.
        const settleMs =
          lastLevel !== undefined && cmd.level < lastLevel ? Math.max(cmd.rampMs, plan.requestTimeoutMs) : cmd.rampMs;
        lastLevel = cmd.level;
        const judgedFromMs = at + settleMs + cmd.warmupMs;
        open = {
          cmd,
          judgedFromMs,
          judgedToMs: judgedFromMs + cmd.holdMs,
          metrics: new Metrics(),
          health: { eld: 0, lag: 0, eluSum: 0, eluN: 0 },
          notes: resumed
            ? [`generator restarted (attempt ${ctx.info.attempt}): this stage was judged from the restart on`]
            : [],
        };
        const fromSecond = secondOf(at);
        noteStage(cmd, fromSecond, settleMs);
        writes = writes
          .then(() => deps.store.markStageApplied(campaignId, phase, cmd.stage, at, fromSecond))
          .catch((err: unknown) => {
            failure ??= err;
          });
        log.info(
          { stage: cmd.stage, name: cmd.name, level: cmd.level, rampMs: cmd.rampMs },
          'continuous ramp: level applied',
        );
      };

      let polling = false;
      const poll = async () => {
        if (polling || stopped) return;
        polling = true;
        try {
          const cmds = await deps.store.stagesAfter(campaignId, phase, state.applied);
          for (const cmd of cmds) if (!stopped) apply(cmd, false);
        } catch (err) {
          log.warn(
            { err: (err as Error).message },
            'continuous ramp: could not read the next stage; the load holds its level',
          );
        } finally {
          polling = false;
        }
        if (open && !state.closed.includes(open.cmd.stage) && Date.now() >= open.judgedToMs)
          closeStage(open, Date.now());
      };

      const onCancel = () => stop.abort();
      ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
      const beat = setInterval(() => ctx.heartbeat(state), 1_000);
      let poller: NodeJS.Timeout | undefined;
      let totals = { requests: 0, errors: 0 };
      try {
        const result = await runLoad({
          plan,
          scenario,
          origin: origin.origin,
          headers,
          data: await dataSources(deps.store, scenario),
          http2: input.target.http2,
          threads,
          signal: stop.signal,
          startAtMs: checkpoint ? Date.now() + 50 : state.runStartMs,
          onStart: (startAtMs) => {
            runStartedAtMs = startAtMs;
          },
          secondOffset,
          onControl: (fn) => {
            setLevel = fn;
            // Resuming: the current stage's level again (the population was lost with the old process).
            void (async () => {
              if (checkpoint) {
                // The store, not the checkpoint (heartbeats are throttled), says which stage was applied last and
                // which stages are stored: a stored stage is never judged again.
                const all = await deps.store.stagesAfter(campaignId, phase, -1);
                const applied = all.filter((c) => c.appliedAtMs !== undefined && !c.stop);
                const stored = await Promise.all(
                  applied.map(async (c) => ((await deps.store.loadSlices(campaignId, c.name)).length ? c.stage : -1)),
                );
                state.closed = stored.filter((n) => n >= 0);
                // The stage changes before the restart are events of the timeline too.
                for (const c of applied)
                  if (c.fromSecond !== undefined && c.fromSecond !== null) noteStage(c, c.fromSecond, c.rampMs);
                const current = applied[applied.length - 1];
                if (current) {
                  state.applied = current.stage;
                  apply(current, true);
                }
              }
              poller = setInterval(() => void poll(), POLL_MS);
              void poll();
            })().catch((err: unknown) => {
              // Cannot tell where the ramp was: fail this attempt (retried) rather than run the wrong level.
              failure ??= err;
              stop.abort();
            });
          },
          onThreadTick: (tick) => {
            const st = open;
            if (!st) return;
            const t = Date.now();
            if (t < st.judgedFromMs || t >= st.judgedToMs) return;
            st.metrics.mergeSparse(tick.metrics);
            const h: IntervalHealth = tick.health;
            st.health.eld = Math.max(st.health.eld, h.eldP99Ms);
            st.health.lag = Math.max(st.health.lag, h.lagP99Ms);
            st.health.eluSum += h.elu;
            st.health.eluN += 1;
          },
          onWindows: (windows) => {
            writes = writes
              .then(() => timeline.write(windows))
              .catch(() => {
                unwritten.push(...windows);
              });
          },
        });
        totals = result.metrics.totals();
        const end = Date.now();
        if (open && !state.closed.includes(open.cmd.stage)) {
          // Finished its hold: stored whole. Cancelled (an abort) within its judged window: what it measured is kept.
          if (end >= open.judgedToMs) closeStage(open, end);
          else if (!stopped && ctx.cancellationSignal.aborted && end > open.judgedFromMs) {
            open.notes.push(
              `cancelled after ${Math.round((end - open.judgedFromMs) / 1000)} s of its ${Math.round(open.cmd.holdMs / 1000)} s (abort)`,
            );
            closeStage(open, end, true);
          }
        }
        await writes;
        if (unwritten.length) await timeline.write(unwritten);
        await timeline.finish().catch(() => undefined);
      } finally {
        clearInterval(beat);
        if (poller) clearInterval(poller);
        ctx.cancellationSignal.removeEventListener('abort', onCancel);
      }
      ctx.heartbeat(state);
      if (failure) throw failure;
      toolMetrics.loadRequests(phase, totals);
      const elapsedMs = Date.now() - state.runStartMs;
      log.info(
        { requests: totals.requests, errors: totals.errors, stages: state.closed.length, elapsedMs },
        'continuous ramp finished',
      );
      if (!stopped && ctx.cancellationSignal.aborted)
        throw new CancelledFailure('continuous ramp cancelled; stages so far stored');
      return {
        stages: state.closed.length,
        requests: totals.requests,
        errors: totals.errors,
        elapsedMs,
        resumes: state.resumes,
      };
    },
  };
}
