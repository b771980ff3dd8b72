import { ApplicationFailure } from '@temporalio/common';
import { isHostAllowed } from '../../core/allowlist';

/**
 * Refuses (non-retryably) a target whose host is not on this worker's allowlist. Called before the
 * first request of every activity that sends traffic.
 */
export function assertTargetAllowed(baseUrl: string, allowedHosts: string[]): URL {
  const url = new URL(baseUrl);
  if (!isHostAllowed(url.hostname, allowedHosts)) {
    throw ApplicationFailure.nonRetryable(
      `target host "${url.hostname}" is not on this worker's allowlist (${allowedHosts.join(', ')}); set READINESS_ALLOWED_HOSTS on the worker to allow it`,
      'HostNotAllowed',
    );
  }
  return url;
}
