/**
 * The names a generated campaign file gives things: request, step, flow and campaign names
 * (`/^[a-z0-9][a-z0-9_-]{0,62}$/`), `{{variable}}` names and `{ fromEnv }` environment variable names, each made
 * valid from whatever an OpenAPI spec or a HAR recording calls them, and kept unique. Pure.
 */
import { isReservedEnvName } from '../core/secrets';

/** The rule the campaign schema applies to campaign, request, step and flow names. */
export const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** The rule the campaign schema applies to `{{variable}}` names (scenario.vars keys, capture names). */
export const VAR_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The rule the campaign schema applies to `{ fromEnv: NAME }`. */
export const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;
/** The rule the campaign schema applies to header names. */
export const HEADER_NAME_RE = /^[A-Za-z0-9-]+$/;
/** Header names whose values the schema only accepts as `{ fromEnv }` (the schema's own pattern). */
export const SECRET_HEADER_RE = /authorization|cookie|token|secret|api[-_]?key|password/i;

const MAX_NAME = 63;

/**
 * A name that matches {@link NAME_RE}: lowercased, every other character turned into `-`, runs of `-` collapsed,
 * leading `-`/`_` and trailing `-` dropped, cut to 63 characters; `fallback` when nothing is left.
 */
export function slugName(text: string, fallback: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, MAX_NAME)
    .replace(/-+$/, '');
  return NAME_RE.test(slug) ? slug : fallback;
}

/** `get-pet-petid` for `GET /pet/{petId}`: a request or step name from its method and path. */
export function methodPathName(method: string, path: string): string {
  const bare = path.split('?')[0]!.replace(/[{}]/g, '');
  return slugName(`${method}-${bare}`, method.toLowerCase());
}

/**
 * Hands out names unique among those it has given (requests and flow steps share one namespace): a name given
 * twice comes back as `name-2`, `name-3`, ..., cut so the suffix fits in 63 characters.
 */
export class UniqueNames {
  private readonly taken = new Set<string>();

  /** Reserves `name` (already valid), or the first free `name-N`, and returns what it reserved. */
  take(name: string): string {
    let candidate = name;
    for (let n = 2; this.taken.has(candidate); n++) {
      const suffix = `-${n}`;
      candidate = `${name.slice(0, MAX_NAME - suffix.length).replace(/-+$/, '')}${suffix}`;
    }
    this.taken.add(candidate);
    return candidate;
  }

  /** True when `name` was handed out. */
  has(name: string): boolean {
    return this.taken.has(name);
  }
}

/** A `{{variable}}` name from a parameter or field name: invalid characters become `_`, a leading digit gets `_`. */
export function varName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_]/g, '_');
  const v = /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
  return VAR_RE.test(v) ? v : '_var';
}

/**
 * An environment variable name for a secret header: `Authorization` is `API_TOKEN`, `Cookie` is `API_COOKIE`, any
 * other header its name in upper snake case (`X-API-Key` is `X_API_KEY`). A name the worker may never read
 * (DATABASE_URL, TEMPORAL_*, READINESS_*) gets an `API_` prefix.
 */
export function envNameForHeader(header: string): string {
  const lower = header.toLowerCase();
  if (lower === 'authorization') return 'API_TOKEN';
  if (lower === 'cookie') return 'API_COOKIE';
  let env = header
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!env || /^[0-9]/.test(env)) env = `API_${env}`;
  if (isReservedEnvName(env)) env = `API_${env}`;
  return ENV_RE.test(env) ? env : 'API_SECRET';
}

/**
 * Text made safe for a one-line YAML comment: line breaks (YAML 1.1 and 1.2 ones) and control characters become
 * spaces, runs of spaces one (a short indent kept), cut to `max` characters.
 */
export function commentText(text: string, max = 160): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  const indent = /^ */.exec(flat)![0].slice(0, 8);
  const body = flat.trim().replace(/\s{2,}/g, ' ');
  const line = indent + body;
  return line.length > max ? `${line.slice(0, max - 3).trimEnd()}...` : line;
}
