import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral port range (Linux), from which outgoing connections take their local ports. */
function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : undefined));
    });
  });
}

/**
 * Finds a free TCP port on 127.0.0.1 for a server that is started later (often another program, given the
 * port in its configuration). It is picked below the kernel's ephemeral range, so an outgoing connection of
 * any process cannot take it in the meantime (a port from `listen(0)` is in that range, and was seen taken
 * by another program's outgoing connection before the server bound it); port 0 only as a last resort.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPortRange();
  const floor = 10_000;
  if (low - floor > 1_000) {
    for (let i = 0; i < 50; i++) {
      const port = await listenOnce(floor + Math.floor(Math.random() * (low - floor)));
      if (port) return port;
    }
  }
  const port = await listenOnce(0);
  if (!port) throw new Error('no free port on 127.0.0.1');
  return port;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Options of {@link run}: spawn options, and how much of each output stream to keep. */
export type RunOptions = SpawnOptions & {
  /** Keep at most this many bytes of stdout and of stderr (the rest is read and discarded). Default: all. */
  maxOutputBytes?: number;
  /**
   * Resolve when the process exits, not when its output closes: a command that leaves a daemon holding its stdout
   * (a start script) still returns. Default false.
   */
  untilExit?: boolean;
};

/** Runs a command to completion (no shell); resolves with its exit code and (up to `maxOutputBytes` of) its output. */
export function run(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { maxOutputBytes = Infinity, untilExit = false, ...spawnOptions } = opts;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const keep = (have: string, chunk: Buffer) =>
      have.length >= maxOutputBytes
        ? have
        : have + chunk.toString('utf8', 0, Math.min(chunk.length, maxOutputBytes - have.length));
    child.stdout?.on('data', (d: Buffer) => (stdout = keep(stdout, d)));
    child.stderr?.on('data', (d: Buffer) => (stderr = keep(stderr, d)));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + String(err) }));
    if (untilExit)
      child.on('exit', (code) => {
        resolve({ code: code ?? -1, stdout, stderr });
        child.stdout?.destroy();
        child.stderr?.destroy();
      });
    else child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Stops a child process: SIGTERM (or the given signal), then SIGKILL after a grace period. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns true or the timeout passes; returns whether it succeeded. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
