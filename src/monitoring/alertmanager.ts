/**
 * Alertmanager checks: ready, receivers that notify someone, no broad active silences, and the delivery
 * proof: a uniquely labelled test alert posted to the Alertmanager and received on a webhook this worker
 * listens on, with the post-to-receipt latency measured, then resolved.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { EgressGuard } from '../core/egress';
import { parseExposition } from '../core/exposition';
import { checksAt, isBroadSilence, type CheckResult, type SilenceMatcher } from '../core/monitoring';
import { at, jsonOf, probe } from './http';

/** Check results stamped with the wall clock. */
const check = checksAt(() => new Date());

export interface AlertmanagerCheckOptions {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The egress policy for monitoring systems: the Alertmanager's host, and the address the probe webhook listens on. */
  egress: EgressGuard;
}

/** The label that marks the delivery probe's test alert. */
const PROBE_LABEL = 'readiness_probe';

interface AmConfig {
  route?: unknown;
  receivers?: Array<Record<string, unknown> & { name: string }>;
}

/** The Alertmanager's running configuration (from /api/v2/status), parsed. */
async function runningConfig(o: AlertmanagerCheckOptions): Promise<AmConfig | undefined> {
  const status = jsonOf<{ config?: { original?: string } }>(
    await probe(at(o.url, '/api/v2/status'), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress }),
  );
  try {
    return status?.config?.original ? (parseYaml(status.config.original) as AmConfig) : undefined;
  } catch {
    return undefined;
  }
}

const integrationsOf = (r: Record<string, unknown>) =>
  Object.keys(r).filter((k) => k.endsWith('_configs') && Array.isArray(r[k]) && (r[k] as unknown[]).length > 0);

export async function alertmanagerChecks(o: AlertmanagerCheckOptions): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const ready = await probe(at(o.url, '/-/ready'), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const readyOk = ready.ok && ready.status === 200;
  out.push(
    check(
      'alertmanager.ready',
      'Alertmanager is up and ready',
      'P1',
      readyOk ? 'pass' : 'error',
      {
        endpoint: at(o.url, '/-/ready'),
        observed: ready.ok ? `HTTP ${ready.status}` : ready.error,
        expected: 'HTTP 200',
      },
      'Deploy Alertmanager (or fix monitoring.alertmanager.url): without it, alerts that fire notify nobody.',
    ),
  );
  if (!readyOk) return out;

  const config = await runningConfig(o);
  const receivers = (config?.receivers ?? []).map((r) => ({
    name: r.name,
    integrations: integrationsOf(r).map((k) => k.replace(/_configs$/, '')),
  }));
  const notifying = receivers.filter((r) => r.integrations.length);
  out.push(
    check(
      'alertmanager.receivers',
      'Receivers notify someone',
      'P1',
      config === undefined ? 'error' : notifying.length ? 'pass' : 'fail',
      {
        endpoint: at(o.url, '/api/v2/status'),
        observed: config === undefined ? 'configuration not readable' : receivers,
        expected: 'at least one receiver with a notification integration',
      },
      'Configure a receiver with a real integration (email, Slack, PagerDuty, webhook) and route alerts to it.',
    ),
  );

  const silences = jsonOf<
    Array<{
      id: string;
      matchers: SilenceMatcher[];
      status: { state: string };
      createdBy: string;
      comment: string;
      endsAt: string;
    }>
  >(await probe(at(o.url, '/api/v2/silences'), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress }));
  const active = (silences ?? []).filter((s) => s.status.state === 'active');
  const broad = active.filter((s) => isBroadSilence(s.matchers));
  const describe = (s: (typeof active)[number]) => ({
    id: s.id,
    matchers: s.matchers
      .map((m) => `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}"${m.value}"`)
      .join(','),
    createdBy: s.createdBy,
    endsAt: s.endsAt,
    comment: s.comment,
  });
  out.push(
    check(
      'alertmanager.silences',
      'No broad silences are active',
      'P2',
      silences === undefined ? 'error' : broad.length ? 'fail' : 'pass',
      {
        endpoint: at(o.url, '/api/v2/silences'),
        observed: { active: active.length, broad: broad.map(describe) },
        expected: 'no active silence that matches beyond specific alerts or instances',
      },
      `Expire or narrow the broad silences: ${broad.map((s) => s.id).join(', ')}.`,
    ),
  );
  return out;
}

const SENT = 'alertmanager_notifications_total';
const FAILED = 'alertmanager_notifications_failed_total';

/** Sum of the Alertmanager's notification counters by integration (from its own /metrics). */
async function notificationCounters(
  o: AlertmanagerCheckOptions,
): Promise<Record<string, { sent: number; failed: number }> | undefined> {
  const p = await probe(at(o.url, '/metrics'), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  if (!p.ok || p.status !== 200) return undefined;
  const out: Record<string, { sent: number; failed: number }> = {};
  const { kept } = parseExposition(p.body, (name) => name === SENT || name === FAILED);
  for (const s of kept) {
    const integration = s.labels.integration;
    if (!integration) continue;
    const entry = (out[integration] ??= { sent: 0, failed: 0 });
    if (s.name === FAILED) entry.failed += s.value;
    else entry.sent += s.value;
  }
  return out;
}

/** What the webhook listener received: firing and resolved times of the probe alert. */
interface Received {
  firingAt?: number;
  resolvedAt?: number;
  receiver?: string;
}

/** One alert of an Alertmanager webhook message. */
export interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  /** When the alert became active (RFC 3339). */
  startsAt?: string;
}

/**
 * Listens on `hostPort` for Alertmanager webhook messages (bodies read up to 1 MB; anything else ignored) and calls
 * `onAlerts` with each message's receiver and alerts. The caller checks the address against the egress policy.
 */
export function listenForAlerts(
  hostPort: string,
  onAlerts: (alerts: WebhookAlert[], receiver: string | undefined) => void,
): Promise<Server> {
  const [host, port] = [
    hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
    Number(hostPort.slice(hostPort.lastIndexOf(':') + 1)),
  ];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 1_000_000) body += c;
    });
    req.on('end', () => {
      res.writeHead(200).end();
      try {
        const msg = JSON.parse(body) as { receiver?: string; alerts?: WebhookAlert[] };
        onAlerts(msg.alerts ?? [], msg.receiver);
      } catch {
        // Not a webhook message; ignore.
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function listen(hostPort: string, id: string, got: Received, onChange: () => void): Promise<Server> {
  return listenForAlerts(hostPort, (alerts, receiver) => {
    for (const a of alerts) {
      if (a.labels?.[PROBE_LABEL] !== id) continue;
      if (a.status === 'firing') got.firingAt ??= Date.now();
      if (a.status === 'resolved') got.resolvedAt ??= Date.now();
      got.receiver ??= receiver;
    }
    onChange();
  });
}

/** Whether any receiver's webhook points at the probe listener (host:port). */
function probeRouteExists(config: AmConfig | undefined, hostPort: string): string | undefined {
  for (const r of config?.receivers ?? []) {
    for (const w of (r.webhook_configs as Array<{ url?: string }> | undefined) ?? []) {
      try {
        const u = new URL(w.url ?? '');
        const port = u.port || (u.protocol === 'https:' ? '443' : '80');
        const target = hostPort.replace(/^localhost:/, '127.0.0.1:');
        if (`${u.hostname.replace(/^localhost$/, '127.0.0.1')}:${port}` === target) return r.name;
      } catch {
        // Unparseable URL: not ours.
      }
    }
  }
  return undefined;
}

/** The longest the delivery proof listens for the test alert: 10 minutes (the schema's bound on probe.timeout). */
const MAX_PROBE_WAIT_MS = 600_000;

/**
 * The delivery proof. With a probe route: post a test alert, wait for it on the webhook, measure the
 * latency, resolve it. Without one: post it, watch the Alertmanager's own notification counters, and say
 * the proof is partial. `heartbeat` is called while waiting.
 */
export async function proveDelivery(
  opts: AlertmanagerCheckOptions & { listen: string; waitMs: number; heartbeat?: () => void },
): Promise<CheckResult> {
  // The worker listens no longer than MAX_PROBE_WAIT_MS, whatever it was asked (a direct start skips the schema).
  const o = { ...opts, waitMs: Math.min(opts.waitMs, MAX_PROBE_WAIT_MS) };
  const endpoint = at(o.url, '/api/v2/alerts');
  const id = randomUUID();
  const labels = { alertname: 'ReadinessDeliveryProbe', [PROBE_LABEL]: id, severity: 'none' };
  const annotations = { summary: 'Delivery probe of a readiness campaign; resolves itself. Safe to ignore.' };
  // The worker listens only where it may connect: loopback or an allowed address, never any interface.
  const listenUrl = new URL(`http://${o.listen}/`);
  const refused =
    listenUrl.hostname === '0.0.0.0' || listenUrl.hostname === '[::]'
      ? 'a wildcard address listens on every interface'
      : o.egress(listenUrl);
  if (refused) {
    return check(
      'alertmanager.delivery',
      'A test alert is really delivered',
      'P1',
      'error',
      {
        endpoint: `http://${o.listen}/`,
        observed: `not listening on ${o.listen}: ${refused}`,
        expected: 'the probe webhook listening on loopback or an allowed address',
      },
      'Set monitoring.alertmanager.probe.listen to a loopback address (or one allowed on the worker) and route the probe label there.',
    );
  }
  const config = await runningConfig(o);
  const route = probeRouteExists(config, o.listen);
  const got: Received = {};
  let wake = () => {};
  let server: Server | undefined;
  if (route) {
    try {
      server = await listen(o.listen, id, got, () => wake());
    } catch (err) {
      return check(
        'alertmanager.delivery',
        'A test alert is really delivered',
        'P1',
        'error',
        {
          endpoint: `http://${o.listen}/`,
          observed: `cannot listen on ${o.listen}: ${(err as Error).message}`,
          expected: 'the probe webhook listening',
        },
        'Free the probe address or change monitoring.alertmanager.probe.listen (and the webhook URL routed to it).',
      );
    }
  }
  const before = route ? undefined : await notificationCounters(o);
  const started = Date.now();
  try {
    const posted = await probe(endpoint, {
      method: 'POST',
      headers: o.headers,
      timeoutMs: o.timeoutMs,
      egress: o.egress,
      json: [{ labels, annotations, startsAt: new Date(started).toISOString() }],
    });
    if (!posted.ok || posted.status >= 300) {
      return check(
        'alertmanager.delivery',
        'A test alert is really delivered',
        'P1',
        'fail',
        {
          endpoint,
          observed: posted.ok ? `HTTP ${posted.status}: ${posted.body.slice(0, 200)}` : posted.error,
          expected: 'the test alert accepted',
        },
        'The Alertmanager refused the test alert: check its API access.',
      );
    }
    const deadline = started + o.waitMs;
    if (route) {
      while (got.firingAt === undefined && Date.now() < deadline) {
        o.heartbeat?.();
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.min(1_000, Math.max(0, deadline - Date.now())));
        });
      }
      const routed = jsonOf<Array<{ receivers: Array<{ name: string }> }>>(
        await probe(`${endpoint}?filter=${encodeURIComponent(`${PROBE_LABEL}="${id}"`)}`, {
          headers: o.headers,
          timeoutMs: o.timeoutMs,
          egress: o.egress,
        }),
      );
      const receivers = routed?.[0]?.receivers.map((r) => r.name) ?? [];
      if (got.firingAt === undefined) {
        return check(
          'alertmanager.delivery',
          'A test alert is really delivered',
          'P1',
          'fail',
          {
            endpoint: `http://${o.listen}/`,
            observed: {
              delivered: false,
              waitedS: Math.round(o.waitMs / 1000),
              routedTo: receivers,
              probeReceiver: route,
            },
            expected: `the alert on the ${route} webhook within ${Math.round(o.waitMs / 1000)} s`,
          },
          `The alert was accepted but never delivered: check the route for ${PROBE_LABEL} (group_wait, matchers) and the ${route} receiver.`,
        );
      }
      const latencyMs = got.firingAt - started;
      return check(
        'alertmanager.delivery',
        'A test alert is really delivered',
        'P1',
        'pass',
        {
          endpoint: `http://${o.listen}/`,
          observed: { delivered: true, latencyMs, receiver: got.receiver, routedTo: receivers },
          expected: `delivery within ${Math.round(o.waitMs / 1000)} s`,
        },
        '',
      );
    }
    // No probe route: the Alertmanager's own counters are the only evidence; the proof is partial.
    let after = before;
    while (Date.now() < deadline) {
      o.heartbeat?.();
      after = await notificationCounters(o);
      const rose = Object.entries(after ?? {}).some(([k, v]) => v.sent > (before?.[k]?.sent ?? 0));
      if (rose) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const delta: Record<string, { sent: number; failed: number }> = {};
    for (const [k, v] of Object.entries(after ?? {})) {
      const d = { sent: v.sent - (before?.[k]?.sent ?? 0), failed: v.failed - (before?.[k]?.failed ?? 0) };
      if (d.sent > 0) delta[k] = d;
    }
    const sent = Object.values(delta).some((v) => v.failed < v.sent);
    return check(
      'alertmanager.delivery.partial',
      'A test alert is really delivered (partial proof: no probe route)',
      'P1',
      sent ? 'warn' : 'fail',
      {
        endpoint: at(o.url, '/metrics'),
        observed: { probeRoute: false, notificationsDuringProbe: delta },
        expected: `a route sending ${PROBE_LABEL} alerts to a webhook at http://${o.listen}/`,
      },
      sent
        ? `Notifications were sent, but their receipt is not proven. Route ${PROBE_LABEL}=~".+" to a webhook receiver at http://${o.listen}/ for a full proof.`
        : `No notification was sent for the test alert within ${Math.round(o.waitMs / 1000)} s: check the routes and receivers; add a route for ${PROBE_LABEL} to http://${o.listen}/ for a full proof.`,
    );
  } finally {
    // Resolve the test alert so it leaves no trace in the Alertmanager.
    await probe(endpoint, {
      method: 'POST',
      headers: o.headers,
      timeoutMs: o.timeoutMs,
      egress: o.egress,
      json: [{ labels, annotations, startsAt: new Date(started).toISOString(), endsAt: new Date().toISOString() }],
    });
    if (server) await new Promise<void>((r) => server!.close(() => r()));
  }
}
