/**
 * A fault drill under load. A light closed load of the campaign's scenario runs throughout; after `before`, the
 * operator's declared `stop` command takes a dependency down, `down` later `start` brings it back, and the drill
 * watches until the load is back to its pre-fault level (or `observe` passes). Meanwhile it watches the target's
 * health endpoint (every 250 ms), the Prometheus alert (every 500 ms), the Alertmanager's webhook, and sends one
 * canary request every 100 ms for sub-second instants. Whatever happens (an abort, a failed command, an error),
 * a dependency it stopped is started again before it returns.
 */
import type { Server } from 'node:http';
import { request, type Dispatcher } from 'undici';
import type { Campaign, ScenarioRequest } from '../config/schema';
import { compileScenario, isExpectedStatus, scenarioRequests } from '../config/scenario';
import { parseDurationMs } from '../core/duration';
import { round } from '../core/numbers';
import { placeholders } from '../core/template';
import type { EgressGuard } from '../core/egress';
import { addSparse, newHistogram } from '../engine/metrics';
import type { DataSourceRun } from '../engine/data-feed';
import { runLoad } from '../engine/run';
import type { ThreadTick } from '../engine/protocol';
import { run } from '../infra/process';
import { listenForAlerts } from '../monitoring/alertmanager';
import { at, probe, promData } from '../monitoring/http';
import type { CanaryEvent, DrillObservations, EndpointSecond, ObservedSecond } from './drill-analysis';
import { backToBaselineAt, reference } from './drill-analysis';

/** A command's output kept for the record (each stream). */
const COMMAND_OUTPUT_BYTES = 16 * 1024;
const STOP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 120_000;

/** The drill was cancelled (an abort): the dependency has been started again. */
export class DrillCancelled extends Error {}

/**
 * A drill that could not run or finish: nothing was stopped (`restored` true), or a command failed; `restored` says
 * whether the dependency was started again, `notes` what the drill noted on the way.
 */
export class DrillRefused extends Error {
  constructor(
    message: string,
    public restored = true,
    public notes: string[] = [],
  ) {
    super(message);
  }
}

export interface DrillRunOptions {
  stop: string[];
  start: string[];
  beforeMs: number;
  downMs: number;
  observeMs: number;
  users: number;
  thinkTimeMs: number;
  scenario: Campaign['scenario'];
  origin: string;
  headers: Record<string, string>;
  /** The scenario's data sources with their rows (scenario.data). */
  data?: Record<string, DataSourceRun>;
  /** Offer HTTP/2 to the target (target.http2). */
  http2?: boolean;
  healthUrl: URL;
  /** The egress guard for the health URL, Prometheus and the webhook address. */
  targetGuard: EgressGuard;
  systemGuard: EgressGuard;
  tolerance: number;
  prometheus?: { url: string; headers: Record<string, string> };
  alert?: string;
  /** host:port where the Alertmanager delivers (monitoring.alertmanager.probe.listen). */
  webhookListen?: string;
  signal: AbortSignal;
  /** Told what the drill is doing (the activity heartbeats it every second). */
  stage: (stage: string) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface DrillRun {
  observations: DrillObservations;
  restored: boolean;
  notes: string[];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Runs a declared command (argv, no shell), its output bounded; returns when it exits (SIGKILL at the timeout). */
export async function runDeclared(argv: string[], timeoutMs: number) {
  const [program, ...args] = argv;
  const started = Date.now();
  const r = await run(program!, args, {
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    untilExit: true,
    maxOutputBytes: COMMAND_OUTPUT_BYTES,
  });
  return { ...r, startedAt: started, endedAt: Date.now() };
}

/** Whether an answer of a status class is a success for a request: its expected statuses, else 2xx and 3xx. */
function successClasses(scenario: Campaign['scenario']): (endpoint: string, cls: string) => boolean {
  const byName = new Map(scenarioRequests(scenario).map((r) => [r.name, r]));
  return (endpoint, cls) => {
    if (cls === 'err') return false;
    const expected = byName.get(endpoint)?.expect?.status;
    if (expected === undefined) return cls === '2xx' || cls === '3xx';
    return (Array.isArray(expected) ? expected : [expected]).some((s) => `${Math.floor(s / 100)}xx` === cls);
  };
}

/**
 * Per-endpoint seconds from the load thread's ticks (one thread: each tick holds the deltas since its previous
 * one). A second in which nothing finished is kept, empty: users hanging on a dependency are impact too.
 */
class SecondsCollector {
  readonly seconds: ObservedSecond[] = [];
  private lastAt: number;

  constructor(
    startMs: number,
    private readonly isSuccess: (endpoint: string, cls: string) => boolean,
  ) {
    this.lastAt = startMs;
  }

  add(tick: ThreadTick): void {
    const now = Date.now();
    const endpoints = new Map<string, EndpointSecond>();
    for (const [name, c] of Object.entries(tick.metrics.endpoints))
      endpoints.set(name, { requests: c.requests, errors: c.errors, ok: newHistogram(), err: newHistogram() });
    for (const [key, sparse] of Object.entries(tick.metrics.histograms)) {
      const bar = key.lastIndexOf('|');
      const name = key.slice(0, bar);
      const e = endpoints.get(name);
      if (e) addSparse(this.isSuccess(name, key.slice(bar + 1)) ? e.ok : e.err, sparse);
    }
    // A tick with nothing in it (the thread flushes more often than once a second) joins the next one; a whole
    // second with nothing finished is kept, empty.
    if (!endpoints.size && now - this.lastAt < 1_000) return;
    this.seconds.push({ startMs: this.lastAt, endMs: now, endpoints });
    this.lastAt = now;
  }
}

/**
 * Runs one drill. Throws DrillRefused when it could not run or a command failed (with whether the dependency was
 * started again), DrillCancelled on an abort (after starting it again).
 */
export async function runDrill(o: DrillRunOptions): Promise<DrillRun> {
  const notes: string[] = [];
  let stopped = false;
  let restored = false;
  try {
    return await drill(o, notes, {
      stopping: () => (stopped = true),
      restored: (ok) => (restored = ok),
    });
  } catch (err) {
    if (err instanceof DrillRefused) {
      err.restored = !stopped || restored;
      err.notes = [...notes, ...err.notes];
    }
    throw err;
  }
}

async function drill(
  o: DrillRunOptions,
  notes: string[],
  track: { stopping: () => void; restored: (ok: boolean) => void },
): Promise<DrillRun> {
  const health = async () => {
    const p = await probe(o.healthUrl, { timeoutMs: 2_000, egress: o.targetGuard, statusOnly: true });
    return { ok: p.ok && p.status >= 200 && p.status < 300, refused: !p.ok && p.error.startsWith('refused: ') };
  };
  o.stage('checking health');
  // A service just restored may need a moment: up to 15 s for it to be healthy.
  let before = await health();
  for (const until = Date.now() + 15_000; !before.ok && !before.refused && Date.now() < until && !o.signal.aborted;) {
    await sleep(500, o.signal);
    before = await health();
  }
  if (before.refused) throw new DrillRefused(`${o.healthUrl.href} is refused by the egress policy: nothing was run`);
  if (!before.ok)
    throw new DrillRefused(
      `${o.healthUrl.href} is not healthy before the drill: not breaking an already broken service (nothing was run)`,
    );

  // The alert: firing before the fault means it says nothing about this one (on either channel).
  const alertsUrl = o.prometheus && o.alert ? at(o.prometheus.url, '/api/v1/alerts') : undefined;
  const alertFiring = async (): Promise<boolean | undefined> => {
    if (!alertsUrl) return undefined;
    const p = await probe(alertsUrl, { timeoutMs: 2_000, egress: o.systemGuard, headers: o.prometheus!.headers });
    const d = promData<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(p);
    if ('problem' in d) return undefined;
    return d.data.alerts.some((a) => a.labels.alertname === o.alert && a.state === 'firing');
  };
  let watchFiring = !!alertsUrl;
  let alreadyFiring = false;
  if (watchFiring) {
    const already = await alertFiring();
    if (already === undefined) {
      watchFiring = false;
      notes.push(`alert ${o.alert}: Prometheus did not answer /api/v1/alerts before the fault; not watched`);
    } else if (already) {
      watchFiring = false;
      alreadyFiring = true;
      notes.push(`alert ${o.alert} was already firing before the fault: it cannot tell this fault; not watched`);
    }
  }

  // The Alertmanager's webhook, where it delivers (the delivery proof's listener address): a notification of an
  // alert that became active at or after the fault.
  let webhook: Server | undefined;
  let deliveredAt: number | null = null;
  let faultAt = Infinity;
  if (o.alert && o.webhookListen && !alreadyFiring) {
    const u = URL.canParse(`http://${o.webhookListen}/`) ? new URL(`http://${o.webhookListen}/`) : undefined;
    const refused = !u
      ? 'not a host:port'
      : u.hostname === '0.0.0.0' || u.hostname === '[::]'
        ? 'a wildcard address listens on every interface'
        : o.systemGuard(u);
    if (refused) notes.push(`alert delivery not watched: not listening on ${o.webhookListen}: ${refused}`);
    else {
      try {
        webhook = await listenForAlerts(o.webhookListen, (alerts) => {
          const now = Date.now();
          for (const a of alerts) {
            const since = Date.parse(a.startsAt ?? '');
            if (a.labels?.alertname !== o.alert || a.status !== 'firing' || now < faultAt) continue;
            if (Number.isFinite(since) && since < faultAt - 1_000) continue;
            deliveredAt ??= now;
          }
        });
      } catch (err) {
        notes.push(`alert delivery not watched: cannot listen on ${o.webhookListen}: ${(err as Error).message}`);
      }
    }
  } else if (o.alert && !o.webhookListen)
    notes.push('alert delivery not watched: monitoring.alertmanager.probe.listen is not set');

  o.stage('starting the load');
  const loadAbort = new AbortController();
  const stopAll = () => loadAbort.abort();
  o.signal.addEventListener('abort', stopAll, { once: true });
  let collector: SecondsCollector | undefined;
  let loadStartMs = Date.now();
  let loadError: unknown;
  const isSuccess = successClasses(o.scenario);
  const load = runLoad({
    plan: {
      model: 'closed',
      durationMs: o.beforeMs + o.downMs + o.observeMs + START_TIMEOUT_MS + STOP_TIMEOUT_MS + 30_000,
      users: o.users,
      rampUpMs: 0,
      thinkTimeMs: o.thinkTimeMs,
      rate: 0,
      stages: [],
      maxInFlight: o.users,
      dropAfterMs: 0,
      requestTimeoutMs: parseDurationMs(o.scenario.requestTimeout) ?? 10_000,
      maxBodyBytes: 1_048_576,
    },
    scenario: o.scenario,
    origin: o.origin,
    headers: o.headers,
    data: o.data,
    http2: o.http2,
    threads: 1,
    signal: loadAbort.signal,
    onStart: (t) => {
      loadStartMs = t;
      collector = new SecondsCollector(t, isSuccess);
    },
    onThreadTick: (tick) => collector?.add(tick),
  });
  // A load thread that dies must not crash the worker while the dependency is down: noted, the drill goes on.
  load.catch((err: unknown) => {
    loadError = err;
    notes.push(`the load stopped: ${err instanceof Error ? err.message : String(err)}`);
  });

  // Watchers: health, the alert, the canary; each a loop until `watching` ends.
  let watching = true;
  let unhealthyAt: number | null = null;
  let firingAt: number | null = null;
  const canary: CanaryEvent[] = [];
  const loops: Array<Promise<void>> = [];
  const every = (ms: number, fn: () => Promise<void>) =>
    loops.push(
      (async () => {
        while (watching) {
          const t0 = Date.now();
          await fn().catch(() => {});
          await new Promise((r) => setTimeout(r, Math.max(0, ms - (Date.now() - t0))));
        }
      })(),
    );
  every(250, async () => {
    const t0 = Date.now();
    const h = await health();
    if (!h.ok && t0 >= faultAt) unhealthyAt ??= Date.now();
  });
  if (watchFiring)
    every(500, async () => {
      const t0 = Date.now();
      if ((await alertFiring()) && t0 >= faultAt) firingAt ??= Date.now();
    });
  const sendCanary = canarySender(o);
  if (sendCanary)
    every(100, async () => {
      canary.push(await sendCanary());
    });
  else notes.push('no canary: the scenario has no GET or HEAD request without captured values');

  let restartAt: number | null = null;
  let stopped = false;
  const restore = async (why: string) => {
    const r = await runDeclared(o.start, START_TIMEOUT_MS);
    track.restored(r.code === 0);
    if (r.code !== 0) notes.push(`${why}: the start command exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    return r;
  };
  try {
    o.stage('before the fault');
    await sleep(o.beforeMs, o.signal);
    if (o.signal.aborted) throw new DrillCancelled('cancelled before the fault');
    if (loadError) throw new DrillRefused('the load stopped before the fault: nothing was stopped');
    o.stage('stopping');
    stopped = true;
    track.stopping();
    faultAt = Date.now();
    const s = await runDeclared(o.stop, STOP_TIMEOUT_MS);
    o.log('dependency stopped', { exit: s.code, ms: s.endedAt - s.startedAt });
    if (s.endedAt - s.startedAt >= 1_000)
      notes.push(`the stop command took ${round((s.endedAt - s.startedAt) / 1000, 1)} s (times are from its start)`);
    if (s.code !== 0) throw new DrillRefused(`the stop command exited ${s.code}: ${s.stderr.trim().slice(0, 300)}`);
    o.stage('dependency down');
    await sleep(Math.max(0, faultAt + o.downMs - Date.now()), o.signal);
    if (o.signal.aborted) throw new DrillCancelled('cancelled while the dependency was down');
    restartAt = Date.now();
    o.stage('restarting');
    const r = await restore('the restart');
    o.log('dependency started', { exit: r.code, ms: r.endedAt - r.startedAt });
    if (r.code !== 0) throw new DrillRefused(`the start command exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    // Watch until back to the pre-fault level for good (or `observe` passes).
    o.stage('recovering');
    const ref = reference({ seconds: collector?.seconds ?? [], loadStartMs, faultAtMs: faultAt });
    const deadline = restartAt + o.observeMs;
    while (Date.now() < deadline && !o.signal.aborted && !loadError) {
      const back = backToBaselineAt(collector?.seconds ?? [], ref, restartAt, o.tolerance);
      if (back !== null && Date.now() - back >= 3_000) break;
      await sleep(250, o.signal);
    }
    if (o.signal.aborted) throw new DrillCancelled('cancelled while recovering');
  } finally {
    // Never leave the dependency stopped.
    if (stopped && restartAt === null) {
      restartAt = Date.now();
      o.stage('restoring');
      await restore('restoring after the drill stopped early').catch((err: unknown) => {
        notes.push(`restoring failed: ${(err as Error).message}`);
      });
    }
    o.stage('finishing');
    watching = false;
    stopAll();
    o.signal.removeEventListener('abort', stopAll);
    await Promise.allSettled([load, ...loops]);
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
    webhook?.closeAllConnections();
  }
  return {
    observations: {
      seconds: collector?.seconds ?? [],
      canary,
      loadStartMs,
      faultAtMs: faultAt,
      restartAtMs: restartAt,
      endAtMs: Date.now(),
      unhealthyAtMs: unhealthyAt,
      alertFiringAtMs: firingAt,
      alertDeliveredAtMs: deliveredAt,
      watched: { health: true, alertFiring: watchFiring, alertDelivered: !!webhook },
    },
    restored: true,
    notes,
  };
}

/**
 * One request of the scenario at a time, round robin over its GET and HEAD requests (flow steps included) that need
 * no captured value nor data row (a canary never writes); undefined when there is none.
 */
function canarySender(o: DrillRunOptions): (() => Promise<CanaryEvent>) | undefined {
  const compiled = compileScenario(o.scenario);
  const captured = new Set([...compiled.captures.values()].flat().map(([name]) => name));
  const generated = new Set(Object.keys(o.scenario.vars));
  const data = new Set(Object.keys(o.scenario.data ?? {}));
  // A capture the canary never makes, or a data row it never takes: such a request would render incomplete.
  const needsCapture = (r: ScenarioRequest) =>
    [r.path, ...Object.values(r.headers ?? {}).filter((h): h is string => typeof h === 'string')]
      .flatMap((t) => placeholders(t))
      .some((n) => (captured.has(n) && !generated.has(n)) || data.has(n.slice(0, Math.max(0, n.indexOf('.')))));
  const usable = scenarioRequests(o.scenario).filter(
    (r) => (r.method === 'GET' || r.method === 'HEAD') && r.json === undefined && !needsCapture(r),
  );
  if (!usable.length) return undefined;
  const timeoutMs = Math.min(parseDurationMs(o.scenario.requestTimeout) ?? 10_000, 10_000);
  let i = 0;
  return async () => {
    const r = usable[i++ % usable.length]!;
    const rendered = compiled.render(r, Math.random, {});
    let ok = false;
    try {
      const res = await request(new URL(rendered.path, o.origin), {
        method: r.method as Dispatcher.HttpMethod,
        headers: { ...o.headers, ...rendered.headers },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const wanted = r.expect?.bodyContains;
      if (wanted) ok = isExpectedStatus(r, res.statusCode) && (await res.body.text()).includes(wanted);
      else {
        await res.body.dump({ limit: 1_048_576 });
        ok = isExpectedStatus(r, res.statusCode);
      }
    } catch {
      ok = false;
    }
    return { atMs: Date.now(), endpoint: r.name, ok };
  };
}
