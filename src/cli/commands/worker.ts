import path from 'node:path';
import { EXIT } from '../../core/exit-codes';
import { migrate } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { temporalSecurityFromEnv } from '../../infra/temporal-connection';
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
  const w = await createReadinessWorker({
    address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    databaseUrl,
    reportRoot: path.resolve(process.env.READINESS_REPORT_DIR ?? 'reports'),
    logger,
    mode: flags.load ? 'load' : 'all',
    taskQueue: process.env.READINESS_TASK_QUEUE || undefined,
    security,
  });
  const running = w.run();
  logger.info(
    { address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', tls: !!security.tls, apiKey: !!security.apiKey },
    'worker running',
  );
  process.stdout.write(`readiness worker ready${flags.load ? ' (load generator)' : ''}\n`);
  await Promise.race([untilSignal(), running]);
  w.shutdown();
  await running;
  await w.close();
}
