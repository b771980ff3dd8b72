import { createLogger, humanLogDestination } from '../../infra/logger';
import { consoleProgress } from '../../infra/progress';
import { startStack } from '../dev-stack';
import { installTemporalRuntime } from '../../infra/temporal-runtime';

/** Flags of `readiness dev`. */
export interface DevFlags {
  dataDir: string;
  port: number;
  uiPort: number;
  installPostgres?: boolean;
  /** The namespace's retention (ms): how long finished campaigns stay in the Web UI. */
  retention?: number;
}

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

/**
 * `readiness dev`: Temporal dev server (persisted), search attributes, results Postgres, migrations
 * and a worker, in the foreground until SIGINT/SIGTERM.
 */
export async function devCommand(flags: DevFlags): Promise<void> {
  // Human lines on the console, never raw JSON; slow first-run steps announced as they run.
  const logger = createLogger({ cmd: 'dev' }, 'warn', humanLogDestination('readiness dev'));
  const progress = consoleProgress('readiness dev');
  installTemporalRuntime(logger);
  const stack = await startStack({
    dataDir: flags.dataDir,
    port: flags.port,
    uiPort: flags.uiPort,
    logger,
    progress,
    withWorker: true,
    allowInstall: flags.installPostgres,
    ...(flags.retention ? { retentionMs: flags.retention } : {}),
  });
  process.stdout.write(
    `readiness dev ready: Temporal ${stack.address} (namespace ${stack.namespace}), Web UI ${stack.uiUrl}, reports in ${stack.reportRoot}\n`,
  );
  const sig = await Promise.race([untilSignal(), stack.workerRun!.then(() => 'worker stopped' as const)]);
  logger.info({ reason: sig }, 'stopping');
  await stack.stop();
  process.stdout.write('readiness dev stopped\n');
}
