import { request } from 'undici';
import type { Campaign } from '../../config/schema';
import type { Logger } from '../../infra/logger';
import { assertTargetAllowed } from './allow';
import { resolveHeaders } from './headers';

/** Dependencies of the target activities. */
export interface TargetDeps {
  logger: Logger;
  allowedHosts: string[];
}

/** Result of a health probe. */
export interface HealthResult {
  ok: boolean;
  status?: number;
  latencyMs?: number;
  error?: string;
}

/** Builds the activities that talk to the target outside of load (health probes). */
export function createTargetActivities(deps: TargetDeps) {
  return {
    /** Probes the target's health endpoint once; unreachable or non-2xx is `ok: false`, never an exception. */
    async checkTargetHealth({ target }: { target: Campaign['target'] }): Promise<HealthResult> {
      const base = assertTargetAllowed(target.baseUrl, deps.allowedHosts);
      const url = new URL(target.healthPath, base);
      const headers = resolveHeaders(target.headers, 'target.headers');
      const started = performance.now();
      try {
        const res = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
        await res.body.dump();
        const latencyMs = performance.now() - started;
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        deps.logger.info({ url: url.toString(), status: res.statusCode, latencyMs }, 'target health');
        return ok ? { ok, status: res.statusCode, latencyMs } : { ok, status: res.statusCode, latencyMs, error: `${url} answered HTTP ${res.statusCode}` };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { ok: false, error: `${url}: ${e.code ?? e.message}` };
      }
    },
  };
}
