import { assessGenerator } from '../../src/core/generator-health';
import {
  intendedIterations,
  planFromPhase,
  rateAt,
  shiftPlan,
  splitCount,
  splitPlan,
  statusClass,
  type LoadPlan,
} from '../../src/config/load-plan';
import { compileScenario } from '../../src/config/scenario';
import { extract, parseCapturePath } from '../../src/core/template';
import { parseCampaignYaml, validateCampaign } from '../../src/config/load';
import { buildReport } from '../../src/report/model';
import { renderMarkdown } from '../../src/report/markdown';
import { addSparse, Metrics, newHistogram, Timeline, toSparse } from '../../src/engine/metrics';
import { summarizePhase } from '../../src/engine/summary';

const base: LoadPlan = {
  model: 'open',
  durationMs: 60_000,
  users: 0,
  rampUpMs: 0,
  thinkTimeMs: 0,
  rate: 100,
  stages: [],
  maxInFlight: 1000,
  dropAfterMs: 10_000,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 1 << 20,
};

describe('load plans', () => {
  test.each([
    [10, 3, [4, 3, 3]],
    [2, 4, [1, 1, 0, 0]],
    [0, 2, [0, 0]],
    [300, 1, [300]],
  ])('when %d is split in %d, then the parts are %j', (total, parts, expected) => {
    expect(splitCount(total, parts)).toEqual(expected);
    expect(splitCount(total, parts).reduce((a, b) => a + b, 0)).toBe(total);
  });

  test('when a plan is split across generators, then users add up and rates are divided exactly', () => {
    const parts = splitPlan(
      { ...base, model: 'closed', users: 7, rate: 90, stages: [{ target: 300, durationMs: 1000 }] },
      3,
    );
    expect(parts.map((p) => p.users)).toEqual([3, 2, 2]);
    expect(parts.map((p) => p.rate)).toEqual([30, 30, 30]);
    expect(parts.reduce((a, p) => a + p.stages[0].target, 0)).toBeCloseTo(300);
  });

  test.each([
    [0, 100],
    [5_000, 150],
    [10_000, 200],
    [15_000, 200],
  ])('when ramping 100 -> 200 req/s over 10 s, then the rate at %d ms is %d', (t, r) => {
    expect(rateAt({ rate: 100, stages: [{ target: 200, durationMs: 10_000 }] }, t)).toBeCloseTo(r);
  });

  test('when the arrival rate ramps, then intended iterations are its integral', () => {
    const plan = { rate: 100, stages: [{ target: 200, durationMs: 10_000 }] };
    expect(intendedIterations(plan, 10_000)).toBeCloseTo(1500);
    expect(intendedIterations(plan, 20_000)).toBeCloseTo(3500);
    expect(intendedIterations({ rate: 50, stages: [] }, 2_000)).toBeCloseTo(100);
  });

  test.each([
    [200, '2xx'],
    [201, '2xx'],
    [304, '3xx'],
    [404, '4xx'],
    [503, '5xx'],
    [undefined, 'err'],
  ])('when the status is %p, then the class is %s', (s, c) => {
    expect(statusClass(s)).toBe(c);
  });

  test('when an open phase sets no in-flight cap, then it covers the peak rate for a request timeout', () => {
    const c = parseCampaignYaml(`apiVersion: readiness/v1
name: x
target: { baseUrl: "http://127.0.0.1:1" }
scenario: { requestTimeout: 2s, requests: [{ name: a, method: GET, path: / }] }
baseline: { phases: [{ name: o, model: open, rate: 100, stages: [{ target: 400, duration: 10s }], duration: 20s }] }
`);
    const plan = planFromPhase(c.baseline!.phases[0], c.scenario);
    expect(plan).toMatchObject({
      model: 'open',
      rate: 100,
      stages: [{ target: 400, durationMs: 10_000 }],
      maxInFlight: 800,
      dropAfterMs: 2_000,
      durationMs: 20_000,
    });
  });
});

describe('generator health', () => {
  test.each([
    [
      'an idle closed generator',
      true,
      { model: 'closed' as const, eventLoopDelayP99Ms: 11, schedulerLagP99Ms: 0, eluMean: 0.2 },
    ],
    [
      'a saturated event loop',
      false,
      { model: 'closed' as const, eventLoopDelayP99Ms: 400, schedulerLagP99Ms: 0, eluMean: 0.5 },
    ],
    ['busy threads', false, { model: 'closed' as const, eventLoopDelayP99Ms: 20, schedulerLagP99Ms: 0, eluMean: 0.97 }],
    [
      'late open-model starts',
      false,
      { model: 'open' as const, eventLoopDelayP99Ms: 20, schedulerLagP99Ms: 600, eluMean: 0.5 },
    ],
    [
      'a shortfall while idle (the target is slow)',
      true,
      {
        model: 'open' as const,
        eventLoopDelayP99Ms: 11,
        schedulerLagP99Ms: 2,
        eluMean: 0.3,
        achievedRate: 50,
        intendedRate: 200,
      },
    ],
    [
      'a shortfall while busy',
      false,
      {
        model: 'open' as const,
        eventLoopDelayP99Ms: 11,
        schedulerLagP99Ms: 2,
        eluMean: 0.95,
        achievedRate: 50,
        intendedRate: 200,
      },
    ],
  ])('when the generator shows %s, then valid=%p', (_what, valid, obs) => {
    const r = assessGenerator(obs);
    expect(r.valid).toBe(valid);
    expect(r.reasons.length > 0).toBe(!valid);
  });
});

describe('captures', () => {
  test.each([
    ['id', ['id']],
    ['$.data.id', ['data', 'id']],
    ['items[2].id', ['items', 2, 'id']],
    ['a.b[0][1]', ['a', 'b', 0, 1]],
  ])('when %s is parsed, then it is %j', (text, path) => expect(parseCapturePath(text)).toEqual(path));

  test.each(['', 'a..b', 'a[x]', '[0', 'a b'])('when %p is parsed, then it is rejected', (text) =>
    expect(parseCapturePath(text)).toBeUndefined(),
  );

  test('when a value is extracted, then only strings and numbers are captured', () => {
    const body = { data: { id: 7, name: 'n', tags: ['x'], obj: {} } };
    expect(extract(body, ['data', 'id'])).toBe(7);
    expect(extract(body, ['data', 'tags', 0])).toBe('x');
    expect(extract(body, ['data', 'obj'])).toBeUndefined();
    expect(extract(body, ['nope', 'id'])).toBeUndefined();
  });

  test('when a request needs a captured value, then it waits until the session has it and renders it everywhere', () => {
    const s = compileScenario({
      thinkTime: '0s',
      requestTimeout: '1s',
      vars: { n: { range: [3, 3] } },
      requests: [
        { name: 'create', method: 'POST', path: '/g', weight: 1, capture: { gid: 'id' } },
        {
          name: 'patch',
          method: 'PATCH',
          path: '/g/{{gid}}',
          weight: 100,
          json: { id: '{{gid}}', note: 'n={{n}}' },
          headers: { 'X-Goal': '{{gid}}' },
        },
      ],
    });
    expect(s.pick(() => 0.99, {}).name).toBe('create');
    const session = { gid: 42 };
    const patch = s.pick(() => 0.99, session);
    expect(patch.name).toBe('patch');
    const r = s.render(patch, () => 0, session);
    expect(r).toMatchObject({
      path: '/g/42',
      body: '{"id":42,"note":"n=3"}',
      headers: { 'x-goal': '42', 'content-type': 'application/json' },
    });
  });
});

describe('campaign validation of load features', () => {
  const base = {
    apiVersion: 'readiness/v1',
    name: 'x',
    target: { baseUrl: 'http://127.0.0.1:1' },
    scenario: { requests: [{ name: 'a', method: 'GET', path: '/' }] },
  };
  const problems = (baseline: unknown, scenario?: unknown) => {
    const r = validateCampaign({ ...base, ...(scenario ? { scenario } : {}), baseline });
    return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
  };

  test('when baseline sets no phases, then the seed phases apply: smoke 10, normal 50, peak 200, endurance 100', () => {
    const r = validateCampaign({ ...base, baseline: {} });
    expect(r.ok && r.campaign.baseline!.phases.map((p) => [p.name, p.users])).toEqual([
      ['smoke', 10],
      ['normal', 50],
      ['peak', 200],
      ['endurance', 100],
    ]);
  });

  test.each([
    [{ phases: [{ name: 'p', duration: '1s' }] }, 'baseline.phases[0].users: users is required for the closed model'],
    [
      { phases: [{ name: 'p', model: 'open', duration: '1s' }] },
      'baseline.phases[0].rate: the open model needs a rate',
    ],
    [
      { phases: [{ name: 'p', users: 3, rate: 5, duration: '1s' }] },
      'baseline.phases[0].rate: rate and stages belong to the open model',
    ],
    [
      { phases: [{ name: 'p', model: 'open', users: 3, rate: 5, duration: '1s' }] },
      'baseline.phases[0].users: users belongs to the closed model',
    ],
    [{ phases: [{ name: 'p', users: 3, duration: '1s', generators: 0 }] }, 'baseline.phases[0].generators:'],
    [
      { phases: [{ name: 'p', users: 3, duration: '1s' }], thresholds: [{ threshold: 'p(95)<100', endpoint: 'zzz' }] },
      'baseline.thresholds[0].endpoint: unknown endpoint "zzz"',
    ],
    [
      { phases: [{ name: 'p', users: 3, duration: '1s' }], thresholds: [{ threshold: 'p(95)<<1' }] },
      'baseline.thresholds[0].threshold: invalid threshold',
    ],
  ])('when the baseline is %j, then the problem reads "%s"', (baseline, expected) => {
    expect(problems(baseline).some((p) => p.startsWith(expected))).toBe(true);
  });

  test('when a path uses a captured variable, then it is valid; a bad capture path is named', () => {
    const scenario = {
      requests: [
        { name: 'c', method: 'POST', path: '/x', capture: { id: 'data.id', bad: 'a..b' } },
        { name: 'r', method: 'GET', path: '/x/{{id}}' },
      ],
    };
    expect(problems({ phases: [{ name: 'p', users: 1, duration: '1s' }] }, scenario)).toEqual([
      'scenario.requests[0].capture.bad: invalid capture path: expected e.g. id, data.items[0].id',
    ]);
  });
});

describe('resuming a plan part-way', () => {
  test('when a run resumes 45 s into stages, then the rate continues from where it was and only the rest of the stages remain', () => {
    // 10 req/s, then to 100 over 60 s, then to 50 over 30 s; 120 s in all.
    const plan: LoadPlan = {
      ...base,
      model: 'open',
      durationMs: 120_000,
      rate: 10,
      stages: [
        { target: 100, durationMs: 60_000 },
        { target: 50, durationMs: 30_000 },
      ],
    };
    const rest = shiftPlan(plan, 45_000);
    expect(rest.durationMs).toBe(75_000);
    expect(rest.rate).toBeCloseTo(77.5, 6);
    expect(rest.stages).toEqual([
      { target: 100, durationMs: 15_000 },
      { target: 50, durationMs: 30_000 },
    ]);
    // The shifted plan intends what the original still had to do.
    expect(intendedIterations(rest, 75_000)).toBeCloseTo(
      intendedIterations(plan, 120_000) - intendedIterations(plan, 45_000),
      6,
    );
    expect(shiftPlan(plan, 0)).toBe(plan);
    expect(shiftPlan(plan, 100_000)).toMatchObject({ rate: 50, stages: [], durationMs: 20_000 });
  });

  test('when a closed-model run resumes during its ramp-up, then the ramp continues from the same point', () => {
    const plan: LoadPlan = { ...base, model: 'closed', users: 100, rampUpMs: 10_000, durationMs: 60_000 };
    expect(shiftPlan(shiftPlan(plan, 3_000), 1_000)).toMatchObject({
      rampUpMs: 10_000,
      rampOffsetMs: 4_000,
      durationMs: 56_000,
    });
  });
});

describe('phase summary and report', () => {
  test('when a generator only left notes (late start, clock skew), then the phase still passes; an abortOnFail early stop fails it', () => {
    const m = new Metrics();
    for (let i = 0; i < 100; i++) m.record('get-goal', 200, true, 10_000);
    const input = {
      name: 'p',
      plan: { ...base, model: 'closed' as const, users: 10 },
      metrics: m,
      elapsedMs: 10_000,
      generators: 2,
      aborted: false,
      resumedFromMs: 0,
      attempt: 1,
      health: { threads: 1, eventLoopDelayP99Ms: 1, eluMean: 0.1, schedulerLagP99Ms: 0 },
      thresholds: ['p(95)<500'],
      notes: ['generator 1 started 1500 ms after the shared start'],
    };
    expect(summarizePhase(input)).toMatchObject({
      assessment: 'pass',
      notes: ['generator 1 started 1500 ms after the shared start'],
    });
    expect(summarizePhase({ ...input, stoppedEarly: true }).assessment).toBe('fail');
  });

  test('when measurements are summarised, then endpoints, error breakdown and scoped thresholds come out, and report.md has the endpoint table', () => {
    const m = new Metrics();
    for (let i = 0; i < 90; i++) m.record('get-goal', 200, true, 10_000);
    for (let i = 0; i < 10; i++) m.record('get-goal', 404, false, 5_000);
    for (let i = 0; i < 50; i++) m.record('list', 200, true, 2_000);
    m.record('list', undefined, false, 300_000, 'timeout');
    const plan = { ...base, model: 'closed' as const, users: 10 };
    const r = summarizePhase({
      name: 'peak',
      plan,
      metrics: m,
      elapsedMs: 10_000,
      generators: 1,
      aborted: false,
      resumedFromMs: 0,
      attempt: 1,
      health: { threads: 1, eventLoopDelayP99Ms: 11, eluMean: 0.2, schedulerLagP99Ms: 0 },
      thresholds: [
        'p(95)<500',
        { threshold: 'error_rate<0.05', endpoint: 'get-goal', abortOnFail: false },
        { threshold: 'error_rate<0.05', endpoint: 'list', abortOnFail: false },
      ],
    });
    expect(r.requests).toBe(151);
    expect(r.errors).toBe(11);
    expect(r.throughputRps).toBe(15.1);
    expect(r.endpoints.map((e) => [e.name, e.requests, e.errors])).toEqual([
      ['get-goal', 100, 10],
      ['list', 51, 1],
    ]);
    expect(r.errorBreakdown).toEqual([
      { endpoint: 'get-goal', kind: '404', count: 10 },
      { endpoint: 'list', kind: 'timeout', count: 1 },
    ]);
    expect(r.thresholds).toEqual([
      { threshold: 'p(95)<500', ok: true, observed: 10.007 },
      { threshold: 'error_rate<0.05', endpoint: 'get-goal', ok: false, observed: 0.1 },
      { threshold: 'error_rate<0.05', endpoint: 'list', ok: true, observed: 0.02 },
    ]);
    expect(r.assessment).toBe('fail');
    expect(r.latencyMs.max).toBeLessThan(20);

    const report = buildReport(
      {
        campaign: { id: 'c1', name: 'n', target: 'http://t', configHash: 'abcdef0123456789', startedAt: 'x' },
        phases: {
          baseline: { status: 'fail' },
          stress: { status: 'not_run' },
          spike: { status: 'not_run' },
          monitoring: { status: 'not_run' },
          backup: { status: 'not_run' },
          faults: { status: 'not_run' },
          checklist: { status: 'not_run' },
        },
        baseline: { thresholds: ['p(95)<500'], phases: [r] },
      },
      '2026-11-22T00:00:00Z',
    );
    const md = renderMarkdown(report);
    expect(md).toContain('| Endpoint | Requests | Failures | Error Rate | P50 | P95 | P99 |');
    expect(md).toContain('| get-goal | 100 | 10 | **10.00%** |');
    expect(md).toContain('10 × HTTP 404 on get-goal');
    expect(report.baseline.phases[0].errors).toHaveLength(2);
  });

  test('when windows from two generators are merged, then counts add and percentiles come from the merged histogram', () => {
    const a = new Timeline();
    const b = new Timeline();
    for (let i = 0; i < 100; i++) a.record(3, true, 1_000);
    for (let i = 0; i < 100; i++) b.record(3, i % 2 === 0, 9_000);
    const merged = new Timeline();
    for (const w of [...a.drain(), ...b.drain()]) merged.merge(w);
    const [w] = merged.drain();
    expect(w).toMatchObject({ second: 3, requests: 200, errors: 50 });
  });
});

describe('sparse histograms (load thread to coordinator)', () => {
  test.each([
    ['one value', [20_000]],
    ['one bucket, several values', [20_000, 20_001, 20_004]],
    ['a wide spread', [1, 7, 950, 20_000, 20_500, 1_234_567, 3_000_000_000]],
    ['nothing', []],
  ])('when %s is carried sparse, then counts, min, max and percentiles come out as recorded', (_name, values) => {
    const h = newHistogram();
    for (const v of values) h.recordValue(v);
    const back = newHistogram();
    addSparse(back, toSparse(h));
    expect(back.totalCount).toBe(h.totalCount);
    if (values.length) {
      expect(back.minNonZeroValue).toBe(Math.min(...values));
      expect(back.maxValue).toBe(Math.max(...values));
    }
    for (const p of [1, 50, 90, 99, 99.9, 100]) expect(back.getValueAtPercentile(p)).toBe(h.getValueAtPercentile(p));
  });

  test("when a thread's metrics travel sparse, then merging them equals merging the compressed encoding", () => {
    const m = new Metrics();
    for (let i = 0; i < 500; i++)
      m.record(i % 3 ? 'get' : 'post', i % 7 ? 200 : 503, i % 7 !== 0, 1_000 + i * 37, i % 7 ? undefined : undefined);
    const viaSparse = new Metrics();
    viaSparse.mergeSparse(m.encodeSparse());
    const viaCompressed = new Metrics();
    viaCompressed.merge(m.encode());
    expect(viaSparse.totals()).toEqual(viaCompressed.totals());
    for (const ep of ['get', 'post']) {
      for (const p of [50, 95, 99])
        expect(viaSparse.latency(ep).getValueAtPercentile(p)).toBe(viaCompressed.latency(ep).getValueAtPercentile(p));
    }
  });
});
