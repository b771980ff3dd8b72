/**
 * The worker's trust configuration, read from its environment once at start: which hosts it may reach, which
 * variables campaigns may read, which recovery commands and fault drill command pairs they may run, where backup directories may lie. A
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
  /** READINESS_FAULT_COMMANDS: drill name -> the stop and start argv of one dependency. */
  faultCommands: Record<string, FaultCommandPair>;
  /** READINESS_BACKUP_ROOTS: absolute directories backupDirectory may lie under. */
  backupRoots: string[];
}

/** A dependency's stop and start commands, declared together by the operator (a campaign cannot mix pairs). */
export interface FaultCommandPair {
  stop: string[];
  start: string[];
}

const COMMAND_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * READINESS_RECOVERY_COMMANDS: a JSON object of name -> argv, e.g.
 * `{"restart-api": ["/usr/bin/systemctl", "restart", "api"]}`. Each argv is run whole, without a shell; a
 * campaign's `backup.serviceRecovery[].command` names one.
 */
export function parseRecoveryCommands(value: string | undefined): Record<string, string[]> {
  const example = '{"restart-api": ["/usr/bin/systemctl", "restart", "api"]}';
  const fail = failFor('READINESS_RECOVERY_COMMANDS', `a JSON object of name -> argv, e.g. ${example}`);
  const out: Record<string, string[]> = {};
  for (const [name, argv] of Object.entries(namedObject(value, fail))) out[name] = checkedArgv(argv, `"${name}"`, fail);
  return out;
}

/**
 * READINESS_FAULT_COMMANDS: a JSON object of name -> `{stop: argv, start: argv}`, e.g.
 * `{"redis": {"stop": ["/usr/bin/systemctl", "stop", "redis"], "start": ["/usr/bin/systemctl", "start", "redis"]}}`.
 * A campaign's `faults.drills[].commands` names one pair; `start` must be harmless when the dependency runs.
 */
export function parseFaultCommands(value: string | undefined): Record<string, FaultCommandPair> {
  const example =
    '{"redis": {"stop": ["/usr/bin/systemctl", "stop", "redis"], "start": ["/usr/bin/systemctl", "start", "redis"]}}';
  const fail = failFor(
    'READINESS_FAULT_COMMANDS',
    `a JSON object of name -> {stop: argv, start: argv}, e.g. ${example}`,
  );
  const out: Record<string, FaultCommandPair> = {};
  for (const [name, pair] of Object.entries(namedObject(value, fail))) {
    if (!pair || typeof pair !== 'object' || Array.isArray(pair))
      throw fail(`"${name}" must be {stop: argv, start: argv}`);
    const { stop, start, ...rest } = pair as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw fail(`"${name}" has unknown key(s) ${extra.join(', ')} (only stop and start)`);
    out[name] = { stop: checkedArgv(stop, `"${name}".stop`, fail), start: checkedArgv(start, `"${name}".start`, fail) };
  }
  return out;
}

const failFor = (variable: string, expected: string) => (problem: string) =>
  new EnvironmentError(variable, `${problem} (expected ${expected})`);

/** A JSON object whose keys are command names ({} when unset). */
function namedObject(value: string | undefined, fail: (p: string) => Error): Record<string, unknown> {
  const v = value?.trim();
  if (!v) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw fail('not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('not a JSON object');
  for (const name of Object.keys(parsed))
    if (!COMMAND_NAME.test(name)) throw fail(`command name "${name}" must be lowercase letters, digits, "-" or "_"`);
  return parsed as Record<string, unknown>;
}

/** An argv run whole: non-empty strings, the program an absolute path. */
function checkedArgv(argv: unknown, what: string, fail: (p: string) => Error): string[] {
  if (!Array.isArray(argv) || !argv.length || !argv.every((a) => typeof a === 'string' && a.length > 0))
    throw fail(`${what} must be a non-empty array of non-empty strings`);
  if (!path.isAbsolute(argv[0] as string))
    throw fail(`${what}: the program must be an absolute path (no PATH lookup), not "${argv[0]}"`);
  return argv as string[];
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
    faultCommands: parseFaultCommands(env.READINESS_FAULT_COMMANDS),
    backupRoots: parseBackupRoots(env.READINESS_BACKUP_ROOTS),
  };
}
