/**
 * A local HTTP target that depends on a real Redis, for fault drills (a Redis outage under load). `/item` does an
 * INCR and a GET per request and answers 200 `{"hits":N}`, or 503 `{"error":"redis unavailable"}` when Redis fails;
 * `/static` never touches Redis; `/health` PINGs Redis within 300 ms; `/metrics` exposes `fixture_redis_up` (a
 * background PING every 250 ms) and `fixture_requests_total`.
 *
 * Without a breaker, each `/item` waits for its Redis command to time out (`commandTimeoutMs`) while Redis is down:
 * the "hang" a drill should see. With a breaker, 5 consecutive failures open it: `/item` then fails fast without a
 * Redis call; after 1 s one trial request goes through, whose success closes it and whose failure re-opens it.
 * Request traffic and health/metrics pings use separate connections, so a queued command backlog never delays health.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';

export interface RedisTargetOptions {
  /** redis://127.0.0.1:PORT */
  redisUrl: string;
  /** With or without a circuit breaker in front of the Redis calls of `/item`. */
  breaker: boolean;
  /** How long an `/item` Redis command may wait (queued while Redis is down) before it fails; default 500. */
  commandTimeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface RedisTargetStats {
  /** Times the breaker opened (from closed, or re-opened after a failed trial); 0 without a breaker. */
  breakerOpened: number;
  /** The breaker's state now; 'off' without a breaker. */
  breakerState: BreakerState | 'off';
  /** HTTP requests served (all paths but `/metrics`), as `fixture_requests_total`. */
  requests: number;
  /** `/item` answers: 200, 503 after a Redis failure, 503 from the open breaker without a Redis call. */
  itemOk: number;
  itemFailed: number;
  shortCircuited: number;
  /** Longest in-process handling time of a short-circuited `/item` (response write included; a GC pause counts), ms. */
  shortCircuitMaxMs: number;
  /** The last background PING's result, as `fixture_redis_up`. */
  redisUp: boolean;
}

export interface RedisTarget {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  stop(): Promise<void>;
  stats(): RedisTargetStats;
}

/** Consecutive Redis failures that open the breaker. */
export const BREAKER_FAILURES = 5;
/** How long the breaker stays open before it lets one trial request through. */
export const BREAKER_OPEN_MS = 1_000;
const HEALTH_TIMEOUT_MS = 300;
const PING_INTERVAL_MS = 250;
const RECONNECT_MS = 100;
const DISCONNECT_MS = 20;

/** Closed → open after `threshold` consecutive failures → half-open after `openMs` (one trial) → closed or open. */
class Breaker {
  state: BreakerState = 'closed';
  opened = 0;
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(
    private readonly threshold: number,
    private readonly openMs: number,
  ) {}

  /** 'pass': call Redis; 'trial': call Redis as the half-open trial; 'reject': fail fast. */
  admit(now: number): 'pass' | 'trial' | 'reject' {
    if (this.state === 'closed') return 'pass';
    if (this.state === 'open' && now - this.openedAt >= this.openMs) this.state = 'half-open';
    if (this.state === 'half-open' && !this.trialInFlight) {
      this.trialInFlight = true;
      return 'trial';
    }
    return 'reject';
  }

  record(admitted: 'pass' | 'trial', ok: boolean, now: number): void {
    if (admitted === 'trial') {
      this.trialInFlight = false;
      if (ok) this.close();
      else this.open(now);
      return;
    }
    // A request let through before the breaker opened: its result no longer decides anything.
    if (this.state !== 'closed') return;
    if (ok) this.failures = 0;
    else if (++this.failures >= this.threshold) this.open(now);
  }

  private open(now: number): void {
    this.state = 'open';
    this.openedAt = now;
    this.opened += 1;
  }

  private close(): void {
    this.state = 'closed';
    this.failures = 0;
  }
}

/**
 * Deadlines on Redis calls (rather than ioredis' commandTimeout, whose timers outlive a disconnect while Redis is
 * down): a call fails when its deadline passes, and stop() clears the deadlines still pending.
 */
class Deadlines {
  private readonly pending = new Set<NodeJS.Timeout>();

  within<T>(call: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        reject(new Error(`Redis call timed out after ${ms} ms`));
      }, ms);
      this.pending.add(timer);
      const settle = (): void => {
        clearTimeout(timer);
        this.pending.delete(timer);
      };
      call.then(
        (value) => {
          settle();
          resolve(value);
        },
        (err: unknown) => {
          settle();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** Resolves when `conn` emits `event` (or already is in that state), at most after `ms`. */
async function settled(conn: Redis, event: 'ready' | 'end', ms: number): Promise<void> {
  if (conn.status === event) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      conn.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    conn.once(event, done);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Starts the fixture on 127.0.0.1 (a free port) against `o.redisUrl`. */
export async function startRedisTarget(o: RedisTargetOptions): Promise<RedisTarget> {
  const commandTimeoutMs = o.commandTimeoutMs ?? 500;
  // disconnectTimeout: ioredis arms this timer on disconnect and clears it on a socket 'close' that never comes
  // while it is reconnecting to a stopped Redis (the default, 2 s, would keep the process alive after stop()).
  const common = { retryStrategy: () => RECONNECT_MS, connectTimeout: 1_000, disconnectTimeout: DISCONNECT_MS };
  // Request traffic: commands queue while Redis is down and fail at their deadline (commandTimeoutMs), not earlier.
  const traffic = new Redis(o.redisUrl, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
  // Health and metrics: nothing queues, a PING fails at once while disconnected.
  const probe = new Redis(o.redisUrl, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  traffic.on('error', () => undefined);
  probe.on('error', () => undefined);

  const deadlines = new Deadlines();
  const ping = async (ms: number): Promise<boolean> =>
    deadlines.within(probe.ping(), ms).then(
      (pong) => pong === 'PONG',
      () => false,
    );
  const breaker = o.breaker ? new Breaker(BREAKER_FAILURES, BREAKER_OPEN_MS) : undefined;
  const counts = { requests: 0, itemOk: 0, itemFailed: 0, shortCircuited: 0, shortCircuitMaxMs: 0 };
  let redisUp = false;
  let pinging = false;
  const refresh = async (): Promise<void> => {
    if (pinging) return;
    pinging = true;
    try {
      redisUp = await ping(PING_INTERVAL_MS);
    } finally {
      pinging = false;
    }
  };

  const item = async (res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const admitted = breaker ? breaker.admit(Date.now()) : 'pass';
    if (admitted === 'reject') {
      counts.shortCircuited += 1;
      json(res, 503, { error: 'redis unavailable' }, { 'x-breaker': 'open' });
      counts.shortCircuitMaxMs = Math.max(counts.shortCircuitMaxMs, performance.now() - started);
      return;
    }
    try {
      await deadlines.within(traffic.incr('fixture:hits'), commandTimeoutMs);
      const hits = Number(await deadlines.within(traffic.get('fixture:hits'), commandTimeoutMs));
      breaker?.record(admitted, true, Date.now());
      counts.itemOk += 1;
      json(res, 200, { hits });
    } catch {
      breaker?.record(admitted, false, Date.now());
      counts.itemFailed += 1;
      json(res, 503, { error: 'redis unavailable' }, breaker ? { 'x-breaker': breaker.state } : {});
    }
  };

  const metrics = (): string =>
    [
      '# HELP fixture_redis_up Whether the last background Redis PING succeeded (1) or not (0).',
      '# TYPE fixture_redis_up gauge',
      `fixture_redis_up ${redisUp ? 1 : 0}`,
      '# HELP fixture_requests_total HTTP requests served by the fixture, /metrics scrapes excepted.',
      '# TYPE fixture_requests_total counter',
      `fixture_requests_total ${counts.requests}`,
      '',
    ].join('\n');

  const server = createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    if (route !== '/metrics') counts.requests += 1;
    switch (route) {
      case '/item':
        void item(res);
        return;
      case '/static':
        json(res, 200, { static: true });
        return;
      case '/health':
        void ping(HEALTH_TIMEOUT_MS).then((ok) =>
          ok ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'degraded', redis: 'down' }),
        );
        return;
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics());
        return;
      default:
        json(res, 404, { error: 'not found' });
    }
  });
  server.keepAliveTimeout = 30_000;

  // A target may be started while Redis is down: wait for the connections at most 2 s.
  await Promise.all([settled(traffic, 'ready', 2_000), settled(probe, 'ready', 2_000)]);
  await refresh();
  const interval = setInterval(() => void refresh(), PING_INTERVAL_MS);
  interval.unref();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: () => ({
      breakerOpened: breaker?.opened ?? 0,
      breakerState: breaker?.state ?? 'off',
      ...counts,
      redisUp,
    }),
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(interval);
        deadlines.clear();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        traffic.disconnect();
        probe.disconnect();
        // 'end' never comes when ioredis was reconnecting to a stopped Redis: then wait out its disconnect timer.
        await Promise.all([settled(traffic, 'end', DISCONNECT_MS + 10), settled(probe, 'end', DISCONNECT_MS + 10)]);
      })()),
  };
}
