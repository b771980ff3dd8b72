/**
 * A small API with sessions, for user journeys: POST /login with an account of its own list, then orders owned by
 * the session's account (create, read, delete). It records what each request proved: which account logged in (and
 * how often), whether a read or delete came for an order of the same session, so tests can check that steps ran in
 * order with their captures.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JourneyStats {
  logins: Map<string, number>;
  /** The accounts of the first 100 logins, in arrival order. */
  loginOrder: string[];
  failedLogins: number;
  created: number;
  reads: number;
  deletes: number;
  /** A read or delete of an order not created by the same session (a step out of order, a capture lost). */
  foreign: number;
  /** Reads and deletes without a session. */
  unauthenticated: number;
  /** Requests by path template, in arrival order per session (first 2,000 only). */
  sequences: Map<string, string[]>;
}

export interface JourneyApi {
  url: string;
  stats: JourneyStats;
  /** Makes order creation fail (HTTP 500) for this share of requests, decided by the order's number. */
  failCreates(share: number): void;
  close(): Promise<void>;
}

/** Starts the journey API on 127.0.0.1; `accounts` maps email to password. */
export async function startJourneyApi(accounts: Map<string, string>): Promise<JourneyApi> {
  const stats: JourneyStats = {
    logins: new Map(),
    loginOrder: [],
    failedLogins: 0,
    created: 0,
    reads: 0,
    deletes: 0,
    foreign: 0,
    unauthenticated: 0,
    sequences: new Map(),
  };
  const sessions = new Map<string, string>();
  const orders = new Map<number, string>();
  let nextOrder = 1;
  let createFailShare = 0;
  let sessionSeq = 0;
  const note = (token: string, step: string) => {
    const seq = stats.sequences.get(token);
    if (seq && seq.length < 50) seq.push(step);
  };
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const owner = token ? sessions.get(token) : undefined;
      const url = req.url ?? '/';
      if (req.method === 'GET' && url === '/health') return send(res, 200, { ok: true });
      if (req.method === 'POST' && url === '/login') {
        let body: { email?: string; password?: string } = {};
        try {
          body = JSON.parse(text);
        } catch {
          /* a bad body is a failed login */
        }
        if (!body.email || accounts.get(body.email) !== body.password) {
          stats.failedLogins += 1;
          // Echoes the account, as many APIs do: the engine must not carry it into its error samples.
          return send(res, 401, { error: `bad credentials for ${body.email ?? '?'}` });
        }
        stats.logins.set(body.email, (stats.logins.get(body.email) ?? 0) + 1);
        if (stats.loginOrder.length < 100) stats.loginOrder.push(body.email);
        const t = `t${++sessionSeq}-${Math.random().toString(36).slice(2)}`;
        sessions.set(t, body.email);
        if (stats.sequences.size < 2000) stats.sequences.set(t, ['login']);
        return send(res, 200, { token: t, account: { email: body.email } });
      }
      const m = /^\/orders(?:\/(\d+))?$/.exec(url);
      if (!m) return send(res, 404, { error: 'no such route' });
      if (!owner || !token) {
        stats.unauthenticated += 1;
        return send(res, 401, { error: 'log in first' });
      }
      if (req.method === 'POST' && !m[1]) {
        const id = nextOrder++;
        if (createFailShare > 0 && (id % 100) / 100 < createFailShare) {
          note(token, 'create-failed');
          return send(res, 500, { error: 'order service down' });
        }
        orders.set(id, owner);
        stats.created += 1;
        note(token, 'create');
        return send(res, 201, { id, owner });
      }
      const id = Number(m[1]);
      if (orders.get(id) !== owner) {
        stats.foreign += 1;
        return send(res, 404, { error: 'no such order' });
      }
      if (req.method === 'GET') {
        stats.reads += 1;
        note(token, 'read');
        return send(res, 200, { id, owner });
      }
      if (req.method === 'DELETE') {
        orders.delete(id);
        stats.deletes += 1;
        note(token, 'delete');
        res.writeHead(204);
        return res.end();
      }
      return send(res, 405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    failCreates: (share) => (createFailShare = share),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `n` test accounts as a CSV text (email,password) and as the API's map. */
export function testAccounts(n: number): { csv: string; accounts: Map<string, string> } {
  const accounts = new Map<string, string>();
  const lines = ['email,password'];
  for (let i = 0; i < n; i++) {
    const email = `user${i}@example.test`;
    const password = `pw-${i}-${(i * 7919) % 10007}`;
    accounts.set(email, password);
    lines.push(`${email},${password}`);
  }
  return { csv: `${lines.join('\n')}\n`, accounts };
}

/** The checkout journey's scenario (login -> create -> read -> delete), its accounts from `accounts` (a data source). */
export const JOURNEY_SCENARIO = {
  thinkTime: '5ms',
  requests: [
    {
      name: 'login',
      method: 'POST',
      path: '/login',
      json: { email: '{{accounts.email}}', password: '{{accounts.password}}' },
      capture: { token: 'token' },
      expect: { status: 200 },
    },
  ],
  flows: [
    {
      name: 'checkout',
      steps: [
        { request: 'login' },
        {
          name: 'create-order',
          method: 'POST',
          path: '/orders',
          headers: { Authorization: 'Bearer {{token}}' },
          json: { item: 42 },
          capture: { orderId: 'id' },
          expect: { status: 201 },
        },
        {
          name: 'read-order',
          method: 'GET',
          path: '/orders/{{orderId}}',
          headers: { Authorization: 'Bearer {{token}}' },
          expect: { status: 200, bodyContains: '"owner"' },
        },
        {
          name: 'delete-order',
          method: 'DELETE',
          path: '/orders/{{orderId}}',
          headers: { Authorization: 'Bearer {{token}}' },
          expect: { status: 204 },
          thinkTime: '10ms',
        },
      ],
    },
  ],
};
