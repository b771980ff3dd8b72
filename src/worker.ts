/**
 * The readiness worker: the campaign task queue (workflow + activities) and the load task queue
 * (load generators). `createReadinessWorker` is used by `readiness worker`, `dev`, `demo` and the tests.
 */
import type { TemporalSecurity } from './infra/temporal-connection';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadTaskQueue, TASK_QUEUE } from './core/names';
import { codecFromEnv } from './infra/codec';
import { createPool } from './infra/db';
import type { Logger } from './infra/logger';
import { ResultsStore } from './infra/results-store';
import { SecretResolver } from './infra/secrets';
import { workerTrustFromEnv, type FaultCommandPair } from './infra/worker-config';

/** Options of {@link createReadinessWorker}. */
export interface ReadinessWorkerOptions {
  /** TLS / API key for a remote cluster (`readiness worker` reads them from the environment); none for a local dev server. */
  security?: TemporalSecurity;
  address: string;
  namespace: string;
  databaseUrl: string;
  reportRoot: string;
  logger: Logger;
  taskQueue?: string;
  /** Hosts targets may be on; default READINESS_ALLOWED_HOSTS (loopback only when unset). */
  allowedHosts?: string[];
  /** Hosts monitoring and backup systems may be on; default READINESS_ALLOWED_SYSTEM_HOSTS, else `allowedHosts`. */
  allowedSystemHosts?: string[];
  /** Variables campaigns may name in `{ fromEnv }`; default READINESS_SECRET_ENV (none). */
  secretEnv?: string[];
  /** Recovery commands campaigns may name; default READINESS_RECOVERY_COMMANDS (none). */
  recoveryCommands?: Record<string, string[]>;
  /** Fault drill command pairs campaigns may name; default READINESS_FAULT_COMMANDS (none). */
  faultCommands?: Record<string, FaultCommandPair>;
  /** Directories backupDirectory may lie under; default READINESS_BACKUP_ROOTS (none). */
  backupRoots?: string[];
  /** Caps per load generator; default READINESS_MAX_USERS / READINESS_MAX_RATE, else 20,000 users and 50,000 req/s. */
  maxUsers?: number;
  maxRate?: number;
  /**
   * `all` (default): campaign and load queues; `load`: only the load queue (a load generator);
   * `campaign`: only the campaign queue (load comes from separate `--load` generators).
   */
  mode?: 'all' | 'load' | 'campaign';
  /**
   * Payload codec (encryption) for everything the workers send to and read from the server; default
   * `codecFromEnv()` (READINESS_CODEC_KEYS), none when unset. Clients need the same keys.
   */
  codec?: PayloadCodec;
  /**
   * The workflow code to run: default the prebuilt bundle (`npm run build`), else bundled from source. A rollout
   * test gives a second build's bundle here (test/e2e/upgrade.test.ts).
   */
  workflowBundle?: { code: string } | { codePath: string };
}

/** Built workers and what they own: `run()` until `shutdown()`, then `close()`. */
export interface ReadinessWorker {
  workers: Worker[];
  store: ResultsStore;
  run(): Promise<void>;
  shutdown(): void;
  close(): Promise<void>;
}

/** The prebuilt workflow bundle (`npm run build`), used when present so workers start in milliseconds. */
const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js');

/**
 * Builds the workers with their dependencies: a pg pool for results, the target allowlist, and the
 * workflow code (prebuilt bundle when available, else bundled from source).
 */
export async function createReadinessWorker(opts: ReadinessWorkerOptions): Promise<ReadinessWorker> {
  // Before any connection: malformed READINESS_CODEC_KEYS fails here, and nothing runs unencrypted; so does a
  // malformed trust setting (allowlists, secrets, recovery commands, backup roots).
  const codec = opts.codec ?? codecFromEnv(process.env);
  const trust = workerTrustFromEnv(process.env);
  const targets = opts.allowedHosts ?? trust.egress.targets;
  const pool = createPool(opts.databaseUrl);
  const store = new ResultsStore(pool);
  const connection = await NativeConnection.connect({ address: opts.address, ...(opts.security ?? {}) });
  const taskQueue = opts.taskQueue ?? TASK_QUEUE;
  const activities = createActivities({
    logger: opts.logger,
    store,
    reportRoot: opts.reportRoot,
    egress: {
      targets,
      systems:
        opts.allowedSystemHosts ??
        (process.env.READINESS_ALLOWED_SYSTEM_HOSTS?.trim() ? trust.egress.systems : targets),
    },
    secrets: new SecretResolver(opts.secretEnv ?? trust.secretEnv),
    maxUsers: opts.maxUsers ?? numberEnv('READINESS_MAX_USERS'),
    maxRate: opts.maxRate ?? numberEnv('READINESS_MAX_RATE'),
    recoveryCommands: opts.recoveryCommands ?? trust.recoveryCommands,
    faultCommands: opts.faultCommands ?? trust.faultCommands,
    backupRoots: opts.backupRoots ?? trust.backupRoots,
  });
  const common = {
    connection,
    namespace: opts.namespace,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    // Checkpoints reach the server every second, so a crash loses at most ~1 s of load.
    maxHeartbeatThrottleInterval: '1s',
    defaultHeartbeatThrottleInterval: '1s',
    shutdownGraceTime: '5s',
  } as const;
  const workers: Worker[] = [];
  if (opts.mode !== 'load') {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue,
        activities,
        // After a worker dies, the server keeps sending a campaign's next workflow task to the dead worker's sticky
        // queue until this passes (SDK default 10 s: measured as ~10 s added per SIGKILL). Campaign histories are
        // small, so a miss costs a cheap replay on another worker.
        stickyQueueScheduleToStartTimeout: '3s',
        ...(opts.workflowBundle
          ? { workflowBundle: opts.workflowBundle }
          : existsSync(PREBUILT_BUNDLE)
            ? { workflowBundle: { codePath: PREBUILT_BUNDLE } }
            : { workflowsPath: require.resolve('./workflows') }),
      }),
    );
  }
  if (opts.mode !== 'campaign')
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: loadTaskQueue(taskQueue),
        activities: { runLoadSlice: activities.runLoadSlice, runContinuousLoad: activities.runContinuousLoad },
        // One generator per process at a time: a generator owns the machine's cores while it runs.
        maxConcurrentActivityTaskExecutions: 1,
      }),
    );
  return {
    workers,
    store,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
    close: async () => {
      await connection.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

function numberEnv(name: string): number | undefined {
  const v = process.env[name];
  return v && Number.isFinite(Number(v)) ? Number(v) : undefined;
}
