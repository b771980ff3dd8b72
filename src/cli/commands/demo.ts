import { spawn } from 'node:child_process';
import path from 'node:path';
import { demoCampaign } from '../../config/defaults';
import { InfrastructureError } from '../../core/errors';
import { dataConverterFromEnv } from '../../infra/codec';
import { workflowUrl } from '../../infra/dev-state';
import { createLogger, humanLogDestination } from '../../infra/logger';
import { consoleProgress } from '../../infra/progress';
import { freePort, stopProcess, waitFor } from '../../infra/process';
import { startStack } from '../dev-stack';
import { installTemporalRuntime } from '../../infra/temporal-runtime';
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { followCampaign, startCampaign } from '../campaign-runner';
import type { DevFlags } from './dev';

/** The variable the demo's restore drill reads its database from (declared for the demo's own worker only). */
const DEMO_DATABASE_ENV = 'DEMO_DATABASE_URL';

/**
 * `readiness demo`: the whole product on embedded defaults. Starts what `dev` starts plus the bundled
 * demo target (a pool-limited API over Postgres), runs the compressed demo campaign, prints the
 * verdict and the report's location, and stops everything. Exit 0 once a verdict is reached.
 */
export async function demoCommand(flags: DevFlags & { scale: number; json?: boolean }): Promise<void> {
  // Human lines on the console, never raw JSON; slow first-run steps announced as they run.
  const logger = createLogger({ cmd: 'demo' }, 'warn', humanLogDestination('readiness demo'));
  const progress = consoleProgress('readiness demo');
  installTemporalRuntime(logger);
  const stack = await startStack({
    dataDir: flags.dataDir,
    port: flags.port,
    uiPort: flags.uiPort,
    logger,
    progress,
    withWorker: true,
    allowInstall: flags.installPostgres,
    secretEnv: [DEMO_DATABASE_ENV],
    ...(flags.retention ? { retentionMs: flags.retention } : {}),
  });
  const targetPort = await freePort();
  const target = spawn(process.execPath, [path.join(__dirname, '..', '..', 'demo', 'target-server.js')], {
    env: { ...process.env, DEMO_DATABASE_URL: stack.databaseUrl, DEMO_PORT: String(targetPort) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const baseUrl = `http://127.0.0.1:${targetPort}`;
    const up = await waitFor(
      async () => await request(`${baseUrl}/health`).then(async (r) => (await r.body.dump(), r.statusCode === 200)),
      20_000,
    );
    if (!up) throw new InfrastructureError(`demo target did not start on ${baseUrl}`);
    process.stderr.write(`readiness demo: Temporal ${stack.address}, Web UI ${stack.uiUrl}, demo target ${baseUrl}\n`);

    const connection = await Connection.connect({ address: stack.address });
    try {
      // Same READINESS_CODEC_KEYS as the stack's worker (none: plaintext).
      const client = new Client({
        connection,
        namespace: stack.namespace,
        dataConverter: dataConverterFromEnv(process.env),
      });
      // The in-process worker reads the demo database's URL from its environment: only the name travels.
      process.env[DEMO_DATABASE_ENV] = stack.databaseUrl;
      const handle = await startCampaign(
        client,
        demoCampaign(baseUrl, flags.scale, { databaseEnv: DEMO_DATABASE_ENV }),
      );
      process.stderr.write(
        `started campaign ${handle.workflowId}\nWeb UI: ${workflowUrl(stack.uiUrl, stack.namespace, handle.workflowId)}\n`,
      );
      const result = await followCampaign(handle);
      process.stdout.write(`verdict: ${result.decision} (score ${result.scorePct}%)\n`);
      for (const b of result.verdict.blockers) process.stdout.write(`  blocker: ${b}\n`);
      process.stdout.write(
        `report: ${path.join(result.reportDir, 'report.md')}\n        ${path.join(result.reportDir, 'report.json')}\n        ${path.join(result.reportDir, 'report.html')}\n`,
      );
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ campaignId: result.campaignId, workflowId: handle.workflowId, decision: result.decision, scorePct: result.scorePct, reportDir: result.reportDir })}\n`,
        );
      }
    } finally {
      await connection.close();
    }
  } finally {
    await stopProcess(target);
    await stack.stop();
  }
}
