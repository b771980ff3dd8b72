import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createReadinessWorker, type ReadinessWorker } from '../worker';
import { migrate } from '../infra/db';
import type { Logger } from '../infra/logger';
import { cacheBinDir } from '../infra/paths';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../infra/postgres';
import { freePort } from '../infra/process';
import { logProgress, type Progress } from '../infra/progress';
import { formatDurationMs } from '../core/duration';
import { DEFAULT_RETENTION_MS, setNamespaceRetention } from '../infra/retention';
import { registerSearchAttributes, resolveTemporalCli, startDevServer, type DevServer } from '../infra/temporal-cli';
import { writeDevState } from '../infra/dev-state';
import { parseSecretEnv } from '../core/secrets';

/** Options of {@link startStack}. */
export interface StackOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  logger: Logger;
  /** Start a worker in this process. */
  withWorker: boolean;
  allowInstall?: boolean;
  namespace?: string;
  /** Extra variables the in-process worker lets campaigns read (besides READINESS_SECRET_ENV). */
  secretEnv?: string[];
  /** Where first-run steps (Temporal CLI build, PostgreSQL init, migrations) are announced; default the logger. */
  progress?: Progress;
  /** The namespace's retention (default 30 days; the dev server's own is 24 h). */
  retentionMs?: number;
}

/** Everything `dev` runs: Temporal dev server, results Postgres (unless DATABASE_URL), a worker. */
export interface Stack {
  address: string;
  namespace: string;
  uiUrl: string;
  databaseUrl: string;
  reportRoot: string;
  temporal: DevServer;
  postgres?: EmbeddedPostgres;
  worker?: ReadinessWorker;
  workerRun?: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the local stack in `dataDir`: the Temporal dev server persisted to `temporal.db`, search
 * attributes registered, the results database (embedded unless DATABASE_URL) migrated, and
 * optionally a worker. Writes `dev.json` so other commands find it. Stops what it started if a
 * later step fails.
 */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const namespace = opts.namespace ?? 'default';
  const progress = opts.progress ?? logProgress(opts.logger);
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch((err) => opts.logger.warn({ err }, 'stop failed'));
    cleanup.length = 0;
  };
  try {
    const cli = await resolveTemporalCli({ cacheDir: cacheBinDir(), logger: opts.logger, progress });
    opts.logger.info({ path: cli.path, source: cli.source }, 'temporal CLI');
    const temporal = await startDevServer({
      binary: cli.path,
      dbFile: path.join(dataDir, 'temporal.db'),
      port: opts.port || (await freePort()),
      uiPort: opts.uiPort || (await freePort()),
      namespace,
      logFile: path.join(dataDir, 'temporal.log'),
      logger: opts.logger,
    });
    cleanup.push(() => temporal.stop());
    const conn = await Connection.connect({ address: temporal.address });
    try {
      const added = await registerSearchAttributes(conn, namespace);
      if (added.length) opts.logger.info({ added }, 'search attributes registered');
      // Last week's campaign must still be in the Web UI when this week's scheduled run starts.
      const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
      if (await setNamespaceRetention(conn, namespace, retentionMs))
        opts.logger.info({ namespace, retention: formatDurationMs(retentionMs) }, 'namespace retention set');
    } finally {
      await conn.close();
    }

    let postgres: EmbeddedPostgres | undefined;
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      postgres = await startEmbeddedPostgres({
        dir: path.join(dataDir, 'postgres'),
        port: await freePort(),
        logger: opts.logger,
        progress,
        allowInstall: opts.allowInstall ?? process.env.READINESS_ALLOW_APT === '1',
      });
      cleanup.push(() => postgres!.stop());
      databaseUrl = postgres.url;
    }
    const applied = await migrate(databaseUrl, opts.logger, progress);
    if (applied.length) opts.logger.info({ applied }, 'migrations applied');

    const reportRoot = path.join(dataDir, 'reports');
    let worker: ReadinessWorker | undefined;
    let workerRun: Promise<void> | undefined;
    if (opts.withWorker) {
      worker = await createReadinessWorker({
        address: temporal.address,
        namespace,
        databaseUrl,
        reportRoot,
        logger: opts.logger,
        ...(opts.secretEnv
          ? { secretEnv: [...parseSecretEnv(process.env.READINESS_SECRET_ENV), ...opts.secretEnv] }
          : {}),
      });
      workerRun = worker.run();
      const w = worker;
      cleanup.push(async () => {
        w.shutdown();
        await workerRun?.catch(() => undefined);
        await w.close();
      });
    }
    writeDevState(dataDir, {
      address: temporal.address,
      namespace,
      uiUrl: temporal.uiUrl,
      databaseUrl,
      reportRoot,
      pid: process.pid,
    });
    cleanup.push(async () => rmSync(path.join(dataDir, 'dev.json'), { force: true }));
    return {
      address: temporal.address,
      namespace,
      uiUrl: temporal.uiUrl,
      databaseUrl,
      reportRoot,
      temporal,
      postgres,
      worker,
      workerRun,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
