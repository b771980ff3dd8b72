/**
 * Benchmark child: runs the readiness load engine once against a URL and prints one JSON line with
 * requests, duration, the process's CPU time (all threads) and peak RSS.
 * Usage: node dist/bench/engine-runner.js <url> <users> <durationS> [thinkMs]
 */
import { readFileSync } from 'node:fs';
import type { LoadPlan } from '../core/load-plan';
import { runLoad } from '../engine/run';

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

async function main(): Promise<void> {
  const [url, users, durationS, thinkMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 0)];
  const plan: LoadPlan = {
    model: 'closed', durationMs: durationS * 1000, users, rampUpMs: users > 1000 ? 2_000 : 0, thinkTimeMs: thinkMs, rate: 0, stages: [],
    maxInFlight: users, dropAfterMs: 10_000, requestTimeoutMs: 10_000, maxBodyBytes: 1 << 20,
  };
  const cpu0 = process.cpuUsage();
  const r = await runLoad({ plan, scenario: { thinkTime: `${thinkMs}ms`, requestTimeout: '10s', vars: {}, requests: [{ name: 'get', method: 'GET', path: '/x', weight: 1 }] }, origin: url, headers: {} });
  const cpu = process.cpuUsage(cpu0);
  const h = r.metrics.latency();
  process.stdout.write(`${JSON.stringify({
    requests: r.metrics.totals().requests, errors: r.metrics.totals().errors, durationS: r.elapsedMs / 1000, cpuUs: cpu.user + cpu.system,
    p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, rssMb: peakRssMb(), threads: r.health.threads,
  })}\n`);
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
