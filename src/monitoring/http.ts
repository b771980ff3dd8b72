import { request } from 'undici';

/** What one probe saw: a status and body, or the transport error that stopped it. */
export type Probe =
  | { ok: true; status: number; body: string; contentType: string; ms: number }
  | { ok: false; error: string; ms: number };

/** GET (or POST JSON) one URL with a timeout; never throws for network problems. */
export async function probe(url: string, opts: { headers?: Record<string, string>; timeoutMs: number; method?: 'GET' | 'POST'; json?: unknown }): Promise<Probe> {
  const started = performance.now();
  try {
    const res = await request(url, {
      method: opts.method ?? 'GET',
      headers: { ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : undefined,
      headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const body = await res.body.text();
    return { ok: true, status: res.statusCode, body, contentType: String(res.headers['content-type'] ?? ''), ms: performance.now() - started };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string } };
    return { ok: false, error: e.cause?.code ?? e.code ?? e.message, ms: performance.now() - started };
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
