import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { Pool } from 'undici';
import type { BaselinePhase, Campaign } from '../../config/schema';
import { parseDurationMs } from '../../core/duration';
import { compileScenario } from '../../core/scenario';
import { evaluateThresholds, isThreshold, parseThreshold } from '../../core/thresholds';
import type { BaselinePhaseResult } from '../../core/types';
import type { Logger } from '../../infra/logger';
import type { ResultsStore } from '../../infra/results-store';
import { assertTargetAllowed } from '../target/allow';
import { resolveHeaders } from '../target/headers';
import { LoadAccumulator, type LoadCheckpoint } from './accumulator';
import { runClosedLoop } from './closed-loop';

/** Dependencies of the load activities. */
export interface LoadDeps {
  logger: Logger;
  store: ResultsStore;
  allowedHosts: string[];
  /** How often a checkpoint is heartbeated. */
  checkpointIntervalMs?: number;
}

/** Input of one baseline phase. */
export interface BaselinePhaseInput {
  campaignId: string;
  ordinal: number;
  phase: BaselinePhase;
  target: Campaign['target'];
  scenario: Campaign['scenario'];
  thresholds: string[];
}

/** Builds the load activities. */
export function createLoadActivities(deps: LoadDeps) {
  const checkpointEveryMs = deps.checkpointIntervalMs ?? 1_000;

  return {
    /**
     * Runs one closed-model baseline phase against the target and stores its result. Heartbeats a
     * checkpoint every second; a retried attempt resumes from the last checkpoint, runs only the
     * remaining duration and merges, so the phase is counted once.
     */
    async runBaselinePhase(input: BaselinePhaseInput): Promise<BaselinePhaseResult> {
      const ctx = Context.current();
      const { phase, target, scenario, campaignId } = input;
      const log = deps.logger.child({ campaignId, phase: 'baseline', step: phase.name, attempt: ctx.info.attempt });
      const origin = assertTargetAllowed(target.baseUrl, deps.allowedHosts);
      const headers = resolveHeaders(target.headers, 'target.headers');
      const durationMs = parseDurationMs(phase.duration) ?? 0;
      const thinkTimeMs = parseDurationMs(scenario.thinkTime) ?? 0;
      const requestTimeoutMs = parseDurationMs(scenario.requestTimeout) ?? 10_000;

      const checkpoint = ctx.info.heartbeatDetails as LoadCheckpoint | undefined;
      const acc = checkpoint ? LoadAccumulator.fromCheckpoint(checkpoint) : new LoadAccumulator();
      const resumedFromMs = checkpoint?.elapsedMs ?? 0;
      let elapsedMs = resumedFromMs;
      if (checkpoint) log.info({ resumedFromMs, requests: checkpoint.requests, done: checkpoint.done }, 'resuming phase from checkpoint');

      if (!checkpoint?.done && durationMs - resumedFromMs > 0) {
        const pool = new Pool(origin.origin, {
          connections: phase.users,
          pipelining: 1,
          keepAliveTimeout: 30_000,
          headersTimeout: requestTimeoutMs,
          bodyTimeout: requestTimeoutMs,
          connectTimeout: Math.min(requestTimeoutMs, 10_000),
        });
        // One signal per phase, shared by every in-flight request and think-time sleep.
        const stop = new AbortController();
        setMaxListeners(0, stop.signal);
        const onCancel = () => stop.abort();
        ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
        const started = performance.now();
        const beat = setInterval(() => ctx.heartbeat(acc.checkpoint(resumedFromMs + (performance.now() - started))), checkpointEveryMs);
        try {
          await runClosedLoop({
            pool, scenario: compileScenario(scenario), headers, users: phase.users, durationMs: durationMs - resumedFromMs,
            thinkTimeMs, requestTimeoutMs, signal: stop.signal, random: Math.random,
          }, acc);
        } finally {
          clearInterval(beat);
          ctx.cancellationSignal.removeEventListener('abort', onCancel);
          await pool.destroy();
        }
        elapsedMs = resumedFromMs + (performance.now() - started);
        ctx.heartbeat(acc.checkpoint(elapsedMs, !ctx.cancellationSignal.aborted));
      }

      const result = summarize(input, acc, elapsedMs, resumedFromMs, ctx.info.attempt, ctx.cancellationSignal.aborted);
      await deps.store.upsertBaselineResult(campaignId, input.ordinal, result, acc.encodeHistogram());
      log.info({ requests: result.requests, errorRate: result.errorRate, p95Ms: result.latencyMs.p95, assessment: result.assessment }, 'phase finished');
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('baseline phase cancelled; partial result stored');
      return result;
    },
  };
}

function summarize(input: BaselinePhaseInput, acc: LoadAccumulator, elapsedMs: number, resumedFromMs: number, attempt: number, aborted: boolean): BaselinePhaseResult {
  const durationS = elapsedMs / 1000;
  const throughputRps = durationS > 0 ? acc.requests / durationS : 0;
  const errorRate = acc.requests > 0 ? acc.errors / acc.requests : 0;
  const latencyMs = acc.latencyMs();
  const thresholds = evaluateThresholds(input.thresholds.map(parseThreshold).filter(isThreshold), {
    latencyMs: { avg: latencyMs.avg, max: latencyMs.max, percentile: (p) => acc.percentileMs(p) },
    errorRate, throughputRps, requests: acc.requests,
  });
  const assessment = aborted ? 'aborted' : thresholds.every((t) => t.ok) && acc.requests > 0 ? 'pass' : 'fail';
  return {
    name: input.phase.name, users: input.phase.users, durationS: round(durationS, 3), requests: acc.requests, errors: acc.errors,
    throughputRps: round(throughputRps, 2), errorRate: round(errorRate, 6), latencyMs: roundLatency(latencyMs),
    statusCounts: acc.statusCounts, errorCounts: acc.errorCounts, thresholds, assessment, resumedFromMs: Math.round(resumedFromMs), attempt,
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Number.isFinite(v) ? Math.round(v * f) / f : v;
}

function roundLatency(l: BaselinePhaseResult['latencyMs']): BaselinePhaseResult['latencyMs'] {
  return { p50: round(l.p50, 3), p95: round(l.p95, 3), p99: round(l.p99, 3), max: round(l.max, 3), avg: round(l.avg, 3) };
}
