/**
 * Tracing proven end to end: the tracing backend answers (Jaeger's query API or Grafana Tempo's), requests the
 * campaign marked with a W3C `traceparent` are found there by their trace id (fresh probe requests, timed from the
 * request to visible), and the share of the load's marked requests found is the backend's effective sample rate.
 * Jaeger and Tempo are one interface: how each says it is ready, and how each answers a trace by id.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { CheckResult } from '../core/monitoring';
import { checksAt } from '../core/monitoring';
import type { EgressGuard } from '../core/egress';
import { round } from '../core/numbers';
import { at, jsonOf, probe } from './http';

const check = checksAt(() => new Date());

/** A trace as a backend answered it: found, and the service names of its spans. */
export type TraceLookup = { found: true; services: string[] } | { found: false } | { error: string };

/** A tracing backend's query API. */
export interface TracingBackend {
  /** The path that says the backend is up, and what a healthy answer is. */
  readyPath: string;
  ready(status: number, body: string): boolean;
  /** The path of a trace by its id, and the services in the answer (undefined: not a trace). */
  tracePath(traceId: string): string;
  services(json: unknown): string[] | undefined;
}

/** Jaeger's HTTP query API: /api/services lists services; /api/traces/{id} answers {data: [{processes}]} or 404. */
export const JAEGER: TracingBackend = {
  readyPath: '/api/services',
  ready: (status, body) => status === 200 && body.includes('"data"'),
  tracePath: (id) => `/api/traces/${id}`,
  services(json) {
    const data = (json as { data?: Array<{ processes?: Record<string, { serviceName?: string }> }> } | undefined)?.data;
    if (!Array.isArray(data) || !data.length) return undefined;
    return [...new Set(data.flatMap((t) => Object.values(t.processes ?? {}).map((p) => p.serviceName ?? '')))].filter(
      Boolean,
    );
  },
};

/** Grafana Tempo: /ready; /api/traces/{id} answers OTLP JSON (`batches` or `resourceSpans`, v2: under `trace`) or 404. */
export const TEMPO: TracingBackend = {
  readyPath: '/ready',
  ready: (status, body) => status === 200 && body.trim() === 'ready',
  tracePath: (id) => `/api/traces/${id}`,
  services(json) {
    const root = json as { trace?: unknown } | undefined;
    const t = (root?.trace ?? root) as
      | {
          batches?: Array<{ resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> } }>;
          resourceSpans?: Array<{
            resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> };
          }>;
        }
      | undefined;
    const batches = t?.batches ?? t?.resourceSpans;
    if (!Array.isArray(batches) || !batches.length) return undefined;
    return [
      ...new Set(
        batches.flatMap((b) =>
          (b.resource?.attributes ?? []).filter((a) => a.key === 'service.name').map((a) => a.value?.stringValue ?? ''),
        ),
      ),
    ].filter(Boolean);
  },
};

export const BACKENDS = { jaeger: JAEGER, tempo: TEMPO } as const;

/** The load's marked requests looked up at most, and the fewest answered lookups a sample rate is judged on. */
const MAX_LOAD_LOOKUPS = 50;
const MIN_RATE_LOOKUPS = 20;

/** A fresh W3C trace context: the trace id, and the `traceparent` header (sampled). */
export function traceContext(): { traceId: string; traceparent: string } {
  const ids = randomBytes(24).toString('hex');
  return { traceId: ids.slice(0, 32), traceparent: `00-${ids.slice(0, 32)}-${ids.slice(32)}-01` };
}

export interface TracingCheckOptions {
  backend: TracingBackend;
  url: string;
  headers: Record<string, string>;
  egress: EgressGuard;
  timeoutMs: number;
  /** The target URL fresh probe requests go to (already checked against the egress policy for targets). */
  probeUrl: URL;
  probeHeaders: Record<string, string>;
  probes: number;
  /** How long a probe's trace may take to become visible. */
  visibleWithinMs: number;
  /** A service name the traces must show (optional). */
  service?: string;
  /** Trace ids the load marked (successful ones), and how many it marked in all. */
  marked: { count: number; traceIds: string[] };
  expectedSampleRate: number;
  sampleRateTolerance: number;
  heartbeat?: () => void;
}

/** Looks a trace up by id. */
const TRACE_ID = /^[0-9a-f]{32}$/;

export async function lookupTrace(
  o: Pick<TracingCheckOptions, 'backend' | 'url' | 'headers' | 'egress' | 'timeoutMs'>,
  traceId: string,
): Promise<TraceLookup> {
  if (!TRACE_ID.test(traceId)) return { error: `not a trace id: ${traceId.slice(0, 40)}` };
  const p = await probe(at(o.url, o.backend.tracePath(traceId)), {
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    egress: o.egress,
  });
  if (!p.ok) return { error: p.error };
  if (p.status === 404) return { found: false };
  if (p.status >= 300) return { error: `HTTP ${p.status}: ${p.body.slice(0, 200)}` };
  const json = jsonOf(p);
  // A 2xx that is no JSON (a web page, a proxy's answer) is not the backend: an error, never "not found".
  if (json === undefined)
    return { error: `HTTP ${p.status} is not JSON: not a ${o.backend === TEMPO ? 'Tempo' : 'Jaeger'} query API` };
  const services = o.backend.services(json);
  return services ? { found: true, services } : { found: false };
}

/** The tracing checks: reachable, the target's traces visible (fresh probes), the load's effective sample rate. */
export async function tracingChecks(o: TracingCheckOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const readyUrl = at(o.url, o.backend.readyPath);
  const ready = await probe(readyUrl, { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const up = ready.ok && o.backend.ready(ready.status, ready.body);
  out.push(
    check(
      'tracing.reachable',
      'The tracing backend answers',
      'P2',
      up ? 'pass' : 'error',
      {
        endpoint: readyUrl,
        observed: ready.ok ? `HTTP ${ready.status}` : ready.error,
        expected: 'an answer of its query API',
      },
      'Deploy a tracing backend (Jaeger, Tempo) and point monitoring.tracing.url at its query API.',
    ),
  );
  if (!up) {
    for (const [id, title, severity] of [
      ['tracing.visible', "The target's traces are visible", 'P2'],
      ['tracing.sample_rate', 'Traces are sampled as configured', 'P3'],
    ] as const)
      out.push(
        check(
          id,
          title,
          severity,
          'not_evaluable',
          { endpoint: o.url, observed: 'the tracing backend does not answer', expected: 'tracing.reachable' },
          'Fix tracing.reachable first.',
        ),
      );
    return out;
  }

  // Where traces are looked up (for the evidence: the id is a placeholder, not a URL to call).
  const traceEndpoint = `${o.url.replace(/\/+$/, '')}${o.backend.tracePath(':traceId')}`;

  // The load's marked requests: looked up first (the effective sample rate, and visibility from real traffic).
  const ids = o.marked.traceIds.slice(0, MAX_LOAD_LOOKUPS);
  let loadFound = 0;
  let loadErrors = 0;
  let firstLoadError = '';
  const loadServices = new Set<string>();
  for (const id of ids) {
    o.heartbeat?.();
    const r = await lookupTrace(o, id);
    if ('error' in r) {
      loadErrors += 1;
      firstLoadError ||= r.error;
    } else if (r.found) {
      loadFound += 1;
      r.services.forEach((x) => loadServices.add(x));
    }
  }

  // Fresh probes: a marked request each, then the backend polled until the trace shows (or the time is up).
  const sent: Array<{ traceId: string; at: number; status: number | string }> = [];
  for (let i = 0; i < o.probes; i++) {
    o.heartbeat?.();
    const { traceId, traceparent } = traceContext();
    let status: number | string;
    try {
      const res = await request(o.probeUrl, {
        headers: { ...o.probeHeaders, traceparent },
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      await res.body.dump({ limit: 1_048_576 });
      status = res.statusCode;
    } catch (err) {
      status = err instanceof Error ? err.message : String(err);
    }
    sent.push({ traceId, at: Date.now(), status });
  }
  const answered = sent.filter((s) => typeof s.status === 'number');
  const visible = new Map<string, { afterS: number; services: string[] }>();
  const errors: string[] = [];
  const deadline = Date.now() + o.visibleWithinMs;
  while (answered.length && visible.size < answered.length && Date.now() < deadline) {
    o.heartbeat?.();
    for (const s of answered) {
      if (visible.has(s.traceId)) continue;
      const r = await lookupTrace(o, s.traceId);
      if ('error' in r) errors.push(r.error);
      else if (r.found) visible.set(s.traceId, { afterS: round((Date.now() - s.at) / 1000, 2), services: r.services });
    }
    if (visible.size < answered.length) await new Promise((r) => setTimeout(r, 500));
  }
  const services = [...new Set([...[...visible.values()].flatMap((v) => v.services), ...loadServices])].sort();
  const times = [...visible.values()].map((v) => v.afterS).sort((a, b) => a - b);
  const serviceOk = !o.service || services.includes(o.service);
  const seen = visible.size + loadFound;
  out.push(
    check(
      'tracing.visible',
      "The target's traces are visible",
      'P2',
      !answered.length && !ids.length
        ? 'not_evaluable'
        : seen && serviceOk
          ? 'pass'
          : (errors.length || loadErrors) && !seen
            ? 'error'
            : 'fail',
      {
        endpoint: traceEndpoint,
        observed: [
          answered.length
            ? `${visible.size} of ${answered.length} probe traces visible${times.length ? `, after ${times[0]} s (slowest ${times[times.length - 1]} s)` : ''}`
            : `the target did not answer the probe requests (${String(sent[0]?.status ?? 'none sent')})`,
          ids.length ? `${loadFound} of ${ids.length} of the load's marked requests found` : '',
          `services: ${services.join(', ') || 'none'}`,
          errors.length || loadErrors
            ? `${errors.length + loadErrors} lookups failed (${errors[0] ?? firstLoadError})`
            : '',
        ]
          .filter(Boolean)
          .join('; '),
        expected: `the probe requests' (or the load's) traces visible within ${round(o.visibleWithinMs / 1000, 1)} s${o.service ? `, from service ${o.service}` : ''}`,
      },
      "Instrument the service (OpenTelemetry SDK): extract the W3C traceparent and export spans to the backend; check the collector's pipeline.",
    ),
  );

  // The share of the load's marked requests found is the effective sample rate.
  const looked = ids.length - loadErrors;
  const rate = looked ? round(loadFound / looked, 3) : null;
  const judged =
    !ids.length || looked < MIN_RATE_LOOKUPS
      ? 'not_evaluable'
      : o.expectedSampleRate > 0 && loadFound === 0
        ? 'fail'
        : Math.abs(rate! - o.expectedSampleRate) <= o.sampleRateTolerance
          ? 'pass'
          : 'fail';
  out.push(
    check(
      'tracing.sample_rate',
      'Traces are sampled as configured',
      'P3',
      ids.length && !looked ? 'error' : judged,
      {
        endpoint: traceEndpoint,
        observed: !ids.length
          ? 'the load marked no request (scenario.traceSample is 0 or absent)'
          : !looked
            ? `every lookup failed (${firstLoadError})`
            : `${loadFound} of ${looked} marked load requests traced: effective sample rate ${rate} (${o.marked.count} marked in all)${looked < MIN_RATE_LOOKUPS ? `; under ${MIN_RATE_LOOKUPS} lookups answered: too few to judge` : ''}`,
        expected: `${o.expectedSampleRate} ± ${o.sampleRateTolerance}${o.expectedSampleRate > 0 ? ', at least one trace found' : ''}`,
      },
      !ids.length
        ? 'Set scenario.traceSample (e.g. 0.05) so the load marks requests to look up.'
        : 'Check the sampler: a parent-based sampler keeps what the caller sampled; a ratio or tail sampler drops a share.',
    ),
  );
  return out;
}
