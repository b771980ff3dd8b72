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
 *  5. Peers (peers.ts): Locust, and k6 when a binary is there, against the same targets in ABBA order (engine, peer,
 *     peer, engine): throughput per CPU second, CPU per request, p50/p99 error against the 20 ms server, and (k6)
 *     peak RSS per VU at 5,000 VUs with 1 s think. A peer that is missing is reported with why.
 *  6. Big: BENCH_BIG_VUS (100,000) users with 10 s think time, ramped over BENCH_BIG_RAMP_S (10 s, at least the
 *     think time), for BENCH_BIG_SECONDS (60): achieved against intended requests, errors, peak RSS, event-loop p99.
 * Each generator runs in its own process so its CPU time and memory are its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from 'undici';
import { PACKAGE_ROOT } from '../infra/paths';
import { k6Peer, locustPeer, runK6, runLocust, type Peer, type PeerResult } from './peers';

/** What one generator's run measured (the engine, autocannon and the peers print the same fields). */
type RunnerResult = PeerResult;

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

const engine = async (
  url: string,
  users: number,
  s: number,
  thinkMs = 0,
  warmupS = 0,
  mode = 'independent',
  rampS?: number,
) =>
  JSON.parse(
    await child('engine-runner.js', [
      url,
      String(users),
      String(s),
      String(thinkMs),
      String(warmupS),
      mode,
      ...(rampS !== undefined ? [String(rampS)] : []),
    ]),
  ) as RunnerResult & { threads: number; eventLoopP99Ms: number };

/** Requests a closed-model run should make: users start evenly over the ramp, then one request per think time. */
function intendedClosed(users: number, durationS: number, rampS: number, thinkS: number): number {
  let n = 0;
  for (let i = 0; i < users; i++) {
    const start = (i / users) * rampS;
    if (start < durationS) n += Math.floor((durationS - start) / thinkS) + 1;
  }
  return n;
}

/** Requests per CPU second. */
const perCpuSecond = (runs: RunnerResult[]) =>
  runs.reduce((n, r) => n + r.requests, 0) / (runs.reduce((n, r) => n + r.cpuUs, 0) / 1e6);

/** One peer against the engine: throughput per CPU second (ABBA), accuracy, and (k6) memory per VU. */
async function comparePeer(
  peer: Peer,
  urls: { plain: string; delayed: { url: string; stats(): Promise<{ p50Ms: number; p99Ms: number }> } },
  o: { connections: number; seconds: number; memVus: number },
) {
  if (!('bin' in peer)) return { name: peer.name, missing: peer.missing };
  const go = (url: string, users: number, thinkMs = 0, rampS = 0): Promise<PeerResult> =>
    (peer.name === 'k6' ? runK6 : runLocust)(peer, url, { users, durationS: o.seconds, thinkMs, rampS });
  const e1 = await engine(urls.plain, o.connections, o.seconds);
  const p1 = await go(urls.plain, o.connections);
  const p2 = await go(urls.plain, o.connections);
  const e2 = await engine(urls.plain, o.connections, o.seconds);
  const peerRuns = [p1, p2];
  await urls.delayed.stats();
  const pd = await go(urls.delayed.url, 20);
  const truth = await urls.delayed.stats();
  let mem: { peerRssMb: number; engineRssMb: number; peerRequests: number; engineRequests: number } | undefined;
  if (peer.name === 'k6') {
    const pm = await go(urls.plain, o.memVus, 1000, 2);
    const em = await engine(urls.plain, o.memVus, o.seconds, 1000, 0, 'independent', 2);
    mem = { peerRssMb: pm.rssMb, engineRssMb: em.rssMb, peerRequests: pm.requests, engineRequests: em.requests };
  }
  return {
    name: peer.name,
    version: peer.version,
    rps: r2(pooled(peerRuns).rps),
    cpuUsPerReq: r2(pooled(peerRuns).cpuUsPerReq),
    engineRps: r2(pooled([e1, e2]).rps),
    rpsPerCpuRatio: r2(perCpuSecond([e1, e2]) / perCpuSecond(peerRuns)),
    p50ErrorMs: r2(pd.p50Ms - truth.p50Ms),
    p99ErrorMs: r2(pd.p99Ms - truth.p99Ms),
    errors: p1.errors + p2.errors + pd.errors,
    ...(mem
      ? {
          memVus: o.memVus,
          rssMb: r2(mem.peerRssMb),
          engineRssMb: r2(mem.engineRssMb),
          memPerVuRatio: r2(mem.engineRssMb / mem.peerRssMb),
          achievedRate: r2(mem.peerRequests / o.seconds),
          engineAchievedRate: r2(mem.engineRequests / o.seconds),
        }
      : {}),
  };
}
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

  // The tools a user might pick instead, on the same servers.
  const peerPlain = await server(0);
  const memVus = Number(process.env.BENCH_PEER_VUS ?? 5_000);
  const peers: Array<Awaited<ReturnType<typeof comparePeer>>> = [];
  for (const peer of [await locustPeer(PACKAGE_ROOT, log), await k6Peer(PACKAGE_ROOT)]) {
    log(`peer ${peer.name}: ${'bin' in peer ? peer.version : `missing (${peer.missing})`}`);
    peers.push(await comparePeer(peer, { plain: peerPlain.url, delayed }, { connections, seconds, memVus }));
  }
  peerPlain.stop();
  delayed.stop();
  const byName = (n: string) => peers.find((p) => p.name === n) as Record<string, unknown> | undefined;

  // Big: 100,000 users, 10 s think, ramped over at least the think time.
  const bigVus = Number(process.env.BENCH_BIG_VUS ?? 100_000);
  const bigThinkS = 10;
  const bigRampS = Math.max(bigThinkS, Number(process.env.BENCH_BIG_RAMP_S ?? bigThinkS));
  const bigSeconds = Number(process.env.BENCH_BIG_SECONDS ?? 60);
  const bigServer = await server(0);
  const bigRun = await engine(bigServer.url, bigVus, bigSeconds, bigThinkS * 1000, 0, 'independent', bigRampS);
  bigServer.stop();
  const bigIntended = intendedClosed(bigVus, bigRun.durationS, bigRampS, bigThinkS);

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
    k6RpsRatio: (byName('k6')?.rpsPerCpuRatio as number | undefined) ?? null,
    locustRpsRatio: (byName('locust')?.rpsPerCpuRatio as number | undefined) ?? null,
    k6MemPerVuRatio: (byName('k6')?.memPerVuRatio as number | undefined) ?? null,
    peers,
    bigVus,
    bigVusRampS: bigRampS,
    bigVusSeconds: r2(bigRun.durationS),
    bigVusRssMb: r2(bigRun.rssMb),
    bigVusRequests: bigRun.requests,
    bigVusIntended: bigIntended,
    bigVusAchievedRatio: r2(bigRun.requests / bigIntended),
    bigVusErrors: bigRun.errors,
    bigVusEventLoopP99Ms: bigRun.eventLoopP99Ms,
    bigVusThreads: bigRun.threads,
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
  for (const p of peers)
    if ('missing' in p) log(`| ${p.name} | missing: ${p.missing} | | | |`);
    else
      log(
        `| ${p.name} ${p.version}: throughput per CPU second, readiness / peer | ${p.engineRps} req/s | ${p.rps} req/s | ${p.rpsPerCpuRatio} | ${p.name === 'k6' ? '>= 2.5' : '>= 5'} |`,
      );
  log(
    `| ${bigVus} users, 10 s think, ${bigRampS} s ramp: achieved / intended, errors, peak RSS (MB), event-loop p99 (ms) | ${result.bigVusAchievedRatio}, ${result.bigVusErrors}, ${result.bigVusRssMb}, ${result.bigVusEventLoopP99Ms} | | | >= 0.98, 0, <= 1024 |`,
  );
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
