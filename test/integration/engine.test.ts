/**
 * The load engine (worker threads, undici) against real HTTP servers on loopback with known behaviour.
 * Needs `npm run build` (threads run the compiled entry).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateCampaign } from '../../src/config/load';
import type { BaselinePhase, Campaign } from '../../src/config/schema';
import { planFromPhase, splitPlan } from '../../src/config/load-plan';
import { MAX_FAILED_TRACE_MARKS, MAX_TRACE_MARKS, Metrics } from '../../src/engine/metrics';
import { runLoad } from '../../src/engine/run';
import { latencySummary, summarizePhase } from '../../src/engine/summary';
import { delayed, startDelayServer, startTarget } from '../helpers/target';

function campaign(
  baseUrl: string,
  scenario: Record<string, unknown>,
  phase: Record<string, unknown>,
): { c: Campaign; phase: BaselinePhase } {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: 'engine',
    target: { baseUrl },
    scenario,
    baseline: { phases: [{ name: 'p', duration: '3s', ...phase }] },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { c: r.campaign, phase: r.campaign.baseline!.phases[0] };
}

async function run(
  baseUrl: string,
  scenario: Record<string, unknown>,
  phase: Record<string, unknown>,
  threads?: number,
) {
  const { c, phase: p } = campaign(baseUrl, scenario, phase);
  const plan = planFromPhase(p, c.scenario);
  const result = await runLoad({ plan, scenario: c.scenario, origin: baseUrl, headers: {}, threads });
  return {
    plan,
    result,
    summary: summarizePhase({
      name: 'p',
      plan,
      metrics: result.metrics,
      elapsedMs: result.elapsedMs,
      health: result.health,
      generators: 1,
      thresholds: [],
      aborted: false,
      resumedFromMs: 0,
      attempt: 1,
    }),
  };
}

const GET = { requests: [{ name: 'get', method: 'GET', path: '/x' }] };

describe('load engine', () => {
  test('when the server answers after a fixed 20 ms, then p50 and p99 match the delay it really applied', async () => {
    // The generator's error (client-observed minus server-applied) is judged on the best of up to three
    // runs: another process on a shared 2-core box can only add to it, and a real defect in how latency is
    // measured (queue time, think time, a unit slip) shows in every run. `npm run bench` reports the
    // measured error next to autocannon's.
    const target = await startDelayServer(20);
    try {
      const within = (e: { p50: number; p99: number }) => e.p50 < 2 && e.p99 < 8;
      let err = { p50: Infinity, p99: Infinity };
      for (let attempt = 0; attempt < 3 && !within(err); attempt++) {
        await target.stats();
        const { summary } = await run(target.url, GET, { users: 20, duration: '4s' });
        const truth = await target.stats();
        expect(summary.requests).toBe(truth.count);
        expect(summary.errors).toBe(0);
        expect(summary.latencyMs.p50).toBeGreaterThanOrEqual(20);
        err = { p50: summary.latencyMs.p50 - truth.p50Ms, p99: summary.latencyMs.p99 - truth.p99Ms };
        // Never less than what the server applied: the client cannot see a response before it is sent.
        expect(err.p50).toBeGreaterThanOrEqual(0);
      }
      // One run within both bars (p50 error < 2 ms, p99 error < 8 ms); else the last run's figures are shown.
      expect(err.p50).toBeLessThan(2);
      expect(err.p99).toBeLessThan(8);
    } finally {
      await target.close();
    }
  });

  test('when the server stalls for a second, then the open model exposes it and the closed model hides it', async () => {
    const t0 = Date.now() + 1_200;
    // Every response is held until the stall ends, during [t0, t0 + 1 s).
    const stalling = (_req: IncomingMessage, res: ServerResponse) => {
      const now = Date.now();
      const hold = now >= t0 && now < t0 + 1_000 ? t0 + 1_000 - now : 1;
      setTimeout(() => res.writeHead(200).end('ok'), hold);
    };
    const target = await startTarget(stalling);
    try {
      const [closed, open] = await Promise.all([
        run(target.url, GET, { users: 10, duration: '4s' }),
        run(target.url, GET, { model: 'open', rate: 200, duration: '4s' }),
      ]);
      // Closed: only the 10 users in flight saw the stall; nothing else was sent meanwhile.
      expect(closed.summary.latencyMs.p99).toBeLessThan(200);
      // Open: arrivals kept coming during the stall and waited; from their intended start they were slow.
      expect(open.summary.latencyMs.p95).toBeGreaterThan(400);
      expect(open.summary.latencyMs.p99).toBeGreaterThan(800);
      expect(open.summary.latencyMsUncorrected).toBeDefined();
      expect(open.summary.requests).toBeGreaterThan(700);
      expect(open.summary.generator.intendedRate).toBeCloseTo(200, -1);
      expect(open.summary.assessment).toBe('pass');
    } finally {
      await target.close();
    }
  });

  test("when the generator cannot reach the intended rate, then the phase is invalid, not the target's failure", async () => {
    // Each request renders a 300-field JSON template: expensive for the generator, cheap for the server.
    const target = await startDelayServer(0);
    try {
      const json = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, 'v{{n}}-{{n}}']));
      const scenario = {
        vars: { n: { range: [1, 9] } },
        requests: [{ name: 'post', method: 'POST', path: '/x', json }],
      };
      const { summary } = await run(target.url, scenario, { model: 'open', rate: 50_000, duration: '2s' }, 1);
      expect(summary.assessment).toBe('invalid');
      expect(summary.notes.join(' ')).toMatch(/generator/);
      expect(summary.generator.achievedRate).toBeLessThan(summary.generator.intendedRate! * 0.9);
    } finally {
      await target.close();
    }
  });

  test('when a request captures a value, then later requests of the same user use it', async () => {
    let created = 0;
    const seenIds: string[] = [];
    const target = await startTarget((req, res) => {
      if (req.method === 'POST') {
        created += 1;
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { id: `g${created}` } }));
      } else {
        seenIds.push(req.url!.split('/').pop()!);
        res.writeHead(200).end('{"ok":true}');
      }
    });
    try {
      const scenario = {
        requests: [
          {
            name: 'create',
            method: 'POST',
            path: '/goals',
            json: { title: 'x' },
            capture: { goalId: 'data.id' },
            expect: { status: 201 },
          },
          { name: 'read', method: 'GET', path: '/goals/{{goalId}}', weight: 3 },
        ],
      };
      const { summary } = await run(target.url, scenario, { users: 4, duration: '2s' });
      expect(summary.errors).toBe(0);
      expect(seenIds.length).toBeGreaterThan(10);
      expect(seenIds.every((id) => /^g\d+$/.test(id) && Number(id.slice(1)) <= created)).toBe(true);
      expect(summary.endpoints.map((e) => e.name)).toEqual(['create', 'read']);
    } finally {
      await target.close();
    }
  });

  test('when responses break expectations, are too big or never come, then each is a classified error per endpoint', async () => {
    const big = Buffer.alloc(3 << 20, 'x');
    const target = await startTarget((req, res) => {
      if (req.url === '/big') res.writeHead(200).end(big);
      else if (req.url === '/hang') {
        /* never answers */
      } else if (req.url === '/text') res.writeHead(200).end('maintenance');
      else res.writeHead(503).end('busy');
    });
    try {
      const scenario = {
        requestTimeout: '300ms',
        requests: [
          { name: 'big', method: 'GET', path: '/big', expect: { bodyContains: 'y' } },
          { name: 'hang', method: 'GET', path: '/hang' },
          { name: 'text', method: 'GET', path: '/text', expect: { status: 200, bodyContains: 'ok' } },
          { name: 'busy', method: 'GET', path: '/busy' },
        ],
      };
      const { summary } = await run(target.url, scenario, { users: 8, duration: '3s' });
      const ep = Object.fromEntries(summary.endpoints.map((e) => [e.name, e]));
      expect(ep.big.errorKinds.body_too_large).toBe(ep.big.requests);
      expect(ep.hang.errorKinds.timeout).toBeGreaterThan(0);
      expect(ep.text.errorKinds.expect_body).toBe(ep.text.requests);
      expect(ep.busy.statusCounts['503']).toBe(ep.busy.requests);
      expect(summary.errorRate).toBe(1);
      expect(summary.errorBreakdown).toEqual(
        expect.arrayContaining([
          { endpoint: 'busy', kind: '503', count: ep.busy.requests },
          { endpoint: 'hang', kind: 'timeout', count: ep.hang.errorKinds.timeout },
        ]),
      );
    } finally {
      await target.close();
    }
  });

  test("when the target never answers, then a 300 ms request timeout fires near 300 ms (not on undici's coarse 1 s clock)", async () => {
    const target = await startTarget(() => {
      /* never answers */
    });
    try {
      const { summary } = await run(
        target.url,
        { requestTimeout: '300ms', requests: [{ name: 'hang', method: 'GET', path: '/hang' }] },
        { users: 1, duration: '3s' },
      );
      const timeouts = summary.endpoints[0]!.errorKinds.timeout ?? 0;
      // Each cycle is the 300 ms timeout plus the 50 ms pause after a failed request: about 8 in 3 s
      // (undici's own timers alone would give about 3).
      expect(timeouts).toBeGreaterThanOrEqual(7);
      expect(timeouts).toBeLessThanOrEqual(9);
    } finally {
      await target.close();
    }
  });

  test('when a phase is split across generators, then the merged counts and histogram equal the sum of the parts', async () => {
    const target = await startTarget(delayed(2));
    try {
      const { c, phase } = campaign(target.url, GET, { users: 9 });
      const plan = planFromPhase(phase, c.scenario);
      const parts = splitPlan(plan, 2);
      expect(parts.map((p) => p.users)).toEqual([5, 4]);
      const startAtMs = Date.now() + 200;
      const results = await Promise.all(
        parts.map((p) => runLoad({ plan: p, scenario: c.scenario, origin: target.url, headers: {}, startAtMs })),
      );
      const merged = new Metrics();
      for (const r of results) merged.merge(r.metrics.encode());
      const sum = results.reduce((a, r) => a + r.metrics.totals().requests, 0);
      expect(merged.totals().requests).toBe(sum);
      expect(sum).toBe(target.requests());
      const mh = merged.latency();
      expect(mh.totalCount).toBe(results.reduce((a, r) => a + r.metrics.latency().totalCount, 0));
      const p99s = results.map((r) => latencySummary(r.metrics.latency()).p99);
      expect(latencySummary(mh).p99).toBeGreaterThanOrEqual(Math.min(...p99s));
      expect(latencySummary(mh).p99).toBeLessThanOrEqual(Math.max(...p99s));
    } finally {
      await target.close();
    }
  });

  test('when the run is aborted, then load stops within a second and what was measured is kept', async () => {
    const target = await startTarget(delayed(5));
    try {
      const { c, phase } = campaign(target.url, GET, { users: 8, duration: '30s' });
      const ac = new AbortController();
      // Abort one second after the target saw its first request: starting the threads can take most of a
      // second on a loaded box, and what is judged is how load stops, not how fast it starts.
      let abortedAt = 0;
      const watch = setInterval(() => {
        if (target.requests() === 0) return;
        clearInterval(watch);
        setTimeout(() => {
          abortedAt = Date.now();
          ac.abort();
        }, 1_000);
      }, 10);
      const r = await runLoad({
        plan: planFromPhase(phase, c.scenario),
        scenario: c.scenario,
        origin: target.url,
        headers: {},
        signal: ac.signal,
      }).finally(() => clearInterval(watch));
      expect(abortedAt).toBeGreaterThan(0);
      expect(Date.now() - abortedAt).toBeLessThan(2_000);
      expect(r.aborted).toBe(true);
      expect(r.metrics.totals().requests).toBeGreaterThan(100);
      const settled = target.requests();
      await new Promise((res) => setTimeout(res, 300));
      expect(target.requests()).toBe(settled);
    } finally {
      await target.close();
    }
  });

  test('when a run has a warm-up, then users start before second 0 and only what they send from second 0 is recorded', async () => {
    const sentAt: number[] = [];
    const target = await startTarget((_req, res) => {
      sentAt.push(Date.now());
      setTimeout(() => res.writeHead(200).end('ok'), 10);
    });
    try {
      const { c, phase } = campaign(target.url, GET, { users: 4, duration: '1s' });
      let announced = NaN;
      const r = await runLoad({
        plan: planFromPhase(phase, c.scenario),
        scenario: c.scenario,
        origin: target.url,
        headers: {},
        warmupMs: 1_000,
        onStart: (at) => (announced = at),
      });
      expect(r.startAtMs).toBe(announced);
      const before = sentAt.filter((t) => t < r.startAtMs - 20).length;
      const after = sentAt.filter((t) => t >= r.startAtMs + 20).length;
      // The server saw the warm-up; the measurement did not count it.
      expect(before).toBeGreaterThan(100);
      expect(r.metrics.totals().requests).toBeGreaterThanOrEqual(after);
      expect(r.metrics.totals().requests).toBeLessThan(sentAt.length - before + 1);
      expect(r.metrics.iterations).toBeLessThan(sentAt.length - before + 10);
    } finally {
      await target.close();
    }
  });

  test('when threads take time to boot, then the run starts once they are ready, so a short phase still runs its whole duration', async () => {
    const arrivals: number[] = [];
    const target = await startTarget((_req, res) => {
      arrivals.push(Date.now());
      setTimeout(() => res.writeHead(200).end('ok'), 5);
    });
    try {
      const { c, phase } = campaign(target.url, GET, { users: 4, duration: '1s' });
      const called = Date.now();
      const r = await runLoad({
        plan: planFromPhase(phase, c.scenario),
        scenario: c.scenario,
        origin: target.url,
        headers: {},
        threads: 2,
      });
      expect(r.startAtMs).toBeGreaterThan(called);
      // The first requests arrive at second 0, not a boot time later, and load runs through the whole second.
      expect(Math.min(...arrivals) - r.startAtMs).toBeGreaterThanOrEqual(-2);
      expect(Math.min(...arrivals) - r.startAtMs).toBeLessThan(50);
      expect(Math.max(...arrivals) - r.startAtMs).toBeGreaterThan(950);
      expect(r.elapsedMs).toBeGreaterThanOrEqual(1_000);
      expect(r.elapsedMs).toBeLessThan(1_500);
    } finally {
      await target.close();
    }
  });
});

test('when traceSample is 0.3, then about 30 % of the requests carry a sampled W3C traceparent, each recorded trace id is one the target received, and failed ones are kept apart', async () => {
  const seen = new Map<string, string>();
  const target = await startTarget((req, res, n) => {
    const tp = req.headers.traceparent;
    if (typeof tp === 'string') seen.set(tp.split('-')[1]!, tp);
    res.writeHead(n % 4 === 0 ? 500 : 200).end('{}');
  });
  try {
    const { result } = await run(
      target.url,
      { thinkTime: '5ms', traceSample: 0.3, requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      { users: 4, duration: '2s' },
    );
    const m = result.metrics;
    const total = m.totals().requests;
    expect(total).toBeGreaterThan(300);
    expect(m.marked / total).toBeGreaterThan(0.22);
    expect(m.marked / total).toBeLessThan(0.38);
    // Every marked request reached the target with its id, in the W3C format, sampled.
    for (const t of m.traces) {
      expect(seen.get(t.traceId)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    expect(seen.size).toBeGreaterThanOrEqual(m.marked);
    const failed = m.traces.filter((t) => !t.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(MAX_FAILED_TRACE_MARKS);
    expect(m.traces.length - failed.length).toBeLessThanOrEqual(MAX_TRACE_MARKS);
    expect(failed.every((t) => t.status === 500)).toBe(true);
    // Off by default: nothing marked.
    seen.clear();
    const off = await run(
      target.url,
      { requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      { users: 2, duration: '1s' },
    );
    expect(off.result.metrics.marked).toBe(0);
    expect(seen.size).toBe(0);
  } finally {
    await target.close();
  }
});

test('when thousands of users send at the same instant, then the thread opens connections a few at a time and every request is answered', async () => {
  // 3,000 users with no ramp send their first request in one tick. Opening a socket each (3,000 connects on the
  // load thread at once) is what took 100,000 users into EMFILE: requests beyond the connections being opened wait
  // for the first connection to free up instead.
  const target = await startTarget((_req, res) => res.end('ok'));
  try {
    const { summary } = await run(
      target.url,
      { thinkTime: '500ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      { users: 3000, duration: '2s', rampUp: '0s' },
      1,
    );
    expect(summary.errors).toBe(0);
    expect(summary.requests).toBeGreaterThanOrEqual(3000 * 3);
    // Without the limit: one connection per user (3,000 here); with it, about a quarter of that on this machine.
    expect(target.connections()).toBeLessThan(1500);
    process.stdout.write(`3,000 users at once: ${target.connections()} connections for ${summary.requests} requests\n`);
  } finally {
    await target.close();
  }
});
