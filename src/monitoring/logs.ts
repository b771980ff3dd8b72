/**
 * Logs proven end to end: Loki keeps them long enough (its running configuration's retention), the errors the load
 * was served left error lines (counted over the campaign, set against the errors served), the search answers in
 * time, and a failed request's trace id is found in the logs (log-trace correlation).
 */
import { parse } from 'yaml';
import type { CheckResult } from '../core/monitoring';
import { checksAt, parsePromDuration } from '../core/monitoring';
import type { EgressGuard } from '../core/egress';
import { round } from '../core/numbers';
import { at, probe, promData } from './http';

const check = checksAt(() => new Date());

export interface LogProofOptions {
  url: string;
  headers: Record<string, string>;
  egress: EgressGuard;
  timeoutMs: number;
  errorQuery?: string;
  minErrorLogRatio: number;
  maxSearchMs: number;
  minRetentionMs: number;
  /** The stream selector the trace ids are searched in (monitoring.loki.query, else errorQuery). */
  selector?: string;
  /** The load's windows that were served 5xx answers, and how many (the errors the target should have logged). */
  windows: Array<{ phase: string; fromMs: number; toMs: number; served: number }>;
  /** Failed requests the load marked (answered 5xx): their trace ids and when they ended. */
  failedMarks: Array<{ traceId: string; atMs: number }>;
}

/** How long after a window a log line may still arrive (a shipper's batching): the window's query ends this late. */
const SHIPPING_LAG_MS = 10_000;
/** At most this many windows are counted (the newest). */
const MAX_WINDOWS = 20;

/** The retention Loki runs with, from its /config: the compactor's switch and limits_config.retention_period. */
export function lokiRetention(configYaml: string): { enabled: boolean; periodMs: number | undefined } | undefined {
  let c: { compactor?: { retention_enabled?: boolean }; limits_config?: { retention_period?: string | number } };
  try {
    c = parse(configYaml) as typeof c;
  } catch {
    return undefined;
  }
  if (!c || typeof c !== 'object') return undefined;
  const raw = c.limits_config?.retention_period;
  const periodMs = raw === undefined ? undefined : raw === 0 || raw === '0' ? 0 : parsePromDuration(String(raw));
  return { enabled: c.compactor?.retention_enabled === true, periodMs };
}

const days = (ms: number) => `${round(ms / 86_400_000, 1)} d`;

/** The LogQL count of lines matching `query` in [fromMs, toMs], and how long Loki took to answer. */
async function countLines(
  o: LogProofOptions,
  query: string,
  fromMs: number,
  toMs: number,
): Promise<{ count: number; ms: number } | { error: string }> {
  const rangeS = Math.max(1, Math.ceil((toMs - fromMs) / 1000));
  const started = performance.now();
  const url = at(o.url, '/loki/api/v1/query', {
    query: `sum(count_over_time(${query} [${rangeS}s]))`,
    time: String(toMs / 1000),
  });
  const p = await probe(url, { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const ms = round(performance.now() - started, 1);
  const d = promData<{ result: Array<{ value: [number, string] }> }>(p);
  if ('problem' in d) return { error: d.problem };
  return { count: d.data.result.reduce((s, r) => s + Number(r.value[1]), 0), ms };
}

export async function logProofChecks(o: LogProofOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  // Retention, from the configuration Loki runs with.
  const configUrl = at(o.url, '/config');
  const cfg = await probe(configUrl, { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const retention = cfg.ok && cfg.status === 200 ? lokiRetention(cfg.body) : undefined;
  const min = days(o.minRetentionMs);
  out.push(
    check(
      'loki.retention',
      'Log retention is configured',
      'P2',
      !retention
        ? 'error'
        : retention.enabled && retention.periodMs !== undefined && retention.periodMs >= o.minRetentionMs
          ? 'pass'
          : 'fail',
      {
        endpoint: configUrl,
        observed: !retention
          ? cfg.ok
            ? `HTTP ${cfg.status}: not Loki's configuration`
            : cfg.error
          : !retention.enabled
            ? 'no retention policy: compactor.retention_enabled is false (Loki never deletes logs; storage grows without bound)'
            : retention.periodMs === 0 || retention.periodMs === undefined
              ? 'retention enabled, retention_period 0 (kept forever)'
              : `retention ${days(retention.periodMs)}`,
        expected: `compactor.retention_enabled and limits_config.retention_period >= ${min}`,
      },
      `Enable the compactor's retention and set limits_config.retention_period to at least ${min} (what incident reviews need).`,
    ),
  );
  if (!o.errorQuery) return out;
  const endpoint = at(o.url, '/loki/api/v1/query');
  // The error lines of the windows that served errors, each counted over its own window (plus the shipping lag).
  const windows = o.windows.slice(0, MAX_WINDOWS);
  const now = Date.now();
  let lines = 0;
  let searchMs = 0;
  let failure: string | undefined;
  for (const w of windows) {
    const r = await countLines(o, o.errorQuery, w.fromMs, Math.min(now, w.toMs + SHIPPING_LAG_MS));
    if ('error' in r) {
      failure = r.error;
      break;
    }
    lines += r.count;
    searchMs = Math.max(searchMs, r.ms);
  }
  // Search time: the slowest of those queries, or one over the last hour when no window served errors.
  if (!windows.length) {
    const r = await countLines(o, o.errorQuery, now - 3_600_000, now);
    if ('error' in r) failure = r.error;
    else searchMs = r.ms;
  }
  out.push(
    check(
      'loki.search',
      'Log search answers in time',
      'P3',
      failure ? 'error' : searchMs <= o.maxSearchMs ? 'pass' : 'fail',
      {
        endpoint,
        observed: failure ?? `${searchMs} ms (slowest count of ${o.errorQuery} over a load window)`,
        expected: `<= ${o.maxSearchMs} ms`,
      },
      "Speed up Loki's queries (query frontend, caching, fewer streams per selector) so an incident's search answers at once.",
    ),
  );
  const served = windows.reduce((n, w) => n + w.served, 0);
  out.push(
    check(
      'loki.error_logs',
      'Errors served leave error logs',
      'P2',
      failure ? 'error' : !served ? 'not_evaluable' : lines / served >= o.minErrorLogRatio ? 'pass' : 'fail',
      {
        endpoint,
        observed: failure
          ? failure
          : !served
            ? 'the load was served no 5xx answer to look for'
            : `${lines} error lines for ${served} 5xx answers served, over ${windows.length} load window(s) (${windows.map((w) => w.phase).join(', ')}): ratio ${round(lines / served, 2)}`,
        expected: `at least ${o.minErrorLogRatio} error lines per 5xx served, for ${o.errorQuery}`,
      },
      'Log every failed request at error level with its route and status, and ship the logs to Loki with the labels the query selects.',
    ),
  );
  // Log-trace correlation: a failed marked request's trace id in the logs around when it failed. Only when the
  // load marked failed requests (trace marking on).
  const marks = o.failedMarks.filter((m) => /^[0-9a-f]{32}$/.test(m.traceId)).slice(0, 5);
  if (!marks.length || failure) return out;
  const selector = o.selector ?? o.errorQuery;
  let found = 0;
  let lookupError: string | undefined;
  for (const m of marks) {
    const r = await countLines(o, `${selector} |= "${m.traceId}"`, m.atMs - 60_000, Math.min(now, m.atMs + 60_000));
    if ('error' in r) lookupError ??= r.error;
    else if (r.count > 0) found += 1;
  }
  out.push(
    check(
      'loki.trace_correlation',
      'Failed requests are found in the logs by trace id',
      'P3',
      found ? 'pass' : lookupError ? 'error' : 'fail',
      {
        endpoint,
        observed: `${found} of ${marks.length} failed requests' trace ids found in ${selector} within a minute of their failure${lookupError ? ` (${lookupError})` : ''}`,
        expected: 'a failed request found in the logs by its trace id',
      },
      'Write the trace id (from the W3C traceparent) into every log line, so a trace leads to its logs.',
    ),
  );
  return out;
}
