/**
 * Dependency benchmarks (the `faults` phase): what each operation on a dependency measured, the targets it is judged
 * against and the judgement. Pure.
 *
 * Default targets come from the hand-run campaign (shared/seeds/benchmark-completion-summary.md, "Redis Performance"
 * and "Database Performance"): Redis mean < 5 ms, P95 < 10 ms, P99 < 20 ms, more than 1,000 operations a second,
 * pub/sub round trip < 10 ms; database reads < 50 ms mean, writes < 100 ms mean.
 */

import type { FaultDrillResult, ResourceStability } from './drills';
import { round } from './numbers';

export type DependencyKind = 'redis' | 'postgres';
export type DependencyOperation = 'ping' | 'set' | 'get' | 'pubsub' | 'read' | 'write';

/** The operations each kind of dependency is benchmarked with, in order. */
export const OPERATIONS: Record<DependencyKind, DependencyOperation[]> = {
  redis: ['ping', 'set', 'get', 'pubsub'],
  postgres: ['read', 'write'],
};

/** What an operation must meet; an absent bound is not judged. */
export interface DependencyTargets {
  meanMs?: number;
  p95Ms?: number;
  p99Ms?: number;
  minOpsPerS?: number;
}

/** The seeds' targets per operation. */
export const DEFAULT_DEPENDENCY_TARGETS: Record<DependencyOperation, DependencyTargets> = {
  ping: { meanMs: 5, p95Ms: 10, p99Ms: 20, minOpsPerS: 1_000 },
  set: { meanMs: 5, p95Ms: 10, p99Ms: 20, minOpsPerS: 1_000 },
  get: { meanMs: 5, p95Ms: 10, p99Ms: 20, minOpsPerS: 1_000 },
  pubsub: { p95Ms: 10 },
  read: { meanMs: 50 },
  write: { meanMs: 100 },
};

/** What one operation measured: `operations` done by `concurrency` clients in `elapsedMs`. */
export interface OperationMeasurement {
  operation: DependencyOperation;
  operations: number;
  errors: number;
  concurrency: number;
  elapsedMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The first error's message, when there were errors. */
  firstError?: string;
}

/** One row of `faults.dependencies[]`: a dependency's operation, measured and judged. */
export interface DependencyRow {
  /** `<dependency>.<operation>`, e.g. `cache.get`. */
  name: string;
  dependency: string;
  kind: DependencyKind;
  operation: DependencyOperation;
  operations: number;
  errors: number;
  concurrency: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  opsPerS: number;
  targets: DependencyTargets;
  status: 'pass' | 'fail' | 'error';
  /** Each target missed, or why the operation could not be measured. */
  reasons: string[];
}

/** The result of benchmarking one dependency (the activity's answer). */
export interface DependencyResult {
  dependency: string;
  kind: DependencyKind;
  rows: DependencyRow[];
  /** Set when the dependency could not be benchmarked at all (refused host, no connection, ...). */
  error?: string;
}

/** Judges one measured operation against its targets (the defaults, overridden per operation by the campaign). */
export function judgeOperation(
  dependency: string,
  kind: DependencyKind,
  m: OperationMeasurement,
  overrides: DependencyTargets = {},
): DependencyRow {
  const targets = { ...DEFAULT_DEPENDENCY_TARGETS[m.operation], ...overrides };
  // Throughput counts what succeeded: failures fast or slow are no operations done.
  const opsPerS = m.elapsedMs > 0 ? round(((m.operations - m.errors) / m.elapsedMs) * 1000, 1) : 0;
  const reasons: string[] = [];
  const answered = m.operations - m.errors;
  if (answered <= 0) reasons.push(`every operation failed${m.firstError ? `: ${m.firstError}` : ''}`);
  else {
    if (m.errors > 0) reasons.push(`${m.errors} of ${m.operations} operations failed: ${m.firstError ?? 'error'}`);
    const over = (what: string, v: number, bound: number | undefined) => {
      if (bound !== undefined && v >= bound) reasons.push(`${what} ${round(v, 2)} ms, target < ${bound} ms`);
    };
    over('mean', m.meanMs, targets.meanMs);
    over('p95', m.p95Ms, targets.p95Ms);
    over('p99', m.p99Ms, targets.p99Ms);
    if (targets.minOpsPerS !== undefined && opsPerS <= targets.minOpsPerS)
      reasons.push(
        `${opsPerS} operations/s with ${m.concurrency} in flight, target > ${targets.minOpsPerS.toLocaleString('en-US')}`,
      );
  }
  return {
    name: `${dependency}.${m.operation}`,
    dependency,
    kind,
    operation: m.operation,
    operations: m.operations,
    errors: m.errors,
    concurrency: m.concurrency,
    meanMs: round(m.meanMs, 3),
    p50Ms: round(m.p50Ms, 3),
    p95Ms: round(m.p95Ms, 3),
    p99Ms: round(m.p99Ms, 3),
    maxMs: round(m.maxMs, 3),
    opsPerS,
    targets,
    status: answered <= 0 ? 'error' : reasons.length ? 'fail' : 'pass',
    reasons,
  };
}

/** A target as text: `mean < 5 ms, p95 < 10 ms, > 1,000 ops/s`. */
export function dependencyTargetText(t: DependencyTargets): string {
  return [
    t.meanMs !== undefined ? `mean < ${t.meanMs} ms` : '',
    t.p95Ms !== undefined ? `p95 < ${t.p95Ms} ms` : '',
    t.p99Ms !== undefined ? `p99 < ${t.p99Ms} ms` : '',
    t.minOpsPerS !== undefined ? `> ${t.minOpsPerS.toLocaleString('en-US')} ops/s` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The default targets as one line, operations with the same targets together (derived, so it cannot drift). */
export function defaultTargetsText(): string {
  const groups = new Map<string, string[]>();
  for (const [op, t] of Object.entries(DEFAULT_DEPENDENCY_TARGETS)) {
    const text = dependencyTargetText(t);
    groups.set(text, [...(groups.get(text) ?? []), op]);
  }
  return [...groups].map(([text, ops]) => `${ops.join(', ')}: ${text}`).join('; ');
}

/**
 * A dependency that could not be benchmarked: `error` for the dependency, and an error row for each of its
 * operations (evidence bound to one operation, `faults.dependencies.cache.get`, is then an error, never not_run).
 */
export function errorRows(
  dependency: string,
  kind: DependencyKind,
  error: string,
): Pick<DependencyResult, 'rows' | 'error'> {
  const rows = OPERATIONS[kind].map((operation): DependencyRow => ({
    name: `${dependency}.${operation}`,
    dependency,
    kind,
    operation,
    operations: 0,
    errors: 0,
    concurrency: 0,
    meanMs: 0,
    p50Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    maxMs: 0,
    opsPerS: 0,
    targets: DEFAULT_DEPENDENCY_TARGETS[operation],
    status: 'error',
    reasons: [error],
  }));
  return { rows, error };
}

/** The faults phase's result as stored and reported (`faults` in report.json). */
export interface FaultsResult {
  dependencies: DependencyRow[];
  /** Dependencies that could not be benchmarked, and why. */
  errors: Array<{ dependency: string; error: string }>;
  /** Fault drills under load (absent in results stored before drills existed). */
  drills?: FaultDrillResult[];
  /** Resource stability over a baseline phase, when configured. */
  resources?: ResourceStability;
}

/**
 * The phase outcome: error when a dependency or a drill could not be measured, fail when an operation missed a
 * target, a drill failed a check or a resource passed its limit.
 */
export function faultsOutcome(
  results: DependencyResult[],
  drills: FaultDrillResult[] = [],
  resources?: ResourceStability,
): {
  result: FaultsResult;
  status: 'pass' | 'fail' | 'error';
  reason: string;
} {
  const rows = results.flatMap((r) => r.rows);
  const errors = results.filter((r) => r.error).map((r) => ({ dependency: r.dependency, error: r.error! }));
  const failed = rows.filter((r) => r.status === 'fail');
  const broken = rows.filter((r) => r.status === 'error');
  const drillErrors = drills.filter((d) => d.status === 'error');
  const drillFails = drills.filter((d) => d.status === 'fail');
  const resourceFails = resources
    ? Object.entries(resources.checks)
        .filter(([, v]) => v === 'fail')
        .map(([k]) => k)
    : [];
  const status =
    errors.length || broken.length || drillErrors.length
      ? 'error'
      : failed.length || drillFails.length || resourceFails.length
        ? 'fail'
        : 'pass';
  const unreachable = new Set(errors.map((e) => e.dependency));
  const parts = [
    ...errors.map((e) => `${e.dependency}: ${e.error}`),
    ...[...broken, ...failed]
      .filter((r) => !unreachable.has(r.dependency))
      .map((r) => `${r.name}: ${r.reasons.join('; ')}`),
    ...drillErrors.map((d) => `drill ${d.name}: ${d.error ?? 'error'}`),
    ...drillFails.map(
      (d) =>
        `drill ${d.name}: ${Object.entries(d.checks)
          .filter(([, v]) => v === 'fail')
          .map(([k]) => k)
          .join(', ')} failed`,
    ),
    ...(resourceFails.length ? [`resources over ${resources!.phase}: ${resourceFails.join(', ')} over the limit`] : []),
  ];
  const measured = [
    rows.length ? `${rows.length} dependency operation(s) within target` : '',
    drills.length ? `${drills.length} drill(s) passed` : '',
    resources ? 'resources within limits' : '',
  ].filter(Boolean);
  const result: FaultsResult = { dependencies: rows, errors, drills, ...(resources ? { resources } : {}) };
  return { result, status, reason: status === 'pass' ? measured.join('; ') : parts.join('; ') };
}
