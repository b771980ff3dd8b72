/**
 * A Redis the drills stop and start through declared commands, as an operator would declare them on the worker
 * (READINESS_FAULT_COMMANDS): shell scripts run as argv, the start one harmless when Redis already runs.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { run } from '../../src/infra/process';
import type { FaultCommandPair } from '../../src/infra/worker-config';
import { findBinary } from './monitoring-stack';

/** Declared commands: stop Redis (and wait until it is gone), start it (after a delay, then wait until it answers). */
export function redisCommands(workDir: string, port: number, restartDelayS: number): FaultCommandPair {
  const cli = findBinary('redis-cli')!;
  const server = findBinary('redis-server')!;
  const stop = path.join(workDir, 'stop-redis.sh');
  const start = path.join(workDir, 'start-redis.sh');
  writeFileSync(
    stop,
    `#!/bin/sh\n${cli} -p ${port} shutdown nosave >/dev/null 2>&1\nfor i in $(seq 1 50); do ${cli} -p ${port} ping >/dev/null 2>&1 || exit 0; sleep 0.1; done\nexit 1\n`,
  );
  writeFileSync(
    start,
    `#!/bin/sh\n# Already running: nothing to do (a restore after a crash or an abort may find it up).\n${cli} -p ${port} ping 2>/dev/null | grep -q PONG && exit 0\nsleep ${restartDelayS}\n${server} --port ${port} --bind 127.0.0.1 --dir ${workDir} --daemonize yes --pidfile ${workDir}/redis.pid --logfile ${workDir}/redis.log --save '' --appendonly no --protected-mode no\nfor i in $(seq 1 100); do ${cli} -p ${port} ping 2>/dev/null | grep -q PONG && exit 0; sleep 0.05; done\nexit 1\n`,
  );
  chmodSync(stop, 0o755);
  chmodSync(start, 0o755);
  return { stop: ['/bin/sh', stop], start: ['/bin/sh', start] };
}

export async function redisUp(port: number): Promise<boolean> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Writes the commands, starts Redis with the start command (no delay the first time), returns the commands. */
export async function startDeclaredRedis(
  workDir: string,
  port: number,
  restartDelayS: number,
): Promise<FaultCommandPair> {
  const now = redisCommands(workDir, port, 0).start;
  const started = await run(now[0]!, now.slice(1));
  if (started.code !== 0) throw new Error(`redis did not start: ${started.stderr}`);
  return redisCommands(workDir, port, restartDelayS);
}

/** Shuts the declared Redis down (end of a test). */
export async function stopDeclaredRedis(port: number): Promise<void> {
  const cli = findBinary('redis-cli');
  if (cli) await run(cli, ['-p', String(port), 'shutdown', 'nosave']);
}
