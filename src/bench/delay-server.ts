/**
 * A loopback HTTP server for benchmarks and accuracy tests: answers every request after a fixed delay
 * and records the delay it really applied (timers are never exact), so a client's measurement error can
 * be computed against the truth. `GET /__stats` returns {count, p50Ms, p99Ms} and resets.
 * Run as its own process: `node dist/bench/delay-server.js <delayMs>`; prints the port.
 */
import { createServer } from 'node:http';
import * as hdr from 'hdr-histogram-js';

const delayMs = Number(process.argv[2] ?? 0);
const realized = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
});
const body = '{"ok":true}';

const server = createServer((req, res) => {
  if (req.url === '/__stats') {
    const stats = {
      count: realized.totalCount,
      p50Ms: realized.getValueAtPercentile(50) / 1000,
      p99Ms: realized.getValueAtPercentile(99) / 1000,
    };
    realized.reset();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.url === '/health') return void res.end('ok');
  const started = performance.now();
  const reply = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    realized.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
  };
  if (delayMs > 0) setTimeout(reply, delayMs);
  else reply();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
