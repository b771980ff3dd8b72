import pino, { type Logger } from 'pino';

/** Paths pino removes from every log line: anything that could carry a secret. */
export const REDACT_PATHS = [
  'databaseUrl', '*.databaseUrl', 'connectionString', '*.connectionString', 'password', '*.password',
  'headers.authorization', '*.headers.authorization', 'headers.cookie', '*.headers.cookie', 'headers', '*.headers',
];

/**
 * Creates the process logger: JSON lines on stderr (stdout stays for command output),
 * secrets redacted. Level from READINESS_LOG_LEVEL, else `defaultLevel`.
 */
export function createLogger(bindings: Record<string, unknown> = {}, defaultLevel = 'info'): Logger {
  return pino(
    { level: process.env.READINESS_LOG_LEVEL ?? defaultLevel, base: { app: 'readiness', ...bindings }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
}

export type { Logger };
