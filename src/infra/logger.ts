import { asyncLocalStorage } from '@temporalio/activity';
import pino, { type DestinationStream, type Logger } from 'pino';
import { scrubSecrets } from './secrets';

/**
 * Paths pino removes from every log line: anything that could carry a secret (top level and one level
 * down: `{ headers }`, `{ err: { config: ... } }`, `{ target: { token } }`).
 */
export const REDACT_PATHS = [
  'databaseUrl',
  '*.databaseUrl',
  'connectionString',
  '*.connectionString',
  'password',
  '*.password',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'headers',
  '*.headers',
  'authorization',
  '*.authorization',
  'Authorization',
  '*.Authorization',
  'cookie',
  '*.cookie',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'sourceUrl',
  '*.sourceUrl',
  'scratchUrl',
  '*.scratchUrl',
  'codecKeys',
  '*.codecKeys',
];

const CHILD_WORKFLOW_PHASES: Record<string, string> = { stressWorkflow: 'stress', spikeWorkflow: 'spike' };

/** The campaign phase an activity of the campaign workflow belongs to (its log lines say so). */
function phaseOfActivity(activity: string): string | undefined {
  if (activity === 'recordCampaignStart') return 'starting';
  if (activity === 'runLoadSlice' || activity === 'finalizeLoadPhase' || activity === 'checkTargetHealth')
    return 'baseline';
  if (/^(?:check|prove)|^(?:sampleTelemetry|alertFiredWithin)$/.test(activity)) return 'monitoring';
  if (activity.endsWith('Drill')) return 'backup';
  if (activity === 'dependencyBenchmark') return 'faults';
  if (activity === 'scoreChecklist' || activity === 'recordCampaignEnd') return 'scoring';
  if (activity === 'writeCampaignReport') return 'report';
  return undefined;
}

/**
 * Inside an activity: the campaign id (the campaign workflow's id; a stress/spike child's id without its
 * suffix), the phase, the activity and its attempt, each unless the logger or the call already gives it.
 */
function activityContext(_merge: object, _level: number, logger: Logger): object {
  const ctx = asyncLocalStorage.getStore();
  if (!ctx) return {};
  const { info } = ctx;
  const bound = logger.bindings();
  const child = info.workflowType ? CHILD_WORKFLOW_PHASES[info.workflowType] : undefined;
  const workflowId = info.workflowExecution?.workflowId;
  const fields: Record<string, unknown> = {
    campaignId: child && workflowId?.endsWith(`-${child}`) ? workflowId.slice(0, -child.length - 1) : workflowId,
    phase: child ?? phaseOfActivity(info.activityType),
    activity: info.activityType,
    attempt: info.attempt,
  };
  for (const k of Object.keys(fields)) if (fields[k] === undefined || k in bound) delete fields[k];
  return fields;
}

const LEVEL_WORDS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};
const QUIET_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'app', 'cmd', 'msg', 'sdk']);

/** One pino JSON line as a human line: `readiness demo: warning: message (key=value, ...)`. */
export function humanLogLine(json: string, prefix: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `${prefix}: ${json.trimEnd()}\n`;
  }
  const level = LEVEL_WORDS[entry.level as number] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([k]) => !QUIET_FIELDS.has(k))
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'string' ? v : k === 'err' && v && typeof v === 'object' && 'message' in v ? String((v as { message: unknown }).message) : JSON.stringify(v)}`,
    );
  return `${prefix}: ${level}: ${String(entry.msg ?? '')}${fields.length ? ` (${fields.join(', ')})` : ''}\n`;
}

/**
 * A pino destination for interactive commands (`dev`, `demo`): each log line (already redacted and scrubbed)
 * is written to stderr as a human line ({@link humanLogLine}), never as raw JSON.
 */
export function humanLogDestination(
  prefix: string,
  write: (line: string) => unknown = (l) => process.stderr.write(l),
): DestinationStream {
  return { write: (line: string) => write(humanLogLine(line, prefix)) };
}

/**
 * Creates the process logger: JSON lines on stderr (stdout stays for command output), secrets redacted
 * (fields by {@link REDACT_PATHS}, values by `registerSecretValue` of infra/secrets), and inside an activity each
 * line carries the campaign id, phase, activity and attempt. Level from READINESS_LOG_LEVEL, else `defaultLevel`.
 */
export function createLogger(
  bindings: Record<string, unknown> = {},
  defaultLevel = 'info',
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level: process.env.READINESS_LOG_LEVEL ?? defaultLevel,
      base: { app: 'readiness', ...bindings },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: activityContext,
      hooks: { streamWrite: scrubSecrets },
    },
    destination,
  );
}

export type { Logger };
