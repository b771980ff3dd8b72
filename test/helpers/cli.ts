import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { testEnv, testPool } from './env';

/** The built CLI (`npm run build` first; `npm test` does). */
export const CLI = path.join(__dirname, '..', '..', 'bin', 'readiness.js');

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`readiness ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Starts `readiness worker` as a real process and resolves once it reports ready. */
export function spawnWorker(
  env: NodeJS.ProcessEnv,
  args: string[] = [],
): Promise<ChildProcess & { logs: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'worker', ...args], {
      env: { ...process.env, READINESS_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not become ready:\n${logs}`));
    }, 60_000);
    child.stderr.on('data', (d) => (logs += d));
    child.stdout.on('data', (d) => {
      logs += d;
      if (String(d).includes('readiness worker ready')) {
        clearTimeout(timer);
        resolve(Object.assign(child, { logs: () => logs }));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${logs}`));
    });
  });
}

/** Stops a worker process and waits for it to exit. */
export async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/**
 * For SIGKILL tests: a `readiness worker` process on the shared dev server, a client and a results pool.
 * `kill()` SIGKILLs it, `startAnother()` starts a replacement; `close()` stops whatever is left.
 */
export async function killableWorker(prefix: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: mkdtempSync(path.join(testEnv.dir, `${prefix}-`)),
    ...extraEnv,
  };
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const pool = testPool();
  const first = await spawnWorker(env);
  let second: ChildProcess | undefined;
  return {
    client: new Client({ connection }),
    pool,
    kill: () => stopWorker(first, 'SIGKILL'),
    startAnother: async () => {
      second = await spawnWorker(env);
    },
    close: async () => {
      if (second) await stopWorker(second);
      await stopWorker(first).catch(() => undefined);
      await connection.close();
      await pool.end();
    },
  };
}
