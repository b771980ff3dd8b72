/**
 * Backup and recovery drills: result shapes and the pure judgements (table comparison, drill status from
 * findings, freshness against the RPO target, the phase outcome).
 */
import type { Severity } from './monitoring';

/** One table's integrity proof: row count and an order-independent content hash, source vs restored. */
export interface TableCheck {
  name: string;
  sourceRows: number;
  restoredRows: number | null;
  match: boolean;
}

export interface Finding {
  severity: Severity;
  message: string;
}

/** One drill (postgres, redis, or a service's recovery). */
export interface DrillResult {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'error' | 'not_evaluable';
  timings?: { dumpS?: number; restoreS?: number; verifyS?: number; bgsaveS?: number; recoveryS?: number };
  /** Restore start until the first validation query answered. */
  rtoS?: number | null;
  /** Age of the newest automated backup (or WAL archive) when the drill ran: the data-loss window. */
  rpoS?: number | null;
  targets?: { maxRestoreS?: number; rpoTargetS?: number; maxRecoveryS?: number };
  tables?: TableCheck[];
  findings: Finding[];
  evidence?: Record<string, unknown>;
}

/** What the backup phase stores and reports. */
export interface BackupResult {
  drills: DrillResult[];
  blockers: string[];
}

/** Source and restored per-table proofs compared; a table missing on either side never matches. */
export function compareTables(
  source: Map<string, { rows: number; hash: string }>,
  restored: Map<string, { rows: number; hash: string }> | undefined,
): TableCheck[] {
  return [...source]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => {
      const r = restored?.get(name);
      return {
        name,
        sourceRows: s.rows,
        restoredRows: r ? r.rows : null,
        match: !!r && r.rows === s.rows && r.hash === s.hash,
      };
    });
}

/** A drill's status from its findings: any P0/P1 fails it, P2/P3 make it a warning. */
export function statusFromFindings(findings: Finding[]): 'pass' | 'warn' | 'fail' {
  if (findings.some((f) => f.severity === 'P0' || f.severity === 'P1')) return 'fail';
  return findings.length ? 'warn' : 'pass';
}

/** The backup phase's outcome: a failed or errored drill fails it (fail closed), with its P0/P1 findings. */
export function backupOutcome(drills: DrillResult[]): { status: 'pass' | 'fail'; reason: string; blockers: string[] } {
  const blockers = drills.flatMap((d) =>
    d.status === 'fail' || d.status === 'error'
      ? (
          d.findings
            .filter((f) => f.severity === 'P0' || f.severity === 'P1')
            .map((f) => `${f.severity} ${d.title}: ${f.message}`)
            .slice(0, 5) as string[]
        ).concat(d.status === 'error' && !d.findings.length ? [`${d.title}: could not run`] : [])
      : [],
  );
  const failed = drills.filter((d) => d.status === 'fail' || d.status === 'error').length;
  const rto = drills.find((d) => d.rtoS !== undefined && d.rtoS !== null)?.rtoS;
  const summary = `${drills.length - failed}/${drills.length} drills passed${rto !== undefined ? `; RTO ${rto} s` : ''}`;
  return failed ? { status: 'fail', reason: summary, blockers } : { status: 'pass', reason: summary, blockers };
}

/** An identifier as Postgres' quote_ident writes it: bare when plain lowercase, else double-quoted. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * A table's name for proofs and reports: `schema.table`, each part quoted when it is not a plain identifier, so
 * two tables never share a name (`"a.b".c` and `a."b.c"` differ; unquoted, both read `a.b.c`).
 */
export function qualifiedTableName(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** A scratch database name: a plain lowercase Postgres identifier (the campaign schema and the drill share it). */
export const SCRATCH_DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether a scratch database name is safe: an identifier, and not the source's own name. */
export function scratchNameProblem(name: string, sourceName: string): string | undefined {
  if (!SCRATCH_DB_NAME.test(name)) return `scratch database "${name}" is not a plain lowercase identifier`;
  if (name === sourceName) return `scratch database "${name}" is the source database: refusing`;
  if (['postgres', 'template0', 'template1'].includes(name))
    return `scratch database "${name}" is a system database: refusing`;
  return undefined;
}

/** The table named in a pg_restore error ("COPY failed for table \"x\"", "relation \"x\""), if any. */
export function tableInRestoreError(stderr: string): string | undefined {
  const m =
    /COPY failed for table "([^"]+)"/.exec(stderr) ??
    /for relation "([^"]+)"/.exec(stderr) ??
    /TABLE DATA [^ ]+ ([^ ]+) /.exec(stderr);
  return m?.[1];
}
