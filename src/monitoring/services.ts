/**
 * Service-side checks: /metrics endpoints (reachable, valid text format, required metrics, scraped by
 * Prometheus), Grafana health, Loki readiness and a log query that must return recent lines.
 */
import type { EgressGuard } from '../core/egress';
import { parseExposition } from '../core/exposition';
import { checksAt, type CheckResult } from '../core/monitoring';
import { activeTargets } from './prometheus';
import { at, jsonOf, probe } from './http';

/** Check results stamped with the wall clock. */
const check = checksAt(() => new Date());

export interface MetricsEndpointOptions {
  name: string;
  url: string;
  headers: Record<string, string>;
  requiredMetrics: string[];
}

const sameEndpoint = (a: string, b: string) => {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    const host = (h: string) => h.replace(/^localhost$/, '127.0.0.1').replace(/^\[::1\]$/, '::1');
    const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
    return host(x.hostname) === host(y.hostname) && port(x) === port(y) && x.pathname === y.pathname;
  } catch {
    return false;
  }
};

export async function metricsEndpointChecks(
  endpoints: MetricsEndpointOptions[],
  prometheus: { url: string; headers: Record<string, string> } | undefined,
  timeoutMs: number,
  egress: EgressGuard,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const targets = prometheus ? await activeTargets(prometheus.url, prometheus.headers, timeoutMs, egress) : undefined;
  for (const e of endpoints) {
    const id = `metrics.${e.name}`;
    const p = await probe(e.url, { headers: e.headers, timeoutMs, egress });
    const reachable = p.ok && p.status === 200;
    out.push(
      check(
        `${id}.reachable`,
        `${e.name}: /metrics answers`,
        'P1',
        reachable ? 'pass' : p.ok ? 'fail' : 'error',
        { endpoint: e.url, observed: p.ok ? `HTTP ${p.status}` : p.error, expected: 'HTTP 200' },
        `Expose Prometheus metrics at ${e.url} (a metrics middleware: request count, latency histogram, errors).`,
      ),
    );
    if (!reachable) {
      out.push(
        check(
          `${id}.scraped`,
          `${e.name}: scraped by Prometheus`,
          'P1',
          'not_evaluable',
          { endpoint: e.url, observed: 'endpoint not reachable', expected: 'reachable' },
          'Fix reachability first.',
        ),
      );
      continue;
    }
    const parsed = parseExposition(p.body);
    out.push(
      check(
        `${id}.format`,
        `${e.name}: valid Prometheus text format`,
        'P2',
        parsed.problems.length ? 'fail' : 'pass',
        {
          endpoint: e.url,
          observed: { contentType: p.contentType, samples: parsed.samples, problems: parsed.problems },
          expected: 'text exposition format (text/plain; version=0.0.4)',
        },
        'Serve the text exposition format from a Prometheus client library instead of a hand-written page.',
      ),
    );
    if (e.requiredMetrics.length) {
      const missing = e.requiredMetrics.filter((m) => !parsed.names.has(m));
      out.push(
        check(
          `${id}.required_metrics`,
          `${e.name}: required metrics present`,
          'P1',
          missing.length ? 'fail' : 'pass',
          {
            endpoint: e.url,
            observed: { missing, present: e.requiredMetrics.filter((m) => parsed.names.has(m)) },
            expected: e.requiredMetrics,
          },
          `Add the metrics: ${missing.join(', ')}.`,
        ),
      );
    }
    if (!prometheus || !targets) {
      out.push(
        check(
          `${id}.scraped`,
          `${e.name}: scraped by Prometheus`,
          'P1',
          'not_evaluable',
          { endpoint: e.url, observed: 'no monitoring.prometheus configured', expected: 'a Prometheus to ask' },
          'Configure monitoring.prometheus so scraping can be verified.',
        ),
      );
    } else if ('problem' in targets) {
      out.push(
        check(
          `${id}.scraped`,
          `${e.name}: scraped by Prometheus`,
          'P1',
          'error',
          { endpoint: at(prometheus.url, '/api/v1/targets'), observed: targets.problem, expected: 'a target list' },
          'Fix Prometheus access.',
        ),
      );
    } else {
      const match = targets.data.filter((t) => sameEndpoint(t.scrapeUrl, e.url));
      const up = match.some((t) => t.health === 'up');
      out.push(
        check(
          `${id}.scraped`,
          `${e.name}: scraped by Prometheus`,
          'P1',
          up ? 'pass' : 'fail',
          {
            endpoint: at(prometheus.url, '/api/v1/targets'),
            observed: match.length
              ? match.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError }))
              : 'no target scrapes this endpoint',
            expected: `an up target with scrapeUrl ${e.url}`,
          },
          match.length
            ? `Prometheus cannot scrape ${e.url}: ${match.map((t) => t.lastError).join('; ')}`
            : `Add ${e.url} to a scrape job (scrape_configs) in Prometheus.`,
        ),
      );
    }
  }
  return out;
}

export async function grafanaChecks(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  egress: EgressGuard,
): Promise<CheckResult[]> {
  const endpoint = at(url, '/api/health');
  const p = await probe(endpoint, { headers, timeoutMs, egress });
  let health: { database?: string; version?: string } | undefined;
  try {
    health = p.ok ? (JSON.parse(p.body) as { database?: string; version?: string }) : undefined;
  } catch {
    health = undefined;
  }
  const ok = p.ok && p.status === 200 && health?.database === 'ok';
  return [
    check(
      'grafana.health',
      'Grafana is healthy (database ok)',
      'P2',
      ok ? 'pass' : p.ok ? 'fail' : 'error',
      {
        endpoint,
        observed: p.ok ? { status: p.status, ...(health ?? { body: p.body.slice(0, 200) }) } : p.error,
        expected: { status: 200, database: 'ok' },
      },
      'Fix Grafana (or monitoring.grafana.url): /api/health must answer with database "ok".',
    ),
  ];
}

export async function lokiChecks(o: {
  url: string;
  headers: Record<string, string>;
  query?: string;
  sinceMs: number;
  timeoutMs: number;
  egress: EgressGuard;
}): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const ready = await probe(at(o.url, '/ready'), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const readyOk = ready.ok && ready.status === 200;
  out.push(
    check(
      'loki.ready',
      'Loki (log aggregation) is ready',
      'P2',
      readyOk ? 'pass' : 'error',
      {
        endpoint: at(o.url, '/ready'),
        observed: ready.ok ? `HTTP ${ready.status}: ${ready.body.trim().slice(0, 100)}` : ready.error,
        expected: 'HTTP 200 ready',
      },
      'Deploy Loki (and a log shipper such as Promtail) so logs can be searched centrally.',
    ),
  );
  if (!o.query) return out;
  if (!readyOk) {
    out.push(
      check(
        'loki.recent_logs',
        'Recent logs arrive in Loki',
        'P2',
        'not_evaluable',
        { endpoint: o.url, observed: 'Loki not ready', expected: 'Loki ready' },
        'Fix loki.ready first.',
      ),
    );
    return out;
  }
  const end = Date.now();
  const endpoint = at(o.url, '/loki/api/v1/query_range', {
    query: o.query,
    start: String((end - o.sinceMs) * 1e6),
    end: String(end * 1e6),
    limit: '5',
    direction: 'backward',
  });
  const p = await probe(endpoint, { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const data = jsonOf<{
    data?: { result?: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
  }>(p);
  const lines = (data?.data?.result ?? []).flatMap((r) => r.values);
  const newest = lines.reduce((m, [ts]) => Math.max(m, Number(BigInt(ts) / 1_000_000n)), 0);
  out.push(
    check(
      'loki.recent_logs',
      'Recent logs arrive in Loki',
      'P2',
      !p.ok || p.status >= 300 ? 'error' : lines.length ? 'pass' : 'fail',
      {
        endpoint: at(o.url, '/loki/api/v1/query_range'),
        observed:
          p.ok && p.status < 300
            ? { query: o.query, lines: lines.length, newest: newest ? new Date(newest).toISOString() : null }
            : p.ok
              ? `HTTP ${p.status}: ${p.body.slice(0, 200)}`
              : p.error,
        expected: `log lines for ${o.query} in the last ${Math.round(o.sinceMs / 60_000)} min`,
      },
      `No recent logs for ${o.query}: ship the service's logs to Loki (Promtail or another agent) with these labels.`,
    ),
  );
  return out;
}
