/**
 * `npm run bench`: our load engine and autocannon against the same loopback targets, in one go, printed
 * as ratios (never as timed tests). `npm run bench -- --json` prints one JSON object.
 *
 *  1. Throughput and CPU: a plain node:http server, 50 connections / users, no think time, run in
 *     BENCH_ROUNDS rounds (default 3) in ABBA order (engine, autocannon, autocannon, engine), so a machine
 *     that speeds up or slows down during the benchmark favours neither; totals are pooled over all runs.
 *  2. Accuracy: a server with a fixed 20 ms delay that records the delay it really applied; the error is
 *     client-observed minus server-applied, at p50 and p99, after a 2 s warm-up of each generator that
 *     neither it nor the server records (as wrk2 excludes its calibration period).
 *  3. Scale: 10,000 closed-model users with 1 s think time; peak RSS of the generator process.
 *  4. Flows: the same GET as independent requests and as a three-step journey (scenario.flows), ABBA over the
 *     rounds; a journey must cost no more CPU per request than independent requests (within 5 %).
 * Each generator runs in its own process so its CPU time and memory are its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';

interface RunnerResult {
  requests: number;
  errors: number;
  durationS: number;
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
}

const json = process.argv.includes('--json');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

function child(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(__dirname, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${file} exited ${code}`))));
  });
}

async function server(
  delayMs: number,
): Promise<{ url: string; stats(): Promise<{ count: number; p50Ms: number; p99Ms: number }>; stop(): void }> {
  const c = spawn(process.execPath, [path.join(__dirname, 'delay-server.js'), String(delayMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve) => c.stdout.once('data', (d) => resolve(String(d).trim())));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    stats: async () =>
      (await (await request(`${url}/__stats`)).body.json()) as { count: number; p50Ms: number; p99Ms: number },
    stop: () => c.kill('SIGTERM'),
  };
}

const engine = async (url: string, users: number, s: number, thinkMs = 0, warmupS = 0, mode = 'independent') =>
  JSON.parse(
    await child('engine-runner.js', [url, String(users), String(s), String(thinkMs), String(warmupS), mode]),
  ) as RunnerResult & { threads: number };
const anchor = async (url: string, connections: number, s: number, warmupS = 0) =>
  JSON.parse(
    await child('autocannon-runner.js', [url, String(connections), String(s), String(warmupS)]),
  ) as RunnerResult;
const pooled = (runs: RunnerResult[]) => ({
  rps: runs.reduce((n, r) => n + r.requests, 0) / runs.reduce((n, r) => n + r.durationS, 0),
  cpuUsPerReq: runs.reduce((n, r) => n + r.cpuUs, 0) / runs.reduce((n, r) => n + r.requests, 0),
});
const r2 = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  log(
    `readiness load engine vs autocannon (${seconds} s per run, loopback, ${process.env.BENCH_CONNECTIONS ?? 50} connections)`,
  );
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  const plain = await server(0);
  const engineRuns: Array<RunnerResult & { threads: number }> = [];
  const anchorRuns: RunnerResult[] = [];
  const roundRatios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const e1 = await engine(plain.url, connections, seconds);
    const a1 = await anchor(plain.url, connections, seconds);
    const a2 = await anchor(plain.url, connections, seconds);
    const e2 = await engine(plain.url, connections, seconds);
    engineRuns.push(e1, e2);
    anchorRuns.push(a1, a2);
    roundRatios.push(r2(pooled([e1, e2]).rps / pooled([a1, a2]).rps));
    log(`round ${i + 1}/${rounds}: throughput ratio ${roundRatios[i]}`);
  }
  // Flows against independent requests, same target and users, ABBA.
  const independentRuns: RunnerResult[] = [];
  const flowRuns: RunnerResult[] = [];
  for (let i = 0; i < rounds; i++) {
    independentRuns.push(await engine(plain.url, connections, seconds));
    flowRuns.push(await engine(plain.url, connections, seconds, 0, 0, 'flow'));
    flowRuns.push(await engine(plain.url, connections, seconds, 0, 0, 'flow'));
    independentRuns.push(await engine(plain.url, connections, seconds));
  }
  const flowCost = pooled(flowRuns);
  const independentCost = pooled(independentRuns);
  log(`flows: ${r2(flowCost.cpuUsPerReq)} vs ${r2(independentCost.cpuUsPerReq)} µs CPU per request`);
  plain.stop();
  const { rps: engineRps, cpuUsPerReq: engineCpuUsPerReq } = pooled(engineRuns);
  const { rps: autocannonRps, cpuUsPerReq: autocannonCpuUsPerReq } = pooled(anchorRuns);
  const e = engineRuns[0];

  const knownDelayMs = 20;
  const warmupS = 2;
  const delayed = await server(knownDelayMs);
  await delayed.stats();
  const ed = await engine(delayed.url, 20, seconds, 0, warmupS);
  const truthE = await delayed.stats();
  const ad = await anchor(delayed.url, 20, seconds, warmupS);
  const truthA = await delayed.stats();
  delayed.stop();

  const vus = Number(process.env.BENCH_VUS ?? 10_000);
  const idle = await server(0);
  const big = await engine(idle.url, vus, Math.max(seconds, 10), 1_000);
  idle.stop();

  const result = {
    engineRps: r2(engineRps),
    autocannonRps: r2(autocannonRps),
    rpsRatio: r2(engineRps / autocannonRps),
    engineCpuUsPerReq: r2(engineCpuUsPerReq),
    autocannonCpuUsPerReq: r2(autocannonCpuUsPerReq),
    cpuRatio: r2(engineCpuUsPerReq / autocannonCpuUsPerReq),
    knownDelayMs,
    p50ErrorMs: r2(ed.p50Ms - truthE.p50Ms),
    p99ErrorMs: r2(ed.p99Ms - truthE.p99Ms),
    autocannonP50ErrorMs: r2(ad.p50Ms - truthA.p50Ms),
    autocannonP99ErrorMs: r2(ad.p99Ms - truthA.p99Ms),
    serverAppliedP50Ms: r2(truthE.p50Ms),
    serverAppliedP99Ms: r2(truthE.p99Ms),
    vus,
    vusRssMb: r2(big.rssMb),
    vusRps: r2(big.requests / big.durationS),
    vusErrors: big.errors,
    flowCpuUsPerReq: r2(flowCost.cpuUsPerReq),
    independentCpuUsPerReq: r2(independentCost.cpuUsPerReq),
    flowCpuRatio: r2(flowCost.cpuUsPerReq / independentCost.cpuUsPerReq),
    flowRpsRatio: r2(flowCost.rps / independentCost.rps),
    engineThreads: e.threads,
    seconds,
    connections,
    rounds,
    roundRatios,
    warmupS,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  log('');
  log('| measure | readiness | autocannon | ratio | target |');
  log('|---|---|---|---|---|');
  log(`| throughput (req/s) | ${result.engineRps} | ${result.autocannonRps} | ${result.rpsRatio} | >= 1.0 |`);
  log(
    `| CPU per request (µs) | ${result.engineCpuUsPerReq} | ${result.autocannonCpuUsPerReq} | ${result.cpuRatio} | <= 1.0 |`,
  );
  log(
    `| p50 error vs ${knownDelayMs} ms server (ms) | ${result.p50ErrorMs} | ${result.autocannonP50ErrorMs} | | within 1 ms |`,
  );
  log(
    `| p99 error vs ${knownDelayMs} ms server (ms) | ${result.p99ErrorMs} | ${result.autocannonP99ErrorMs} | | within 1 ms |`,
  );
  log(`| ${vus} users, 1 s think: peak RSS (MB) | ${result.vusRssMb} | | | <= 300 |`);
  log(
    `| flows: CPU per request, journey / independent (µs) | ${result.flowCpuUsPerReq} / ${result.independentCpuUsPerReq} | | ${result.flowCpuRatio} | <= 1.05 |`,
  );
  log('');
  log(
    `errors: server applied p50 ${result.serverAppliedP50Ms} ms / p99 ${result.serverAppliedP99Ms} ms; autocannon reports whole milliseconds.`,
  );
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
