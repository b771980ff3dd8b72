/**
 * Small loopback HTTP servers the monitoring tests need next to the real Prometheus and Alertmanager:
 * a service exposing /metrics, a runbook site, a webhook sink, and a Grafana stand-in (Grafana is not
 * packaged here). Plus a wait until Prometheus has scraped and evaluated once.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { waitFor } from '../../src/infra/process';

export interface Stub {
  url: string;
  address: string;
  hits: string[];
  close(): Promise<void>;
}

export async function stub(handler: RequestListener): Promise<Stub> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A service exposing Prometheus metrics at /metrics (or `body` verbatim). */
export const metricsService = (
  body = '# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 42\n',
) =>
  stub((req, res) => {
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    else res.writeHead(404).end();
  });

/** Runbooks: /runbooks/<name> answers 200 for names in `exist`, 404 otherwise. */
export const runbookSite = (exist: string[]) =>
  stub((req, res) => res.writeHead(exist.some((n) => req.url === `/runbooks/${n}`) ? 200 : 404).end('runbook'));

/** Accepts webhook posts (a notification integration's far end). */
export const webhookSink = () =>
  stub((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });

/** Grafana stand-in: /api/health like Grafana's, with the given database state. */
export const grafanaStandIn = (database: 'ok' | 'failing') =>
  stub((req, res) => {
    if (req.url === '/api/health')
      res
        .writeHead(database === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ commit: 'stand-in', database, version: '12.3.1' }));
    else res.writeHead(404).end();
  });

async function promGet<T>(url: string): Promise<T> {
  const res = await request(url);
  return ((await res.body.json()) as { data: T }).data;
}

/**
 * Waits until Prometheus has picked up `targets` scrape targets (its discovery updates only every 5 s)
 * and `alertmanagers` Alertmanagers, scraped every target once and evaluated every rule once.
 */
export async function scraped(
  promUrl: string,
  expect: { targets: number; alertmanagers?: number },
  timeoutMs = 30_000,
): Promise<void> {
  const ok = await waitFor(
    async () => {
      const t = await promGet<{ activeTargets: Array<{ health: string }> }>(`${promUrl}/api/v1/targets?state=active`);
      const r = await promGet<{ groups: Array<{ rules: Array<{ health: string }> }> }>(`${promUrl}/api/v1/rules`);
      const a = await promGet<{ activeAlertmanagers: unknown[] }>(`${promUrl}/api/v1/alertmanagers`);
      return (
        t.activeTargets.length >= expect.targets &&
        a.activeAlertmanagers.length >= (expect.alertmanagers ?? 0) &&
        t.activeTargets.every((x) => x.health !== 'unknown') &&
        r.groups.every((g) => g.rules.every((x) => x.health !== 'unknown'))
      );
    },
    timeoutMs,
    250,
  );
  if (!ok) throw new Error(`Prometheus at ${promUrl} did not discover, scrape and evaluate within ${timeoutMs} ms`);
}
