/**
 * Backup drill activities. Connection URLs are read from the worker's environment by name; the drill's
 * long steps heartbeat; a retried Postgres drill (worker crash) drops the scratch database its previous
 * attempt left and, when that attempt's archive is still on this machine, restores it instead of dumping again. Cancellation kills the running pg_dump / pg_restore.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { BackupConfig } from '../../config/schema';
import type { DrillResult } from '../../core/backup';
import { parseDurationMs } from '../../core/duration';
import { egressGuard } from '../../core/egress';
import { postgresDrill, type DrillCheckpoint } from '../../backup/postgres';
import { redisDrill } from '../../backup/redis';
import { serviceRecoveryDrill } from '../../backup/service';
import { toolMetrics } from '../../infra/metrics';
import type { ActivityDeps } from '../deps';
import { connectionRefusal } from '../egress';

/** The Postgres drill's heartbeat: the step it is in, and once the dump is done, what a retry resumes from. */
export interface PostgresDrillBeat {
  step: string;
  resume?: DrillCheckpoint;
}

/**
 * Heartbeats every second while `work` runs, also through a slow step (a kill command, a BGSAVE): the heartbeat
 * timeout (settings.heartbeatTimeout) is there to notice a dead worker, not a slow drill.
 */
async function beating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), 1_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** A drill that did not run, and why (a refused host, a directory outside the declared roots, ...). */
const notRun = (id: string, title: string, message: string): DrillResult => ({
  id,
  title,
  status: 'error',
  findings: [{ severity: 'P1', message }],
});

/**
 * `dir` with every symlink resolved, also when it does not exist yet: its nearest existing ancestor resolved, the
 * rest appended (so `root/escape/new`, with `escape` a symlink out of the root, resolves outside it).
 */
function resolvedPath(dir: string): string {
  const missing: string[] = [];
  for (let p = path.resolve(dir); ;) {
    try {
      return path.join(realpathSync(p), ...missing.reverse());
    } catch {
      const parent = path.dirname(p);
      if (parent === p) return path.resolve(dir);
      missing.push(path.basename(p));
      p = parent;
    }
  }
}

/** True when `dir` (symlinks resolved, also below a directory that does not exist yet) lies inside one of `roots`. */
export function insideRoots(dir: string, roots: string[]): boolean {
  const real = resolvedPath(dir);
  return roots.some((root) => {
    let r: string;
    try {
      r = realpathSync(root);
    } catch {
      return false;
    }
    return real === r || real.startsWith(r.endsWith(path.sep) ? r : `${r}${path.sep}`);
  });
}

export function createBackupActivities(deps: ActivityDeps) {
  const fromEnv = (ref: { fromEnv: string }, field: string) => deps.secrets.resolve(ref.fromEnv, field);
  return {
    async postgresBackupDrill(input: { campaignId: string; backup: BackupConfig }): Promise<DrillResult> {
      const cfg = input.backup.postgres!;
      const ctx = Context.current();
      const sourceUrl = fromEnv(cfg.connection, 'backup.postgres.connection');
      const scratchUrl = cfg.scratchConnection
        ? fromEnv(cfg.scratchConnection, 'backup.postgres.scratchConnection')
        : undefined;
      const title = 'PostgreSQL restore drill';
      // Before anything connects: both servers must be allowed, and the backup directory under a declared root.
      for (const [field, url] of [
        ['backup.postgres.connection', sourceUrl],
        ['backup.postgres.scratchConnection', scratchUrl],
      ] as const) {
        const refused = url === undefined ? undefined : connectionRefusal(url, deps.egress);
        if (refused) return notRun('postgres', title, `${field}: ${refused}`);
      }
      const roots = deps.backupRoots ?? [];
      if (cfg.backupDirectory && !insideRoots(cfg.backupDirectory, roots)) {
        return notRun(
          'postgres',
          title,
          `backup.postgres.backupDirectory ${cfg.backupDirectory} is not under a directory this worker allows in READINESS_BACKUP_ROOTS (${roots.length ? roots.join(', ') : 'none declared'}): nothing was read`,
        );
      }
      const scratchDatabase =
        cfg.scratchDatabase ??
        `readiness_drill_${input.campaignId
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '_')
          .slice(-40)}`;
      const prior = (ctx.info.heartbeatDetails as PostgresDrillBeat | undefined)?.resume;
      const beat: PostgresDrillBeat = { step: 'start', resume: prior };
      const timer = setInterval(() => ctx.heartbeat(beat), 1_000);
      try {
        const r = await toolMetrics.drill(
          'postgres',
          postgresDrill({
            sourceUrl,
            scratchUrl,
            scratchDatabase,
            marker: input.campaignId,
            jobs: cfg.jobs,
            maxRestoreMs: parseDurationMs(cfg.maxRestoreTime) ?? 0,
            rpoTargetMs: parseDurationMs(cfg.rpoTarget) ?? 0,
            backupDirectory: cfg.backupDirectory,
            keep: cfg.keep,
            signal: ctx.cancellationSignal,
            progress: (s) => {
              beat.step = s;
            },
            resume: prior,
            // A campaign abort cleans up; a stopping worker or a superseded attempt leaves the archive to the retry.
            cancelKind: () => {
              const d = ctx.cancellationDetails;
              return d?.workerShutdown
                ? 'shutdown'
                : d && (d.timedOut || d.notFound || d.reset || d.paused)
                  ? 'superseded'
                  : 'abort';
            },
            checkpoint: (c) => {
              beat.resume = c;
              ctx.heartbeat(beat);
            },
          }),
        );
        deps.logger.info(
          {
            campaignId: input.campaignId,
            phase: 'backup',
            step: 'postgres',
            status: r.status,
            timings: r.timings,
            rtoS: r.rtoS,
            rpoS: r.rpoS,
          },
          'postgres drill',
        );
        return r;
      } finally {
        clearInterval(timer);
      }
    },

    async redisBackupDrill(input: { backup: BackupConfig }): Promise<DrillResult> {
      const cfg = input.backup.redis!;
      const url = fromEnv(cfg.connection, 'backup.redis.connection');
      const refused = connectionRefusal(url, deps.egress);
      if (refused) return notRun('redis', 'Redis persistence drill', `backup.redis.connection: ${refused}`);
      return beating(() =>
        toolMetrics.drill(
          'redis',
          redisDrill({ url, role: cfg.role, timeoutMs: parseDurationMs(cfg.timeout) ?? 60_000 }),
        ),
      );
    },

    async serviceRecoveryDrill(input: { backup: BackupConfig; index: number }): Promise<DrillResult> {
      const cfg = input.backup.serviceRecovery[input.index]!;
      const ctx = Context.current();
      return beating(() =>
        toolMetrics.drill(
          'service_recovery',
          serviceRecoveryDrill({
            name: cfg.name,
            command: cfg.command,
            healthUrl: cfg.healthUrl,
            maxRecoveryMs: parseDurationMs(cfg.maxRecoveryTime) ?? 120_000,
            commands: deps.recoveryCommands ?? {},
            egress: egressGuard(deps.egress, 'system'),
            signal: ctx.cancellationSignal,
          }),
        ),
      );
    },
  };
}
