/**
 * Dependency benchmarks: direct latency and throughput of a Redis or a Postgres the target depends on, measured from
 * the worker with HDR histograms (as the hand-run campaign's Redis and database benchmarks did).
 *
 * Redis: PING, SET and GET on keys of the campaign's own (`readiness:bench:<token>:*`, each set with a 10-minute
 * expiry and deleted at the end), and a pub/sub round trip on a channel of its own. Postgres: single-row INSERTs
 * (each its own transaction: a commit, as the application's writes) into a scratch table the benchmark creates and
 * drops (`readiness_bench_<index>_<token>`; a retried attempt drops the one its predecessor left), then primary-key
 * reads of those rows. Nothing else is touched.
 */
import Redis from 'ioredis';
import pg from 'pg';
import { newHistogram } from '../engine/metrics';
import type { DependencyKind, DependencyOperation, OperationMeasurement } from '../core/dependencies';

export interface DependencyBenchOptions {
  kind: DependencyKind;
  url: string;
  operations: number;
  concurrency: number;
  /** Distinguishes this campaign's keys, channel and table (lowercase letters, digits and `_`). */
  token: string;
  /** The activity attempt: each attempt has its own table and keys; a retry drops its predecessors' table. */
  attempt: number;
  /** The dependency's position in the campaign file (two Postgres dependencies get two tables). */
  index: number;
  signal?: AbortSignal;
}

/** Operations sent before measuring (connections opened, statements prepared), per operation type, at least one per lane. */
const WARMUP = 10;

/** Thrown when the benchmark is cancelled: nothing measured after it is reported. */
export class BenchmarkCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'BenchmarkCancelled';
  }
}

/** Calls `fn(i)` for i in [0, count) with `lanes` calls in flight, stopping early on `signal`. */
async function inLanes(count: number, lanes: number, fn: (i: number) => Promise<void>, signal?: AbortSignal) {
  let next = 0;
  const lane = async () => {
    while (next < count && !signal?.aborted) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(lanes, count)) }, lane));
  return Math.min(next, count);
}

/**
 * Runs `operations` calls of `op` with `concurrency` of them in flight, after a warm-up sent the same way (every
 * connection of a pool opened before measuring); latency per call into an HDR histogram (µs). Errors are counted
 * (their latency is not recorded) and the first one kept. Every call must be bounded by the client's own timeout;
 * a cancellation stops between calls and throws BenchmarkCancelled.
 */
async function measure(
  operation: DependencyOperation,
  operations: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<OperationMeasurement> {
  if (signal?.aborted) throw new BenchmarkCancelled();
  await inLanes(
    Math.max(WARMUP, concurrency),
    concurrency,
    (i) =>
      op(-1 - i).then(
        () => undefined,
        () => undefined,
      ),
    signal,
  );
  const h = newHistogram();
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const done = await inLanes(
    operations,
    concurrency,
    async (i) => {
      const t0 = performance.now();
      try {
        await op(i);
        h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
      }
    },
    signal,
  );
  if (signal?.aborted) throw new BenchmarkCancelled();
  const elapsedMs = performance.now() - started;
  const ms = (us: number) => us / 1000;
  return {
    operation,
    operations: done,
    errors,
    concurrency,
    elapsedMs,
    meanMs: h.totalCount ? ms(h.mean) : 0,
    p50Ms: h.totalCount ? ms(h.getValueAtPercentile(50)) : 0,
    p95Ms: h.totalCount ? ms(h.getValueAtPercentile(95)) : 0,
    p99Ms: h.totalCount ? ms(h.getValueAtPercentile(99)) : 0,
    maxMs: h.totalCount ? ms(h.maxValue) : 0,
    ...(firstError ? { firstError } : {}),
  };
}

/** Benchmarks one dependency; throws when it cannot connect at all. */
export async function benchmarkDependency(o: DependencyBenchOptions): Promise<OperationMeasurement[]> {
  return o.kind === 'redis' ? benchmarkRedis(o) : benchmarkPostgres(o);
}

async function benchmarkRedis(o: DependencyBenchOptions): Promise<OperationMeasurement[]> {
  // Every command bounded (a stalled server cannot hang the benchmark or its cleanup).
  const options = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    retryStrategy: () => null,
  };
  const redis = new Redis(o.url, options);
  const sub = new Redis(o.url, options);
  redis.on('error', () => undefined);
  sub.on('error', () => undefined);
  const prefix = `readiness:bench:${o.token}:${o.index}:a${o.attempt}`;
  const keys = Math.min(o.operations, 100);
  const key = (i: number) => `${prefix}:${((i % keys) + keys) % keys}`;
  const value = 'x'.repeat(64);
  try {
    await redis.connect();
    await sub.connect();
    const out: OperationMeasurement[] = [];
    out.push(await measure('ping', o.operations, o.concurrency, () => redis.ping(), o.signal));
    out.push(
      await measure('set', o.operations, o.concurrency, (i) => redis.set(key(i), value, 'PX', 600_000), o.signal),
    );
    out.push(await measure('get', o.operations, o.concurrency, (i) => redis.get(key(i)), o.signal));
    // Pub/sub: each message carries its number; the round trip ends when the subscriber receives it.
    const channel = `${prefix}:channel`;
    const waiting = new Map<string, () => void>();
    sub.on('message', (ch: string, msg: string) => {
      if (ch === channel) waiting.get(msg)?.();
    });
    await sub.subscribe(channel);
    let seq = 0;
    out.push(
      await measure(
        'pubsub',
        o.operations,
        o.concurrency,
        () => {
          const id = String(seq++);
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              waiting.delete(id);
              reject(new Error('no message within 5 s'));
            }, 5_000);
            waiting.set(id, () => {
              clearTimeout(timer);
              waiting.delete(id);
              resolve();
            });
            redis.publish(channel, id).catch((err: Error) => {
              clearTimeout(timer);
              waiting.delete(id);
              reject(err);
            });
          });
        },
        o.signal,
      ),
    );
    return out;
  } finally {
    await redis.del(...Array.from({ length: keys }, (_, i) => key(i))).catch(() => undefined);
    redis.disconnect();
    sub.disconnect();
  }
}

async function benchmarkPostgres(o: DependencyBenchOptions): Promise<OperationMeasurement[]> {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.concurrency,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    // Client side too: a server that stops answering (a network black hole) cannot hang a query or the cleanup.
    query_timeout: 15_000,
    application_name: 'readiness-dependency-benchmark',
  });
  pool.on('error', () => undefined);
  const tableOf = (attempt: number) => `"readiness_bench_${o.index}_${o.token}_a${attempt}"`;
  const quoted = tableOf(o.attempt);
  try {
    // Earlier attempts (a worker killed mid-benchmark) may have left their tables: drop them first. Each attempt has
    // its own, so a stalled earlier attempt's cleanup cannot drop this one's.
    for (let a = 1; a <= o.attempt; a++) await pool.query(`DROP TABLE IF EXISTS ${tableOf(a)}`);
    await pool.query(`CREATE TABLE ${quoted} (id bigserial PRIMARY KEY, payload text NOT NULL)`);
    const out: OperationMeasurement[] = [];
    const payload = 'x'.repeat(64);
    const write = await measure(
      'write',
      o.operations,
      o.concurrency,
      () => pool.query(`INSERT INTO ${quoted} (payload) VALUES ($1)`, [payload]),
      o.signal,
    );
    const { rows } = await pool.query<{ n: string }>(`SELECT max(id) AS n FROM ${quoted}`);
    const ids = Math.max(1, Number(rows[0]?.n ?? 1));
    out.push(
      await measure(
        'read',
        o.operations,
        o.concurrency,
        (i) => pool.query(`SELECT payload FROM ${quoted} WHERE id = $1`, [(Math.abs(i) % ids) + 1]),
        o.signal,
      ),
    );
    out.push(write);
    return out;
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${quoted}`).catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}
