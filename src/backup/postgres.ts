/**
 * The PostgreSQL backup drill: dump from an exported snapshot, verify the archive, restore into a scratch
 * database, and prove every table's rows and content equal the source *at that snapshot*. The source is
 * only ever read (one REPEATABLE READ READ ONLY transaction); the scratch database is created, marked as
 * ours, and dropped at the end, also on failure or cancellation.
 */
import { mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  compareTables,
  qualifiedTableName,
  scratchNameProblem,
  statusFromFindings,
  tableInRestoreError,
  type DrillResult,
  type Finding,
} from '../core/backup';
import { findPostgresClient } from '../infra/postgres';
import { run } from '../infra/process';

export interface PostgresDrillOptions {
  sourceUrl: string;
  scratchUrl?: string;
  scratchDatabase: string;
  /** Written as the scratch database's comment: only a database carrying it is ever dropped. */
  marker: string;
  jobs: number;
  maxRestoreMs: number;
  rpoTargetMs: number;
  backupDirectory?: string;
  keep: boolean;
  signal?: AbortSignal;
  /** Called between steps (and with the step's name) so the activity can heartbeat. */
  progress?: (step: string) => void;
  /** Called once the archive is dumped, proven readable and the source measured: what a retry may resume from. */
  checkpoint?: (c: DrillCheckpoint) => void;
  /** A previous attempt's checkpoint (a worker crash): its archive is reused when still on this machine. */
  resume?: DrillCheckpoint;
  /**
   * Why `signal` fired, when it did: `abort` (the campaign was aborted: clean up everything, report an error
   * drill), `shutdown` (this worker is stopping: drop the scratch database, keep the archive for the retry, throw),
   * `superseded` (the server gave up on this attempt, another may be running: touch nothing, throw).
   */
  cancelKind?: () => 'abort' | 'shutdown' | 'superseded';
}

/** Thrown when a drill stops because its worker is stopping or its attempt was superseded: the activity is retried. */
class DrillInterrupted extends Error {
  override name = 'DrillInterrupted';
}

/**
 * The drill's resumable state after the dump: the archive on the worker's disk and the source's proofs at the
 * dump's snapshot. A retry on the same machine restores that archive instead of dumping again; the restore
 * itself always runs whole (its time is the RTO, so a half-done restore is never continued).
 */
export interface DrillCheckpoint {
  archive: string;
  archiveBytes: number;
  archiveEntries: number;
  server: string;
  dumpS: number;
  sourceProofMs: number;
  sourceProofs: [string, { rows: number; hash: string }][];
  /** Which source the archive is of (host, port, database, user; never a password). */
  source: string;
  /** When the checkpoint was taken (ISO): work after it is what a crash loses. */
  at: string;
}

/** A checkpoint carries table proofs; past this many tables there is none (heartbeat details must stay small). */
const MAX_CHECKPOINT_TABLES = 2_000;
const WORK_PREFIX = 'readiness-drill-';

/** host:port/database as user: which source an archive was dumped from. */
function sourceFingerprint(url: string): string {
  const env = libpqEnv(url);
  return `${env.PGHOST}:${env.PGPORT}/${env.PGDATABASE} as ${env.PGUSER ?? ''}`;
}

/**
 * The checkpoint's archive, claimed for this attempt, if it can be trusted: a `source.dump` directly in a drill
 * work directory under this machine's temp dir (heartbeat details are input; nothing else is ever read or
 * deleted), of the same size, dumped from the same source. The directory is renamed to claim it, so an earlier
 * attempt that is somehow still alive cannot delete it under the retry. Undefined: start over.
 */
function claimArchive(c: DrillCheckpoint | undefined, sourceUrl: string): DrillCheckpoint | undefined {
  if (!c || typeof c.archive !== 'string' || c.source !== sourceFingerprint(sourceUrl)) return undefined;
  try {
    const dir = realpathSync(path.dirname(c.archive));
    if (
      path.dirname(dir) !== realpathSync(tmpdir()) ||
      !path.basename(dir).startsWith(WORK_PREFIX) ||
      path.basename(c.archive) !== 'source.dump'
    )
      return undefined;
    if (statSync(path.join(dir, 'source.dump')).size !== c.archiveBytes) return undefined;
    const claimed = `${dir}-r${process.pid}${Date.now() % 100_000}`;
    renameSync(dir, claimed);
    return { ...c, archive: path.join(claimed, 'source.dump') };
  } catch {
    return undefined;
  }
}

/** libpq environment for a URL, so no password ever appears on a command line; parts the URL lacks are left to the worker's environment. */
export function libpqEnv(url: string, database?: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PGHOST: u.searchParams.get('host') ?? decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1'),
    PGPORT: u.port || '5432',
    PGDATABASE: database ?? decodeURIComponent(u.pathname.slice(1)),
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  if (u.searchParams.get('sslmode')) env.PGSSLMODE = u.searchParams.get('sslmode')!;
  return env;
}

const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
};

const TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  ORDER BY 1, 2`;

/**
 * Per table: row count and an order-independent content hash: the sum of each row's md5 (first 64 bits)
 * over its text form. A sum, not a concatenation: constant memory however big the table, no sort, and
 * (unlike XOR) duplicate rows do not cancel out.
 */
export async function tableProofs(client: Client): Promise<Map<string, { rows: number; hash: string }>> {
  const out = new Map<string, { rows: number; hash: string }>();
  for (const t of (await client.query<{ schema: string; name: string }>(TABLES_SQL)).rows) {
    const q = `${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)}`;
    const r = await client.query<{ rows: string; hash: string }>(
      `SELECT count(*) AS rows, coalesce(sum(('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint::numeric), 0)::text AS hash FROM ${q} x`,
    );
    out.set(qualifiedTableName(t.schema, t.name), { rows: Number(r.rows[0]!.rows), hash: r.rows[0]!.hash });
  }
  return out;
}

const markOf = (marker: string) => `readiness drill scratch ${marker}`;

/** Drops a scratch database, but only one this drill created (its comment is exactly this drill's mark). */
async function dropScratch(adminUrl: string, name: string, marker: string): Promise<'dropped' | 'absent' | 'not_ours'> {
  const admin = new Client({ connectionString: withDatabase(adminUrl, 'postgres') });
  await admin.connect();
  try {
    const r = await admin.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [name],
    );
    if (!r.rowCount) return 'absent';
    if (r.rows[0]!.comment !== markOf(marker)) return 'not_ours';
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    return 'dropped';
  } finally {
    await admin.end();
  }
}

const seconds = (ms: number) => Math.round(ms / 10) / 100;

export async function postgresDrill(o: PostgresDrillOptions): Promise<DrillResult> {
  const findings: Finding[] = [];
  const result: DrillResult = {
    id: 'postgres',
    title: 'PostgreSQL backup and restore drill',
    status: 'pass',
    timings: {},
    rtoS: null,
    rpoS: null,
    targets: { maxRestoreS: o.maxRestoreMs / 1000, rpoTargetS: o.rpoTargetMs / 1000 },
    findings,
    evidence: {},
  };
  const scratchAdmin = o.scratchUrl ?? o.sourceUrl;
  const sourceName = decodeURIComponent(new URL(o.sourceUrl).pathname.slice(1));
  const sameServer = !o.scratchUrl || new URL(o.scratchUrl).host === new URL(o.sourceUrl).host;
  const nameProblem = scratchNameProblem(o.scratchDatabase, sameServer ? sourceName : '');
  if (nameProblem) return { ...result, status: 'error', findings: [{ severity: 'P1', message: nameProblem }] };

  const resumed = claimArchive(o.resume, o.sourceUrl);
  const work = resumed ? path.dirname(resumed.archive) : mkdtempSync(path.join(tmpdir(), WORK_PREFIX));
  const archive = resumed ? resumed.archive : path.join(work, 'source.dump');
  const source = new Client({ connectionString: o.sourceUrl, application_name: 'readiness-drill (read only)' });
  let created = false;
  let sourceProofs: Map<string, { rows: number; hash: string }>;
  let sourceProofMs: number;
  const pgRestore = findPostgresClient('pg_restore');
  try {
    if (resumed) {
      // A retry after a crash: the earlier attempt's archive and its snapshot's proofs stand.
      result.timings!.dumpS = resumed.dumpS;
      Object.assign(result.evidence!, {
        server: resumed.server,
        archiveBytes: resumed.archiveBytes,
        archiveEntries: resumed.archiveEntries,
        resumedFrom: 'restore',
        checkpointAt: resumed.at,
      });
      sourceProofs = new Map(resumed.sourceProofs);
      sourceProofMs = resumed.sourceProofMs;
    } else {
      if (o.resume) result.evidence!.resumedFrom = "start (the earlier attempt's archive is not on this machine)";
      o.progress?.('snapshot');
      await source.connect();
      await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = (await source.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      result.evidence!.server = (
        await source.query<{ v: string }>("SELECT current_setting('server_version') AS v")
      ).rows[0]!.v;

      // Dump from the snapshot while this transaction holds it; prove the source at that same snapshot.
      o.progress?.('dump');
      const t = Date.now();
      const dump = await run(findPostgresClient('pg_dump'), ['-Fc', `--snapshot=${snapshot}`, '-f', archive], {
        env: { ...process.env, ...libpqEnv(o.sourceUrl) },
        signal: o.signal,
      });
      result.timings!.dumpS = seconds(Date.now() - t);
      stopIfCancelled();
      if (dump.code !== 0) {
        findings.push({
          severity: 'P1',
          message: `pg_dump failed: ${dump.stderr.trim().split('\n').slice(-2).join(' ')}`,
        });
        return finish();
      }
      result.evidence!.archiveBytes = statSync(archive).size;
      o.progress?.('source proof');
      const tp = Date.now();
      sourceProofs = await tableProofs(source);
      sourceProofMs = Date.now() - tp;
      await source.query('COMMIT');
      stopIfCancelled();

      // The archive must be readable on its own.
      const list = await run(pgRestore, ['--list', archive], { signal: o.signal });
      stopIfCancelled();
      const entries = list.stdout.split('\n').filter((l) => l && !l.startsWith(';')).length;
      result.evidence!.archiveEntries = entries;
      if (list.code !== 0) {
        findings.push({
          severity: 'P1',
          message: `the archive is not readable (pg_restore --list): ${list.stderr.trim().slice(0, 300)}`,
        });
        return finish();
      }
      if (sourceProofs.size <= MAX_CHECKPOINT_TABLES) {
        o.checkpoint?.({
          archive,
          archiveBytes: result.evidence!.archiveBytes as number,
          archiveEntries: entries,
          server: result.evidence!.server as string,
          dumpS: result.timings!.dumpS,
          sourceProofMs,
          sourceProofs: [...sourceProofs],
          source: sourceFingerprint(o.sourceUrl),
          at: new Date().toISOString(),
        });
      }
    }

    // A scratch database of our own: a leftover of ours from a crashed attempt is dropped; anyone else's is refused.
    o.progress?.('scratch');
    const leftover = await dropScratch(scratchAdmin, o.scratchDatabase, o.marker);
    if (leftover === 'not_ours') {
      findings.push({
        severity: 'P1',
        message: `scratch database "${o.scratchDatabase}" already exists and was not created by this drill: refusing to touch it`,
      });
      return finish();
    }
    const admin = new Client({ connectionString: withDatabase(scratchAdmin, 'postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(o.scratchDatabase)} TEMPLATE template0`);
      created = true;
      await admin.query(
        `COMMENT ON DATABASE ${admin.escapeIdentifier(o.scratchDatabase)} IS ${admin.escapeLiteral(markOf(o.marker))}`,
      );
    } finally {
      await admin.end();
    }

    // Restore, and time until the restored database answers a validation query (RTO).
    o.progress?.('restore');
    const scratchUrl = withDatabase(scratchAdmin, o.scratchDatabase);
    const restoreStart = Date.now();
    const restore = await run(
      pgRestore,
      ['--exit-on-error', '--no-owner', '--no-privileges', `--jobs=${o.jobs}`, '-d', o.scratchDatabase, archive],
      {
        env: { ...process.env, ...libpqEnv(scratchUrl, o.scratchDatabase) },
        signal: o.signal,
      },
    );
    result.timings!.restoreS = seconds(Date.now() - restoreStart);
    stopIfCancelled();
    const scratch = new Client({ connectionString: scratchUrl });
    await scratch.connect();
    try {
      await scratch.query('SELECT 1');
      if (restore.code === 0) result.rtoS = seconds(Date.now() - restoreStart);
      if (restore.code !== 0) {
        const table = tableInRestoreError(restore.stderr);
        findings.push({
          severity: 'P1',
          message: `restore failed${table ? ` on table ${table}` : ''}: ${restore.stderr
            .trim()
            .split('\n')
            .filter((l) => /error|ERROR|DETAIL/.test(l))
            .slice(0, 3)
            .join(' ')
            .slice(0, 400)}`,
        });
      }
      o.progress?.('verify');
      const t = Date.now();
      const restoredProofs = await tableProofs(scratch);
      result.timings!.verifyS = seconds(sourceProofMs + Date.now() - t);
      result.tables = compareTables(sourceProofs, restoredProofs);
    } finally {
      await scratch.end();
    }
    const bad = result.tables!.filter((x) => !x.match);
    for (const b of bad) {
      findings.push({
        severity: 'P1',
        message: `table ${b.name}: ${b.restoredRows === null ? 'missing after restore' : `${b.restoredRows} of ${b.sourceRows} rows restored${b.restoredRows === b.sourceRows ? ', content differs' : ''}`}`,
      });
    }
    if (result.tables.length === 0)
      findings.push({ severity: 'P2', message: 'the source has no user tables: nothing was proven' });
    if (typeof result.rtoS === 'number' && result.rtoS * 1000 > o.maxRestoreMs)
      findings.push({
        severity: 'P1',
        message: `RTO ${result.rtoS} s exceeds maxRestoreTime ${o.maxRestoreMs / 1000} s`,
      });

    await freshness();
    return finish();
  } catch (err) {
    if (interruption())
      throw new DrillInterrupted(
        `drill interrupted (${interruption()}); the retry resumes from its checkpoint: ${(err as Error).message}`,
      );
    findings.push({ severity: 'P1', message: `drill did not complete: ${(err as Error).message}` });
    return finish('error');
  } finally {
    await source.end().catch(() => undefined);
    const kind = interruption();
    // Stopping or superseded: the archive stays for the retry; superseded: the scratch database may be the retry's.
    if (!kind) rmSync(work, { recursive: true, force: true });
    if (created && !o.keep && kind !== 'superseded') {
      const dropped = await dropScratch(scratchAdmin, o.scratchDatabase, o.marker).catch(
        (e: Error) => `failed: ${e.message}`,
      );
      result.evidence!.scratch = `${o.scratchDatabase}: ${dropped}`;
    } else if (created) {
      result.evidence!.scratch = `${o.scratchDatabase}: kept`;
    }
  }

  /** A cancelled drill stops after the step whose process was killed; cleanup follows `interruption()`. */
  function stopIfCancelled(): void {
    if (o.signal?.aborted)
      throw new Error(interruption() ? `cancelled: ${interruption()}` : 'cancelled: the campaign was aborted');
  }

  /** Set when the drill was cancelled for a reason other than an abort: it must be retried, not reported. */
  function interruption(): 'shutdown' | 'superseded' | undefined {
    if (!o.signal?.aborted) return undefined;
    const kind = o.cancelKind?.() ?? 'abort';
    return kind === 'abort' ? undefined : kind;
  }

  function finish(status?: DrillResult['status']): DrillResult {
    result.status = status ?? statusFromFindings(findings);
    return result;
  }

  /** Backup freshness (RPO) and WAL archiving, from the source server's own view. */
  async function freshness(): Promise<void> {
    o.progress?.('freshness');
    const ages: number[] = [];
    if (o.backupDirectory) {
      let newest = 0;
      let files = 0;
      try {
        for (const f of readdirSync(o.backupDirectory)) {
          const st = statSync(path.join(o.backupDirectory, f));
          if (st.isFile() && st.size > 0) {
            files++;
            newest = Math.max(newest, st.mtimeMs);
          }
        }
      } catch (err) {
        findings.push({
          severity: 'P1',
          message: `backup directory ${o.backupDirectory} is not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        });
      }
      result.evidence!.backupFiles = files;
      if (files === 0) findings.push({ severity: 'P1', message: `no automated backup found in ${o.backupDirectory}` });
      else ages.push(Date.now() - newest);
    } else {
      findings.push({
        severity: 'P2',
        message:
          'backup freshness not checked (no backupDirectory): this drill proves a dump restores, not that backups are taken',
      });
    }
    const c = new Client({ connectionString: o.sourceUrl });
    await c.connect();
    try {
      const mode = (await c.query<{ v: string }>("SELECT current_setting('archive_mode') AS v")).rows[0]!.v;
      const archiver = (
        await c.query<{
          archived_count: string;
          failed_count: string;
          last_archived_time: Date | null;
          last_failed_time: Date | null;
        }>('SELECT archived_count, failed_count, last_archived_time, last_failed_time FROM pg_stat_archiver')
      ).rows[0]!;
      result.evidence!.walArchiving = {
        archiveMode: mode,
        archived: Number(archiver.archived_count),
        failed: Number(archiver.failed_count),
        lastArchived: archiver.last_archived_time,
        lastFailed: archiver.last_failed_time,
      };
      if (mode === 'off')
        findings.push({
          severity: 'P2',
          message:
            'WAL archiving is off: no point-in-time recovery; the data-loss window is the age of the last backup',
        });
      else {
        if (
          archiver.last_failed_time &&
          (!archiver.last_archived_time || archiver.last_failed_time > archiver.last_archived_time)
        )
          findings.push({
            severity: 'P1',
            message: `WAL archiving is failing (last failure ${archiver.last_failed_time.toISOString()})`,
          });
        if (archiver.last_archived_time) ages.push(Date.now() - archiver.last_archived_time.getTime());
      }
    } finally {
      await c.end();
    }
    if (ages.length) {
      result.rpoS = Math.round(Math.min(...ages) / 1000);
      if (result.rpoS * 1000 > o.rpoTargetMs)
        findings.push({
          severity: 'P1',
          message: `RPO ${result.rpoS} s: the newest backup is older than rpoTarget ${o.rpoTargetMs / 1000} s`,
        });
    }
  }
}
