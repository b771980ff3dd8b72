/**
 * A loopback HTTP server with a known, pool-limited capacity, for stress tests and benchmarks: `slots`
 * requests are served at once, each held `serviceMs`; a request that waits longer than `maxWaitMs` for a
 * slot gets 503 (pool exhausted). Its true capacity is slots / (the service time it really applied),
 * reported by `GET /__stats` as `capacityRps`. With `breakAfterErrors` it fails every request (500) once
 * it has answered that many 503s: a target that does not recover.
 * Usage: node dist/bench/capacity-server.js <slots> <serviceMs> <maxWaitMs> [breakAfterErrors]; prints the port.
 */
import { createServer, type ServerResponse } from 'node:http';

const [slots, serviceMs, maxWaitMs, breakAfter] = process.argv.slice(2).map(Number);
let busy = 0;
let rejected = 0;
let serviceSum = 0;
let served = 0;
const queue: Array<{ timer: NodeJS.Timeout; serve: () => void }> = [];

const serve = (res: ServerResponse) => () => {
  const started = performance.now();
  setTimeout(() => {
    serviceSum += performance.now() - started;
    served += 1;
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
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ capacityRps, served, rejected }));
  }
  if (req.url === '/health') return void res.end('ok');
  if (breakAfter && rejected >= breakAfter) return void res.writeHead(500).end('broken');
  if (busy < slots) {
    busy += 1;
    return serve(res)();
  }
  const entry = {
    serve: serve(res),
    timer: setTimeout(() => {
      queue.splice(queue.indexOf(entry), 1);
      rejected += 1;
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
