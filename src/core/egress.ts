/**
 * The one outbound policy of a worker, and the one URL builder every connection goes through. A campaign file
 * names the hosts a phase talks to (the target, Prometheus, Alertmanager, Grafana, Loki, /metrics endpoints,
 * runbook links read from Prometheus, service health URLs, backup databases); the worker decides which hosts it
 * may reach. Every check runs on the final URL the tool builds, after joining paths, so `//host`, `\host`,
 * `?`/`#` and userinfo tricks cannot change the host a request goes to.
 */

/** What a connection is for: load and health of the service under test, or a system the campaign inspects. */
export type EgressPurpose = 'target' | 'system';

/** Which hosts a worker may connect to, per purpose (entries as in {@link isHostAllowed}). */
export interface EgressPolicy {
  /** `READINESS_ALLOWED_HOSTS`: the services under test (load, health), and the default for systems. */
  targets: string[];
  /** `READINESS_ALLOWED_SYSTEM_HOSTS` (default: the targets' list): monitoring and backup systems. */
  systems: string[];
}

/** The variable an operator changes to allow a host, per purpose. */
const EGRESS_VARIABLE: Record<EgressPurpose, string> = {
  target: 'READINESS_ALLOWED_HOSTS',
  system: 'READINESS_ALLOWED_SYSTEM_HOSTS',
};

/**
 * The default allowlist: `loopback` only. This is a load generator, and pointing it at the wrong host is an
 * incident. Entries: exact host names or IPs, `*.suffix` wildcards, and `loopback` (127.0.0.0/8, ::1, localhost).
 */
const DEFAULT_ALLOWED_HOSTS = ['loopback'];

/** Parses one allowlist variable (comma separated); empty or unset gives `fallback`. */
export function parseAllowedHosts(value: string | undefined, fallback: string[] = DEFAULT_ALLOWED_HOSTS): string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return list.length ? list : fallback;
}

/** The worker's policy from its environment: READINESS_ALLOWED_HOSTS, and READINESS_ALLOWED_SYSTEM_HOSTS (default the same). */
export function egressPolicyFromEnv(env: Record<string, string | undefined>): EgressPolicy {
  const targets = parseAllowedHosts(env.READINESS_ALLOWED_HOSTS);
  return { targets, systems: parseAllowedHosts(env.READINESS_ALLOWED_SYSTEM_HOSTS, targets) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * True when `hostname` (as a WHATWG URL gives it: lower case, IPv4 in dotted form whatever way it was written,
 * IPv6 in brackets) is on the allowlist.
 */
export function isHostAllowed(hostname: string, allowed: string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allowed.some((entry) => {
    if (entry === 'loopback') return isLoopback(host);
    if (entry.startsWith('*.')) return host.endsWith(entry.slice(1)) && host.length > entry.length - 1;
    return host === entry.replace(/^\[|\]$/g, '');
  });
}

/** Why a host may not be reached, in words naming the host, the purpose and the variable to change; undefined when it may. */
export function egressRefusal(host: string, purpose: EgressPurpose, policy: EgressPolicy): string | undefined {
  const list = purpose === 'target' ? policy.targets : policy.systems;
  if (isHostAllowed(host, list)) return undefined;
  return `host "${host}" is not on this worker's allowlist for ${purpose === 'target' ? 'targets' : 'monitoring and backup systems'} (${list.join(', ')}): refused before connecting; add it to ${EGRESS_VARIABLE[purpose]} on the worker to allow it`;
}

/** Decides one connection of a given purpose: the refusal in words, or undefined when it may be made. */
export type EgressGuard = (url: URL) => string | undefined;

/** The guard of `purpose` under `policy`. */
export function egressGuard(policy: EgressPolicy, purpose: EgressPurpose): EgressGuard {
  return (url) => egressRefusal(url.hostname, purpose, policy);
}

/** Thrown when a URL cannot be built without changing its origin, or carries what a configured URL must not. */
export class UrlError extends Error {
  override readonly name = 'UrlError';
}

/**
 * Problems of a configured base URL (baseUrl, prometheus.url, healthUrl, ...): not http(s), credentials in it,
 * a query or a fragment (which would swallow the path the tool appends). Empty when it is usable.
 */
export function baseUrlProblems(text: string): string[] {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return ['not a URL'];
  }
  const problems: string[] = [];
  if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('must be an http:// or https:// URL');
  if (u.username || u.password)
    problems.push('must not carry credentials (user:password@): give them as headers with { fromEnv: NAME }');
  if (u.search || text.includes('?')) problems.push('must not have a query ("?..."): the tool appends its own paths');
  if (u.hash || text.includes('#')) problems.push('must not have a fragment ("#..."): the tool appends its own paths');
  return problems;
}

/** Problems of a path the tool appends to a base URL (healthPath, request paths); empty when it is usable. */
export function pathProblems(path: string): string[] {
  const problems: string[] = [];
  if (!path.startsWith('/')) problems.push('must start with "/"');
  if (path.startsWith('//')) problems.push('must not start with "//" (that would name another host)');
  if (path.includes('\\')) problems.push('must not contain "\\"');
  for (const c of path) {
    const code = c.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f) {
      problems.push('must not contain spaces or control characters (percent-encode them)');
      break;
    }
  }
  return problems;
}

/**
 * The URL of `path` (and `query`) under `base`: the base's own path kept, the new path appended to it
 * (`http://h:9090/prom` + `/api/v1/targets` is `http://h:9090/prom/api/v1/targets`). Throws a UrlError when the
 * base has credentials, a query or a fragment, when the path could change the host, or when the result's origin
 * is not the base's: a request built here goes to the host the base names, or nowhere.
 */
export function buildUrl(base: string | URL, path = '', query?: Record<string, string>): URL {
  const baseText = String(base);
  const baseProblems = baseUrlProblems(baseText);
  if (baseProblems.length) throw new UrlError(`${redactUserinfo(baseText)}: ${baseProblems.join('; ')}`);
  const origin = new URL(baseText);
  // Paths come from the tool or the campaign; one without a leading "/" is appended as a segment.
  const p = path === '' ? '' : path.startsWith('/') ? path : `/${path}`;
  const q = p.indexOf('?');
  const pathPart = q === -1 ? p : p.slice(0, q);
  const pathErrors = pathPart ? pathProblems(pathPart) : [];
  if (pathErrors.length) throw new UrlError(`path "${pathPart}": ${pathErrors.join('; ')}`);
  const url = new URL(origin.href);
  url.pathname = `${origin.pathname.replace(/\/+$/, '')}${pathPart}` || '/';
  if (q !== -1) url.search = p.slice(q);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.append(k, v);
  if (url.origin !== origin.origin || url.username || url.password)
    throw new UrlError(`${url.href}: the path changed the host of ${origin.origin}`);
  return url;
}

/** A URL with any `user:password@` removed, for messages (never print credentials). */
export function redactUserinfo(text: string): string {
  try {
    const u = new URL(text);
    if (!u.username && !u.password) return text;
    u.username = '';
    u.password = '';
    return `${u.href} (credentials removed)`;
  } catch {
    return text.replace(/\/\/[^/@]*@/, '//');
  }
}

/**
 * Every host a connection string could connect to (`postgres://u:p@db:5432/x`, `redis://:p@cache:6379/0`), for the
 * egress check of backup drills. Drivers read the host from different places (pg lets `?host=` override the URL's
 * host; ioredis takes the URL's host and uses `?host=` only without one), so both are returned and each must be
 * allowed; a socket path (`?host=/var/run/...`) is `localhost` (a socket is local). Undefined when not a URL.
 */
export function connectionHosts(connection: string): string[] | undefined {
  try {
    const u = new URL(connection);
    const hosts = new Set<string>();
    if (u.hostname) hosts.add(decodeURIComponent(u.hostname).toLowerCase());
    for (const param of u.searchParams.getAll('host'))
      hosts.add(param.startsWith('/') ? 'localhost' : param.toLowerCase());
    if (!hosts.size) hosts.add('localhost');
    return [...hosts];
  } catch {
    return undefined;
  }
}
