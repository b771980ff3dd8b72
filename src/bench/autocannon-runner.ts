/**
 * Benchmark child: runs autocannon (the anchor) once and prints the same JSON line as engine-runner.
 * Usage: node dist/bench/autocannon-runner.js <url> <connections> <durationS> [warmupS]
 * With a warm-up, autocannon first runs warmupS against the server, then the server's statistics are reset
 * (GET /__stats) and the measured run starts in the same (warm) process.
 */
import { request } from 'undici';

async function main(): Promise<void> {
  // autocannon is a devDependency: the benchmark is a development tool.
  const autocannon = (await import('autocannon')).default;
  const [url, connections, durationS, warmupS] = [
    process.argv[2],
    Number(process.argv[3]),
    Number(process.argv[4]),
    Number(process.argv[5] ?? 0),
  ];
  if (warmupS > 0) {
    await autocannon({ url: `${url}/x`, connections, duration: warmupS });
    await (await request(`${url}/__stats`)).body.dump();
  }
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url: `${url}/x`, connections, duration: durationS });
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      requests: r.requests.total,
      errors: r.errors + r.non2xx,
      durationS: r.duration,
      cpuUs: cpu.user + cpu.system,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      rssMb: process.memoryUsage().rss / 1048576,
    })}\n`,
  );
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
