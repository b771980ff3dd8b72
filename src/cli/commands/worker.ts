import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { EXIT } from '../../core/exit-codes';
import { TASK_QUEUE } from '../../core/names';
import { dataConverterFromEnv } from '../../infra/codec';
import { migrate } from '../../infra/db';
import { createLogger, type Logger } from '../../infra/logger';
import { namespaceRetentionMs, retentionWarning, scheduleIntervals } from '../../infra/retention';
import { temporalSecurityFromEnv, type TemporalSecurity } from '../../infra/temporal-connection';
import { installTemporalRuntime } from '../../infra/temporal-runtime';
import { createReadinessWorker } from '../../worker';
import { CliExit } from '../errors';
import { untilSignal } from './dev';

/**
 * `readiness worker`: a worker only, for real deployments. Reads TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TLS / API key (TEMPORAL_TLS*, TEMPORAL_API_KEY: infra/temporal-connection.ts), READINESS_TASK_QUEUE (default `readiness`), DATABASE_URL, READINESS_REPORT_DIR, READINESS_ALLOWED_HOSTS and the caps
 * READINESS_MAX_USERS / READINESS_MAX_RATE, READINESS_METRICS_ADDRESS (Prometheus `/metrics`, see
 * infra/temporal-runtime.ts); applies pending migrations; stops gracefully on
 * SIGINT/SIGTERM. With `--load` it serves only the load task queue (a load generator).
 */
export async function workerCommand(flags: { load?: boolean } = {}): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new CliExit(EXIT.INVALID_INPUT, 'error: DATABASE_URL is required for `readiness worker`');
  // Invalid TLS settings are reported (exit 2) before anything starts.
  const security = temporalSecurityFromEnv(process.env);
  const logger = createLogger({ cmd: 'worker' });
  installTemporalRuntime(logger);
  await migrate(databaseUrl, logger);
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const w = await createReadinessWorker({
    address,
    namespace,
    databaseUrl,
    reportRoot: path.resolve(process.env.READINESS_REPORT_DIR ?? 'reports'),
    logger,
    mode: flags.load ? 'load' : 'all',
    taskQueue: process.env.READINESS_TASK_QUEUE || undefined,
    security,
  });
  const running = w.run();
  if (!flags.load)
    void warnOnShortRetention({
      address,
      namespace,
      taskQueue: process.env.READINESS_TASK_QUEUE || TASK_QUEUE,
      security,
      logger,
    });
  logger.info({ address, tls: !!security.tls, apiKey: !!security.apiKey }, 'worker running');
  process.stdout.write(`readiness worker ready${flags.load ? ' (load generator)' : ''}\n`);
  await Promise.race([untilSignal(), running]);
  w.shutdown();
  await running;
  await w.close();
}

/**
 * Warns (once, at start) when the namespace keeps finished campaigns for less than the longest interval of the
 * schedules this worker serves: the previous campaign would be gone from the Web UI before the next run. Never fails
 * the worker (a server that refuses to describe the namespace or list schedules is only logged).
 */
async function warnOnShortRetention(o: {
  address: string;
  namespace: string;
  taskQueue: string;
  security: TemporalSecurity;
  logger: Logger;
}): Promise<void> {
  try {
    const connection = await Connection.connect({ address: o.address, connectTimeout: 5_000, ...o.security });
    try {
      const retentionMs = await namespaceRetentionMs(connection, o.namespace);
      const client = new Client({
        connection,
        namespace: o.namespace,
        dataConverter: dataConverterFromEnv(process.env),
      });
      const schedules = await scheduleIntervals(client, o.taskQueue);
      const warning = retentionWarning(retentionMs, schedules, o.namespace);
      if (warning) o.logger.warn({ namespace: o.namespace, retentionMs, schedules: schedules.length }, warning);
    } finally {
      await connection.close();
    }
  } catch (err) {
    o.logger.debug({ err: (err as Error).message }, 'could not check the namespace retention against the schedules');
  }
}
