/**
 * `readiness init --from-openapi`: a campaign bootstrapped from an OpenAPI 3.0/3.1 or Swagger 2.0 spec. The spec is
 * parsed, dereferenced and validated by @apidevtools/swagger-parser (circular schemas left as `$ref`, remote `$ref`s
 * refused: the CLI reaches no network); then each GET/POST/PUT/PATCH/DELETE/HEAD operation becomes one request, its
 * path parameters and required query parameters `{{vars}}`, its JSON body an example, its security a header read
 * from the environment. {@link draftFromOpenApi} is pure; {@link loadOpenApiSpec} does the reading.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { placeholders } from '../core/template';
import { joinPath, parseBaseUrlOption, trimPrefix } from './base-url';
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
  type CampaignDraft,
  type DraftRequest,
  type DraftSecretHeader,
  type VarSpec,
  renderCampaignYaml,
} from './yaml-writer';

type Obj = Record<string, unknown>;
type Method = DraftRequest['method'];

/** Largest spec read (bytes): the biggest public specs are a few MB. */
export const MAX_SPEC_BYTES = 50 * 1024 * 1024;
/**
 * At most this many requests are written (a campaign's limit: each is an endpoint row in every phase result); the
 * operations after them (in spec order) are left out, and counted.
 */
export const MAX_OPENAPI_REQUESTS = HISTORY_LIMITS.requests;
/** Deepest nesting the body generator follows (circular and very deep schemas stop here). */
const MAX_DEPTH = 6;
/** Most values one generated body holds (a schema with hundreds of optional fields stays readable). */
const MAX_BODY_VALUES = 200;

/** Weights: reads are most of the traffic, writes some, deletes few. */
export const OPENAPI_WEIGHTS: Record<Method, number> = { GET: 10, HEAD: 5, POST: 2, PUT: 2, PATCH: 2, DELETE: 1 };

const SUPPORTED = new Set(['get', 'post', 'put', 'patch', 'delete', 'head']);
/** Path item keys that are operations the engine does not send. */
const OTHER_METHODS = new Set(['options', 'trace', 'connect', 'query']);

/** What {@link draftFromOpenApi} needs besides the spec. */
export interface OpenApiInitOptions {
  /** The spec's file name as the user gave it (shown in the header comment). */
  source: string;
  /** When the file is generated (the header says so); passed in so output is reproducible. */
  now: Date;
  /** `--base-url`: the target origin (and, when it has a path, the prefix instead of the spec's). */
  baseUrl?: string;
  /** `--name`: the campaign name (already checked by the caller). */
  name?: string;
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
const listValue = (v: string | number | boolean): string | number => (typeof v === 'boolean' ? String(v) : v);

/**
 * Reads, dereferences and validates an OpenAPI / Swagger file. Throws an {@link InitInputError} naming the problem
 * when the file is missing, too big, not YAML/JSON, not a spec, or invalid (a broken `$ref`, a schema violation).
 */
export async function loadOpenApiSpec(file: string): Promise<Obj> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new InitInputError(['is not a file'], file);
    size = st.size;
  } catch (err) {
    if (err instanceof InitInputError) throw err;
    throw new InitInputError([`cannot read: ${readProblem(err as NodeJS.ErrnoException)}`], file);
  }
  if (size > MAX_SPEC_BYTES) throw new InitInputError([`is larger than ${MAX_SPEC_BYTES} bytes`], file);
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    throw new InitInputError([`is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`], file);
  }
  if (!isObj(raw) || (typeof raw.openapi !== 'string' && typeof raw.swagger !== 'string'))
    throw new InitInputError(
      ['is not an OpenAPI or Swagger spec: it has no "openapi" (3.x) or "swagger" (2.0) version field'],
      file,
    );
  // Loaded here, not at the top: the parser is an ES module, and only this command needs it.
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  try {
    const api = await SwaggerParser.validate(path.resolve(file), {
      dereference: { circular: 'ignore' },
      resolve: { http: false },
    });
    return api as unknown as Obj;
  } catch (err) {
    const e = err as Error & { details?: Array<{ instancePath?: string; message?: string }> };
    const message = e.message.replace(/\s+/g, ' ').trim().slice(0, 2000);
    const remote = /unable to resolve \$ref pointer "https?:/i.test(message)
      ? ' (remote $refs are not fetched: save them beside the spec and refer to the files)'
      : '';
    throw new InitInputError([`is not a valid OpenAPI/Swagger spec: ${message}${remote}`], file);
  }
}

/** Resolves `{var}` in a 3.x server URL with the variables' defaults (or first enum value). */
function serverUrl3(server: Obj): string {
  const vars = asObj(server.variables);
  return (str(server.url) ?? '').replace(/\{([^}]+)\}/g, (m, name: string) => {
    const v = asObj(vars[name]);
    const value = v.default ?? asArr(v.enum)[0];
    return isScalar(value) ? String(value) : m;
  });
}

/** Where the spec says the API lives: an origin (when absolute http(s)) and a path prefix. */
function specServer(api: Obj): { origin?: string; prefix: string; described: string } {
  let url: string | undefined;
  if (typeof api.swagger === 'string') {
    const basePath = str(api.basePath) ?? '';
    const host = str(api.host);
    const schemes = asArr(api.schemes).filter((s): s is string => typeof s === 'string');
    const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? 'https');
    url = host ? `${scheme}://${host}${basePath}` : basePath;
  } else {
    const first = asArr(api.servers).find(isObj);
    url = first ? serverUrl3(first) : undefined;
  }
  if (!url) return { prefix: '', described: 'no server' };
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:')
      return { origin: u.origin, prefix: trimPrefix(u.pathname), described: url };
    return { prefix: trimPrefix(u.pathname), described: url };
  } catch {
    // A relative server URL (`/api/v3`): relative to nothing here.
    return { prefix: trimPrefix(new URL(url, 'http://relative.invalid').pathname), described: url };
  }
}

/** A fixed set of uuids (the same on every run: generated files are reproducible). */
const UUIDS = [
  '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  '6f1d3c2a-8b4e-4d5f-9a7b-1c2d3e4f5a6b',
  'c0a80101-0000-4000-8000-000000000001',
];

/** A sample string that fits the schema's format (and length limits). */
function sampleString(schema: Obj): string {
  switch (schema.format) {
    case 'uuid':
      return UUIDS[0]!;
    case 'date':
      return '2024-01-01';
    case 'date-time':
      return '2024-01-01T00:00:00Z';
    case 'email':
      return 'user@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com';
    case 'ipv4':
      return '192.0.2.1';
    case 'ipv6':
      return '2001:db8::1';
    case 'hostname':
      return 'example.com';
    case 'byte':
      return 'c2FtcGxl';
    case 'int32':
    case 'int64':
      return '1';
  }
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  let s = 'sample';
  if (max !== undefined && max < s.length) s = 'a'.repeat(Math.max(min, Math.min(max, 1)));
  if (s.length < min) s = s.padEnd(Math.min(min, 1000), 'x');
  return s;
}

/** The first non-null `type` (3.1 allows a list). */
function typeOf(schema: Obj): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  const list = asArr(schema.type).filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (list.length) return list[0];
  if (isObj(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

/** The lowest number a numeric schema allows (its minimum, or 1), an integer when the schema wants one. */
function lowNumber(schema: Obj): number {
  const excl = schema.exclusiveMinimum;
  let low =
    typeof excl === 'number'
      ? excl + 1
      : typeof schema.minimum === 'number'
        ? schema.minimum + (excl === true ? 1 : 0)
        : 1;
  const max =
    typeof schema.exclusiveMaximum === 'number'
      ? schema.exclusiveMaximum - 1
      : typeof schema.maximum === 'number'
        ? schema.maximum
        : undefined;
  if (max !== undefined && low > max) low = max;
  return typeOf(schema) === 'integer' ? Math.ceil(low) : low;
}

/** The spec's own example of a schema: `example`, then the first of 3.1's `examples`. */
function schemaExample(schema: Obj): unknown {
  if (schema.example !== undefined) return schema.example;
  const list = asArr(schema.examples);
  return list.length ? list[0] : undefined;
}

/**
 * A JSON value that fits `schema`: its example, default, first enum value or const when it has one, else built from
 * its type (objects with their required properties, or all when none is required, read-only ones left out; arrays
 * of one item; `allOf` merged; `oneOf`/`anyOf` their first). Undefined for what cannot be built: a circular `$ref`
 * left by the dereferencer, nesting deeper than {@link MAX_DEPTH}, or a body past {@link MAX_BODY_VALUES} values.
 */
export function exampleFromSchema(schema: unknown, depth = 0, budget = { left: MAX_BODY_VALUES }): unknown {
  if (!isObj(schema) || depth > MAX_DEPTH || budget.left <= 0) return undefined;
  if (typeof schema.$ref === 'string') return undefined;
  budget.left--;
  const own = schemaExample(schema);
  if (own !== undefined) return structuredClone(own);
  if (schema.default !== undefined) return structuredClone(schema.default);
  if (schema.const !== undefined) return structuredClone(schema.const);
  const enumValues = asArr(schema.enum).filter((v) => v !== null);
  if (enumValues.length) return structuredClone(enumValues[0]);
  const allOf = asArr(schema.allOf);
  if (allOf.length) {
    const parts = allOf.map((s) => exampleFromSchema(s, depth + 1, budget));
    const base = exampleFromSchema({ ...schema, allOf: undefined }, depth + 1, budget);
    if ([...parts, base].every((p) => p === undefined || isObj(p)))
      return Object.assign({}, ...parts.filter(isObj), isObj(base) ? base : {});
    return parts.find((p) => p !== undefined);
  }
  const alternatives = asArr(schema.oneOf).length ? asArr(schema.oneOf) : asArr(schema.anyOf);
  if (alternatives.length) {
    for (const alt of alternatives) {
      const v = exampleFromSchema(alt, depth + 1, budget);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  switch (typeOf(schema)) {
    case 'object': {
      const props = asObj(schema.properties);
      const required = asArr(schema.required).filter((r): r is string => typeof r === 'string');
      const names = (required.length ? required : Object.keys(props)).filter((n) => !asObj(props[n]).readOnly);
      const out: Obj = {};
      for (const n of names) {
        const v = exampleFromSchema(props[n] ?? {}, depth + 1, budget);
        if (v !== undefined) out[n] = v;
      }
      return out;
    }
    case 'array': {
      const item = exampleFromSchema(schema.items, depth + 1, budget);
      return item === undefined ? [] : [item];
    }
    case 'string':
      return sampleString(schema);
    case 'integer':
    case 'number':
      return lowNumber(schema);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** A `scenario.vars` entry for a parameter, and where its values came from (for the comment). */
export function varSpecForParameter(param: Obj): { spec: VarSpec; from: string } {
  // Swagger 2.0 puts type, format, enum, default and bounds on the parameter itself.
  const schema = isObj(param.schema) ? param.schema : param;
  const list = (values: unknown[], from: string) => {
    const scalars = values.filter(isScalar).slice(0, 20).map(listValue);
    return scalars.length ? { spec: { list: scalars } as VarSpec, from } : undefined;
  };
  const examples = Object.values(asObj(param.examples)).map((e) => asObj(e).value);
  const fromSpec =
    (param.example !== undefined ? list([param.example], "the parameter's example") : undefined) ??
    list(examples, "the parameter's examples") ??
    (param['x-example'] !== undefined ? list([param['x-example']], "the parameter's x-example") : undefined) ??
    (schemaExample(schema) !== undefined ? list([schemaExample(schema)], "the schema's example") : undefined) ??
    list(asArr(schema.enum), "the schema's enum") ??
    (schema.default !== undefined ? list([schema.default], "the schema's default") : undefined);
  if (fromSpec) return fromSpec;
  // An array parameter (`status=available`): one value of its items.
  const items = typeOf(schema) === 'array' && isObj(schema.items) ? schema.items : undefined;
  if (items) {
    const fromItems = list(asArr(items.enum), "the items' enum") ?? list([schemaExample(items)], "the items' example");
    if (fromItems) return fromItems;
  }
  const s = items ?? schema;
  const type = typeOf(s);
  if (type === 'integer' || type === 'number') {
    const min = Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(lowNumber(s)));
    const declaredMax =
      typeof s.exclusiveMaximum === 'number'
        ? s.exclusiveMaximum - 1
        : typeof s.maximum === 'number'
          ? s.maximum
          : undefined;
    const max = Math.min(Number.MAX_SAFE_INTEGER, Math.floor(declaredMax ?? min + 99));
    return { spec: { range: [min, Math.max(min, max)] }, from: `generated from its ${type} schema` };
  }
  if (type === 'boolean') return { spec: { list: ['true', 'false'] }, from: 'generated from its boolean schema' };
  if (type === 'string' && s.format === 'uuid')
    return { spec: { list: [...UUIDS] }, from: 'generated (uuid): replace with ids that exist' };
  return {
    spec: { list: [type === 'string' ? sampleString(s) : 'sample'] },
    from: `generated from its ${type ?? 'untyped'} schema: replace with real values`,
  };
}

/** The example body of a JSON media type (3.x): its example, its first example, its schema's. */
function mediaExample(media: Obj): unknown {
  if (media.example !== undefined) return structuredClone(media.example);
  const first = Object.values(asObj(media.examples)).map(asObj)[0];
  if (first && first.value !== undefined) return structuredClone(first.value);
  return exampleFromSchema(media.schema);
}

const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;

/** The JSON body of an operation; `skip` says why the operation cannot be sent (a non-JSON body). */
function operationBody(api: Obj, op: Obj, params: Obj[]): { json?: unknown; skip?: string; note?: string } {
  if (typeof api.swagger === 'string') {
    const form = params.find((p) => p.in === 'formData');
    if (form) return { skip: 'a form body (formData parameters): only JSON bodies are generated' };
    const body = params.find((p) => p.in === 'body');
    if (!body) return {};
    const consumes = asArr(op.consumes ?? api.consumes).filter((c): c is string => typeof c === 'string');
    if (consumes.length && !consumes.some((c) => JSON_MEDIA.test(c)))
      return { skip: `${consumes.join(' / ')} body: only JSON bodies are generated` };
    const schema = asObj(body.schema);
    const json = body['x-example'] !== undefined ? body['x-example'] : exampleFromSchema(schema);
    return {
      json: json ?? {},
      note: json === undefined ? 'body: the schema could not be sampled, check it' : undefined,
    };
  }
  const rb = asObj(op.requestBody);
  const content = asObj(rb.content);
  const types = Object.keys(content);
  if (!types.length) return {};
  const jsonType = types.find((t) => JSON_MEDIA.test(t));
  if (!jsonType) return { skip: `${types.join(' / ')} body: only JSON bodies are generated` };
  const json = mediaExample(asObj(content[jsonType]));
  return { json: json ?? {}, note: json === undefined ? 'body: the schema could not be sampled, check it' : undefined };
}

/** The 2xx status codes an operation declares (`2XX` and `default` say nothing exact). */
function okStatuses(op: Obj): number[] {
  return Object.keys(asObj(op.responses))
    .filter((k) => /^2\d\d$/.test(k))
    .map(Number);
}

/** How a security scheme is sent as a header, or why it cannot be. */
type SchemeHeader = { header: string; how: string } | { unsupported: string };

function schemeHeader(name: string, scheme: Obj): SchemeHeader {
  const type = str(scheme.type);
  const httpScheme = (str(scheme.scheme) ?? '').toLowerCase();
  if (type === 'oauth2' || type === 'openIdConnect')
    return { header: 'Authorization', how: `${name} (${type}): "Bearer <access token>", obtained beforehand` };
  if (type === 'http' && httpScheme === 'bearer')
    return { header: 'Authorization', how: `${name} (HTTP bearer): "Bearer <token>"` };
  if ((type === 'http' && httpScheme === 'basic') || type === 'basic')
    return { header: 'Authorization', how: `${name} (HTTP basic): "Basic <base64 of user:password>"` };
  if (type === 'apiKey') {
    const where = str(scheme.in);
    const key = str(scheme.name) ?? '';
    if (where === 'header') {
      if (!HEADER_NAME_RE.test(key))
        return {
          unsupported: `${name} (API key in header "${key}"): header names here are letters, digits and "-" only, add it by hand`,
        };
      return { header: key, how: `${name} (API key in header ${key}): the key` };
    }
    if (where === 'cookie') return { header: 'Cookie', how: `${name} (API key in cookie ${key}): "${key}=<key>"` };
    return {
      unsupported: `${name} (API key in the ${where ?? '?'} "${key}"): only header and cookie keys are written`,
    };
  }
  return { unsupported: `${name} (${type ?? 'unknown type'}${httpScheme ? ` ${httpScheme}` : ''}): not supported` };
}

/**
 * The headers of the first security alternative of an operation that can be sent as headers; `none` when the
 * operation needs none (no requirement, or an empty alternative), `unsupported` listing why none can be.
 */
function operationSecurity(
  api: Obj,
  op: Obj,
): { headers: Array<{ header: string; how: string }> } | { none: true } | { unsupported: string[] } {
  const requirements = asArr(op.security ?? api.security).filter(isObj);
  if (!requirements.length || requirements.some((r) => Object.keys(r).length === 0)) return { none: true };
  const schemes =
    typeof api.swagger === 'string' ? asObj(api.securityDefinitions) : asObj(asObj(api.components).securitySchemes);
  const why: string[] = [];
  for (const alternative of requirements) {
    const mapped = Object.keys(alternative).map((n) =>
      isObj(schemes[n]) ? schemeHeader(n, schemes[n]) : { unsupported: `${n}: not declared` },
    );
    const bad = mapped.filter((m): m is { unsupported: string } => 'unsupported' in m);
    if (!bad.length) return { headers: mapped as Array<{ header: string; how: string }> };
    why.push(...bad.map((b) => b.unsupported));
  }
  return { unsupported: [...new Set(why)] };
}

/** Path, query and header parameters of an operation: the path item's, overridden by the operation's. */
function operationParams(item: Obj, op: Obj): Obj[] {
  const byKey = new Map<string, Obj>();
  for (const p of [...asArr(item.parameters), ...asArr(op.parameters)].filter(isObj))
    byKey.set(`${String(p.in)}:${String(p.name)}`, p);
  return [...byKey.values()];
}

/** Literal parts of a spec path made safe for the schema (spaces and the like percent-encoded). */
const encodeLiteral = (text: string) => encodeURI(text).replace(/\\/g, '%5C');

/** Health endpoints a spec commonly declares. */
const HEALTH_PATH = /^\/(?:health|healthz|healthcheck|health-check|status|ping|ready|readyz|livez|alive)\/?$/i;

/**
 * The campaign draft of a dereferenced spec. Pure: the same spec, options and `now` give the same draft.
 * Throws an {@link InitInputError} when no operation can be turned into a request.
 */
export function draftFromOpenApi(api: Obj, opts: OpenApiInitOptions): CampaignDraft {
  const info = asObj(api.info);
  const version = str(api.openapi) ? `OpenAPI ${str(api.openapi)}` : `Swagger ${str(api.swagger)}`;
  const server = specServer(api);
  const override = opts.baseUrl !== undefined ? parseBaseUrlOption(opts.baseUrl) : undefined;
  const origin = override?.origin ?? server.origin ?? DEFAULT_BASE_URL;
  const prefix = override && override.prefix ? override.prefix : server.prefix;
  const baseUrlComment = override
    ? [`From --base-url (the spec's server: ${server.described}).`]
    : server.origin
      ? [
          `From the spec's server ${server.described}: the campaign sends real load there, writes included.`,
          'Point it at a test environment, and allow its host on the worker (READINESS_ALLOWED_HOSTS).',
        ]
      : [
          `The spec's server (${server.described}) names no host: SET THIS to the service's origin`,
          '(or generate again with --base-url).',
        ];

  const names = new UniqueNames();
  const vars = new Map<string, { spec: VarSpec; comment: string[] }>();
  const secret = new Map<string, DraftSecretHeader>();
  const requests: DraftRequest[] = [];
  const skipped: string[] = [];
  let leftOut = 0;
  let healthPath: string | undefined;

  for (const [specPath, rawItem] of Object.entries(asObj(api.paths))) {
    const item = asObj(rawItem);
    for (const [key, rawOp] of Object.entries(item)) {
      const method = key.toUpperCase();
      if (OTHER_METHODS.has(key)) {
        skipped.push(`${method} ${specPath}: the load engine does not send ${method} requests`);
        continue;
      }
      if (!SUPPORTED.has(key) || !isObj(rawOp)) continue;
      const op = rawOp;
      const params = operationParams(item, op);
      const body = operationBody(api, op, params);
      if (body.skip) {
        skipped.push(`${method} ${specPath}: ${body.skip}`);
        continue;
      }
      if (requests.length >= MAX_OPENAPI_REQUESTS) {
        leftOut++;
        continue;
      }
      const comment = [`${method} ${specPath}${str(op.summary) ? `: ${str(op.summary)}` : ''}`];
      if (op.deprecated === true) comment.push('Deprecated in the spec.');
      if (asArr(op.servers).length || asArr(item.servers).length)
        comment.push("This operation declares its own servers; the path assumes the spec's first server.");

      const useVar = (param: Obj): string => {
        const v = varName(String(param.name));
        if (!vars.has(v)) {
          const { spec, from } = varSpecForParameter(param);
          vars.set(v, { spec, comment: [`${String(param.name)} (${String(param.in)} parameter): ${from}.`] });
        }
        return v;
      };

      // Path template: `{petId}` becomes `{{petId}}`; literal text is kept (percent-encoded where it must be).
      let pathText = '';
      let at = 0;
      for (const m of specPath.matchAll(/\{([^}]*)\}/g)) {
        pathText += encodeLiteral(specPath.slice(at, m.index));
        const param = params.find((p) => p.in === 'path' && p.name === m[1]) ?? { name: m[1], in: 'path' };
        pathText += `{{${useVar(param)}}}`;
        at = m.index! + m[0].length;
      }
      pathText += encodeLiteral(specPath.slice(at));
      const query = params
        .filter((p) => p.in === 'query' && p.required === true)
        .map((p) => `${encodeURIComponent(String(p.name))}={{${useVar(p)}}}`);
      const fullPath = joinPath(prefix, pathText) + (query.length ? `?${query.join('&')}` : '');

      const headers: Record<string, string> = {};
      for (const p of params.filter((x) => x.in === 'header' && x.required === true)) {
        const h = String(p.name);
        if (/^(accept|content-type|authorization)$/i.test(h)) continue;
        if (!HEADER_NAME_RE.test(h)) {
          comment.push(`Required header ${h} not written: header names here are letters, digits and "-" only.`);
        } else if (SECRET_HEADER_RE.test(h)) {
          if (!secret.has(h.toLowerCase()))
            secret.set(h.toLowerCase(), {
              name: h,
              env: envNameForHeader(h),
              comment: [`Required by ${method} ${specPath}: set ${envNameForHeader(h)} in the worker's environment.`],
            });
        } else {
          const spec = varSpecForParameter(p).spec;
          const value = String('list' in spec ? spec.list[0] : spec.range[0]);
          // eslint-disable-next-line no-control-regex
          if (/[\u0000-\u001f\u007f]/.test(value))
            comment.push(`Required header ${h} not written: its example is no header value.`);
          else headers[h] = value;
        }
      }
      for (const p of params.filter((x) => x.in === 'cookie' && x.required === true))
        comment.push(`Required cookie ${String(p.name)} not written: add a Cookie header by hand.`);

      const security = operationSecurity(api, op);
      if ('headers' in security) {
        for (const { header, how } of security.headers) {
          const key = header.toLowerCase();
          if (secret.has(key)) continue;
          const env = envNameForHeader(header);
          secret.set(key, {
            name: header,
            env,
            comment: [
              `Security ${how}.`,
              `Set ${env} to the full header value where the worker runs, and list it in READINESS_SECRET_ENV.`,
              `First needed by ${method} ${specPath}.`,
            ],
          });
        }
      } else if ('unsupported' in security) {
        comment.push(`Needs ${security.unsupported.join('; or ')}.`);
      }

      if (body.note) comment.push(body.note);
      const statuses = okStatuses(op);
      const name = names.take(
        str(op.operationId)
          ? slugName(str(op.operationId)!, methodPathName(method, specPath))
          : methodPathName(method, specPath),
      );
      const request: DraftRequest = {
        name,
        method: method as Method,
        path: fullPath,
        weight: OPENAPI_WEIGHTS[method as Method],
        comment,
      };
      if (Object.keys(headers).length) request.headers = headers;
      if (body.json !== undefined) request.json = body.json;
      if (statuses.length) request.expect = { status: statuses.length === 1 ? statuses[0]! : statuses };
      requests.push(request);
      if (!healthPath && method === 'GET' && HEALTH_PATH.test(specPath)) healthPath = joinPath(prefix, specPath);
    }
  }

  const source = `${str(info.title) ?? 'untitled'}${str(info.version) ? ` ${str(info.version)}` : ''}`;
  if (!requests.length)
    throw new InitInputError(
      [
        `no operation could be turned into a request (${source}, ${version})${skipped.length ? `: ${skipped.join('; ')}` : ': the spec has no GET, POST, PUT, PATCH, DELETE or HEAD operation'}`,
      ],
      opts.source,
    );

  const requestsNote: string[] = [];
  if (skipped.length) requestsNote.push(`Operations left out (${skipped.length}):`, ...skipped.map((s) => `  ${s}`));
  if (leftOut)
    requestsNote.push(
      `${leftOut} more operation${leftOut === 1 ? '' : 's'} left out: at most ${MAX_OPENAPI_REQUESTS} requests are written (the first ones in spec order).`,
    );

  const secretHeaders = [...secret.values()];
  const draft: CampaignDraft = {
    header: [
      `Bootstrapped by \`readiness init --from-openapi\` from ${opts.source}`,
      `(${source}, ${version}) at ${opts.now.toISOString()}.`,
      '',
      'Review before running it:',
      '- target.baseUrl: the service that will get the load (real requests, writes included).',
      '- POST, PUT, PATCH and DELETE requests change data: run them against a test environment,',
      '  check their bodies, or delete them.',
      "- scenario.vars: ids must exist on the target, or reads answer 404 (expect.status lists the spec's 2xx codes).",
      secretHeaders.length
        ? `- secrets: set ${secretHeaders.map((h) => h.env).join(', ')} where the worker runs, and list ${secretHeaders.length === 1 ? 'it' : 'them'} in READINESS_SECRET_ENV.`
        : '- secrets: the spec declares no security this file could write; add target.headers if the API needs them.',
      `- weights (GET ${OPENAPI_WEIGHTS.GET}, POST/PUT/PATCH ${OPENAPI_WEIGHTS.POST}, DELETE ${OPENAPI_WEIGHTS.DELETE}), the baseline and the stress levels.`,
      'Then: `readiness validate <file>` and `readiness start <file> --wait`.',
    ],
    name: opts.name ?? slugName(str(info.title) ?? '', 'api'),
    target: {
      baseUrl: origin,
      baseUrlComment,
      healthPath: healthPath ?? joinPath(prefix, '/health'),
      healthComment: healthPath
        ? ["The spec's health endpoint. Probed before the load: it must answer 2xx, or no load is sent."]
        : [
            'The spec declares no health endpoint: SET THIS to one that answers 2xx while the service is healthy.',
            'Probed before the load: anything else than 2xx makes the baseline an error, and no load is sent.',
          ],
      secretHeaders,
    },
    scenario: {
      thinkTime: INIT_DEFAULTS.thinkTime,
      requestTimeout: INIT_DEFAULTS.requestTimeout,
      vars: [...vars.entries()].map(([name, v]) => ({ name, spec: v.spec, comment: v.comment })),
      requests,
      requestsNote,
    },
  };
  // A campaign is the workflow's input: a spec with big bodies keeps the requests that fit, and says so.
  const { draft: fitted, cut } = fitToInputSize(draft);
  if (!cut) return fitted;
  const used = new Set(
    fitted.scenario.requests.flatMap((r) => placeholders(JSON.stringify([r.path, r.json, r.headers]))),
  );
  fitted.scenario.vars = fitted.scenario.vars.filter((v) => used.has(v.name));
  fitted.scenario.requestsNote = [
    ...requestsNote,
    `${cut} more operation${cut === 1 ? '' : 's'} left out: a campaign (with its checklist) is at most ${HISTORY_LIMITS.inputBytes / 1024} KiB as JSON, the workflow's input.`,
  ];
  return fitted;
}

/**
 * The commented campaign file for a spec file: {@link loadOpenApiSpec}, {@link draftFromOpenApi}, then
 * {@link renderCampaignYaml}. The caller validates the text (the CLI parses it back before printing it).
 */
export async function openApiCampaignYaml(file: string, opts: Omit<OpenApiInitOptions, 'source'>): Promise<string> {
  return renderCampaignYaml(draftFromOpenApi(await loadOpenApiSpec(file), { ...opts, source: file }));
}
