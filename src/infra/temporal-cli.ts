import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../core/names';
import { InfrastructureError } from '../core/errors';
import type { Logger } from './logger';
import { run, stopProcess, waitFor } from './process';
import { logProgress, silentProgress, type Progress } from './progress';

/** The Temporal CLI version built with `go install` when nothing else is available. */
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const TEMPORAL_CLI_GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function cachedSdkDownload(cacheDir: string): string | undefined {
  if (!existsSync(cacheDir)) return undefined;
  const hit = readdirSync(cacheDir)
    .filter((f) => f.startsWith('temporal-cli-'))
    .sort()
    .pop();
  return hit && isExecutable(path.join(cacheDir, hit)) ? path.join(cacheDir, hit) : undefined;
}

/** Options of {@link resolveTemporalCli}. */
export interface ResolveOptions {
  cacheDir: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Try the SDK's own download (needs internet). Default true. */
  allowDownload?: boolean;
  /** Try `go install` into the cache (takes minutes the first time). Default true. */
  allowGoInstall?: boolean;
  /** Where the slow steps (the SDK's download, the `go install`) are announced; default: the logger, if any. */
  progress?: Progress;
}

/**
 * Finds a `temporal` CLI binary, in this order: `TEMPORAL_CLI`; `temporal` on PATH; the repo-local
 * cache; the SDK's own download into the cache; `go install` of the CLI into the cache. Throws an
 * InfrastructureError listing everything it tried.
 */
export async function resolveTemporalCli(opts: ResolveOptions): Promise<{ path: string; source: string }> {
  const env = opts.env ?? process.env;
  const progress = opts.progress ?? (opts.logger ? logProgress(opts.logger) : silentProgress);
  const tried: string[] = [];
  if (env.TEMPORAL_CLI) {
    if (isExecutable(env.TEMPORAL_CLI)) return { path: env.TEMPORAL_CLI, source: 'TEMPORAL_CLI' };
    tried.push(`TEMPORAL_CLI=${env.TEMPORAL_CLI}: not an executable file`);
  } else tried.push('TEMPORAL_CLI: not set');

  const fromPath = onPath('temporal', env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  tried.push('`temporal` on PATH: not found');

  const cached = path.join(opts.cacheDir, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  const sdkCached = cachedSdkDownload(opts.cacheDir);
  if (sdkCached) return { path: sdkCached, source: 'cache (SDK download)' };
  tried.push(`repo-local cache ${opts.cacheDir}: empty`);

  if (opts.allowDownload !== false) {
    const downloaded = await progress
      .step("trying the Temporal SDK's dev-server download", 'seconds; gives up after 60 s without internet', () =>
        sdkDownload(opts.cacheDir),
      )
      .catch((err: Error) => {
        tried.push(`the SDK's download: ${err.message.split('\n')[0]}`);
        return undefined;
      });
    if (downloaded) return { path: downloaded, source: 'SDK download' };
  } else tried.push("the SDK's download: disabled");

  if (opts.allowGoInstall !== false) {
    const go = onPath('go', env);
    if (!go) tried.push('go install: `go` not on PATH');
    else {
      mkdirSync(opts.cacheDir, { recursive: true });
      const built = await progress
        .step(
          `building the Temporal CLI ${TEMPORAL_CLI_VERSION} from the Go module proxy into ${opts.cacheDir}, once`,
          '5-10 min',
          async () => {
            const res = await run(go, ['install', TEMPORAL_CLI_GO_PACKAGE], { env: { ...env, GOBIN: opts.cacheDir } });
            if (res.code !== 0 || !isExecutable(cached))
              throw new Error(`exit ${res.code}: ${res.stderr.trim().split('\n').slice(-2).join(' ')}`);
          },
        )
        .then(
          () => true,
          (err: Error) => {
            tried.push(`go install ${TEMPORAL_CLI_GO_PACKAGE}: ${err.message}`);
            return false;
          },
        );
      if (built) return { path: cached, source: 'go install' };
    }
  } else tried.push('go install: disabled');

  throw new InfrastructureError(
    'cannot find or build the Temporal CLI (set TEMPORAL_CLI to a `temporal` binary)',
    tried,
  );
}

/** Lets the SDK download its pinned dev server into the cache, then returns the file it wrote. */
async function sdkDownload(cacheDir: string): Promise<string | undefined> {
  let testing: typeof import('@temporalio/testing');
  try {
    testing = await import('@temporalio/testing');
  } catch {
    throw new Error('@temporalio/testing is not installed');
  }
  mkdirSync(cacheDir, { recursive: true });
  const env = await Promise.race([
    testing.TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir: cacheDir }, ui: false },
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 60 s')), 60_000).unref()),
  ]);
  await env.teardown();
  return cachedSdkDownload(cacheDir);
}

/** A running Temporal dev server. */
export interface DevServer {
  address: string;
  namespace: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  binary: string;
  /** SQLite file the server persists to; survives restarts. */
  dbFile: string;
  port: number;
  uiPort: number;
  namespace?: string;
  logFile: string;
  logger?: Logger;
  startTimeoutMs?: number;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1, persisted in a SQLite file, and waits until it
 * answers gRPC. Search attributes are registered separately (they must be for an existing db file).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  const out = createWriteStream(opts.logFile, { flags: 'a' });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    opts.dbFile,
    '--namespace',
    namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  ];
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let exitInfo: string | undefined;
  child.on('exit', (code, signal) => (exitInfo = `exited with ${code ?? signal}`));
  const address = `127.0.0.1:${opts.port}`;
  const ready = await waitFor(
    async () => {
      if (exitInfo) return true;
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.describeNamespace({ namespace });
        return true;
      } finally {
        await conn.close();
      }
    },
    opts.startTimeoutMs ?? 60_000,
    250,
  );
  if (!ready || exitInfo) {
    await stopProcess(child, 'SIGKILL');
    throw new InfrastructureError(
      `Temporal dev server did not start on ${address} (${exitInfo ?? 'timed out'}); see ${opts.logFile}`,
    );
  }
  opts.logger?.info({ address, ui: `http://127.0.0.1:${opts.uiPort}` }, 'temporal dev server ready');
  return {
    address,
    namespace,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    process: child,
    stop: async () => {
      await stopProcess(child, 'SIGTERM', 15_000);
      out.end();
    },
  };
}

const SA_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
};

/**
 * Registers the project's search attributes in a namespace if missing (idempotent: existing ones
 * are left alone). Returns the names it added.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTES.filter((sa) => !have.has(sa.name));
  if (!missing.length) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((sa) => [sa.name, SA_TYPES[sa.type]])),
  });
  // Visibility picks new attributes up asynchronously; wait until they are listed.
  await waitFor(
    async () => {
      const now = await connection.operatorService.listSearchAttributes({ namespace });
      return missing.every((sa) => sa.name in (now.customAttributes ?? {}));
    },
    15_000,
    200,
  );
  return missing.map((sa) => sa.name);
}
