/**
 * A load thread (worker_threads). Runs its share of the plan, closed or open model, and posts its
 * measurements to the coordinator once a second as deltas (encoded histograms and counters), so
 * the coordinator's thread (which carries Temporal heartbeats) never runs the load loop itself.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { appendRateChange, intendedIterations, rateAt } from '../config/load-plan';
import type { ScenarioRequest } from '../config/schema';
import {
  compileScenario,
  isExpectedStatus,
  scenarioRequests,
  type CompiledFlow,
  type RenderedRequest,
  type Session,
} from '../config/scenario';
import { DataFeed } from './data-feed';
import { extract } from '../core/template';
import { ERROR_SAMPLE_BYTES, Metrics, newHistogram, Timeline } from './metrics';
import type { ThreadCommand, ThreadInit, ThreadLevel, ThreadTick } from './protocol';

const init = workerData as ThreadInit;
/**
 * Open model: requests in flight per thread, one connection each (at most 1024); arrivals beyond it wait in
 * our queue, where the wait counts (latency runs from the intended start) and old ones are dropped.
 */
const openCap = Math.max(1, Math.min(init.plan.maxInFlight, 1024));
/** Open model: iterations waiting for capacity beyond this are dropped at once (bounded memory). */
const MAX_QUEUED = 100_000;
const { plan } = init;
const timeOrigin = performance.timeOrigin;
const nowMs = () => timeOrigin + performance.now();
/**
 * Epoch ms of second 0 of the measurement, and its end. Set by the coordinator's `start` once every thread
 * has booted (a fresh isolate loads its modules for a hundred milliseconds or more), so no thread starts late.
 */
let startAtMs = NaN;
let endAtMs = NaN;
/** Closed model: when users begin sending; requests sent before `startAtMs` are warm-up, not recorded. */
let sendFromMs = NaN;
const metrics = new Metrics();
const timeline = new Timeline();
const scenario = compileScenario(init.scenario);
/** The scenario's flows: users then run journeys rather than independent requests. */
const flows = scenario.flows;
const random = Math.random;
/** The share of requests marked with a traceparent (scenario.traceSample). */
const traceSample = init.scenario.traceSample ?? 0;
const needsBody = new Set(
  scenarioRequests(init.scenario)
    .filter((r) => r.capture || r.expect?.bodyContains)
    .map((r) => r.name),
);
/** The data sources' feeds: each iteration takes a row of each. */
const feeds = Object.entries(init.data ?? {}).map(
  ([name, source]) => new DataFeed(name, source, init.position, () => metrics.dataCounters(name)),
);
/** Gives a session the next row of every data source; false when a unique source has none left for it. */
function feed(session: Session): boolean {
  for (const f of feeds) if (!f.fill(session, random)) return false;
  return true;
}
/**
 * An error answer's sample with the iteration's data values masked: a target that echoes a row (a 400 naming the
 * account) must not carry test credentials into the measurements, heartbeats and the report.
 */
function maskData(body: string, session: Session): string {
  let out = body;
  for (const f of feeds)
    for (const key of f.keys) {
      const v = session[key];
      if (typeof v === 'string' && v.length >= 3 && out.includes(v)) out = out.split(v).join(`[${key}]`);
    }
  return out;
}

/** Whether an iteration that began at `startedMs` is measured (not generator warm-up). */
const measured = (startedMs: number) => init.warmupMs === 0 || startedMs >= startAtMs;
let stopped = false;
let inFlight = 0;

/**
 * Connection options shared by every dispatcher of this thread, with one connector (its TLS session cache
 * and connect timeout) for all of them rather than one per user's client.
 */
const connectionOptions = {
  pipelining: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: plan.requestTimeoutMs,
  bodyTimeout: plan.requestTimeoutMs,
  connect: buildConnector({
    timeout: Math.min(plan.requestTimeoutMs, 10_000),
    // https: h2 offered by ALPN (HTTP/1.1 when the target does not take it); http: h2c with prior knowledge.
    allowH2: !!init.http2,
    ...(init.http2 && init.origin.startsWith('http:') ? { useH2c: true } : {}),
    ...(init.ca ? { ca: init.ca } : {}),
  }),
  allowH2: !!init.http2,
  ...(init.http2 && init.origin.startsWith('http:') ? { useH2c: true } : {}),
};
/** One keep-alive connection (an undici Client), when it last (re)connected (epoch ms), whether it is still opening. */
interface Connection {
  client: Client;
  lastConnectMs: number;
  opening: boolean;
}

/**
 * The thread's connections: a free list, so a request takes an idle connection in O(1) and gives it back
 * when it completes; a new one is opened only when none is idle. Connections therefore number the peak of
 * requests in flight (at most the users, closed model, or openCap, open model), as with a pool, without a
 * pool's search for a free connection and its bookkeeping on every request.
 */
const idleConnections: Connection[] = [];
const allConnections = new Set<Connection>();

/**
 * Connections being opened at once, at most. Opening a socket is synchronous work on this thread: when a pause
 * (a major GC) releases hundreds of users' think timers at once, opening one connection each lengthens the pause,
 * which releases more users: with 100,000 users the thread opened sockets until EMFILE. Beyond this many opening,
 * a request waits for the first connection that frees up (answers on loopback take about a millisecond), and its
 * latency runs from when it is written, as for any request queued by the generator.
 */
const MAX_OPENING = 64;
let opening = 0;
/** Requests waiting for a connection, oldest first from `waitHead`. */
let waiting: Exchange[] = [];
let waitHead = 0;

function acquire(): Connection | undefined {
  const idle = idleConnections.pop();
  if (idle) return idle;
  if (opening >= MAX_OPENING) return undefined;
  opening += 1;
  const conn: Connection = {
    client: new Client(init.origin, connectionOptions),
    lastConnectMs: -Infinity,
    opening: true,
  };
  const opened = () => {
    if (!conn.opening) return;
    conn.opening = false;
    opening -= 1;
    queueMicrotask(serveWaiting);
  };
  conn.client.on('connect', () => {
    conn.lastConnectMs = nowMs();
    opened();
  });
  conn.client.on('connectionError', opened);
  conn.client.on('disconnect', opened);
  allConnections.add(conn);
  return conn;
}

/** The oldest request still waiting for a connection. */
function nextWaiting(): Exchange | undefined {
  while (waitHead < waiting.length) {
    const x = waiting[waitHead++]!;
    if (waitHead > 1024 && waitHead * 2 > waiting.length) {
      waiting = waiting.slice(waitHead);
      waitHead = 0;
    }
    if (x.queued) {
      x.queued = false;
      return x;
    }
  }
  return undefined;
}

/** Gives a connection back: to the oldest waiting request, else to the idle list (a destroyed one is dropped). */
function release(conn: Connection): void {
  if (conn.client.destroyed) {
    allConnections.delete(conn);
    return serveWaiting();
  }
  const next = nextWaiting();
  if (next) next.dispatchOn(conn);
  else idleConnections.push(conn);
}

/** Starts waiting requests while a connection is idle or may be opened. */
function serveWaiting(): void {
  while (waitHead < waiting.length && (idleConnections.length > 0 || opening < MAX_OPENING)) {
    const next = nextWaiting();
    if (!next) break;
    next.dispatchOn(acquire()!);
  }
}

class Aborted extends Error {
  code = 'UND_ERR_ABORTED';
}

/** Ends every request still waiting for a connection (the run stops). */
function abortWaiting(): void {
  for (let x = nextWaiting(); x; x = nextWaiting()) x.onError(new Aborted('stopped before a connection was free'));
}

const destroyAll = () => Promise.all([...allConnections].map((c) => c.client.destroy()));

function classify(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'body_too_large') return code;
  if (
    code === 'request_timeout' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return 'timeout';
  if (code === 'UND_ERR_SOCKET') return 'socket';
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_ABORTED') return 'aborted';
  return code || (err as Error).name || 'error';
}

class BodyTooLarge extends Error {
  code = 'body_too_large';
}

class RequestTimeout extends Error {
  code = 'request_timeout';
}

/**
 * Every exchange ever made, for the timeout sweep. undici's header/body timers run on a coarse clock (about
 * 0.5-1 s resolution), so a 300 ms requestTimeout would fire near 1 s; the sweep aborts a request whose
 * deadline passed within a few tens of ms, with no timer per request. undici's timers stay as a backstop.
 */
const exchanges: Exchange[] = [];
const SWEEP_MS = Math.max(10, Math.min(50, Math.floor(plan.requestTimeoutMs / 10)));
let sweepTimer: NodeJS.Timeout | undefined;
function sweep(): void {
  const now = nowMs();
  for (let i = 0; i < exchanges.length; i++) exchanges[i]!.expire(now);
}

type DispatchOptions = Dispatcher.DispatchOptions;
const hasInitHeaders = Object.keys(init.headers).length > 0;
/** Dispatch options of requests that render the same every time, built once per request name. */
const fixedOptions = new Map<string, DispatchOptions>();

function dispatchOptions(r: RenderedRequest): DispatchOptions {
  if (r.fixed) {
    const cached = fixedOptions.get(r.request.name);
    if (cached) return cached;
  }
  let own = false;
  for (const _ in r.headers) {
    own = true;
    break;
  }
  const headers = own
    ? hasInitHeaders
      ? { ...init.headers, ...r.headers }
      : r.headers
    : hasInitHeaders
      ? init.headers
      : undefined;
  const opts: DispatchOptions = { method: r.request.method as 'GET', path: r.path, headers, body: r.body };
  if (r.fixed) fixedOptions.set(r.request.name, opts);
  return opts;
}

/**
 * One request at a time, reused for every request of a user (closed model) or of an in-flight slot (open
 * model): it renders, sends, receives and records, then calls `done` with whether a response came.
 *
 * It is an undici dispatch handler in undici's own (legacy) handler shape, which undici calls directly:
 * the onRequestStart/onResponseStart shape is wrapped per request and has every response's headers parsed
 * into an object, which we never read. Bodies are counted and discarded unless the request captures or
 * checks them; a body over maxBodyBytes aborts the request. No promise, closure or handler object is made
 * per request.
 */
class Exchange {
  private active = false;
  private request!: ScenarioRequest;
  private keepBody = false;
  private status = 0;
  private size = 0;
  private chunks: Buffer[] | undefined;
  /** The start of an error answer's body, kept as a sample (see Metrics.wantsSample). */
  private sample: Buffer[] | undefined;
  private sampleSize = 0;
  private contentType = '';
  private abort: ((err: Error) => void) | undefined;
  /** When the request was sent: written to an open connection, or dispatched when it had to open one. */
  private sentMs = 0;
  /** Open model: the intended start (epoch ms); NaN in the closed model. */
  private intendedMs = NaN;
  private conn: Connection | undefined;
  /** When the request times out (dispatch + requestTimeout). */
  private deadlineMs = Infinity;
  /** The trace id of a request marked with a traceparent. */
  private traceId: string | undefined;
  /** Whether the last request passed (its status expected, its body checks and captures done). */
  ok = false;
  /** The flow this exchange's user is in (scenarios with flows), the step it is at, when the iteration began. */
  flow: CompiledFlow | undefined;
  step = 0;
  flowStartMs = 0;
  /** The first step of this iteration that failed. */
  failedStep: string | undefined;
  /** Waiting for a connection (in `waiting`), with the options it will be sent with. */
  queued = false;
  private opts: DispatchOptions | undefined;

  constructor(
    /** Captured values of the user (closed model); a fresh one per iteration in the open model. */
    public session: Session,
    private readonly done: (responded: boolean) => void,
  ) {
    exchanges.push(this);
    sweepTimer ??= setInterval(sweep, SWEEP_MS);
  }

  /** Aborts the request in flight if its deadline has passed (called by the sweep). */
  expire(now: number): void {
    if (this.active && now >= this.deadlineMs) {
      this.deadlineMs = Infinity;
      if (this.queued) {
        this.queued = false;
        this.onError(new RequestTimeout(`no connection free within ${plan.requestTimeoutMs} ms`));
      } else if (this.abort) this.abort(new RequestTimeout(`no complete response within ${plan.requestTimeoutMs} ms`));
      else
        this.conn?.client
          .destroy(new RequestTimeout(`not sent within ${plan.requestTimeoutMs} ms`))
          .catch(() => undefined);
    }
  }

  /** Starts an iteration of a flow: a fresh session (captures never leak into the next journey). */
  beginFlow(flow: CompiledFlow, startMs: number): void {
    this.flow = flow;
    this.step = 0;
    this.flowStartMs = startMs;
    this.failedStep = undefined;
  }

  /**
   * After a step's answer: moves the flow on. Returns the think time before the next request, and whether the
   * iteration ended (all steps done, or a step failed and the flow stops on failure), in which case it is recorded.
   */
  afterStep(): { thinkMs: number; ended: boolean } {
    const flow = this.flow!;
    const step = flow.steps[this.step]!;
    if (!this.ok) this.failedStep ??= step.request.name;
    this.step += 1;
    const ended = this.step >= flow.steps.length || (!this.ok && flow.stopOnFailure);
    if (ended) {
      if (measured(this.flowStartMs))
        metrics.recordFlow(flow.name, (nowMs() - this.flowStartMs) * 1000, this.failedStep);
      this.flow = undefined;
    }
    return { thinkMs: step.thinkMs, ended };
  }

  /** Sends the current step of the flow. */
  sendStep(intendedMs = NaN): void {
    this.send(intendedMs, this.flow!.steps[this.step]!.request);
  }

  send(intendedMs = NaN, forced?: ScenarioRequest): void {
    const request = forced ?? scenario.pick(random, this.session);
    let opts = dispatchOptions(scenario.render(request, random, this.session));
    this.traceId = undefined;
    if (traceSample > 0 && random() < traceSample) {
      // A sampled W3C trace context: the target's tracing continues this trace, findable by its id.
      const ids = randomBytes(24).toString('hex');
      this.traceId = ids.slice(0, 32);
      opts = {
        ...opts,
        headers: { ...(opts.headers as Record<string, string>), traceparent: `00-${this.traceId}-${ids.slice(32)}-01` },
      };
    }
    this.request = request;
    this.keepBody = needsBody.has(request.name);
    this.status = 0;
    this.size = 0;
    this.chunks = this.keepBody ? [] : undefined;
    this.sample = undefined;
    this.abort = undefined;
    this.intendedMs = intendedMs;
    this.active = true;
    this.sentMs = nowMs();
    this.deadlineMs = this.sentMs + plan.requestTimeoutMs;
    this.opts = opts;
    const conn = acquire();
    if (conn) this.dispatchOn(conn);
    else {
      this.queued = true;
      waiting.push(this);
    }
  }

  /** Sends the prepared request on a connection (at once, or when one freed up for it). */
  dispatchOn(conn: Connection): void {
    this.conn = conn;
    this.sentMs = nowMs();
    conn.client.dispatch(this.opts!, this as unknown as Dispatcher.DispatchHandler);
  }

  /**
   * undici calls this as it writes the request to the socket. Latency runs from here, the moment the request
   * goes on the wire, unless a connection was opened for it since its dispatch: then from the dispatch, so
   * connection setup counts as before. Time a request spent queued inside undici (it waits an event-loop
   * turn before reusing a keep-alive socket) is the generator's, not the target's.
   */
  onConnect(abort: (err: Error) => void): void {
    this.abort = abort;
    if (this.conn!.lastConnectMs < this.sentMs) this.sentMs = nowMs();
  }

  onHeaders(statusCode: number, headers: Buffer[] | undefined): boolean {
    if (!this.active) return true;
    this.status = statusCode;
    if (statusCode >= 400 && headers) {
      // Error answers: whether a rejection says when to retry, and (while wanted) the start of the body.
      let contentType = '';
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const name = headers[i]!;
        if (
          name.length === 11 &&
          (statusCode === 429 || statusCode === 503) &&
          name.toString('latin1').toLowerCase() === 'retry-after'
        )
          metrics.recordRetryAfter(this.request.name);
        else if (name.length === 12 && name.toString('latin1').toLowerCase() === 'content-type')
          contentType = headers[i + 1]!.toString('latin1');
      }
      if (metrics.wantsSample(this.request.name, statusCode)) {
        this.sample = [];
        this.sampleSize = 0;
        this.contentType = contentType;
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.active) return true;
    this.size += chunk.length;
    if (this.size > plan.maxBodyBytes) {
      this.abort?.(new BodyTooLarge(`body over ${plan.maxBodyBytes} bytes`));
      return true;
    }
    this.chunks?.push(chunk);
    if (this.sample && this.sampleSize < ERROR_SAMPLE_BYTES) {
      this.sample.push(chunk.subarray(0, ERROR_SAMPLE_BYTES - this.sampleSize));
      this.sampleSize += Math.min(chunk.length, ERROR_SAMPLE_BYTES - this.sampleSize);
    }
    return true;
  }

  onComplete(): void {
    if (this.active) this.finish(undefined);
  }

  onError(err: Error): void {
    if (this.active) this.finish(err);
  }

  private finish(err: Error | undefined): void {
    this.active = false;
    this.ok = false;
    this.deadlineMs = Infinity;
    // A connection destroyed under a request (a timeout before it was written) is not reused.
    const conn = this.conn;
    this.conn = undefined;
    this.opts = undefined;
    if (conn) release(conn);
    const { request } = this;
    let status: number | undefined = this.status;
    let ok: boolean;
    // Only failures are sampled (an expected 404 is an answer, not an error).
    if (this.sample && !err && !isExpectedStatus(request, status)) {
      metrics.addSample({
        endpoint: request.name,
        status,
        contentType: this.contentType,
        body: maskData(Buffer.concat(this.sample).toString('utf8'), this.session),
        bytes: this.size,
      });
    }
    this.sample = undefined;
    let errorKind: string | undefined;
    if (err === undefined) {
      ok = isExpectedStatus(request, status);
      if (this.keepBody) {
        const text = Buffer.concat(this.chunks!).toString('utf8');
        this.chunks = undefined;
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
              if (v !== undefined) this.session[name] = v;
            }
          } catch {
            errorKind = 'capture_not_json';
            ok = false;
          }
        }
      }
    } else {
      ok = false;
      errorKind = classify(err);
      status = undefined;
      this.chunks = undefined;
      if (stopped && errorKind === 'aborted') {
        // Cut by the stop: neither the request nor its journey is counted.
        this.flow = undefined;
        return this.done(false);
      }
    }
    this.ok = ok;
    // Warm-up requests (sent before second 0) are not recorded; without a warm-up every request counts.
    if (init.warmupMs > 0 && this.sentMs < startAtMs) return this.done(status !== undefined);
    const doneMs = nowMs();
    const open = this.intendedMs === this.intendedMs;
    const fromMs = open && this.intendedMs < this.sentMs ? this.intendedMs : this.sentMs;
    const latencyUs = (doneMs - fromMs) * 1000;
    metrics.record(request.name, status, ok, latencyUs, errorKind, open ? (doneMs - this.sentMs) * 1000 : undefined);
    if (this.traceId)
      metrics.addTrace({ traceId: this.traceId, endpoint: request.name, atMs: doneMs, ok, status: status ?? 0 });
    timeline.record(init.secondOffset + Math.floor((doneMs - startAtMs) / 1000), ok, status ? latencyUs : undefined);
    this.done(status !== undefined);
  }
}

/** Level changes that arrive before or while the model runs (a continuous ramp); applied by the model. */
let applyLevel: ((cmd: ThreadLevel) => void) | undefined;
const pendingLevels: ThreadLevel[] = [];
/** Wakes a model that waits for its end (a stop came, or the end passed). */
let wakeModel: (() => void) | undefined;

/**
 * Closed model: each user sends, waits for the response, thinks, repeats. User `i` runs while `i` is below the
 * thread's current level: a `level` command starts the users it adds (spread over its ramp) and retires the
 * ones it removes after their request in flight, so a continuous ramp keeps the users already running.
 */
function runClosed(): Promise<void> {
  return new Promise<void>((resolve) => {
    let running = 0;
    let target = plan.users;
    const alive: boolean[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const over = () => stopped || nowMs() >= endAtMs;
    const finished = () => {
      if (running === 0 && over()) {
        for (const t of timers) clearTimeout(t);
        resolve();
      }
    };
    wakeModel = finished;
    const endTimer = setTimeout(finished, Math.max(0, endAtMs - nowMs()) + 1);
    timers.add(endTimer);
    // One loop per user index, made once: a user retired and started again (a ramp down, then up) reuses its
    // exchange (exchanges are never dropped from the timeout sweep's list).
    const loops: Array<(() => void) | undefined> = [];
    const startUser = (index: number) => {
      if (alive[index] || over() || index >= target) return;
      alive[index] = true;
      running += 1;
      (loops[index] ??= userLoop(index))();
    };
    const userLoop = (index: number) => {
      // The user's think timer, re-armed (refresh) rather than made anew for every request: with thousands
      // of users, a timer per request lives long enough to be promoted and piles up in the old generation.
      let thinkTimer: NodeJS.Timeout | undefined;
      const exchange = new Exchange({}, (responded) => {
        // In a flow, the think time is the step's (its own, the flow's or the scenario's).
        const base = exchange.flow ? exchange.afterStep().thinkMs : plan.thinkTimeMs;
        // After a transport error a user pauses at least 50 ms: an unreachable target causes no retry storm.
        const think = responded ? base : Math.max(base, 50);
        if (think > 0 && !stopped) {
          const left = Math.max(0, endAtMs - nowMs());
          if (think === plan.thinkTimeMs && think <= left) {
            if (thinkTimer) thinkTimer.refresh();
            else thinkTimer = setTimeout(next, think);
          } else setTimeout(next, Math.min(think, left));
        }
        // No think time: queue the next request at once, from undici's completion callback. undici writes it
        // only after it has finished with this response and waited its event-loop turn before reusing the
        // socket, as for any queued request; queued now, it needs no extra turn as an idle socket's would.
        else next();
      });
      const retire = () => {
        // A journey cut short by the end (or a ramp down) is not counted: it neither passed nor failed.
        exchange.flow = undefined;
        alive[index] = false;
        running -= 1;
        finished();
      };
      const next = () => {
        if (over() || index >= target) return retire();
        if (flows) {
          if (!exchange.flow) {
            exchange.session = {};
            if (feeds.length && !feed(exchange.session)) return retire();
            exchange.beginFlow(scenario.pickFlow(random), nowMs());
          }
        } else if (feeds.length && !feed(exchange.session)) return retire();
        if (init.warmupMs === 0 || nowMs() >= startAtMs) metrics.iterations += 1;
        if (exchange.flow) exchange.sendStep();
        else exchange.send();
      };
      return next;
    };
    const startAt = (index: number, atMs: number) => {
      const wait = atMs - nowMs();
      if (wait <= 0) return startUser(index);
      const t = setTimeout(() => {
        timers.delete(t);
        startUser(index);
      }, wait);
      timers.add(t);
    };
    for (let i = 0; i < plan.users; i++) {
      const globalIndex = init.firstUser + i;
      const startDelay =
        plan.rampUpMs > 0
          ? Math.max(0, (globalIndex / Math.max(1, init.totalUsers)) * plan.rampUpMs - (plan.rampOffsetMs ?? 0))
          : 0;
      startAt(i, sendFromMs + startDelay);
    }
    applyLevel = (cmd) => {
      const apply = () => {
        target = cmd.level;
        // The users added (and any retired ones that are back) start spread evenly over the ramp.
        const adding: number[] = [];
        for (let i = 0; i < target; i++) if (!alive[i]) adding.push(i);
        adding.forEach((index, m) =>
          startAt(index, nowMs() + (adding.length > 1 ? (m / adding.length) * cmd.rampMs : 0)),
        );
      };
      const wait = cmd.atMs - nowMs();
      if (wait <= 0) apply();
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          apply();
        }, wait);
        timers.add(t);
      }
    };
    for (const cmd of pendingLevels.splice(0)) applyLevel(cmd);
    finished();
  });
}

const lag = newHistogram();

/** Open model: iterations arrive on a schedule, whatever the target does; latency counts from the intended start. */
async function runOpen(): Promise<void> {
  const queue: number[] = [];
  let head = 0;
  let issued = 0;
  const t0 = startAtMs;
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
  // Exchanges are reused: at most openCap are ever made, each iteration gets a fresh session.
  const idle: Exchange[] = [];
  const release = (exchange: Exchange) => {
    idle.push(exchange);
    inFlight -= 1;
    if (!timer && !stopped && nowMs() < endAtMs) pump();
    if (finishing && inFlight === 0) resolveDone();
  };
  const start = (intended: number) => {
    inFlight += 1;
    metrics.iterations += 1;
    let exchange = idle.pop();
    if (!exchange) {
      const made: Exchange = new Exchange({}, () => {
        // A flow runs its steps in its slot, thinking between them; the slot is free when the journey ends.
        if (made.flow) {
          const { thinkMs, ended } = made.afterStep();
          if (!ended) {
            if (stopped || nowMs() + thinkMs >= endAtMs) made.flow = undefined;
            else if (thinkMs > 0) return void setTimeout(sendNext, thinkMs);
            else return queueMicrotask(sendNext);
          }
        }
        queueMicrotask(releaseMade);
      });
      const releaseMade = () => release(made);
      const sendNext = () => {
        if (stopped || !made.flow) return releaseMade();
        made.sendStep();
      };
      exchange = made;
    }
    exchange.session = {};
    if (feeds.length && !feed(exchange.session)) return queueMicrotask(() => release(exchange));
    if (flows) {
      exchange.beginFlow(scenario.pickFlow(random), intended);
      exchange.sendStep(intended);
    } else exchange.send(intended);
  };
  let finishing = false;
  const finish = () => {
    finishing = true;
    if (timer) clearTimeout(timer);
    if (inFlight === 0) resolveDone();
  };
  // A continuous ramp's next level: the rate holds, then moves over the ramp (appended to the plan's stages).
  applyLevel = (cmd) => appendRateChange(plan, Math.max(0, cmd.atMs - t0), cmd.level, cmd.rampMs);
  for (const cmd of pendingLevels.splice(0)) applyLevel(cmd);
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
  const currentSecond = init.secondOffset + Math.floor((nowMs() - startAtMs) / 1000);
  const msg: ThreadTick = {
    type,
    through: currentSecond,
    metrics: metrics.encodeSparse(),
    windows: type === 'done' ? timeline.drainSparse() : timeline.drainSparse(currentSecond),
    health: {
      eldP99Ms: eld.count ? eld.percentile(99) / 1e6 : 0,
      eldMaxMs: eld.count ? eld.max / 1e6 : 0,
      elu: interval.utilization,
      lagP99Ms: lag.totalCount ? lag.getValueAtPercentile(99) / 1000 : 0,
      inFlight,
    },
  };
  metrics.reset();
  eld.reset();
  lag.reset();
  parentPort!.postMessage(msg);
}

let flushTimer: NodeJS.Timeout | undefined;
const scheduleFlush = () => {
  const sinceStart = nowMs() - startAtMs;
  const next = sinceStart < 0 ? -sinceStart + 1000 : 1000 - (sinceStart % 1000);
  flushTimer = setTimeout(
    () => {
      tick('tick');
      scheduleFlush();
    },
    Math.max(1, next),
  );
};

let onStart: (() => void) | undefined;
parentPort!.on('message', (cmd: ThreadCommand) => {
  if (cmd.type === 'start') {
    startAtMs = cmd.startAtMs;
    endAtMs = startAtMs + plan.durationMs;
    sendFromMs = startAtMs - init.warmupMs;
    onStart?.();
  }
  if (cmd.type === 'level') {
    if (applyLevel) applyLevel(cmd);
    else pendingLevels.push(cmd);
  }
  if (cmd.type === 'stop' && !stopped) {
    stopped = true;
    queueMicrotask(() => wakeModel?.());
    if (Number.isNaN(startAtMs)) {
      // Stopped before it started: end at once.
      startAtMs = endAtMs = sendFromMs = nowMs();
      onStart?.();
    }
    abortWaiting();
    void destroyAll();
  }
});

async function main(): Promise<void> {
  await new Promise<void>((resolve) => {
    onStart = resolve;
    parentPort!.postMessage({ type: 'ready' });
  });
  scheduleFlush();
  try {
    if (plan.model === 'closed') await runClosed();
    else await runOpen();
  } finally {
    if (flushTimer) clearTimeout(flushTimer);
    if (sweepTimer) clearInterval(sweepTimer);
    tick('done');
    await destroyAll().catch(() => undefined);
  }
}

void main().catch((err) => {
  parentPort!.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
});
