/**
 * Benchmark child: runs the readiness load engine once against a URL and prints one JSON line with
 * requests, duration, the process's CPU time (all threads) and peak RSS.
 * Usage: node dist/bench/engine-runner.js <url> <users> <durationS> [thinkMs] [warmupS] [independent|flow] [rampS]
 * `rampS`: the users start evenly over it (default 2 s from 1,000 users on, else at once).
 * `flow` runs the same GET as a three-step journey (scenario.flows) rather than as independent requests.
 * With a warm-up, users start warmupS earlier, their warm-up requests are not recorded, and the server's
 * statistics are reset (GET /__stats) when the measurement starts.
 */
import { readFileSync } from 'node:fs';
import type { LoadPlan } from '../config/load-plan';
import { request } from 'undici';
import { runLoad } from '../engine/run';

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 1048576;
}

async function main(): Promise<void> {
  const flow = process.argv[7] === 'flow';
  const rampS = process.argv[8] === undefined ? undefined : Number(process.argv[8]);
  const [url, users, durationS, thinkMs, warmupS] = [
    process.argv[2],
    Number(process.argv[3]),
    Number(process.argv[4]),
    Number(process.argv[5] ?? 0),
    Number(process.argv[6] ?? 0),
  ];
  const plan: LoadPlan = {
    model: 'closed',
    durationMs: durationS * 1000,
    users,
    rampUpMs: rampS !== undefined ? rampS * 1000 : users > 1000 ? 2_000 : 0,
    thinkTimeMs: thinkMs,
    rate: 0,
    stages: [],
    maxInFlight: users,
    dropAfterMs: 10_000,
    requestTimeoutMs: 10_000,
    maxBodyBytes: 1 << 20,
  };
  const warmupMs = warmupS * 1000;
  // The server's statistics are reset when the measurement starts, after the warm-up.
  // CPU is counted from the start, as autocannon's runner counts it after loading its modules (a load
  // thread's boot is its module loading).
  let cpu0 = process.cpuUsage();
  const onStart = (startAtMs: number) => {
    cpu0 = process.cpuUsage();
    if (warmupMs > 0)
      setTimeout(() => void request(`${url}/__stats`).then((r) => r.body.dump()), startAtMs - Date.now());
  };
  const r = await runLoad({
    plan,
    onStart,
    warmupMs,
    scenario: {
      thinkTime: `${thinkMs}ms`,
      requestTimeout: '10s',
      vars: {},
      ...(flow
        ? {
            requests: [],
            flows: [
              {
                name: 'journey',
                weight: 1,
                onStepFailure: 'stop' as const,
                steps: ['a', 'b', 'c'].map((n) => ({ name: `get-${n}`, method: 'GET' as const, path: '/x' })),
              },
            ],
          }
        : { requests: [{ name: 'get', method: 'GET' as const, path: '/x', weight: 1 }] }),
    },
    origin: url,
    headers: {},
  });
  const cpu = process.cpuUsage(cpu0);
  const h = r.metrics.latency();
  process.stdout.write(
    `${JSON.stringify({
      requests: r.metrics.totals().requests,
      errors: r.metrics.totals().errors,
      durationS: r.elapsedMs / 1000,
      cpuUs: cpu.user + cpu.system,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      rssMb: peakRssMb(),
      threads: r.health.threads,
      eventLoopP99Ms: r.health.eventLoopDelayP99Ms,
    })}\n`,
  );
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
