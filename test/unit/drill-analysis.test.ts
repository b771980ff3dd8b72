/**
 * A fault drill's figures from synthetic observations: the instants it reports are the ones it was given, a breaker
 * is seen only when failures get much faster, and recovery is judged against the pre-fault level.
 */
import { checklistSections, resolveChecklist } from '../../src/core/checklist';
import { drillEvidence, judgeResources } from '../../src/core/drills';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';
import {
  analyseDrill,
  MAX_TIMELINE_POINTS,
  type DrillObservations,
  type ObservedSecond,
} from '../../src/faults/drill-analysis';
import { newHistogram } from '../../src/engine/metrics';

const T0 = 1_000_000;

/** A second of load: `ok` successes at okMs each, `err` failures at errMs each, on one endpoint. */
function second(i: number, ok: number, okMs: number, err = 0, errMs = 0, endpoint = 'item'): ObservedSecond {
  const okH = newHistogram();
  const errH = newHistogram();
  for (let k = 0; k < ok; k++) okH.recordValue(okMs * 1000);
  for (let k = 0; k < err; k++) errH.recordValue(errMs * 1000);
  return {
    startMs: T0 + i * 1000,
    endMs: T0 + (i + 1) * 1000,
    endpoints: new Map([[endpoint, { requests: ok + err, errors: err, ok: okH, err: errH }]]),
  };
}

/** 10 s before the fault (at 10 s), down 5 s (restart at 15 s), back at 17 s. */
function observations(opts: { breaker: boolean; recovers: boolean }): DrillObservations {
  const seconds: ObservedSecond[] = [];
  for (let i = 0; i < 10; i++) seconds.push(second(i, 100, 2));
  // The first failing second: slow failures (a 500 ms timeout); then fast ones with a breaker, slow without.
  seconds.push(second(10, 0, 0, 10, 500));
  for (let i = 11; i < 16; i++) seconds.push(opts.breaker ? second(i, 0, 0, 900, 0.4) : second(i, 0, 0, 10, 500));
  seconds.push(second(16, 50, 3, 5, 1));
  for (let i = 17; i < 25; i++) seconds.push(opts.recovers ? second(i, 100, 2) : second(i, 20, 2, 80, 1));
  return {
    seconds,
    canary: [
      { atMs: T0 + 9_900, endpoint: 'item', ok: true },
      { atMs: T0 + 10_300, endpoint: 'item', ok: false },
      { atMs: T0 + 15_900, endpoint: 'item', ok: false },
      ...(opts.recovers ? [{ atMs: T0 + 16_700, endpoint: 'item', ok: true }] : []),
    ],
    loadStartMs: T0,
    faultAtMs: T0 + 10_000,
    restartAtMs: T0 + 15_000,
    endAtMs: T0 + 25_000,
    unhealthyAtMs: T0 + 10_800,
    alertFiringAtMs: T0 + 13_000,
    alertDeliveredAtMs: null,
    watched: { health: true, alertFiring: true, alertDelivered: true },
  };
}

const targets = { name: 'redis', users: 5, detectS: 6, recoverS: 10, tolerance: 0.5 };

test('when failures get much faster after the first ones, then a breaker opened and the drill fails fast, with the instants it was given', () => {
  const r = analyseDrill(observations({ breaker: true, recovers: true }), targets);
  expect(r.impactS).toBe(0.3);
  expect(r.downS).toBe(5);
  expect(r.detection).toMatchObject({ healthS: 0.8, alertFiringS: 3, alertDeliveredS: null, firstS: 0.8 });
  expect(r.failFast.breakerOpened).toBe(true);
  expect(r.failFast.firstP95ErrorMs).toBeGreaterThan(400);
  expect(r.failFast.laterP95ErrorMs).toBeLessThan(1);
  // The pre-fault p95 is 2 ms: the bar is 2 x 1.5 + 5 = 8 ms, and the outage's p95 is the fast failures'.
  expect(r.failFast.limitMs).toBeCloseTo(8, 1);
  expect(r.checks.failFast).toBe('pass');
  expect(r.recovery.firstSuccessS).toBe(1.7);
  // Back at 17 s (2 s after the restart), stable for two seconds.
  expect(r.recovery.backToBaselineS).toBe(2);
  expect(r.fullyRecovered).toBe(true);
  expect(r.checks).toEqual({ detected: 'pass', recovered: 'pass', failFast: 'pass' });
  expect(r.status).toBe('pass');
  expect(r.whileDown[0]).toMatchObject({ endpoint: 'item', errorRate: 1 });
  expect(r.timeline.find((s) => s.t === 0)).toMatchObject({ errors: 10 });
});

test('when failures hang and the service never gets back, then fail-fast and recovery fail, and the evidence says so', () => {
  const r = analyseDrill(observations({ breaker: false, recovers: false }), targets);
  expect(r.failFast.breakerOpened).toBe(false);
  expect(r.failFast.p95ErrorMs).toBeGreaterThan(400);
  expect(r.checks.failFast).toBe('fail');
  expect(r.recovery.backToBaselineS).toBeNull();
  expect(r.fullyRecovered).toBe(false);
  expect(r.checks.recovered).toBe('fail');
  const ev = drillEvidence({ ...r, restored: true, notes: [] });
  expect(ev.map((e) => [e.id, e.status])).toEqual([
    ['faults.drills.redis.detected', 'pass'],
    ['faults.drills.redis.recovered', 'fail'],
    ['faults.drills.redis.fail_fast', 'fail'],
  ]);
  expect(ev[0]!.observed).toContain('alert delivered not detected');
});

test('when no channel sees the fault, then it is not detected (a fail, never a pass)', () => {
  const o = { ...observations({ breaker: true, recovers: true }), unhealthyAtMs: null, alertFiringAtMs: null };
  const r = analyseDrill(o, targets);
  expect(r.detection.firstS).toBeNull();
  expect(r.checks.detected).toBe('fail');
  const slow = analyseDrill({ ...o, unhealthyAtMs: T0 + 17_000 }, targets);
  expect(slow.detection.firstS).toBe(7);
  expect(slow.checks.detected).toBe('fail');
});

test('resource stability: a steady climb is growth by the fitted line, CPU average and peak against their limits, each instance on its own, no samples not evaluable', () => {
  const mem: Array<[number, number]> = [];
  for (let t = 0; t <= 600; t += 10) mem.push([t, (200 + t / 10) * 1_048_576]);
  const cpu: Array<[number, number]> = [
    [0, 40],
    [10, 60],
    [20, 97],
  ];
  const limits = { maxMemoryGrowthMb: 50, maxCpuAvgPct: 80, maxCpuPeakPct: 95 };
  const r = judgeResources({
    phase: 'endurance',
    from: 'a',
    to: 'b',
    // Two instances: the flat one does not hide the leaking one, and CPU is not summed across them.
    memoryBytes: [mem.map(([t]) => [t, 300 * 1_048_576] as [number, number]), mem],
    cpuPct: [cpu, cpu.map(([t]) => [t, 10] as [number, number])],
    limits,
    notes: [],
  });
  expect(r.memoryGrowthMb).toBe(60);
  expect(r.memorySlopeMbPerHour).toBe(360);
  expect(r.cpuAvgPct).toBe(65.7);
  expect(r.cpuPeakPct).toBe(97);
  expect(r.checks).toEqual({ memory: 'fail', cpuAvg: 'pass', cpuPeak: 'fail' });
  const none = judgeResources({ phase: 'endurance', from: 'a', to: 'b', limits, notes: ['unreachable'] });
  expect(none.checks).toEqual({ memory: 'not_evaluable', cpuAvg: 'not_evaluable', cpuPeak: 'not_evaluable' });
});

describe('faults drills and resources validation', () => {
  const problems = (extra: string) => yamlProblems(MINIMAL_YAML + extra).join('\n');
  const drill = (more = '') => `faults: { drills: [{ name: redis, commands: redis${more} }] }\n`;
  test.each([
    [
      'faults: { drills: [{ name: r, commands: ["/bin/sh", "-c", "rm -rf /"] }] }\n',
      'commands must name a command pair declared on the worker (READINESS_FAULT_COMMANDS)',
    ],
    [
      'faults: { drills: [{ name: r, commands: "Redis Pair" }] }\n',
      'commands must be the name of a command pair declared on the worker',
    ],
    ['faults: { drills: [{ name: r, commands: redis, stop: stop-redis }] }\n', 'faults.drills[0].stop: unknown field'],
    [drill(', alert: RedisDown'), 'faults.drills[0].alert: an alert to watch needs monitoring.prometheus.url'],
    [drill(', alert: "a b"'), 'alert must be a Prometheus alert name'],
    [drill(', down: 2h'), 'faults.drills[0].down: down must be at most 1h'],
    [drill(', before: 1s'), 'before must be between 3s and 10m'],
    [drill(', users: 500'), 'faults.drills[0].users:'],
    ['faults: {}\n', 'faults needs dependencies, drills or resources'],
    [
      'checklist: { items: [{ id: ops.fault-recovery, severity: P2 }] }\n',
      'checklist.items[0].title: new item "ops.fault-recovery" needs a title (built-in fault drill and resource items exist only in campaigns with faults.drills / faults.resources)',
    ],
    ['faults: { resources: { maxCpuAvgPct: 50 } }\n', 'resources needs a memory or a cpu query'],
    ['faults: { resources: { cpu: "up" } }\n', 'faults.resources: resource stability is read from Prometheus'],
    [
      'baseline: { phases: [{ name: soak, users: 1, duration: 1m }] }\nmonitoring: { prometheus: { url: "http://127.0.0.1:9090" } }\nfaults: { resources: { cpu: "up", phase: endurance } }\n',
      'faults.resources.phase: unknown baseline phase "endurance" (phases: soak)',
    ],
  ])('when the file has %s, then validation names the field and the problem', (extra, expected) => {
    expect(problems(extra)).toContain(expected);
  });

  test('when drills and resources are valid, then they validate, and the campaign gets their built-in items', () => {
    const text =
      MINIMAL_YAML +
      'baseline: { phases: [{ name: endurance, users: 1, duration: 1m }] }\nmonitoring: { prometheus: { url: "http://127.0.0.1:9090" } }\n' +
      'faults: { drills: [{ name: redis, commands: redis, alert: RedisDown }], resources: { memory: "process_resident_memory_bytes" } }\n';
    expect(yamlProblems(text)).toEqual([]);
    const ids = (c: Parameters<typeof checklistSections>[0]) =>
      resolveChecklist(undefined, checklistSections(c)).items.map((i) => i.id);
    expect(ids({ faults: { drills: [{}], resources: {} } })).toEqual(
      expect.arrayContaining([
        'mon.fault-detection',
        'ops.fault-recovery',
        'perf.dependency-fail-fast',
        'perf.memory-stability',
      ]),
    );
    // Without drills, no drill item: a campaign that does not drill is not scored on drills.
    expect(ids({})).not.toContain('mon.fault-detection');
    expect(ids({})).not.toContain('perf.cpu-peak');
  });
});

test('when a drill lasts hours, then its timeline is merged into at most MAX_TIMELINE_POINTS windows of per-second rates', () => {
  const base = observations({ breaker: true, recovers: true });
  const seconds: ObservedSecond[] = [];
  for (let i = 0; i < 7_200; i++) seconds.push(second(i - 7_190, 10, 2));
  const r = analyseDrill({ ...base, seconds }, targets);
  expect(r.timeline.length).toBeLessThanOrEqual(MAX_TIMELINE_POINTS);
  expect(r.timeline.length).toBeGreaterThan(MAX_TIMELINE_POINTS / 2);
  expect(r.timeline[1]!.requests).toBeCloseTo(10, 5);
  // Five of them stay well under a 64 KiB history payload.
  expect(JSON.stringify(r).length * 5).toBeLessThan(40_000);
});

test('when the users hang on the dependency (no answer for seconds), then that is impact and fail-fast fails, even if the requests succeed late', () => {
  const base = observations({ breaker: true, recovers: true });
  const seconds = base.seconds.map((s, i) =>
    i >= 10 && i < 15 ? { ...s, endpoints: new Map() } : i === 15 ? second(15, 20, 5_000) : s,
  );
  const r = analyseDrill({ ...base, seconds, canary: [] }, targets);
  // The first second without an answer ended 1 s after the fault.
  expect(r.impactS).toBe(1);
  expect(r.failFast.p95ErrorMs).toBeNull();
  expect(r.checks.failFast).toBe('fail');
  expect(r.notes.join(' ')).toContain('requests hung on the dependency: 5 s');
});

test('when nothing failed during the outage, then fail-fast is not judged (not evaluable, never a pass), and says why', () => {
  const base = observations({ breaker: true, recovers: true });
  const seconds = base.seconds.map((s, i) => (i >= 10 && i < 17 ? second(i, 100, 2) : s));
  const r = analyseDrill({ ...base, seconds, canary: [] }, targets);
  expect(r.impactS).toBeNull();
  expect(r.checks.failFast).toBe('not_evaluable');
  expect(r.notes.join(' ')).toContain('no request failed during the outage');
});
