import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';
import { enableToolMetrics, TOOL_HISTOGRAM_BUCKETS } from './metrics';

let installed = false;

/**
 * SDK messages that say what the design intends, logged at debug instead of their level: the load worker
 * serves activities only, so it never polls for workflow tasks.
 */
const EXPECTED_SDK_MESSAGES = new Set(['No workflows registered, not polling for workflow tasks']);

/**
 * Routes the Temporal SDK's own logs to pino and, when READINESS_METRICS_ADDRESS (`IP:port`) is set,
 * serves Prometheus metrics on `http://<address>/metrics`: the SDK's runtime metrics (`temporal_*`)
 * and the tool's own (`readiness_*`, see metrics.ts) through the same exporter. Must run before anything
 * creates the SDK runtime; later calls in the same process are no-ops. A metrics address that is
 * malformed or in use throws: a worker asked for metrics does not run without them.
 */
export function installTemporalRuntime(logger: Logger, level: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  const bindAddress = process.env.READINESS_METRICS_ADDRESS?.trim() || undefined;
  let runtime: Runtime;
  try {
    runtime = Runtime.install({
      logger: new DefaultLogger(level, (entry) => {
        const fn = EXPECTED_SDK_MESSAGES.has(entry.message)
          ? 'debug'
          : entry.level === 'ERROR'
            ? 'error'
            : entry.level === 'WARN'
              ? 'warn'
              : entry.level === 'INFO'
                ? 'info'
                : 'debug';
        logger[fn]({ sdk: true, ...entry.meta }, entry.message);
      }),
      ...(bindAddress
        ? {
            telemetryOptions: {
              metrics: { prometheus: { bindAddress, histogramBucketOverrides: TOOL_HISTOGRAM_BUCKETS } },
            },
          }
        : {}),
    });
  } catch (err) {
    // A runtime already exists in this process (tests); keep its logger (and its metrics, if any).
    if (err instanceof IllegalStateError || !bindAddress) return;
    throw new Error(
      `READINESS_METRICS_ADDRESS=${bindAddress}: ${err instanceof Error ? err.message : String(err)} (expected IP:port, e.g. 0.0.0.0:9464, on a free port)`,
    );
  }
  if (bindAddress) {
    enableToolMetrics(runtime.metricMeter);
    logger.info({ metrics: `http://${bindAddress}/metrics` }, 'Prometheus metrics enabled');
  }
}
