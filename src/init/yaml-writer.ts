/**
 * Writes a bootstrapped campaign (a {@link CampaignDraft} made from an OpenAPI spec or a HAR recording) as a
 * commented `readiness/v1` YAML file, with the yaml package's Document API: each comment is attached to the node it
 * explains, and the library does the quoting. Pure: the caller passes the draft, this returns the text.
 */
import { Document, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { commentText } from './names';

/** A `scenario.vars` entry: a range of integers or a list of values. */
export type VarSpec = { range: [number, number] } | { list: Array<string | number> };

/** A request of `scenario.requests`, or a step of a flow written in place, with the comment shown above it. */
export interface DraftRequest {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  path: string;
  /** Requests only (flow steps have none). */
  weight?: number;
  json?: unknown;
  headers?: Record<string, string>;
  capture?: Record<string, string>;
  expect?: { status: number | number[] };
  /** Flow steps only: the think time after this step (a duration such as `1200ms`). */
  thinkTime?: string;
  /** Lines shown above the entry (where it came from, what to check). */
  comment?: string[];
}

/** A flow of `scenario.flows`, its steps written in place. */
export interface DraftFlow {
  name: string;
  thinkTime?: string;
  onStepFailure?: 'stop' | 'continue';
  steps: DraftRequest[];
  comment?: string[];
  /** Lines shown after the steps (what was left out and why). */
  note?: string[];
}

/** A header of `target.headers` whose value the worker reads from its environment. */
export interface DraftSecretHeader {
  name: string;
  env: string;
  comment?: string[];
}

/** A campaign as `readiness init` bootstraps it, before it is written as YAML. */
export interface CampaignDraft {
  /** The comment at the top of the file. */
  header: string[];
  name: string;
  target: {
    baseUrl: string;
    baseUrlComment?: string[];
    healthPath?: string;
    healthComment?: string[];
    secretHeaders: DraftSecretHeader[];
    /** Plain (non-secret) headers sent with every request. */
    headers?: Record<string, string>;
  };
  scenario: {
    thinkTime: string;
    requestTimeout: string;
    vars: Array<{ name: string; spec: VarSpec; comment?: string[] }>;
    requests: DraftRequest[];
    /** Lines shown after the requests (operations left out and why). */
    requestsNote?: string[];
    flows?: DraftFlow[];
  };
}

/**
 * The load written into every bootstrapped file: one short steady baseline phase, the usual thresholds, and a
 * gentle stress ramp. Small on purpose: the first run against a service nobody has measured should not break it.
 */
export const INIT_DEFAULTS = {
  thinkTime: '1s',
  requestTimeout: '10s',
  baseline: {
    phases: [{ name: 'steady', users: 10, duration: '2m' }],
    thresholds: ['p(95)<1000', 'error_rate<0.01'],
  },
  stress: {
    startUsers: 10,
    stepUsers: 10,
    maxUsers: 200,
    stepDuration: '1m',
    stopWhen: ['error_rate>0.01', 'p(95)>1000'],
  },
} as const;

/** The default base URL when the source names no usable origin (a relative server URL, no host). */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** `commentBefore` text for the yaml package: one line per entry, each after a space (`# text`). */
const comment = (lines: string[] | undefined): string | undefined =>
  lines?.length ? lines.map((l) => ` ${commentText(l, 200)}`).join('\n') : undefined;

/** The plain object of one request or step, keys in the order a reader expects. */
function requestObject(r: DraftRequest, step: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { name: r.name, method: r.method, path: r.path };
  if (!step && r.weight !== undefined) o.weight = r.weight;
  if (r.headers && Object.keys(r.headers).length) o.headers = r.headers;
  if (r.json !== undefined) o.json = r.json;
  if (r.capture && Object.keys(r.capture).length) o.capture = r.capture;
  if (r.expect) o.expect = r.expect;
  if (step && r.thinkTime !== undefined) o.thinkTime = r.thinkTime;
  return o;
}

/** The draft as the plain object the campaign schema reads (what the YAML holds, comments aside). */
export function draftToObject(d: CampaignDraft): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...(d.target.headers ?? {}) };
  for (const h of d.target.secretHeaders) headers[h.name] = { fromEnv: h.env };
  const target: Record<string, unknown> = { baseUrl: d.target.baseUrl };
  if (d.target.healthPath !== undefined) target.healthPath = d.target.healthPath;
  if (Object.keys(headers).length) target.headers = headers;
  const scenario: Record<string, unknown> = {
    thinkTime: d.scenario.thinkTime,
    requestTimeout: d.scenario.requestTimeout,
  };
  if (d.scenario.vars.length) scenario.vars = Object.fromEntries(d.scenario.vars.map((v) => [v.name, v.spec]));
  if (d.scenario.requests.length || !d.scenario.flows?.length)
    scenario.requests = d.scenario.requests.map((r) => requestObject(r, false));
  if (d.scenario.flows?.length)
    scenario.flows = d.scenario.flows.map((f) => {
      const o: Record<string, unknown> = { name: f.name };
      if (f.thinkTime !== undefined) o.thinkTime = f.thinkTime;
      if (f.onStepFailure !== undefined) o.onStepFailure = f.onStepFailure;
      o.steps = f.steps.map((s) => requestObject(s, true));
      return o;
    });
  return {
    apiVersion: 'readiness/v1',
    name: d.name,
    target,
    scenario,
    baseline: structuredClone(INIT_DEFAULTS.baseline),
    stress: structuredClone(INIT_DEFAULTS.stress),
  };
}

/** The pair of `map` whose key is `key`. */
function pairOf(map: unknown, key: string): Pair<Node, Node> | undefined {
  if (!isMap(map)) return undefined;
  return (map as YAMLMap<Node, Node>).items.find((p) => isScalar(p.key) && p.key.value === key);
}

/** Puts `lines` above the key `key` of `map`. */
function commentKey(map: unknown, key: string, lines: string[] | undefined): void {
  const text = comment(lines);
  const pair = pairOf(map, key);
  if (text && pair && pair.key) (pair.key as Node).commentBefore = text;
}

/** Writes small maps (`{ fromEnv: X }`, `{ range: [1, 100] }`, `expect`, `capture`) on one line. */
function flowStyle(node: unknown): void {
  if (isMap(node) || isSeq(node)) node.flow = true;
}

/** Attaches the comments of requests or steps, and writes their small maps on one line. */
function decorateRequests(seq: unknown, requests: DraftRequest[]): void {
  const items = (seq as YAMLSeq<YAMLMap> | undefined)?.items ?? [];
  items.forEach((item, i) => {
    const text = comment(requests[i]?.comment);
    if (text) item.commentBefore = text;
    for (const key of ['expect', 'capture', 'headers']) flowStyle(item.get(key, true));
  });
}

/** Renders the draft as the text of a campaign file, comments included. */
export function renderCampaignYaml(d: CampaignDraft): string {
  // Shared objects (a dereferenced spec reuses its examples) are written out each time, never as YAML aliases.
  const doc = new Document(draftToObject(d), { aliasDuplicateObjects: false });
  doc.commentBefore = comment(d.header) ?? null;

  const target = doc.get('target', true);
  commentKey(target, 'baseUrl', d.target.baseUrlComment);
  commentKey(target, 'healthPath', d.target.healthComment);
  const headers = doc.getIn(['target', 'headers'], true);
  for (const h of d.target.secretHeaders) {
    commentKey(headers, h.name, h.comment);
    flowStyle(doc.getIn(['target', 'headers', h.name], true));
  }

  const scenario = doc.get('scenario', true);
  commentKey(scenario, 'thinkTime', ['Think time of a virtual user between two requests.']);
  const vars = doc.getIn(['scenario', 'vars'], true);
  if (d.scenario.vars.length)
    commentKey(scenario, 'vars', ['Values for the {{placeholders}}: review them, ids must exist on the target.']);
  for (const v of d.scenario.vars) {
    commentKey(vars, v.name, v.comment);
    flowStyle(doc.getIn(['scenario', 'vars', v.name], true));
  }
  const requests = doc.getIn(['scenario', 'requests'], true);
  decorateRequests(requests, d.scenario.requests);
  const requestsNote = comment(d.scenario.requestsNote);
  if (requestsNote && isSeq(requests)) requests.comment = requestsNote;

  const flows = doc.getIn(['scenario', 'flows'], true) as YAMLSeq<YAMLMap> | undefined;
  (d.scenario.flows ?? []).forEach((f, i) => {
    const item = flows?.items[i];
    if (!item) return;
    const text = comment(f.comment);
    if (text) item.commentBefore = text;
    const steps = item.get('steps', true);
    decorateRequests(steps, f.steps);
    const note = comment(f.note);
    if (note && isSeq(steps)) steps.comment = note;
  });

  commentKey(doc.contents, 'baseline', [
    'A first, gentle measurement: 10 users for 2 minutes. Add phases (normal, peak, endurance) once it passes.',
  ]);
  for (const p of (doc.getIn(['baseline', 'phases'], true) as YAMLSeq | undefined)?.items ?? []) flowStyle(p);
  commentKey(doc.contents, 'stress', [
    'Progressive stress: +10 users a minute from 10 up to 200, stopping at the first step that breaks a criterion.',
  ]);
  flowStyle(doc.getIn(['stress', 'stopWhen'], true));

  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
