import {
  judgeStep,
  nextAdaptiveStep,
  nextStressStep,
  operatingZones,
  recoveryTime,
  summarizeStress,
  type StepResult,
} from '../../src/core/stress';
import { validateCampaign } from '../../src/config/load';

const step = (level: number, over: Partial<StepResult> = {}): StepResult => ({
  index: 0,
  level,
  requests: 1000,
  errors: 0,
  throughputRps: level,
  goodputRps: level,
  errorRate: 0,
  latencyMs: { p50: 10, p95: 40, p99: 80, max: 200, avg: 15 },
  invalid: false,
  status: 'pass',
  ...over,
});

const STOP = ['error_rate>0.01', 'p(95)>1000'];

describe('judging a stress step', () => {
  test.each([
    ['within both criteria', {}, 'pass', undefined],
    [
      'error rate over 1 %',
      { errorRate: 0.0704 },
      'fail',
      { criterion: 'error_rate>0.01', observed: 0.0704, threshold: 0.01 },
    ],
    [
      'p95 over 1 s',
      { latencyMs: { p50: 180, p95: 2100, p99: 4400, max: 9000, avg: 300 } },
      'fail',
      { criterion: 'p(95)>1000', observed: 2100, threshold: 1000 },
    ],
    ['exactly at the limit', { errorRate: 0.01 }, 'pass', undefined],
    ['a starved generator', { invalid: true, errorRate: 0.5 }, 'invalid', undefined],
  ])('when a step has %s, then it is %s', (_what, over, status, failed) => {
    const r = judgeStep(step(300, over as Partial<StepResult>), STOP);
    expect(r.status).toBe(status);
    expect(r.failed).toEqual(failed);
  });
});

describe('the linear ramp', () => {
  const limits = { start: 200, step: 100, max: 500, invalidRetries: 1 };
  test.each([
    ['nothing ran yet', [], { next: 200, rerun: false }],
    ['the last step passed', [step(200)], { next: 300, rerun: false }],
    ['the last step failed', [step(200), step(300, { status: 'fail' })], { stop: 'breaking_point' }],
    ['the next step would pass the maximum', [step(400), step(500)], { stop: 'max_reached' }],
    ['the last step was invalid once', [step(200), step(300, { status: 'invalid' })], { next: 300, rerun: true }],
    [
      'the last step was invalid twice',
      [step(300, { status: 'invalid' }), step(300, { status: 'invalid' })],
      { stop: 'generator_invalid' },
    ],
  ])('when %s, then %j', (_what, steps, decision) => {
    expect(nextStressStep(steps as StepResult[], limits)).toEqual(decision);
  });
});

describe('summarising a stress run (the hand-run campaign shape)', () => {
  // 200 users fine at 140 req/s; 300 fails at 7 % errors; throughput stuck near 150 req/s.
  const steps = [
    step(100, { goodputRps: 71, throughputRps: 71 }),
    step(200, { goodputRps: 140, throughputRps: 140, latencyMs: { p50: 21, p95: 120, p99: 330, max: 1906, avg: 30 } }),
    step(300, {
      goodputRps: 143.3,
      throughputRps: 154.2,
      errorRate: 0.0704,
      status: 'fail',
      failed: { criterion: 'error_rate>0.01', observed: 0.0704, threshold: 0.01 },
      latencyMs: { p50: 180, p95: 2100, p99: 4400, max: 9000, avg: 300 },
    }),
  ];
  test('when the run stops at a failing step, then ceiling, breaking point and load-minutes follow', () => {
    const s = summarizeStress(steps, 'breaking_point', 120);
    expect(s.capacityCeiling).toEqual({ users: 200, throughputRps: 140, goodputRps: 140, p95Ms: 120 });
    expect(s.breakingPoint).toEqual({ users: 300, criterion: 'error_rate>0.01', observed: 0.0704, threshold: 0.01 });
    expect(s.maxThroughputRps).toBe(143.3);
    expect(s.loadMinutes).toBe(1200);
    expect(s.throughputPlateau).toBeUndefined();
  });

  test('when throughput stops growing with load, then a plateau is reported from where it flattened', () => {
    const flat = [
      step(100, { goodputRps: 100 }),
      step(200, { goodputRps: 148 }),
      step(300, { goodputRps: 150 }),
      step(400, { goodputRps: 151 }),
    ];
    expect(summarizeStress(flat, 'max_reached', 60).throughputPlateau).toEqual({ fromUsers: 200, throughputRps: 151 });
  });

  test('when steps were invalid, then they are never the breaking point', () => {
    const s = summarizeStress(
      [step(200), step(300, { status: 'invalid', invalid: true, errorRate: 0.5 })],
      'generator_invalid',
      60,
    );
    expect(s.breakingPoint).toBeUndefined();
    expect(s.capacityCeiling?.users).toBe(200);
  });

  test('when zones are derived, then green is fast and clean, yellow passes, red starts at the breaking point', () => {
    const z = operatingZones([
      step(100),
      step(150),
      step(200, { latencyMs: { p50: 21, p95: 300, p99: 330, max: 1906, avg: 30 } }),
      step(300, { status: 'fail' }),
    ]);
    expect(z).toEqual({
      green: { upToUsers: 150 },
      yellow: { fromUsers: 200, upToUsers: 200 },
      red: { fromUsers: 300 },
    });
  });
});

describe('spike recovery', () => {
  const base = { p95Ms: 20, errorRate: 0 };
  const w = (startS: number, p95Ms: number | null, errors = 0, requests = 100) => ({ startS, requests, errors, p95Ms });
  test.each([
    ['good from the start', [w(0, 18), w(5, 19), w(10, 20)], 0],
    ['good after 10 s', [w(0, 900, 40), w(5, 300), w(10, 21), w(15, 22), w(20, 19)], 10],
    ['one good window then bad again', [w(0, 900), w(5, 21), w(10, 500), w(15, 20), w(20, 20), w(25, 20)], 15],
    ['errors stay high', [w(0, 20, 50), w(5, 20, 50), w(10, 20, 50)], undefined],
    ['no traffic (target down)', [w(0, null, 0, 0), w(5, null, 0, 0), w(10, null, 0, 0)], undefined],
  ])('when the target is %s, then it recovered at %p s', (_what, windows, t) => {
    expect(recoveryTime(windows, base, { windows: 3, tolerance: 0.2 })).toBe(t);
  });
});

describe('stress and spike configuration', () => {
  const base = {
    apiVersion: 'readiness/v1',
    name: 'x',
    target: { baseUrl: 'http://127.0.0.1:1' },
    scenario: { requests: [{ name: 'a', method: 'GET', path: '/' }] },
  };
  test('when stress is empty, then the seed defaults apply: 200 users, +100 every 2 m, stop at 1 % errors or p95 1 s', () => {
    const r = validateCampaign({ ...base, stress: {} });
    expect(r.ok && r.campaign.stress).toMatchObject({
      model: 'closed',
      startUsers: 200,
      stepUsers: 100,
      stepDuration: '2m',
      stopWhen: ['error_rate>0.01', 'p(95)>1000'],
    });
  });

  test.each([
    [{ stress: { startUsers: 500, maxUsers: 100 } }, 'stress.maxUsers: maxUsers must be >= startUsers'],
    [{ stress: { warmup: '3m' } }, 'stress.warmup: warmup must be shorter than stepDuration'],
    [{ stress: { stopWhen: ['p(90)>100'] } }, 'stress.stopWhen[0]: stop criteria use p(50), p(95) or p(99)'],
    [{ stress: { stopWhen: ['errors>1'] } }, 'stress.stopWhen[0]: invalid threshold'],
    [{ spike: { duration: '5m' } }, 'spike.users:'],
    [{ spike: { users: 500, duration: '5m', recovery: { windows: 0 } } }, 'spike.recovery.windows:'],
  ])('when the file has %j, then the problem reads "%s"', (extra, expected) => {
    const r = validateCampaign({ ...base, ...extra });
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
      ]),
    );
  });
});

describe('adaptive search', () => {
  // A target that passes up to its capacity and fails above it.
  const simulate = (capacity: number, decide: (steps: StepResult[]) => ReturnType<typeof nextStressStep>) => {
    const steps: StepResult[] = [];
    for (let i = 0; i < 100; i++) {
      const d = decide(steps);
      if ('stop' in d) return { steps, stop: d.stop };
      const fail = d.next > capacity;
      steps.push(
        step(d.next, {
          index: i,
          durationS: d.probe ? 60 : 120,
          status: fail ? 'fail' : 'pass',
          ...(fail ? { failed: { criterion: 'error_rate>0.01', observed: 0.05, threshold: 0.01 } } : {}),
        }),
      );
    }
    throw new Error('no stop');
  };

  // Adaptive pays off when the capacity is far above the start (here 20+ linear steps); below that it
  // still finds the same answer.
  test.each([[2_730], [1_234], [5_000], [650], [2_100]])(
    'when the capacity is %d, then adaptive finds the linear answer (within a step), for at most half the load-minutes from 2,000 on',
    (capacity) => {
      const linear = simulate(capacity, (s) =>
        nextStressStep(s, { start: 200, step: 100, max: 20_000, invalidRetries: 1 }),
      );
      const adaptive = simulate(capacity, (s) =>
        nextAdaptiveStep(s, { start: 200, max: 20_000, resolution: 0.02, invalidRetries: 1 }),
      );
      const lin = summarizeStress(linear.steps, 'breaking_point', 120);
      const ada = summarizeStress(adaptive.steps, 'breaking_point', 120);
      expect(Math.abs(ada.capacityCeiling!.users - lin.capacityCeiling!.users)).toBeLessThanOrEqual(100);
      expect(ada.breakingPoint!.users).toBeGreaterThan(ada.capacityCeiling!.users);
      if (capacity >= 2_000) expect(ada.loadMinutes).toBeLessThanOrEqual(lin.loadMinutes / 2);
      // The answer was held twice (the confirming hold).
      expect(adaptive.steps.filter((s) => s.level === ada.capacityCeiling!.users)).toHaveLength(2);
    },
  );

  test('when nothing fails up to the maximum, then the search stops there', () => {
    const r = simulate(1e9, (s) =>
      nextAdaptiveStep(s, { start: 100, max: 1_000, resolution: 0.05, invalidRetries: 1 }),
    );
    expect(r.stop).toBe('max_reached');
    expect(r.steps.map((s) => s.level)).toEqual([100, 200, 400, 800, 1_000]);
  });
});
