import { scrubError, scrubSecretsDeep } from '../infra/secrets';
import type { ActivityDeps } from './deps';
import { createBackupActivities } from './backup';
import { createFaultsActivities } from './faults';
import { createLoadActivities } from './load';
import { createContinuousLoadActivities } from './load/continuous';
import { createMonitoringActivities } from './monitoring';
import { createStoreActivities } from './store';
import { createStressActivities } from './stress';
import { createTargetActivities } from './target';

/**
 * Wraps each activity so that what it returns, and the message of what it throws, holds no secret value this
 * worker resolved: an endpoint that echoes a header back cannot put the secret into history, results or reports.
 */
function scrubbed<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const out: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args) => {
      try {
        return scrubSecretsDeep(await fn(...args));
      } catch (err) {
        throw scrubError(err);
      }
    };
  }
  return out as T;
}

/**
 * Builds every activity the campaign workflow calls. The workflow types its proxies with
 * `ReturnType<typeof createActivities>`, so names and signatures are checked at compile time.
 */
export function createActivities(deps: ActivityDeps) {
  return scrubbed({
    ...createStoreActivities(deps),
    ...createTargetActivities(deps),
    ...createLoadActivities(deps),
    ...createContinuousLoadActivities(deps),
    ...createStressActivities(deps),
    ...createMonitoringActivities(deps),
    ...createBackupActivities(deps),
    ...createFaultsActivities(deps),
  });
}

export type { ActivityDeps };
