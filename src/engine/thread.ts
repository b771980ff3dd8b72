/**
 * A load thread (worker_threads). Runs its share of the plan, closed or open model, and posts its
 * measurements to the coordinator once a second as deltas (encoded histograms and counters), so
 * the coordinator's thread (which carries Temporal heartbeats) never runs the load loop itself.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { Client, Pool, type Dispatcher } from 'undici';
import { intendedIterations, rateAt } from '../core/load-plan';
import { compileScenario, extract, isExpectedStatus, type Session } from '../core/scenario';
import { Metrics, newHistogram, Timeline } from './metrics';
import type { ThreadCommand, ThreadInit, ThreadTick } from './protocol';

const init = workerData as ThreadInit;
/**
 * Open model: requests in flight per thread, one connection each (at most 1024); arrivals beyond it wait in
 * our queue, where the wait counts (latency runs from the intended start) and old ones are dropped.
 */
const openCap = Math.max(1, Math.min(init.plan.maxInFlight, 1024));
/** Open model: iterations waiting for capacity beyond this are dropped at once (bounded memory). */
const MAX_QUEUED = 100_000;
const { plan } = init;
const nowMs = () => performance.timeOrigin + performance.now();
const endAtMs = init.startAtMs + plan.durationMs;
const metrics = new Metrics();
const timeline = new Timeline();
const scenario = compileScenario(init.scenario);
const random = Math.random;
const needsBody = new Set(init.scenario.requests.filter((r) => r.capture || r.expect?.bodyContains).map((r) => r.name));
let stopped = false;
let inFlight = 0;

/** Connection options shared by every dispatcher of this thread. */
const connectionOptions = {
  pipelining: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: plan.requestTimeoutMs,
  bodyTimeout: plan.requestTimeoutMs,
  connectTimeout: Math.min(plan.requestTimeoutMs, 10_000),
};
/**
 * Closed model: one undici Client (one connection) per user, made when the user starts; no pool to search
 * for a free connection on every request. Open model: a pool of one connection per request in flight.
 */
const clients: Client[] = [];
const pool = plan.model === 'open' ? new Pool(init.origin, { ...connectionOptions, connections: openCap }) : undefined;
const destroyAll = () => Promise.all([...clients.map((c) => c.destroy()), pool?.destroy()]);

function classify(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'body_too_large') return code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'UND_ERR_SOCKET') return 'socket';
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_ABORTED') return 'aborted';
  return code || (err as Error).name || 'error';
}

class BodyTooLarge extends Error {
  code = 'body_too_large';
}

interface Outcome {
  status: number;
  text?: string;
}

/**
 * An undici dispatch handler in undici's own (legacy) handler shape, which it calls directly: the
 * onRequestStart/onResponseStart shape is wrapped per request and has every response's headers parsed
 * into an object, which we never read. Bodies are counted and discarded unless the request captures or
 * checks them; a body over maxBodyBytes aborts the request.
 */
class ResponseHandler {
  private status = 0;
  private size = 0;
  private chunks: Buffer[] | undefined;
  private abort: ((err: Error) => void) | undefined;
  constructor(private readonly resolve: (o: Outcome) => void, private readonly reject: (e: unknown) => void, keepBody: boolean) {
    if (keepBody) this.chunks = [];
  }
  onConnect(abort: (err: Error) => void): void {
    this.abort = abort;
  }
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > plan.maxBodyBytes) {
      this.abort?.(new BodyTooLarge(`body over ${plan.maxBodyBytes} bytes`));
      return true;
    }
    this.chunks?.push(chunk);
    return true;
  }
  onComplete(): void {
    this.resolve({ status: this.status, text: this.chunks ? Buffer.concat(this.chunks).toString('utf8') : undefined });
  }
  onError(err: Error): void {
    this.reject(err);
  }
}

function send(dispatcher: Dispatcher, method: string, path: string, headers: Record<string, string> | undefined, body: string | undefined, keepBody: boolean): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch({ method: method as 'GET', path, headers, body }, new ResponseHandler(resolve, reject, keepBody) as never);
  });
}

const hasInitHeaders = Object.keys(init.headers).length > 0;

/** Sends one request and records it. `intendedMs` is the open model's intended start (epoch ms). */
async function execute(dispatcher: Dispatcher, session: Session, intendedMs?: number): Promise<boolean> {
  const request = scenario.pick(random, session);
  const r = scenario.render(request, random, session);
  const own = Object.keys(r.headers).length > 0;
  const headers = own ? (hasInitHeaders ? { ...init.headers, ...r.headers } : r.headers) : hasInitHeaders ? init.headers : undefined;
  const keepBody = needsBody.has(request.name);
  const sentMs = nowMs();
  let status: number | undefined;
  let ok = false;
  let errorKind: string | undefined;
  try {
    const res = await send(dispatcher, request.method, r.path, headers, r.body, keepBody);
    status = res.status;
    ok = isExpectedStatus(request, status);
    if (keepBody) {
      const text = res.text ?? '';
      if (request.expect?.bodyContains && !text.includes(request.expect.bodyContains)) {
        if (ok) errorKind = 'expect_body';
        ok = false;
      }
      const caps = scenario.captures.get(request.name);
      if (caps && ok) {
        try {
          const json = JSON.parse(text);
          for (const [name, path] of caps) {
            const v = extract(json, path);
            if (v !== undefined) session[name] = v;
          }
        } catch {
          errorKind = 'capture_not_json';
          ok = false;
        }
      }
    }
  } catch (err) {
    ok = false;
    errorKind = classify(err);
    if (errorKind === 'body_too_large') status = undefined;
  }
  if (stopped && errorKind === 'aborted') return false;
  const doneMs = nowMs();
  const latencyUs = (doneMs - (intendedMs !== undefined && intendedMs < sentMs ? intendedMs : sentMs)) * 1000;
  const uncorrectedUs = intendedMs !== undefined ? (doneMs - sentMs) * 1000 : undefined;
  metrics.record(request.name, status, ok, latencyUs, errorKind, uncorrectedUs);
  timeline.record(init.secondOffset + Math.floor((doneMs - init.startAtMs) / 1000), ok, status ? latencyUs : undefined);
  return status !== undefined;
}

/** Closed model: each user sends, waits for the response, thinks, repeats. */
async function runClosed(): Promise<void> {
  const user = async (globalIndex: number) => {
    const startDelay = plan.rampUpMs > 0 ? (globalIndex / Math.max(1, init.totalUsers)) * plan.rampUpMs : 0;
    const wait = init.startAtMs + startDelay - nowMs();
    if (wait > 0) await sleep(wait);
    const session: Session = {};
    const client = new Client(init.origin, connectionOptions);
    clients.push(client);
    while (!stopped && nowMs() < endAtMs) {
      metrics.iterations += 1;
      const responded = await execute(client, session);
      // After a transport error a user pauses at least 50 ms: an unreachable target causes no retry storm.
      const think = responded ? plan.thinkTimeMs : Math.max(plan.thinkTimeMs, 50);
      if (think > 0 && !stopped) await sleep(Math.min(think, Math.max(0, endAtMs - nowMs())));
    }
  };
  await Promise.all(Array.from({ length: plan.users }, (_, i) => user(init.firstUser + i)));
}

const lag = newHistogram();

/** Open model: iterations arrive on a schedule, whatever the target does; latency counts from the intended start. */
async function runOpen(): Promise<void> {
  const queue: number[] = [];
  let head = 0;
  let issued = 0;
  const t0 = init.startAtMs;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let timer: NodeJS.Timeout | undefined;

  const pump = () => {
    timer = undefined;
    if (stopped) return finish();
    const t = nowMs();
    const elapsed = Math.min(t, endAtMs) - t0;
    const due = Math.floor(intendedIterations(plan, Math.max(0, elapsed)));
    while (issued < due) {
      issued += 1;
      if (queue.length - head >= MAX_QUEUED) {
        metrics.dropped += 1;
        continue;
      }
      // Intended start of iteration k: invert the integral by a step at the current rate.
      const r = rateAt(plan, elapsed);
      queue.push(r > 0 ? t - ((due - issued) / r) * 1000 : t);
    }
    while (head < queue.length && inFlight < openCap) {
      const intended = queue[head++];
      if (t - intended > plan.dropAfterMs) {
        metrics.dropped += 1;
        continue;
      }
      lag.recordValue(Math.max(1, Math.round((t - intended) * 1000)));
      start(intended);
    }
    // Iterations that waited for capacity longer than dropAfter are dropped, oldest first.
    while (head < queue.length && t - queue[head] > plan.dropAfterMs) {
      head += 1;
      metrics.dropped += 1;
    }
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (t >= endAtMs) {
      metrics.dropped += queue.length - head;
      queue.length = 0;
      head = 0;
      return finish();
    }
    const r = rateAt(plan, elapsed);
    const next = r > 0 ? Math.min(1000 / r, 10) : 10;
    timer = setTimeout(pump, Math.max(0, Math.floor(next - (nowMs() - t))));
  };
  const start = (intended: number) => {
    inFlight += 1;
    metrics.iterations += 1;
    void execute(pool!, {}, intended).finally(() => {
      inFlight -= 1;
      if (!timer && !stopped && nowMs() < endAtMs) pump();
      if (finishing && inFlight === 0) resolveDone();
    });
  };
  let finishing = false;
  const finish = () => {
    finishing = true;
    if (timer) clearTimeout(timer);
    if (inFlight === 0) resolveDone();
  };
  const wait = t0 - nowMs();
  if (wait > 0) await sleep(wait);
  pump();
  await done;
}

// Measurements go to the coordinator once a second, aligned to the run's seconds.
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
let elu = performance.eventLoopUtilization();

function tick(type: ThreadTick['type']): void {
  const nextElu = performance.eventLoopUtilization();
  const interval = performance.eventLoopUtilization(nextElu, elu);
  elu = nextElu;
  const currentSecond = init.secondOffset + Math.floor((nowMs() - init.startAtMs) / 1000);
  const msg: ThreadTick = {
    type,
    metrics: metrics.encode(),
    windows: type === 'done' ? timeline.drain() : timeline.drain(currentSecond),
    health: {
      eldP99Ms: eld.count ? eld.percentile(99) / 1e6 : 0, eldMaxMs: eld.count ? eld.max / 1e6 : 0, elu: interval.utilization,
      lagP99Ms: lag.totalCount ? lag.getValueAtPercentile(99) / 1000 : 0, inFlight,
    },
  };
  metrics.reset();
  eld.reset();
  lag.reset();
  parentPort!.postMessage(msg);
}

let flushTimer: NodeJS.Timeout | undefined;
const scheduleFlush = () => {
  const sinceStart = nowMs() - init.startAtMs;
  const next = sinceStart < 0 ? -sinceStart + 1000 : 1000 - (sinceStart % 1000);
  flushTimer = setTimeout(() => {
    tick('tick');
    scheduleFlush();
  }, Math.max(1, next));
};

parentPort!.on('message', (cmd: ThreadCommand) => {
  if (cmd.type === 'stop' && !stopped) {
    stopped = true;
    void destroyAll();
  }
});

async function main(): Promise<void> {
  scheduleFlush();
  try {
    if (plan.model === 'closed') await runClosed();
    else await runOpen();
  } finally {
    if (flushTimer) clearTimeout(flushTimer);
    tick('done');
    await destroyAll().catch(() => undefined);
  }
}

void main().catch((err) => {
  parentPort!.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
});
