/**
 * The load coordinator: starts the load threads, merges their deltas into cumulative metrics and
 * per-second windows, and tracks generator health. It runs on the caller's thread but only merges,
 * so the Temporal activity that calls it can always heartbeat.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { PACKAGE_ROOT } from '../infra/paths';
import type { Campaign } from '../config/schema';
import { splitCount, splitPlan, type LoadPlan } from '../config/load-plan';
import { Metrics, Timeline, type EncodedMetrics, type EncodedWindow } from './metrics';
import type { DataSourceRun } from './data-feed';
import type { IntervalHealth, ThreadCommand, ThreadInit, ThreadLevel, ThreadReady, ThreadTick } from './protocol';

/** Generator health over a whole run. */
export interface GeneratorHealth {
  threads: number;
  /** Worst per-second event-loop delay p99 over all threads (ms). */
  eventLoopDelayP99Ms: number;
  /** Mean event-loop utilisation of the load threads (0..1). */
  eluMean: number;
  /** Open model: worst per-second p99 of scheduling lag with capacity available (ms). */
  schedulerLagP99Ms: number;
  /** CPU used by the generator process during the run, as a share of all cores (0..1). */
  cpuShare?: number;
}

/** Options of {@link runLoad}. */
export interface LoadRunOptions {
  plan: LoadPlan;
  scenario: Campaign['scenario'];
  origin: string;
  headers: Record<string, string>;
  /**
   * Epoch ms at which the run starts (a start shared by generators), or as soon as every load thread has
   * booted if that is later. Default: as soon as they have booted.
   */
  startAtMs?: number;
  /** Called with the start (epoch ms) once the threads have booted and been told it. */
  onStart?: (startAtMs: number) => void;
  /**
   * Closed model: a generator warm-up before the start. Users start this much earlier; what they send
   * before the start is not recorded (connection setup and the JIT's first seconds are the generator's,
   * as wrk2 excludes its calibration period). Default 0.
   */
  warmupMs?: number;
  /** Timeline second of the start (when resuming, the seconds already done). */
  secondOffset?: number;
  threads?: number;
  signal?: AbortSignal;
  /** Measurements already made (resume): merged into the result. */
  resume?: EncodedMetrics;
  /** Data sources by name (scenario.data) with their rows. */
  data?: Record<string, DataSourceRun>;
  /** This generator among the run's generators (unique data rows are split by it). Default: the only one. */
  slice?: number;
  slices?: number;
  /** HTTP/2: offered by ALPN to an https target (HTTP/1.1 when it does not take it); h2c to an http one. */
  http2?: boolean;
  /** Extra trusted CA certificates (PEM) for an https target; default: Node's (and NODE_EXTRA_CA_CERTS). */
  ca?: string;
  /** Called with finished seconds of the timeline as they complete. */
  onWindows?: (windows: EncodedWindow[]) => void;
  /** Called after each merged tick. */
  onTick?: (metrics: Metrics) => void;
  /** Called with each thread's own tick (its deltas since the previous one), e.g. to keep measurements per stage. */
  onThreadTick?: (tick: ThreadTick) => void;
  /**
   * Receives, once the threads are started, the function that moves the run to another level: a continuous ramp
   * (stress, spike) keeps one run going and changes its level, instead of starting a new run per step.
   */
  onControl?: (setLevel: (change: LevelChange) => void) => void;
}

/** A level change of a running load: from `atMs` (epoch ms), `level` users (closed) or req/s (open) over `rampMs`. */
export interface LevelChange {
  atMs: number;
  level: number;
  rampMs: number;
}

/** What a run measured. */
export interface LoadRunResult {
  metrics: Metrics;
  health: GeneratorHealth;
  /** When second 0 began (epoch ms). */
  startAtMs: number;
  elapsedMs: number;
  aborted: boolean;
}

/** Picks a thread count: one for small loads, up to min(cores, 4) for big ones (never more than users). */
export function defaultThreads(plan: LoadPlan): number {
  const big =
    plan.model === 'closed' ? plan.users > 500 : plan.rate > 5_000 || plan.stages.some((s) => s.target > 5_000);
  const cores = Math.max(1, Math.min(availableParallelism(), 4));
  const n = big ? cores : 1;
  return plan.model === 'closed' ? Math.max(1, Math.min(n, plan.users)) : n;
}

/**
 * The compiled thread entry. Next to this file in dist/; from the TypeScript sources (tests) the
 * built copy in dist/ is used, so `npm run build` must have run.
 */
function threadFile(): string {
  const candidates = [path.join(__dirname, 'thread.js'), path.join(PACKAGE_ROOT, 'dist', 'engine', 'thread.js')];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`load thread entry not found (${candidates.join(', ')}): run \`npm run build\``);
  return found;
}

/** Runs a load plan in worker threads until its duration elapses or the signal aborts. */
export async function runLoad(opts: LoadRunOptions): Promise<LoadRunResult> {
  const { plan } = opts;
  const threadCount = opts.threads ?? defaultThreads(plan);
  const warmupMs = opts.warmupMs ?? 0;
  if (warmupMs > 0 && plan.model !== 'closed')
    throw new Error('a generator warm-up is supported for the closed model only');
  const secondOffset = opts.secondOffset ?? 0;
  const metrics = new Metrics();
  if (opts.resume) metrics.merge(opts.resume);
  const timeline = new Timeline();
  const parts = splitPlan(plan, threadCount);
  const userStarts = splitCount(plan.users, threadCount).reduce<number[]>(
    (acc, _n, i, arr) => [...acc, i === 0 ? 0 : acc[i - 1] + arr[i - 1]],
    [],
  );
  const health = { eldP99: 0, eluSum: 0, eluN: 0, lagP99: 0 };
  const lastSecond = new Map<number, number>();
  let aborted = false;

  const file = threadFile();
  const workers = parts.map((part, i) => {
    const init: ThreadInit = {
      plan: part,
      scenario: opts.scenario,
      origin: opts.origin,
      headers: opts.headers,
      warmupMs,
      secondOffset,
      firstUser: userStarts[i],
      totalUsers: plan.users,
      data: opts.data,
      position: { slice: opts.slice ?? 0, slices: opts.slices ?? 1, thread: i, threads: parts.length },
      http2: opts.http2,
      ca: opts.ca,
    };
    return new Worker(file, { workerData: init });
  });

  const onAbort = () => {
    aborted = true;
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ThreadCommand);
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const absorb = (i: number, tick: ThreadTick) => {
    metrics.mergeSparse(tick.metrics);
    opts.onThreadTick?.(tick);
    for (const w of tick.windows) timeline.mergeSparse(w);
    // Everything before the thread's current second is complete, also for a thread with nothing to report
    // (no users of its own, or no answer in a second): it never holds a second back.
    lastSecond.set(i, Math.max(lastSecond.get(i) ?? -1, tick.through - 1));
    const h: IntervalHealth = tick.health;
    health.eldP99 = Math.max(health.eldP99, h.eldP99Ms);
    health.lagP99 = Math.max(health.lagP99, h.lagP99Ms);
    health.eluSum += h.elu;
    health.eluN += 1;
    // A second is complete once every thread has moved past it.
    if (tick.type === 'tick') {
      const done = Math.min(...workers.map((_, j) => lastSecond.get(j) ?? -1));
      const finished = timeline.drain(done + 1);
      if (finished.length) opts.onWindows?.(finished);
      opts.onTick?.(metrics);
    }
  };

  // Threads boot (a fresh isolate each), say they are ready, and are then all given the same start.
  let startAtMs = NaN;
  let ready = 0;
  const start = () => {
    startAtMs = Math.max(opts.startAtMs ?? 0, Date.now() + 20 + warmupMs);
    for (const w of workers) w.postMessage({ type: 'start', startAtMs } satisfies ThreadCommand);
    opts.onStart?.(startAtMs);
    opts.onControl?.((change) => {
      // Each thread gets its share: whole users (closed), an exact fraction of the rate (open).
      const shares =
        plan.model === 'closed'
          ? splitCount(change.level, workers.length)
          : workers.map(() => change.level / workers.length);
      workers.forEach((w, i) =>
        w.postMessage({
          type: 'level',
          atMs: change.atMs,
          level: shares[i]!,
          rampMs: change.rampMs,
        } satisfies ThreadLevel),
      );
    });
  };

  const startedAt = Date.now();
  const cpuAtStart = process.cpuUsage();
  await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<void>((resolve, reject) => {
          w.on('message', (msg: ThreadTick | ThreadReady | { type: 'error'; message: string }) => {
            if (msg.type === 'error') return reject(new Error(`load thread ${i} failed: ${msg.message}`));
            if (msg.type === 'ready') {
              if (++ready === workers.length) start();
              return;
            }
            absorb(i, msg);
            if (msg.type === 'done') resolve();
          });
          w.on('error', reject);
          w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load thread ${i} exited with ${code}`))));
        }),
    ),
  ).finally(async () => {
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  });
  const rest = timeline.drain();
  if (rest.length) opts.onWindows?.(rest);
  // Wall time from the start until the last request finished: a generator that could not finish on time
  // (open model, requests queued in the generator) shows a lower achieved rate, not an inflated one.
  if (Number.isNaN(startAtMs)) startAtMs = startedAt;
  const elapsedMs = Math.max(0, Date.now() - Math.max(startedAt, startAtMs));
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuShare = (cpu.user + cpu.system) / 1000 / Math.max(1, Date.now() - startedAt) / availableParallelism();
  return {
    metrics,
    startAtMs,
    elapsedMs,
    aborted,
    health: {
      threads: threadCount,
      eventLoopDelayP99Ms: round(health.eldP99),
      eluMean: round(health.eluN ? health.eluSum / health.eluN : 0),
      schedulerLagP99Ms: round(health.lagP99),
      cpuShare: round(cpuShare),
    },
  };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
