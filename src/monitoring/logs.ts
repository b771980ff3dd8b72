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
  /** The campaign's load: since when, and how many requests failed (undefined: no load stored). */
  load?: { fromMs: number; errors: number };
  /** Trace ids of failed requests the load marked. */
  failedTraceIds: string[];
}

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

/** The LogQL count of lines matching `query` over the last `rangeS` seconds, and how long Loki took to answer. */
async function countLines(
  o: LogProofOptions,
  query: string,
  rangeS: number,
): Promise<{ count: number; ms: number } | { error: string }> {
  const started = performance.now();
  const p = await probe(at(o.url, '/loki/api/v1/query', { query: `sum(count_over_time(${query} [${rangeS}s]))` }), {
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    egress: o.egress,
  });
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
  const nowMs = Date.now();
  const rangeS = Math.max(60, Math.ceil((nowMs - (o.load?.fromMs ?? nowMs - 3_600_000)) / 1000) + 60);
  const counted = await countLines(o, o.errorQuery, rangeS);
  const endpoint = at(o.url, '/loki/api/v1/query');
  out.push(
    check(
      'loki.search',
      'Log search answers in time',
      'P3',
      'error' in counted ? 'error' : counted.ms <= o.maxSearchMs ? 'pass' : 'fail',
      {
        endpoint,
        observed: 'error' in counted ? counted.error : `${counted.ms} ms for ${o.errorQuery} over ${rangeS} s`,
        expected: `<= ${o.maxSearchMs} ms`,
      },
      "Speed up Loki's queries (query frontend, caching, fewer streams per selector) so an incident's search answers at once.",
    ),
  );
  const served = o.load?.errors ?? 0;
  out.push(
    check(
      'loki.error_logs',
      'Errors served leave error logs',
      'P2',
      'error' in counted
        ? 'error'
        : !served
          ? 'not_evaluable'
          : counted.count / served >= o.minErrorLogRatio
            ? 'pass'
            : 'fail',
      {
        endpoint,
        observed:
          'error' in counted
            ? counted.error
            : !served
              ? `the load was served no error to look for (${counted.count} error lines)`
              : `${counted.count} error lines for ${served} errors served (ratio ${round(counted.count / served, 2)})`,
        expected: `at least ${o.minErrorLogRatio} error lines per error served, for ${o.errorQuery}`,
      },
      'Log every failed request at error level with its route and status, and ship the logs to Loki with the labels the query selects.',
    ),
  );
  // Log-trace correlation: a failed marked request's trace id in the logs.
  const ids = o.failedTraceIds.slice(0, 5);
  if (!ids.length || 'error' in counted) {
    out.push(
      check(
        'loki.trace_correlation',
        'Failed requests are found in the logs by trace id',
        'P3',
        'not_evaluable',
        {
          endpoint,
          observed: 'error' in counted ? 'the log search failed' : 'no failed request was marked with a trace id',
          expected: 'a failed request found in the logs by its trace id',
        },
        'Mark requests (scenario.traceSample) and log the trace id with each line.',
      ),
    );
    return out;
  }
  let found = 0;
  for (const id of ids) {
    const r = await countLines(o, `${o.errorQuery} |= "${id}"`, rangeS);
    if (!('error' in r) && r.count > 0) found += 1;
  }
  out.push(
    check(
      'loki.trace_correlation',
      'Failed requests are found in the logs by trace id',
      'P3',
      found ? 'pass' : 'fail',
      {
        endpoint,
        observed: `${found} of ${ids.length} failed requests' trace ids found in the error lines`,
        expected: 'a failed request found in the logs by its trace id',
      },
      'Write the trace id (from the W3C traceparent) into every log line, so a trace leads to its logs.',
    ),
  );
  return out;
}
