import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP target for tests: `handler` decides each response; `/health` answers 200 unless overridden. */
export async function startTarget(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200).end('ok');
      return;
    }
    n += 1;
    handler(req, res, n);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => n,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A handler answering 200 after a fixed delay. */
export const delayed = (ms: number, status = 200) => (_req: IncomingMessage, res: ServerResponse) => {
  setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}'), ms);
};
