/**
 * Running one load phase or step from a workflow: K generator slices on the load task queue, started
 * together, each checkpointing and resumable; the caller then measures or finalizes from the store.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { BaselinePhase, Campaign, ThresholdEntry } from '../config/schema';
import { parseDurationMs } from '../core/duration';
import { loadTaskQueue } from '../core/names';
import type { Activities } from './proxies';
import { PERMANENT_LOAD } from '../core/errors';

/** How far ahead of scheduling the generators of a phase start together (ms). */
export const SYNC_START_MS = 2_000;

/** What {@link runLoadStep} needs. */
export interface LoadStepArgs {
  campaignId: string;
  phase: BaselinePhase;
  campaign: Campaign;
  thresholds: ThresholdEntry[];
  /** Start this long after scheduling (default SYNC_START_MS); a spike uses a short gap. */
  startInMs?: number;
  /** Receives the step's cancellation scope while it runs (so an abort can cancel it). */
  onScope: (scope: CancellationScope | undefined) => void;
}

/** Outcome of a load step: done, cancelled (abort), or failed with a reason. */
export type LoadStepOutcome =
  { kind: 'done'; startAtMs: number } | { kind: 'cancelled' } | { kind: 'error'; reason: string };

/** Runs the phase's generator slices to completion (or cancellation). */
export async function runLoadStep(args: LoadStepArgs): Promise<LoadStepOutcome> {
  const { phase, campaign } = args;
  const durationMs = parseDurationMs(phase.duration) ?? 0;
  const startAtMs = Date.now() + (args.startInMs ?? SYNC_START_MS);
  const load = proxyActivities<Activities>({
    taskQueue: loadTaskQueue(workflowInfo().taskQueue),
    scheduleToStartTimeout: '10 minutes',
    startToCloseTimeout: durationMs + SYNC_START_MS + 5 * 60_000,
    heartbeatTimeout: parseDurationMs(campaign.settings.heartbeatTimeout) ?? 20_000,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    // Ten attempts (about 2.5 min of backoff): a retry after the load finished only stores (the checkpoint says
    // done), so a results-database outage of a minute or two costs no load and loses no measurement.
    retry: {
      initialInterval: '1s',
      maximumInterval: '30s',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...PERMANENT_LOAD],
    },
  });
  const scope = new CancellationScope();
  args.onScope(scope);
  let slices: Promise<unknown>[] = [];
  try {
    await scope.run(() => {
      slices = Array.from({ length: phase.generators }, (_, slice) =>
        load.runLoadSlice({
          campaignId: args.campaignId,
          phase,
          slice,
          slices: phase.generators,
          target: campaign.target,
          thresholds: args.thresholds,
          startAtMs,
        }),
      );
      return Promise.all(slices);
    });
    return { kind: 'done', startAtMs };
  } catch (err) {
    if (isCancellation(err)) return { kind: 'cancelled' };
    if (err instanceof ActivityFailure) {
      // One generator failed for good: stop the others and wait until they have stopped, so no load
      // from this step overlaps whatever comes next.
      scope.cancel();
      await Promise.allSettled(slices);
      return { kind: 'error', reason: `${phase.name}: ${err.cause?.message ?? err.message}` };
    }
    throw ApplicationFailure.fromError(err);
  } finally {
    args.onScope(undefined);
  }
}
