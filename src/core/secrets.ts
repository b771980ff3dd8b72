/**
 * Which worker environment variables a campaign may read with `{ fromEnv: NAME }`, and how secret values are
 * removed from text. A campaign file comes from anyone who can start one; the worker holds the secrets.
 */

/**
 * True for the worker's own configuration, which no campaign may read whatever READINESS_SECRET_ENV says:
 * `DATABASE_URL` (the results database), `TEMPORAL_*` (cluster address, TLS, API key) and `READINESS_*`
 * (codec keys, allowlists, ...).
 */
export function isReservedEnvName(name: string): boolean {
  return name === 'DATABASE_URL' || name.startsWith('TEMPORAL_') || name.startsWith('READINESS_');
}

/** Parses READINESS_SECRET_ENV: the variable names campaigns may reference (comma separated). */
export function parseSecretEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Why a campaign may not read `name`, or undefined when it may: reserved names always, other names unless the
 * operator declared them (`declared`).
 */
export function secretEnvRefusal(name: string, declared: readonly string[]): string | undefined {
  if (isReservedEnvName(name))
    return `environment variable ${name} is the worker's own configuration (DATABASE_URL, TEMPORAL_*, READINESS_*): a campaign can never read it`;
  if (!declared.includes(name))
    return `environment variable ${name} is not declared for campaigns on this worker: add it to READINESS_SECRET_ENV (${declared.length ? `now ${declared.join(', ')}` : 'now empty'})`;
  return undefined;
}

/** Every `{ fromEnv: NAME }` in a campaign, with its path (`target.headers.Authorization`). */
export function fromEnvReferences(value: unknown, at = ''): Array<{ path: string; name: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => fromEnvReferences(v, `${at}[${i}]`));
  if (!value || typeof value !== 'object') return [];
  const o = value as Record<string, unknown>;
  if (typeof o.fromEnv === 'string' && Object.keys(o).length === 1) return [{ path: at, name: o.fromEnv }];
  return Object.entries(o).flatMap(([k, v]) => fromEnvReferences(v, at ? `${at}.${k}` : k));
}

/** The placeholder that replaces a secret. */
const REDACTED = '[redacted]';

/** The forms in which a secret value can appear in text that quotes it: as is, JSON-escaped, URL-encoded, base64. */
export function secretForms(value: string): string[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  const b64 = base64(value);
  forms.add(b64).add(b64.replace(/=+$/, '')).add(b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  return [...forms].filter((f) => f.length >= 4);
}

function base64(text: string): string {
  // btoa needs Latin-1; encode UTF-8 bytes first.
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** `text` with every occurrence of every form in `forms` replaced by {@link REDACTED}. */
export function scrubText(text: string, forms: Iterable<string>): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(REDACTED);
  return out;
}

/**
 * A copy of plain data (what an activity returns: objects, arrays, strings, numbers) with every secret form
 * removed from every string, keys included. Values without a secret are returned as they are (same object).
 */
export function scrubValue<T>(value: T, forms: readonly string[]): T {
  if (!forms.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrubText(v, forms);
    if (Array.isArray(v)) {
      const out = v.map(walk);
      return out.some((x, i) => x !== v[i]) ? out : v;
    }
    if (
      v &&
      typeof v === 'object' &&
      (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
    ) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = scrubText(k, forms);
        const val = walk(x);
        if (key !== k || val !== x) changed = true;
        out[key] = val;
      }
      return changed ? out : v;
    }
    return v;
  };
  return walk(value) as T;
}
