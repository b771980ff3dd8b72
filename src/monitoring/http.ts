import { request } from 'undici';

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

/** GET (or POST JSON) one URL with a timeout; never throws for network problems. */
export async function probe(url: string, opts: { headers?: Record<string, string>; timeoutMs: number; method?: 'GET' | 'POST'; json?: unknown; maxBytes?: number }): Promise<Probe> {
  const started = performance.now();
  try {
    const res = await request(url, {
      method: opts.method ?? 'GET',
      headers: { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
      headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const limit = opts.maxBytes ?? MAX_PROBE_BYTES;
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > limit) {
      res.body.destroy();
      return { ok: false, error: `answer too large: content-length ${declared} bytes, over the ${limit}-byte limit`, ms: performance.now() - started };
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
    return { ok: true, status: res.statusCode, body, contentType: String(res.headers['content-type'] ?? ''), ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { code?: string | number; cause?: { code?: string } };
    // AbortSignal.timeout fires a DOMException whose numeric code (23) says nothing.
    if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return { ok: false, error: `no answer within ${opts.timeoutMs} ms`, ms: performance.now() - started };
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

/** Joins a base URL and an API path ("http://h:9090/prom" + "/api/v1/targets"). */
export const at = (base: string, apiPath: string) => `${base.replace(/\/+$/, '')}${apiPath}`;
