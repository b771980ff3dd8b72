import { request } from 'undici';
import type { Campaign } from '../../config/schema';
import type { EgressPolicy } from '../../core/egress';
import type { Logger } from '../../infra/logger';
import type { SecretResolver } from '../../infra/secrets';
import { allowedUrl } from '../egress';

/** Dependencies of the target activities. */
export interface TargetDeps {
  logger: Logger;
  egress: EgressPolicy;
  secrets: SecretResolver;
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
      // healthPath is appended to baseUrl's path by the one URL builder: it can never name another host.
      const url = allowedUrl(target.baseUrl, target.healthPath, 'target', deps.egress, 'target.baseUrl');
      const headers = deps.secrets.headers(target.headers, 'target.headers');
      const started = performance.now();
      try {
        const res = await request(url, { headers, headersTimeout: 5_000, bodyTimeout: 5_000 });
        await res.body.dump();
        const latencyMs = performance.now() - started;
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        deps.logger.info({ url: url.toString(), status: res.statusCode, latencyMs }, 'target health');
        return ok
          ? { ok, status: res.statusCode, latencyMs }
          : { ok, status: res.statusCode, latencyMs, error: `${url} answered HTTP ${res.statusCode}` };
      } catch (err) {
        return { ok: false, error: `${url}: ${describeTransportError(err as NodeJS.ErrnoException)}` };
      }
    },
  };
}

const TRANSPORT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the target',
  UND_ERR_SOCKET: 'the target closed the connection without answering',
  UND_ERR_HEADERS_TIMEOUT: 'no answer within 5 s',
  UND_ERR_CONNECT_TIMEOUT: 'could not connect within the timeout',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS, temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** A transport error in words a release manager reads, with the code kept for whoever searches for it. */
function describeTransportError(e: NodeJS.ErrnoException): string {
  const code = e.code ?? (e.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${TRANSPORT_ERRORS[code] ?? 'transport error'} (${code})` : e.message;
}
