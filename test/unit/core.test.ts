import { formatDurationMs, parseDurationMs } from '../../src/core/duration';
import {
  evaluateThresholds,
  isThreshold,
  parseThreshold,
  type Threshold,
  type ThresholdSample,
} from '../../src/core/thresholds';
import { isHostAllowed, parseAllowedHosts } from '../../src/core/egress';
import { campaignWorkflowId } from '../../src/core/names';
import { compileScenario, isExpectedStatus } from '../../src/config/scenario';
import { exitCodeForDecision } from '../../src/core/exit-codes';

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['3d', 259_200_000],
    ['1.5s', 1_500],
    ['0s', 0],
  ])('when %s is parsed, then it is %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  test.each(['', '30', 's', '-1s', '1w', '1 s', '1e3s', 'abc', '1.s'])(
    'when %p is parsed, then it is rejected',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );

  test.each([
    [90_000, '90s'],
    [120_000, '2m'],
    [1_500, '1500ms'],
    [86_400_000, '1d'],
  ])('when %d ms is formatted, then it reads %s', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });
});

describe('thresholds', () => {
  const sample = (over: Partial<ThresholdSample> = {}): ThresholdSample => ({
    latencyMs: { avg: 50, max: 900, percentile: (p) => (p === 95 ? 300 : p === 99 ? 700 : 40) },
    errorRate: 0.005,
    throughputRps: 120,
    requests: 1000,
    ...over,
  });
  const parse = (s: string) => {
    const t = parseThreshold(s);
    if (!isThreshold(t)) throw new Error(t.error);
    return t as Threshold;
  };

  test.each([
    ['p(95)<500', true, 300],
    ['p(95)<300', false, 300],
    ['p(95)<=300', true, 300],
    ['p(99)<500', false, 700],
    ['avg<100', true, 50],
    ['max<1000', true, 900],
    ['max<800', false, 900],
    ['error_rate<0.01', true, 0.005],
    ['error_rate<0.001', false, 0.005],
    ['rps>100', true, 120],
    ['rps>=200', false, 120],
    ['p(99.9)<1000', true, 40],
  ])('when %s is evaluated, then ok=%p (observed %p)', (expr, ok, observed) => {
    expect(evaluateThresholds([parse(expr)], sample())).toEqual([{ threshold: expr, ok, observed }]);
  });

  test('when a phase recorded no requests, then every threshold fails (no evidence is not a pass)', () => {
    const [r] = evaluateThresholds([parse('error_rate<0.01')], sample({ requests: 0, errorRate: 0 }));
    expect(r.ok).toBe(false);
  });

  test.each([
    ['p95<500', 'expected e.g.'],
    ['p(42)<500', 'percentile must be one of'],
    ['error_rate<5', 'ratio between 0 and 1'],
    ['latency<5', 'expected e.g.'],
    ['p(95)<', 'expected e.g.'],
    ['p(95)=500', 'expected e.g.'],
    ['', 'expected e.g.'],
  ])('when %p is parsed, then it is rejected with "%s"', (expr, msg) => {
    const t = parseThreshold(expr);
    expect(isThreshold(t)).toBe(false);
    expect((t as { error: string }).error).toContain(msg);
  });
});

describe('allowlist', () => {
  test.each([
    ['127.0.0.1', ['loopback'], true],
    ['127.3.4.5', ['loopback'], true],
    ['localhost', ['loopback'], true],
    ['[::1]', ['loopback'], true],
    ['::1', ['loopback'], true],
    ['10.0.0.1', ['loopback'], false],
    ['example.com', ['loopback'], false],
    ['api.example.com', ['*.example.com'], true],
    ['example.com', ['*.example.com'], false],
    ['evil-example.com', ['*.example.com'], false],
    ['staging.local', ['staging.local'], true],
    ['128.0.0.1', ['loopback'], false],
  ])('when host %s is checked against %j, then allowed=%p', (host, list, ok) =>
    expect(isHostAllowed(host, list)).toBe(ok),
  );

  test('when READINESS_ALLOWED_HOSTS is unset or blank, then only loopback is allowed', () => {
    expect(parseAllowedHosts(undefined)).toEqual(['loopback']);
    expect(parseAllowedHosts(' , ')).toEqual(['loopback']);
    expect(parseAllowedHosts('loopback, Staging.Local')).toEqual(['loopback', 'staging.local']);
  });
});

describe('exit codes', () => {
  test.each([
    ['GO', 0],
    ['NO_GO', 3],
    ['CONDITIONAL_GO', 4],
  ] as const)('when the decision is %s, then the exit code is %d', (d, code) => {
    expect(exitCodeForDecision(d)).toBe(code);
  });
});

describe('names and scenario', () => {
  test('when a campaign id is built, then it is readable and stamped', () => {
    expect(campaignWorkflowId('Checkout API!', new Date('2026-01-18T20:15:30.123Z'))).toBe(
      'readiness-checkout-api-20260118T201530Z',
    );
  });

  test('when requests are picked, then weights are honoured and vars rendered', () => {
    const compiled = compileScenario({
      thinkTime: '0s',
      requestTimeout: '1s',
      vars: { id: { range: [5, 5] }, kind: { list: ['a b'] } },
      requests: [
        { name: 'a', method: 'GET', path: '/a/{{id}}', weight: 3 },
        { name: 'b', method: 'GET', path: '/b/{{ kind }}', weight: 1 },
      ],
    });
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[compiled.pick(() => i / 400, {}).name as 'a' | 'b'] += 1;
    expect(counts).toEqual({ a: 300, b: 100 });
    expect(
      compiled.render(
        compiled.pick(() => 0, {}),
        () => 0,
        {},
      ).path,
    ).toBe('/a/5');
    expect(
      compiled.render(
        compiled.pick(() => 0.99, {}),
        () => 0,
        {},
      ).path,
    ).toBe('/b/a%20b');
  });

  test.each([
    [undefined, 200, true],
    [undefined, 404, false],
    [201, 201, true],
    [201, 200, false],
    [[200, 404], 404, true],
  ])('when expect.status is %j and the response is %d, then ok=%p', (status, code, ok) => {
    expect(
      isExpectedStatus(
        { name: 'x', method: 'GET', path: '/', weight: 1, ...(status === undefined ? {} : { expect: { status } }) },
        code,
      ),
    ).toBe(ok);
  });
});

describe('exit codes in the help', () => {
  test('when the help is printed, then its exit-code table is generated from EXIT, one line per code in order', async () => {
    const { EXIT, exitCodeHelp } = await import('../../src/core/exit-codes');
    const help = exitCodeHelp();
    expect(help).toBe(
      '\nExit codes:\n  0  GO (or the command succeeded)\n  1  could not run (infrastructure or internal error)\n  2  invalid input (campaign file, arguments, unknown or reused campaign id)\n  3  NO_GO\n  4  CONDITIONAL_GO',
    );
    expect(
      help
        .split('\n')
        .slice(2)
        .map((l) => Number(l.trim().split(' ')[0])),
    ).toEqual(Object.values(EXIT).sort());
  });
});
