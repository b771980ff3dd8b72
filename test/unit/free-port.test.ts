import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../src/infra/process';

test('when a free port is picked for a server started later, then it lies below the ephemeral range and can be bound', async () => {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) expect(port).toBeLessThan(low!);
  const srv = createServer();
  await new Promise<void>((resolve, reject) =>
    srv.once('error', reject).listen(ports[0], '127.0.0.1', () => resolve()),
  );
  await new Promise((r) => srv.close(r));
});
