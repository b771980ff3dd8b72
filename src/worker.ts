/**
 * The readiness worker: polls the campaign task queue and runs the workflow and its activities.
 * `createReadinessWorker` is used by `readiness worker`, `dev`, `demo` and the tests.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { parseAllowedHosts } from './core/allowlist';
import { TASK_QUEUE } from './core/names';
import { createPool } from './infra/db';
import type { Logger } from './infra/logger';
import { ResultsStore } from './infra/results-store';

/** Options of {@link createReadinessWorker}. */
export interface ReadinessWorkerOptions {
  address: string;
  namespace: string;
  databaseUrl: string;
  reportRoot: string;
  logger: Logger;
  taskQueue?: string;
  allowedHosts?: string[];
}

/** A built worker and what it owns; `run()` until shutdown, then `close()`. */
export interface ReadinessWorker {
  worker: Worker;
  store: ResultsStore;
  close(): Promise<void>;
}

/** The prebuilt workflow bundle (`npm run build`), used when present so workers start in milliseconds. */
const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

/**
 * Builds a worker with its dependencies: a pg pool for results, the target allowlist, and the
 * workflow code (prebuilt bundle when available, else bundled from source).
 */
export async function createReadinessWorker(opts: ReadinessWorkerOptions): Promise<ReadinessWorker> {
  const pool = createPool(opts.databaseUrl);
  const store = new ResultsStore(pool);
  const connection = await NativeConnection.connect({ address: opts.address });
  const activities = createActivities({
    logger: opts.logger, store, reportRoot: opts.reportRoot,
    allowedHosts: opts.allowedHosts ?? parseAllowedHosts(process.env.READINESS_ALLOWED_HOSTS),
  });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    activities,
    ...(existsSync(PREBUILT_BUNDLE)
      ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
      : { workflowsPath: require.resolve('./workflows') }),
    // Checkpoints reach the server every second, so a crash loses at most ~1 s of load.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '5s',
  });
  return {
    worker,
    store,
    close: async () => {
      await connection.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}
