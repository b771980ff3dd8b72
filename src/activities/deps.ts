import type { EgressPolicy } from '../core/egress';
import type { FaultCommandPair } from '../infra/worker-config';
import type { Logger } from '../infra/logger';
import type { ResultsStore } from '../infra/results-store';
import type { SecretResolver } from '../infra/secrets';

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
  /** The fault drills' command pairs a campaign may name (READINESS_FAULT_COMMANDS). */
  faultCommands?: Record<string, FaultCommandPair>;
  /** Directories under which backup.postgres.backupDirectory may lie (READINESS_BACKUP_ROOTS). */
  backupRoots?: string[];
}
