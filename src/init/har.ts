/**
 * `readiness init --from-har`: a campaign bootstrapped from a browser's HAR recording. The recorded requests to the
 * main origin become one flow (`scenario.flows[0]`, steps written in place) in their recorded order, with the pauses
 * between them as think times; static assets and other origins are dropped and counted. An id that a JSON response
 * returned and a later request sends back (in its path, query or JSON body) becomes a capture on the earlier step
 * and a `{{var}}` in the later one. Secrets never reach the file: Cookie, Authorization and every secret-looking
 * header become `{ fromEnv }` references, secret-looking query parameters and body fields are left out or replaced.
 * {@link parseHar} and {@link draftFromHar} are pure.
 */
import { readFile, stat } from 'node:fs/promises';
import { formatDurationMs } from '../core/duration';
import { joinPath, parseBaseUrlOption } from './base-url';
import { HISTORY_LIMITS } from '../config/limits';
import { fitToInputSize } from './fit';
import { InitInputError, readProblem } from './input-error';
import {
  HEADER_NAME_RE,
  SECRET_HEADER_RE,
  UniqueNames,
  envNameForHeader,
  methodPathName,
  slugName,
  varName,
} from './names';
import {
  DEFAULT_BASE_URL,
  INIT_DEFAULTS,
  renderCampaignYaml,
  type CampaignDraft,
  type DraftRequest,
  type DraftSecretHeader,
} from './yaml-writer';

/** Largest HAR file read (bytes): recordings with response bodies grow fast. */
export const MAX_HAR_BYTES = 200 * 1024 * 1024;
/** At most this many steps (the schema's limit for a flow); later entries are left out, and counted. */
export const MAX_HAR_STEPS = 50;
/** Pauses shorter than this are not written as think times. */
export const MIN_THINK_MS = 100;
/** Pauses longer than this are written as this (a user who went for coffee is not the flow's rhythm). */
export const MAX_THINK_MS = 10_000;
/** Response bodies larger than this are not searched for ids. */
const MAX_BODY_CHARS = 1024 * 1024;
/** At most this many shape problems of a HAR are listed. */
const MAX_PROBLEMS = 10;

/** One recorded header. */
export interface HarHeader {
  name: string;
  value: string;
}

/** One HAR entry, the fields `readiness init` reads (everything else a recorder writes is ignored). */
export interface HarEntry {
  startedDateTime: string;
  /** Total time of the request in ms. */
  time: number;
  request: {
    method: string;
    url: string;
    headers: HarHeader[];
    postData?: { mimeType?: string; text?: string };
  };
  response: {
    status: number;
    headers: HarHeader[];
    content?: { mimeType?: string; text?: string; encoding?: string };
  };
  /** Chrome's resource type (`document`, `xhr`, `fetch`, `script`, `image`, ...). */
  _resourceType?: string;
}

/** What {@link draftFromHar} needs besides the entries. */
export interface HarInitOptions {
  /** The HAR's file name as the user gave it (shown in the header comment). */
  source: string;
  /** When the file is generated; passed in so output is reproducible. */
  now: Date;
  /** `--base-url`: the target origin (and, when it names one of the recording's origins, the main origin). */
  baseUrl?: string;
  /** `--name`: the campaign name (already checked by the caller). */
  name?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The entries of a HAR text, checked for the fields used. Throws an {@link InitInputError} listing what is wrong
 * (`log.entries[3].request.url: missing`) when it is not JSON, not a HAR, or has no usable entry.
 */
export function parseHar(text: string, file?: string): HarEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InitInputError([`is not a HAR file: not JSON (${(err as Error).message})`], file);
  }
  if (!isObj(raw) || !isObj(raw.log))
    throw new InitInputError(
      ['is not a HAR file: it has no "log" object (a HAR is {"log": {"entries": [...]}})'],
      file,
    );
  const entries = raw.log.entries;
  if (!Array.isArray(entries))
    throw new InitInputError(
      ['is not a HAR file: "log.entries" is missing or not a list (a HAR lists its requests there)'],
      file,
    );
  if (!entries.length) throw new InitInputError(['"log.entries" is empty: nothing was recorded'], file);
  const problems: string[] = [];
  entries.forEach((e, i) => {
    const at = `log.entries[${i}]`;
    if (!isObj(e)) return problems.push(`${at}: not an object`);
    if (typeof e.startedDateTime !== 'string' || Number.isNaN(Date.parse(e.startedDateTime)))
      problems.push(`${at}.startedDateTime: missing or not a date`);
    if (typeof e.time !== 'number' || !Number.isFinite(e.time)) problems.push(`${at}.time: missing or not a number`);
    const req = e.request;
    if (!isObj(req)) problems.push(`${at}.request: missing`);
    else {
      if (typeof req.method !== 'string') problems.push(`${at}.request.method: missing`);
      if (typeof req.url !== 'string' || !URL.canParse(req.url))
        problems.push(`${at}.request.url: missing or not a URL`);
      if (req.headers !== undefined && !Array.isArray(req.headers)) problems.push(`${at}.request.headers: not a list`);
    }
    const res = e.response;
    if (!isObj(res)) problems.push(`${at}.response: missing`);
    else if (typeof res.status !== 'number') problems.push(`${at}.response.status: missing or not a number`);
  });
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS) shown.push(`... and ${problems.length - MAX_PROBLEMS} more problems`);
    throw new InitInputError(
      shown.map((p) => `is not a usable HAR file: ${p}`),
      file,
    );
  }
  return entries.map((e) => {
    const headers = (list: unknown): HarHeader[] =>
      (Array.isArray(list) ? list : [])
        .filter(isObj)
        .filter((h) => typeof h.name === 'string' && typeof h.value === 'string')
        .map((h) => ({ name: h.name as string, value: h.value as string }));
    const req = e.request as Obj;
    const res = e.response as Obj;
    const post = isObj(req.postData) ? req.postData : undefined;
    const content = isObj(res.content) ? res.content : undefined;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      startedDateTime: e.startedDateTime as string,
      time: Math.max(0, e.time as number),
      request: {
        method: (req.method as string).toUpperCase(),
        url: req.url as string,
        headers: headers(req.headers),
        postData: post ? { mimeType: str(post.mimeType), text: str(post.text) } : undefined,
      },
      response: {
        status: res.status as number,
        headers: headers(res.headers),
        content: content
          ? { mimeType: str(content.mimeType), text: str(content.text), encoding: str(content.encoding) }
          : undefined,
      },
      _resourceType: str(e._resourceType),
    };
  });
}

const STATIC_MIME =
  /^(?:image\/|font\/|text\/css|(?:text|application)\/(?:x-)?javascript|application\/(?:font|x-font))/i;
const STATIC_EXT = /\.(?:js|mjs|css|png|jpe?g|gif|svg|ico|woff2?|ttf|otf|eot|map|webp|avif)$/i;
const STATIC_TYPES = new Set(['stylesheet', 'image', 'font', 'script', 'media', 'manifest', 'texttrack']);
const JSON_MIME = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/**
 * Headers never copied: hop-by-hop, those the engine sets itself, and what a browser adds on its own. Secret ones
 * are handled apart (they become `{ fromEnv }`).
 */
const DROPPED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'accept-encoding',
  'accept-language',
  'user-agent',
  'origin',
  'referer',
  'cache-control',
  'pragma',
  'dnt',
  'upgrade-insecure-requests',
  'if-none-match',
  'if-modified-since',
  'priority',
  'purpose',
  'traceparent',
  'tracestate',
]);
const isBrowserHeader = (lower: string) =>
  DROPPED_HEADERS.has(lower) || lower.startsWith(':') || lower.startsWith('sec-') || lower.startsWith('x-client-data');

/** Why an entry is left out, or undefined when it is kept. */
type DropReason = 'static' | 'other origin' | 'not http(s)' | 'method' | 'no response' | 'body';

function isStatic(e: HarEntry, url: URL): boolean {
  if (e._resourceType && STATIC_TYPES.has(e._resourceType)) return true;
  if (STATIC_MIME.test(e.response.content?.mimeType ?? '')) return true;
  return STATIC_EXT.test(url.pathname);
}

/** An id-like key: `id`, or one ending in `Id`, `ID` or `_id`. */
const isIdKey = (key: string) => key === 'id' || /(?:Id|ID|_id)$/.test(key);
/** A key a capture path can name (parseCapturePath's identifier rule). */
const PATH_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** One id a response returned: where in the body (a capture path) and what to call it. */
interface FoundId {
  value: string | number;
  path: string;
  /** The key that held it, and the key of the object around it (`data` for `data.id`). */
  key: string;
  parent?: string;
}

/** Id-like values of a JSON body: top level, one level down (`data.id`), first array elements (`items[0].id`). */
export function idsInBody(body: unknown): FoundId[] {
  const out: FoundId[] = [];
  const scan = (obj: unknown, prefix: string, parent?: string) => {
    if (!isObj(obj)) return;
    for (const [k, v] of Object.entries(obj)) {
      if (!PATH_KEY.test(k) || !isIdKey(k)) continue;
      if ((typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isFinite(v)))
        out.push({ value: v, path: `${prefix}${k}`, key: k, parent });
    }
  };
  if (Array.isArray(body)) {
    scan(body[0], '[0].');
    return out;
  }
  scan(body, '');
  if (!isObj(body)) return out;
  for (const [k, v] of Object.entries(body)) {
    if (!PATH_KEY.test(k)) continue;
    if (isObj(v)) scan(v, `${k}.`, k);
    else if (Array.isArray(v)) scan(v[0], `${k}[0].`, k);
  }
  return out;
}

/** The JSON of a response, when it is JSON (base64 decoded when recorded so). */
function responseJson(e: HarEntry): unknown {
  const c = e.response.content;
  if (!c?.text || c.text.length > MAX_BODY_CHARS) return undefined;
  const text = c.encoding === 'base64' ? Buffer.from(c.text, 'base64').toString('utf8') : c.text;
  if (!JSON_MIME.test(c.mimeType ?? '') && !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `orders` -> `order`: a naive singular for variable names. */
const singular = (word: string) => (/[^s]s$/.test(word) ? word.slice(0, -1) : word);

/** `orders` -> `orderId`, `line-items` -> `lineItemId`. */
function idNameFrom(word: string): string {
  const camel = singular(word).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
  return varName(`${camel.charAt(0).toLowerCase()}${camel.slice(1)}Id`);
}

/** The last literal (not an id, not a placeholder) segment of a path: `orders` in `/api/orders/123`. */
function lastWord(segments: string[]): string | undefined {
  return segments.filter((s) => s && !s.includes('{{') && /[A-Za-z]/.test(s) && !distinctive(s)).pop();
}

/** Where a known id is sent back: the JSON key or query parameter holding it, or the path segment before it. */
interface UseSite {
  key?: string;
  segmentBefore?: string;
}

/**
 * The variable name of a captured id: the id-like key that sends it back (`userId`), else the key that returned it
 * when more than `id`, else named after the path segment before it (`/orders/{{orderId}}`), else after the object
 * around it or the request that returned it.
 */
function captureName(found: FoundId, producerPath: string, use: UseSite): string {
  if (use.key && use.key !== 'id' && isIdKey(use.key)) return varName(use.key);
  if (found.key !== 'id') return varName(found.key);
  if (use.segmentBefore) return idNameFrom(use.segmentBefore);
  return idNameFrom(found.parent ?? lastWord(producerPath.split('?')[0]!.split('/')) ?? 'item');
}

/** Replaces the secret-looking fields of a JSON body (at any depth) with a placeholder text; returns their paths. */
function scrubSecrets(v: unknown, at: string, found: string[]): unknown {
  if (Array.isArray(v)) return v.map((x, i) => scrubSecrets(x, `${at}[${i}]`, found));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (SECRET_HEADER_RE.test(k) && (typeof x === 'string' || typeof x === 'number')) {
      found.push(at ? `${at}.${k}` : k);
      out[k] = 'REPLACE_ME';
    } else out[k] = scrubSecrets(x, at ? `${at}.${k}` : k, found);
  }
  return out;
}

/**
 * A value that is unlikely to be equal to an id by chance: a number of at least 3 digits, or a text of at least 3
 * characters with a digit in it (`123`, `ord_42`, a uuid). Others (`1`, `true`, `open`) are taken for an id only
 * where the request names them as one (an id-like JSON key or query parameter).
 */
export function distinctive(value: string | number): boolean {
  return typeof value === 'number' ? Math.abs(value) >= 100 : value.length >= 3 && /\d/.test(value);
}

/** Replaces whole JSON values equal to a known id by `{{var}}` (never part of a longer string). */
function templateBody(
  v: unknown,
  lookup: (value: string | number, idPlace: boolean, use: UseSite) => string | undefined,
  key = '',
): unknown {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) {
    const name = lookup(v, isIdKey(key), { key });
    return name ? `{{${name}}}` : v;
  }
  if (Array.isArray(v)) return v.map((x) => templateBody(x, lookup, key));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, templateBody(x, lookup, k)]));
  return v;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The campaign draft of a recording. Pure: the same entries, options and `now` give the same draft. Throws an
 * {@link InitInputError} when no entry of the main origin is left to replay.
 */
export function draftFromHar(entries: HarEntry[], opts: HarInitOptions): CampaignDraft {
  const override = opts.baseUrl !== undefined ? parseBaseUrlOption(opts.baseUrl) : undefined;
  const ordered = entries
    .map((e, i) => ({ e, i, url: URL.canParse(e.request.url) ? new URL(e.request.url) : undefined }))
    .sort((a, b) => Date.parse(a.e.startedDateTime) - Date.parse(b.e.startedDateTime) || a.i - b.i);

  // The main origin: --base-url's when the recording has it, else that of the first page or API call.
  const web = ordered.filter((x) => x.url && /^https?:$/.test(x.url.protocol) && !isStatic(x.e, x.url));
  const origins = new Set(web.map((x) => x.url!.origin));
  const main =
    override && origins.has(override.origin)
      ? override.origin
      : (web.find((x) => ['document', 'xhr', 'fetch'].includes(x.e._resourceType ?? ''))?.url?.origin ??
        web[0]?.url?.origin);

  const dropped: Record<DropReason, number> = {
    static: 0,
    'other origin': 0,
    'not http(s)': 0,
    method: 0,
    'no response': 0,
    body: 0,
  };
  const otherOrigins = new Set<string>();
  const otherMethods = new Set<string>();
  const kept: Array<{ e: HarEntry; url: URL; json?: unknown }> = [];
  for (const { e, url } of ordered) {
    let reason: DropReason | undefined;
    let json: unknown;
    if (!url || !/^https?:$/.test(url.protocol)) reason = 'not http(s)';
    else if (isStatic(e, url)) reason = 'static';
    else if (url.origin !== main) {
      reason = 'other origin';
      otherOrigins.add(url.origin);
    } else if (!METHODS.has(e.request.method)) {
      reason = 'method';
      otherMethods.add(e.request.method);
    } else if (!e.response.status) reason = 'no response';
    else if (e.request.postData?.text) {
      try {
        if (!JSON_MIME.test(e.request.postData.mimeType ?? '')) throw new Error('not JSON');
        json = JSON.parse(e.request.postData.text);
      } catch {
        reason = 'body';
      }
    }
    if (reason) dropped[reason]++;
    else kept.push({ e, url: url!, json });
  }
  const leftOut = Math.max(0, kept.length - MAX_HAR_STEPS);
  kept.splice(MAX_HAR_STEPS);
  if (!kept.length)
    throw new InitInputError(
      [
        `no request to replay: of ${entries.length} recorded entr${entries.length === 1 ? 'y' : 'ies'}, ${describeDropped(dropped, otherOrigins, otherMethods) || 'none is an HTTP request'}`,
      ],
      opts.source,
    );

  const prefix = override?.prefix ?? '';
  const names = new UniqueNames();
  const secret = new Map<string, DraftSecretHeader>();
  const takenVars = new Set<string>();
  // Ids seen in earlier responses, by their text.
  const known = new Map<string, { step: number; found: FoundId; name?: string }>();
  const steps: DraftRequest[] = [];
  const stepHeaders: Array<Record<string, string>> = [];
  let setsCookies = false;

  const lookup = (value: string | number, idPlace: boolean, use: UseSite): string | undefined => {
    const hit = known.get(String(value));
    if (!hit || !(idPlace || distinctive(value))) return undefined;
    if (!hit.name) {
      const base = captureName(hit.found, steps[hit.step]!.path, use);
      let name = base;
      for (let n = 2; takenVars.has(name); n++) name = `${base}${n}`;
      takenVars.add(name);
      hit.name = name;
      steps[hit.step]!.capture = { ...(steps[hit.step]!.capture ?? {}), [name]: hit.found.path };
    }
    return hit.name;
  };

  kept.forEach(({ e, url, json }, i) => {
    // The recorded request as the comment shows it: secret-looking query parameters are never written, not even here.
    const shown = new URLSearchParams([...url.searchParams].filter(([k]) => !SECRET_HEADER_RE.test(k))).toString();
    const comment: string[] = [
      `${e.request.method} ${url.pathname}${shown ? `?${shown}` : ''} -> ${e.response.status}`,
    ];
    // Path: whole segments equal to an earlier id become {{var}}.
    const segments: string[] = [];
    for (const seg of url.pathname.split('/')) {
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        // A malformed escape: compared as written.
      }
      const name = seg ? lookup(decoded, false, { segmentBefore: lastWord(segments) }) : undefined;
      segments.push(name ? `{{${name}}}` : seg);
    }
    const query: string[] = [];
    const removed: string[] = [];
    for (const [k, v] of url.searchParams) {
      if (SECRET_HEADER_RE.test(k)) {
        removed.push(k);
        continue;
      }
      const name = lookup(v, isIdKey(k) || /id$/i.test(k), { key: k });
      query.push(`${encodeURIComponent(k)}=${name ? `{{${name}}}` : encodeURIComponent(v)}`);
    }
    if (removed.length)
      comment.push(
        `Query parameter${removed.length === 1 ? '' : 's'} ${removed.join(', ')} left out: it looks secret.`,
      );
    const path = joinPath(prefix, segments.join('/')) + (query.length ? `?${query.join('&')}` : '');

    const step: DraftRequest = { name: '', method: e.request.method as DraftRequest['method'], path, comment };
    if (json !== undefined) {
      const scrubbed: string[] = [];
      step.json = templateBody(scrubSecrets(json, '', scrubbed), lookup);
      if (scrubbed.length)
        comment.push(
          `Body field${scrubbed.length === 1 ? '' : 's'} ${scrubbed.join(', ')} replaced by REPLACE_ME: set a test account's value.`,
        );
    }
    step.name = names.take(methodPathName(e.request.method, path));
    if (e.response.status < 400) step.expect = { status: e.response.status };
    else comment.push(`It answered ${e.response.status} in the recording: no expect.status written, check this step.`);

    const headers: Record<string, string> = {};
    for (const { name, value } of e.request.headers) {
      const lower = name.toLowerCase();
      if (SECRET_HEADER_RE.test(name)) {
        if (!HEADER_NAME_RE.test(name) || secret.has(lower)) continue;
        const env = envNameForHeader(name);
        secret.set(lower, {
          name: lower === 'authorization' ? 'Authorization' : lower === 'cookie' ? 'Cookie' : name,
          env,
          comment: [
            `The recording sent ${name} (first on ${e.request.method} ${url.pathname}); its value is not copied.`,
            `Set ${env} to a valid value where the worker runs, and list it in READINESS_SECRET_ENV.`,
          ],
        });
        continue;
      }
      if (isBrowserHeader(lower) || !HEADER_NAME_RE.test(name)) continue;
      headers[name] = value;
    }
    if (e.response.headers.some((h) => h.name.toLowerCase() === 'set-cookie')) setsCookies = true;
    steps.push(step);
    stepHeaders.push(headers);

    // The first response that returned a value is where it is captured (a later one returning it again is the same id).
    for (const found of idsInBody(responseJson(e)))
      if (!known.has(String(found.value))) known.set(String(found.value), { step: i, found });
  });

  // Think times: from the end of one kept entry to the start of the next.
  kept.forEach(({ e }, i) => {
    const next = kept[i + 1];
    if (!next) return;
    const gap = Date.parse(next.e.startedDateTime) - (Date.parse(e.startedDateTime) + e.time);
    if (gap >= MIN_THINK_MS)
      steps[i]!.thinkTime = formatDurationMs(Math.round(Math.min(gap, MAX_THINK_MS) / 100) * 100);
  });

  // Plain headers every step sent with the same value go to target.headers; the others stay on their steps.
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(stepHeaders[0] ?? {})) if (stepHeaders.every((h) => h[k] === v)) common[k] = v;
  steps.forEach((s, i) => {
    const own = Object.fromEntries(Object.entries(stepHeaders[i]!).filter(([k]) => !(k in common)));
    if (Object.keys(own).length) s.headers = own;
  });

  const host = new URL(main!).hostname;
  const healthStep = steps.find(
    (s) =>
      s.method === 'GET' && !s.path.includes('{{') && typeof s.expect?.status === 'number' && s.expect.status < 300,
  );
  const secretHeaders = [...secret.values()];
  if (setsCookies && !secret.has('cookie'))
    secretHeaders.push({
      name: 'Cookie',
      env: 'API_COOKIE',
      comment: [
        'The service set cookies during the recording; the engine keeps none between requests.',
        'If the flow needs a session, set API_COOKIE to a valid Cookie header where the worker runs (or delete this).',
      ],
    });

  const droppedText = describeDropped(dropped, otherOrigins, otherMethods);
  const note: string[] = [];
  if (leftOut)
    note.push(
      `${plural(leftOut, 'more request')} of ${main} left out: a flow has at most ${MAX_HAR_STEPS} steps (the first ones are kept).`,
    );
  const header = (finalSteps: DraftRequest[]): string[] => {
    const captures = finalSteps.filter((s) => s.capture).length;
    return [
      `Bootstrapped by \`readiness init --from-har\` from ${opts.source} at ${opts.now.toISOString()}.`,
      `The recorded requests to ${main} are one flow, in their recorded order, with the recorded pauses.`,
      `Kept ${plural(finalSteps.length, 'request')} of ${entries.length}${droppedText ? `; dropped ${droppedText}` : ''}.`,
      '',
      'Review before running it:',
      '- target.baseUrl: the service that will get the load (real requests, writes included).',
      '- POST, PUT, PATCH and DELETE steps change data: run them against a test environment.',
      `- captures (${captures} step${captures === 1 ? '' : 's'}): ids returned by a response and sent back later are {{variables}};`,
      '  check each capture path and that nothing else the flow sends back is still a recorded literal.',
      secretHeaders.length
        ? `- secrets: set ${secretHeaders.map((h) => h.env).join(', ')} where the worker runs, and list ${secretHeaders.length === 1 ? 'it' : 'them'} in READINESS_SECRET_ENV.`
        : '- secrets: the recording sent no Cookie or Authorization header.',
      '- the baseline and the stress levels (each virtual user replays the whole flow).',
      'Then: `readiness validate <file>` and `readiness start <file> --wait`.',
    ];
  };
  const draft: CampaignDraft = {
    header: [],
    name: opts.name ?? slugName(host, 'recorded'),
    target: {
      baseUrl: override?.origin ?? main ?? DEFAULT_BASE_URL,
      baseUrlComment: override
        ? [`From --base-url (recorded against ${main}).`]
        : [
            `The recorded origin: the campaign sends real load there, writes included. Point it at a test`,
            'environment (or generate again with --base-url), and allow its host on the worker (READINESS_ALLOWED_HOSTS).',
          ],
      healthPath: healthStep?.path ?? joinPath(prefix, '/health'),
      healthComment: healthStep
        ? [
            'A recorded GET that answered 2xx; use the service health endpoint if it has one.',
            'Probed before the load: anything else than 2xx makes the baseline an error, and no load is sent.',
          ]
        : [
            'SET THIS to an endpoint that answers 2xx while the service is healthy (the recording has no such GET).',
            'Probed before the load: anything else than 2xx makes the baseline an error, and no load is sent.',
          ],
      headers: common,
      secretHeaders,
    },
    scenario: {
      thinkTime: INIT_DEFAULTS.thinkTime,
      requestTimeout: INIT_DEFAULTS.requestTimeout,
      vars: [],
      requests: [],
      flows: [
        {
          name: 'recorded',
          // Steps recorded less than 100 ms apart follow each other at once; a step's thinkTime is its recorded pause.
          thinkTime: '0s',
          steps,
          comment: [
            `Recorded against ${main}. A step's thinkTime is the pause the recording has after it;`,
            'steps without one follow at once (the flow thinkTime). A failed step ends the iteration.',
          ],
          note,
        },
      ],
    },
  };
  // A campaign is the workflow's input: a recording with big bodies keeps the steps that fit, and says so.
  const { draft: fitted, cut } = fitToInputSize(draft);
  const flow = fitted.scenario.flows![0]!;
  if (cut)
    flow.note = [
      ...note,
      `${plural(cut, 'more request')} left out: a campaign (with its checklist) is at most ${HISTORY_LIMITS.inputBytes / 1024} KiB as JSON, the workflow's input.`,
    ];
  fitted.header = header(flow.steps);
  return fitted;
}

/** `2 static assets, 1 to another origin (https://x)` for the comments. */
function describeDropped(
  dropped: Record<DropReason, number>,
  otherOrigins: Set<string>,
  otherMethods: Set<string>,
): string {
  const parts: string[] = [];
  if (dropped.static) parts.push(`${plural(dropped.static, 'static asset')} (scripts, styles, images, fonts)`);
  if (dropped['other origin'])
    parts.push(`${dropped['other origin']} to other origins (${[...otherOrigins].slice(0, 5).join(', ')})`);
  if (dropped['not http(s)']) parts.push(`${dropped['not http(s)']} not http(s)`);
  if (dropped.method)
    parts.push(`${dropped.method} with a method the engine does not send (${[...otherMethods].join(', ')})`);
  if (dropped['no response']) parts.push(`${dropped['no response']} without a response`);
  if (dropped.body) parts.push(`${dropped.body} with a body that is not JSON`);
  return parts.join(', ');
}

/**
 * Reads a HAR file: throws an {@link InitInputError} when it is missing, too big, or not a HAR
 * ({@link parseHar}).
 */
export async function loadHar(file: string): Promise<HarEntry[]> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new InitInputError(['is not a file'], file);
    size = st.size;
  } catch (err) {
    if (err instanceof InitInputError) throw err;
    throw new InitInputError([`cannot read: ${readProblem(err as NodeJS.ErrnoException)}`], file);
  }
  if (size > MAX_HAR_BYTES) throw new InitInputError([`is larger than ${MAX_HAR_BYTES} bytes`], file);
  return parseHar(await readFile(file, 'utf8'), file);
}

/** The commented campaign file for a HAR file: {@link loadHar}, {@link draftFromHar}, {@link renderCampaignYaml}. */
export async function harCampaignYaml(file: string, opts: Omit<HarInitOptions, 'source'>): Promise<string> {
  return renderCampaignYaml(draftFromHar(await loadHar(file), { ...opts, source: file }));
}
