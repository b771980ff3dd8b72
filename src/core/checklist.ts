/**
 * The production-readiness checklist: the built-in items (the seed's production checklist plus the
 * automated results of every phase), merging a campaign's overrides, binding automated items to
 * evidence, and scoring items into category scores and a GO / CONDITIONAL_GO / NO_GO verdict.
 * Pure: the same evidence, attestations, waivers and scoring instant give the same verdict, so
 * `readiness rescore` recomputes it from the store.
 */
import { dependencyTargetText, type DependencyRow } from './dependencies';
import { parseDurationMs } from './duration';
import { drillEvidence, resourceEvidence, type FaultDrillResult, type ResourceStability } from './drills';
import { globMatch } from './glob';
import {
  CATEGORIES,
  type Attestation,
  type Binding,
  type Blocker,
  type Category,
  type CategoryScore,
  type ChecklistItem,
  type EvaluatedItem,
  type ChecklistEvaluation,
  type ItemEvidence,
  type ItemStatus,
  type Severity,
  type VerdictPolicy,
  type Waiver,
} from './checklist-types';
import type { Decision } from './types';
import type { Degradation } from './degradation';
import type { RecoveryAfterLoad } from './stress';

/** Default verdict policy: GO from 90 %, CONDITIONAL_GO from 75 %, no P1 blocker allowed. */
const DEFAULT_POLICY: VerdictPolicy = { goAt: 90, conditionalAt: 75, maxP1Blockers: 0 };

type Def = Omit<ChecklistItem, 'weight'> & { weight?: number };
const auto = (
  id: string,
  title: string,
  category: Category,
  severity: Severity,
  binding: Binding,
  remediation: string,
  weight = 1,
): Def => ({ id, title, category, severity, automated: binding, remediation, weight });
const manual = (id: string, title: string, category: Category, severity: Severity, remediation?: string): Def => ({
  id,
  title,
  category,
  severity,
  manual: true,
  ...(remediation ? { remediation } : {}),
});

/**
 * The built-in checklist: the seed's production checklist (infrastructure, configuration, security,
 * monitoring, documentation, testing) as manual items, and the phases' automated results.
 */
export const DEFAULT_CHECKLIST: readonly ChecklistItem[] = (
  [
    // Performance: the load phases.
    auto(
      'perf.smoke',
      'Smoke test passes',
      'Performance',
      'P0',
      { check: 'baseline.smoke' },
      'Fix the failing smoke requests before anything else.',
    ),
    auto(
      'perf.baseline',
      'Baseline load phases within thresholds',
      'Performance',
      'P1',
      { check: 'phase.baseline' },
      'Investigate the failed thresholds per endpoint (report: baseline).',
      3,
    ),
    auto(
      'perf.breaking-point',
      'Capacity ceiling and breaking point measured under progressive stress',
      'Performance',
      'P1',
      { check: 'phase.stress' },
      'Run the stress phase to a breaking point and size capacity from the ceiling.',
      3,
    ),
    auto(
      'perf.spike-recovery',
      'Recovers from a traffic spike within the allowed time',
      'Performance',
      'P1',
      { check: 'phase.spike' },
      'Add rate limiting / autoscaling so the service recovers after a spike.',
      2,
    ),
    auto(
      'perf.graceful-degradation',
      'Degrades gracefully past capacity: stays up and sheds the excess with answers, not dropped connections or hangs',
      'Performance',
      'P1',
      { check: 'stress.degradation' },
      'Shed load the service cannot take with fast 429/503 answers (a bounded queue, admission control, a rate limiter) instead of letting connections time out or reset.',
      2,
    ),
    auto(
      'perf.recovery-after-load',
      'Recovers automatically after load reduction (no leak)',
      'Performance',
      'P1',
      { check: 'stress.recovery_after_load' },
      'Find what stays saturated after the load goes down (connection pool, queue, memory) and release it: a leak or a retry storm keeps the service degraded.',
      2,
    ),
    auto(
      'perf.informative-errors',
      'Error answers under overload are informative (no empty bodies, HTML pages or stack traces)',
      'Performance',
      'P2',
      { check: 'stress.informative_errors' },
      'Answer overload with a short machine-readable error (and Retry-After), never an internal stack trace.',
    ),
    auto(
      'perf.fail-fast',
      'Fails fast under overload (failed requests do not hang)',
      'Performance',
      'P2',
      { check: 'stress.fail_fast' },
      'Bound the waits (pool acquire, queue, upstream timeouts) below the client timeout so overload fails fast.',
    ),
    // Monitoring: the monitoring checks.
    auto(
      'mon.prometheus-targets',
      'Prometheus scraping all service endpoints',
      'Monitoring',
      'P1',
      { check: 'prometheus.targets_up' },
      'Bring the down targets up or remove them from the scrape config.',
    ),
    auto(
      'mon.alert-rules',
      'Alert rules configured, loaded and healthy',
      'Monitoring',
      'P1',
      { check: 'prometheus.rules_*' },
      'Load the rule files (rule_files) and fix unhealthy rules.',
    ),
    auto(
      'mon.alert-delivery',
      'Alert notification channel tested end to end',
      'Monitoring',
      'P1',
      { check: 'alertmanager.*' },
      'Wire Prometheus to Alertmanager and prove a test alert is delivered.',
    ),
    auto(
      'mon.runbooks',
      'Alert runbooks exist',
      'Monitoring',
      'P2',
      { check: 'prometheus.runbooks' },
      'Add a runbook_url annotation to every alerting rule.',
    ),
    auto(
      'mon.retention',
      'Metrics retention configured',
      'Monitoring',
      'P2',
      { check: 'prometheus.retention' },
      'Set --storage.tsdb.retention.time to the required period.',
    ),
    auto(
      'mon.service-metrics',
      'Services expose /metrics and are scraped',
      'Monitoring',
      'P2',
      { check: 'metrics.*' },
      'Instrument the services and add them to the scrape config.',
    ),
    auto(
      'mon.logs',
      'Centralized log aggregation working',
      'Monitoring',
      'P2',
      { check: 'loki.*' },
      'Ship the service logs to the log store and check they are searchable.',
    ),
    auto(
      'mon.dashboards',
      'Critical metrics dashboards reachable',
      'Monitoring',
      'P3',
      { check: 'grafana.*' },
      'Provision dashboards for the critical metrics.',
    ),
    auto(
      'mon.alerts-under-load',
      'Alerts fire at their thresholds under load',
      'Monitoring',
      'P2',
      { check: 'alerts_under_load.*' },
      'Fix the alert expressions that did not fire under stress.',
    ),
    manual('mon.dashboard-access', 'Dashboard access granted to the on-call team', 'Monitoring', 'P3'),
    // Backup and recovery: the drills.
    auto(
      'backup.restore',
      'Database backup restores with integrity proven and RTO/RPO within targets',
      'Backup/Recovery',
      'P1',
      { check: 'backup.postgres' },
      'Fix the backup or restore and re-run the drill.',
      3,
    ),
    auto(
      'backup.redis',
      'Redis persistence survives a restart',
      'Backup/Recovery',
      'P2',
      { check: 'backup.redis' },
      'Enable and verify Redis persistence (RDB/AOF) for stores.',
    ),
    auto(
      'backup.service-recovery',
      'Services recover automatically after a kill',
      'Backup/Recovery',
      'P1',
      { check: 'backup.service.*' },
      'Add restart policies and health checks so killed services come back.',
    ),
    manual(
      'backup.automation',
      'Backups run automatically on a schedule',
      'Backup/Recovery',
      'P1',
      'Schedule backups and alert when one is missed.',
    ),
    manual('backup.offsite', 'Backups copied to remote storage', 'Backup/Recovery', 'P2'),
    // Infrastructure (seed: Infrastructure, Configuration).
    manual('infra.environment', 'Production environment provisioned', 'Infrastructure', 'P0'),
    manual('infra.network', 'Network security groups configured', 'Infrastructure', 'P1'),
    manual('infra.tls', 'SSL/TLS certificates installed', 'Infrastructure', 'P1'),
    manual('infra.dns', 'Domain DNS configured', 'Infrastructure', 'P2'),
    manual('infra.load-balancer', 'Load balancer configured', 'Infrastructure', 'P2'),
    manual('infra.cdn', 'CDN configured (if applicable)', 'Infrastructure', 'P3'),
    manual('infra.connections', 'Database and Redis connection strings validated', 'Infrastructure', 'P2'),
    manual('infra.external-credentials', 'External API credentials ready', 'Infrastructure', 'P2'),
    // Security.
    manual('sec.scan', 'Security scan completed', 'Security', 'P1'),
    manual('sec.testing', 'Security testing completed', 'Security', 'P1'),
    manual('sec.secrets-management', 'Secrets management strategy defined', 'Security', 'P1'),
    manual('sec.secrets-rotated', 'Secrets rotated for production', 'Security', 'P1'),
    manual('sec.access-controls', 'Access controls reviewed', 'Security', 'P1'),
    manual('sec.audit-logging', 'Audit logging enabled', 'Security', 'P2'),
    manual('sec.intrusion-detection', 'Intrusion detection configured', 'Security', 'P3'),
    // Documentation.
    manual('doc.env-vars', 'Production environment variables documented', 'Documentation', 'P2'),
    manual('doc.architecture', 'Architecture diagrams current', 'Documentation', 'P3'),
    manual('doc.api', 'API documentation current', 'Documentation', 'P3'),
    manual('doc.deployment-runbook', 'Deployment runbook complete', 'Documentation', 'P2'),
    manual('doc.rollback', 'Rollback procedures documented', 'Documentation', 'P1'),
    manual('doc.dr-runbook', 'Disaster recovery runbook written', 'Documentation', 'P1'),
    // Operations.
    manual('ops.on-call', 'On-call rotation defined', 'Operations', 'P1'),
    manual('ops.incident-response', 'Incident response plan ready', 'Operations', 'P1'),
    manual('ops.rate-limiting', 'Rate limiting protects the service beyond its capacity', 'Operations', 'P2'),
  ] as Def[]
).map((d) => ({ weight: 1, ...d }));

/** Built-in items of the fault drills, included when the campaign has drills (seeds: failure scenario testing). */
export const DRILL_CHECKLIST: readonly ChecklistItem[] = (
  [
    auto(
      'mon.fault-detection',
      'A dependency outage is detected within target (health check, alert firing or alert delivered)',
      'Monitoring',
      'P1',
      { check: 'faults.drills.*.detected' },
      'Make the health endpoint check the dependency, and alert on it with a short `for:` and a quick Alertmanager group_wait.',
    ),
    auto(
      'ops.fault-recovery',
      'Recovers from a dependency outage within target, every endpoint passing again',
      'Backup/Recovery',
      'P1',
      { check: 'faults.drills.*.recovered' },
      'Reconnect automatically (retry with backoff, pool revalidation) and drop broken connections when the dependency returns.',
    ),
    auto(
      'perf.dependency-fail-fast',
      'Fails fast while a dependency is down (no hanging requests; a circuit breaker opens)',
      'Performance',
      'P2',
      { check: 'faults.drills.*.fail_fast' },
      'Bound dependency calls with short timeouts and a circuit breaker (e.g. open after 5 consecutive failures) so users get a fast error.',
    ),
  ] as Def[]
).map((d) => ({ weight: 1, ...d }));

/** Built-in items of resource stability, included when the campaign configures it (seeds: memory and resource usage). */
export const RESOURCE_CHECKLIST: readonly ChecklistItem[] = (
  [
    auto(
      'perf.memory-stability',
      'Memory is stable under sustained load (no leak)',
      'Performance',
      'P2',
      { check: 'faults.resources.memory' },
      'Profile the heap over a long run: a steady climb under constant load is a leak (caches without bounds, listeners, pools).',
    ),
    auto(
      'perf.cpu-average',
      'CPU average under sustained load within limit',
      'Performance',
      'P2',
      { check: 'faults.resources.cpu_avg' },
      'Profile the hot paths, or size the service for the load with headroom.',
    ),
    auto(
      'perf.cpu-peak',
      'CPU peak under sustained load within limit',
      'Performance',
      'P2',
      { check: 'faults.resources.cpu_peak' },
      'Find what spikes the CPU (GC, batch jobs, bursts) and smooth or size for it.',
    ),
  ] as Def[]
).map((d) => ({ weight: 1, ...d }));

/** Which optional built-in items a campaign gets: those of the sections it has. */
export const checklistSections = (c: { faults?: { drills?: unknown[]; resources?: unknown } }) => ({
  drills: !!c.faults?.drills?.length,
  resources: !!c.faults?.resources,
});

/** A campaign file's `checklist` section (validated by the config schema). */
export interface ChecklistConfig {
  /** Include the built-in items (default true). */
  defaults?: boolean;
  /** Items to add, or to override by id (only the fields given change). */
  items?: Array<Partial<Omit<ChecklistItem, 'manual'>> & { id: string; manual?: boolean }>;
  /** Ids of items to drop. */
  drop?: string[];
  attestationDeadline?: string;
}

/**
 * The campaign's checklist: the built-in items (unless `defaults: false`), overridden field by field by
 * items with the same id, extended by new ones, minus the dropped ids. Problems (a new item missing a
 * field, a dropped id that does not exist) are returned with the path that names them.
 */
export function resolveChecklist(
  config: ChecklistConfig | undefined,
  /** Sections the campaign has whose built-in items are included only then. */
  sections: { drills?: boolean; resources?: boolean } = {},
): {
  items: ChecklistItem[];
  problems: Array<{ path: Array<string | number>; message: string }>;
} {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const byId = new Map<string, ChecklistItem>();
  const builtIn = [
    ...DEFAULT_CHECKLIST,
    ...(sections.drills ? DRILL_CHECKLIST : []),
    ...(sections.resources ? RESOURCE_CHECKLIST : []),
  ];
  if (config?.defaults !== false) for (const d of builtIn) byId.set(d.id, { ...d });
  (config?.items ?? []).forEach((raw, i) => {
    const base = byId.get(raw.id);
    const { manual: isManual, automated, ...rest } = raw;
    const merged = { ...(base ?? {}), ...rest } as Partial<ChecklistItem>;
    // Giving one kind replaces the other.
    if (automated) {
      merged.automated = automated;
      delete merged.manual;
    } else if (isManual) {
      merged.manual = true;
      delete merged.automated;
    }
    merged.weight ??= 1;
    if (!base) {
      for (const field of ['title', 'category', 'severity'] as const) {
        if (merged[field] === undefined)
          problems.push({ path: ['items', i, field], message: `new item "${raw.id}" needs a ${field}` });
      }
      if (!merged.automated && !merged.manual)
        problems.push({
          path: ['items', i],
          message: `new item "${raw.id}" needs either automated: { check | expr } or manual: true`,
        });
    }
    byId.set(raw.id, merged as ChecklistItem);
  });
  (config?.drop ?? []).forEach((id, i) => {
    if (!byId.delete(id)) problems.push({ path: ['drop', i], message: `no checklist item "${id}" to drop` });
  });
  return { items: [...byId.values()], problems };
}

// ---------------------------------------------------------------------------------------------------
// Expressions over report fields: `stress.breakingPoint.users >= 300`, `baseline.phases[peak].latencyMs.p95 < 500`.

type Literal = number | string | boolean;
type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';
type PathPart = { key: string } | { select: string } | { index: number };
/** A parsed expression: comparisons joined by `and`. */
export interface Expr {
  text: string;
  terms: Array<{ path: PathPart[]; pathText: string; op: Op; value: Literal }>;
}

const TERM =
  /^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*|\[[\w.-]+\])*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?|'[^']*'|"[^"]*"|true|false)\s*$/;

/** Parses an expression, or returns the problem (for the config validator). */
export function parseExpr(text: string): Expr | { error: string } {
  // Split on `and` / `&&` between whitespace, outside quoted strings, in one pass (each whitespace run is
  // looked at once: the text comes from a campaign file).
  const parts: string[] = [];
  const space = (i: number) => i < text.length && /\s/.test(text[i]!);
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      continue;
    }
    if (!space(i)) continue;
    let j = i;
    while (space(j)) j++;
    const word = text.startsWith('and', j) ? 3 : text.startsWith('&&', j) ? 2 : 0;
    if (word && space(j + word)) {
      let k = j + word;
      while (space(k)) k++;
      parts.push(text.slice(start, i));
      start = k;
      i = k - 1;
    } else {
      i = j - 1;
    }
  }
  parts.push(text.slice(start));
  const terms: Expr['terms'] = [];
  for (const part of parts) {
    const m = TERM.exec(part);
    if (!m)
      return {
        error: `invalid expression "${part.trim()}": expected <field path> <op> <value>, e.g. stress.breakingPoint.users >= 300 (ops: < <= > >= == !=, values: numbers, 'strings', true, false; join with "and")`,
      };
    const path: PathPart[] = [];
    for (const seg of m[1]!.matchAll(/([A-Za-z_]\w*)|\[([\w.-]+)\]/g)) {
      if (seg[1] !== undefined) path.push({ key: seg[1] });
      else path.push(/^\d+$/.test(seg[2]!) ? { index: Number(seg[2]) } : { select: seg[2]! });
    }
    const raw = m[3]!;
    const value: Literal =
      raw === 'true' ? true : raw === 'false' ? false : /^['"]/.test(raw) ? raw.slice(1, -1) : Number(raw);
    terms.push({ path, pathText: m[1]!, op: m[2] as Op, value });
  }
  return { text, terms };
}

/** Follows a path through report data; `[name]` selects the array element whose `name` (or `id`) is it. */
function resolvePath(data: unknown, path: PathPart[]): unknown {
  let cur: unknown = data;
  for (const p of path) {
    if (cur === null || cur === undefined) return undefined;
    if ('key' in p) cur = typeof cur === 'object' ? (cur as Record<string, unknown>)[p.key] : undefined;
    else if ('index' in p)
      cur = Array.isArray(cur)
        ? cur[p.index]
        : typeof cur === 'object'
          ? (cur as Record<string, unknown>)[String(p.index)]
          : undefined;
    else if (Array.isArray(cur))
      cur = cur.find(
        (e) =>
          e &&
          typeof e === 'object' &&
          ((e as { name?: unknown }).name === p.select || (e as { id?: unknown }).id === p.select),
      );
    else cur = typeof cur === 'object' ? (cur as Record<string, unknown>)[p.select] : undefined;
  }
  return cur;
}

function compare(a: Literal, op: Op, b: Literal): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** Evaluates an expression: pass / fail, or not_evaluable when a field is absent or of the wrong type. */
export function evaluateExpr(
  expr: Expr,
  data: unknown,
): { status: 'pass' | 'fail' | 'not_evaluable'; observed: string } {
  const seen: string[] = [];
  let ok = true;
  for (const t of expr.terms) {
    const v = resolvePath(data, t.path);
    if (v === undefined || v === null) return { status: 'not_evaluable', observed: `${t.pathText} is absent` };
    if (typeof v !== typeof t.value)
      return { status: 'not_evaluable', observed: `${t.pathText} is ${JSON.stringify(v)}, not a ${typeof t.value}` };
    seen.push(`${t.pathText} = ${JSON.stringify(v)}`);
    if (!compare(v as Literal, t.op, t.value)) ok = false;
  }
  return { status: ok ? 'pass' : 'fail', observed: seen.join(', ') };
}

// ---------------------------------------------------------------------------------------------------
// Evidence: every automated result of the campaign under one id.

/** One piece of evidence an automated item can be bound to. */
export interface EvidenceEntry {
  id: string;
  status: ItemStatus;
  observed: string;
  expected?: string;
  collectedAt?: string;
  remediation?: string;
}

/** The parts of report.json evidence is drawn from. */
export interface EvidenceReport {
  campaign: { startedAt: string };
  phases: Record<string, { status: string; reason?: string }>;
  baseline: {
    phases: Array<{
      name: string;
      assessment: string;
      notes: string[];
      thresholds: Array<{ ok: boolean; threshold: string; observed: number }>;
    }>;
  };
  spike?: { recovered: boolean; recoveryTimeS: number | null; crashed: boolean; degradation?: Degradation };
  stress?: { degradation?: Degradation; recoveryAfterLoad?: RecoveryAfterLoad };
  monitoring?: {
    checks: Array<{
      id: string;
      status: string;
      evidence: { observed: unknown; expected: unknown; collectedAt: string };
      remediation: string;
    }>;
    maturity: { level: number; targetLevel: number; label: string };
  };
  faults?: {
    dependencies: DependencyRow[];
    errors: Array<{ dependency: string; error: string }>;
    drills?: FaultDrillResult[];
    resources?: ResourceStability;
  };
  backup?: {
    drills: Array<{
      id: string;
      status: string;
      findings: Array<{ message?: string } | string>;
      rtoS?: number | null;
      rpoS?: number | null;
    }>;
  };
}

const PHASE_STATUS: Record<string, ItemStatus> = {
  pass: 'pass',
  fail: 'fail',
  error: 'error',
  not_run: 'not_run',
  aborted: 'not_run',
};
const ASSESSMENT_STATUS: Record<string, ItemStatus> = {
  pass: 'pass',
  fail: 'fail',
  invalid: 'error',
  aborted: 'not_run',
};
const asStatus = (s: string): ItemStatus =>
  (['pass', 'warn', 'fail', 'error', 'not_run', 'not_evaluable'] as string[]).includes(s) ? (s as ItemStatus) : 'error';
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Indexes a campaign's automated results: `phase.<name>`, `baseline.<phase>`, monitoring check ids,
 * `monitoring.maturity`, `backup.<drill>`. Each is dated when its phase ended (`phaseEndedAt`, recorded by the
 * workflow); monitoring checks carry their own collection time. Undated evidence counts from the campaign's
 * start (the oldest it can be).
 */
export function collectEvidence(
  report: EvidenceReport,
  phaseEndedAt: Partial<Record<string, string>> = {},
): Map<string, EvidenceEntry> {
  const when = (phase: string) => phaseEndedAt[phase] ?? report.campaign.startedAt;
  const out = new Map<string, EvidenceEntry>();
  const add = (e: EvidenceEntry) => out.set(e.id, e);
  for (const [name, o] of Object.entries(report.phases)) {
    if (name === 'checklist') continue;
    add({
      id: `phase.${name}`,
      status: PHASE_STATUS[o.status] ?? 'error',
      observed: `${o.status}${o.reason ? `: ${o.reason}` : ''}`,
      expected: 'pass',
      collectedAt: when(name),
    });
  }
  for (const p of report.baseline.phases) {
    const failed = p.thresholds
      .filter((t) => !t.ok)
      .map((t) => `${t.threshold} (observed ${Math.round(t.observed * 1000) / 1000})`);
    add({
      id: `baseline.${p.name}`,
      status: ASSESSMENT_STATUS[p.assessment] ?? 'error',
      observed: [p.assessment, ...failed, ...p.notes].join('; '),
      expected: 'every threshold met',
      collectedAt: when('baseline'),
    });
  }
  for (const c of report.monitoring?.checks ?? []) {
    add({
      id: c.id,
      status: asStatus(c.status),
      observed: text(c.evidence.observed),
      expected: text(c.evidence.expected),
      collectedAt: c.evidence.collectedAt,
      remediation: c.remediation || undefined,
    });
  }
  if (report.monitoring) {
    const m = report.monitoring.maturity;
    add({
      id: 'monitoring.maturity',
      status: m.level >= m.targetLevel ? 'pass' : 'fail',
      observed: `level ${m.level} (${m.label})`,
      expected: `level ${m.targetLevel} or higher`,
      collectedAt: when('monitoring'),
    });
  }
  // How the target degrades (stress steps past the breaking point, the spike) and recovers after load reduction.
  const judged = [
    report.stress?.degradation && { where: 'stress', d: report.stress.degradation, phase: 'stress' },
    report.spike?.degradation && { where: 'spike', d: report.spike.degradation, phase: 'spike' },
  ].filter((x): x is { where: string; d: Degradation; phase: string } => !!x);
  const verdict = (
    id: string,
    expected: string,
    pick: (d: Degradation) => boolean | null,
    detail: (d: Degradation) => string,
  ) => {
    if (!judged.length) return;
    const parts = judged.map((j) => ({ ...j, v: pick(j.d) }));
    const status: ItemStatus = parts.some((p) => p.v === false)
      ? 'fail'
      : parts.some((p) => p.v === true)
        ? 'pass'
        : 'not_evaluable';
    add({
      id,
      status,
      observed: parts.map((p) => `${p.where}: ${p.v === null ? 'nothing failed to judge' : detail(p.d)}`).join('; '),
      expected,
      collectedAt: when(parts[parts.length - 1]!.phase),
    });
  };
  const classes = (d: Degradation) =>
    `${d.failures} failures: ${d.errorClasses.fastRejections} fast rejections (${d.errorClasses.withRetryAfter} with Retry-After), ${d.errorClasses.timeouts} timeouts, ${d.errorClasses.transport} transport errors, ${d.errorClasses.otherServerErrors} other 5xx${d.healthAfter ? `; healthy right after: ${d.healthAfter.ok ? 'yes' : 'no'}` : ''}`;
  verdict(
    'stress.degradation',
    'healthy right after, and at most 10 % of failures unanswered (timeouts, transport errors)',
    (d) => d.graceful,
    (d) => `${d.graceful ? 'graceful' : 'not graceful'}, ${classes(d)}`,
  );
  verdict(
    'stress.fail_fast',
    'failed requests no slower at p95 than 2x the successful ones (at least 250 ms)',
    (d) => d.failFast,
    (d) =>
      `failed p95 ${Math.round((d.failedP95Ms ?? 0) * 10) / 10} ms, successful p95 ${d.okP95Ms === null ? '-' : Math.round(d.okP95Ms * 10) / 10} ms`,
  );
  verdict(
    'stress.informative_errors',
    'no stack trace, at most half of the sampled error bodies empty or HTML',
    (d) => d.informativeErrors,
    (d) =>
      `${d.samples.length} sampled bodies: ${d.samples.filter((x) => x.flags.includes('stack_trace')).length} stack traces, ${d.samples.filter((x) => x.flags.includes('empty')).length} empty, ${d.samples.filter((x) => x.flags.includes('html')).length} HTML`,
  );
  const rec = report.stress?.recoveryAfterLoad;
  if (rec) {
    add({
      id: 'stress.recovery_after_load',
      status: rec.recovered === null ? 'not_evaluable' : rec.recovered ? 'pass' : 'fail',
      observed: rec.recovered ? `recovered in ${rec.timeS} s at ${rec.level}` : (rec.finding ?? 'not measured'),
      expected: `p95 and errors back within tolerance of ${rec.level}'s own figures (p95 ${rec.reference.p95Ms} ms) within ${rec.withinS} s`,
      collectedAt: when('stress'),
    });
  }
  for (const r of report.faults?.dependencies ?? []) {
    add({
      id: `faults.dependencies.${r.name}`,
      status: asStatus(r.status),
      observed: `mean ${r.meanMs} ms, p95 ${r.p95Ms} ms, p99 ${r.p99Ms} ms, ${r.opsPerS} ops/s${r.reasons.length ? `: ${r.reasons.join('; ')}` : ''}`,
      expected: dependencyTargetText(r.targets),
      collectedAt: when('faults'),
    });
  }
  for (const e of report.faults?.errors ?? []) {
    add({ id: `faults.dependencies.${e.dependency}`, status: 'error', observed: e.error, collectedAt: when('faults') });
  }
  for (const d of report.faults?.drills ?? [])
    for (const e of drillEvidence(d)) add({ ...e, collectedAt: when('faults') });
  if (report.faults?.resources)
    for (const e of resourceEvidence(report.faults.resources)) add({ ...e, collectedAt: when('faults') });
  for (const d of report.backup?.drills ?? []) {
    const findings = d.findings.map((f) => (typeof f === 'string' ? f : (f.message ?? JSON.stringify(f))));
    const figures = [d.rtoS != null ? `RTO ${d.rtoS} s` : '', d.rpoS != null ? `RPO ${d.rpoS} s` : ''].filter(Boolean);
    add({
      id: `backup.${d.id}`,
      status: asStatus(d.status),
      observed: [d.status, ...figures, ...findings].join('; '),
      collectedAt: when('backup'),
    });
  }
  return out;
}

const WORST: ItemStatus[] = ['error', 'fail', 'not_evaluable', 'not_run', 'stale', 'warn', 'pass'];

/** The evidence an id or glob (`prometheus.rules_*`) points at; several matches: the worst status wins. */
function lookup(evidence: Map<string, EvidenceEntry>, pattern: string): EvidenceEntry | undefined {
  if (!pattern.includes('*')) return evidence.get(pattern);
  const hits = [...evidence.values()].filter((e) => globMatch(pattern, e.id));
  if (!hits.length) return undefined;
  hits.sort((a, b) => WORST.indexOf(a.status) - WORST.indexOf(b.status));
  const worst = hits[0]!;
  const notPassing = hits.filter((h) => h.status !== 'pass');
  return {
    ...worst,
    id: pattern,
    observed: notPassing.length
      ? notPassing.map((h) => `${h.id}: ${h.observed}`).join('; ')
      : `${hits.length} of ${hits.length} pass (${hits.map((h) => h.id).join(', ')})`,
    collectedAt: hits
      .map((h) => h.collectedAt)
      .filter((t): t is string => !!t)
      .sort()[0],
  };
}

// ---------------------------------------------------------------------------------------------------
// Evaluating items and scoring.

/** Evaluates every item at `scoredAt`: evidence, attestations, waivers (expired ones ignored) and staleness. */
export function evaluateItems(args: {
  items: ChecklistItem[];
  report: EvidenceReport;
  /** When each phase ended (workflow time), for the age of its evidence. */
  phaseEndedAt?: Partial<Record<string, string>>;
  attestations: Attestation[];
  waivers: Waiver[];
  scoredAt: string;
}): EvaluatedItem[] {
  const evidence = collectEvidence(args.report, args.phaseEndedAt);
  const now = Date.parse(args.scoredAt);
  const latest = <T extends { itemId: string; at: string }>(list: T[], id: string) =>
    list
      .filter((a) => a.itemId === id)
      .sort((a, b) => a.at.localeCompare(b.at))
      .pop();
  return args.items.map((item) => {
    let status: ItemStatus;
    let ev: ItemEvidence;
    let reason: string;
    const attestation = latest(args.attestations, item.id);
    if (item.manual) {
      if (attestation) {
        status = 'pass';
        ev = {
          source: 'attestation',
          observed: `attested by ${attestation.by}${attestation.note ? `: ${attestation.note}` : ''}`,
          ...(attestation.evidence ? { expected: attestation.evidence } : {}),
          collectedAt: attestation.at,
        };
        reason = `attested by ${attestation.by}`;
      } else {
        status = 'not_run';
        ev = { source: 'attestation', observed: 'not attested' };
        reason = 'manual item not attested';
      }
    } else if (item.automated && 'expr' in item.automated) {
      const parsed = parseExpr(item.automated.expr);
      const r =
        'error' in parsed ? { status: 'error' as const, observed: parsed.error } : evaluateExpr(parsed, args.report);
      status = r.status;
      // An expression may read any phase's figures: dated from the campaign's start (the oldest they can be).
      ev = {
        source: `expr: ${item.automated.expr}`,
        observed: r.observed,
        expected: item.automated.expr,
        collectedAt: args.report.campaign.startedAt,
      };
      reason =
        r.status === 'pass'
          ? `${item.automated.expr} holds (${r.observed})`
          : r.status === 'fail'
            ? `${item.automated.expr} does not hold (${r.observed})`
            : r.observed;
    } else if (item.automated) {
      const e = lookup(evidence, item.automated.check);
      if (e) {
        status = e.status;
        ev = {
          source: item.automated.check,
          observed: e.observed,
          ...(e.expected ? { expected: e.expected } : {}),
          ...(e.collectedAt ? { collectedAt: e.collectedAt } : {}),
        };
        reason = `${item.automated.check}: ${e.observed}`;
      } else {
        status = 'not_run';
        ev = {
          source: item.automated.check,
          observed: `no evidence matches ${item.automated.check}: the phase or check that produces it did not run or is not configured`,
        };
        reason = ev.observed!;
      }
    } else {
      status = 'error';
      ev = { source: 'none', observed: 'item is neither automated nor manual' };
      reason = ev.observed!;
    }
    const maxAgeMs = item.maxEvidenceAge ? parseDurationMs(item.maxEvidenceAge) : undefined;
    if (
      maxAgeMs !== undefined &&
      ev.collectedAt &&
      (status === 'pass' || status === 'warn') &&
      now - Date.parse(ev.collectedAt) > maxAgeMs
    ) {
      status = 'stale';
      reason = `evidence from ${ev.collectedAt} is older than ${item.maxEvidenceAge}`;
    }
    const waiver = latest(args.waivers, item.id);
    const activeWaiver = waiver && Date.parse(waiver.expires) > now ? waiver : undefined;
    if (activeWaiver && status !== 'pass') {
      reason = `waived by ${activeWaiver.by} until ${activeWaiver.expires}: ${activeWaiver.reason} (was ${status}: ${reason})`;
      status = 'waived';
    } else if (waiver && !activeWaiver && status !== 'pass') {
      reason = `${reason}; waiver by ${waiver.by} expired ${waiver.expires}`;
    }
    const earned = status === 'pass' ? item.weight : status === 'warn' ? item.weight / 2 : 0;
    return {
      id: item.id,
      title: item.title,
      category: item.category,
      severity: item.severity,
      weight: item.weight,
      kind: item.manual ? 'manual' : 'automated',
      status,
      earned,
      evidence: ev,
      reason,
      ...(attestation ? { attestation } : {}),
      ...(activeWaiver && status === 'waived' ? { waiver: activeWaiver } : {}),
      ...(item.remediation ? { remediation: item.remediation } : {}),
    } satisfies EvaluatedItem;
  });
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const cleared = (s: ItemStatus) => s === 'pass' || s === 'waived';

/** Scores evaluated items into category scores and a verdict (the rules are in the README). */
export function scoreChecklist(
  items: EvaluatedItem[],
  policy: VerdictPolicy,
  opts: { aborted?: string } = {},
): {
  decision: Decision;
  scorePct: number;
  categories: CategoryScore[];
  blockers: Blocker[];
  reasons: string[];
  waived: string[];
} {
  const categories: CategoryScore[] = [];
  for (const name of CATEGORIES) {
    const inCat = items.filter((i) => i.category === name);
    if (!inCat.length) continue;
    const scored = inCat.filter((i) => i.status !== 'waived');
    const max = scored.reduce((n, i) => n + i.weight, 0);
    const earned = scored.reduce((n, i) => n + i.earned, 0);
    categories.push({
      name,
      earned,
      max,
      items: inCat.length,
      scorePct: max > 0 ? round1((earned / max) * 100) : null,
      blockers: inCat.filter((i) => (i.severity === 'P0' || i.severity === 'P1') && !cleared(i.status)).length,
    });
  }
  // The bands are judged on the exact score; the rounded one is what is shown.
  let exact: number;
  const weights = policy.categoryWeights;
  if (weights && Object.keys(weights).length) {
    // Categories the weights do not name weigh 1.
    const weightOf = (c: CategoryScore) => weights[c.name] ?? 1;
    const rated = categories.filter((c) => c.max > 0 && weightOf(c) > 0);
    const total = rated.reduce((n, c) => n + weightOf(c), 0);
    exact = total > 0 ? rated.reduce((n, c) => n + (c.earned / c.max) * 100 * weightOf(c), 0) / total : 0;
  } else {
    const max = categories.reduce((n, c) => n + c.max, 0);
    exact = max > 0 ? (categories.reduce((n, c) => n + c.earned, 0) / max) * 100 : 0;
  }
  const scorePct = round1(exact);
  const blocking = items.filter((i) => (i.severity === 'P0' || i.severity === 'P1') && !cleared(i.status));
  const p0 = blocking.filter((i) => i.severity === 'P0');
  const p1 = blocking.filter((i) => i.severity === 'P1');
  const p1Blocks = p1.length > policy.maxP1Blockers;
  const reasons: string[] = [];
  if (opts.aborted) reasons.push(`aborted by ${opts.aborted}: the campaign is NO_GO whatever its score`);
  for (const i of p0) reasons.push(`P0 ${i.id} (${i.title}) is ${i.status}: ${i.reason}`);
  if (p1.length) {
    reasons.push(
      p1Blocks
        ? `${p1.length} P1 item${p1.length === 1 ? '' : 's'} not passing (at most ${policy.maxP1Blockers} allowed)`
        : `${p1.length} P1 item${p1.length === 1 ? '' : 's'} not passing, tolerated (verdict.maxP1Blockers: ${policy.maxP1Blockers})`,
    );
    for (const i of p1)
      reasons.push(
        `P1 ${i.id} (${i.title}) is ${i.status}: ${i.reason}${i.remediation ? `; remediation: ${i.remediation}` : ''}`,
      );
  }
  let decision: Decision;
  if (opts.aborted || p0.length || p1Blocks || exact < policy.conditionalAt) decision = 'NO_GO';
  else if (exact < policy.goAt) decision = 'CONDITIONAL_GO';
  else decision = 'GO';
  if (exact < policy.conditionalAt) reasons.push(`score ${scorePct}% is below ${policy.conditionalAt}% (NO_GO)`);
  else if (exact < policy.goAt) reasons.push(`score ${scorePct}% is below ${policy.goAt}% (at most CONDITIONAL_GO)`);
  for (const i of items) {
    if (i.severity !== 'P0' && i.severity !== 'P1' && !cleared(i.status))
      reasons.push(`${i.severity} ${i.id} (${i.title}) is ${i.status}: ${i.reason}`);
  }
  const blockers: Blocker[] = [...p0, ...(p1Blocks ? p1 : [])].map((i) => ({
    id: i.id,
    title: i.title,
    severity: i.severity,
    status: i.status,
    evidence: i.evidence,
    ...(i.remediation ? { remediation: i.remediation } : {}),
  }));
  return {
    decision,
    scorePct,
    categories,
    blockers,
    reasons,
    waived: items.filter((i) => i.status === 'waived').map((i) => i.id),
  };
}

/** One line per blocker, with its evidence: `verdict.blockers` of report.json and the CLI. */
export function blockerLine(b: Blocker): string {
  return `${b.severity} ${b.id} (${b.title}): ${b.status}; ${b.evidence.observed ?? ''}${b.remediation ? `; remediation: ${b.remediation}` : ''}`;
}

/** Evaluates and scores a checklist at `scoredAt`: the stored, recomputable checklist record. */
export function evaluateChecklist(args: {
  items: ChecklistItem[];
  report: EvidenceReport;
  phaseEndedAt: Partial<Record<string, string>>;
  attestations: Attestation[];
  waivers: Waiver[];
  scoredAt: string;
  policy: VerdictPolicy;
  /** Who aborted the campaign (and why): NO_GO whatever the score. */
  aborted?: string;
}): ChecklistEvaluation {
  const items = evaluateItems(args);
  const score = scoreChecklist(items, args.policy, { aborted: args.aborted });
  return {
    scoredAt: args.scoredAt,
    policy: args.policy,
    definitions: args.items,
    phaseEndedAt: args.phaseEndedAt,
    ...(args.aborted ? { aborted: args.aborted } : {}),
    items,
    categories: score.categories,
    decision: score.decision,
    scorePct: score.scorePct,
    blockers: score.blockers,
    reasons: score.reasons,
    missing: items.filter((i) => i.kind === 'manual' && i.status !== 'pass' && i.status !== 'waived').map((i) => i.id),
    attestations: args.attestations,
    waivers: args.waivers,
  };
}

/** The verdict policy of a campaign file's `verdict` section (defaults filled in). */
export function policyOf(verdict: Partial<VerdictPolicy> | undefined): VerdictPolicy {
  return { ...DEFAULT_POLICY, ...(verdict ?? {}) };
}

/** Manual items that are neither attested nor covered by a waiver unexpired at `nowMs`. */
export function missingManualItems(
  items: ChecklistItem[],
  attestations: Attestation[],
  waivers: Waiver[],
  nowMs: number,
): string[] {
  return items
    .filter(
      (i) =>
        i.manual &&
        !attestations.some((a) => a.itemId === i.id) &&
        !waivers.some((w) => w.itemId === i.id && Date.parse(w.expires) > nowMs),
    )
    .map((i) => i.id);
}
