/**
 * A loopback HTTP server with a known, pool-limited capacity, for stress tests and benchmarks: `slots`
 * requests are served at once, each held `serviceMs`; a request that waits longer than `maxWaitMs` for a
 * slot gets 503 (pool exhausted). Its true capacity is slots / (the service time it really applied),
 * reported by `GET /__stats` as `capacityRps`. With `breakAfterErrors` it fails every request (500) once
 * it has answered that many 503s: a target that does not recover. `GET /metrics` exposes its own metrics in
 * Prometheus text format (requests by status, slots in use, queue length), like an instrumented service.
 * Usage: node dist/bench/capacity-server.js <slots> <serviceMs> <maxWaitMs> [breakAfterErrors]; prints the port.
 */
import { createServer, type ServerResponse } from 'node:http';

const [slots, serviceMs, maxWaitMs, breakAfter] = process.argv.slice(2).map(Number);
let busy = 0;
let rejected = 0;
let serviceSum = 0;
let served = 0;
const byStatus = new Map<number, number>();
const count = (status: number) => byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
const queue: Array<{ timer: NodeJS.Timeout; serve: () => void }> = [];

const serve = (res: ServerResponse) => () => {
  const started = performance.now();
  setTimeout(() => {
    serviceSum += performance.now() - started;
    served += 1;
    count(200);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const next = queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.serve();
    } else busy -= 1;
  }, serviceMs);
};

const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    const capacityRps = served ? slots / (serviceSum / served / 1000) : 0;
    return void res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ capacityRps, served, rejected }));
  }
  if (req.url === '/health') return void res.end('ok');
  if (req.url === '/metrics') {
    const lines = [
      '# HELP http_requests_total Requests answered, by status code.',
      '# TYPE http_requests_total counter',
      ...[...byStatus].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
      '# HELP capacity_slots_in_use Slots (pool connections) serving a request.',
      '# TYPE capacity_slots_in_use gauge',
      `capacity_slots_in_use ${busy}`,
      '# HELP capacity_slots Slots in the pool.',
      '# TYPE capacity_slots gauge',
      `capacity_slots ${slots}`,
      '# HELP capacity_queue_length Requests waiting for a slot.',
      '# TYPE capacity_queue_length gauge',
      `capacity_queue_length ${queue.length}`,
    ];
    return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  }
  if (breakAfter && rejected >= breakAfter) {
    count(500);
    return void res.writeHead(500).end('broken');
  }
  if (busy < slots) {
    busy += 1;
    return serve(res)();
  }
  const entry = {
    serve: serve(res),
    timer: setTimeout(() => {
      queue.splice(queue.indexOf(entry), 1);
      rejected += 1;
      count(503);
      res.writeHead(503).end('pool exhausted');
    }, maxWaitMs),
  };
  queue.push(entry);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
