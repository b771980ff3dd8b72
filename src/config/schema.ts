import { z } from 'zod';
import { parseDurationMs } from '../core/duration';
import { isThreshold, parseThreshold } from '../core/thresholds';

/**
 * The campaign file schema (`apiVersion: readiness/v1`). Objects are strict: an unknown key is an
 * error that names it, so a typo never silently disables a phase. Durations and thresholds stay
 * strings here (so the JSON Schema is exact) and are checked by refinements.
 */

const duration = (what: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? `${what} is required` : `invalid ${what}: expected a string with a unit, e.g. 30s or 2m`) }).refine((s) => parseDurationMs(s) !== undefined, {
    message: `invalid ${what}: expected a number and a unit, e.g. 500ms, 30s, 2m, 1h, 3d`,
  });

const positiveDuration = (what: string) =>
  duration(what).refine((s) => (parseDurationMs(s) ?? 0) > 0, { message: `${what} must be greater than zero` });

const threshold = z.string().superRefine((s, ctx) => {
  const parsed = parseThreshold(s);
  if (!isThreshold(parsed)) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A value taken from the worker's environment at run time; the value itself never enters the workflow. */
export const fromEnvSchema = z.strictObject({
  fromEnv: z.string().regex(ENV_NAME, 'must be an environment variable name such as API_TOKEN'),
});

const SECRET_HEADER = /authorization|cookie|token|secret|api[-_]?key|password/i;

const headersSchema = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'invalid header name'), z.union([z.string(), fromEnvSchema]))
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && SECRET_HEADER.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `header "${name}" looks secret: give it as { fromEnv: VAR_NAME }, never as a literal value` });
      }
    }
  });

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const name = (what: string) => z.string().regex(NAME_RE, `${what} must be lowercase letters, digits, "-" or "_" (max 63 chars)`);

const varSchema = z.union([
  z.strictObject({ range: z.tuple([z.number().int(), z.number().int()]) }).refine((v) => v.range[0] <= v.range[1], { message: 'range must be [min, max] with min <= max' }),
  z.strictObject({ list: z.array(z.union([z.string(), z.number()])).min(1, 'list needs at least one value') }),
], { message: 'a variable is either { range: [min, max] } or { list: [values...] }' });

const httpStatus = z.number().int().min(100).max(599);

const requestSchema = z.strictObject({
  name: name('request name'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
  path: z.string().startsWith('/', 'path must start with "/"'),
  weight: z.number().int().min(1).max(1000).default(1),
  json: z.unknown().optional(),
  headers: headersSchema.optional(),
  expect: z.strictObject({ status: z.union([httpStatus, z.array(httpStatus).min(1)]) }).optional(),
});

const phaseSchema = z.strictObject({
  name: name('phase name'),
  users: z.number().int().min(1, 'users must be at least 1').max(100_000, 'users must be at most 100000'),
  duration: positiveDuration('duration'),
});

/** The campaign file, as validated. */
export const campaignSchema = z.strictObject({
  apiVersion: z.literal('readiness/v1', { message: 'apiVersion must be "readiness/v1"' }),
  name: name('name'),
  owner: z.string().max(200).optional(),
  target: z.strictObject({
    baseUrl: z.url({ protocol: /^https?$/, message: 'baseUrl must be an http:// or https:// URL' }),
    healthPath: z.string().startsWith('/', 'healthPath must start with "/"').default('/health'),
    headers: headersSchema.optional(),
  }),
  scenario: z.strictObject({
    thinkTime: duration('thinkTime').default('0s'),
    requestTimeout: positiveDuration('requestTimeout').default('10s'),
    vars: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid variable name'), varSchema).default({}),
    requests: z.array(requestSchema).min(1, 'scenario needs at least one request'),
  }),
  baseline: z.strictObject({
    phases: z.array(phaseSchema).min(1, 'baseline needs at least one phase'),
    thresholds: z.array(threshold).default([]),
  }).optional(),
  settings: z.strictObject({
    heartbeatTimeout: positiveDuration('heartbeatTimeout').default('20s'),
  }).default({ heartbeatTimeout: '20s' }),
});

/** A validated campaign (defaults applied). This is what the workflow receives. */
export type Campaign = z.output<typeof campaignSchema>;
/** A campaign as written in a file (defaults not yet applied). */
export type CampaignInput = z.input<typeof campaignSchema>;
/** One request of the scenario. */
export type ScenarioRequest = Campaign['scenario']['requests'][number];
/** One baseline phase. */
export type BaselinePhase = NonNullable<Campaign['baseline']>['phases'][number];
/** A header value: a literal or an environment reference. */
export type HeaderValue = string | { fromEnv: string };

type Loose = Record<string, unknown>;
const asArray = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter((x): x is Loose => !!x && typeof x === 'object') : []);

/**
 * Checks that need several fields at once (duplicate names, undefined `{{vars}}`). They run on the
 * raw input, even when other fields are invalid, so a file's every problem is listed in one go.
 */
export function crossFieldProblems(raw: unknown): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (!raw || typeof raw !== 'object') return problems;
  const scenario = (raw as Loose).scenario as Loose | undefined;
  const vars = scenario && typeof scenario.vars === 'object' && scenario.vars ? (scenario.vars as Loose) : {};
  const seen = new Map<string, number>();
  asArray(scenario?.requests).forEach((r, i) => {
    if (typeof r.name === 'string') {
      if (seen.has(r.name)) problems.push({ path: `scenario.requests[${i}].name`, message: `duplicate request name "${r.name}" (also at index ${seen.get(r.name)})` });
      else seen.set(r.name, i);
    }
    if (typeof r.path === 'string') {
      for (const m of r.path.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)) {
        if (!(m[1] in vars)) problems.push({ path: `scenario.requests[${i}].path`, message: `unknown variable "{{${m[1]}}}": define it under scenario.vars` });
      }
    }
  });
  const baseline = (raw as Loose).baseline as Loose | undefined;
  const phases = new Map<string, number>();
  asArray(baseline?.phases).forEach((p, i) => {
    if (typeof p.name !== 'string') return;
    if (phases.has(p.name)) problems.push({ path: `baseline.phases[${i}].name`, message: `duplicate phase name "${p.name}" (also at index ${phases.get(p.name)})` });
    else phases.set(p.name, i);
  });
  return problems;
}
