import type { Logger } from '../infra/logger';
import type { ResultsStore } from '../infra/results-store';
import { createBackupActivities } from './backup';
import { createLoadActivities } from './load';
import { createMonitoringActivities } from './monitoring';
import { createStoreActivities } from './store';
import { createStressActivities } from './stress';
import { createTargetActivities } from './target';

/** Everything the activities need, built once per worker. */
export interface ActivityDeps {
  logger: Logger;
  store: ResultsStore;
  reportRoot: string;
  allowedHosts: string[];
  maxUsers?: number;
  maxRate?: number;
  /** Programs the service recovery drill may run (READINESS_ALLOWED_COMMANDS). */
  allowedCommands?: string[];
}

/**
 * Builds every activity the campaign workflow calls. The workflow types its proxies with
 * `ReturnType<typeof createActivities>`, so names and signatures are checked at compile time.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createStoreActivities(deps),
    ...createTargetActivities(deps),
    ...createLoadActivities(deps),
    ...createStressActivities(deps),
    ...createMonitoringActivities(deps),
    ...createBackupActivities(deps),
  };
}
