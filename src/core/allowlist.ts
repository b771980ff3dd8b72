/**
 * Which hosts load may be sent to. Entries: exact host names or IPs, `*.suffix` wildcards, and the
 * word `loopback` (127.0.0.0/8, ::1, localhost). The default is `loopback` only: this is a load
 * generator, and pointing it at the wrong host is an incident.
 */
export const DEFAULT_ALLOWED_HOSTS = ['loopback'];

/** Parses `READINESS_ALLOWED_HOSTS` (comma separated); empty or unset gives the loopback-only default. */
export function parseAllowedHosts(value: string | undefined): string[] {
  const list = (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return list.length ? list : DEFAULT_ALLOWED_HOSTS;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** True when `hostname` (as in a URL, IPv6 with or without brackets) is on the allowlist. */
export function isHostAllowed(hostname: string, allowed: string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allowed.some((entry) => {
    if (entry === 'loopback') return isLoopback(host);
    if (entry.startsWith('*.')) return host.endsWith(entry.slice(1)) && host.length > entry.length - 1;
    return host === entry.replace(/^\[|\]$/g, '');
  });
}
