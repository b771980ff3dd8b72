/** Activity proxies shared by the campaign and its child workflows, with their timeouts and retries. */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

/** Every activity the workflows call, typed from the activity factory. */
export type Activities = ReturnType<typeof createActivities>;

/** Bookkeeping activities: short, retried with backoff, never cancelled by an abort. */
export const store = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['ConfigError'] },
});

/** The target health probe: a few quick tries, then the caller records the target as unreachable. */
export const probe = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigError', 'HostNotAllowed'] },
});
