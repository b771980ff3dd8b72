/** Activity proxies shared by the campaign and its child workflows, with their timeouts and retries. */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { FAILURE, PERMANENT } from '../core/errors';

/** Every activity the workflows call, typed from the activity factory. */
export type Activities = ReturnType<typeof createActivities>;

/** Bookkeeping activities: short, retried with backoff, never cancelled by an abort. */
export const store = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 20,
    nonRetryableErrorTypes: [...PERMANENT],
  },
});

/** The target health probe: a few quick tries, then the caller records the target as unreachable. */
export const probe = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...PERMANENT, FAILURE.HOST_NOT_ALLOWED],
  },
});

/**
 * Runs an activity whose failure is evidence, not a crash: when it fails for good (retries spent, or a
 * non-retryable error such as an unset environment variable), `onFailure` turns the reason into a result.
 */
export async function failureAsResult<T>(run: () => Promise<T>, onFailure: (reason: string) => T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    return onFailure(err.cause?.message ?? err.message);
  }
}
