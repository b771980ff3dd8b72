/**
 * The bundled demo target: a small JSON API over Postgres with a deliberately small connection
 * pool, so it has a real breaking point (pool exhaustion answers 503, as in the hand-run campaign).
 * Run as its own process: `node dist/demo/target-server.js` with DEMO_DATABASE_URL and DEMO_PORT.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';

/** Options of the demo target. */
export interface DemoTargetOptions {
  databaseUrl: string;
  port: number;
  /** Connections in the target's pool (small on purpose). */
  poolSize?: number;
  /** Simulated query work per request, in milliseconds (pg_sleep inside the query). */
  queryMs?: number;
  /** How long a request waits for a pooled connection before answering 503. */
  acquireTimeoutMs?: number;
}

/** Starts the demo target; resolves with its port and a close function. */
export async function startDemoTarget(opts: DemoTargetOptions): Promise<{ port: number; close(): Promise<void> }> {
  const pool = new Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: opts.acquireTimeoutMs ?? 100,
  });
  pool.on('error', () => undefined);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS demo_target`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS demo_target.items (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await pool.query(
    `INSERT INTO demo_target.items (name) SELECT 'item ' || g FROM generate_series(1, 500) g WHERE NOT EXISTS (SELECT 1 FROM demo_target.items)`,
  );
  const workS = (opts.queryMs ?? 10) / 1000;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    try {
      if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
      const item = /^\/api\/items\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && item) {
        const r = await pool.query(
          `SELECT id, name, created_at, pg_sleep($2) IS NULL AS _ FROM demo_target.items WHERE id = $1`,
          [Number(item[1]), workS],
        );
        return r.rowCount
          ? send(res, 200, { id: r.rows[0].id, name: r.rows[0].name })
          : send(res, 404, { error: 'not found' });
      }
      if (req.method === 'GET' && url.pathname === '/api/items') {
        const limit = Math.min(Number(url.searchParams.get('limit') ?? 20) || 20, 100);
        const r = await pool.query(`SELECT id, name FROM demo_target.items, pg_sleep($2) ORDER BY id DESC LIMIT $1`, [
          limit,
          workS,
        ]);
        return send(res, 200, r.rows);
      }
      if (req.method === 'POST' && url.pathname === '/api/items') {
        const body = JSON.parse((await readBody(req)) || '{}') as { name?: string };
        const r = await pool.query(`INSERT INTO demo_target.items (name) SELECT $1 FROM pg_sleep($2) RETURNING id`, [
          String(body.name ?? 'new item').slice(0, 200),
          workS,
        ]);
        return send(res, 201, { id: r.rows[0].id });
      }
      return send(res, 404, { error: 'no such route' });
    } catch (err) {
      const msg = (err as Error).message;
      // Pool exhaustion: the connection wait timed out.
      // Shed the excess fast and say when to come back, as a service that degrades gracefully does.
      if (/timeout/i.test(msg))
        return send(res, 503, { error: 'database pool exhausted', retryAfterS: 1 }, { 'retry-after': '1' });
      return send(res, 500, { error: 'internal error' });
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}

if (require.main === module) {
  const databaseUrl = process.env.DEMO_DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write('DEMO_DATABASE_URL is required\n');
    process.exit(2);
  }
  startDemoTarget({
    databaseUrl,
    port: Number(process.env.DEMO_PORT ?? 0),
    poolSize: Number(process.env.DEMO_POOL_SIZE ?? 4),
  })
    .then(({ port, close }) => {
      process.stdout.write(`demo target listening on 127.0.0.1:${port}\n`);
      const stop = () => void close().finally(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    })
    .catch((err) => {
      process.stderr.write(`demo target failed: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
