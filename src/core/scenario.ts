import type { Campaign, ScenarioRequest } from '../config/schema';

type Scenario = Campaign['scenario'];

/** A source of uniform random numbers in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

/** A scenario ready to drive: weighted picking and `{{var}}` rendering without re-parsing. */
export interface CompiledScenario {
  /** Picks a request by weight. */
  pick(random: Random): ScenarioRequest;
  /** Renders a request's path with fresh variable values. */
  renderPath(request: ScenarioRequest, random: Random): string;
}

/** Compiles the scenario's weights and variable generators once per phase. */
export function compileScenario(scenario: Scenario): CompiledScenario {
  const total = scenario.requests.reduce((sum, r) => sum + r.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of scenario.requests) cumulative.push((acc += r.weight));

  const gen: Record<string, (random: Random) => string> = {};
  for (const [name, spec] of Object.entries(scenario.vars)) {
    if ('range' in spec) {
      const [min, max] = spec.range;
      gen[name] = (random) => String(min + Math.floor(random() * (max - min + 1)));
    } else {
      const list = spec.list;
      gen[name] = (random) => String(list[Math.floor(random() * list.length)]);
    }
  }

  return {
    pick(random) {
      const x = random() * total;
      const i = cumulative.findIndex((c) => x < c);
      return scenario.requests[i === -1 ? scenario.requests.length - 1 : i];
    },
    renderPath(request, random) {
      return request.path.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_, name: string) => encodeURIComponent(gen[name](random)));
    },
  };
}

/** True when a response status counts as success for this request (its `expect`, else < 400). */
export function isExpectedStatus(request: ScenarioRequest, status: number): boolean {
  const expected = request.expect?.status;
  if (expected === undefined) return status < 400;
  return Array.isArray(expected) ? expected.includes(status) : expected === status;
}
