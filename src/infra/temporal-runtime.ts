import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';

let installed = false;

/**
 * Routes the Temporal SDK's own logs to pino. Must run before anything creates the SDK runtime;
 * later calls in the same process are no-ops.
 */
export function installTemporalRuntime(logger: Logger, level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => {
        const fn = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : entry.level === 'INFO' ? 'info' : 'debug';
        logger[fn]({ sdk: true, ...entry.meta }, entry.message);
      }),
    });
  } catch {
    // A runtime already exists in this process (tests); keep its logger.
  }
}
