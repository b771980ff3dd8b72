import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createReadinessWorker, type ReadinessWorkerOptions } from '../../src/worker';
import { quietLogger, testEnv, uid } from './env';

/**
 * Runs a readiness worker inside the test process on its own task queue, with a client for it.
 * Call from `beforeAll`; `stop()` from `afterAll`.
 */
export async function startInProcessWorker(prefix: string, opts: Partial<ReadinessWorkerOptions> = {}) {
  const taskQueue = `${prefix}-${uid()}`;
  const reportRoot = mkdtempSync(path.join(testEnv.dir, `${prefix}-reports-`));
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  const worker = await createReadinessWorker({
    address: testEnv.temporalAddress,
    namespace: 'default',
    databaseUrl: testEnv.databaseUrl,
    reportRoot,
    logger: quietLogger(),
    taskQueue,
    allowedHosts: ['loopback'],
    ...opts,
  });
  const running = worker.run();
  return {
    taskQueue,
    reportRoot,
    client,
    stop: async () => {
      worker.shutdown();
      await running;
      await worker.close();
      await connection.close();
    },
  };
}
