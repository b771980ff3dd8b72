/**
 * The worker's trust configuration, read from its environment once at start: which hosts it may reach, which
 * variables campaigns may read, which recovery commands they may run, where backup directories may lie. A
 * malformed value stops the worker (EnvironmentError, exit 2) naming the variable: a worker never runs on a
 * half-understood policy.
 */
import path from 'node:path';
import { egressPolicyFromEnv, type EgressPolicy } from '../core/egress';
import { EnvironmentError } from '../core/errors';
import { parseSecretEnv } from '../core/secrets';

/** What READINESS_* says the campaigns of this worker may do. */
export interface WorkerTrust {
  egress: EgressPolicy;
  /** READINESS_SECRET_ENV: the variables `{ fromEnv }` may name. */
  secretEnv: string[];
  /** READINESS_RECOVERY_COMMANDS: name -> argv (argv[0] an absolute path). */
  recoveryCommands: Record<string, string[]>;
  /** READINESS_BACKUP_ROOTS: absolute directories backupDirectory may lie under. */
  backupRoots: string[];
}

const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * READINESS_RECOVERY_COMMANDS: a JSON object of name -> argv, e.g.
 * `{"restart-api": ["/usr/bin/systemctl", "restart", "api"]}`. Each argv is run whole, without a shell; a
 * campaign's `backup.serviceRecovery[].command` names one.
 */
export function parseRecoveryCommands(value: string | undefined): Record<string, string[]> {
  const v = value?.trim();
  if (!v) return {};
  const fail = (problem: string) =>
    new EnvironmentError(
      'READINESS_RECOVERY_COMMANDS',
      `${problem} (expected a JSON object of name -> argv, e.g. {"restart-api": ["/usr/bin/systemctl", "restart", "api"]})`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw fail('not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('not a JSON object');
  const out: Record<string, string[]> = {};
  for (const [name, argv] of Object.entries(parsed)) {
    if (!COMMAND_NAME.test(name)) throw fail(`command name "${name}" must be lowercase letters, digits, "-" or "_"`);
    if (!Array.isArray(argv) || !argv.length || !argv.every((a) => typeof a === 'string' && a.length > 0))
      throw fail(`"${name}" must be a non-empty array of non-empty strings`);
    if (!path.isAbsolute(argv[0] as string))
      throw fail(`"${name}": the program must be an absolute path (no PATH lookup), not "${argv[0]}"`);
    out[name] = argv as string[];
  }
  return out;
}

/** READINESS_BACKUP_ROOTS: absolute directories separated by the platform's path delimiter (`:`). */
export function parseBackupRoots(value: string | undefined): string[] {
  const roots = (value ?? '')
    .split(path.delimiter)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const r of roots)
    if (!path.isAbsolute(r)) throw new EnvironmentError('READINESS_BACKUP_ROOTS', `"${r}" is not an absolute path`);
  return roots.map((r) => path.resolve(r));
}

/** The worker's trust configuration from `env`. */
export function workerTrustFromEnv(env: NodeJS.ProcessEnv): WorkerTrust {
  if (env.READINESS_ALLOWED_COMMANDS?.trim()) {
    throw new EnvironmentError(
      'READINESS_ALLOWED_COMMANDS',
      'is no longer read: declare whole commands in READINESS_RECOVERY_COMMANDS (a JSON object of name -> argv) and name them in the campaign',
    );
  }
  return {
    egress: egressPolicyFromEnv(env),
    secretEnv: parseSecretEnv(env.READINESS_SECRET_ENV),
    recoveryCommands: parseRecoveryCommands(env.READINESS_RECOVERY_COMMANDS),
    backupRoots: parseBackupRoots(env.READINESS_BACKUP_ROOTS),
  };
}
