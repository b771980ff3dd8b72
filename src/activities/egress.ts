/**
 * The egress policy where activities connect: the URL of a request built by the one URL builder, then checked
 * against the worker's allowlist for its purpose, before any byte is sent. Monitoring probes get a guard instead
 * (their refusals are check results); load, health and drills get these, whose refusals are permanent failures.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  buildUrl,
  connectionHosts,
  egressRefusal,
  UrlError,
  type EgressPolicy,
  type EgressPurpose,
} from '../core/egress';
import { FAILURE } from '../core/errors';

/**
 * `path` under `base` (buildUrl), allowed for `purpose`; a URL that cannot be built is a ConfigError and a refused
 * host a HostNotAllowed failure, both non-retryable and naming `field`.
 */
export function allowedUrl(
  base: string,
  path: string,
  purpose: EgressPurpose,
  policy: EgressPolicy,
  field: string,
): URL {
  let url: URL;
  try {
    url = buildUrl(base, path);
  } catch (err) {
    if (err instanceof UrlError) throw ApplicationFailure.nonRetryable(`${field}: ${err.message}`, FAILURE.CONFIG);
    throw err;
  }
  const refused = egressRefusal(url.hostname, purpose, policy);
  if (refused) throw ApplicationFailure.nonRetryable(`${field}: ${refused}`, FAILURE.HOST_NOT_ALLOWED);
  return url;
}

/** Why a database or Redis connection string may not be used (its host refused, or no host found), or undefined. */
export function connectionRefusal(connection: string, policy: EgressPolicy): string | undefined {
  const hosts = connectionHosts(connection);
  if (hosts === undefined) return 'the connection string is not a URL (postgres://... or redis://...)';
  return hosts.map((host) => egressRefusal(host, 'system', policy)).find((refused) => refused !== undefined);
}
