import type { Campaign, ScenarioFlow, ScenarioRequest } from './schema';
import { parseDurationMs } from '../core/duration';
import {
  parseCapturePath,
  placeholders,
  replacePlaceholders,
  scanPlaceholders,
  wholePlaceholder,
  type CapturePath,
  type Placeholder,
} from '../core/template';

type Scenario = Campaign['scenario'];

/** A source of uniform random numbers in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

/** Values captured from earlier responses of one virtual user (its session). */
export type Session = Record<string, string | number>;

/**
 * Every request the scenario can send: its independent requests, then the steps of its flows written in place (as
 * requests of weight 1). Names are unique across them (validated), so each is one endpoint of the results.
 */
export function scenarioRequests(scenario: Pick<Scenario, 'requests' | 'flows'>): ScenarioRequest[] {
  const out = [...scenario.requests];
  for (const f of scenario.flows ?? [])
    for (const st of f.steps)
      if (!('request' in st)) {
        const { thinkTime: _think, ...request } = st;
        out.push({ ...request, weight: 1 });
      }
  return out;
}

/** One step of a compiled flow: the request to send, and the think time after it (ms). */
export interface CompiledStep {
  request: ScenarioRequest;
  thinkMs: number;
}

/** A flow ready to run: its steps in order, resolved to requests, with their think times. */
export interface CompiledFlow {
  name: string;
  steps: CompiledStep[];
  /** A failed step ends the iteration (onStepFailure: stop). */
  stopOnFailure: boolean;
}

/** Resolves the flows' steps to requests and think times (step, else flow, else scenario think time). */
export function compileFlows(scenario: Scenario): CompiledFlow[] {
  const byName = new Map(scenarioRequests(scenario).map((r) => [r.name, r]));
  const ms = (d: string | undefined) => (d === undefined ? undefined : parseDurationMs(d));
  const scenarioThink = ms(scenario.thinkTime) ?? 0;
  return (scenario.flows ?? []).map((f: ScenarioFlow) => ({
    name: f.name,
    stopOnFailure: f.onStepFailure !== 'continue',
    steps: f.steps.map((st) => ({
      request: byName.get('request' in st ? st.request : st.name)!,
      thinkMs: ms(st.thinkTime) ?? ms(f.thinkTime) ?? scenarioThink,
    })),
  }));
}

/** Every `{{var}}` a request uses, in its path, JSON body and header values. */
function requestVars(request: ScenarioRequest): string[] {
  const out = new Set(placeholders(request.path));
  const walk = (v: unknown): void => {
    if (typeof v === 'string') placeholders(v).forEach((p) => out.add(p));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(request.json);
  for (const h of Object.values(request.headers ?? {})) if (typeof h === 'string') walk(h);
  return [...out];
}

/** A request ready to send, with its variables resolved. */
export interface RenderedRequest {
  request: ScenarioRequest;
  path: string;
  body?: string;
  headers: Record<string, string>;
  /** True when the request has no variables, body or headers: the same object is returned every time. */
  fixed?: true;
}

/** A scenario ready to drive: weighted picking and `{{var}}` rendering without re-parsing. */
export interface CompiledScenario {
  /** Picks a request by weight among those whose captured variables this session has. */
  pick(random: Random, session: Session): ScenarioRequest;
  /** Renders a request's path, body and headers with session captures first, then generated vars. */
  render(request: ScenarioRequest, random: Random, session: Session): RenderedRequest;
  /** Capture paths per request name. */
  captures: Map<string, Array<[string, CapturePath]>>;
  /** The flows, when the scenario has any: a user then runs journeys, not independent requests. */
  flows?: CompiledFlow[];
  /** Picks a flow by weight (scenarios with flows). */
  pickFlow(random: Random): CompiledFlow;
}

/** Compiles the scenario's weights, variable generators and capture paths once per phase. */
export function compileScenario(scenario: Scenario): CompiledScenario {
  const gen: Record<string, (random: Random) => string | number> = {};
  for (const [name, spec] of Object.entries(scenario.vars)) {
    if ('range' in spec) {
      const [min, max] = spec.range;
      gen[name] = (random) => min + Math.floor(random() * (max - min + 1));
    } else {
      const list = spec.list;
      gen[name] = (random) => list[Math.floor(random() * list.length)];
    }
  }
  const captures = new Map<string, Array<[string, CapturePath]>>();
  const sendable = scenarioRequests(scenario);
  for (const r of sendable) {
    const list = Object.entries(r.capture ?? {}).map(
      ([name, p]) => [name, parseCapturePath(p) ?? []] as [string, CapturePath],
    );
    if (list.length) captures.set(r.name, list);
  }
  // Variables that only a capture provides: a request needing one waits until its session has it.
  const capturedOnly = new Set(
    [...captures.values()]
      .flat()
      .map(([name]) => name)
      .filter((n) => !(n in gen)),
  );
  const needs = new Map(scenario.requests.map((r) => [r.name, requestVars(r).filter((v) => capturedOnly.has(v))]));
  const ready = (r: ScenarioRequest, s: Session) => needs.get(r.name)!.every((v) => v in s);
  const total = scenario.requests.reduce((sum, r) => sum + r.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of scenario.requests) cumulative.push((acc += r.weight));

  // The texts of a scenario are few and fixed: each is scanned once, not at every request.
  const scanned = new Map<string, Placeholder[]>();
  const scan = (text: string) => {
    let found = scanned.get(text);
    if (!found) scanned.set(text, (found = scanPlaceholders(text)));
    return found;
  };
  const value = (name: string, random: Random, session: Session) =>
    name in session ? session[name] : (gen[name]?.(random) ?? '');
  const renderText = (text: string, random: Random, session: Session, encode: boolean) =>
    replacePlaceholders(
      text,
      (name) => {
        const v = String(value(name, random, session));
        return encode ? encodeURIComponent(v) : v;
      },
      scan,
    );
  const renderJson = (v: unknown, random: Random, session: Session): unknown => {
    if (typeof v === 'string') {
      const whole = wholePlaceholder(v, scan);
      return whole !== undefined ? value(whole, random, session) : renderText(v, random, session, false);
    }
    if (Array.isArray(v)) return v.map((x) => renderJson(x, random, session));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderJson(x, random, session)]));
    return v;
  };

  const pickByWeight = (random: Random) => {
    const x = random() * total;
    const i = cumulative.findIndex((c) => x < c);
    return scenario.requests[i === -1 ? scenario.requests.length - 1 : i];
  };

  // Requests without placeholders, body or headers render to the same thing every time: build them once.
  const fixed = new Map<string, RenderedRequest>();
  for (const r of sendable) {
    if (requestVars(r).length === 0 && r.json === undefined && !r.headers)
      fixed.set(r.name, Object.freeze({ request: r, path: r.path, headers: {}, fixed: true }) as RenderedRequest);
  }
  const single =
    scenario.requests.length === 1 && !needs.get(scenario.requests[0].name)!.length ? scenario.requests[0] : undefined;

  const flows = scenario.flows?.length ? compileFlows(scenario) : undefined;
  const flowTotal = (scenario.flows ?? []).reduce((sum, f) => sum + f.weight, 0);
  const flowCumulative: number[] = [];
  let flowAcc = 0;
  for (const f of scenario.flows ?? []) flowCumulative.push((flowAcc += f.weight));

  return {
    captures,
    flows,
    pickFlow(random) {
      const x = random() * flowTotal;
      const i = flowCumulative.findIndex((c) => x < c);
      return flows![i === -1 ? flows!.length - 1 : i]!;
    },
    pick(random, session) {
      if (single) return single;
      for (let attempt = 0; attempt < 8; attempt++) {
        const r = pickByWeight(random);
        if (ready(r, session)) return r;
      }
      return scenario.requests.find((r) => ready(r, session)) ?? scenario.requests[0];
    },
    render(request, random, session) {
      const pre = fixed.get(request.name);
      if (pre) return pre;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers ?? {}))
        if (typeof v === 'string') headers[k.toLowerCase()] = renderText(v, random, session, false);
      const out: RenderedRequest = { request, path: renderText(request.path, random, session, true), headers };
      if (request.json !== undefined) {
        out.body = JSON.stringify(renderJson(request.json, random, session));
        headers['content-type'] = 'application/json';
      }
      return out;
    },
  };
}

/** True when a response status counts as success for this request (its `expect`, else < 400). */
export function isExpectedStatus(request: ScenarioRequest, status: number): boolean {
  const expected = request.expect?.status;
  if (expected === undefined) return status < 400;
  return Array.isArray(expected) ? expected.includes(status) : expected === status;
}
