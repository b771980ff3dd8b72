/**
 * The `--base-url` option of `readiness init`: where the generated campaign sends its load. Split into the origin
 * (`target.baseUrl`, which the schema wants without a path) and a path prefix put in front of every request path.
 */
import { baseUrlProblems } from '../core/egress';
import { InitInputError } from './input-error';

/** A base URL split as a campaign needs it. */
export interface SplitBaseUrl {
  /** `http://host:port`, no path. */
  origin: string;
  /** `/v2` (no trailing `/`), or `` when the URL has no path. */
  prefix: string;
}

/** `/v2/` and `/v2` are `/v2`; `/` is ``. */
export function trimPrefix(pathname: string): string {
  return pathname.replace(/\/+$/, '').replace(/^\/{2,}/, '/');
}

/**
 * Parses `--base-url`: an http(s) URL without credentials, query or fragment. Throws an {@link InitInputError}
 * naming the problem otherwise, so nothing is generated from a target nobody meant.
 */
export function parseBaseUrlOption(text: string): SplitBaseUrl {
  const problems = baseUrlProblems(text);
  if (problems.length) throw new InitInputError([`--base-url ${text}: ${problems.join('; ')}`]);
  const u = new URL(text);
  return { origin: u.origin, prefix: trimPrefix(u.pathname) };
}

/** A request path under a prefix: `/v2` + `/pet` is `/v2/pet`; repeated `/` collapsed (the schema refuses `//`). */
export function joinPath(prefix: string, path: string): string {
  const joined = `${prefix}/${path.replace(/^\/+/, '')}`;
  const q = joined.indexOf('?');
  const head = (q === -1 ? joined : joined.slice(0, q)).replace(/\/{2,}/g, '/');
  return q === -1 ? head : head + joined.slice(q);
}
