/**
 * Prometheus checks: ready, targets up, required jobs, alert rules loaded and healthy, an Alertmanager
 * discovered, retention, runbooks. Each reads the real HTTP API; nothing unreachable ever passes.
 */
import { parse as parseYaml } from 'yaml';
import type { EgressGuard } from '../core/egress';
import { checksAt, retentionTimeMs, type CheckResult } from '../core/monitoring';
import { formatDurationMs } from '../core/duration';
import { at, probe, promData } from './http';

/** Check results stamped with the wall clock. */
const check = checksAt(() => new Date());

/** An active target as /api/v1/targets lists it. */
export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  annotations?: Record<string, string>;
}

export interface PrometheusCheckOptions {
  url: string;
  headers: Record<string, string>;
  /** The egress policy for monitoring systems (Prometheus itself and the runbook links it lists). */
  egress: EgressGuard;
  requiredJobs: string[];
  minRetentionMs: number;
  requireRunbooks: boolean;
  timeoutMs: number;
}

/** Active targets of a Prometheus, or the problem reading them. */
export async function activeTargets(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  egress: EgressGuard,
): Promise<{ data: PromTarget[] } | { problem: string }> {
  const r = promData<{ activeTargets: PromTarget[] }>(
    await probe(at(url, '/api/v1/targets?state=active'), { headers, timeoutMs, egress }),
  );
  return 'data' in r ? { data: r.data.activeTargets } : r;
}

export async function prometheusChecks(o: PrometheusCheckOptions): Promise<CheckResult[]> {
  const get = (p: string) => probe(at(o.url, p), { headers: o.headers, timeoutMs: o.timeoutMs, egress: o.egress });
  const out: CheckResult[] = [];

  const ready = await get('/-/ready');
  const readyOk = ready.ok && ready.status === 200;
  out.push(
    check(
      'prometheus.ready',
      'Prometheus is up and ready',
      'P0',
      readyOk ? 'pass' : 'error',
      {
        endpoint: at(o.url, '/-/ready'),
        observed: ready.ok ? `HTTP ${ready.status}` : ready.error,
        expected: 'HTTP 200',
      },
      'Start Prometheus (or fix monitoring.prometheus.url) and wait until /-/ready answers 200.',
    ),
  );
  if (!readyOk) {
    for (const [id, title, sev] of [
      ['prometheus.targets_up', 'Every scrape target is up', 'P1'],
      ['prometheus.rules_loaded', 'Alert rules are loaded', 'P1'],
      ['prometheus.alertmanager_discovered', 'Prometheus sends alerts to an Alertmanager', 'P1'],
      ['prometheus.retention', 'Retention is long enough', 'P2'],
    ] as const) {
      out.push(
        check(
          id,
          title,
          sev,
          'not_evaluable',
          { endpoint: o.url, observed: 'Prometheus not ready', expected: 'Prometheus ready' },
          'Fix prometheus.ready first.',
        ),
      );
    }
    return out;
  }

  // Targets and required jobs.
  const targets = await activeTargets(o.url, o.headers, o.timeoutMs, o.egress);
  const targetsEndpoint = at(o.url, '/api/v1/targets?state=active');
  if ('problem' in targets) {
    out.push(
      check(
        'prometheus.targets_up',
        'Every scrape target is up',
        'P1',
        'error',
        { endpoint: targetsEndpoint, observed: targets.problem, expected: 'a target list' },
        'Check Prometheus API access.',
      ),
    );
  } else {
    const down = targets.data.filter((t) => t.health === 'down');
    const unknown = targets.data.filter((t) => t.health === 'unknown');
    const status = targets.data.length === 0 || down.length ? 'fail' : unknown.length ? 'warn' : 'pass';
    out.push(
      check(
        'prometheus.targets_up',
        'Every scrape target is up',
        'P1',
        status,
        {
          endpoint: targetsEndpoint,
          observed: {
            total: targets.data.length,
            up: targets.data.length - down.length - unknown.length,
            down: down.map((t) => ({
              job: t.labels.job ?? t.scrapePool,
              scrapeUrl: t.scrapeUrl,
              lastError: t.lastError,
            })),
            notYetScraped: unknown.map((t) => t.scrapeUrl),
          },
          expected: 'at least one target, all up',
        },
        targets.data.length === 0
          ? 'Prometheus scrapes nothing: add scrape_configs for the services and exporters.'
          : `Fix or remove the down targets: ${down.map((t) => `${t.labels.job ?? t.scrapePool} ${t.scrapeUrl} (${t.lastError})`).join('; ')}.`,
      ),
    );
    if (o.requiredJobs.length) {
      const jobs = new Set(targets.data.map((t) => t.labels.job ?? t.scrapePool));
      const missing = o.requiredJobs.filter((j) => !jobs.has(j));
      out.push(
        check(
          'prometheus.required_jobs',
          'Required scrape jobs are configured',
          'P1',
          missing.length ? 'fail' : 'pass',
          { endpoint: targetsEndpoint, observed: [...jobs].sort(), expected: o.requiredJobs },
          `Add scrape jobs for: ${missing.join(', ')}.`,
        ),
      );
    }
  }

  // Rules: loaded, healthy, runbooks.
  const rules = promData<{ groups: Array<{ name: string; file: string; rules: PromRule[] }> }>(
    await get('/api/v1/rules'),
  );
  const rulesEndpoint = at(o.url, '/api/v1/rules');
  if ('problem' in rules) {
    out.push(
      check(
        'prometheus.rules_loaded',
        'Alert rules are loaded',
        'P1',
        'error',
        { endpoint: rulesEndpoint, observed: rules.problem, expected: 'rule groups' },
        'Check Prometheus API access.',
      ),
    );
  } else {
    const groups = rules.data.groups;
    const alerting = groups.flatMap((g) =>
      g.rules.filter((r) => r.type === 'alerting').map((r) => ({ ...r, group: g.name })),
    );
    const cfg = promData<{ yaml: string }>(await get('/api/v1/status/config'));
    let ruleFiles: unknown = 'unknown';
    if ('data' in cfg) {
      try {
        ruleFiles = (parseYaml(cfg.data.yaml) as { rule_files?: string[] } | null)?.rule_files ?? [];
      } catch {
        ruleFiles = 'config not parseable';
      }
    }
    out.push(
      check(
        'prometheus.rules_loaded',
        'Alert rules are loaded',
        'P1',
        alerting.length ? 'pass' : 'fail',
        {
          endpoint: rulesEndpoint,
          observed: { ruleGroups: groups.length, alertingRules: alerting.length, configuredRuleFiles: ruleFiles },
          expected: 'at least one rule group with alerting rules',
        },
        groups.length === 0
          ? 'Prometheus has loaded 0 rule groups: the rule files exist but are not loaded. List them under rule_files (and mount them where Prometheus runs), then reload.'
          : 'The loaded groups hold no alerting rules: add alerting rules for the service (errors, latency, saturation).',
      ),
    );
    if (alerting.length) {
      const broken = groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
      const pending = groups.flatMap((g) => g.rules).filter((r) => r.health === 'unknown');
      out.push(
        check(
          'prometheus.rules_healthy',
          'Alert rules evaluate without errors',
          'P1',
          broken.length ? 'fail' : pending.length ? 'warn' : 'pass',
          {
            endpoint: rulesEndpoint,
            observed: {
              errors: broken.map((r) => ({ rule: r.name, lastError: r.lastError })),
              notYetEvaluated: pending.map((r) => r.name),
            },
            expected: 'every rule health ok',
          },
          `Fix the failing rule expressions: ${broken.map((r) => r.name).join(', ')}.`,
        ),
      );
      if (o.requireRunbooks) out.push(await runbookCheck(alerting, o, rulesEndpoint));
    }
  }

  const ams = promData<{ activeAlertmanagers: Array<{ url: string }> }>(await get('/api/v1/alertmanagers'));
  out.push(
    check(
      'prometheus.alertmanager_discovered',
      'Prometheus sends alerts to an Alertmanager',
      'P1',
      'problem' in ams ? 'error' : ams.data.activeAlertmanagers.length ? 'pass' : 'fail',
      {
        endpoint: at(o.url, '/api/v1/alertmanagers'),
        observed: 'problem' in ams ? ams.problem : ams.data.activeAlertmanagers.map((a) => a.url),
        expected: 'at least one active Alertmanager',
      },
      'No Alertmanager: even when alerts fire, nobody is notified. Deploy Alertmanager and list it under alerting.alertmanagers.',
    ),
  );

  const info = promData<{ storageRetention: string }>(await get('/api/v1/status/runtimeinfo'));
  const retentionMs = 'data' in info ? retentionTimeMs(info.data.storageRetention) : undefined;
  out.push(
    check(
      'prometheus.retention',
      'Retention is long enough',
      'P2',
      'problem' in info ? 'error' : retentionMs !== undefined && retentionMs >= o.minRetentionMs ? 'pass' : 'fail',
      {
        endpoint: at(o.url, '/api/v1/status/runtimeinfo'),
        observed: 'problem' in info ? info.problem : info.data.storageRetention,
        expected: `>= ${formatDurationMs(o.minRetentionMs)}`,
      },
      `Raise --storage.tsdb.retention.time to at least ${formatDurationMs(o.minRetentionMs)} (and size the disk for it).`,
    ),
  );
  return out;
}

/** Runbook links probed per check at most (the rest are listed as not probed), and how many at a time. */
export const RUNBOOK_BUDGET = { urls: 50, parallel: 4 };

/**
 * Every alerting rule carries a runbook_url, and every distinct URL answers (HTTP < 400). The links come from
 * Prometheus, so they are hostile input: each goes through the egress policy (a refused host is reported, never
 * connected to), at most {@link RUNBOOK_BUDGET} of them, and only their status is read (at most 64 KiB each).
 */
async function runbookCheck(
  alerting: Array<PromRule & { group: string }>,
  o: PrometheusCheckOptions,
  endpoint: string,
): Promise<CheckResult> {
  const missing = alerting.filter((r) => !r.annotations?.runbook_url).map((r) => r.name);
  const urls = [...new Set(alerting.map((r) => r.annotations?.runbook_url).filter((u): u is string => !!u))].sort();
  const probed = urls.slice(0, RUNBOOK_BUDGET.urls);
  const notProbed = urls.slice(RUNBOOK_BUDGET.urls);
  const dead: Array<{ url: string; observed: string }> = [];
  const refused: Array<{ url: string; observed: string }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(RUNBOOK_BUDGET.parallel, probed.length) }, async () => {
      while (next < probed.length) {
        const url = probed[next++]!;
        const p = /^https?:\/\//.test(url)
          ? await probe(url, { timeoutMs: o.timeoutMs, egress: o.egress, statusOnly: true })
          : { ok: false as const, error: 'not an http(s) URL', ms: 0 };
        if (!p.ok && p.error.startsWith('refused: ')) refused.push({ url, observed: p.error });
        else if (!p.ok || p.status >= 400) dead.push({ url, observed: p.ok ? `HTTP ${p.status}` : p.error });
      }
    }),
  );
  const byUrl = (a: { url: string }, b: { url: string }) => a.url.localeCompare(b.url);
  const status = missing.length || dead.length ? 'fail' : refused.length || notProbed.length ? 'error' : 'pass';
  return check(
    'prometheus.runbooks',
    'Alert rules link runbooks that exist',
    'P1',
    status,
    {
      endpoint,
      observed: {
        alertingRules: alerting.length,
        withoutRunbookUrl: missing,
        unreachableRunbooks: dead.sort(byUrl),
        ...(refused.length ? { refusedRunbooks: refused.sort(byUrl) } : {}),
        ...(notProbed.length
          ? {
              notProbed: {
                count: notProbed.length,
                reason: `over the budget of ${RUNBOOK_BUDGET.urls} runbook URLs per check`,
              },
            }
          : {}),
      },
      expected: 'a runbook_url annotation on every alerting rule, each answering',
    },
    [
      missing.length ? `Add runbook_url annotations to: ${missing.join(', ')}.` : '',
      dead.length ? `Write (or fix the links to) the runbooks: ${dead.map((d) => d.url).join(', ')}.` : '',
      refused.length
        ? `The worker may not reach the runbook hosts of ${refused.map((d) => d.url).join(', ')}: allow them in READINESS_ALLOWED_SYSTEM_HOSTS (or host the runbooks where the worker may look).`
        : '',
      notProbed.length
        ? `${notProbed.length} runbook URLs were not checked (at most ${RUNBOOK_BUDGET.urls} per check).`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}
