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
import type { Campaign } from '../config/schema';
import { compileScenario, isExpectedStatus } from '../config/scenario';
import { parseDurationMs } from '../core/duration';
import type { EgressGuard } from '../core/egress';
import { addSparse, newHistogram } from '../engine/metrics';
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

/** A drill that cannot run (nothing was stopped), or whose commands failed. */
export class DrillRefused extends Error {}

export interface DrillRunOptions {
  stop: string[];
  start: string[];
  beforeMs: number;
  downMs: number;
  observeMs: number;
  users: number;
  scenario: Campaign['scenario'];
  origin: string;
  headers: Record<string, string>;
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
  heartbeat: (stage: string) => void;
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

/** Runs a declared command (argv, no shell), its output bounded. */
export async function runDeclared(argv: string[], timeoutMs: number) {
  const [program, ...args] = argv;
  const started = Date.now();
  const r = await run(program!, args, { timeout: timeoutMs, maxOutputBytes: COMMAND_OUTPUT_BYTES });
  return { ...r, startedAt: started, endedAt: Date.now() };
}

/** Per-endpoint seconds from the load threads' ticks (each tick: the deltas since the thread's previous one). */
class SecondsCollector {
  readonly seconds: ObservedSecond[] = [];
  private lastAt = 0;

  constructor(startMs: number) {
    this.lastAt = startMs;
  }

  add(tick: ThreadTick): void {
    const now = Date.now();
    const endpoints = new Map<string, EndpointSecond>();
    for (const [name, c] of Object.entries(tick.metrics.endpoints))
      endpoints.set(name, { requests: c.requests, errors: c.errors, ok: newHistogram(), err: newHistogram() });
    for (const [key, sparse] of Object.entries(tick.metrics.histograms)) {
      const bar = key.lastIndexOf('|');
      const e = endpoints.get(key.slice(0, bar));
      if (!e) continue;
      const cls = key.slice(bar + 1);
      addSparse(cls === '2xx' || cls === '3xx' ? e.ok : e.err, sparse);
    }
    if (endpoints.size) this.seconds.push({ startMs: this.lastAt, endMs: now, endpoints });
    this.lastAt = now;
  }
}

/** Runs one drill; throws DrillRefused before anything was stopped, DrillCancelled on an abort (after restoring). */
export async function runDrill(o: DrillRunOptions): Promise<DrillRun> {
  const notes: string[] = [];
  const health = async () => {
    const p = await probe(o.healthUrl, { timeoutMs: 2_000, egress: o.targetGuard, statusOnly: true });
    return { ok: p.ok && p.status >= 200 && p.status < 300, refused: !p.ok && p.error.startsWith('refused: ') };
  };
  // A service just restored (a retry after a lost worker) may need a moment: up to 15 s for it to be healthy.
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

  // The alert: firing before the fault means it says nothing about this one.
  const alertsUrl = o.prometheus && o.alert ? at(o.prometheus.url, '/api/v1/alerts') : undefined;
  const alertFiring = async (): Promise<boolean | undefined> => {
    if (!alertsUrl) return undefined;
    const p = await probe(alertsUrl, { timeoutMs: 2_000, egress: o.systemGuard, headers: o.prometheus!.headers });
    const d = promData<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(p);
    if ('problem' in d) return undefined;
    return d.data.alerts.some((a) => a.labels.alertname === o.alert && a.state === 'firing');
  };
  let watchFiring = !!alertsUrl;
  if (watchFiring) {
    const already = await alertFiring();
    if (already === undefined) {
      watchFiring = false;
      notes.push(`alert ${o.alert}: Prometheus did not answer /api/v1/alerts before the fault; not watched`);
    } else if (already) {
      watchFiring = false;
      notes.push(`alert ${o.alert} was already firing before the fault: it cannot tell this fault; not watched`);
    }
  }

  // The Alertmanager's webhook, where it delivers (the delivery proof's listener address).
  let webhook: Server | undefined;
  let deliveredAt: number | null = null;
  let faultAt = Infinity;
  if (o.alert && o.webhookListen) {
    const u = new URL(`http://${o.webhookListen}/`);
    const refused =
      u.hostname === '0.0.0.0' || u.hostname === '[::]'
        ? 'a wildcard address listens on every interface'
        : o.systemGuard(u);
    if (refused) notes.push(`alert delivery not watched: not listening on ${o.webhookListen}: ${refused}`);
    else {
      try {
        webhook = await listenForAlerts(o.webhookListen, (alerts) => {
          for (const a of alerts)
            if (a.labels?.alertname === o.alert && a.status === 'firing' && Date.now() >= faultAt)
              deliveredAt ??= Date.now();
        });
      } catch (err) {
        notes.push(`alert delivery not watched: cannot listen on ${o.webhookListen}: ${(err as Error).message}`);
      }
    }
  } else if (o.alert) notes.push('alert delivery not watched: monitoring.alertmanager.probe.listen is not set');

  const loadAbort = new AbortController();
  const stopAll = () => loadAbort.abort();
  o.signal.addEventListener('abort', stopAll, { once: true });
  let collector: SecondsCollector | undefined;
  let loadStartMs = Date.now();
  const thinkTime = o.scenario.thinkTime;
  const load = runLoad({
    plan: {
      model: 'closed',
      durationMs: o.beforeMs + o.downMs + o.observeMs + START_TIMEOUT_MS + 30_000,
      users: o.users,
      rampUpMs: 0,
      thinkTimeMs: parseDurationMs(thinkTime) ?? 0,
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
    threads: 1,
    signal: loadAbort.signal,
    onStart: (t) => {
      loadStartMs = t;
      collector = new SecondsCollector(t);
    },
    onThreadTick: (tick) => collector?.add(tick),
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
    const h = await health();
    if (!h.ok && Date.now() >= faultAt) unhealthyAt ??= Date.now();
  });
  if (watchFiring)
    every(500, async () => {
      if ((await alertFiring()) && Date.now() >= faultAt) firingAt ??= Date.now();
    });
  const sendCanary = canarySender(o);
  every(100, async () => {
    const e = await sendCanary();
    if (e) canary.push(e);
  });

  let stopped = false;
  let restored = false;
  let restartAt: number | null = null;
  const restore = async (why: string) => {
    const r = await runDeclared(o.start, START_TIMEOUT_MS);
    restored = r.code === 0;
    if (!restored) notes.push(`${why}: the start command exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    return r;
  };
  // Heartbeats every second whatever the drill is doing (a sleep, a command): a live worker is never timed out.
  let stage = 'before';
  const beat = setInterval(() => o.heartbeat(stage), 1_000);
  try {
    o.heartbeat(stage);
    await sleep(o.beforeMs, o.signal);
    if (o.signal.aborted) throw new DrillCancelled('cancelled before the fault');
    stage = 'stopping';
    o.heartbeat(stage);
    stopped = true;
    const s = await runDeclared(o.stop, STOP_TIMEOUT_MS);
    faultAt = s.endedAt;
    o.log('dependency stopped', { exit: s.code, ms: s.endedAt - s.startedAt });
    if (s.code !== 0) throw new DrillRefused(`the stop command exited ${s.code}: ${s.stderr.trim().slice(0, 300)}`);
    stage = 'down';
    o.heartbeat(stage);
    await sleep(o.downMs, o.signal);
    if (o.signal.aborted) throw new DrillCancelled('cancelled while the dependency was down');
    restartAt = Date.now();
    stage = 'restarting';
    o.heartbeat(stage);
    const r = await restore('the restart');
    o.log('dependency started', { exit: r.code, ms: r.endedAt - r.startedAt });
    if (!restored) throw new DrillRefused(`the start command exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
    // Watch until back to the pre-fault level for good (or `observe` passes).
    const ref = reference({ seconds: collector?.seconds ?? [], loadStartMs, faultAtMs: faultAt });
    const deadline = restartAt + o.observeMs;
    while (Date.now() < deadline && !o.signal.aborted) {
      stage = 'recovering';
      const back = backToBaselineAt(collector?.seconds ?? [], ref, restartAt, o.tolerance);
      if (back !== null && Date.now() - back >= 3_000) break;
      await sleep(250, o.signal);
    }
    if (o.signal.aborted) throw new DrillCancelled('cancelled while recovering');
  } finally {
    clearInterval(beat);
    // Never leave the dependency stopped.
    if (stopped && restartAt === null) {
      restartAt = Date.now();
      await restore('restoring after the drill stopped early').catch((err: unknown) => {
        notes.push(`restoring failed: ${(err as Error).message}`);
      });
    }
    watching = false;
    stopAll();
    o.signal.removeEventListener('abort', stopAll);
    await Promise.allSettled([load, ...loops]);
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
    webhook?.closeAllConnections();
  }
  await load;
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
    restored,
    notes,
  };
}

/** One request of the scenario at a time, round robin over the requests that need no captured value. */
function canarySender(o: DrillRunOptions): () => Promise<CanaryEvent | undefined> {
  const compiled = compileScenario(o.scenario);
  const captured = new Set([...compiled.captures.values()].flat().map(([name]) => name));
  const usable = o.scenario.requests.filter((r) => ![...captured].some((n) => JSON.stringify(r).includes(`{{${n}}}`)));
  const timeoutMs = Math.min(parseDurationMs(o.scenario.requestTimeout) ?? 10_000, 10_000);
  let i = 0;
  return async () => {
    if (!usable.length) return undefined;
    const r = usable[i++ % usable.length]!;
    const rendered = compiled.render(r, Math.random, {});
    let ok = false;
    try {
      const res = await request(new URL(rendered.path, o.origin), {
        method: r.method as Dispatcher.HttpMethod,
        headers: { ...o.headers, ...rendered.headers },
        body: rendered.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump({ limit: 1_048_576 });
      ok = isExpectedStatus(r, res.statusCode);
    } catch {
      ok = false;
    }
    return { atMs: Date.now(), endpoint: r.name, ok };
  };
}
