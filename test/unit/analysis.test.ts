import fc from 'fast-check';
import { buildAnalysis, operationOf, type AnalysisInput } from '../../src/core/analysis';
import { compareDistributions, mannWhitney, percentileMs, type SparseCounts } from '../../src/core/distribution';
import { fitUsl, uslThroughput } from '../../src/core/usl';
import type { StressSummary } from '../../src/core/stress';

/** A sparse histogram (µs) from latencies in ms. */
function sparse(ms: number[]): SparseCounts {
  const counts = new Map<number, number>();
  for (const v of ms) counts.set(Math.round(v * 1000), (counts.get(Math.round(v * 1000)) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).flat();
}

/** A deterministic pseudo-random stream (tests must not depend on Math.random's luck). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Latencies around `base` ms with a long right tail. */
function latencies(n: number, base: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => base * (0.8 + 0.4 * r()) + (r() < 0.05 ? base * 3 * r() : 0));
}

describe('the Universal Scalability Law fit', () => {
  test.each([
    ['contention and coherency', { lambda: 2, sigma: 0.05, kappa: 0.0002 }],
    ['contention only', { lambda: 10, sigma: 0.1, kappa: 0 }],
    ['strong coherency', { lambda: 1, sigma: 0.02, kappa: 0.001 }],
  ])('when the levels follow a known curve (%s), then the fit recovers sigma and kappa within 5 %', (_what, truth) => {
    const levels = [1, 5, 10, 20, 40, 60, 80, 100].map((n) => ({ n, x: uslThroughput(n, truth) }));
    const fit = fitUsl(levels);
    if (!fit.evaluable) throw new Error(fit.reason);
    expect(fit.lambda).toBeCloseTo(truth.lambda, 2);
    expect(Math.abs(fit.sigma - truth.sigma)).toBeLessThanOrEqual(truth.sigma * 0.05 + 1e-9);
    expect(Math.abs(fit.kappa - truth.kappa)).toBeLessThanOrEqual(truth.kappa * 0.05 + 1e-9);
    expect(fit.r2).toBeGreaterThan(0.999);
    if (truth.kappa > 0) expect(fit.peakUsers).toBeCloseTo(Math.sqrt((1 - truth.sigma) / truth.kappa), 0);
  });

  test('when the levels carry 3 % noise, then sigma and kappa are still within 5 % of the truth', () => {
    const truth = { lambda: 2, sigma: 0.05, kappa: 0.0002 };
    const r = rng(7);
    const levels = [1, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 120].flatMap((n) =>
      [0, 1, 2].map(() => ({ n, x: uslThroughput(n, truth) * (1 + 0.03 * (r() - 0.5)) })),
    );
    const fit = fitUsl(levels);
    if (!fit.evaluable) throw new Error(fit.reason);
    expect(Math.abs(fit.sigma - truth.sigma) / truth.sigma).toBeLessThan(0.05);
    expect(Math.abs(fit.kappa - truth.kappa) / truth.kappa).toBeLessThan(0.05);
  });

  test.each([
    ['one level', [{ n: 10, x: 20 }], /needs at least 4/],
    [
      'three levels',
      [
        { n: 1, x: 2 },
        { n: 2, x: 4 },
        { n: 3, x: 6 },
      ],
      /needs at least 4/,
    ],
    ['no throughput (all errors)', [1, 2, 3, 4].map((n) => ({ n, x: 0 })), /needs at least 4/],
    [
      'flat throughput and noise',
      [
        { n: 1, x: 50 },
        { n: 10, x: 10 },
        { n: 20, x: 60 },
        { n: 30, x: 5 },
        { n: 40, x: 55 },
      ],
      /fits poorly/,
    ],
  ])('when the data is %s, then the model is not evaluable, with the reason', (_what, levels, reason) => {
    const fit = fitUsl(levels);
    expect(fit.evaluable).toBe(false);
    if (!fit.evaluable) expect(fit.reason).toMatch(reason);
  });

  test('when a hard limit makes a plateau (a pool), then the fit is judged by its error, not R², and its peak is the plateau', () => {
    // Measured on a pool of 10 x 50 ms (200 req/s) from a continuous ramp that started above it: one level in the
    // linear region, five on the plateau. The mean alone explains a plateau, so R² is low for any curve.
    const levels = [
      [175, 165],
      [225, 199.6],
      [275, 198.4],
      [325, 199.4],
      [350, 199.4],
      [700, 200],
    ].map(([n, x]) => ({ n: n!, x: x! }));
    const fit = fitUsl(levels);
    if (!fit.evaluable) throw new Error(fit.reason);
    expect(fit.r2).toBeLessThan(0.8);
    expect(fit.cvRmse).toBeLessThan(0.05);
    expect(Math.abs(fit.peakThroughputRps! - 200) / 200).toBeLessThan(0.05);
  });

  test('when the linearised fit is refined on throughput, then its error is no larger than the linearised one', () => {
    const truth = { lambda: 2, sigma: 0.05, kappa: 0.0002 };
    const r = rng(11);
    const levels = [5, 10, 20, 40, 60, 80, 100].map((n) => ({
      n,
      x: uslThroughput(n, truth) * (1 + 0.1 * (r() - 0.5)),
    }));
    const fit = fitUsl(levels);
    if (!fit.evaluable) throw new Error(fit.reason);
    const sseOf = (p: { lambda: number; sigma: number; kappa: number }) =>
      levels.reduce((s, { n, x }) => s + (x - uslThroughput(n, p)) ** 2, 0);
    expect(sseOf(fit)).toBeLessThanOrEqual(sseOf(truth) * 1.0001);
  });

  test('when every user added costs more than it brings (sigma above 1), then the peak is one user', () => {
    const truth = { lambda: 100, sigma: 1.5, kappa: 0.01 };
    const fit = fitUsl([1, 2, 4, 8].map((n) => ({ n, x: uslThroughput(n, truth) })));
    if (!fit.evaluable) throw new Error(fit.reason);
    expect(fit.peakUsers).toBe(1);
    expect(fit.peakThroughputRps).toBeCloseTo(100, 0);
  });

  test('when kappa is tiny, then it is reported with its significant digits, never as 0 beside a peak', () => {
    const truth = { lambda: 10, sigma: 0.01, kappa: 1e-9 };
    const fit = fitUsl([1, 5, 10, 20, 40].map((n) => ({ n, x: uslThroughput(n, truth) })));
    if (!fit.evaluable) throw new Error(fit.reason);
    expect(fit.kappa).toBeGreaterThan(0);
  });

  test('when throughput grows perfectly linearly, then there is no peak and no coherency cost', () => {
    const fit = fitUsl([1, 5, 10, 20].map((n) => ({ n, x: 3 * n })));
    expect(fit).toMatchObject({ evaluable: true, sigma: 0, kappa: 0, peakUsers: null });
  });
});

describe('comparing latency distributions (Mann-Whitney U and effect size)', () => {
  test('when two samples come from the same distribution, then the test is not significant and the verdict is unchanged', () => {
    const a = sparse(latencies(4_000, 20, 1));
    const b = sparse(latencies(4_000, 20, 2));
    const r = compareDistributions(a, b);
    expect(r.verdict).toBe('unchanged');
    expect(r.pValue!).toBeGreaterThan(0.001);
  });

  test('when the current sample is 30 % slower, then it regressed, with the figures', () => {
    const r = compareDistributions(sparse(latencies(2_000, 20, 3)), sparse(latencies(2_000, 26, 4)));
    expect(r.verdict).toBe('regressed');
    expect(r.p50Change!).toBeGreaterThan(0.25);
    expect(r.probabilitySlower!).toBeGreaterThan(0.7);
    expect(r.reason).toMatch(/^median .* -> .* ms \(\+\d+(\.\d)? %\), p95 .*, p = /);
  });

  test('when the current sample is faster, then it improved; when the shift is significant but under the tolerance, unchanged', () => {
    expect(compareDistributions(sparse(latencies(2_000, 26, 5)), sparse(latencies(2_000, 20, 6))).verdict).toBe(
      'improved',
    );
    const small = compareDistributions(sparse(latencies(50_000, 20, 7)), sparse(latencies(50_000, 20.8, 8)));
    expect(small.verdict).toBe('unchanged');
    expect(small.reason).toMatch(/significant, but below 10 %/);
  });

  test('when a side has too few requests, then it is inconclusive, never unchanged', () => {
    expect(compareDistributions(sparse([1, 2, 3]), sparse(latencies(1_000, 20, 9))).verdict).toBe('inconclusive');
  });

  test('when U is computed over histograms, then it equals the pairwise count (ties counting half)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 40 }),
        (prev, cur) => {
          let pairs = 0;
          for (const c of cur) for (const p of prev) pairs += c > p ? 1 : c === p ? 0.5 : 0;
          expect(mannWhitney(sparse(prev), sparse(cur))!.u).toBeCloseTo(pairs, 6);
        },
      ),
    );
  });

  test('when the median got faster but the tail much slower, then it regressed (a faster median does not hide it)', () => {
    // µs values: previous 940 at 10 ms, 60 at 20 ms; current 930 at 8 ms, 70 at 60 ms.
    const r = compareDistributions([10_000, 940, 20_000, 60], [8_000, 930, 60_000, 70]);
    expect(r.verdict).toBe('regressed');
  });

  test('when the p95 sits between two clusters and the mix barely moves, then it is no regression', () => {
    // 10 million requests each: cache misses (500 ms) from 5.00 % to 5.05 % of the traffic.
    const r = compareDistributions([1_000, 9_500_000, 50_000, 500_000], [1_000, 9_495_000, 50_000, 505_000]);
    expect(r.verdict).toBe('unchanged');
  });

  test('when a histogram lists one value twice, then its requests are one tie group', () => {
    const r = mannWhitney([1_000, 5, 1_000, 5], [1_000, 10])!;
    expect(r.pValue).toBeCloseTo(1, 6);
    expect(r.probabilitySlower).toBeCloseTo(0.5, 6);
  });

  test('when a percentile is read from a sparse histogram, then it is the value at that rank', () => {
    expect(percentileMs(sparse([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 50)).toBe(5);
    expect(percentileMs(sparse([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 95)).toBe(10);
    expect(percentileMs([], 50)).toBeNull();
  });
});

const lat = (p50: number, p95: number) => ({ p50, p95, p99: p95 * 1.5, max: p95 * 3, avg: p50 * 1.1 });
const summary = (over: Partial<StressSummary> = {}): StressSummary => ({
  maxThroughputRps: 200,
  stoppedBecause: 'breaking_point',
  loadMinutes: 10,
  ...over,
});

describe('the performance analysis', () => {
  const input = (over: Partial<AnalysisInput> = {}): AnalysisInput => ({
    methods: { 'get-item': 'GET', 'create-item': 'POST' },
    phases: [
      {
        name: 'normal',
        model: 'closed',
        users: 50,
        requests: 10_000,
        throughputRps: 48,
        latencyMs: lat(10, 30),
        endpoints: [],
        timeline: [
          { second: 0, requests: 5, errors: 0, p50Ms: 80, p95Ms: 150, p99Ms: 150 },
          ...Array.from({ length: 20 }, (_, i) => ({
            second: i + 1,
            requests: 50,
            errors: 0,
            p50Ms: 10,
            p95Ms: 30,
            p99Ms: 40,
          })),
        ],
        operations: [
          { operation: 'read', requests: 8_000, p50Ms: 6, p95Ms: 20, p99Ms: 30 },
          { operation: 'write', requests: 2_000, p50Ms: 16, p95Ms: 40, p99Ms: 60 },
        ],
      },
    ],
    stress: {
      model: 'closed',
      steps: [100, 200, 300, 400, 500].map((level, i) => ({
        level,
        status: level >= 400 ? ('fail' as const) : ('pass' as const),
        throughputRps: [98, 190, 200, 150, 70][i]!,
        goodputRps: [98, 190, 200, 150, 70][i]!,
        errorRate: level >= 400 ? 0.2 : 0,
        latencyMs: level >= 400 ? lat(950, 1800) : lat(12, 35),
        ...(level === 400
          ? {
              endpointErrors: [
                { endpoint: 'create-item', kind: '503', count: 90 },
                { endpoint: 'get-item', kind: '503', count: 10 },
              ],
              telemetry: [{ name: 'pool', query: 'pool_in_use', value: 10, max: 10, saturated: true }],
            }
          : {}),
      })),
      summary: summary({
        breakingPoint: { users: 400, criterion: 'error_rate>0.01', observed: 0.2, threshold: 0.01 },
        capacityCeiling: { users: 300, goodputRps: 200, throughputRps: 200, p95Ms: 35 },
      }),
    },
    ...over,
  });

  test('when a phase started slow, then its cold start is flagged with the figure', () => {
    const a = buildAnalysis(input());
    expect(a.coldStart).toEqual([
      { phase: 'normal', firstSecondP95Ms: 150, steadyP95Ms: 30, factor: 5, flagged: true },
    ]);
  });

  test.each([
    ['two seconds', [80, 10], null],
    ['six seconds', [80, 30, 10, 10, 10, 12], 8],
  ])(
    'when a phase lasts %s, then the cold start is measured against its later seconds, or said to be unmeasurable',
    (_what, p95s, factor) => {
      const short = input();
      short.phases[0]!.timeline = p95s.map((p95, second) => ({
        second,
        requests: 50,
        errors: 0,
        p50Ms: p95 / 2,
        p95Ms: p95,
        p99Ms: p95,
      }));
      const [c] = buildAnalysis(short).coldStart;
      expect(c!.factor).toBe(factor);
      if (factor === null) expect(c!.reason).toMatch(/^2 measured second\(s\)/);
      else expect(c).toMatchObject({ flagged: true, steadyP95Ms: 10 });
    },
  );

  test('when throughput per user falls with the load, then scaling says where the linear region ends', () => {
    const a = buildAnalysis(input());
    expect(a.scaling.map((s) => [s.users, s.efficiency, s.linear])).toEqual([
      [50, 1, true],
      [100, 1.021, true],
      [200, 0.99, true],
      [300, 0.694, false],
      [400, 0.391, false],
      [500, 0.146, false],
    ]);
    expect([a.linearUpToUsers, a.linearEndsAtUsers]).toEqual([200, 300]);
  });

  test('when the model puts its peak past the measured ceiling, then the safe capacity is taken below the ceiling', () => {
    const steps = [100, 200, 300, 350, 400].map((level, i) => ({
      level,
      status: level >= 400 ? ('fail' as const) : ('pass' as const),
      throughputRps: [95, 180, 250, 290, 320][i]!,
      goodputRps: [95, 180, 250, 290, 320][i]!,
      errorRate: level >= 400 ? 0.05 : 0,
      latencyMs: lat(12, 35),
    }));
    const a = buildAnalysis(
      input({
        stress: {
          model: 'closed',
          steps,
          summary: summary({
            breakingPoint: { users: 400, criterion: 'error_rate>0.01', observed: 0.05, threshold: 0.01 },
            capacityCeiling: { users: 350, goodputRps: 290, throughputRps: 290, p95Ms: 35 },
          }),
        },
      }),
    );
    const m = a.capacityModel;
    if (!m.evaluable) throw new Error(m.reason);
    expect(m.peakUsers ?? Infinity).toBeGreaterThan(350);
    expect(m.safeUsers).toBe(Math.floor(350 * 0.8));
  });

  test('when only low levels were measured, then the safe capacity is not extrapolated past the highest one', () => {
    const phases = [1, 5, 10, 20].map((users) => ({
      ...input().phases[0]!,
      name: `p${users}`,
      users,
      throughputRps: 10 * users * (1 - users * 0.001),
    }));
    const a = buildAnalysis(input({ phases, stress: undefined }));
    if (!a.capacityModel.evaluable) throw new Error(a.capacityModel.reason);
    expect(a.capacityModel.safeUsers).toBeLessThanOrEqual(20);
  });

  test('when the lowest stress step had no successful request, then scaling has no NaN', () => {
    const base = input();
    const a = buildAnalysis({
      ...base,
      phases: [],
      stress: {
        ...base.stress!,
        steps: base.stress!.steps.map((s, i) => (i === 0 ? { ...s, goodputRps: 0 } : s)),
      },
    });
    for (const x of a.scaling) expect(Number.isFinite(x.efficiency)).toBe(true);
    expect(a.scaling.map((x) => x.users)).toEqual([200, 300, 400, 500]);
  });

  test('when the stress broke, then degradation gives the multiples of the baseline and the throughput lost', () => {
    const a = buildAnalysis(input());
    expect(a.degradation).toMatchObject({
      evaluable: true,
      atBreakingPoint: { users: 400, p50x: 95, p95x: 60 },
      worst: { users: 500 },
      throughputLostPct: 65,
    });
  });

  test('when findings were measured, then each recommendation cites its evidence, most severe first', () => {
    const a = buildAnalysis(input());
    expect(a.recommendations.map((r) => [r.severity, r.finding])).toEqual([
      ['P1', 'pool was saturated at the breaking point'],
      ['P1', 'throughput falls past the ceiling (retrograde scaling)'],
      ['P2', 'create-item fails first under load'],
      ['P3', 'throughput stops scaling linearly after 200 users'],
      ['P3', 'cold start in phase normal'],
      ['P3', 'writes are slower than reads in phase normal'],
    ]);
    for (const r of a.recommendations) expect(r.evidence).toMatch(/\d/);
    expect(a.recommendations[1]!.evidence).toBe(
      '70 req/s at 500 users against 200 req/s at best: 65 % lost; p95 60x the baseline',
    );
  });

  test('when nothing was measured past the ceiling and nothing is slow, then there is no recommendation without evidence', () => {
    const calm = input({
      phases: [
        {
          ...input().phases[0]!,
          timeline: [],
          operations: [{ operation: 'read', requests: 10_000, p50Ms: 6, p95Ms: 20, p99Ms: 30 }],
        },
      ],
      stress: {
        model: 'closed',
        steps: [100, 200, 300, 400].map((level) => ({
          level,
          status: 'pass' as const,
          throughputRps: level,
          goodputRps: level,
          errorRate: 0,
          latencyMs: lat(10, 30),
        })),
        summary: summary({ stoppedBecause: 'max_reached' }),
      },
    });
    const a = buildAnalysis(calm);
    expect(a.recommendations).toEqual([]);
    expect(a.degradation).toEqual({
      evaluable: false,
      reason: 'no breaking point: nothing degraded within the levels tried',
    });
  });

  test.each([
    ['GET', 'read'],
    ['head', 'read'],
    ['POST', 'write'],
    ['PUT', 'write'],
    ['PATCH', 'write'],
    ['DELETE', 'delete'],
    ['OPTIONS', 'other'],
  ])('when the method is %s, then the operation is %s', (method, op) => expect(operationOf(method)).toBe(op));
});
