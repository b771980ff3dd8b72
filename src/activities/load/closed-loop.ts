import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher, Pool } from 'undici';
import { isExpectedStatus, type CompiledScenario, type Random } from '../../core/scenario';
import type { LoadAccumulator } from './accumulator';

/** Options of one closed-model run: N users, each sending a request, then thinking. */
export interface ClosedLoopOptions {
  pool: Pool;
  scenario: CompiledScenario;
  headers: Record<string, string>;
  users: number;
  durationMs: number;
  thinkTimeMs: number;
  requestTimeoutMs: number;
  signal: AbortSignal;
  random: Random;
}

/** Pause after a transport error, so an unreachable target never causes a retry storm. */
const ERROR_BACKOFF_MS = 50;

/** Maps an undici or socket error to a short error kind for the report. */
export function classifyError(err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return code;
  if (code === 'UND_ERR_SOCKET') return 'socket';
  return code || (err as Error).name || 'error';
}

/**
 * Runs the closed model until the duration elapses or the signal aborts. Every response body is
 * consumed (so connections never stall) and timeouts are classified errors, not hangs.
 */
export async function runClosedLoop(opts: ClosedLoopOptions, acc: LoadAccumulator): Promise<void> {
  const endAt = performance.now() + opts.durationMs;
  const wait = (ms: number) => (ms > 0 ? sleep(ms, undefined, { signal: opts.signal }).catch(() => undefined) : Promise.resolve());

  async function user(): Promise<void> {
    while (performance.now() < endAt && !opts.signal.aborted) {
      const request = opts.scenario.pick(opts.random);
      const path = opts.scenario.renderPath(request, opts.random);
      const headers: Record<string, string> = { ...opts.headers };
      for (const [k, v] of Object.entries(request.headers ?? {})) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      let body: string | undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers['content-type'] = 'application/json';
      }
      const started = performance.now();
      let transportError = false;
      try {
        const res: Dispatcher.ResponseData = await opts.pool.request({
          method: request.method, path, headers, body,
          headersTimeout: opts.requestTimeoutMs, bodyTimeout: opts.requestTimeoutMs, signal: opts.signal,
        });
        await res.body.dump({ limit: 1 << 20 });
        if (opts.signal.aborted) return;
        acc.recordResponse((performance.now() - started) * 1000, res.statusCode, isExpectedStatus(request, res.statusCode));
      } catch (err) {
        if (opts.signal.aborted) return;
        acc.recordTransportError(classifyError(err));
        transportError = true;
      }
      await wait(transportError ? Math.max(opts.thinkTimeMs, ERROR_BACKOFF_MS) : opts.thinkTimeMs);
    }
  }

  await Promise.all(Array.from({ length: opts.users }, () => user()));
}
