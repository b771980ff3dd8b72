/**
 * Monitoring checks: the result shape, and the pure judgements on what the probes found (retention,
 * broad silences, the maturity level, the phase's outcome). The probing itself is in src/monitoring.
 */

/** P0 (stop everything) .. P3 (nice to have); the hand-run campaign's blockers were P1. */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3';

/** An unreachable system is `error` (or `fail`), never `pass`; `not_evaluable` when a prerequisite failed. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'error' | 'not_evaluable';

/** One monitoring check's result, with the evidence behind it. */
export interface CheckResult {
  id: string;
  title: string;
  category: 'Monitoring';
  severity: Severity;
  status: CheckStatus;
  evidence: { endpoint: string; observed: unknown; expected: unknown; collectedAt: string };
  remediation: string;
}

/** What builds a check result: id, title, severity, status, evidence (collected now), remediation. */
export type CheckBuilder = (
  id: string,
  title: string,
  severity: Severity,
  status: CheckStatus,
  evidence: { endpoint: string; observed: unknown; expected: unknown },
  remediation: string,
) => CheckResult;

/**
 * A check builder whose evidence is stamped with `now()`: the wall clock in a probe, workflow time in a
 * workflow (core reads no clock itself). The category is fixed; a passing check carries no remediation.
 */
export function checksAt(now: () => Date): CheckBuilder {
  return (id, title, severity, status, evidence, remediation) => ({
    id,
    title,
    category: 'Monitoring',
    severity,
    status,
    evidence: { ...evidence, collectedAt: now().toISOString() },
    remediation: status === 'pass' ? '' : remediation,
  });
}

const PROM_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A Prometheus duration ("15d", "1d12h", "90m") in ms, or undefined. */
export function parsePromDuration(s: string): number | undefined {
  const re = /(\d+)(ms|y|w|d|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * PROM_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : undefined;
}

/**
 * The time part of Prometheus' effective retention (`storageRetention` of runtimeinfo: "15d",
 * "15d or 512MiB", or only a size), in ms; undefined when only a size limits it.
 */
export function retentionTimeMs(storageRetention: string): number | undefined {
  for (const part of storageRetention.split(/\s+or\s+/)) {
    const ms = parsePromDuration(part.trim());
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** An Alertmanager silence matcher (API v2). */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

const MATCH_ALL = new Set(['.*', '.+', '.*.*', '(.*)', '(.+)', '']);
/** Labels that pin a silence to specific alerts or instances. */
const NARROWING = new Set(['alertname', 'instance', 'pod', 'service', 'job', 'fingerprint', 'readiness_probe']);

/**
 * Whether an active silence is broad: it pins neither an alert nor an instance (every matcher is
 * match-all, negative, or on a label such as severity or env that spans many alerts).
 */
export function isBroadSilence(matchers: SilenceMatcher[]): boolean {
  const pins = matchers.filter(
    (m) => m.isEqual !== false && !(m.isRegex && MATCH_ALL.has(m.value)) && NARROWING.has(m.name),
  );
  return pins.length === 0;
}

/** The seed's maturity scale; levels 4 and 5 need evidence this tool does not collect. */
export const MATURITY_LABELS = ['None', 'Basic', 'Reactive', 'Proactive', 'Managed', 'Optimized'] as const;

/** The monitoring maturity level and what keeps it from the next one. */
export interface Maturity {
  level: number;
  label: string;
  targetLevel: number;
  /** What the next level needs that the checks did not show. */
  gaps: string[];
}

/**
 * The maturity level the checks prove. 1 Basic: metrics collected (Prometheus ready, targets up).
 * 2 Reactive: active alerting (rules loaded and healthy, an Alertmanager discovered and delivering),
 * response procedures (runbooks) and centralized logging (Loki). 3 Proactive: service-level metrics
 * scraped, dashboards, alerts proven to fire under load. Unconfigured systems count as missing.
 */
export function maturityLevel(
  checks: CheckResult[],
  targetLevel: number,
  /** Whether level 3 needs tracing (campaigns recorded before it replay without). */
  opts: { tracing?: boolean } = { tracing: true },
): Maturity {
  const passed = (prefix: string) => {
    const own = checks.filter((c) => c.id === prefix || c.id.startsWith(`${prefix}.`));
    return own.length > 0 && own.every((c) => c.status === 'pass' || c.status === 'warn');
  };
  const anyPassed = (prefix: string) => checks.some((c) => c.id.startsWith(prefix) && c.status === 'pass');
  const levels: Array<Array<[boolean, string]>> = [
    [
      [passed('prometheus.ready'), 'Prometheus ready'],
      [passed('prometheus.targets_up'), 'all scrape targets up'],
    ],
    [
      [passed('prometheus.rules_loaded') && passed('prometheus.rules_healthy'), 'alert rules loaded and healthy'],
      [passed('prometheus.alertmanager_discovered'), 'an Alertmanager wired to Prometheus'],
      [anyPassed('alertmanager.delivery'), 'a test alert delivered end to end'],
      [passed('prometheus.runbooks'), 'runbooks for the alerts (response procedures)'],
      [passed('loki.ready'), 'centralized logging (Loki)'],
    ],
    [
      [passed('metrics'), 'service-level /metrics endpoints scraped'],
      [passed('grafana.health'), 'dashboards (Grafana)'],
      [passed('alerts_under_load'), 'alerts proven to fire under load'],
      // Proactive is following a request before a user reports it: the target's traces visible.
      ...(opts.tracing === false
        ? []
        : [
            [
              passed('tracing.reachable') && passed('tracing.visible'),
              "distributed tracing: the target's traces visible",
            ] as [boolean, string],
          ]),
    ],
  ];
  let level = 0;
  let gaps: string[] = [];
  for (const requirements of levels) {
    const missing = requirements.filter(([ok]) => !ok).map(([, what]) => what);
    if (missing.length) {
      gaps = missing;
      break;
    }
    level++;
  }
  if (level === 3)
    gaps = ['levels 4-5 (SLOs, error budgets, automated remediation) are not assessed by automated checks'];
  return { level, label: MATURITY_LABELS[level]!, targetLevel, gaps };
}

/** What the monitoring phase stores and reports. */
export interface MonitoringResult {
  checks: CheckResult[];
  maturity: Maturity;
  blockers: string[];
}

/** The monitoring phase's outcome: P0/P1 checks that did not pass, and a maturity level under target, fail it. */
export function monitoringOutcome(
  checks: CheckResult[],
  maturity: Maturity,
): { status: 'pass' | 'fail'; reason: string; blockers: string[] } {
  const blockers = checks
    .filter((c) => (c.severity === 'P0' || c.severity === 'P1') && (c.status === 'fail' || c.status === 'error'))
    .map((c) => `${c.severity} ${c.title}`);
  const underTarget = maturity.level < maturity.targetLevel;
  const passed = checks.filter((c) => c.status === 'pass').length;
  const level = `maturity level ${maturity.level} (${maturity.label}), target ${maturity.targetLevel}`;
  if (!blockers.length && !underTarget)
    return { status: 'pass', reason: `${passed}/${checks.length} checks passed; ${level}`, blockers };
  return {
    status: 'fail',
    reason: `${blockers.length} blocking check${blockers.length === 1 ? '' : 's'} failed; ${level}`,
    blockers: underTarget ? [...blockers, `${level}: missing ${maturity.gaps.join(', ')}`] : blockers,
  };
}
