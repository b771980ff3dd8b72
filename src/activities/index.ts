import type { EgressPolicy } from '../core/egress';
import type { Logger } from '../infra/logger';
import type { ResultsStore } from '../infra/results-store';
import { scrubError, scrubSecretsDeep, type SecretResolver } from '../infra/secrets';
import { createBackupActivities } from './backup';
import { createLoadActivities } from './load';
import { createContinuousLoadActivities } from './load/continuous';
import { createMonitoringActivities } from './monitoring';
import { createStoreActivities } from './store';
import { createStressActivities } from './stress';
import { createTargetActivities } from './target';

/** Everything the activities need, built once per worker. */
export interface ActivityDeps {
  logger: Logger;
  store: ResultsStore;
  reportRoot: string;
  /** Which hosts every connection may go to (READINESS_ALLOWED_HOSTS, READINESS_ALLOWED_SYSTEM_HOSTS). */
  egress: EgressPolicy;
  /** `{ fromEnv }` references: declared names only (READINESS_SECRET_ENV). */
  secrets: SecretResolver;
  maxUsers?: number;
  maxRate?: number;
  /** The service recovery commands a campaign may name, each a whole argv (READINESS_RECOVERY_COMMANDS). */
  recoveryCommands?: Record<string, string[]>;
  /** Directories under which backup.postgres.backupDirectory may lie (READINESS_BACKUP_ROOTS). */
  backupRoots?: string[];
}

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
  });
}
