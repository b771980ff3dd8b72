import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP target for tests: `handler` decides each response; `/health` answers 200 unless overridden. */
export async function startTarget(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: string; requests: () => number; connections: () => number; close(): Promise<void> }> {
  let n = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200).end('ok');
      return;
    }
    n += 1;
    handler(req, res, n);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => n,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A handler answering 200 after a fixed delay. */
export const delayed =
  (ms: number, status = 200) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}'), ms);
  };

/** Starts one of the bench servers (dist/bench/<file>) in its own process; resolves with its URL. */
async function spawnBenchServer(
  file: string,
  args: Array<string | number>,
): Promise<{ url: string; close(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const child = spawn(
    process.execPath,
    [path.join(__dirname, '..', '..', 'dist', 'bench', file), ...args.map(String)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const { request } = await import('undici');
  return (await (await request(url)).body.json()) as T;
}

/**
 * Starts the fixed-delay server (dist/bench/delay-server.js) in its own process, so the test process adds
 * no timer jitter. `stats()` returns the delay the server really applied since the last call.
 */
export async function startDelayServer(
  delayMs: number,
): Promise<{ url: string; stats(): Promise<{ count: number; p50Ms: number; p99Ms: number }>; close(): Promise<void> }> {
  const server = await spawnBenchServer('delay-server.js', [delayMs]);
  return { ...server, stats: () => getJson(`${server.url}/__stats`) };
}

/** Starts dist/bench/capacity-server.js in its own process: a target with a known, pool-limited capacity. */
export async function startCapacityServer(
  slots: number,
  serviceMs: number,
  maxWaitMs: number,
  breakAfterErrors = 0,
): Promise<{ url: string; capacity(): Promise<number>; close(): Promise<void> }> {
  const server = await spawnBenchServer('capacity-server.js', [slots, serviceMs, maxWaitMs, breakAfterErrors]);
  return {
    ...server,
    capacity: async () => (await getJson<{ capacityRps: number }>(`${server.url}/__stats`)).capacityRps,
  };
}
