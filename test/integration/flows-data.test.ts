/**
 * User journeys (scenario.flows), data files (scenario.data) and HTTP/2 in the load engine, against real servers on
 * loopback: a session API that records the order of each session's requests, and node:http2 servers (h2c and TLS).
 * Needs `npm run build` (threads run the compiled entry).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDataText } from '../../src/config/data-file';
import { validateCampaign } from '../../src/config/load';
import { planFromPhase } from '../../src/config/load-plan';
import type { Campaign, ThresholdEntry } from '../../src/config/schema';
import type { DataSourceRun, DataTable } from '../../src/engine/data-feed';
import { runLoad } from '../../src/engine/run';
import { summarizePhase } from '../../src/engine/summary';
import { JOURNEY_SCENARIO, startJourneyApi, testAccounts, type JourneyApi } from '../helpers/journey-api';

function table(csv: string): DataTable {
  const t = parseDataText(csv, 'csv');
  if ('problems' in t) throw new Error(t.problems.join('; '));
  return t;
}

function campaignOf(baseUrl: string, scenario: Record<string, unknown>, phase: Record<string, unknown>) {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: 'flows',
    target: { baseUrl },
    scenario,
    baseline: { phases: [{ name: 'p', duration: '3s', ...phase }] },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.campaign;
}

interface RunOpts {
  data?: Record<string, DataSourceRun>;
  thresholds?: ThresholdEntry[];
  threads?: number;
  slice?: number;
  slices?: number;
  http2?: boolean;
  ca?: string;
}

async function run(c: Campaign, opts: RunOpts = {}) {
  const phase = c.baseline!.phases[0]!;
  const plan = planFromPhase(phase, c.scenario);
  const result = await runLoad({
    plan,
    scenario: c.scenario,
    origin: c.target.baseUrl.replace(/\/$/, ''),
    headers: {},
    data: opts.data,
    threads: opts.threads,
    slice: opts.slice,
    slices: opts.slices,
    http2: opts.http2,
    ca: opts.ca,
  });
  return summarizePhase({
    name: 'p',
    plan,
    metrics: result.metrics,
    elapsedMs: result.elapsedMs,
    health: result.health,
    generators: 1,
    thresholds: opts.thresholds ?? [],
    aborted: false,
    resumedFromMs: 0,
    attempt: 1,
  });
}

describe('user journeys and data files', () => {
  const { csv, accounts } = testAccounts(2000);
  const accountTable = table(csv);
  let api: JourneyApi;
  beforeEach(async () => {
    api = await startJourneyApi(accounts);
  });
  afterEach(() => api.close());

  test('when users run the checkout flow, then each session logs in, creates, reads and deletes its own order, in that order', async () => {
    const c = campaignOf(
      api.url,
      { ...JOURNEY_SCENARIO, data: { accounts: { file: 'a.csv', mode: 'random' } } },
      {
        users: 20,
        duration: '3s',
      },
    );
    const s = await run(c, {
      data: { accounts: { table: accountTable, mode: 'random', onExhausted: 'stop' } },
      thresholds: [
        'p(95)<5000 {flow: checkout}',
        { threshold: 'error_rate<0.01', flow: 'checkout', abortOnFail: false },
      ],
    });
    const flow = s.flows!.find((f) => f.name === 'checkout')!;
    expect(flow.iterations).toBeGreaterThan(50);
    expect(flow.failedIterations).toBe(0);
    expect(api.stats.foreign).toBe(0);
    expect(api.stats.unauthenticated).toBe(0);
    expect(api.stats.failedLogins).toBe(0);
    // Every session's requests came in the flow's order; only the last journeys may have been cut by the end.
    const full = [...api.stats.sequences.values()].filter((seq) => seq.length === 4);
    expect(full.length).toBeGreaterThanOrEqual(flow.iterations - 1);
    for (const seq of api.stats.sequences.values())
      expect(['login', 'create', 'read', 'delete'].slice(0, seq.length)).toEqual(seq);
    // Per step, as endpoints; the journey's duration holds its three think times between steps (5 ms each).
    const names = s.endpoints.map((e) => e.name).sort();
    expect(names).toEqual(['create-order', 'delete-order', 'login', 'read-order']);
    expect(flow.latencyMs.p50).toBeGreaterThanOrEqual(15);
    const stepP50s = s.endpoints.reduce((sum, e) => sum + e.latencyMs.p50, 0);
    expect(flow.latencyMs.p50).toBeGreaterThanOrEqual(stepP50s);
    expect(s.thresholds).toEqual([
      expect.objectContaining({ threshold: 'p(95)<5000', flow: 'checkout', ok: true }),
      expect.objectContaining({ threshold: 'error_rate<0.01', flow: 'checkout', ok: true, observed: 0 }),
    ]);
    expect(s.data).toEqual([expect.objectContaining({ name: 'accounts', exhausted: 0 })]);
    // A row per journey started: every one of them logged in.
    expect(s.data![0]!.rowsUsed).toBe([...api.stats.logins.values()].reduce((a, b) => a + b, 0));
  });

  test.each([['stop', 0] as const, ['continue', 1] as const])(
    'when order creation fails for 30 %% of journeys and onStepFailure is %s, then the failed journeys are counted at that step',
    async (onStepFailure, readsAfterFailure) => {
      api.failCreates(0.3);
      const scenario = {
        ...JOURNEY_SCENARIO,
        flows: [{ ...JOURNEY_SCENARIO.flows[0]!, onStepFailure }],
      };
      const c = campaignOf(
        api.url,
        { ...scenario, data: { accounts: { file: 'a.csv' } } },
        { users: 10, duration: '2s' },
      );
      const s = await run(c, {
        data: { accounts: { table: accountTable, mode: 'sequential', onExhausted: 'stop' } },
        thresholds: ['error_rate<0.01 {flow: checkout}'],
      });
      const flow = s.flows![0]!;
      expect(flow.failedIterations / flow.iterations).toBeGreaterThan(0.15);
      expect(flow.failedIterations / flow.iterations).toBeLessThan(0.45);
      // The step that failed first is the creation, whatever came after it.
      expect(Object.keys(flow.failedSteps)).toEqual(['create-order']);
      const afterFailure = [...api.stats.sequences.values()].filter((seq) => seq[1] === 'create-failed');
      expect(afterFailure.length).toBeGreaterThan(0);
      // stop: nothing is sent after the failed step; continue: the read goes out without its capture (and fails).
      const readEndpoint = s.endpoints.find((e) => e.name === 'read-order')!;
      if (readsAfterFailure === 0) expect(readEndpoint.errors).toBe(0);
      else expect(readEndpoint.errors).toBeGreaterThan(0);
      expect(s.thresholds[0]).toEqual(expect.objectContaining({ flow: 'checkout', ok: false }));
    },
  );

  test('when two generators of two threads each take unique rows, then no account is used twice and running out stops users, counted', async () => {
    const scenario = {
      thinkTime: '1ms',
      requests: [JOURNEY_SCENARIO.requests[0]],
      data: { accounts: { file: 'a.csv', mode: 'unique' } },
    };
    const c = campaignOf(api.url, scenario, { users: 16, duration: '3s', rampUp: '0s' });
    const data = { accounts: { table: accountTable, mode: 'unique' as const, onExhausted: 'stop' as const } };
    const [a, b] = await Promise.all([
      run(c, { data, threads: 2, slice: 0, slices: 2 }),
      run(c, { data, threads: 2, slice: 1, slices: 2 }),
    ]);
    const logins = [...api.stats.logins.values()];
    expect(Math.max(...logins)).toBe(1);
    expect(api.stats.logins.size).toBe(2000);
    expect(a.data![0]!.rowsUsed + b.data![0]!.rowsUsed).toBe(2000);
    // Every user ran out once (16 per generator), and said so.
    expect(a.data![0]!.exhausted + b.data![0]!.exhausted).toBe(32);
    expect(a.requests + b.requests).toBe(2000);
  });

  test('when unique rows run out and onExhausted is wrap, then rows are reused only after every row was handed out', async () => {
    const small = table(testAccounts(10).csv);
    const scenario = {
      thinkTime: '20ms',
      requests: [JOURNEY_SCENARIO.requests[0]],
      data: { accounts: { file: 'a.csv', mode: 'unique', onExhausted: 'wrap' } },
    };
    const c = campaignOf(api.url, scenario, { users: 2, duration: '2s', rampUp: '0s' });
    const s = await run(c, { data: { accounts: { table: small, mode: 'unique', onExhausted: 'wrap' } }, threads: 1 });
    const counts = [...api.stats.logins.values()];
    expect(api.stats.logins.size).toBe(10);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(s.data![0]!.wrapped).toBeGreaterThan(0);
    expect(s.data![0]!.exhausted).toBe(0);
  });

  test('when the target echoes a data value in an error answer, then the error sample masks it', async () => {
    const wrong = table('email,password\nsecret-user-17@example.test,wrong-password\n');
    const scenario = {
      thinkTime: '5ms',
      requests: [JOURNEY_SCENARIO.requests[0]],
      data: { accounts: { file: 'a.csv' } },
    };
    const c = campaignOf(api.url, scenario, { users: 1, duration: '1s' });
    const phase = c.baseline!.phases[0]!;
    const result = await runLoad({
      plan: planFromPhase(phase, c.scenario),
      scenario: c.scenario,
      origin: api.url,
      headers: {},
      data: { accounts: { table: wrong, mode: 'sequential', onExhausted: 'stop' } },
      threads: 1,
    });
    const samples = result.metrics.samples;
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[0]!.body).toBe('{"error":"bad credentials for [accounts.email]"}');
    expect(JSON.stringify(result.metrics.encode())).not.toContain('secret-user-17');
  });

  test('when one user takes rows sequentially, then it walks the file in order', async () => {
    const small = table(testAccounts(5).csv);
    const scenario = {
      thinkTime: '0s',
      requests: [JOURNEY_SCENARIO.requests[0]],
      data: { accounts: { file: 'a.csv' } },
    };
    const c = campaignOf(api.url, scenario, { users: 1, duration: '1s' });
    await run(c, { data: { accounts: { table: small, mode: 'sequential', onExhausted: 'stop' } }, threads: 1 });
    expect(api.stats.loginOrder.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 0, 1].map((i) => `user${i}@example.test`));
  });
});

describe('HTTP/2', () => {
  test.each([['h2c (prior knowledge, http)'], ['h2 over TLS (ALPN)']])(
    'when target.http2 is set and the target speaks %s, then every request goes over HTTP/2',
    async (kind) => {
      const tls = kind.startsWith('h2 over TLS');
      const versions = new Map<string, number>();
      const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
        versions.set(req.httpVersion, (versions.get(req.httpVersion) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      let ca: string | undefined;
      let server: http2.Http2Server | http2.Http2SecureServer;
      if (tls) {
        const dir = mkdtempSync(path.join(tmpdir(), 'h2-'));
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-addext',
            'subjectAltName=IP:127.0.0.1',
            '-keyout',
            path.join(dir, 'key.pem'),
            '-out',
            path.join(dir, 'cert.pem'),
          ],
          { stdio: 'ignore' },
        );
        ca = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
        server = http2.createSecureServer(
          { key: readFileSync(path.join(dir, 'key.pem')), cert: ca, allowHTTP1: true },
          handler,
        );
      } else server = http2.createServer(handler);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const c = campaignOf(
          url,
          { requests: [{ name: 'get', method: 'GET', path: '/x' }] },
          { users: 10, duration: '2s' },
        );
        const h2 = await run(c, { http2: true, ca });
        expect(h2.errors).toBe(0);
        expect(h2.requests).toBeGreaterThan(100);
        expect(versions.get('2.0')).toBe(h2.requests);
        expect(versions.get('1.1')).toBeUndefined();
        if (tls) {
          // The same TLS target without http2: HTTP/1.1 (ALPN offers only it).
          versions.clear();
          const h1 = await run(c, { ca });
          expect(h1.errors).toBe(0);
          expect(versions.get('1.1')).toBe(h1.requests);
          process.stdout.write(
            `HTTP/2 vs HTTP/1.1 over TLS, 10 users, no think time: ${h2.throughputRps} vs ${h1.throughputRps} req/s; P99 ${h2.latencyMs.p99} vs ${h1.latencyMs.p99} ms\n`,
          );
        }
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    },
  );
});
