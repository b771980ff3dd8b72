/**
 * Pure parts of the truthful stress run: the downward search when the start is above capacity, the
 * classification of failures past the breaking point, error-body flags, and recovery after load reduction.
 */
import { classifyErrors, flagSample, judgeDegradation, type DegradationInput } from '../../src/core/degradation';
import { defaultRampMs } from '../../src/config/load-plan';
import {
  judgeRecoveryAfterLoad,
  nextAdaptiveStep,
  nextStressStep,
  startedAboveCapacity,
  summarizeStress,
  type StepResult,
} from '../../src/core/stress';
import type { EndpointResult } from '../../src/core/types';

const step = (level: number, status: StepResult['status'], index = 0): StepResult => ({
  index,
  level,
  requests: 1000,
  errors: status === 'fail' ? 50 : 0,
  throughputRps: level,
  goodputRps: level,
  errorRate: status === 'fail' ? 0.05 : 0,
  latencyMs: { p50: 10, p95: 40, p99: 80, max: 200, avg: 15 },
  invalid: status === 'invalid',
  status,
  ...(status === 'fail' ? { failed: { criterion: 'error_rate>0.01', observed: 0.05, threshold: 0.01 } } : {}),
});

/** Runs a search against a target that passes every level up to `capacity`. */
function simulate(capacity: number, decide: (steps: StepResult[]) => ReturnType<typeof nextStressStep>) {
  const steps: StepResult[] = [];
  for (let i = 0; i < 200; i++) {
    const d = decide(steps);
    if ('stop' in d) return { steps, stop: d.stop };
    steps.push(step(d.next, d.next > capacity ? 'fail' : 'pass', i));
  }
  throw new Error('the search never stopped');
}

describe('a ceiling even when the start is too high', () => {
  const linear = (s: StepResult[]) => nextStressStep(s, { start: 200, step: 50, max: 1_000, invalidRetries: 1 });

  test('when the first step fails, then the search halves until a level passes and steps up again by the step size', () => {
    const r = simulate(120, linear);
    expect(r.steps.map((s) => `${s.level}:${s.status}`)).toEqual(['200:fail', '100:pass', '150:fail']);
    expect(r.stop).toBe('breaking_point');
    const sum = summarizeStress(r.steps, r.stop, 10);
    expect(sum.capacityCeiling?.users).toBe(100);
    expect(sum.breakingPoint?.users).toBe(150);
    expect(startedAboveCapacity(r.steps)).toBe(true);
  });

  test.each([[7], [30], [49], [99], [160], [199], [333], [620]])(
    'when the capacity is %d, then the ceiling passes, the breaking point fails, and they are at most one step apart',
    (capacity) => {
      const r = simulate(capacity, linear);
      const sum = summarizeStress(r.steps, r.stop as 'breaking_point', 10);
      expect(r.stop).toBe('breaking_point');
      expect(sum.capacityCeiling!.users).toBeLessThanOrEqual(capacity);
      expect(sum.breakingPoint!.users).toBeGreaterThan(capacity);
      expect(sum.breakingPoint!.users - sum.capacityCeiling!.users).toBeLessThanOrEqual(50);
      expect(startedAboveCapacity(r.steps)).toBe(capacity < 200);
      // Never a level judged twice.
      expect(new Set(r.steps.map((s) => s.level)).size).toBe(r.steps.length);
    },
  );

  test('when even one user fails, then the search stops with no capacity and no ceiling', () => {
    const r = simulate(0, linear);
    expect(r.stop).toBe('no_capacity');
    expect(r.steps.map((s) => s.level)).toEqual([200, 100, 50, 25, 12, 6, 3, 1]);
    expect(summarizeStress(r.steps, 'no_capacity', 10).capacityCeiling).toBeUndefined();
  });

  test('when the adaptive search starts above capacity, then it bisects down and still finds a ceiling', () => {
    const r = simulate(70, (s) => nextAdaptiveStep(s, { start: 400, max: 1_000, resolution: 0.05, invalidRetries: 1 }));
    const sum = summarizeStress(r.steps, 'breaking_point', 10);
    expect(sum.capacityCeiling!.users).toBeLessThanOrEqual(70);
    expect(sum.capacityCeiling!.users).toBeGreaterThan(60);
    expect(startedAboveCapacity(r.steps)).toBe(true);
  });

  test('when the first judged step passes after an invalid one, then the start was not above capacity', () => {
    expect(startedAboveCapacity([step(200, 'invalid'), step(200, 'pass', 1)])).toBe(false);
  });
});

const endpoint = (
  name: string,
  statusCounts: Record<string, number>,
  errorKinds: Record<string, number> = {},
): EndpointResult => {
  const kinds = Object.values(errorKinds).reduce((a, b) => a + b, 0);
  const failing = Object.entries(statusCounts)
    .filter(([c]) => Number(c) >= 400)
    .reduce((a, [, n]) => a + n, 0);
  const requests = Object.values(statusCounts).reduce((a, b) => a + b, 0) + kinds;
  return {
    name,
    requests,
    errors: failing + kinds,
    errorRate: 0,
    statusCounts,
    errorKinds,
    latencyMs: { p50: 1, p95: 1, p99: 1, max: 1, avg: 1 },
  };
};
const input = (over: Partial<DegradationInput>): DegradationInput => ({
  source: 'stress step 350',
  endpoints: [],
  retryAfter: 0,
  failedP95Ms: 5,
  okP95Ms: 60,
  samples: [],
  ...over,
});

describe('classifying how the target fails past its breaking point', () => {
  test('when failures are 503s with Retry-After, timeouts, resets, refusals and 500s, then each lands in its class', () => {
    const c = classifyErrors([
      input({
        endpoints: [
          endpoint(
            'get',
            { 200: 900, 503: 40, 429: 10, 500: 5, 502: 2 },
            { timeout: 3, ECONNRESET: 1, ECONNREFUSED: 2, socket: 1, expect_body: 4 },
          ),
        ],
        retryAfter: 30,
      }),
    ]);
    expect(c).toEqual({
      fastRejections: 50,
      withRetryAfter: 30,
      timeouts: 3,
      transport: 4,
      otherServerErrors: 7,
      other: 4,
    });
  });

  test('when a 404 is an expected status, then it is not counted as a failure', () => {
    const e = { ...endpoint('get', { 200: 10, 404: 5 }), errors: 0 };
    expect(classifyErrors([input({ endpoints: [e] })])).toEqual({
      fastRejections: 0,
      withRetryAfter: 0,
      timeouts: 0,
      transport: 0,
      otherServerErrors: 0,
      other: 0,
    });
  });

  test('when the target sheds load with fast 503s and stays healthy, then degradation is graceful and fail-fast', () => {
    const d = judgeDegradation(
      [
        input({
          endpoints: [endpoint('get', { 200: 900, 503: 100 })],
          retryAfter: 100,
          samples: [
            {
              endpoint: 'get',
              status: 503,
              contentType: 'application/json',
              body: '{"error":"overloaded, retry in 1 s"}',
              bytes: 36,
            },
          ],
        }),
      ],
      { ok: true, status: 200 },
    );
    expect(d.graceful).toBe(true);
    expect(d.failFast).toBe(true);
    expect(d.informativeErrors).toBe(true);
    expect(d.errorClasses.withRetryAfter).toBe(100);
  });

  test('when most failures are timeouts, then degradation is not graceful and failures do not fail fast', () => {
    const d = judgeDegradation(
      [input({ endpoints: [endpoint('get', { 200: 900, 503: 5 }, { timeout: 95 })], failedP95Ms: 2000, okP95Ms: 80 })],
      { ok: true, status: 200 },
    );
    expect(d.graceful).toBe(false);
    expect(d.failFast).toBe(false);
    expect(d.findings.join(' ')).toMatch(/95 % of the failures got no answer/);
  });

  test('when the target is down right after the load, then degradation is not graceful, whatever the failures were', () => {
    const d = judgeDegradation([input({ endpoints: [endpoint('get', { 200: 900, 503: 100 })] })], {
      ok: false,
      error: 'connection refused',
    });
    expect(d.graceful).toBe(false);
    expect(d.findings[0]).toMatch(/not healthy right after the load \(connection refused\)/);
  });

  test('when nothing failed and the target is healthy, then there is nothing to judge (null)', () => {
    const d = judgeDegradation([input({ endpoints: [endpoint('get', { 200: 100 })], failedP95Ms: null })], {
      ok: true,
    });
    expect(d.graceful).toBeNull();
    expect(d.failFast).toBeNull();
    expect(d.informativeErrors).toBeNull();
  });

  test('when failures take 260 ms against a 100 ms successful p95, then they still fail fast (2x, at least 250 ms); at 201+ ms above 2x they hang', () => {
    expect(
      judgeDegradation([input({ endpoints: [endpoint('get', { 503: 1 })], failedP95Ms: 200, okP95Ms: 100 })], null)
        .failFast,
    ).toBe(true);
    expect(
      judgeDegradation([input({ endpoints: [endpoint('get', { 503: 1 })], failedP95Ms: 260, okP95Ms: 100 })], null)
        .failFast,
    ).toBe(false);
    expect(
      judgeDegradation([input({ endpoints: [endpoint('get', { 503: 1 })], failedP95Ms: 240, okP95Ms: 10 })], null)
        .failFast,
    ).toBe(true);
  });
});

describe('flagging error bodies', () => {
  const s = (body: string, contentType = 'application/json') =>
    flagSample({ endpoint: 'e', status: 500, contentType, body, bytes: body.length });
  test.each([
    ['an empty body', '', 'text/plain', ['empty']],
    ['whitespace only', '  \n', 'text/plain', ['empty']],
    [
      'an HTML error page',
      '<!DOCTYPE html><html><body>502 Bad Gateway</body></html>',
      'text/html; charset=utf-8',
      ['html'],
    ],
    ['HTML without a content type', '<html><h1>Error</h1></html>', '', ['html']],
    [
      'a Node.js stack trace',
      'Error: pool exhausted\n    at Pool.acquire (/app/node_modules/pg-pool/index.js:45:11)\n    at async handler (/app/server.js:12:3)',
      'text/plain',
      ['stack_trace'],
    ],
    [
      'a Python traceback',
      'Traceback (most recent call last):\n  File "app.py", line 3',
      'text/plain',
      ['stack_trace'],
    ],
    [
      'a Java stack trace',
      'java.lang.IllegalStateException: pool\n\tat com.acme.Pool.get(Pool.java:42)',
      'text/plain',
      ['stack_trace'],
    ],
    ['a Go panic', 'panic: runtime error\n\ngoroutine 1 [running]:\nmain.main()', 'text/plain', ['stack_trace']],
    ['a JSON error', '{"error":"database pool exhausted","retryAfterS":1}', 'application/json', []],
  ])('when the body is %s, then the flags are %j', (_what, body, contentType, flags) => {
    expect(s(body, contentType)).toEqual(flags);
  });

  test('when one sampled body leaks a stack trace, then errors are not informative', () => {
    const samples = [
      { endpoint: 'e', status: 503, contentType: 'application/json', body: '{"error":"busy"}', bytes: 16 },
      { endpoint: 'e', status: 500, contentType: 'text/plain', body: 'Error: x\n    at f (/app/a.js:1:2)', bytes: 30 },
    ];
    const d = judgeDegradation([input({ endpoints: [endpoint('e', { 503: 1, 500: 1 })], samples })], { ok: true });
    expect(d.informativeErrors).toBe(false);
    expect(d.samples.map((x) => x.flags)).toEqual([[], ['stack_trace']]);
  });
});

describe('recovery after load reduction', () => {
  const w = (startS: number, p95Ms: number, errors = 0) => ({ startS, requests: 100, errors, p95Ms });
  const ref = { p95Ms: 50, errorRate: 0 };
  const opts = { windows: 3, tolerance: 0.2, withinS: 60 };

  test("when latency settles back to the level's own figures, then it recovered, with the time", () => {
    const r = judgeRecoveryAfterLoad([w(0, 900, 20), w(5, 300), w(10, 60), w(15, 55), w(20, 52)], ref, 150, opts);
    expect(r).toMatchObject({ level: 150, recovered: true, timeS: 10 });
  });

  test('when latency stays up, then it did not recover: possible leak', () => {
    const r = judgeRecoveryAfterLoad([w(0, 900), w(5, 800), w(10, 850), w(15, 900)], ref, 150, opts);
    expect(r.recovered).toBe(false);
    expect(r.timeS).toBeNull();
    expect(r.finding).toMatch(/possible leak/);
  });

  test('when latency recovers but a saturating gauge stays at its max, then it did not recover (pool leak)', () => {
    const r = judgeRecoveryAfterLoad([w(0, 55), w(5, 52), w(10, 50)], ref, 150, opts, [
      { name: 'pool_in_use', max: 10, before: 2, after: 10 },
      { name: 'queue', max: 100, before: 0, after: 5 },
      { name: 'no_max', before: 1, after: 99 },
    ]);
    expect(r.recovered).toBe(false);
    expect(r.gauges).toEqual([
      { name: 'pool_in_use', before: 2, after: 10, returned: false },
      { name: 'queue', before: 0, after: 5, returned: true },
    ]);
    expect(r.finding).toMatch(/pool_in_use stayed at 10 \(before the stress: 2\): possible leak/);
  });

  test('when the recovery stage has no data, then recovery is not evaluable (null)', () => {
    expect(judgeRecoveryAfterLoad([], ref, 150, opts).recovered).toBeNull();
  });
});

describe('default ramps (no thundering herd)', () => {
  test.each([
    [0, 0],
    [1_000, 500],
    [5_000, 1_000],
    [20_000, 2_000],
    [30_000, 3_000],
    [60_000, 5_000],
    [3_600_000, 5_000],
  ])('when a phase lasts %d ms, then its default ramp is %d ms', (duration, ramp) => {
    expect(defaultRampMs(duration)).toBe(ramp);
  });
});
