import { request } from 'undici';
import { buildUrl, type EgressGuard } from '../core/egress';

/** What one probe saw: a status and body, or the transport error that stopped it. */
export type Probe =
  | { ok: true; status: number; body: string; contentType: string; ms: number }
  | { ok: false; error: string; ms: number };

/**
 * The most a probe reads of one answer. Big enough for a large Prometheus rules or targets listing or a busy
 * /metrics page; a hostile or broken endpoint streaming without end is cut off here, so a worker's memory stays
 * bounded whatever it probes.
 */
export const MAX_PROBE_BYTES = 32 * 1024 * 1024;

/** Options of {@link probe}. */
export interface ProbeOptions {
  /** The worker's egress policy for this kind of system: a refused host is never connected to. */
  egress: EgressGuard;
  headers?: Record<string, string>;
  timeoutMs: number;
  method?: 'GET' | 'POST';
  json?: unknown;
  /** Read at most this much of the answer (default {@link MAX_PROBE_BYTES}). */
  maxBytes?: number;
  /** Only the status matters: read at most 64 KiB of the body, discard it, and answer with an empty body. */
  statusOnly?: boolean;
}

/** What a status-only probe reads of a body at most (then the connection is closed). */
const STATUS_ONLY_BYTES = 64 * 1024;

/**
 * GET (or POST JSON) one URL with a timeout; never throws for network problems. A host the egress policy
 * refuses is an answer too (`ok: false`, the refusal as the error), given before any byte is sent.
 */
export async function probe(url: string | URL, opts: ProbeOptions): Promise<Probe> {
  const started = performance.now();
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, error: `not a URL: ${String(url).slice(0, 200)}`, ms: 0 };
  }
  const refused = opts.egress(target);
  if (refused) return { ok: false, error: `refused: ${refused}`, ms: 0 };
  try {
    const res = await request(target, {
      method: opts.method ?? 'GET',
      headers: { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    if (opts.statusOnly) {
      await res.body.dump({ limit: STATUS_ONLY_BYTES }).catch(() => undefined);
      return {
        ok: true,
        status: res.statusCode,
        body: '',
        contentType: String(res.headers['content-type'] ?? ''),
        ms: performance.now() - started,
      };
    }
    const limit = opts.maxBytes ?? MAX_PROBE_BYTES;
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > limit) {
      res.body.destroy();
      return {
        ok: false,
        error: `answer too large: content-length ${declared} bytes, over the ${limit}-byte limit`,
        ms: performance.now() - started,
      };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        return { ok: false, error: `answer too large: over the ${limit}-byte limit`, ms: performance.now() - started };
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    return {
      ok: true,
      status: res.statusCode,
      body,
      contentType: String(res.headers['content-type'] ?? ''),
      ms: performance.now() - started,
    };
  } catch (err) {
    const e = err as Error & { code?: string | number; cause?: { code?: string } };
    // AbortSignal.timeout fires a DOMException whose numeric code (23) says nothing.
    if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT')
      return { ok: false, error: `no answer within ${opts.timeoutMs} ms`, ms: performance.now() - started };
    return { ok: false, error: String(e.cause?.code ?? e.code ?? e.message), ms: performance.now() - started };
  }
}

/** The `data` of a Prometheus-style JSON answer (`{status: "success", data}`), or why there is none. */
export function promData<T>(p: Probe): { data: T } | { problem: string } {
  if (!p.ok) return { problem: `unreachable: ${p.error}` };
  if (p.status !== 200) return { problem: `HTTP ${p.status}: ${p.body.slice(0, 200)}` };
  try {
    const parsed = JSON.parse(p.body) as { status?: string; data?: T; error?: string };
    if (parsed.status !== 'success') return { problem: `status ${parsed.status}: ${parsed.error ?? ''}` };
    return { data: parsed.data as T };
  } catch {
    return { problem: 'answer is not JSON' };
  }
}

/** Parses a JSON body, or undefined. */
export function jsonOf<T>(p: Probe): T | undefined {
  if (!p.ok || p.status >= 300) return undefined;
  try {
    return JSON.parse(p.body) as T;
  } catch {
    return undefined;
  }
}

/**
 * Joins a base URL and an API path ("http://h:9090/prom" + "/api/v1/targets"), keeping the base's origin
 * (buildUrl: a path can never name another host; throws UrlError for a base with a query, fragment or credentials).
 */
export const at = (base: string, apiPath: string, query?: Record<string, string>) =>
  buildUrl(base, apiPath, query).href;
